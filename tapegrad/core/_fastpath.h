/* Declarations shared by the files of the C fast path (see _fastpath.c).
 *
 * Everything here is hidden from other shared objects (GCC/clang visibility):
 * only the module's init function is exported, as Python requires.
 */
#ifndef TAPEGRAD_FASTPATH_H
#define TAPEGRAD_FASTPATH_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* A box: the three fields of tapegrad.core.box.Box (_fastpath.c). */
typedef struct {
    PyObject_HEAD
    PyObject *value;
    PyObject *trace;
    PyObject *node;
} BoxObject;

extern PyTypeObject BoxBaseType;
extern PyTypeObject OperatorBaseType; /* _fp_operators.c */

#define IS_BOX(o) PyObject_TypeCheck((o), &BoxBaseType)

PyObject *alloc_box(PyTypeObject *type, PyObject *value, PyObject *trace, PyObject *node);
/* BoxBase's slots, which OperatorBase shares */
PyObject *Box_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
int Box_traverse(BoxObject *self, visitproc visit, void *arg);
int Box_clear(BoxObject *self);
void Box_dealloc(BoxObject *self);
PyObject *box_for(PyObject *value, PyObject *trace, PyObject *node);

/* What the Python side registers (configure, _fastpath.c). */
extern PyObject *ReverseTraceType, *box_types, *sized_types, *leaf_types, *partial_type, *py_resolve,
    *py_slim, *py_new_box, *py_bind, *py_add_cotangents, *arg0, *arg1, *arg01, *reverse_globals;
extern PyObject *s_fun, *s_wrapper, *s_vjp_cache, *s_tape, *s_size, *s_record_one, *s_record2, *s_dense,
    *s_vjp_joint, *s_slim_min_size, *s_value_and_jvp, *s_fuses, *s_record_fused, *s_computes;

#define CONFIGURED() (ReverseTraceType != NULL)

int ready(Py_ssize_t nargs, Py_ssize_t want, const char *usage);

/* The operators and their primitives (filled by configure_operators, _fp_operators.c). */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MATMUL, N_OPS, OP_NONE = -1 };
extern const char *op_names[N_OPS];
extern PyObject *op_prims[N_OPS];
extern int op_direct[N_OPS];
extern PyObject *operand_types;

/* Recording and binding (_fp_bind.c). */
PyObject *call_bind(PyObject *prim, PyObject *x, PyObject *y);
PyObject *bind_one(PyObject *prim, BoxObject *box, int pos, PyObject *other, int k);
PyObject *bind2(PyObject *prim, PyObject *x, PyObject *y, int k);
PyObject *rbind2(PyObject *prim, PyObject *x, PyObject *y, int k);

/* The module's entry points, by file. */
PyObject *fp_reverse_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_record_one(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_record2(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_bind1(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_bind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_rbind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_configure_operators(PyObject *self, PyObject *args, PyObject *kwds);
PyObject *fp_configure_dispatch(PyObject *self, PyObject *args, PyObject *kwds);
PyObject *fp_backward_pass(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif

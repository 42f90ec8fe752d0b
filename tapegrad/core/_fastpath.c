/* The engine's per-operation path in C: an optional accelerator.
 *
 * Everything here has a pure-Python twin in box.py, primitive.py and
 * reverse.py, which stays the reference: this module only removes the
 * interpreter's frames from the path that every traced operation takes
 * (making a box, recording a tape entry, one step of the backward sweep).
 * It knows nothing about NumPy: array types reach it through the registries
 * that tapegrad.numpy fills (box types, sized types, leaf cotangent types).
 *
 * Functions mirror their Python twins line by line; see those for the why.
 *
 * The files: this one (the box type, what Python registers, the module),
 * _fp_bind.c (recording on a reverse tape, binding a primitive's call),
 * _fp_operators.c (OperatorBase: number slots and the dispatch hook) and
 * _fp_sweep.c (the backward sweep); _fastpath.h declares what they share.
 */
#include "_fastpath.h"

/* ----- the box base type ------------------------------------------------ */

/* A new instance of type (BoxBase or a subclass) holding the three fields. */
PyObject *
alloc_box(PyTypeObject *type, PyObject *value, PyObject *trace, PyObject *node)
{
    BoxObject *self = (BoxObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(value);
    Py_INCREF(trace);
    Py_INCREF(node);
    self->value = value;
    self->trace = trace;
    self->node = node;
    return (PyObject *)self;
}

PyObject *
Box_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "trace", "node", NULL};
    PyObject *value, *trace, *node;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:Box", kwlist, &value, &trace, &node))
        return NULL;
    return alloc_box(type, value, trace, node);
}

/* Box(value, trace, node).__init__ sets the fields again, as the pure-Python layout
 * does; without it a subclass that also derives from a value class with its own
 * __init__ (autograd's `class FunBox(Box, Fun)`) would get that class's. */
static int
Box_init(BoxObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "trace", "node", NULL};
    PyObject *value, *trace, *node;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:Box", kwlist, &value, &trace, &node))
        return -1;
    Py_INCREF(value);
    Py_INCREF(trace);
    Py_INCREF(node);
    Py_XSETREF(self->value, value);
    Py_XSETREF(self->trace, trace);
    Py_XSETREF(self->node, node);
    return 0;
}

int
Box_traverse(BoxObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->value);
    Py_VISIT(self->trace);
    Py_VISIT(self->node);
    return 0;
}

int
Box_clear(BoxObject *self)
{
    Py_CLEAR(self->value);
    Py_CLEAR(self->trace);
    Py_CLEAR(self->node);
    return 0;
}

void
Box_dealloc(BoxObject *self)
{
    PyObject_GC_UnTrack(self);
    Box_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef Box_members[] = {
    {"_value", T_OBJECT_EX, offsetof(BoxObject, value), 0, "the traced value"},
    {"_trace", T_OBJECT_EX, offsetof(BoxObject, trace), 0, "the trace it belongs to"},
    {"_node", T_OBJECT_EX, offsetof(BoxObject, node), 0, "its node: a tape index or a tangent"},
    {NULL}
};

PyTypeObject BoxBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tapegrad.core._fastpath.BoxBase",
    .tp_basicsize = sizeof(BoxObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C layout of a box: value, trace and node.",
    .tp_new = Box_new,
    .tp_init = (initproc)Box_init,
    .tp_traverse = (traverseproc)Box_traverse,
    .tp_clear = (inquiry)Box_clear,
    .tp_dealloc = (destructor)Box_dealloc,
    .tp_members = Box_members,
};

/* ----- what the Python side registers (configure) ------------------------- */

PyObject *ReverseTraceType;   /* the ReverseTrace class */
PyObject *box_types;          /* dict: value type -> box class */
PyObject *sized_types;        /* set of types with .size (plain arrays) */
PyObject *leaf_types;         /* set of cotangent types summed with + */
PyObject *partial_type;       /* containers.Partial */
PyObject *py_resolve;         /* reverse._resolve(prim, argnums) -> (rules, keeps) */
PyObject *py_slim;            /* reverse._slim(keeps, vals, ans) -> (vals, ans) */
PyObject *py_new_box;         /* box.new_box(value, trace, node) */
PyObject *py_bind;            /* primitive._bind(prim, args, kwargs) */
PyObject *py_add_cotangents;  /* containers.add_cotangents(a, b) */
PyObject *arg0, *arg1, *arg01; /* the shared argnum tuples (0,), (1,), (0, 1) */
PyObject *reverse_globals;    /* reverse's namespace: SLIM_MIN_SIZE is read from it */

PyObject *s_fun, *s_wrapper, *s_vjp_cache, *s_tape, *s_size, *s_record_one,
    *s_record2, *s_dense, *s_vjp_joint, *s_slim_min_size, *s_value_and_jvp, *s_fuses,
    *s_record_fused, *s_computes;

/* The entry points' common check: configured, and called with `want` arguments. */
int
ready(Py_ssize_t nargs, Py_ssize_t want, const char *usage)
{
    if (!CONFIGURED()) {
        PyErr_SetString(PyExc_RuntimeError, "tapegrad.core._fastpath used before configure()");
        return 0;
    }
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s takes %zd arguments", usage, want);
        return 0;
    }
    return 1;
}

static PyObject *
fp_configure(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"reverse_trace", "box_types", "sized_types", "leaf_types", "partial",
                             "resolve", "slim", "new_box", "bind", "add_cotangents", "arg0", "arg1",
                             "arg01", "reverse_globals", NULL};
    PyObject *o[14];
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!O!OOOOOOO!O!O!O!:configure", kwlist,
                                     &o[0], &PyDict_Type, &o[1], &PySet_Type, &o[2], &PySet_Type,
                                     &o[3], &o[4], &o[5], &o[6], &o[7], &o[8], &o[9],
                                     &PyTuple_Type, &o[10], &PyTuple_Type, &o[11], &PyTuple_Type,
                                     &o[12], &PyDict_Type, &o[13]))
        return NULL;
    PyObject **slots[14] = {&ReverseTraceType, &box_types, &sized_types, &leaf_types, &partial_type,
                            &py_resolve, &py_slim, &py_new_box, &py_bind, &py_add_cotangents,
                            &arg0, &arg1, &arg01, &reverse_globals};
    for (int i = 0; i < 14; i++) {
        Py_INCREF(o[i]);
        Py_XSETREF(*slots[i], o[i]);
    }
    Py_RETURN_NONE;
}

/* ----- making boxes ------------------------------------------------------- */

/* A new box of class cls; cls is a BoxBase subclass without its own __new__ or
 * __init__ (all of tapegrad's are), so the fields are set directly. */
static PyObject *
make_box(PyObject *cls, PyObject *value, PyObject *trace, PyObject *node)
{
    PyTypeObject *tp = (PyTypeObject *)cls;
    if (PyType_Check(cls) && tp->tp_new == Box_new && tp->tp_init == BoxBaseType.tp_init)
        return alloc_box(tp, value, trace, node);
    return PyObject_CallFunctionObjArgs(cls, value, trace, node, NULL);
}

/* box.new_box for the class registered for type(value), in C when known. */
PyObject *
box_for(PyObject *value, PyObject *trace, PyObject *node)
{
    PyObject *cls = PyDict_GetItemWithError(box_types, (PyObject *)Py_TYPE(value));
    if (cls != NULL)
        return make_box(cls, value, trace, node);
    if (PyErr_Occurred())
        return NULL;
    return PyObject_CallFunctionObjArgs(py_new_box, value, trace, node, NULL);
}

/* ----- getval ---------------------------------------------------------------- */

static PyObject *s_batched;

/* box.getval in C, the same steps: the plain value under any number of boxes; a
 * box of a batch trace (its class's `batched` is True) stays, with the boxes of
 * differentiations under it removed. Rules call it on every argument. */
static PyObject *
fp_getval(PyObject *self, PyObject *x)
{
    while (PyObject_TypeCheck(x, &BoxBaseType)) {
        BoxObject *box = (BoxObject *)x;
        if (_PyType_Lookup(Py_TYPE(x), s_batched) == Py_True) {
            PyObject *inner = fp_getval(self, box->value);
            if (inner == NULL || inner == box->value) {
                Py_XDECREF(inner);
                if (inner == NULL)
                    return NULL;
                Py_INCREF(x);
                return x;
            }
            PyObject *out = make_box((PyObject *)Py_TYPE(x), inner, box->trace, box->node);
            Py_DECREF(inner);
            return out;
        }
        x = box->value;
    }
    Py_INCREF(x);
    return x;
}

/* box.plain_values in C: the list of getval(a) for the arguments, or None if one
 * of them is batched (its trace must map the function over the batch). */
static PyObject *
fp_plain_values(PyObject *self, PyObject *args)
{
    if (!PyTuple_Check(args)) {
        PyErr_SetString(PyExc_TypeError, "plain_values takes a tuple");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = fp_getval(self, PyTuple_GET_ITEM(args, i));
        if (v == NULL || PyObject_TypeCheck(v, &BoxBaseType)) {
            Py_XDECREF(v);
            Py_DECREF(out);
            if (v == NULL)
                return NULL;
            Py_RETURN_NONE;
        }
        PyList_SET_ITEM(out, i, v);
    }
    return out;
}

/* ----- the module ----------------------------------------------------------- */

static PyMethodDef fp_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))fp_configure, METH_VARARGS | METH_KEYWORDS,
     "Register the Python objects the fast path needs (called once by tapegrad.core.reverse)."},
    {"configure_operators", (PyCFunction)(void (*)(void))fp_configure_operators,
     METH_VARARGS | METH_KEYWORDS,
     "Bind OperatorBase's + - * / ** @ to primitives (called by the array layer)."},
    {"configure_dispatch", (PyCFunction)(void (*)(void))fp_configure_dispatch,
     METH_VARARGS | METH_KEYWORDS,
     "Give OperatorBase.dispatch its call table, plain-call method name and fallback (the array layer)."},
    {"bind1", (PyCFunction)(void (*)(void))fp_bind1, METH_FASTCALL, "primitive.bind1 in C."},
    {"bind2", (PyCFunction)(void (*)(void))fp_bind2, METH_FASTCALL, "primitive.bind2 in C."},
    {"rbind2", (PyCFunction)(void (*)(void))fp_rbind2, METH_FASTCALL, "primitive.rbind2 in C."},
    {"record_one", (PyCFunction)(void (*)(void))fp_record_one, METH_FASTCALL,
     "trace.record_one(...), in C for a reverse trace."},
    {"record2", (PyCFunction)(void (*)(void))fp_record2, METH_FASTCALL,
     "trace.record2(...), in C for a reverse trace."},
    {"reverse_record", (PyCFunction)(void (*)(void))fp_reverse_record, METH_FASTCALL,
     "ReverseTrace.record in C."},
    {"backward_pass", (PyCFunction)(void (*)(void))fp_backward_pass, METH_FASTCALL,
     "reverse.backward_pass in C."},
    {"getval", fp_getval, METH_O, "box.getval in C: the plain value under any boxes (a batched box stays)."},
    {"plain_values", fp_plain_values, METH_O, "box.plain_values in C: getval of each argument, or None if one is batched."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef fp_module = {
    PyModuleDef_HEAD_INIT, "tapegrad.core._fastpath",
    "The engine's per-operation path in C (optional; pure-Python twins in tapegrad.core).", -1,
    fp_methods,
};

#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL

PyMODINIT_FUNC
PyInit__fastpath(void)
{
    INTERN(s_fun, "fun");
    INTERN(s_wrapper, "wrapper");
    INTERN(s_vjp_cache, "vjp_cache");
    INTERN(s_tape, "tape");
    INTERN(s_size, "size");
    INTERN(s_record_one, "record_one");
    INTERN(s_record2, "record2");
    INTERN(s_dense, "dense");
    INTERN(s_vjp_joint, "vjp_joint");
    INTERN(s_slim_min_size, "SLIM_MIN_SIZE");
    INTERN(s_value_and_jvp, "value_and_jvp");
    INTERN(s_fuses, "fuses");
    INTERN(s_record_fused, "record_fused");
    INTERN(s_computes, "computes");
    INTERN(s_batched, "batched");
    if (PyType_Ready(&BoxBaseType) < 0)
        return NULL;
    OperatorBaseType.tp_base = &BoxBaseType;
    if (PyType_Ready(&OperatorBaseType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&fp_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&BoxBaseType);
    if (PyModule_AddObject(m, "BoxBase", (PyObject *)&BoxBaseType) < 0) {
        Py_DECREF(&BoxBaseType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&OperatorBaseType);
    if (PyModule_AddObject(m, "OperatorBase", (PyObject *)&OperatorBaseType) < 0) {
        Py_DECREF(&OperatorBaseType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

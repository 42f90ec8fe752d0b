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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ----- the box base type ------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *value;
    PyObject *trace;
    PyObject *node;
} BoxObject;

static PyTypeObject BoxBaseType;

#define IS_BOX(o) PyObject_TypeCheck((o), &BoxBaseType)

/* A new instance of type (BoxBase or a subclass) holding the three fields. */
static PyObject *
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

static PyObject *
Box_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "trace", "node", NULL};
    PyObject *value, *trace, *node;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:Box", kwlist, &value, &trace, &node))
        return NULL;
    return alloc_box(type, value, trace, node);
}

static int
Box_traverse(BoxObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->value);
    Py_VISIT(self->trace);
    Py_VISIT(self->node);
    return 0;
}

static int
Box_clear(BoxObject *self)
{
    Py_CLEAR(self->value);
    Py_CLEAR(self->trace);
    Py_CLEAR(self->node);
    return 0;
}

static void
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

static PyTypeObject BoxBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tapegrad.core._fastpath.BoxBase",
    .tp_basicsize = sizeof(BoxObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C layout of a box: value, trace and node.",
    .tp_new = Box_new,
    .tp_traverse = (traverseproc)Box_traverse,
    .tp_clear = (inquiry)Box_clear,
    .tp_dealloc = (destructor)Box_dealloc,
    .tp_members = Box_members,
};

/* ----- what the Python side registers (configure) ------------------------- */

static PyObject *ReverseTraceType;   /* the ReverseTrace class */
static PyObject *box_types;          /* dict: value type -> box class */
static PyObject *sized_types;        /* set of types with .size (plain arrays) */
static PyObject *leaf_types;         /* set of cotangent types summed with + */
static PyObject *partial_type;       /* containers.Partial */
static PyObject *py_resolve;         /* reverse._resolve(prim, argnums) -> (rules, keeps) */
static PyObject *py_slim;            /* reverse._slim(keeps, vals, ans) -> (vals, ans) */
static PyObject *py_new_box;         /* box.new_box(value, trace, node) */
static PyObject *py_bind;            /* primitive._bind(prim, args, kwargs) */
static PyObject *py_add_cotangents;  /* containers.add_cotangents(a, b) */
static PyObject *arg0, *arg1, *arg01; /* the shared argnum tuples (0,), (1,), (0, 1) */
static PyObject *reverse_globals;    /* reverse's namespace: SLIM_MIN_SIZE is read from it */

static PyObject *s_fun, *s_wrapper, *s_vjp_cache, *s_tape, *s_size, *s_record_one,
    *s_record2, *s_dense, *s_vjp_joint, *s_slim_min_size, *s_value_and_jvp, *s_fuses,
    *s_record_fused;

#define CONFIGURED() (ReverseTraceType != NULL)

/* The entry points' common check: configured, and called with `want` arguments. */
static int
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
static PyObject *
box_for(PyObject *value, PyObject *trace, PyObject *node)
{
    PyObject *cls = PyDict_GetItemWithError(box_types, (PyObject *)Py_TYPE(value));
    if (cls != NULL)
        return make_box(cls, value, trace, node);
    if (PyErr_Occurred())
        return NULL;
    return PyObject_CallFunctionObjArgs(py_new_box, value, trace, node, NULL);
}

/* ----- recording on a reverse tape --------------------------------------- */

/* type(v) in sized_types and v.size >= slim_min_size; -1 on error */
static int
is_big(PyObject *v)
{
    int known = PySet_Contains(sized_types, (PyObject *)Py_TYPE(v));
    if (known <= 0)
        return known;
    PyObject *limit = PyDict_GetItemWithError(reverse_globals, s_slim_min_size);
    if (limit == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "tapegrad.core.reverse.SLIM_MIN_SIZE is not set");
        return -1;
    }
    PyObject *size = PyObject_GetAttr(v, s_size);
    if (size == NULL)
        return -1;
    int big = PyObject_RichCompareBool(size, limit, Py_GE);
    Py_DECREF(size);
    return big;
}

/* ReverseTrace.record: append (rules, parents, vals, kwargs, ans, prim, argnums)
 * to the tape and return the output's box. Steals nothing. kwargs may be NULL. */
static PyObject *
reverse_record(PyObject *trace, PyObject *prim, PyObject *argnums, PyObject *parents,
               PyObject *vals, PyObject *kwargs, PyObject *ans)
{
    PyObject *result = NULL, *cache = NULL, *resolved = NULL, *tape = NULL, *entry = NULL,
             *node = NULL;
    PyObject *kept_vals = vals, *kept_ans = ans, *slimmed = NULL;
    cache = PyObject_GetAttr(prim, s_vjp_cache);
    if (cache == NULL)
        return NULL;
    if (!PyDict_Check(cache)) {
        PyErr_SetString(PyExc_TypeError, "Primitive.vjp_cache must be a dict");
        goto done;
    }
    resolved = PyDict_GetItemWithError(cache, argnums);
    if (resolved != NULL) {
        Py_INCREF(resolved);
    } else {
        if (PyErr_Occurred())
            goto done;
        resolved = PyObject_CallFunctionObjArgs(py_resolve, prim, argnums, NULL);
        if (resolved == NULL)
            goto done;
    }
    if (!PyTuple_Check(resolved) || PyTuple_GET_SIZE(resolved) != 2) {
        PyErr_SetString(PyExc_TypeError, "resolved rules must be a (rules, keeps) tuple");
        goto done;
    }
    PyObject *rules = PyTuple_GET_ITEM(resolved, 0);
    PyObject *keeps = PyTuple_GET_ITEM(resolved, 1);
    if (keeps != Py_None) {
        int big = is_big(ans);
        if (big == 0 && PyTuple_GET_SIZE(vals) > 0)
            big = is_big(PyTuple_GET_ITEM(vals, 0));
        if (big < 0)
            goto done;
        if (big) {
            slimmed = PyObject_CallFunctionObjArgs(py_slim, keeps, vals, ans, NULL);
            if (slimmed == NULL)
                goto done;
            if (!PyTuple_Check(slimmed) || PyTuple_GET_SIZE(slimmed) != 2) {
                PyErr_SetString(PyExc_TypeError, "_slim must return (vals, ans)");
                goto done;
            }
            kept_vals = PyTuple_GET_ITEM(slimmed, 0);
            kept_ans = PyTuple_GET_ITEM(slimmed, 1);
        }
    }
    tape = PyObject_GetAttr(trace, s_tape);
    if (tape == NULL)
        goto done;
    if (!PyList_Check(tape)) {
        PyErr_SetString(PyExc_TypeError, "ReverseTrace.tape must be a list");
        goto done;
    }
    if (kwargs == NULL || (PyDict_Check(kwargs) && PyDict_GET_SIZE(kwargs) == 0))
        kwargs = Py_None;
    entry = PyTuple_Pack(7, rules, parents, kept_vals, kwargs, kept_ans, prim, argnums);
    if (entry == NULL || PyList_Append(tape, entry) < 0)
        goto done;
    node = PyLong_FromSsize_t(PyList_GET_SIZE(tape) - 1);
    if (node == NULL)
        goto done;
    result = box_for(ans, trace, node);
done:
    Py_XDECREF(cache);
    Py_XDECREF(resolved);
    Py_XDECREF(slimmed);
    Py_XDECREF(tape);
    Py_XDECREF(entry);
    Py_XDECREF(node);
    return result;
}

/* trace.record_one(prim, argnums, node, vals, ans), in C for a reverse trace. */
static PyObject *
record_one(PyObject *trace, PyObject *prim, PyObject *argnums, PyObject *node, PyObject *vals,
           PyObject *ans)
{
    if ((PyObject *)Py_TYPE(trace) == ReverseTraceType) {
        PyObject *parents = PyTuple_Pack(1, node);
        if (parents == NULL)
            return NULL;
        PyObject *r = reverse_record(trace, prim, argnums, parents, vals, NULL, ans);
        Py_DECREF(parents);
        return r;
    }
    PyObject *args[6] = {trace, prim, argnums, node, vals, ans};
    return PyObject_VectorcallMethod(s_record_one, args, 6 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* trace.record2(prim, node0, node1, v0, v1, ans), in C for a reverse trace. */
static PyObject *
record2(PyObject *trace, PyObject *prim, PyObject *node0, PyObject *node1, PyObject *v0,
        PyObject *v1, PyObject *ans)
{
    if ((PyObject *)Py_TYPE(trace) == ReverseTraceType) {
        PyObject *parents = PyTuple_Pack(2, node0, node1);
        PyObject *vals = PyTuple_Pack(2, v0, v1);
        PyObject *r = NULL;
        if (parents != NULL && vals != NULL)
            r = reverse_record(trace, prim, arg01, parents, vals, NULL, ans);
        Py_XDECREF(parents);
        Py_XDECREF(vals);
        return r;
    }
    PyObject *args[7] = {trace, prim, node0, node1, v0, v1, ans};
    return PyObject_VectorcallMethod(s_record2, args, 7 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *
fp_reverse_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 7, "reverse_record(trace, prim, argnums, parents, vals, kwargs, ans)"))
        return NULL;
    if (!PyTuple_Check(args[3]) || !PyTuple_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "reverse_record: parents and vals must be tuples");
        return NULL;
    }
    return reverse_record(args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
}

static PyObject *
fp_record_one(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 6, "record_one(trace, prim, argnums, node, vals, ans)"))
        return NULL;
    if (!PyTuple_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "record_one: vals must be a tuple");
        return NULL;
    }
    return record_one(args[0], args[1], args[2], args[3], args[4], args[5]);
}

static PyObject *
fp_record2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 7, "record2(trace, prim, node0, node1, v0, v1, ans)"))
        return NULL;
    return record2(args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
}

/* ----- binding: the primitive's call on boxes ------------------------------ */

static PyObject *
call_bind(PyObject *prim, PyObject *x, PyObject *y)
{
    PyObject *args = y == NULL ? PyTuple_Pack(1, x) : PyTuple_Pack(2, x, y);
    PyObject *kwargs = PyDict_New();
    PyObject *r = NULL;
    if (args != NULL && kwargs != NULL)
        r = PyObject_CallFunctionObjArgs(py_bind, prim, args, kwargs, NULL);
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    return r;
}

/* ----- operators: the arithmetic of boxes without a Python frame ----------- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MATMUL, N_OPS, OP_NONE = -1 };
static const char *op_names[N_OPS] = {"add", "subtract", "multiply", "divide", "power", "matmul"};
static PyObject *op_prims[N_OPS];   /* the primitive of each operator (configure_operators) */
static int op_direct[N_OPS];        /* may the plain Python operator compute it on operand types? */
static PyObject *operand_types;     /* types on which the Python operator means the ufunc */

/* a <op> b with Python's operator; the caller checked the operand types */
static PyObject *
plain_op(int k, PyObject *a, PyObject *b)
{
    switch (k) {
    case OP_ADD: return PyNumber_Add(a, b);
    case OP_SUB: return PyNumber_Subtract(a, b);
    case OP_MUL: return PyNumber_Multiply(a, b);
    case OP_DIV: return PyNumber_TrueDivide(a, b);
    case OP_POW: return PyNumber_Power(a, b, Py_None);
    default: return PyNumber_MatrixMultiply(a, b);
    }
}

/* The numpy layer's operator shim (ufuncs._fast) in C: the plain operator when
 * both operands are of the registered types and not both Python ints. */
static int
direct_operands(int k, PyObject *a, PyObject *b)
{
    if (k < 0 || !op_direct[k] || operand_types == NULL)
        return 0;
    if (PyLong_CheckExact(a) && PyLong_CheckExact(b))
        return 0;
    int ka = PySet_Contains(operand_types, (PyObject *)Py_TYPE(a));
    if (ka <= 0) {
        PyErr_Clear();
        return 0;
    }
    int kb = PySet_Contains(operand_types, (PyObject *)Py_TYPE(b));
    if (kb <= 0) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* prim.fun(a, b) (or prim.wrapper when an argument is itself a box); b may be NULL */
static PyObject *
apply(PyObject *prim, int nested, PyObject *a, PyObject *b);

static PyObject *
apply_op(int k, PyObject *prim, int nested, PyObject *a, PyObject *b)
{
    if (!nested && direct_operands(k, a, b))
        return plain_op(k, a, b);
    return apply(prim, nested, a, b);
}

static PyObject *
apply(PyObject *prim, int nested, PyObject *a, PyObject *b)
{
    PyObject *fun = PyObject_GetAttr(prim, nested ? s_wrapper : s_fun);
    if (fun == NULL)
        return NULL;
    PyObject *args[2] = {a, b};
    PyObject *r = PyObject_Vectorcall(fun, args, b == NULL ? 1 : 2, NULL);
    Py_DECREF(fun);
    return r;
}

/* bool(obj.<name>); -1 on error */
static int
attr_true(PyObject *obj, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(obj, name);
    if (a == NULL)
        return -1;
    int r = PyObject_IsTrue(a);
    Py_DECREF(a);
    return r;
}

/* primitive._record_call's fused branch: trace.record_fused(prim, argnums, node, vals)
 * when prim has value_and_jvp rules and the trace fuses (never a reverse trace).
 * A new reference: the box, NotImplemented (compute the value alone), or NULL. */
static PyObject *
record_fused(PyObject *trace, PyObject *prim, PyObject *argnums, PyObject *node, PyObject *vals)
{
    if ((PyObject *)Py_TYPE(trace) == ReverseTraceType)
        Py_RETURN_NOTIMPLEMENTED;
    int ok = attr_true(prim, s_value_and_jvp);
    if (ok > 0)
        ok = attr_true(trace, s_fuses);
    if (ok <= 0)
        return ok < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    PyObject *args[5] = {trace, prim, argnums, node, vals};
    return PyObject_VectorcallMethod(s_record_fused, args, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* prim(...) where box is the only argument of its trace: at position pos of
 * (box, other) or (other, box), or alone when other is NULL. Records on the
 * box's trace with the box's value in its place (the wrapper computes the
 * value when that is itself a box of an outer trace). */
static PyObject *
bind_one(PyObject *prim, BoxObject *box, int pos, PyObject *other, int k)
{
    /* Hold what the box points at: the call may rebind the box (an in-place write). */
    PyObject *v = box->value, *trace = box->trace, *node = box->node;
    Py_INCREF(trace); Py_INCREF(node); Py_INCREF(v);
    PyObject *a = pos == 0 ? v : other, *b = pos == 0 ? other : v;
    PyObject *argnums = pos == 0 ? arg0 : arg1;
    PyObject *r = NULL, *vals = NULL, *ans = NULL;
    int nested = IS_BOX(v);
    if (!nested && (PyObject *)Py_TYPE(trace) != ReverseTraceType) {
        vals = b == NULL ? PyTuple_Pack(1, a) : PyTuple_Pack(2, a, b);
        r = vals == NULL ? NULL : record_fused(trace, prim, argnums, node, vals);
        if (r == Py_NotImplemented)
            Py_CLEAR(r);
        else
            goto done; /* the box, or an error */
    }
    ans = apply_op(k, prim, nested, a, b);
    if (ans != NULL && (vals != NULL || (vals = b == NULL ? PyTuple_Pack(1, a) : PyTuple_Pack(2, a, b)) != NULL))
        r = record_one(trace, prim, argnums, node, vals, ans);
done:
    Py_XDECREF(ans); Py_XDECREF(vals);
    Py_DECREF(trace); Py_DECREF(node); Py_DECREF(v);
    return r;
}

static PyObject *
bind2(PyObject *prim, PyObject *x, PyObject *y, int k)
{
    if (!IS_BOX(x))
        return call_bind(prim, x, y);
    BoxObject *bx = (BoxObject *)x;
    PyObject *vx = bx->value;
    if (IS_BOX(y)) {
        BoxObject *by = (BoxObject *)y;
        if (by->trace == bx->trace) {
            PyObject *vy = by->value;
            if (!IS_BOX(vx) && !IS_BOX(vy)) { /* first order: the hot path */
                PyObject *trace = bx->trace, *n0 = bx->node, *n1 = by->node;
                Py_INCREF(trace); Py_INCREF(n0); Py_INCREF(n1); Py_INCREF(vx); Py_INCREF(vy);
                PyObject *ans = apply_op(k, prim, 0, vx, vy);
                PyObject *r = ans == NULL ? NULL : record2(trace, prim, n0, n1, vx, vy, ans);
                Py_XDECREF(ans);
                Py_DECREF(trace); Py_DECREF(n0); Py_DECREF(n1); Py_DECREF(vx); Py_DECREF(vy);
                return r;
            }
        }
        return call_bind(prim, x, y);
    }
    return bind_one(prim, bx, 0, y, k);
}

static PyObject *
rbind2(PyObject *prim, PyObject *x, PyObject *y, int k)
{
    if (IS_BOX(x) || !IS_BOX(y))
        return call_bind(prim, x, y);
    return bind_one(prim, (BoxObject *)y, 1, x, k);
}

static PyObject *
fp_bind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 3, "bind2(prim, x, y)"))
        return NULL;
    return bind2(args[0], args[1], args[2], OP_NONE);
}

static PyObject *
fp_rbind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 3, "rbind2(prim, x, y)"))
        return NULL;
    return rbind2(args[0], args[1], args[2], OP_NONE);
}

/* The number slots of OperatorBase: x <op> y with a box on either side. */
static PyObject *
box_op(int k, PyObject *a, PyObject *b)
{
    PyObject *prim = op_prims[k];
    if (prim == NULL || !CONFIGURED())
        Py_RETURN_NOTIMPLEMENTED;
    return IS_BOX(a) ? bind2(prim, a, b, k) : rbind2(prim, a, b, k);
}

static PyObject *nb_add(PyObject *a, PyObject *b) { return box_op(OP_ADD, a, b); }
static PyObject *nb_sub(PyObject *a, PyObject *b) { return box_op(OP_SUB, a, b); }
static PyObject *nb_mul(PyObject *a, PyObject *b) { return box_op(OP_MUL, a, b); }
static PyObject *nb_div(PyObject *a, PyObject *b) { return box_op(OP_DIV, a, b); }
static PyObject *nb_matmul(PyObject *a, PyObject *b) { return box_op(OP_MATMUL, a, b); }

static PyObject *
nb_pow(PyObject *a, PyObject *b, PyObject *mod)
{
    if (mod != Py_None)
        Py_RETURN_NOTIMPLEMENTED;
    return box_op(OP_POW, a, b);
}

/* ----- a call table: another library's dispatch hook, in C ------------------ */

static PyObject *call_table;    /* dict: function -> primitive (None: not by this path) */
static PyObject *call_method;   /* the method name that means a plain call */
static PyObject *call_fallback; /* fallback(self, fn, method, *inputs, **kwargs) */

/* OperatorBase.dispatch(self, fn, method, *inputs, **kwargs): a library's
 * dispatch protocol (the array layer binds NumPy's __array_ufunc__ to it).
 * A plain call of a function found in the call table, on one or two inputs and
 * without keywords, is bound here; everything else goes to the fallback. */
static PyObject *
Operator_dispatch(PyObject *self, PyObject *args, PyObject *kwds)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (call_table != NULL && CONFIGURED() && (n == 3 || n == 4)
            && (kwds == NULL || PyDict_GET_SIZE(kwds) == 0)) {
        PyObject *method = PyTuple_GET_ITEM(args, 1);
        int plain = method == call_method;
        if (!plain && PyUnicode_Check(method)) {
            plain = PyUnicode_Compare(method, call_method) == 0;
            if (PyErr_Occurred())
                return NULL;
        }
        if (plain) {
            PyObject *prim = PyDict_GetItemWithError(call_table, PyTuple_GET_ITEM(args, 0));
            if (prim == NULL && PyErr_Occurred())
                return NULL;
            if (prim != NULL && prim != Py_None) {
                PyObject *x = PyTuple_GET_ITEM(args, 2);
                if (n == 3)
                    return IS_BOX(x) ? bind_one(prim, (BoxObject *)x, 0, NULL, OP_NONE)
                                     : call_bind(prim, x, NULL);
                PyObject *y = PyTuple_GET_ITEM(args, 3);
                return IS_BOX(x) ? bind2(prim, x, y, OP_NONE) : rbind2(prim, x, y, OP_NONE);
            }
        }
    }
    if (call_fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "OperatorBase.dispatch used before configure_dispatch()");
        return NULL;
    }
    PyObject *full = PyTuple_New(n + 1);
    if (full == NULL)
        return NULL;
    PyTuple_SET_ITEM(full, 0, Py_NewRef(self));
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(full, i + 1, Py_NewRef(PyTuple_GET_ITEM(args, i)));
    PyObject *r = PyObject_Call(call_fallback, full, kwds);
    Py_DECREF(full);
    return r;
}

static PyObject *
fp_configure_dispatch(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"table", "method", "fallback", NULL};
    PyObject *table, *method, *fallback;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!UO:configure_dispatch", kwlist, &PyDict_Type,
                                     &table, &method, &fallback))
        return NULL;
    Py_XSETREF(call_table, Py_NewRef(table));
    Py_XSETREF(call_method, Py_NewRef(method));
    Py_XSETREF(call_fallback, Py_NewRef(fallback));
    Py_RETURN_NONE;
}

static PyMethodDef OperatorBase_methods[] = {
    {"dispatch", (PyCFunction)(void (*)(void))Operator_dispatch, METH_VARARGS | METH_KEYWORDS,
     "dispatch(fn, method, *inputs, **kwargs): a dispatch protocol's hook (see configure_dispatch)."},
    {NULL, NULL, 0, NULL}
};

static PyNumberMethods OperatorBase_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_true_divide = nb_div,
    .nb_power = nb_pow,
    .nb_matrix_multiply = nb_matmul,
};

static PyTypeObject OperatorBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tapegrad.core._fastpath.OperatorBase",
    .tp_basicsize = sizeof(BoxObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A box with + - * / ** @ (and reflected) bound to configured primitives, in C.",
    .tp_as_number = &OperatorBase_as_number,
    .tp_methods = OperatorBase_methods,
    .tp_new = Box_new,
    .tp_traverse = (traverseproc)Box_traverse,
    .tp_clear = (inquiry)Box_clear,
    .tp_dealloc = (destructor)Box_dealloc,
};

static PyObject *
fp_configure_operators(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"primitives", "direct", "operand_types", NULL};
    PyObject *prims, *direct, *types;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O:configure_operators", kwlist, &PyDict_Type,
                                     &prims, &PySet_Type, &direct, &types))
        return NULL;
    if (!PyAnySet_Check(types)) {
        PyErr_SetString(PyExc_TypeError, "operand_types must be a set or frozenset");
        return NULL;
    }
    for (int k = 0; k < N_OPS; k++) {
        PyObject *name = PyUnicode_FromString(op_names[k]);
        if (name == NULL)
            return NULL;
        PyObject *prim = PyDict_GetItemWithError(prims, name);
        int d = prim == NULL ? 0 : PySet_Contains(direct, name);
        Py_DECREF(name);
        if (PyErr_Occurred() || d < 0)
            return NULL;
        Py_XINCREF(prim);
        Py_XSETREF(op_prims[k], prim);
        op_direct[k] = d;
    }
    Py_INCREF(types);
    Py_XSETREF(operand_types, types);
    Py_RETURN_NONE;
}

static PyObject *
fp_bind1(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 2, "bind1(prim, x)"))
        return NULL;
    PyObject *prim = args[0], *x = args[1];
    if (!IS_BOX(x))
        return call_bind(prim, x, NULL);
    return bind_one(prim, (BoxObject *)x, 0, NULL, OP_NONE);
}

/* ----- the backward sweep ------------------------------------------------- */

/* cts[p] += c (c may be None: nothing to add). Steals nothing. */
static int
accumulate(PyObject *cts, Py_ssize_t n, PyObject *p, PyObject *c)
{
    if (c == Py_None)
        return 0;
    Py_ssize_t i = PyLong_AsSsize_t(p);
    if (i == -1 && PyErr_Occurred())
        return -1;
    if (i < 0 || i >= n) {
        PyErr_Format(PyExc_IndexError, "tape parent %zd out of range", i);
        return -1;
    }
    PyObject *old = PyList_GET_ITEM(cts, i);
    PyObject *sum;
    if (old == Py_None) {
        Py_INCREF(c);
        sum = c;
    } else {
        int leaf = PySet_Contains(leaf_types, (PyObject *)Py_TYPE(old));
        if (leaf < 0)
            return -1;
        sum = leaf ? PyNumber_Add(old, c)
                   : PyObject_CallFunctionObjArgs(py_add_cotangents, old, c, NULL);
        if (sum == NULL)
            return -1;
    }
    PyList_SetItem(cts, i, sum); /* steals sum, releases old */
    return 0;
}

/* rule(g, ans, *vals, **kwargs) */
static PyObject *
call_rule(PyObject *rule, PyObject *g, PyObject *ans, PyObject *vals, PyObject *kwargs)
{
    Py_ssize_t nv = PyTuple_GET_SIZE(vals);
    if (kwargs == Py_None && nv <= 6) {
        PyObject *stack[8];
        stack[0] = g;
        stack[1] = ans;
        for (Py_ssize_t k = 0; k < nv; k++)
            stack[2 + k] = PyTuple_GET_ITEM(vals, k);
        return PyObject_Vectorcall(rule, stack, 2 + nv, NULL);
    }
    PyObject *args = PyTuple_New(2 + nv);
    if (args == NULL)
        return NULL;
    Py_INCREF(g);
    Py_INCREF(ans);
    PyTuple_SET_ITEM(args, 0, g);
    PyTuple_SET_ITEM(args, 1, ans);
    for (Py_ssize_t k = 0; k < nv; k++) {
        PyObject *v = PyTuple_GET_ITEM(vals, k);
        Py_INCREF(v);
        PyTuple_SET_ITEM(args, 2 + k, v);
    }
    PyObject *r = PyObject_Call(rule, args, kwargs == Py_None ? NULL : kwargs);
    Py_DECREF(args);
    return r;
}

static PyObject *
fp_backward_pass(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 3, "backward_pass(tape, end_node, g)"))
        return NULL;
    if (!PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "backward_pass: the tape must be a list");
        return NULL;
    }
    PyObject *tape = args[0];
    Py_ssize_t end = PyLong_AsSsize_t(args[1]);
    if (end == -1 && PyErr_Occurred())
        return NULL;
    if (end < 0 || end >= PyList_GET_SIZE(tape)) {
        PyErr_SetString(PyExc_IndexError, "end_node is not on the tape");
        return NULL;
    }
    Py_ssize_t n = end + 1;
    PyObject *cts = PyList_New(n);
    if (cts == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(Py_None);
        PyList_SET_ITEM(cts, i, Py_None);
    }
    Py_INCREF(args[2]);
    PyList_SetItem(cts, end, args[2]);

    for (Py_ssize_t i = end; i >= 0; i--) {
        PyObject *g = PyList_GET_ITEM(cts, i);
        if (g == Py_None)
            continue;
        if (i >= PyList_GET_SIZE(tape)) {
            PyErr_SetString(PyExc_RuntimeError, "the tape shrank during the backward pass");
            goto fail;
        }
        PyObject *entry = PyList_GET_ITEM(tape, i);
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 7) {
            PyErr_SetString(PyExc_TypeError, "tape entries are 7-tuples");
            goto fail;
        }
        PyObject *rules = PyTuple_GET_ITEM(entry, 0), *parents = PyTuple_GET_ITEM(entry, 1),
                 *vals = PyTuple_GET_ITEM(entry, 2), *kwargs = PyTuple_GET_ITEM(entry, 3),
                 *ans = PyTuple_GET_ITEM(entry, 4), *prim = PyTuple_GET_ITEM(entry, 5),
                 *argnums = PyTuple_GET_ITEM(entry, 6);
        if (rules == Py_None && prim == Py_None)
            continue; /* a root keeps its cotangent */
        Py_INCREF(entry); /* a rule may append to this tape (higher order is another tape) */
        Py_INCREF(g);
        PyList_SetItem(cts, i, Py_NewRef(Py_None)); /* drop the used cotangent early */
        if (Py_TYPE(g) == (PyTypeObject *)partial_type) {
            PyObject *d = PyObject_CallMethodNoArgs(g, s_dense);
            Py_DECREF(g);
            if (d == NULL) {
                Py_DECREF(entry);
                goto fail;
            }
            g = d;
        }
        PyObject *outs = NULL;
        if (rules == Py_None) { /* a joint rule over all traced arguments */
            PyObject *kw = kwargs == Py_None ? PyDict_New() : Py_NewRef(kwargs);
            PyObject *joint = kw == NULL ? NULL : PyObject_GetAttr(prim, s_vjp_joint);
            if (joint != NULL)
                outs = PyObject_CallFunctionObjArgs(joint, argnums, g, ans, vals, kw, NULL);
            Py_XDECREF(joint);
            Py_XDECREF(kw);
        } else if (PyTuple_Check(rules) && PyTuple_GET_SIZE(rules) == 1 && PyTuple_Check(parents)
                   && PyTuple_GET_SIZE(parents) >= 1 && PyTuple_Check(vals)) {
            PyObject *c = call_rule(PyTuple_GET_ITEM(rules, 0), g, ans, vals, kwargs);
            int bad = c == NULL || accumulate(cts, n, PyTuple_GET_ITEM(parents, 0), c) < 0;
            Py_XDECREF(c);
            Py_DECREF(g);
            Py_DECREF(entry);
            if (bad)
                goto fail;
            continue;
        } else if (PyTuple_Check(rules) && PyTuple_Check(vals)) {
            Py_ssize_t nr = PyTuple_GET_SIZE(rules);
            outs = PyTuple_New(nr);
            for (Py_ssize_t k = 0; outs != NULL && k < nr; k++) {
                PyObject *c = call_rule(PyTuple_GET_ITEM(rules, k), g, ans, vals, kwargs);
                if (c == NULL)
                    Py_CLEAR(outs);
                else
                    PyTuple_SET_ITEM(outs, k, c);
            }
        } else {
            PyErr_SetString(PyExc_TypeError, "malformed tape entry");
        }
        Py_DECREF(g);
        if (outs == NULL) {
            Py_DECREF(entry);
            goto fail;
        }
        PyObject *seq = PySequence_Fast(outs, "a joint VJP must return a sequence");
        Py_DECREF(outs);
        if (seq == NULL || !PyTuple_Check(parents)) {
            if (seq != NULL)
                PyErr_SetString(PyExc_TypeError, "tape parents must be a tuple");
            Py_XDECREF(seq);
            Py_DECREF(entry);
            goto fail;
        }
        Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
        if (PyTuple_GET_SIZE(parents) < m)
            m = PyTuple_GET_SIZE(parents);
        int bad = 0;
        for (Py_ssize_t k = 0; k < m && !bad; k++)
            bad = accumulate(cts, n, PyTuple_GET_ITEM(parents, k), PySequence_Fast_GET_ITEM(seq, k)) < 0;
        Py_DECREF(seq);
        Py_DECREF(entry);
        if (bad)
            goto fail;
    }
    return cts;
fail:
    Py_DECREF(cts);
    return NULL;
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

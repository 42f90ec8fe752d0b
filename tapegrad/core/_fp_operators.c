/* OperatorBase: the arithmetic of boxes as C number slots, and a dispatch hook.
 * Part of the C fast path: see _fastpath.c and the Python twins it names.
 */
#include "_fastpath.h"

static PyObject *op_defer; /* defer(other) -> bool: leave box <op> other to other (configure_operators) */
static PyTypeObject *plain_type; /* the operand type last found in operand_types (when a frozenset) */

/* Does box <op> other return NotImplemented (so that Python asks other's reflected
 * operator)? The operand types never do; other operands (not boxes) are asked of the
 * array layer's defer (numpy/box.py _defers: its own __array_ufunc__...). -1 on error. */
static int
defers(PyObject *other)
{
    if (op_defer == NULL || operand_types == NULL)
        return 0;
    int known = PySet_Contains(operand_types, (PyObject *)Py_TYPE(other));
    if (known != 0) {
        if (known > 0 && PyFrozenSet_CheckExact(operand_types))
            plain_type = Py_TYPE(other); /* held by the frozenset: it stays an operand type */
        return known < 0 ? -1 : 0;
    }
    PyObject *r = PyObject_CallOneArg(op_defer, other);
    if (r == NULL)
        return -1;
    int d = PyObject_IsTrue(r);
    Py_DECREF(r);
    return d;
}

/* The number slots of OperatorBase: x <op> y with a box on either side. */
static PyObject *
box_op(int k, PyObject *a, PyObject *b)
{
    PyObject *prim = op_prims[k];
    if (prim == NULL || !CONFIGURED())
        Py_RETURN_NOTIMPLEMENTED;
    int left = IS_BOX(a);
    PyObject *box = left ? a : b, *other = left ? b : a;
    PyTypeObject *t = Py_TYPE(other);
    /* the hot path (a float, a box of the same class, an ndarray...) skips the rest at a pointer compare */
    if (t != &PyFloat_Type && t != Py_TYPE(box) && t != plain_type && !IS_BOX(other)) {
        int d = defers(other);
        if (d != 0)
            return d < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    }
    return left ? bind2(prim, a, b, k) : rbind2(prim, a, b, k);
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

PyObject *
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

PyTypeObject OperatorBaseType = {
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

PyObject *
fp_configure_operators(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"primitives", "direct", "operand_types", "defer", NULL};
    PyObject *prims, *direct, *types, *defer = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O|O:configure_operators", kwlist, &PyDict_Type,
                                     &prims, &PySet_Type, &direct, &types, &defer))
        return NULL;
    if (!PyAnySet_Check(types)) {
        PyErr_SetString(PyExc_TypeError, "operand_types must be a set or frozenset");
        return NULL;
    }
    if (defer != Py_None && !PyCallable_Check(defer)) {
        PyErr_SetString(PyExc_TypeError, "defer must be callable or None");
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
    Py_XSETREF(op_defer, defer == Py_None ? NULL : Py_NewRef(defer));
    plain_type = NULL;
    Py_RETURN_NONE;
}

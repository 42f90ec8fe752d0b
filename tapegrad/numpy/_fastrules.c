/* C twins of the first-order fast branches of the hottest NumPy rules.
 *
 * Each twin wraps a Python rule of ufuncs.py or products.py (its "fallback",
 * which stays the reference): a call on the fast branch's inputs is computed
 * here, without the interpreter's frame; any other call (boxes at higher
 * order, kept shapes, other dtypes or shapes, keywords) runs the fallback.
 * The branches mirror the Python ones line by line; see those for the why.
 *
 * NumPy is used only through Python's C API (attributes, methods and the
 * objects that configure() is given), so this builds without NumPy's headers.
 * Loaded by tapegrad/numpy/fastrules.py, with the engine's accelerator.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *ndarray_type, *float64, *subtract, *one, *ones;
static Py_ssize_t max_ones;
static PyObject *s_shape, *s_dtype, *s_ndim, *s_T, *s_dot;

enum { PASS_X, PASS_Y, MATMUL_A, MATMUL_B, TANH, N_KINDS };
static const char *kind_names[N_KINDS] = {"pass_x", "pass_y", "matmul_a", "matmul_b", "tanh"};
static const Py_ssize_t kind_nargs[N_KINDS] = {4, 4, 4, 4, 3};

#define IS_ND(o) ((PyObject *)Py_TYPE(o) == ndarray_type)

/* o.<name> is target; -1 on error */
static int
attr_is(PyObject *o, PyObject *name, PyObject *target)
{
    PyObject *a = PyObject_GetAttr(o, name);
    if (a == NULL)
        return -1;
    int r = a == target;
    Py_DECREF(a);
    return r;
}

/* a 2-D float64 ndarray; -1 on error */
static int
float_matrix(PyObject *o)
{
    if (!IS_ND(o))
        return 0;
    PyObject *nd = PyObject_GetAttr(o, s_ndim);
    if (nd == NULL)
        return -1;
    long n = PyLong_AsLong(nd);
    Py_DECREF(nd);
    if (n == -1 && PyErr_Occurred())
        return -1;
    return n == 2 ? attr_is(o, s_dtype, float64) : 0;
}

/* ufuncs._passed_on (and unbroadcast's row-bias branch): g itself when it has
 * x's shape and dtype; one product with a vector of ones for a row bias. */
static PyObject *
pass_on(PyObject *g, PyObject *x, int *taken)
{
    if (!IS_ND(g) || !IS_ND(x))
        return NULL;
    PyObject *gs = PyObject_GetAttr(g, s_shape), *xs = NULL, *gd = NULL, *xd = NULL, *r = NULL;
    *taken = 1;
    if (gs == NULL || (xs = PyObject_GetAttr(x, s_shape)) == NULL)
        goto done;
    int same = PyObject_RichCompareBool(gs, xs, Py_EQ);
    if (same < 0 || (gd = PyObject_GetAttr(g, s_dtype)) == NULL)
        goto done;
    if (same) {
        if ((xd = PyObject_GetAttr(x, s_dtype)) == NULL)
            goto done;
        if (gd == xd)
            r = Py_NewRef(g);
        else
            *taken = 0;
        goto done;
    }
    /* a bias added to every row: g (n, k), x (k,), float64, n small enough */
    if (gd != float64 || !PyTuple_Check(gs) || !PyTuple_Check(xs) || PyTuple_GET_SIZE(gs) != 2
            || PyTuple_GET_SIZE(xs) != 1) {
        *taken = 0;
        goto done;
    }
    int cols = PyObject_RichCompareBool(PyTuple_GET_ITEM(gs, 1), PyTuple_GET_ITEM(xs, 0), Py_EQ);
    Py_ssize_t rows = PyLong_AsSsize_t(PyTuple_GET_ITEM(gs, 0));
    if (cols < 0 || (rows == -1 && PyErr_Occurred()))
        goto done;
    if (!cols || rows > max_ones) {
        *taken = 0;
        goto done;
    }
    PyObject *o = PyObject_CallOneArg(ones, PyTuple_GET_ITEM(gs, 0));
    if (o != NULL) {
        r = PyObject_CallMethodOneArg(o, s_dot, g);
        Py_DECREF(o);
    }
done:
    Py_XDECREF(gs); Py_XDECREF(xs); Py_XDECREF(gd); Py_XDECREF(xd);
    return r;
}

/* products._matmul_vjp_a / _b on two float64 matrices: g @ b.T, a.T @ g */
static PyObject *
matmul_vjp(PyObject *g, PyObject *other, int transposed_first, int *taken)
{
    int ok = float_matrix(g);
    if (ok > 0)
        ok = float_matrix(other);
    if (ok == 0)
        return NULL;
    *taken = 1;
    if (ok < 0)
        return NULL;
    PyObject *t = PyObject_GetAttr(other, s_T);
    if (t == NULL)
        return NULL;
    PyObject *r = transposed_first ? PyObject_CallMethodOneArg(t, s_dot, g)
                                   : PyObject_CallMethodOneArg(g, s_dot, t);
    Py_DECREF(t);
    return r;
}

/* ufuncs._tanh_vjp: g * (1 - ans**2) in one buffer */
static PyObject *
tanh_vjp(PyObject *g, PyObject *ans, int *taken)
{
    if (!IS_ND(g) || !IS_ND(ans))
        return NULL;
    PyObject *gd = PyObject_GetAttr(g, s_dtype), *ad = NULL, *gs = NULL, *as = NULL, *r = NULL;
    *taken = 1;
    if (gd == NULL || (ad = PyObject_GetAttr(ans, s_dtype)) == NULL || (gs = PyObject_GetAttr(g, s_shape)) == NULL
            || (as = PyObject_GetAttr(ans, s_shape)) == NULL)
        goto done;
    int same = gd == ad ? PyObject_RichCompareBool(gs, as, Py_EQ) : 0;
    if (same <= 0) {
        *taken = same < 0;
        goto done;
    }
    PyObject *t = PyNumber_Multiply(ans, ans);
    if (t == NULL)
        goto done;
    PyObject *args[3] = {one, t, t};
    PyObject *s = PyObject_Vectorcall(subtract, args, 3, NULL);
    if (s != NULL) {
        Py_DECREF(s);
        r = PyNumber_InPlaceMultiply(t, g);
    }
    Py_DECREF(t);
done:
    Py_XDECREF(gd); Py_XDECREF(ad); Py_XDECREF(gs); Py_XDECREF(as);
    return r;
}

/* ----- the twin type: a callable rule with its Python fallback --------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int kind;
    PyObject *fallback;
} RuleObject;

static PyObject *
Rule_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    RuleObject *rule = (RuleObject *)self;
    if (kwnames == NULL && PyVectorcall_NARGS(nargsf) == kind_nargs[rule->kind] && ndarray_type != NULL) {
        int taken = 0;
        PyObject *r = NULL;
        switch (rule->kind) {
        case PASS_X: r = pass_on(args[0], args[2], &taken); break;
        case PASS_Y: r = pass_on(args[0], args[3], &taken); break;
        case MATMUL_A: r = matmul_vjp(args[0], args[3], 0, &taken); break;
        case MATMUL_B: r = matmul_vjp(args[0], args[2], 1, &taken); break;
        default: r = tanh_vjp(args[0], args[1], &taken); break;
        }
        if (taken)
            return r;
    }
    return PyObject_Vectorcall(rule->fallback, args, nargsf, kwnames);
}

static void
Rule_dealloc(RuleObject *self)
{
    Py_XDECREF(self->fallback);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Rule_repr(RuleObject *self)
{
    return PyUnicode_FromFormat("<C twin %s of %R>", kind_names[self->kind], self->fallback);
}

static PyMemberDef Rule_members[] = {
    {"fallback", T_OBJECT, offsetof(RuleObject, fallback), READONLY, "the Python rule it mirrors"},
    {NULL}
};

static PyTypeObject RuleType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tapegrad.numpy._fastrules.Rule",
    .tp_basicsize = sizeof(RuleObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A rule's fast branch in C; other calls go to the Python rule (fallback).",
    .tp_vectorcall_offset = offsetof(RuleObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = (destructor)Rule_dealloc,
    .tp_repr = (reprfunc)Rule_repr,
    .tp_members = Rule_members,
};

static PyObject *
fr_rule(PyObject *self, PyObject *args)
{
    const char *kind;
    PyObject *fallback;
    if (!PyArg_ParseTuple(args, "sO:rule", &kind, &fallback))
        return NULL;
    int k = 0;
    while (k < N_KINDS && strcmp(kind, kind_names[k]) != 0)
        k++;
    if (k == N_KINDS) {
        PyErr_Format(PyExc_ValueError, "no C twin named %s", kind);
        return NULL;
    }
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "the fallback rule must be callable");
        return NULL;
    }
    RuleObject *r = PyObject_New(RuleObject, &RuleType);
    if (r == NULL)
        return NULL;
    r->vectorcall = Rule_vectorcall;
    r->kind = k;
    r->fallback = Py_NewRef(fallback);
    return (PyObject *)r;
}

static PyObject *
fr_configure(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"ndarray", "float64", "subtract", "ones", "max_ones", NULL};
    PyObject *o[4];
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOn:configure", kwlist, &PyType_Type, &o[0], &o[1],
                                     &o[2], &o[3], &limit))
        return NULL;
    PyObject **slots[4] = {&ndarray_type, &float64, &subtract, &ones};
    for (int i = 0; i < 4; i++)
        Py_XSETREF(*slots[i], Py_NewRef(o[i]));
    max_ones = limit;
    Py_RETURN_NONE;
}

static PyMethodDef fr_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))fr_configure, METH_VARARGS | METH_KEYWORDS,
     "Give the twins NumPy's objects (called once by tapegrad.numpy.fastrules)."},
    {"rule", fr_rule, METH_VARARGS, "rule(kind, fallback): the C twin of a Python rule."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef fr_module = {
    PyModuleDef_HEAD_INIT, "tapegrad.numpy._fastrules",
    "C twins of the hottest first-order rules (optional; the Python rules are the reference).", -1,
    fr_methods,
};

#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL

PyMODINIT_FUNC
PyInit__fastrules(void)
{
    INTERN(s_shape, "shape");
    INTERN(s_dtype, "dtype");
    INTERN(s_ndim, "ndim");
    INTERN(s_T, "T");
    INTERN(s_dot, "dot");
    if ((one = PyFloat_FromDouble(1.0)) == NULL)
        return NULL;
    if (PyType_Ready(&RuleType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&fr_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Rule", (PyObject *)&RuleType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

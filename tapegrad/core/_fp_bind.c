/* Recording on a reverse tape and binding a primitive's call to boxes.
 * Part of the C fast path: see _fastpath.c and the Python twins it names.
 */
#include "_fastpath.h"

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

PyObject *
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

PyObject *
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

PyObject *
fp_record2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 7, "record2(trace, prim, node0, node1, v0, v1, ans)"))
        return NULL;
    return record2(args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
}

/* ----- binding: the primitive's call on boxes ------------------------------ */

PyObject *
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

const char *op_names[N_OPS] = {"add", "subtract", "multiply", "divide", "power", "matmul"};
PyObject *op_prims[N_OPS];   /* the primitive of each operator (configure_operators) */
int op_direct[N_OPS];        /* may the plain Python operator compute it on operand types? */
PyObject *operand_types;     /* types on which the Python operator means the ufunc */

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
 * when prim has value_and_jvp rules and the trace fuses (the caller has ruled
 * out a reverse trace, which never does). A new reference: the box,
 * NotImplemented (compute the value alone), or NULL. */
static PyObject *
record_fused(PyObject *trace, PyObject *prim, PyObject *argnums, PyObject *node, PyObject *vals)
{
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
PyObject *
bind_one(PyObject *prim, BoxObject *box, int pos, PyObject *other, int k)
{
    if ((PyObject *)Py_TYPE(box->trace) != ReverseTraceType) {
        /* a trace that computes values itself (batching): primitive._bind asks it */
        int computes = attr_true(box->trace, s_computes);
        if (computes < 0)
            return NULL;
        if (computes)
            return pos == 0 ? call_bind(prim, (PyObject *)box, other) : call_bind(prim, other, (PyObject *)box);
    }
    /* Hold what the box points at: the call may rebind the box (an in-place write). */
    PyObject *v = box->value, *trace = box->trace, *node = box->node;
    Py_INCREF(trace); Py_INCREF(node); Py_INCREF(v);
    PyObject *a = pos == 0 ? v : other, *b = pos == 0 ? other : v;
    PyObject *argnums = pos == 0 ? arg0 : arg1;
    PyObject *r = NULL, *ans = NULL;
    PyObject *vals = b == NULL ? PyTuple_Pack(1, a) : PyTuple_Pack(2, a, b);
    int nested = IS_BOX(v);
    if (vals == NULL)
        goto done;
    if (!nested && (PyObject *)Py_TYPE(trace) != ReverseTraceType) {
        r = record_fused(trace, prim, argnums, node, vals);
        if (r != Py_NotImplemented)
            goto done; /* the box, or an error */
        Py_CLEAR(r);
    }
    ans = apply_op(k, prim, nested, a, b);
    if (ans != NULL)
        r = record_one(trace, prim, argnums, node, vals, ans);
done:
    Py_XDECREF(ans); Py_XDECREF(vals);
    Py_DECREF(trace); Py_DECREF(node); Py_DECREF(v);
    return r;
}

PyObject *
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
            if ((PyObject *)Py_TYPE(bx->trace) != ReverseTraceType) {
                int computes = attr_true(bx->trace, s_computes);
                if (computes < 0)
                    return NULL;
                if (computes)
                    return call_bind(prim, x, y);
            }
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

PyObject *
rbind2(PyObject *prim, PyObject *x, PyObject *y, int k)
{
    if (IS_BOX(x) || !IS_BOX(y))
        return call_bind(prim, x, y);
    return bind_one(prim, (BoxObject *)y, 1, x, k);
}

PyObject *
fp_bind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 3, "bind2(prim, x, y)"))
        return NULL;
    return bind2(args[0], args[1], args[2], OP_NONE);
}

PyObject *
fp_rbind2(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 3, "rbind2(prim, x, y)"))
        return NULL;
    return rbind2(args[0], args[1], args[2], OP_NONE);
}

PyObject *
fp_bind1(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(nargs, 2, "bind1(prim, x)"))
        return NULL;
    PyObject *prim = args[0], *x = args[1];
    if (!IS_BOX(x))
        return call_bind(prim, x, NULL);
    return bind_one(prim, (BoxObject *)x, 0, NULL, OP_NONE);
}

/* The backward sweep: reverse.backward_pass in C.
 * Part of the C fast path: see _fastpath.c and the Python twins it names.
 */
#include "_fastpath.h"

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

PyObject *
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

"""Numerical checks of tapegrad.scipy.integrate: trapezoid, and odeint's adjoint and sensitivity rules."""

import numpy as onp
import pytest
import scipy.integrate as si

import tapegrad.numpy as np
import tapegrad.scipy.integrate as ti
from tapegrad import grad
from tests.rules.harness import Row, expand, run

TOL = dict(rtol=1e-13, atol=1e-13)  # finite differences of a solution need a tight solver
T0 = onp.array([0.0, 0.5, 1.2, 2.0])


def rotate_decay(y, t, k, w):
    return -k * y + np.sin(w * t) * y[::-1]


def logistic(y, t, r):
    return r * y * (1.0 - y)


def layers(y, t, params):
    # a small network's layers, as autograd's ode_net example passes them: a list of (W, b) pairs
    for w, b in params:
        y = np.tanh(np.dot(y, w) + b)
    return y


def times(v):
    return T0 + 0.1 * v  # increasing for v in (-1, 1)


ROWS = [
    Row("trapezoid", ti.trapezoid, [((5,),), ((3, 4),)]),
    Row("trapezoid-x", ti.trapezoid, [((5,), (5,)), ((3, 4), (4,)), ((3, 4), (3, 4))]),
    Row("trapezoid-axis0", lambda y, x: ti.trapezoid(y, x, axis=0), [((3, 4), (3,))]),
    Row("trapezoid-dx", lambda y, dx: ti.trapezoid(y, dx=dx), [((5,), ())], domain=("real", "positive")),
    Row("odeint-y0", lambda y0: ti.odeint(rotate_decay, y0, T0, (onp.array([0.7, 1.3]), 1.1), **TOL), [((2,),)]),
    Row("odeint-t", lambda t: ti.odeint(rotate_decay, onp.array([1.0, 0.5]), times(t), (onp.array([0.7, 1.3]), 1.1), **TOL),
        [((4,),)], domain="unit"),
    Row("odeint-args", lambda k, w: ti.odeint(rotate_decay, onp.array([1.0, 0.5]), T0, (k, w), **TOL), [((2,), ())],
        domain="positive"),
    Row("odeint", lambda y0, t, k, w: ti.odeint(rotate_decay, y0, times(t), (k, w), **TOL), [((2,), (4,), (2,), ())],
        domain=("real", "unit", "positive", "positive")),
    Row("odeint-nested-args", lambda w, b: ti.odeint(layers, onp.array([1.0, 0.5]), T0[:3], ([(w, b)],), **TOL),
        [((2, 2), (2,))]),
    Row("odeint-scalar-arg", lambda y0, r: ti.odeint(logistic, 0.3 * y0, T0, args=(r,), **TOL), [((1,), ())],
        domain="positive"),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_every_public_function_has_a_row():
    assert set(ti.__all__) - {r.name.split("-")[0] for r in ROWS} == set()


def test_values_are_scipys():
    rng = onp.random.default_rng(0)
    y, x = rng.standard_normal((3, 5)), onp.sort(rng.standard_normal(5))
    seen = []

    def f(y):
        out = ti.trapezoid(y, x)
        seen.append(out._value)
        return np.sum(out)

    grad(f)(y)
    onp.testing.assert_allclose(seen[0], si.trapezoid(y, x))
    k, y0 = onp.array([0.7, 1.3]), onp.array([1.0, 0.5])
    got = []

    def g(y0):
        out = ti.odeint(rotate_decay, y0, T0, (k, 1.1))
        got.append(out._value)
        return np.sum(out)

    grad(g)(y0)
    onp.testing.assert_allclose(got[0], si.odeint(lambda y, t: rotate_decay(y, t, k, 1.1), y0, T0))


def test_logistic_growth_gradient_matches_closed_form():
    # y(t) = 1 / (1 + (1/y0 - 1) exp(-r t)); d y(T) / d r in closed form.
    y0, r, T = 0.2, 0.8, 2.0
    c = 1 / y0 - 1
    exact = c * T * onp.exp(-r * T) / (1 + c * onp.exp(-r * T)) ** 2
    g = grad(lambda r: ti.odeint(logistic, onp.array([y0]), onp.array([0.0, T]), (r,), **TOL)[1, 0])(r)
    assert g == pytest.approx(exact, rel=1e-8)


def test_odeint_takes_a_traced_list_of_layers():
    # autograd's ode_net example: odeint(f, y0, t, tuple((params,))), params a list of (W, b) pairs
    from tapegrad.builtins import tuple as traced_tuple
    from tapegrad.test_util import check_grads

    rng = onp.random.default_rng(0)
    params = [(0.5 * rng.standard_normal((2, 3)), 0.1 * rng.standard_normal(3)),
              (0.5 * rng.standard_normal((3, 2)), 0.1 * rng.standard_normal(2))]

    def loss(p):
        return np.sum(ti.odeint(layers, onp.array([1.0, 0.5]), T0[:3], traced_tuple((p,)), **TOL) ** 2)

    check_grads(loss, modes=["rev", "fwd"], order=1)(params)
    g = grad(loss)(params)
    assert [tuple(type(x) for x in pair) for pair in g] == [(onp.ndarray, onp.ndarray)] * 2

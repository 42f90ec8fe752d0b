"""tapegrad.misc: flatten, optimisers, fixed points."""

from collections import namedtuple

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad, hessian, make_jvp
from tapegrad.misc import adam, fixed_point, flatten, flatten_func, rmsprop, sgd
from tapegrad.test_util import check_grads

Pair = namedtuple("Pair", "w b")


def _nested():
    rng = onp.random.default_rng(0)
    return {
        "layer": [rng.standard_normal((2, 3)), rng.standard_normal(3)],
        "scale": 1.5,
        "pair": Pair(rng.standard_normal(2), (0.25, rng.standard_normal((1, 2)))),
    }


# ----- flatten -------------------------------------------------------------------------


def test_flatten_layout_and_roundtrip():
    value = _nested()
    vector, unflatten = flatten(value)
    assert vector.shape == (6 + 3 + 1 + 2 + 1 + 2,)
    # sorted keys: layer, pair, scale
    onp.testing.assert_array_equal(vector[:6], value["layer"][0].ravel())
    assert vector[-1] == 1.5
    back = unflatten(vector)
    assert type(back["pair"]) is Pair and type(back["layer"]) is list and type(back["pair"].b) is tuple
    onp.testing.assert_array_equal(back["layer"][0], value["layer"][0])
    assert back["scale"].shape == () and float(back["scale"]) == 1.5
    onp.testing.assert_array_equal(flatten(back)[0], vector)


def test_flatten_integers_empty_and_complex():
    v, unflatten = flatten((1, onp.array([2, 3])))
    assert v.dtype == onp.float64 and list(v) == [1.0, 2.0, 3.0]
    v, unflatten = flatten({"a": [], "b": ()})
    assert v.shape == (0,) and unflatten(v) == {"a": [], "b": ()}
    v, unflatten = flatten((1.0 + 2.0j, onp.ones(2)))
    assert v.dtype == onp.complex128
    back = unflatten(v + 1j)
    assert back[0] == 1.0 + 3.0j and back[1].dtype == onp.float64


def test_unflatten_rejects_wrong_length():
    _, unflatten = flatten([onp.ones(3)])
    with pytest.raises(ValueError, match="shape"):
        unflatten(onp.ones(4))


def test_gradient_through_flatten():
    value = _nested()
    weights = onp.arange(1.0, 16.0)

    def loss(p):
        return np.sum(flatten(p)[0] ** 2 * weights)

    g = grad(loss)(value)
    flat_g, _ = flatten(g)
    flat_v, _ = flatten(value)
    onp.testing.assert_allclose(flat_g, 2 * flat_v * weights)
    assert type(g["pair"]) is Pair


def test_gradient_through_unflatten_both_modes_order_2():
    value = _nested()
    vector, unflatten = flatten(value)

    def f(v):
        p = unflatten(v)
        return np.sum(np.tanh(p["layer"][0]) @ p["layer"][1]) * p["scale"] + np.sum(p["pair"].b[1] * p["pair"].w)

    check_grads(f, modes=["fwd", "rev"], order=2)(vector)


def test_flatten_of_traced_container_order_2():
    def f(p):
        v, unflatten = flatten(p)
        q = unflatten(np.sin(v))
        return np.sum(q[0] * q[1][0]) + q[1][1]

    check_grads(f, modes=["fwd", "rev"], order=2)((onp.array([0.3, -0.2]), [onp.array([1.0, 2.0]), 0.7]))


def test_flatten_func():
    def func(p, c):
        return {"y": p["a"] * c, "z": np.sum(p["b"])}

    example = {"a": onp.array([1.0, 2.0]), "b": onp.ones((2, 2))}
    flat_func, unflatten, flat_x = flatten_func(func, example)
    out = flat_func(flat_x, 3.0)
    onp.testing.assert_allclose(out, [3.0, 6.0, 4.0])
    assert unflatten(flat_x)["b"].shape == (2, 2)
    jac_row = grad(lambda v: flat_func(v, 3.0)[1])(flat_x)
    onp.testing.assert_allclose(jac_row, [0, 3.0, 0, 0, 0, 0])


def test_flatten_rejects_non_numeric_leaves():
    with pytest.raises(TypeError, match="leaf"):
        flatten({"a": "text"})


# ----- optimisers ----------------------------------------------------------------------

TARGET = {"w": onp.array([[1.0, -2.0], [0.5, 3.0]]), "b": (onp.array([0.3]), -1.0)}


def _loss(p):
    return (np.sum((p["w"] - TARGET["w"]) ** 2) + np.sum((p["b"][0] - TARGET["b"][0]) ** 2)
            + (p["b"][1] - TARGET["b"][1]) ** 2)


def _start():
    return {"w": onp.zeros((2, 2)), "b": (onp.zeros(1), 0.0)}


@pytest.mark.parametrize(
    "optimizer,kwargs",
    [(sgd, dict(num_iters=300, step_size=0.1)), (rmsprop, dict(num_iters=300, step_size=0.05)),
     (adam, dict(num_iters=300, step_size=0.1))],
)
def test_optimizers_reduce_the_loss_on_nested_parameters(optimizer, kwargs):
    calls = []

    def callback(x, i, g):
        calls.append((i, float(_loss(x))))
        assert type(x) is dict and type(x["b"]) is tuple and x["w"].shape == (2, 2)
        assert type(g) is dict and g["w"].shape == (2, 2)

    x0 = _start()
    result = optimizer(lambda p, i: grad(_loss)(p), x0, callback, **kwargs)
    assert [i for i, _ in calls] == list(range(kwargs["num_iters"]))
    assert type(result) is dict and type(result["b"]) is tuple
    assert _loss(result) < 1e-2 * _loss(x0)
    assert calls[-1][1] < calls[0][1]
    assert x0["w"].sum() == 0.0  # the start value is not modified


def test_optimizer_defaults_and_iteration_number():
    seen = []

    def g(x, i):
        seen.append(i)
        return 2 * (x - 1.0)

    sgd(g, onp.zeros(2))
    adam(g, onp.zeros(2))
    rmsprop(g, onp.zeros(2))
    assert seen == list(range(200)) + list(range(100)) + list(range(100))


def test_sgd_step_matches_its_definition():
    # one step from x with momentum: v = -(1 - mass) g, x + step * v
    x = sgd(lambda x, i: onp.array([2.0, -4.0]), onp.array([1.0, 1.0]), num_iters=1, step_size=0.5, mass=0.8)
    onp.testing.assert_allclose(x, [1.0 - 0.5 * 0.2 * 2.0, 1.0 + 0.5 * 0.2 * 4.0])


def test_optimizer_is_differentiable_in_step_size():
    def final_loss(step):
        x = sgd(lambda x, i: 2.0 * x, onp.array([1.0, 2.0]), num_iters=5, step_size=step, mass=0.5)
        return np.sum(x ** 2)

    check_grads(final_loss, modes=["fwd", "rev"], order=1)(0.1)


# ----- fixed points --------------------------------------------------------------------


def newton_sqrt(a):
    return lambda x: 0.5 * (x + a / x)


def max_dist(x, y):
    return np.max(np.abs(x - y))


def test_newton_sqrt_value_and_gradient():
    sqrt = lambda a: fixed_point(newton_sqrt, a, 1.0, max_dist, 1e-12)
    assert sqrt(2.0) == pytest.approx(onp.sqrt(2.0), rel=1e-12)
    assert grad(sqrt)(2.0) == pytest.approx(0.5 / onp.sqrt(2.0), rel=1e-9)
    assert grad(grad(sqrt))(2.0) == pytest.approx(-0.25 * 2.0 ** -1.5, rel=1e-7)
    check_grads(sqrt, modes=["fwd", "rev"], order=2)(2.0)


def test_vector_sqrt_matches_finite_differences():
    sqrt = lambda a: fixed_point(newton_sqrt, a, onp.ones(3), max_dist, 1e-12)
    a = onp.array([0.5, 2.0, 9.0])
    onp.testing.assert_allclose(sqrt(a), onp.sqrt(a))
    check_grads(sqrt, modes=["fwd", "rev"], order=2)(a)
    onp.testing.assert_allclose(np.diag(hessian(lambda a: np.sum(sqrt(a)))(a)), -0.25 * a ** -1.5, rtol=1e-6)


def test_contraction_with_nonzero_state_jacobian():
    # x = a cos(x) (|a| < 1 is a contraction): J_x = -a sin(x*) != 0 exercises the adjoint iteration.
    step = lambda a: lambda x: a * np.cos(x)
    solve = lambda a: fixed_point(step, a, 0.0, lambda x, y: np.abs(x - y), 1e-13)
    a = 0.7
    x = solve(a)
    assert x == pytest.approx(a * onp.cos(x), abs=1e-12)
    exact = onp.cos(x) / (1 + a * onp.sin(x))  # implicit differentiation by hand
    assert grad(solve)(a) == pytest.approx(exact, rel=1e-8)
    assert make_jvp(solve)(a)(1.0)[1] == pytest.approx(exact, rel=1e-8)
    check_grads(solve, modes=["fwd", "rev"], order=2)(a)


def test_container_parameters():
    # x = p + q tanh(x), parameters as a tuple.
    step = lambda params: lambda x: params[0] + params[1] * np.tanh(x)
    solve = lambda p, q: fixed_point(step, (p, q), onp.zeros(2), max_dist, 1e-13)
    p, q = onp.array([0.2, -0.4]), onp.array([0.5, 0.3])
    check_grads(solve, argnum=(0, 1), modes=["fwd", "rev"], order=2)(p, q)


def test_gradient_with_respect_to_start_is_zero():
    solve = lambda x0: fixed_point(newton_sqrt, 3.0, x0, max_dist, 1e-12)
    assert grad(solve)(1.0) == 0.0
    assert make_jvp(solve)(1.0)(1.0)[1] == 0.0

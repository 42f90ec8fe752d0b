"""Numerical checks of the reductions: sum, mean, extrema, prod, ptp, var, std."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.core import make_vjp
from tapegrad.test_util import check_grads

from .harness import Row, expand, make_args, run

C = ("float64", "complex128")
CUBE = ((2, 3, 4),)
ALL = [((),), ((4,),), ((3, 4),), CUBE]
M = [((3, 4),), CUBE]
MASK = onp.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])

ROWS = [
    Row("sum", np.sum, ALL, dtypes=C),
    Row("sum axis=0", lambda x: np.sum(x, axis=0), [((4,),), ((3, 4),), CUBE], dtypes=C),
    Row("sum axis=-1 keepdims", lambda x: np.sum(x, axis=-1, keepdims=True), M, dtypes=C),
    Row("sum axis=(0,2)", lambda x: np.sum(x, axis=(0, 2)), [CUBE], dtypes=C),
    Row("sum axis=(-1,0) keepdims", lambda x: np.sum(x, axis=(-1, 0), keepdims=True), [CUBE]),
    Row("sum method", lambda x: x.sum(1), M),
    Row("sum via numpy", lambda x: onp.sum(x, axis=1), M),
    Row("sum where", lambda x: np.sum(x, axis=1, where=MASK), [((3, 4),)], dtypes=C),
    Row("sum initial", lambda x: np.sum(x, initial=2.0), [((4,),)]),
    Row("mean", np.mean, ALL, dtypes=C),
    Row("mean where", lambda x: np.mean(x, axis=0, where=MASK), [((3, 4),)], dtypes=C),
    Row("mean where all", lambda x: np.mean(x, where=MASK), [((3, 4),)]),
    Row("mean axis=1", lambda x: np.mean(x, axis=1), M, dtypes=C),
    Row("mean axis=(0,-1) keepdims", lambda x: np.mean(x, axis=(0, -1), keepdims=True), [CUBE]),
    Row("max", np.max, ALL),
    Row("max axis=0", lambda x: np.max(x, axis=0), [((4,),), ((3, 4),), CUBE]),
    Row("max axis=(0,2) keepdims", lambda x: np.max(x, axis=(0, 2), keepdims=True), [CUBE]),
    Row("max initial where", lambda x: np.max(x, axis=1, initial=-5.0, where=MASK), [((3, 4),)]),
    Row("max initial wins", lambda x: np.max(x, axis=0, initial=10.0), [((3, 4),)]),
    Row("min", np.min, ALL),
    Row("min axis=-1", lambda x: np.min(x, axis=-1), M),
    Row("amax", np.amax, ALL),
    Row("amax axis=1 via numpy", lambda x: onp.amax(x, axis=1), M),
    Row("amin", np.amin, ALL),
    Row("amin axis=(1,2)", lambda x: np.amin(x, axis=(1, 2)), [CUBE]),
    Row("prod", np.prod, ALL, dtypes=C),
    Row("prod axis=1", lambda x: np.prod(x, axis=1), M, dtypes=C),
    Row("prod axis=(0,-1) keepdims", lambda x: np.prod(x, axis=(0, -1), keepdims=True), [CUBE], dtypes=C),
    Row("prod method", lambda x: x.prod(axis=0), M),
    Row("prod where initial", lambda x: np.prod(x, axis=1, where=MASK, initial=2.0), [((3, 4),)], dtypes=C),
    Row("ptp", np.ptp, ALL),
    Row("ptp axis=0", lambda x: np.ptp(x, axis=0), M),
    Row("ptp axis=-1 keepdims", lambda x: np.ptp(x, axis=-1, keepdims=True), M),
    Row("var", np.var, ALL, dtypes=C),
    Row("var axis=1 ddof=1", lambda x: np.var(x, axis=1, ddof=1), M, dtypes=C),
    Row("var axis=(0,2) keepdims", lambda x: np.var(x, axis=(0, 2), keepdims=True), [CUBE], dtypes=C),
    Row("var where", lambda x: np.var(x, axis=1, where=MASK), [((3, 4),)], dtypes=C),
    Row("var mean=", lambda x: np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True)), [((3, 4),)]),
    Row("std correction=1 where", lambda x: np.std(x, axis=0, correction=1, where=MASK), [((3, 4),)]),
    Row("std", np.std, [((4,),), ((3, 4),), CUBE], dtypes=C),
    Row("std axis=0 ddof=1", lambda x: np.std(x, axis=0, ddof=1), M, dtypes=C),
    Row("std axis=-1 keepdims", lambda x: np.std(x, axis=-1, keepdims=True), M),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_traced_value_matches_numpy(row, shapes, dtype):
    args = make_args(row, shapes, dtype)
    expected = row.fun(*args)
    _, traced = make_vjp(row.fun, args[0])
    onp.testing.assert_allclose(traced, expected, rtol=1e-12, atol=1e-12)


# ----- prod and cumprod where factors are exactly zero -------------------------------


def _with_zeros(shape, zeros, seed):
    rng = onp.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    x.flat[list(zeros)] = 0.0
    return x


ZERO_CASES = [
    ("one zero", (5,), [2], None),
    ("two zeros", (5,), [0, 3], None),
    ("three zeros", (6,), [1, 2, 4], None),
    ("matrix axis=1", (3, 4), [1, 6, 7], 1),
    ("matrix axis=0", (3, 4), [0, 4, 5], 0),
    ("cube axis=(0,2)", (2, 3, 4), [0, 5, 17], (0, 2)),
]


@pytest.mark.parametrize("name,shape,zeros,axis", ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_prod_with_zeros(name, shape, zeros, axis):
    x = _with_zeros(shape, zeros, len(name))
    check_grads(lambda x: np.prod(x, axis=axis), modes=("fwd", "rev"), order=2)(x)
    _, traced = make_vjp(lambda x: np.prod(x, axis=axis), x)
    onp.testing.assert_allclose(traced, onp.prod(x, axis=axis), rtol=1e-14)


def _prod_of_others(x):
    return onp.array([onp.prod(onp.delete(x, i)) for i in range(x.size)])


@pytest.mark.parametrize("zeros", [[2], [0, 3], []], ids=["one", "two", "none"])
def test_prod_gradient_is_product_of_the_others(zeros):
    x = _with_zeros((5,), zeros, 7)
    g = grad(np.prod)(x)
    assert onp.all(onp.isfinite(g))
    onp.testing.assert_allclose(g, _prod_of_others(x), rtol=1e-12)


def test_prod_hessian_with_two_zeros():
    # d2 prod / dx_i dx_j at two zeros i, j is the product of the others; elsewhere 0.
    x = _with_zeros((4,), [1, 3], 3)
    h = np.stack([grad(lambda x, i=i: grad(np.prod)(x)[i])(x) for i in range(4)])
    expected = onp.zeros((4, 4))
    expected[1, 3] = expected[3, 1] = x[0] * x[2]
    onp.testing.assert_allclose(h, expected, atol=1e-14)


def test_prod_third_derivative_with_three_zeros():
    # The mixed third derivative over the three zeros is the product of the other factors.
    x = _with_zeros((5,), [0, 2, 3], 5)

    def d3(x):
        return grad(lambda x: grad(lambda x: grad(np.prod)(x)[0])(x)[2])(x)

    expected = onp.zeros(5)
    expected[3] = x[1] * x[4]
    onp.testing.assert_allclose(d3(x), expected, atol=1e-14)

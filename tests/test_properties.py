"""Property-based checks: elementwise functions and reductions over random shapes, axes and broadcasting.

Hypothesis draws the shapes, axes, keepdims flags and a seed; the values come
from NumPy's generator in a domain where the function is smooth. Each example
checks the values against plain NumPy and the derivatives (forward and
reverse, to second order) against central finite differences.
"""

from __future__ import annotations

import numpy as onp
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tapegrad.numpy as np  # noqa: E402
from tapegrad.test_util import check_grads  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
# Tests parametrized by function (so each function is sure to be drawn) take fewer examples each.
PER_FUNCTION = settings(SETTINGS, max_examples=20)

DOMAINS = {
    "real": lambda rng, s: rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "above1": lambda rng, s: rng.uniform(1.1, 3.0, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s),
}


def draw_array(seed: int, shape: tuple, domain: str, complex_: bool = False) -> onp.ndarray:
    rng = onp.random.default_rng(seed)
    a = DOMAINS[domain](rng, shape)
    if complex_:
        a = a + 0.3j * DOMAINS[domain](rng, shape)
    return onp.asarray(a)


def check(fun, args: list, argnum, plain_fun=None) -> None:
    """Values equal to NumPy's; derivatives agree with finite differences (fwd and rev, order 2)."""
    expected = (plain_fun or fun)(*args)
    onp.testing.assert_allclose(fun(*args), expected, rtol=1e-12, atol=1e-12)
    check_grads(fun, argnum=argnum, modes=("fwd", "rev"), order=2)(*args)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)

# ----- elementwise ------------------------------------------------------------------

# name -> (function, domain, accepts complex)
UNARY = {
    "sin": (np.sin, "real", True),
    "cos": (np.cos, "real", True),
    "tan": (np.tan, "unit", True),
    "tanh": (np.tanh, "real", True),
    "exp": (np.exp, "real", True),
    "expm1": (np.expm1, "real", False),
    "log": (np.log, "positive", True),
    "log1p": (np.log1p, "positive", False),
    "sqrt": (np.sqrt, "positive", True),
    "cbrt": (np.cbrt, "nonzero", False),
    "square": (np.square, "real", True),
    "reciprocal": (np.reciprocal, "nonzero", True),
    "absolute": (np.absolute, "nonzero", True),
    "arcsin": (np.arcsin, "unit", True),
    "arccos": (np.arccos, "unit", True),
    "arctan": (np.arctan, "real", True),
    "arcsinh": (np.arcsinh, "real", True),
    "arccosh": (np.arccosh, "above1", True),
    "arctanh": (np.arctanh, "unit", True),
    "sinc": (np.sinc, "real", True),
    "i0": (np.i0, "real", False),
    "deg2rad": (np.deg2rad, "real", False),
}

# name -> (function, domains, accepts complex)
BINARY = {
    "add": (np.add, ("real", "real"), True),
    "subtract": (np.subtract, ("real", "real"), True),
    "multiply": (np.multiply, ("real", "real"), True),
    "divide": (np.divide, ("real", "nonzero"), True),
    "power": (np.power, ("positive", "real"), False),
    "float_power": (np.float_power, ("positive", "real"), True),
    "hypot": (np.hypot, ("nonzero", "nonzero"), False),
    "arctan2": (np.arctan2, ("nonzero", "nonzero"), False),
    "logaddexp": (np.logaddexp, ("real", "real"), False),
    "logaddexp2": (np.logaddexp2, ("real", "real"), False),
    "maximum": (np.maximum, ("real", "real"), True),
    "minimum": (np.minimum, ("real", "real"), False),
    "fmax": (np.fmax, ("real", "real"), False),
    "fmin": (np.fmin, ("real", "real"), False),
    "copysign": (np.copysign, ("nonzero", "nonzero"), False),
    "fmod": (np.fmod, ("real", "nonzero"), False),
    "remainder": (np.remainder, ("real", "nonzero"), False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@PER_FUNCTION
@given(shape=shapes, seed=seeds, complex_=st.booleans())
def test_unary_elementwise(name, shape, seed, complex_):
    fun, domain, takes_complex = UNARY[name]
    x = draw_array(seed, shape, domain, complex_ and takes_complex)
    check(fun, [x], 0, getattr(onp, name))


@pytest.mark.parametrize("name", sorted(BINARY))
@PER_FUNCTION
@given(bshapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), seed=seeds, complex_=st.booleans())
def test_binary_elementwise_broadcasting(name, bshapes, seed, complex_):
    fun, domains, takes_complex = BINARY[name]
    (sx, sy), _ = bshapes
    x = draw_array(seed, sx, domains[0], complex_ and takes_complex)
    y = draw_array(seed + 1, sy, domains[1], complex_ and takes_complex)
    check(fun, [x, y], (0, 1), getattr(onp, name))


@SETTINGS
@given(bshapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4), seed=seeds)
def test_clip_broadcasting(bshapes, seed):
    (sa, slo, sw), _ = bshapes
    a, lo, w = draw_array(seed, sa, "real"), draw_array(seed + 1, slo, "real"), draw_array(seed + 2, sw, "real")

    def clip(a, lo, w):
        return np.clip(a, lo, lo + 0.5 + w * w)

    check(clip, [a, lo, w], (0, 1, 2), lambda a, lo, w: onp.clip(a, lo, lo + 0.5 + w * w))


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_where_over_broadcast_branches(shape, seed):
    x = draw_array(seed, shape, "real")
    y = draw_array(seed + 1, shape[-1:], "positive")
    f = lambda x, y: np.where(x > 0, np.sqrt(np.abs(x)) * y, np.log(y) + x)  # noqa: E731
    check(f, [x, y], (0, 1), lambda x, y: onp.where(x > 0, onp.sqrt(onp.abs(x)) * y, onp.log(y) + x))


# ----- reductions -------------------------------------------------------------------


@st.composite
def shape_and_axis(draw):
    """A shape and an axis argument for it: None, an int or a tuple of distinct ints (either sign)."""
    shape = draw(shapes)
    ndim = len(shape)
    if ndim == 0:
        return shape, draw(st.sampled_from([None, ()]))
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    return shape, tuple(a - ndim if neg else a for a, neg in zip(axes, signs))


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return int(onp.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(onp.prod([shape[a] for a in axes]))


REDUCTIONS = {
    "sum": "real",
    "mean": "real",
    "prod": "nonzero",
    "max": "real",
    "min": "real",
    "var": "real",
    "std": "real",
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds, complex_=st.booleans())
def test_reductions(name, sa, keepdims, seed, complex_):
    shape, axis = sa
    if name in ("var", "std"):
        assume(_count(shape, axis) >= 2)  # a single element has zero spread: not differentiable (std)
    x = draw_array(seed, shape, REDUCTIONS[name], complex_ and name in ("sum", "mean", "prod", "var", "std"))
    ours, theirs = getattr(np, name), getattr(onp, name)
    check(lambda x: ours(x, axis=axis, keepdims=keepdims), [x], 0, lambda x: theirs(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("name", ["var", "std"])
@SETTINGS
@given(sa=shape_and_axis(), keepdims=st.booleans(), ddof=st.integers(0, 1), seed=seeds)
def test_var_std_ddof(name, sa, keepdims, ddof, seed):
    shape, axis = sa
    assume(_count(shape, axis) >= 2 + ddof)
    x = draw_array(seed, shape, "real")
    ours, theirs = getattr(np, name), getattr(onp, name)
    check(lambda x: ours(x, axis=axis, ddof=ddof, keepdims=keepdims), [x], 0, lambda x: theirs(x, axis=axis, ddof=ddof, keepdims=keepdims))


@SETTINGS
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_reduction_of_broadcast_elementwise(sa, keepdims, seed):
    # a chain: a broadcasting binary op feeding a reduction over random axes
    shape, axis = sa
    x = draw_array(seed, shape, "real")
    y = draw_array(seed + 1, shape[-1:], "positive")
    f = lambda x, y: np.sum(np.logaddexp(x, y) * np.sin(x / y), axis=axis, keepdims=keepdims)  # noqa: E731
    check(f, [x, y], (0, 1), lambda x, y: onp.sum(onp.logaddexp(x, y) * onp.sin(x / y), axis=axis, keepdims=keepdims))

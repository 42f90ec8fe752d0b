"""logsumexp computed with NumPy (tapegrad/scipy/special/_lse_numpy.py) against SciPy's own.

logsumexp (and traced calls of softmax and log_softmax) compute their values
with SciPy's algorithm written in NumPy. SciPy is the oracle: the values agree
to rounding with any SciPy, and bit for bit with SciPy 1.15 and later, whose
algorithm it is (the largest term outside the sum, added back with log1p);
only then do plain calls use it.
"""

import warnings

import numpy as onp
import pytest
import scipy.special as ss
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad.numpy as np
import tapegrad.scipy.special as sp
from tapegrad import grad, make_jvp
from tapegrad.scipy.special._lse_numpy import SAME_AS_SCIPY
from tapegrad.scipy.special._lse_numpy import logsumexp as lse_numpy

SAME_ALGORITHM = SAME_AS_SCIPY

SPECIAL = [0.0, 1.0, -1.0, 80.0, -80.0, 700.0, -700.0, onp.inf, -onp.inf, onp.nan]
HUGE = {onp.float64: [1e308, -1e308], onp.float32: [3e38, -3e38]}  # near each dtype's largest value


def _agree(ours, scipys):
    """Same type, shape and dtype; values bit for bit (SciPy >= 1.15) or to rounding."""
    assert type(ours) is type(scipys)
    ours, scipys = onp.asarray(ours), onp.asarray(scipys)
    assert ours.shape == scipys.shape and ours.dtype == scipys.dtype
    if SAME_ALGORITHM:
        onp.testing.assert_array_equal(ours, scipys)
    else:
        onp.testing.assert_allclose(ours, scipys, rtol=1e-13, atol=0)


@st.composite
def _calls(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    dtype = draw(st.sampled_from([onp.float64, onp.float32]))
    elements = st.floats(-50, 50, width=32 if dtype is onp.float32 else 64) | st.sampled_from(SPECIAL + HUGE[dtype])
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    if draw(st.booleans()):
        a = onp.asfortranarray(a)  # the layout decides the order of SciPy's sums, so it is compared too
    b = None
    if draw(st.booleans()):
        b_shape = draw(hnp.broadcastable_shapes(shape, min_side=1))
        b = draw(hnp.arrays(dtype, b_shape, elements=st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, -3.0])))
    axes = [None] + list(range(-len(shape), len(shape)))
    if len(shape) >= 2:
        axes.append((0, len(shape) - 1))
    axis = draw(st.sampled_from(axes))
    return a, b, axis, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=400, deadline=None)
@given(_calls())
# weights broadcast to more rows than a has: SciPy sums over its copy's layout (order K), not C order
@example((onp.array([0.0, 2.0 ** -9, -1.0, -1.0]), onp.ones((3, 1)), None, False, False))
def test_values_and_signs_agree_with_scipy(call):
    a, b, axis, keepdims, return_sign = call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's own warnings (overflow in float32...), not compared
        scipys = ss.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    if b is not None and onp.broadcast_shapes(a.shape, b.shape) != a.shape:
        a = onp.broadcast_to(a, onp.broadcast_shapes(a.shape, b.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and it raises none of its own
        ours = lse_numpy(a, b, axis, keepdims, return_sign)
    if return_sign:
        _agree(ours[0], scipys[0])
        _agree(ours[1], scipys[1])
    else:
        _agree(ours, scipys)


def test_whole_slices_of_infinities_and_nans():
    a = onp.array([[-onp.inf, -onp.inf], [onp.inf, 1.0], [onp.nan, 0.0], [onp.inf, -onp.inf], [1e308, 1e308],
                   [0.5, 0.5]])
    for axis in (None, 1, -1):
        _agree(lse_numpy(a, None, axis), ss.logsumexp(a, axis=axis))
    b = onp.array([[1.0, 1.0], [0.0, 1.0], [0.0, 2.0], [1.0, -1.0], [1.0, -1.0], [1.0, -1.0]])
    for sign in (False, True):
        ours, scipys = lse_numpy(a, b, 1, False, sign), ss.logsumexp(a, axis=1, b=b, return_sign=sign)
        for x, y in zip(ours if sign else [ours], scipys if sign else [scipys]):
            _agree(x, y)


def test_what_it_leaves_to_scipy():
    # complex, empty, integer, mixed dtypes, lists: None, and the traced call then asks SciPy itself
    assert lse_numpy(onp.array([1.0 + 1j, 2.0])) is None
    assert lse_numpy(onp.zeros((0, 3))) is None
    assert lse_numpy(onp.arange(3)) is None
    assert lse_numpy(onp.ones(3), onp.ones(3, onp.float32)) is None
    assert lse_numpy([1.0, 2.0]) is None
    z = onp.array([1.0 + 1j, 2.0, -0.5j])
    value, _ = make_jvp(lambda x: sp.logsumexp(x * 1.0))(z)(onp.ones(3))
    assert value == ss.logsumexp(z)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_traced_values_are_scipys(axis):
    x = onp.random.RandomState(0).randn(4, 5) * 3
    seen = {}

    def f(x):
        seen["lse"] = sp.logsumexp(x, axis=axis)
        seen["softmax"] = sp.softmax(x, axis=axis)
        seen["log_softmax"] = sp.log_softmax(x, axis=axis)
        return np.sum(seen["lse"]) + np.sum(seen["softmax"] ** 2) + np.sum(seen["log_softmax"])

    grad(f)(x)
    _agree(seen["lse"]._value, ss.logsumexp(x, axis=axis))
    onp.testing.assert_allclose(seen["softmax"]._value, ss.softmax(x, axis=axis), rtol=1e-13)
    onp.testing.assert_allclose(seen["log_softmax"]._value, ss.log_softmax(x, axis=axis), rtol=1e-13)


def test_gradient_is_the_softmax():
    x = onp.random.RandomState(1).randn(3, 6)
    g = grad(lambda x: np.sum(sp.logsumexp(x, axis=1) * onp.array([1.0, 2.0, -1.0])))(x)
    onp.testing.assert_allclose(g, ss.softmax(x, axis=1) * onp.array([[1.0], [2.0], [-1.0]]), rtol=1e-13)


def test_plain_calls_give_scipys_values_whatever_the_layout():
    rng = onp.random.default_rng(1)
    for _ in range(60):
        a = rng.normal(size=tuple(rng.integers(1, 30, size=rng.integers(1, 4)))) * rng.uniform(0.1, 30)
        for x in (a, onp.asfortranarray(a), a[..., ::2], onp.swapaxes(a, 0, -1)):
            for axis in [None, *range(x.ndim)] + ([(0, x.ndim - 1)] if x.ndim > 1 else []):
                _agree(sp.logsumexp(x, axis=axis), ss.logsumexp(x, axis=axis))
    b = onp.array([1.0, -2.0, 0.0])
    _agree(sp.logsumexp(onp.array([0.5, 0.1, 3.0]), b=b, return_sign=True)[1],
           ss.logsumexp(onp.array([0.5, 0.1, 3.0]), b=b, return_sign=True)[1])
    assert sp.logsumexp([1.0, 2.0]) == ss.logsumexp([1.0, 2.0])  # a list: SciPy's own call

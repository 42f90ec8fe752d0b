"""vmap of tapegrad.scipy's linear algebra and convolutions against SciPy applied to each example.

The rule table (``tests/rules/test_batching.py``) maps every row over stacked
arguments, or over the first argument alone; here: the stacked calls that must
give SciPy's values bit for bit, one matrix (or signal) shared by every example
while the other argument is batched, nested maps, and the cases a rule hands
back to the loop (non-finite values: SciPy's own error). ``strict`` makes the
fallback loop an error, so each check is of a rule.
"""

import numpy as onp
import pytest
import scipy.linalg as sl
import scipy.signal as ss

import tapegrad.numpy as np
import tapegrad.scipy.linalg as la
import tapegrad.scipy.signal as sg
from tapegrad import grad, vmap
from tapegrad.core import batching as core_batching

RNG = onp.random.default_rng(7)
A = RNG.standard_normal((5, 4, 4))
SPD = A @ onp.swapaxes(A, -1, -2) + 4 * onp.eye(4)
WELL = A + 4 * onp.eye(4)
RHS = RNG.standard_normal((5, 4))
RHS2 = RNG.standard_normal((5, 4, 3))
BANDS = RNG.standard_normal((5, 4, 4)) + onp.array([[0.0], [0.0], [5.0], [0.0]])  # (1, 2) bands


@pytest.fixture
def strict(monkeypatch):
    def no_loop(fun, *args, **kwargs):
        raise AssertionError(f"vmap looped over {getattr(fun, '__name__', fun)}")

    monkeypatch.setattr(core_batching, "looped", no_loop)


def _loop(f, args, in_axes):
    size = next(onp.shape(a)[0] for a, d in zip(args, in_axes) if d is not None)
    return [f(*[a if d is None else a[i] for a, d in zip(args, in_axes)]) for i in range(size)]


def _stacked(results):
    if isinstance(results[0], tuple):
        return tuple(onp.stack([r[k] for r in results]) for k in range(len(results[0])))
    return onp.stack(results)


@pytest.mark.parametrize("name, fun, x", [
    ("inv", sl.inv, WELL), ("det", sl.det, A), ("expm", sl.expm, 0.5 * A), ("sqrtm", sl.sqrtm, SPD),
    ("eigh", sl.eigh, SPD), ("eigh-upper", lambda a: sl.eigh(a, lower=False), SPD + A),
    ("lu_factor", lambda a: sl.lu_factor(a)[0], A),
])
def test_scipys_stacked_calls_are_its_loop_bit_for_bit(name, fun, x, strict):
    ours = getattr(la, name.split("-")[0])
    f = {"eigh-upper": lambda a: ours(a, lower=False), "lu_factor": lambda a: ours(a)[0]}.get(name, ours)
    got = vmap(f)(x)
    want = _stacked([fun(e) for e in x])
    for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        onp.testing.assert_array_equal(g, w)


TRI = [{}, {"lower": True}, {"trans": 1}, {"trans": "T", "lower": True}, {"trans": "C", "lower": True},
       {"unit_diagonal": True}, {"unit_diagonal": True, "trans": 1, "lower": True}]


@pytest.mark.parametrize("kw", TRI, ids=str)
@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None)], ids=str)
@pytest.mark.parametrize("rhs", [RHS, RHS2], ids=["vectors", "matrices"])
def test_solve_triangular(kw, in_axes, rhs, strict):
    a = WELL + 1j * A if kw.get("trans") == "C" else WELL
    args = (a if in_axes[0] is not None else a[0], rhs if in_axes[1] is not None else rhs[0])
    f = lambda a, b: la.solve_triangular(a, b, **kw)  # noqa: E731
    want = _stacked(_loop(lambda a, b: sl.solve_triangular(a, b, **kw), args, in_axes))
    onp.testing.assert_allclose(vmap(f, in_axes)(*args), want, rtol=1e-12, atol=1e-13)
    if kw.get("trans") != "C":  # per-example gradients, both arguments
        loss = lambda a, b: np.sum(np.sin(f(a, b)))  # noqa: E731
        got = vmap(grad(loss, (0, 1)), in_axes)(*args)
        expected = _loop(grad(loss, (0, 1)), args, in_axes)
        for k in range(2):
            onp.testing.assert_allclose(got[k], _stacked([e[k] for e in expected]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", TRI[:4], ids=str)
def test_solve_triangular_large_shared_matrix(kw, strict):
    """A large matrix for every example: one SciPy solve, the examples' right-hand sides its columns."""
    a = RNG.standard_normal((40, 40)) + 10 * onp.eye(40)
    for rhs in (RNG.standard_normal((5, 40)), RNG.standard_normal((5, 40, 2))):
        f = lambda a, b: la.solve_triangular(a, b, **kw)  # noqa: E731
        want = _stacked([sl.solve_triangular(a, r, **kw) for r in rhs])
        onp.testing.assert_allclose(vmap(f, (None, 0))(a, rhs), want, rtol=1e-12, atol=1e-13)
        loss = lambda a, b: np.sum(np.sin(f(a, b)))  # noqa: E731
        got = vmap(grad(loss, (0, 1)), (None, 0))(a, rhs)
        expected = [grad(loss, (0, 1))(a, r) for r in rhs]
        for k in range(2):
            onp.testing.assert_allclose(got[k], _stacked([e[k] for e in expected]), rtol=1e-10, atol=1e-12)
        through = grad(lambda a: np.sum(vmap(f, (None, 0))(a, rhs) ** 2))(a)
        onp.testing.assert_allclose(through, sum(grad(lambda a, r=r: np.sum(f(a, r) ** 2))(a) for r in rhs), rtol=1e-10)


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None)], ids=str)
@pytest.mark.parametrize("rhs", [RHS, RHS2], ids=["vectors", "matrices"])
def test_solve_banded_and_lu_solve(in_axes, rhs, strict):
    for ours, theirs, mats in [
        (lambda ab, b: la.solve_banded((1, 2), ab, b), lambda ab, b: sl.solve_banded((1, 2), ab, b), BANDS),
        (lambda a, b: la.lu_solve(la.lu_factor(a), b), lambda a, b: sl.lu_solve(sl.lu_factor(a), b), A),
        (lambda a, b: la.lu_solve(la.lu_factor(a), b, trans=1), lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1), A),
        (lambda a, b: la.cho_solve(la.cho_factor(a), b), lambda a, b: sl.cho_solve(sl.cho_factor(a), b), SPD),
    ]:
        args = (mats if in_axes[0] is not None else mats[0], rhs if in_axes[1] is not None else rhs[0])
        onp.testing.assert_allclose(vmap(ours, in_axes)(*args), _stacked(_loop(theirs, args, in_axes)), rtol=1e-11, atol=1e-12)
        loss = lambda m, b: np.sum(ours(m, b) ** 2)  # noqa: E731
        got = vmap(grad(loss), in_axes)(*args)
        onp.testing.assert_allclose(got, _stacked(_loop(grad(loss), args, in_axes)), rtol=1e-10, atol=1e-12)


def test_cholesky_and_its_gradient_through_vmap(strict):
    for lower in (False, True):
        f = lambda a: la.cholesky(a, lower=lower)  # noqa: E731
        onp.testing.assert_allclose(vmap(f)(SPD), _stacked([sl.cholesky(s, lower=lower) for s in SPD]), rtol=1e-13, atol=1e-14)
        w = RNG.standard_normal(SPD.shape)
        through = grad(lambda s: np.sum(vmap(f)(s) * w))(SPD)
        loop = _stacked([grad(lambda s, i=i: np.sum(f(s) * w[i]))(SPD[i]) for i in range(len(SPD))])
        onp.testing.assert_allclose(through, loop, rtol=1e-10, atol=1e-12)


def test_nested_vmap(strict):
    x = onp.stack([SPD, SPD + 1.0 * onp.eye(4)])
    b = onp.stack([RHS, 2 * RHS])
    onp.testing.assert_allclose(vmap(vmap(la.cholesky))(x), sl.cholesky(x), rtol=1e-13, atol=1e-14)
    got = vmap(vmap(lambda a, b: la.solve_triangular(a, b, lower=True)))(x, b)
    onp.testing.assert_allclose(got, onp.linalg.solve(onp.tril(x), b[..., None])[..., 0], rtol=1e-12, atol=1e-13)
    onp.testing.assert_array_equal(vmap(vmap(la.expm))(0.1 * x), sl.expm(0.1 * x))


def test_block_diag(strict):
    p, q, r = RNG.standard_normal((5, 2, 3)), RNG.standard_normal((5, 2)), RNG.standard_normal(5)
    got = vmap(la.block_diag)(p, q, r)
    onp.testing.assert_array_equal(got, _stacked([sl.block_diag(*e) for e in zip(p, q, r)]))
    got = vmap(lambda x: la.block_diag(p[0], x, 7, onp.zeros((0,))))(q)
    onp.testing.assert_array_equal(got, _stacked([sl.block_diag(p[0], e, 7, onp.zeros((0,))) for e in q]))
    g = vmap(grad(lambda x, y: np.sum(la.block_diag(x, y) ** 3), (0, 1)))(p, q)
    onp.testing.assert_allclose(g[0], 3 * p**2)
    onp.testing.assert_allclose(g[1], 3 * q**2)


CONV = [((6,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((2, 2), (4, 3)), ((3, 2, 2), (2, 2, 2))]


@pytest.mark.parametrize("s1, s2", CONV, ids=str)
@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None)], ids=str)
@pytest.mark.parametrize("name", ["convolve", "convolve-fft", "convolve-direct", "fftconvolve", "convolve2d", "correlate"])
def test_convolutions(name, s1, s2, in_axes, strict):
    if name == "convolve2d" and len(s1) != 2:
        return
    method = name.split("-")[1] if "-" in name else None
    ours, theirs = getattr(sg, name.split("-")[0]), getattr(ss, name.split("-")[0])
    a, b = RNG.standard_normal((5,) + s1), RNG.standard_normal((5,) + s2)
    args = (a if in_axes[0] is not None else a[0], b if in_axes[1] is not None else b[0])
    for mode in ("full", "same", "valid"):
        kw = {"mode": mode, **({"method": method} if method else {})}
        want = _stacked(_loop(lambda x, y: theirs(x, y, **kw), args, in_axes))
        got = vmap(lambda x, y: ours(x, y, **kw), in_axes)(*args)
        assert got.shape == want.shape and got.dtype == want.dtype
        onp.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)
        loss = lambda x, y: np.sum(ours(x, y, **kw) ** 2)  # noqa: E731
        got = vmap(grad(loss, (0, 1)), in_axes)(*args)
        expected = _loop(grad(loss, (0, 1)), args, in_axes)
        for k in range(2):
            onp.testing.assert_allclose(got[k], _stacked([e[k] for e in expected]), rtol=1e-10, atol=1e-11)


def test_integer_convolution_is_scipys():
    a, b = onp.arange(15).reshape(3, 5), onp.array([1, -2, 3])
    for mode in ("full", "same", "valid"):
        got = vmap(lambda x: sg.convolve(x, b, mode))(a)
        want = _stacked([ss.convolve(x, b, mode) for x in a])
        assert got.dtype == want.dtype
        onp.testing.assert_array_equal(got, want)


def test_non_finite_values_get_scipys_error():
    bad = SPD.copy()
    bad[2, 1, 1] = onp.nan  # on the diagonal: in the triangle each reads
    for f in (la.cholesky, lambda a: la.solve_triangular(a, RHS[0], lower=True)):
        with pytest.raises(ValueError, match="infs or NaNs"):
            f(bad[2])
        with pytest.raises(ValueError, match="infs or NaNs"):
            vmap(f)(bad)

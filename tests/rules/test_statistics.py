"""Numerical checks of the statistics family: scans, differences, order statistics,
NaN-ignoring reductions, averages, covariance and histograms."""

import warnings

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.core import make_vjp
from tapegrad.test_util import check_grads

from .harness import Row, expand, make_args, run

C = ("float64", "complex128")
CUBE = ((2, 3, 4),)
ALL = [((),), ((4,),), ((3, 4),)]
VM = [((4,),), ((3, 4),)]
M = [((3, 4),)]


def nanify(x):
    """NaNs at a fixed pattern of entries (never a whole row or column of a 3x4 matrix)."""
    if np.ndim(x) == 0:
        return x
    mask = (onp.arange(int(onp.prod(np.shape(x)))) % 3 == 1).reshape(np.shape(x))
    return np.where(mask, onp.nan, x)


IDX = onp.array([2, 0, 2, 5])
MASK = onp.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])

ROWS = [
    # ----- scans
    Row("cumsum", np.cumsum, ALL, dtypes=C),
    Row("cumsum axis=0", lambda x: np.cumsum(x, axis=0), VM, dtypes=C),
    Row("cumsum axis=1", lambda x: np.cumsum(x, axis=1), M),
    Row("cumsum axis=-2", lambda x: np.cumsum(x, axis=-2), [CUBE]),
    Row("cumsum via numpy", lambda x: onp.cumsum(x, 1), M),
    Row("cumprod", np.cumprod, ALL, dtypes=C),
    Row("cumprod axis=0", lambda x: np.cumprod(x, axis=0), VM, dtypes=C),
    Row("cumprod axis=1", lambda x: np.cumprod(x, axis=1), M),
    Row("cumprod axis=-1", lambda x: np.cumprod(x, axis=-1), [CUBE]),
    Row("cumulative_sum", np.cumulative_sum, [((4,),)], dtypes=C),
    Row("cumulative_sum axis=1 include_initial", lambda x: np.cumulative_sum(x, axis=1, include_initial=True), M),
    Row("cumulative_prod", np.cumulative_prod, [((4,),)], dtypes=C),
    Row("cumulative_prod axis=0 include_initial", lambda x: np.cumulative_prod(x, axis=0, include_initial=True), M),
    # ----- differences and integrals
    Row("diff", np.diff, VM, dtypes=C),
    Row("diff n=2 axis=0", lambda x: np.diff(x, n=2, axis=0), M),
    Row("diff prepend=0 append=array", lambda x, a: np.diff(x, prepend=0.0, append=a), [((3, 4), (3, 1))], dtypes=C),
    Row("diff n=3 append", lambda x, a: np.diff(x, 3, append=a), [((5,), (2,))]),
    Row("ediff1d", np.ediff1d, VM, dtypes=C),
    Row("ediff1d to_begin to_end", lambda x, b, e: np.ediff1d(x, to_end=e, to_begin=b), [((4,), (), (2,))]),
    Row("gradient", np.gradient, [((4,),), ((5,),)], dtypes=C),
    Row("gradient matrix", np.gradient, M),
    Row("gradient spacing", lambda f, h: np.gradient(f, h), [((5,), ())], domain=("real", "positive")),
    Row("gradient axis=1 spacing", lambda f: np.gradient(f, 0.5, axis=1), M),
    Row("gradient edge_order=2", lambda f: np.gradient(f, 2.0, edge_order=2), [((5,),), ((3, 4),)]),
    Row("gradient coordinates", lambda f, h: np.gradient(f, np.cumsum(h)), [((5,), (5,))], domain=("real", "positive")),
    Row("gradient coordinates edge_order=2 axis=0", lambda f, h: np.gradient(f, np.cumsum(h), axis=0, edge_order=2),
        [((4, 3), (4,))], domain=("real", "positive")),
    Row("trapezoid", np.trapezoid, VM, dtypes=C),
    Row("trapezoid dx axis=0", lambda y, d: np.trapezoid(y, dx=d, axis=0), [((3, 4), ())]),
    Row("trapezoid x", lambda y, h: np.trapezoid(y, np.cumsum(h)), [((4,), (4,)), ((3, 4), (4,))], domain=("real", "positive")),
    Row("trapezoid x matrix axis=0", lambda y, x: np.trapezoid(y, x, axis=0), [((3, 4), (3, 4))]),
    # ----- order statistics
    Row("median", np.median, ALL),
    Row("median axis=0", lambda x: np.median(x, axis=0), M),
    Row("median axis=(0,2) keepdims", lambda x: np.median(x, axis=(0, 2), keepdims=True), [CUBE]),
    Row("percentile", lambda x: np.percentile(x, 30.0), ALL),
    Row("percentile q array axis=1", lambda x: np.percentile(x, [10.0, 50.0, 95.0], axis=1), M),
    Row("percentile method=nearest", lambda x: np.percentile(x, 40.0, axis=0, method="nearest"), M),
    Row("quantile", lambda x: np.quantile(x, 0.3), ALL),
    Row("quantile axis=-1 keepdims", lambda x: np.quantile(x, [0.25, 0.8], axis=-1, keepdims=True), [CUBE]),
    Row("quantile method=lower", lambda x: np.quantile(x, 0.3, method="lower"), VM),
    Row("quantile method=higher", lambda x: np.quantile(x, 0.3, axis=1, method="higher"), M),
    Row("quantile method=midpoint", lambda x: np.quantile(x, [0.3, 0.6], method="midpoint"), VM),
    Row("quantile method=hazen", lambda x: np.quantile(x, 0.3, axis=0, method="hazen"), M),
    Row("quantile method=median_unbiased", lambda x: np.quantile(x, 0.7, method="median_unbiased"), VM),
    Row("quantile method=inverted_cdf", lambda x: np.quantile(x, 0.7, method="inverted_cdf"), VM),
    Row("quantile method=averaged_inverted_cdf", lambda x: np.quantile(x, 0.5, method="averaged_inverted_cdf"), VM),
    Row("quantile method=closest_observation", lambda x: np.quantile(x, 0.45, method="closest_observation"), VM),
    # ----- NaN-ignoring
    Row("nansum", lambda x: np.nansum(nanify(x)), ALL, dtypes=C),
    Row("nansum axis=1", lambda x: np.nansum(nanify(x), axis=1), M, dtypes=C),
    Row("nansum where initial", lambda x: np.nansum(nanify(x), axis=1, where=MASK, initial=1.5), M, dtypes=C),
    Row("nanmean", lambda x: np.nanmean(nanify(x)), ALL, dtypes=C),
    Row("nanmean where", lambda x: np.nanmean(nanify(x), axis=0, where=MASK), M),
    Row("nanmean axis=0 keepdims", lambda x: np.nanmean(nanify(x), axis=0, keepdims=True), M),
    Row("nanprod", lambda x: np.nanprod(nanify(x)), ALL, dtypes=C),
    Row("nanprod axis=1", lambda x: np.nanprod(nanify(x), axis=1), M),
    Row("nanmax", lambda x: np.nanmax(nanify(x)), ALL),
    Row("nanmax axis=0", lambda x: np.nanmax(nanify(x), axis=0), M),
    Row("nanmax initial where", lambda x: np.nanmax(nanify(x), axis=1, initial=-3.0, where=MASK), M),
    Row("nanmin", lambda x: np.nanmin(nanify(x)), ALL),
    Row("nanmin axis=1 keepdims", lambda x: np.nanmin(nanify(x), axis=1, keepdims=True), M),
    Row("nanvar", lambda x: np.nanvar(nanify(x)), VM, dtypes=C),
    Row("nanvar axis=1 ddof=1", lambda x: np.nanvar(nanify(x), axis=1, ddof=1), M),
    Row("nanvar correction where", lambda x: np.nanvar(nanify(x), axis=1, correction=1, where=MASK), M),
    Row("nanprod where", lambda x: np.nanprod(nanify(x), axis=0, where=MASK), M),
    Row("nanstd", lambda x: np.nanstd(nanify(x)), VM, dtypes=C),
    Row("nanstd axis=0", lambda x: np.nanstd(nanify(x), axis=0), M),
    Row("nanmedian", lambda x: np.nanmedian(nanify(x)), ALL),
    Row("nanmedian axis=1", lambda x: np.nanmedian(nanify(x), axis=1), M),
    Row("nanpercentile", lambda x: np.nanpercentile(nanify(x), 70.0), VM),
    Row("nanpercentile q array axis=0", lambda x: np.nanpercentile(nanify(x), [20.0, 60.0], axis=0), M),
    Row("nanquantile", lambda x: np.nanquantile(nanify(x), 0.3), VM),
    Row("nanquantile axis=1 method=midpoint", lambda x: np.nanquantile(nanify(x), 0.4, axis=1, method="midpoint"), M),
    Row("nancumsum", lambda x: np.nancumsum(nanify(x)), ALL, dtypes=C),
    Row("nancumsum axis=1", lambda x: np.nancumsum(nanify(x), axis=1), M),
    Row("nancumprod", lambda x: np.nancumprod(nanify(x)), ALL, dtypes=C),
    Row("nancumprod axis=0", lambda x: np.nancumprod(nanify(x), axis=0), M),
    # ----- averages, covariance, correlation
    Row("average", np.average, ALL, dtypes=C),
    Row("average weights", lambda x, w: np.average(x, weights=w), [((4,), (4,)), ((3, 4), (3, 4))], domain=("real", "positive"), dtypes=C),
    Row("average axis=1 weights", lambda x, w: np.average(x, axis=1, weights=w), [((3, 4), (4,))], domain=("real", "positive")),
    Row("average axis=(2,0) weights", lambda x, w: np.average(x, axis=(2, 0), weights=w), [((2, 3, 4), (4, 2))], domain=("real", "positive")),
    Row("average returned", lambda x, w: np.average(x, axis=0, weights=w, returned=True), [((3, 4), (3, 4))], domain=("real", "positive")),
    Row("average keepdims", lambda x: np.average(x, axis=1, keepdims=True), M),
    Row("cov", np.cov, [((4,),), ((3, 5),)], dtypes=C),
    Row("cov rowvar=False bias", lambda x: np.cov(x, rowvar=False, bias=True), [((5, 3),)]),
    Row("cov y ddof=2", lambda x, y: np.cov(x, y, ddof=2), [((2, 5), (5,))]),
    Row("cov aweights", lambda x, w: np.cov(x, aweights=w), [((3, 5), (5,))], domain=("real", "positive")),
    Row("cov fweights aweights", lambda x, w: np.cov(x, fweights=onp.array([1, 3, 2, 1, 2]), aweights=w), [((3, 5), (5,))], domain=("real", "positive")),
    Row("corrcoef", np.corrcoef, [((4,),), ((3, 5),)], dtypes=C),
    Row("corrcoef rowvar=False y", lambda x, y: np.corrcoef(x, y, rowvar=False), [((5, 2), (5, 2))]),
    # ----- counts and histograms (differentiable in the weights and, via the edges, the data's extremes)
    Row("bincount weights", lambda w: np.bincount(IDX, weights=w, minlength=7), [((4,),)]),
    Row("histogram", lambda a, w: np.histogram(a, bins=3, weights=w), [((6,), (6,))]),
    Row("histogram density", lambda a: np.histogram(a, bins=4, density=True), [((3, 4),)]),
    Row("histogram range", lambda a, w: np.histogram(a, bins=[-3.0, -0.5, 0.1, 3.0], weights=w)[0], [((8,), (8,))], argnums=(1,)),
    Row("histogram_bin_edges", lambda a: np.histogram_bin_edges(a, bins=5), VM),
    Row("histogram_bin_edges auto", lambda a: np.histogram_bin_edges(a, bins="auto"), [((9,),)]),
]

if hasattr(onp, "trapz"):
    ROWS.append(Row("trapz", np.trapz, VM))


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def _leaves(x):
    return [y for item in x for y in _leaves(item)] if isinstance(x, (tuple, list)) else [x]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_traced_value_matches_numpy(row, shapes, dtype):
    # The traced definitions (taken when a box is among the arguments) against NumPy's own.
    args = make_args(row, shapes, dtype)
    expected = _leaves(row.fun(*args))
    for i in row.argnums if row.argnums is not None else range(len(args)):
        _, traced = make_vjp(lambda xi: row.fun(*args[:i], xi, *args[i + 1:]), args[i])
        traced = _leaves(traced)
        assert len(traced) == len(expected)
        for t, e in zip(traced, expected):
            assert onp.shape(t) == onp.shape(e)
            onp.testing.assert_allclose(t, e, rtol=1e-12, atol=1e-12)


# ----- exact zeros and NaNs ------------------------------------------------------------


def _with_zeros(shape, zeros, seed):
    rng = onp.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    x.flat[list(zeros)] = 0.0
    return x


@pytest.mark.parametrize("shape,zeros,axis", [((5,), [2], None), ((6,), [1, 4], 0), ((3, 4), [1, 5, 6], 1), ((3, 4), [0, 4], 0)])
def test_cumprod_with_zeros(shape, zeros, axis):
    x = _with_zeros(shape, zeros, len(zeros))
    check_grads(lambda x: np.cumprod(x, axis=axis), modes=("fwd", "rev"), order=2)(x)
    g = grad(lambda x: np.sum(np.cumprod(x, axis=axis)))(x)
    assert onp.all(onp.isfinite(g))


def test_cumprod_gradient_at_a_zero():
    x = onp.array([2.0, 0.0, 3.0, 0.5])
    # d/dx1 sum(cumprod) = x0 + x0 x2 + x0 x2 x3
    assert grad(lambda x: np.sum(np.cumprod(x)))(x)[1] == pytest.approx(2.0 + 6.0 + 3.0)


NAN_FUNS = [np.nansum, np.nanmean, np.nanprod, np.nanmax, np.nanmin, np.nanvar, np.nanstd, np.nanmedian,
            lambda x: np.nanpercentile(x, 30.0), lambda x: np.nanquantile(x, 0.8),
            lambda x: np.sum(np.nancumsum(x)), lambda x: np.sum(np.nancumprod(x))]


@pytest.mark.parametrize("fun", NAN_FUNS)
def test_nan_entries_get_zero_gradient(fun):
    x = onp.array([0.3, onp.nan, -1.2, 0.7, onp.nan, 2.0])
    g = grad(fun)(x)
    assert onp.all(onp.isfinite(g))
    assert onp.all(g[onp.isnan(x)] == 0.0)
    assert onp.any(g != 0.0)


@pytest.mark.parametrize("fun", [np.nanmax, np.nanmin, np.nanmedian, np.nanmean])
def test_all_nan_slice(fun):
    x = onp.array([[onp.nan, onp.nan], [1.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = fun(x, axis=1)
        _, traced = make_vjp(lambda x: fun(x, axis=1), x)
        g = grad(lambda x: np.sum(fun(x, axis=1)[1]))(x)
    onp.testing.assert_allclose(traced, expected)
    assert onp.all(g[0] == 0.0) and onp.all(onp.isfinite(g))


@pytest.mark.parametrize("fun", [np.nanargmax, np.nanargmin, np.digitize])
def test_integer_results_run_on_traced_values(fun):
    x = onp.array([0.3, onp.nan, -1.2, 0.7])
    args = (x,) if fun is not np.digitize else (x, onp.array([-1.0, 0.0, 1.0]))
    expected = getattr(onp, fun.__name__)(*args)
    seen = []
    grad(lambda x: (seen.append(fun(x, *args[1:])), np.nansum(x))[1])(x)
    onp.testing.assert_array_equal(seen[0], expected)


def test_bincount_without_weights_is_plain():
    seen = []
    grad(lambda w: (seen.append(np.bincount(IDX)), np.sum(np.bincount(IDX, weights=w)))[1])(onp.ones(4))
    onp.testing.assert_array_equal(seen[0], onp.bincount(IDX))

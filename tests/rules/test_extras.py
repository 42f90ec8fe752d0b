"""Numerical checks of the remaining NumPy functions: aliases and conversions,
polynomials, set operations and unique variants, applying functions along axes,
and multidimensional histograms."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad

from .harness import Row, check_traced_value, expand, run

C = ("float64", "complex128")
V, M = ((4,),), ((3, 4),)
SAMPLE = onp.random.default_rng(7).standard_normal((9, 3))
X9, Y9 = SAMPLE[:, 0], SAMPLE[:, 1]
ARR = onp.arange(12.0).reshape(3, 4) / 7


def _cat(*parts):
    return np.concatenate([np.ravel(p) for p in parts])


ROWS = [
    # aliases and conversions
    Row("concat", lambda x, y: np.concat([x, y]), [((3,), (4,)), ((2, 4), (3, 4))], dtypes=C),
    Row("concat axis", lambda x, y: np.concat((x, y), axis=None), [((2, 3), (4,))]),
    Row("concat dtype", lambda x, y: np.concat([x, y], axis=1, dtype=complex), [((3, 2), (3, 1))]),
    Row("permute_dims", lambda x: np.permute_dims(x, (1, 2, 0)), [((2, 3, 4),)], dtypes=C),
    Row("permute_dims default", np.permute_dims, [V, M]),
    Row("asanyarray", np.asanyarray, [((),), V, M], dtypes=C),
    Row("asanyarray list", lambda x, y: np.asanyarray([x, 2 * y], dtype=complex), [((), ()), ((3,), (3,))]),
    Row("asanyarray copy", lambda x: np.asanyarray(x, copy=True) * x, [M]),
    Row("ascontiguousarray", np.ascontiguousarray, [((),), V, M], dtypes=C),
    Row("ascontiguousarray transposed", lambda x: np.ascontiguousarray(x.T), [M]),
    Row("asfortranarray", np.asfortranarray, [((),), V, M], dtypes=C),
    Row("asarray_chkfinite", lambda x: np.asarray_chkfinite(x) ** 2, [((),), V, M], dtypes=C),
    Row("require", lambda x: np.require(x, requirements=["C", "A"]), [((),), V, M], dtypes=C),
    Row("require dtype", lambda x: np.require(x, dtype=complex, requirements="W"), [M]),
    # polynomials
    Row("vander", np.vander, [V], dtypes=C),
    Row("vander N increasing", lambda x: np.vander(x, 3, increasing=True), [((5,),)], dtypes=C),
    Row("vander N=1", lambda x: np.vander(x, N=1), [V]),
    Row("poly", np.poly, [((1,),), ((3,),)], dtypes=C),
    Row("poly conjugate pair", lambda a, b: np.poly(np.stack([a + 1j * b, a - 1j * b, b + 0j])), [((), ())]),
    Row("poly matrix", np.poly, [((3, 3),)], dtypes=C),
    Row("polyadd", np.polyadd, [((3,), (5,)), ((4,), (4,)), ((5,), (2,)), ((), (3,))], dtypes=C),
    Row("polysub", np.polysub, [((3,), (5,)), ((4,), (4,)), ((5,), (2,))], dtypes=C),
    Row("polymul", np.polymul, [((3,), (5,)), ((1,), (4,)), ((), (3,))], dtypes=C),
    Row("polyder", np.polyder, [((5,),), ((1,),)], dtypes=C),
    Row("polyder m", lambda p: np.polyder(p, 3), [((5,),)]),
    Row("polyint", np.polyint, [((4,),), ((1,),)], dtypes=C),
    Row("polyint k", lambda p, k: np.polyint(p, 2, k), [((4,), ()), ((4,), (2,)), ((4,), (1,))], dtypes=C),
    Row("polyint m=3", lambda p: np.polyint(p, m=3, k=[1.0, 2.0, 3.0]), [((3,),)]),
    Row("polydiv", lambda u, v: _cat(*np.polydiv(u, v)), [((5,), (3,)), ((4,), (4,)), ((2,), (3,)), ((5,), (1,))],
        domain=("real", "nonzero"), dtypes=C),
    Row("polydiv quotient", lambda u, v: np.polydiv(u, v)[0], [((6,), (3,))], domain=("real", "nonzero")),
    Row("polydiv remainder", lambda u, v: np.polydiv(u, v)[1], [((6,), (3,))], domain=("real", "nonzero")),
    Row("polyfit", lambda x, y: np.polyfit(x, y, 2), [((6,), (6,)), ((6,), (6, 2))]),
    Row("polyfit complex y", lambda x, a, b: np.polyfit(x, a + 1j * b, 1), [((5,), (5,), (5,))]),
    Row("polyfit y", lambda y: np.polyfit(X9, y, 3), [((9,),)], dtypes=C),
    Row("polyfit w", lambda x, y, w: np.polyfit(x, y, 2, w=w), [((6,), (6,), (6,)), ((6,), (6, 2), (6,))],
        domain=("real", "real", "positive")),
    Row("polyfit full", lambda x, y: _cat(*np.polyfit(x, y, 1, full=True)[:2], np.polyfit(x, y, 1, full=True)[3]),
        [((5,), (5,))]),
    Row("polyfit cov", lambda x, y: _cat(*np.polyfit(x, y, 1, cov=True)), [((6,), (6,)), ((6,), (6, 2))]),
    Row("polyfit cov unscaled", lambda x, y: np.polyfit(x, y, 2, cov="unscaled")[1], [((6,), (6,))]),
    Row("roots", np.roots, [((2,),), ((3,),), ((5,),)], domain="nonzero", dtypes=C),
    Row("roots zeros", lambda p: np.roots(np.concatenate([onp.zeros(1), p, onp.zeros(2)])), [((4,),)],
        domain="nonzero"),
    # set operations and unique variants
    Row("intersect1d", lambda x, y: np.intersect1d(_cat(x, y[:2], x[:1]), _cat(y, x[1:3])),
        [((4,), (5,)), ((2, 2), (3,))], dtypes=C),
    Row("intersect1d unique", lambda x, y: np.intersect1d(_cat(x, y[:2]), _cat(y, x[1:3]), assume_unique=True,
                                                          return_indices=True)[0], [((4,), (5,))]),
    Row("union1d", lambda x, y: np.union1d(x, _cat(y, x[:2])), [((4,), (3,)), ((2, 2), (3,))], dtypes=C),
    Row("setdiff1d", lambda x, y: np.setdiff1d(_cat(x, x[:1]), _cat(y, x[2:])), [((5,), (3,)), ((2, 3), (3,))],
        dtypes=C),
    Row("setdiff1d unique", lambda x, y: np.setdiff1d(x, _cat(y, x[2:]), assume_unique=True), [((5,), (3,))]),
    Row("setxor1d", lambda x, y: np.setxor1d(_cat(x, x[:1]), _cat(y, x[2:], y[:1])), [((5,), (3,)), ((2, 3), (3,))],
        dtypes=C),
    Row("setxor1d unique", lambda x, y: np.setxor1d(x, _cat(y, x[2:]), assume_unique=True), [((5,), (3,))]),
    # the order of unique_values/counts/inverse is unspecified: sort before comparing
    Row("unique_values", lambda x: np.sort(np.unique_values(_cat(x, x[1:3]))), [V, M], dtypes=C),
    Row("unique_counts", lambda x: np.sort(np.unique_counts(_cat(x, x[:2])).values), [V, M]),
    Row("unique_inverse", lambda x: np.sort(np.unique_inverse(_cat(x, x[:2])).values), [V, M]),
    Row("unique_all", lambda x: np.sort(np.unique_all(_cat(x[:1], x)).values), [V, M], dtypes=C),
    # applying functions along axes
    Row("apply_along_axis", lambda x: np.apply_along_axis(lambda v: np.sum(v ** 2) * v[0], 0, x), [M, ((2, 3, 4),)],
        dtypes=C),
    Row("apply_along_axis matrix result", lambda x: np.apply_along_axis(lambda v: np.outer(v, v[:2]), 1, x),
        [M, ((2, 3, 4),)]),
    Row("apply_along_axis args", lambda x, y: np.apply_along_axis(lambda v, w: v * w, -1, x, y), [((3, 4), (4,))]),
    Row("apply_along_axis closure", lambda y: np.apply_along_axis(lambda v: np.sin(v * y[:3]), 0, ARR), [((3,),)]),
    Row("apply_over_axes", lambda x: np.apply_over_axes(np.sum, x, [0, 2]), [((2, 3, 4),)], dtypes=C),
    Row("apply_over_axes keepdims", lambda x: np.apply_over_axes(lambda a, ax: np.cumsum(a, axis=ax), x, -1), [M]),
    Row("fromfunction", lambda x: np.fromfunction(lambda i, j: x[i] * (j + 1.0), (4, 3), dtype=int), [V], dtypes=C),
    Row("fromfunction scalar", lambda s: np.fromfunction(lambda i, j: np.sin(s * i) + j, (2, 3)), [((),)]),
    # histograms
    Row("histogram2d", lambda w: np.histogram2d(X9, Y9, bins=3, weights=w)[0], [((9,),)]),
    Row("histogram2d density", lambda w: np.histogram2d(X9, Y9, bins=(2, 3), density=True, weights=w)[0], [((9,),)],
        domain="positive"),
    Row("histogram2d edges", lambda x, y: _cat(*np.histogram2d(x, y, bins=(2, 3), density=True)), [((9,), (9,))]),
    Row("histogram2d range", lambda x, y, w: _cat(*np.histogram2d(x, y, 4, range=[[-1, 1], None], weights=w)),
        [((9,), (9,), (9,))]),
    Row("histogram2d edge array", lambda w: np.histogram2d(X9, Y9, onp.linspace(-2, 2, 4), weights=w)[0], [((9,),)]),
    Row("histogramdd", lambda w: np.histogramdd(SAMPLE, bins=(2, 3, 2), weights=w)[0], [((9,),)]),
    Row("histogramdd edges", lambda s: _cat(*np.histogramdd(s, bins=2, density=True)[1]), [((9, 3),)]),
    Row("histogramdd density", lambda s, w: np.histogramdd(s, bins=[2, onp.array([-3.0, 0.0, 3.0])], density=True,
                                                           weights=w)[0], [((9, 2), (9,))], domain=("real", "positive")),
    Row("histogramdd list", lambda x, w: np.histogramdd([x, Y9], bins=2, weights=w)[0], [((9,), (9,))]),
    Row("histogramdd 1d", lambda x: _cat(np.histogramdd(x, bins=3, density=True)[0], *np.histogramdd(x, bins=3)[1]),
        [((9,),)]),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def _first_value(res):
    return res[0] if isinstance(res, tuple) else res


VALUE_CASES = [
    (lambda m, x: m.concat([x, x[:2]]), (5,)),
    (lambda m, x: m.ascontiguousarray(x[0, 0]), (2, 2)),
    (lambda m, x: m.vander(x, 4), (5,)),
    (lambda m, x: m.poly(x), (4,)),
    (lambda m, x: m.poly(x), (3, 3)),
    (lambda m, x: m.polydiv(x, x[:3])[0], (7,)),
    (lambda m, x: m.polydiv(x, x[:3])[1], (7,)),
    (lambda m, x: m.polydiv(x[:2], x[2:5])[1], (5,)),
    (lambda m, x: m.polyint(x, 3, k=x[:3]), (5,)),
    (lambda m, x: m.polyint(x[:1], 2), (3,)),
    (lambda m, x: m.polyder(x, 2), (5,)),
    (lambda m, x: m.polyfit(x, x ** 3, 3), (7,)),
    (lambda m, x: m.polyfit(x, x ** 2, 2, cov=True)[1], (7,)),
    (lambda m, x: m.roots(x), (6,)),
    (lambda m, x: m.roots(m.concatenate([x[:3], m.zeros(2)])), (6,)),
    (lambda m, x: m.intersect1d(x[:6], x[3:]), (9,)),
    (lambda m, x: m.intersect1d(x[:6], x[3:], return_indices=True)[1], (9,)),
    (lambda m, x: m.intersect1d(x[:6], x[3:], return_indices=True)[2], (9,)),
    (lambda m, x: m.setxor1d(x[:6], x[3:]), (9,)),
    (lambda m, x: m.setdiff1d(x[:6], x[3:]), (9,)),
    (lambda m, x: m.union1d(x[:6], x[3:]), (9,)),
    (lambda m, x: m.unique_values(m.concatenate([x, x[2:5]])), (9,)),
    (lambda m, x: m.unique_counts(m.concatenate([x, x[2:5]])).counts, (9,)),
    (lambda m, x: m.unique_inverse(m.concatenate([x, x[2:5]]).reshape(3, 4)).inverse_indices, (9,)),
    (lambda m, x: m.unique_all(m.concatenate([x, x[2:5]])).indices, (9,)),
    (lambda m, x: m.unique_all(m.concatenate([x, x[2:5]])).values, (9,)),
    (lambda m, x: m.apply_along_axis(lambda v: m.outer(v, v[:2]), 1, x), (3, 4)),
    (lambda m, x: m.apply_along_axis(lambda v: v[::-1] * 2, 0, x), (3, 4, 2)),
    (lambda m, x: m.apply_over_axes(m.sum, x, [0, 2]), (2, 3, 4)),
    (lambda m, x: m.fromfunction(lambda i, j: x[i, j] * i, (3, 4), dtype=int), (3, 4)),
    (lambda m, x: m.histogram2d(x[:, 0], x[:, 1], bins=(3, 2), weights=x[:, 2])[0], (11, 3)),
    (lambda m, x: m.histogram2d(x[:, 0], x[:, 1], bins=3, density=True)[1], (11, 3)),
    (lambda m, x: m.histogramdd(x, bins=(3, 2, 2), weights=x[:, 0] ** 2, density=True)[0], (11, 3)),
    (lambda m, x: m.histogramdd(x, bins=2, range=[(-1, 1), None, (0, 2)], weights=x[:, 1])[0], (11, 3)),
]


@pytest.mark.parametrize("case", range(len(VALUE_CASES)))
def test_traced_value_matches_numpy(case):
    f, shape = VALUE_CASES[case]
    check_traced_value(f, shape, case)


def test_set_gradient_goes_to_first_occurrence():
    x = onp.array([3.0, 1.0, 2.0, 1.0])
    g = grad(lambda x: np.sum(np.unique_values(x) * onp.arange(3.0)))(x)
    # unique values in their NumPy order; each weight lands on the first occurrence
    order = onp.unique_values(x)
    expected = onp.zeros(4)
    for w, v in enumerate(order):
        expected[onp.argmax(x == v)] += w
    onp.testing.assert_array_equal(g, expected)
    # common values come from the first array: 1.0 from x[1], 2.0 from x[2], 3.0 from x[0]
    g = grad(lambda x: np.sum(np.intersect1d(x, x[::-1]) * onp.array([1.0, 10.0, 100.0])))(x)
    onp.testing.assert_array_equal(g, [100.0, 1.0, 10.0, 0.0])


def test_histogram_weights_gradient_is_the_bin_indicator():
    w = onp.linspace(0.5, 1.5, 9)
    g = grad(lambda w: np.histogram2d(X9, Y9, bins=2, weights=w)[0][1, 0])(w)
    h = onp.histogram2d(X9, Y9, bins=2)
    in_bin = (X9 >= h[1][1]) & (Y9 < h[2][1])
    onp.testing.assert_array_equal(g, in_bin.astype(float))


def test_asarray_chkfinite_refuses_nan():
    with pytest.raises(ValueError, match="infs or NaNs"), onp.errstate(divide="ignore", invalid="ignore"):
        grad(lambda x: np.sum(np.asarray_chkfinite(x / 0.0)))(onp.array([0.0, 1.0]))


def test_plain_numpy_reaches_the_rules():
    # NumPy's own functions on traced values dispatch here
    x = onp.array([1.0, -2.0, 0.5])
    g = grad(lambda x: onp.sum(onp.polyval(onp.polymul(x, x), 2.0)))(x)
    expected = grad(lambda x: np.sum(np.polyval(np.convolve(x, x), 2.0)))(x)
    onp.testing.assert_allclose(g, expected)
    g = grad(lambda x: onp.sum(onp.apply_along_axis(onp.cumsum, 0, onp.reshape(x, (3, 1)))))(x)
    onp.testing.assert_allclose(g, [3.0, 2.0, 1.0])

"""Numerical checks of tapegrad.scipy.stats, and agreement with scipy.stats values."""

import numpy as onp
import pytest
import scipy.stats as st

import tapegrad.numpy as np
import tapegrad.scipy.stats as ts
from tapegrad import grad
from tapegrad.core import NonDifferentiableError
from tests.rules.harness import Row, expand, run

# Each argument: (domain, transform into the distribution's valid range).
X = ("real", lambda v: v)
POS = ("positive", lambda v: v)
SHAPE = ("positive", lambda v: v + 0.5)
DF = ("positive", lambda v: v + 1.0)
LOC_BELOW = ("unit", lambda v: v - 1.0)  # below every positive x
WIDE = ("positive", lambda v: v + 4.0)  # wide enough that (x - loc) / scale lies in (0, 1)

DISTS = {
    # name: (argument specs, methods, argument numbers that are static in the distribution functions)
    "norm": ((X, X, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "t": ((X, DF, X, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "gamma": ((POS, SHAPE, LOC_BELOW, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "chi2": ((POS, DF, LOC_BELOW, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "beta": ((POS, SHAPE, SHAPE, LOC_BELOW, WIDE), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "expon": ((POS, LOC_BELOW, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "laplace": ((X, X, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "cauchy": ((X, X, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "logistic": ((X, X, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "lognorm": ((POS, POS, LOC_BELOW, POS), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
    "uniform": ((POS, LOC_BELOW, WIDE), ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], ()),
}
DENSITIES = {"logpdf", "pdf"}


def shapes_for(n):
    return [((),) * n, ((4,),) * n, ((3, 4),) + ((4,),) * (n - 2) + ((),)]


def make_row(dist, method, specs, static):
    fun = getattr(getattr(ts, dist), method)
    transforms = [tr for _, tr in specs]
    argnums = tuple(i for i in range(len(specs)) if method in DENSITIES or i not in static)
    return Row(f"{dist}.{method}", lambda *a: fun(*[tr(v) for tr, v in zip(transforms, a)]),
               shapes_for(len(specs)), domain=tuple(d for d, _ in specs), argnums=argnums)


def sym(c):
    return 0.5 * (c + c.T)


def simplex(v):
    return v / np.sum(v, axis=0)


K = onp.array([0.0, 1.0, 3.0, 7.0])
MVN = ts.multivariate_normal
ROWS = [make_row(d, m, specs, static) for d, (specs, methods, static) in DISTS.items() for m in methods] + [
    Row("norm.ppf", lambda q, loc, scale: ts.norm.ppf(0.5 * q + 0.5, loc, scale), shapes_for(3), domain=("unit", "real", "positive")),
    Row("norm.isf", lambda q, loc, scale: ts.norm.isf(0.5 * q + 0.5, loc, scale), shapes_for(3), domain=("unit", "real", "positive")),
] + [
    Row(f"poisson.{m}", (lambda m: lambda mu: getattr(ts.poisson, m)(K, mu))(m), [((),), ((4,),), ((3, 4),)], domain="positive")
    for m in ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]
] + [
    Row("multivariate_normal.logpdf", lambda x, m, c: MVN.logpdf(x, m, sym(c)), [((3,), (3,), (3, 3)), ((5, 3), (3,), (3, 3))],
        domain=("real", "real", "spd")),
    Row("multivariate_normal.pdf", lambda x, m, c: MVN.pdf(x, m, sym(c)), [((3,), (3,), (3, 3)), ((2, 3), (3,), (3, 3))],
        domain=("real", "real", "spd")),
    Row("multivariate_normal.logpdf-diag", MVN.logpdf, [((4, 3), (3,), (3,))], domain=("real", "real", "positive")),
    Row("multivariate_normal.logpdf-scalar", MVN.logpdf, [((4, 3), (3,), ())], domain=("real", "real", "positive")),
    Row("multivariate_normal.entropy", lambda m, c: MVN.entropy(m, sym(c)), [((3,), (3, 3))], domain=("real", "spd")),
    Row("dirichlet.logpdf", lambda x, a: ts.dirichlet.logpdf(simplex(x), a), [((3,), (3,)), ((3, 5), (3,))], domain="positive"),
    Row("dirichlet.pdf", lambda x, a: ts.dirichlet.pdf(simplex(x), a), [((3,), (3,)), ((3, 5), (3,))], domain="positive"),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_every_public_function_has_a_row():
    covered = {r.name.split("-")[0] for r in ROWS}
    public = {f"{d}.{f}" for d in ts.__all__ for f in getattr(ts, d).__all__}
    assert public - covered == {"dirichlet.rvs"}  # samples: no derivative


def test_dirichlet_rvs_is_scipys_and_refuses_traced_alpha():
    alpha = onp.array([1.0, 2.0, 3.0])
    assert onp.allclose(ts.dirichlet.rvs(alpha, size=3, random_state=0), st.dirichlet.rvs(alpha, size=3, random_state=0))
    with pytest.raises(NonDifferentiableError, match="no derivative"):
        grad(lambda a: np.sum(ts.dirichlet.rvs(a)))(alpha)


def test_module_paths():
    import tapegrad.scipy.stats.norm as norm_module
    from tapegrad.scipy.stats import norm

    assert norm is norm_module and norm.logpdf(0.5) == pytest.approx(st.norm.logpdf(0.5))


# Parameters for the value comparison; x runs over and beyond each support.
PARAMS = {
    "norm": (0.3, 1.7), "t": (3.5, 0.3, 1.7), "gamma": (2.5, 0.3, 1.7), "chi2": (3.0, 0.3, 1.7),
    "beta": (2.5, 1.5, 0.3, 1.7), "expon": (0.3, 1.7), "laplace": (0.3, 1.7), "cauchy": (0.3, 1.7),
    "logistic": (0.3, 1.7), "lognorm": (0.8, 0.3, 1.7), "uniform": (0.3, 1.7),
}
XS = onp.array([-40.0, -3.0, -0.5, 0.2, 0.31, 0.9, 1.4, 1.99, 2.5, 8.0, 40.0])
# log(0) outside a support is -inf, as in SciPy (which silences the warning).
quiet = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")


@quiet
@pytest.mark.parametrize("dist", sorted(DISTS))
def test_values_agree_with_scipy(dist):
    for method in DISTS[dist][1]:
        ours = getattr(getattr(ts, dist), method)(XS, *PARAMS[dist])
        theirs = getattr(getattr(st, dist), method)(XS, *PARAMS[dist])
        onp.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-300, err_msg=f"{dist}.{method}")


@quiet
@pytest.mark.parametrize("dist", sorted(DISTS))
def test_traced_values_agree_with_scipy(dist):
    for method in DISTS[dist][1]:
        seen = []

        def f(loc):
            params = PARAMS[dist][:-2] + (loc, PARAMS[dist][-1])
            y = getattr(getattr(ts, dist), method)(XS, *params)
            seen.append(getattr(y, "_value", y))  # uniform's density does not depend on loc
            return np.sum(y)

        grad(f)(PARAMS[dist][-2])
        theirs = getattr(getattr(st, dist), method)(XS, *PARAMS[dist])
        onp.testing.assert_allclose(seen[0], theirs, rtol=1e-9, atol=1e-300, err_msg=f"{dist}.{method}")


@quiet
def test_poisson_values():
    ks = onp.array([-1.0, 0.0, 1.0, 2.5, 3.0, 10.0])
    for m in ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]:
        onp.testing.assert_allclose(getattr(ts.poisson, m)(ks, 2.3), getattr(st.poisson, m)(ks, 2.3), rtol=1e-9, err_msg=m)
        onp.testing.assert_allclose(getattr(ts.poisson, m)(ks, 2.3, 1), getattr(st.poisson, m)(ks, 2.3, 1), rtol=1e-9, err_msg=m)


def test_multivariate_normal_and_dirichlet_values():
    rng = onp.random.default_rng(3)
    x, m, a = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal((3, 3))
    c = a @ a.T + onp.eye(3)
    for cov in [c, onp.array([0.5, 1.0, 2.0]), 1.7]:
        onp.testing.assert_allclose(MVN.logpdf(x, m, cov), st.multivariate_normal.logpdf(x, m, cov), rtol=1e-10)
        onp.testing.assert_allclose(MVN.logpdf(x[0], m, cov), st.multivariate_normal.logpdf(x[0], m, cov), rtol=1e-10)
        onp.testing.assert_allclose(MVN.entropy(m, cov), st.multivariate_normal.entropy(m, cov), rtol=1e-10)
    onp.testing.assert_allclose(MVN.pdf(x, m, c), st.multivariate_normal.pdf(x, m, c), rtol=1e-10)
    onp.testing.assert_allclose(MVN.logpdf(onp.array([0.3, -0.2]), 0.1, 2.0), st.multivariate_normal.logpdf([0.3, -0.2], 0.1, 2.0))
    p = rng.uniform(0.1, 1.0, (3, 4))
    p /= p.sum(0)
    alpha = onp.array([0.7, 1.5, 2.5])
    onp.testing.assert_allclose(ts.dirichlet.logpdf(p, alpha), st.dirichlet.logpdf(p, alpha), rtol=1e-10)
    onp.testing.assert_allclose(ts.dirichlet.pdf(p[:, 0], alpha), st.dirichlet.pdf(p[:, 0], alpha), rtol=1e-10)


@quiet
def test_gradients_outside_support_are_finite():
    g = grad(lambda x: np.sum(ts.gamma.logcdf(x, 2.0) + ts.beta.cdf(x, 2.0, 3.0) + ts.laplace.logcdf(x)))(XS)
    assert onp.all(onp.isfinite(g[XS > 1.0])) and onp.all(onp.isfinite(g))


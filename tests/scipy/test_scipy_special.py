"""Numerical checks of the tapegrad.scipy.special rules, and their agreement with SciPy."""

import numpy as onp
import pytest
import scipy.special as ss

import tapegrad.numpy as np
import tapegrad.scipy.special as sp
from tapegrad import grad, make_jvp
from tapegrad.core import NonDifferentiableError
from tests.rules.harness import BINARY_SHAPES, UNARY_SHAPES, Row, expand, run

P = "positive"
PP = (P, P)
# Static first argument (an order or shape parameter) broadcast against the traced one.
STATIC_FIRST = [((), ()), ((4,), (4,)), ((3, 1), (3, 4)), ((4,), (3, 4))]

ROWS = [
    Row("gamma", sp.gamma, domain=P),
    Row("gammaln", sp.gammaln, domain=P),
    Row("loggamma", sp.loggamma, domain=P),
    Row("rgamma", sp.rgamma, domain=P),
    Row("digamma", sp.digamma, domain=P),
    Row("psi", sp.psi, domain=P),
    Row("polygamma", lambda x: sp.polygamma(2, x), domain=P),
    Row("polygamma-array-order", lambda x: sp.polygamma(onp.array([0, 1, 2, 3]), x), shapes=[((4,),), ((3, 4),)], domain=P),
    Row("multigammaln", lambda a: sp.multigammaln(a + 2.0, 3), shapes=[((),)], domain=P),
    Row("gammainc", sp.gammainc, BINARY_SHAPES, domain=PP),
    Row("gammaincc", sp.gammaincc, BINARY_SHAPES, domain=PP),
    # x >= a + 1: the continued-fraction side of the derivative in a.
    Row("gammainc-upper", lambda a, x: sp.gammainc(a, x + 2.5), [((), ()), ((4,), ()), ((4,), (4,))], domain=PP),
    Row("gammaincc-upper", lambda a, x: sp.gammaincc(3.0 * a, 5.0 * x + 6.0), [((), ()), ((4,), (4,))], domain=PP),
    Row("beta", sp.beta, BINARY_SHAPES, domain=PP),
    Row("betaln", sp.betaln, BINARY_SHAPES, domain=PP),
    Row("betainc", lambda a, b, x: sp.betainc(a, b, 0.4 * x), [((), (), ()), ((4,), (4,), (4,)), ((4,), (), (3, 4))],
        domain=(P, P, P)),
    Row("betainc-integer-shapes", lambda x: sp.betainc(onp.array([1.0, 2.0, 1.0, 3.0]), onp.array([1.0, 1.0, 2.0, 2.0]), 0.4 * x),
        [((4,),)], domain=P),
    Row("erf", sp.erf),
    Row("erfc", sp.erfc),
    Row("erfinv", sp.erfinv, domain="unit"),
    Row("erfcinv", lambda x: sp.erfcinv(x + 1.0), domain="unit"),
    Row("erfcx", sp.erfcx),
    Row("dawsn", sp.dawsn),
    Row("ndtr", sp.ndtr),
    Row("ndtri", lambda x: sp.ndtri(0.5 * x + 0.5), domain="unit"),
    Row("log_ndtr", sp.log_ndtr),
    Row("log_ndtr-tail", lambda x: sp.log_ndtr(x - 30.0), shapes=[((),), ((4,),)]),
    Row("stdtr", sp.stdtr, BINARY_SHAPES, domain=(P, "real")),
    Row("expit", sp.expit),
    Row("logit", lambda x: sp.logit(0.5 * x + 0.5), domain="unit"),
    Row("j0", sp.j0),
    Row("j1", sp.j1),
    Row("jn", sp.jn, STATIC_FIRST, domain=PP, argnums=(1,)),
    Row("jv", sp.jv, STATIC_FIRST, domain=PP, argnums=(1,)),
    Row("y0", sp.y0, domain=P),
    Row("y1", sp.y1, domain=P),
    Row("yn", lambda x: sp.yn(onp.array([0, 1, 2, 3]), x), shapes=[((4,),), ((3, 4),)], domain=P),
    Row("i0", sp.i0),
    Row("i1", sp.i1),
    Row("i0e", sp.i0e, domain="nonzero"),
    Row("i1e", sp.i1e, domain="nonzero"),
    Row("iv", sp.iv, STATIC_FIRST, domain=PP, argnums=(1,)),
    Row("ive", sp.ive, STATIC_FIRST, domain=PP, argnums=(1,)),
    Row("ive-negative-x", lambda x: sp.ive(onp.array([0, 1, 2, 3]), x), shapes=[((4,),), ((3, 4),)], domain="nonzero"),
    Row("kv", sp.kv, STATIC_FIRST, domain=PP, argnums=(1,)),
    Row("xlogy", sp.xlogy, BINARY_SHAPES, domain=("real", P)),
    Row("xlog1py", sp.xlog1py, BINARY_SHAPES, domain=("real", P)),
    Row("entr", sp.entr, domain=P),
    Row("rel_entr", sp.rel_entr, BINARY_SHAPES, domain=PP),
    Row("kl_div", sp.kl_div, BINARY_SHAPES, domain=PP),
    Row("logsumexp", sp.logsumexp, UNARY_SHAPES),
    Row("logsumexp-axis", lambda x: sp.logsumexp(x, axis=1), [((3, 4),)]),
    Row("logsumexp-axis0-keepdims", lambda x: sp.logsumexp(x, axis=0, keepdims=True), [((3, 4),)]),
    Row("logsumexp-axes", lambda x: sp.logsumexp(x, axis=(0, 2)), [((2, 3, 4),)]),
    Row("logsumexp-b", lambda x, b: sp.logsumexp(x, b=b, axis=-1), [((4,), (4,)), ((3, 4), (4,)), ((3, 4), (3, 1))], domain=("real", P)),
    Row("logsumexp-sign", lambda x, b: sp.logsumexp(x, b=b - 1.2, return_sign=True)[0], [((4,), (4,))], domain=("real", P)),
    Row("softmax", sp.softmax, UNARY_SHAPES),
    Row("softmax-axis", lambda x: sp.softmax(x, axis=0), [((3, 4),)]),
    Row("log_softmax", sp.log_softmax, UNARY_SHAPES),
    Row("log_softmax-axis", lambda x: sp.log_softmax(x, axis=-1), [((3, 4),)]),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


NONDIFFERENTIABLE = {"gammasgn"}


def test_every_public_function_has_a_row():
    covered = {r.name.split("-")[0] for r in ROWS}
    assert set(sp.__all__) - covered == NONDIFFERENTIABLE


def test_gammasgn_is_nondifferentiable_and_accepts_traced_values():
    x = onp.array([-1.5, -0.5, 0.5, 2.5])
    g = grad(lambda x: np.sum(sp.gamma(x) * sp.gammasgn(x)))(x)  # |gamma(x)|
    onp.testing.assert_allclose(g, onp.abs(ss.gamma(x)) * ss.digamma(x))
    assert onp.array_equal(sp.gammasgn(x), ss.gammasgn(x))


def test_plain_scipy_ufuncs_dispatch_to_the_rules():
    x = onp.array([0.7, 1.3, 2.9])
    assert onp.allclose(grad(lambda x: np.sum(ss.gammaln(x)))(x), ss.digamma(x))
    assert onp.allclose(grad(lambda x: np.sum(ss.erf(x)))(x), 2 / onp.sqrt(onp.pi) * onp.exp(-x**2))
    assert onp.allclose(grad(lambda x: np.sum(ss.kv(1.5, x)))(x), ss.kvp(1.5, x))


def test_values_are_scipys():
    x = onp.array([0.3, 1.1, 2.5])
    for name in ["gamma", "gammaln", "digamma", "erf", "ndtr", "log_ndtr", "expit", "i0e", "y1"]:
        ours = grad(lambda x: np.sum(getattr(sp, name)(x) * 1.0))  # traced evaluation path
        assert onp.allclose(getattr(sp, name)(x), getattr(ss, name)(x))
        assert onp.all(onp.isfinite(ours(x)))


def test_derivatives_match_scipys_own():
    x = onp.array([0.4, 1.7, 3.2])
    for v in [0.0, 1.0, 2.5]:
        assert onp.allclose(grad(lambda x: np.sum(sp.jv(v, x)))(x), ss.jvp(v, x))
        assert onp.allclose(grad(lambda x: np.sum(sp.iv(v, x)))(x), ss.ivp(v, x))
    assert onp.allclose(grad(lambda x: np.sum(sp.yn(2, x)))(x), ss.yvp(2, x))


def test_logsumexp_with_minus_inf_entries_has_finite_gradient():
    x = onp.array([[1.0, -onp.inf, 0.5], [-onp.inf, -onp.inf, -onp.inf]])
    g = grad(lambda x: sp.logsumexp(x, axis=1)[0])(x)
    assert onp.all(onp.isfinite(g))
    assert onp.allclose(g[0], [ss.softmax([1.0, 0.5])[0], 0.0, ss.softmax([1.0, 0.5])[1]])
    g_all = grad(lambda x: sp.logsumexp(x, axis=1)[1])(x)
    assert onp.all(g_all == 0.0)
    _, t = make_jvp(lambda x: sp.logsumexp(x, axis=1))(x)(onp.ones_like(x))
    assert t[0] == pytest.approx(1.0) and t[1] == 0.0
    g_sm = grad(lambda x: np.sum(sp.softmax(x[0]) * onp.array([1.0, 2.0, 3.0])))(x)
    assert onp.all(onp.isfinite(g_sm))


def test_logsumexp_values_and_sign():
    x = onp.array([0.3, -1.0, 2.0])
    b = onp.array([1.0, -2.0, -0.5])
    assert sp.logsumexp(x) == pytest.approx(ss.logsumexp(x))
    val, sgn = sp.logsumexp(x, b=b, return_sign=True)
    g = grad(lambda x: sp.logsumexp(x, b=b, return_sign=True)[0])(x)
    s = onp.sum(b * onp.exp(x))
    assert sgn == onp.sign(s) and onp.allclose(g, b * onp.exp(x) / s)


def test_incomplete_gamma_derivative_in_a_matches_high_precision():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    cases = [(0.5, 0.2), (2.0, 2.9), (2.0, 3.1), (5.0, 30.0), (50.0, 45.0), (50.0, 60.0), (0.3, 10.0),
             (300.0, 310.0), (10.0, 1.0), (0.01, 1.2)]
    for a, x in cases:
        exact = float(mpmath.diff(lambda s: mpmath.gammainc(s, 0, x, regularized=True), mpmath.mpf(a)))
        assert grad(sp.gammainc)(a, x) == pytest.approx(exact, rel=1e-12)
        assert grad(sp.gammaincc)(a, x) == pytest.approx(-exact, rel=1e-12)
        _, t = make_jvp(lambda a: sp.gammainc(a, x))(a)(1.0)
        assert t == pytest.approx(exact, rel=1e-12)
    assert grad(sp.gammainc)(2.0, 0.0) == 0.0  # P(a, 0) = 0 for every a


def test_incomplete_beta_and_t_derivatives_in_shapes_match_high_precision():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for a, b, x in [(0.5, 0.7, 0.2), (2.0, 3.0, 0.7), (10.0, 2.0, 0.9), (50.0, 40.0, 0.55), (1.0, 1.0, 0.5), (3.0, 0.5, 0.999)]:
        da = float(mpmath.diff(lambda s: mpmath.betainc(s, b, 0, x, regularized=True), mpmath.mpf(a)))
        db = float(mpmath.diff(lambda s: mpmath.betainc(a, s, 0, x, regularized=True), mpmath.mpf(b)))
        assert grad(sp.betainc, (0, 1))(a, b, x) == pytest.approx((da, db), rel=1e-11)
    for df, t in [(3.0, 0.7), (3.0, -1.2), (0.8, 2.5)]:
        half = mpmath.mpf(1) / 2

        def cdf(d):
            tail = mpmath.betainc(d / 2, half, 0, d / (d + t * t), regularized=True) / 2
            return 1 - tail if t >= 0 else tail

        assert grad(sp.stdtr)(df, t) == pytest.approx(float(mpmath.diff(cdf, mpmath.mpf(df))), rel=1e-10)
    assert grad(sp.stdtr)(3.0, 0.0) == 0.0


def test_bessel_orders_refuse_tracing():
    with pytest.raises(NonDifferentiableError, match="order"):
        grad(lambda v: sp.kv(v, 1.5))(1.2)

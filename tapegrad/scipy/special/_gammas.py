"""Gamma and beta functions and their relatives."""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.special as _sc

from ...core import def_rules
from ...numpy import exp, log, log1p
from ...numpy._wrap import def_elementwise, wrap, wrap_nondiff

gamma = wrap(_sc.gamma, "scipy.special.gamma")
def_elementwise(gamma, lambda ans, x: ans * digamma(x))

gammaln = wrap(_sc.gammaln, "scipy.special.gammaln")
def_elementwise(gammaln, lambda ans, x: digamma(x))

# loggamma is real on the positive reals, where it equals gammaln.
loggamma = wrap(_sc.loggamma, "scipy.special.loggamma")
def_elementwise(loggamma, lambda ans, x: digamma(x))

# The sign of gamma(x) is piecewise constant: no derivative to carry.
gammasgn = wrap_nondiff(_sc.gammasgn, "scipy.special.gammasgn")

rgamma = wrap(_sc.rgamma, "scipy.special.rgamma")
def_elementwise(rgamma, lambda ans, x: -ans * digamma(x))

digamma = wrap(_sc.digamma, "scipy.special.digamma")
psi = digamma
def_elementwise(digamma, lambda ans, x: polygamma(1, x))

polygamma = wrap(_sc.polygamma, "scipy.special.polygamma")
def_elementwise(polygamma, None, lambda ans, n, x: polygamma(_np.asarray(n) + 1, x))


def _multigammaln_d(ans: Any, a: Any, d: int) -> Any:
    # d/da sum_j gammaln(a - j/2) = sum_j digamma(a - j/2), over j = 0 .. d-1.
    total = digamma(a)
    for j in range(1, d):
        total = total + digamma(a - 0.5 * j)
    return total


multigammaln = wrap(_sc.multigammaln, "scipy.special.multigammaln")
def_rules(
    multigammaln,
    vjp=lambda g, ans, a, d: g * _multigammaln_d(ans, a, d),
    jvp=lambda a_dot, ans, a, d: a_dot * _multigammaln_d(ans, a, d),
)


def _d_a(ans: Any, a: Any, x: Any) -> Any:
    from ._incgamma import gammainc_da

    return gammainc_da(a, x)


def _gammainc_dx(ans: Any, a: Any, x: Any) -> Any:
    # The integrand of the lower incomplete gamma function, normalised.
    return exp((a - 1) * log(x) - x - gammaln(a))


# In x: the normalised integrand. In a: series or continued fraction (see _incgamma).
gammainc = wrap(_sc.gammainc, "scipy.special.gammainc")
def_elementwise(gammainc, _d_a, _gammainc_dx)
gammaincc = wrap(_sc.gammaincc, "scipy.special.gammaincc")
def_elementwise(gammaincc, lambda ans, a, x: -_d_a(ans, a, x), lambda ans, a, x: -_gammainc_dx(ans, a, x))

beta = wrap(_sc.beta, "scipy.special.beta")
def_elementwise(
    beta,
    lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
    lambda ans, a, b: ans * (digamma(b) - digamma(a + b)),
)

betaln = wrap(_sc.betaln, "scipy.special.betaln")
def_elementwise(
    betaln,
    lambda ans, a, b: digamma(a) - digamma(a + b),
    lambda ans, a, b: digamma(b) - digamma(a + b),
)


def _betainc_dx(ans: Any, a: Any, b: Any, x: Any) -> Any:
    # The beta density: x^(a-1) (1-x)^(b-1) / B(a, b).
    return exp((a - 1) * log(x) + (b - 1) * log1p(-x) - betaln(a, b))


betainc = wrap(_sc.betainc, "scipy.special.betainc")


def _betainc_d_shape(wrt: int) -> Any:
    def d(ans: Any, a: Any, b: Any, x: Any) -> Any:
        from ._incbeta import betainc_dshape

        return betainc_dshape(a, b, x, wrt)

    return d


def_elementwise(betainc, _betainc_d_shape(0), _betainc_d_shape(1), _betainc_dx)

__all__ = [
    "gamma", "gammaln", "loggamma", "gammasgn", "rgamma", "digamma", "psi", "polygamma", "multigammaln",
    "gammainc", "gammaincc", "beta", "betaln", "betainc",
]

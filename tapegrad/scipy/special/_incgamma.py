"""The derivative of the regularised incomplete gamma functions in their shape ``a``.

dP/da has no closed form. It is computed from the two classical expansions,
each differentiated term by term in ``a`` by hand:

* for x < a + 1, the series P = x^a e^-x sum_n x^n / Gamma(a + n + 1);
* for x >= a + 1, Legendre's continued fraction
  Gamma(a, x) = x^a e^-x / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)),
  evaluated by Lentz's method.

Both are written with tapegrad operations, so the result differentiates again
(in ``a`` and ``x``). Loops stop when the plain values have converged, plus a
few terms so that the derivative has converged too.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...core import getval
from ...numpy import log, where
from ...numpy._wrap import shape_of

_EPS = 4e-16  # a few units in the last place
_EXTRA = 4  # terms past convergence of the value, for the derivative's sake
_MAX_TERMS = 5000


def _dlogp_series(a: Any, x: Any) -> Any:
    """d log P / da from the series (valid and fast for x < a + 1)."""
    from ._gammas import digamma

    w, psi = 1.0, digamma(a + 1)  # w_n relative to w_0 = 1 / Gamma(a + 1)
    s, s1 = 1.0, -psi
    converged = False
    extra = _EXTRA
    for n in range(1, _MAX_TERMS):
        w = w * x / (a + n)
        psi = psi + 1.0 / (a + n)
        s = s + w
        s1 = s1 - w * psi
        # Sticky per element: terms only shrink from here (x < a + 1).
        converged = converged | ((_np.abs(getval(w)) <= _EPS * _np.abs(getval(s)))
                                 & (_np.abs(getval(w * psi)) <= _EPS * _np.abs(getval(s1))))
        if _np.all(converged):
            extra -= 1
            if extra == 0:
                break
    return log(x) + s1 / s


def _dlogq_fraction(a: Any, x: Any) -> Any:
    """d log Q / da from the continued fraction (valid for x >= a + 1)."""
    from ._gammas import digamma

    b = x + 1.0 - a
    c, c1 = b, -1.0  # Lentz's C and its a-derivative
    d, d1 = 0.0, 0.0  # Lentz's D and its a-derivative
    dlogf = -1.0 / b  # d log F / da, accumulated as the sum of d log delta / da
    converged = False
    extra = _EXTRA
    for i in range(1, _MAX_TERMS):
        an, an1 = i * (a - i), float(i)
        b = b + 2.0
        dn = b + an * d
        dn1 = -1.0 + an1 * d + an * d1
        d, d1 = 1.0 / dn, -dn1 / (dn * dn)
        cn1 = -1.0 + an1 / c - an * c1 / (c * c)
        c = b + an / c
        c1 = cn1
        delta = c * d
        term = (c1 * d + c * d1) / delta
        dlogf = dlogf + term
        converged = converged | ((_np.abs(getval(delta) - 1.0) <= _EPS)
                                 & (_np.abs(getval(term)) <= _EPS * _np.abs(getval(dlogf))))
        if _np.all(converged):
            extra -= 1
            if extra == 0:
                break
    return log(x) - dlogf - digamma(a)


def gammainc_da(a: Any, x: Any) -> Any:
    """dP(a, x)/da, where P is ``scipy.special.gammainc`` (and dQ/da = -dP/da)."""
    from ._gammas import gammainc, gammaincc

    shape = _np.broadcast_shapes(shape_of(a), shape_of(x))
    a = a + _np.zeros(shape)
    x = x + _np.zeros(shape)
    av, xv = getval(a), getval(x)
    lower = xv < av + 1
    zero = xv <= 0  # P(a, 0) = 0 for every a
    # Each expansion sees only arguments in its own region (the others get harmless ones).
    a_lo, x_lo = where(lower, a, 1.0), where(lower & ~zero, x, 0.5)
    a_up, x_up = where(lower, 1.0, a), where(lower, 3.0, x)
    d_lo = gammainc(a_lo, x_lo) * _dlogp_series(a_lo, x_lo)
    d_up = -gammaincc(a_up, x_up) * _dlogq_fraction(a_up, x_up)
    return where(zero, 0.0, where(lower, d_lo, d_up))

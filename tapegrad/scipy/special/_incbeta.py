"""The derivatives of the regularised incomplete beta function in its shapes ``a`` and ``b``.

log I_x(a, b) is evaluated with the continued fraction of the incomplete beta
function (Lentz's method) where it converges fast, x < (a + 1) / (a + b + 2),
and through I_x(a, b) = 1 - I_{1-x}(b, a) elsewhere. The fraction is written
with tapegrad operations, so forward mode differentiates it in a or b, and the
result differentiates again. Loops stop once the plain values have converged,
plus a few terms for the derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...core import getval
from ...differential_operators import make_jvp
from ...numpy import log, log1p, where
from ...numpy._wrap import shape_of

_EPS = 4e-16  # a few units in the last place of 1
_EXTRA = 4
_MAX_TERMS = 5000


def _log_fraction(a: Any, b: Any, x: Any, terms: int) -> Any:
    """log of the continued fraction h in I_x(a, b) = x^a (1-x)^b h / (a B(a, b)), to ``terms`` levels."""
    c = 1.0
    d = 1.0 / (1.0 - (a + b) * x / (a + 1.0))
    log_h = log(d)
    for m in range(1, terms + 1):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)),
                   -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2))):
            d = 1.0 / (1.0 + aa * d)
            c = 1.0 + aa / c
            log_h = log_h + log(d * c)
    return log_h


def _terms(a: Any, b: Any, x: Any) -> int:
    """Levels for convergence, found on plain values with the shapes nudged off the integers.

    At an integer shape the fraction terminates, but its derivative in that
    shape does not: the nudged fraction converges like the derivative does.
    """
    a, b, x = (_np.asarray(getval(v), dtype=float) for v in (a, b, x))
    a, b = a + 0.37, b + 0.37
    c, d = 1.0, 1.0 / (1.0 - (a + b) * x / (a + 1.0))
    converged = _np.zeros(_np.broadcast_shapes(a.shape, b.shape, x.shape), dtype=bool)
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        level_done = True
        for aa in (m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)),
                   -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2))):
            d = 1.0 / (1.0 + aa * d)
            c = 1.0 + aa / c
            level_done = level_done & (_np.abs(d * c - 1.0) <= _EPS)
        converged |= level_done  # each element once; they need not agree on the level
        if converged.all():
            return m + _EXTRA
    return _MAX_TERMS


def _log_ibeta(a: Any, b: Any, x: Any) -> Any:
    """log I_x(a, b) by the continued fraction (accurate for x < (a + 1) / (a + b + 2))."""
    from ._gammas import betaln

    return a * log(x) + b * log1p(-x) - betaln(a, b) - log(a) + _log_fraction(a, b, x, _terms(a, b, x))


def _d_log(a: Any, b: Any, x: Any, wrt: int) -> Any:
    """d log I_x(a, b) / d(a or b), by forward mode through the fraction."""
    ones = _np.ones(shape_of(a))
    if wrt == 0:
        return make_jvp(lambda s: _log_ibeta(s, b, x))(a)(ones)[1]
    return make_jvp(lambda s: _log_ibeta(a, s, x))(b)(ones)[1]


def betainc_dshape(a: Any, b: Any, x: Any, wrt: int) -> Any:
    """dI_x(a, b)/da (wrt=0) or /db (wrt=1), for 0 <= x <= 1 (zero at the ends)."""
    from ._gammas import betainc

    shape = _np.broadcast_shapes(shape_of(a), shape_of(b), shape_of(x))
    a, b, x = (v + _np.zeros(shape) for v in (a, b, x))
    av, bv, xv = getval(a), getval(b), getval(x)
    inside = (xv > 0) & (xv < 1)
    direct = xv < (av + 1) / (av + bv + 2)
    # Direct side: I = exp(log I). Mirrored side: I = 1 - J with J = I_{1-x}(b, a).
    x_dir = where(inside & direct, x, 0.5 * (av + 1) / (av + bv + 2))
    x_mir = where(inside & ~direct, 1.0 - x, 0.5 * (bv + 1) / (av + bv + 2))
    d_dir = betainc(a, b, x_dir) * _d_log(a, b, x_dir, wrt)
    d_mir = -betainc(b, a, x_mir) * _d_log(b, a, x_mir, 1 - wrt)
    return where(inside, where(direct, d_dir, d_mir), 0.0)

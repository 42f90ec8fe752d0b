"""Error functions, the normal distribution function, the logistic function."""

from __future__ import annotations

import numpy as _np
import scipy.special as _sc

from ...core import getval
from ...numpy import exp, log, log1p, where
from ...numpy._wrap import def_elementwise, wrap
from ._gammas import gammaln

_TWO_OVER_SQRT_PI = 2.0 / _np.sqrt(_np.pi)
_HALF_SQRT_PI = 0.5 * _np.sqrt(_np.pi)
_SQRT_2PI = _np.sqrt(2.0 * _np.pi)

erf = wrap(_sc.erf, "scipy.special.erf")
def_elementwise(erf, lambda ans, x: _TWO_OVER_SQRT_PI * exp(-x * x))
erfc = wrap(_sc.erfc, "scipy.special.erfc")
def_elementwise(erfc, lambda ans, x: -_TWO_OVER_SQRT_PI * exp(-x * x))
# Inverse functions: one over the derivative at the answer.
erfinv = wrap(_sc.erfinv, "scipy.special.erfinv")
def_elementwise(erfinv, lambda ans, x: _HALF_SQRT_PI * exp(ans * ans))
erfcinv = wrap(_sc.erfcinv, "scipy.special.erfcinv")
def_elementwise(erfcinv, lambda ans, x: -_HALF_SQRT_PI * exp(ans * ans))
# erfcx(x) = exp(x^2) erfc(x), so its derivative is 2x erfcx(x) - 2/sqrt(pi).
erfcx = wrap(_sc.erfcx, "scipy.special.erfcx")
def_elementwise(erfcx, lambda ans, x: 2 * x * ans - _TWO_OVER_SQRT_PI)
# Dawson's integral solves F' = 1 - 2xF.
dawsn = wrap(_sc.dawsn, "scipy.special.dawsn")
def_elementwise(dawsn, lambda ans, x: 1 - 2 * x * ans)

ndtr = wrap(_sc.ndtr, "scipy.special.ndtr")
def_elementwise(ndtr, lambda ans, x: exp(-0.5 * x * x) / _SQRT_2PI)
ndtri = wrap(_sc.ndtri, "scipy.special.ndtri")
def_elementwise(ndtri, lambda ans, x: _SQRT_2PI * exp(0.5 * ans * ans))
# pdf / cdf, combined in the exponent so that far-left tails do not overflow.
log_ndtr = wrap(_sc.log_ndtr, "scipy.special.log_ndtr")
def_elementwise(log_ndtr, lambda ans, x: exp(-0.5 * x * x - ans) / _SQRT_2PI)


def _t_density(ans, df, t):
    return exp(gammaln(0.5 * (df + 1)) - gammaln(0.5 * df) - 0.5 * log(df * _np.pi) - 0.5 * (df + 1) * log1p(t * t / df))


def _stdtr_ddf(ans, df, t):
    # stdtr = I_y(df/2, 1/2) / 2 for t < 0 and 1 - that for t >= 0, with y = df / (df + t^2).
    from ._gammas import _betainc_dx
    from ._incbeta import betainc_dshape

    tt = t * t
    zero = _np.asarray(getval(tt)) == 0  # y = 1, where every derivative of I vanishes
    tt = where(zero, 1.0, tt)
    y = df / (df + tt)
    d_i = 0.5 * betainc_dshape(0.5 * df, 0.5, y, 0) + _betainc_dx(None, 0.5 * df, 0.5, y) * tt / ((df + tt) * (df + tt))
    sign = where(_np.asarray(getval(t)) < 0, 0.5, -0.5)
    return where(zero, 0.0, sign * d_i)


# Student's t distribution function: its derivative in t is the density; in df, through betainc.
stdtr = wrap(_sc.stdtr, "scipy.special.stdtr")
def_elementwise(stdtr, _stdtr_ddf, _t_density)

expit = wrap(_sc.expit, "scipy.special.expit")
def_elementwise(expit, lambda ans, x: ans * (1 - ans))
logit = wrap(_sc.logit, "scipy.special.logit")
def_elementwise(logit, lambda ans, x: 1 / (x * (1 - x)))

__all__ = ["erf", "erfc", "erfinv", "erfcinv", "erfcx", "dawsn", "ndtr", "ndtri", "log_ndtr", "stdtr", "expit", "logit"]

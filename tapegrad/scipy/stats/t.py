"""Student's t distribution: ``tapegrad.scipy.stats.t``.

Every function is differentiable in x, df, loc and scale.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log, log1p
from ..special import gammaln, stdtr
from ._common import log_either, mask, standardize


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density of the t distribution with ``df`` degrees of freedom."""
    z = standardize(x, loc, scale)
    return (gammaln(0.5 * (df + 1)) - gammaln(0.5 * df) - 0.5 * log(df * _np.pi) - log(scale)
            - 0.5 * (df + 1) * log1p(z * z / df))


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density of the t distribution."""
    return exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x)."""
    return stdtr(df, standardize(x, loc, scale))


def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x); right of the centre, log1p(-sf) keeps the digits."""
    return log_either(mask(standardize(x, loc, scale) > 0), cdf(x, df, loc, scale), sf(x, df, loc, scale))


def sf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return stdtr(df, -standardize(x, loc, scale))


def logsf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    return log_either(mask(standardize(x, loc, scale) <= 0), sf(x, df, loc, scale), cdf(x, df, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

"""The exponential distribution: ``tapegrad.scipy.stats.expon``, differentiable in x, loc and scale."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, expm1, log, log1p
from ._common import mask, select, standardize


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density; -inf below ``loc``."""
    z = standardize(x, loc, scale)
    return select(mask(z >= 0), -z - log(scale), -_np.inf)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x) = 1 - exp(-z)."""
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return select(inside, -expm1(-select(inside, z, 1.0)), 0.0)


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x) = log1p(-exp(-z)), accurate far in the right tail."""
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return select(inside, log1p(-exp(-select(inside, z, 1.0))), -_np.inf)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x) = exp(-z)."""
    return exp(logsf(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x) = -z above ``loc``."""
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return select(inside, -z, 0.0)


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

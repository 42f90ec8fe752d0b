"""The Laplace distribution: ``tapegrad.scipy.stats.laplace``, differentiable in x, loc and scale."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import absolute, exp, log, log1p
from ._common import mask, select, standardize

_LOG_HALF = _np.log(0.5)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density: -|z| - log(2 scale)."""
    return -absolute(standardize(x, loc, scale)) - log(2.0 * scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, loc, scale))


def _logcdf_std(z: Any) -> Any:
    # Each branch sees only its own half of the line, so neither overflows.
    neg = mask(z < 0)
    return select(neg, _LOG_HALF + select(neg, z, 0.0), log1p(-0.5 * exp(-select(neg, 0.0, z))))


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x)."""
    return _logcdf_std(standardize(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x)."""
    return exp(logcdf(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x), by symmetry."""
    return _logcdf_std(-standardize(x, loc, scale))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return exp(logsf(x, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

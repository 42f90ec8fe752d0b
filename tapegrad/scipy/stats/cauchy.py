"""The Cauchy distribution: ``tapegrad.scipy.stats.cauchy``, differentiable in x, loc and scale."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log, log1p
from ._common import arctan, standardize


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density: -log(pi scale (1 + z^2))."""
    z = standardize(x, loc, scale)
    return -log1p(z * z) - log(scale) - _np.log(_np.pi)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x) = 1/2 + arctan(z) / pi."""
    return 0.5 + arctan(standardize(x, loc, scale)) / _np.pi


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return 0.5 - arctan(standardize(x, loc, scale)) / _np.pi


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x)."""
    return log(cdf(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    return log(sf(x, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

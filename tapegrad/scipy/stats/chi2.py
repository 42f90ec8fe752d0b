"""The chi-squared distribution: ``tapegrad.scipy.stats.chi2``, a gamma distribution with a = df/2, scale 2.

Every function is differentiable in x, df, loc and scale.
"""

from __future__ import annotations

from typing import Any

from . import gamma as _gamma


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density."""
    return _gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return _gamma.pdf(x, 0.5 * df, loc, 2.0 * scale)


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x)."""
    return _gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)


def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x)."""
    return _gamma.logcdf(x, 0.5 * df, loc, 2.0 * scale)


def sf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return _gamma.sf(x, 0.5 * df, loc, 2.0 * scale)


def logsf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    return _gamma.logsf(x, 0.5 * df, loc, 2.0 * scale)


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

"""The normal distribution: ``tapegrad.scipy.stats.norm``, differentiable in x, loc and scale."""

from __future__ import annotations

from typing import Any

from ...numpy import exp, log
from ..special import log_ndtr, ndtr, ndtri
from ._common import HALF_LOG_2PI, standardize


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density of N(loc, scale^2) at x."""
    z = standardize(x, loc, scale)
    return -0.5 * z * z - log(scale) - HALF_LOG_2PI


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density of N(loc, scale^2) at x."""
    return exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x)."""
    return ndtr(standardize(x, loc, scale))


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x), accurate far in the left tail."""
    return log_ndtr(standardize(x, loc, scale))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return ndtr(-standardize(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    return log_ndtr(-standardize(x, loc, scale))


def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The quantile function, inverse of :func:`cdf`."""
    return loc + scale * ndtri(q)


def isf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The inverse of :func:`sf`."""
    return loc - scale * ndtri(q)


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

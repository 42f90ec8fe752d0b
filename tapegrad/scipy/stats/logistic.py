"""The logistic distribution: ``tapegrad.scipy.stats.logistic``, differentiable in x, loc and scale."""

from __future__ import annotations

from typing import Any

from ...numpy import absolute, exp, log
from ..special import expit
from ._common import softplus, standardize


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density: -|z| - 2 log(1 + exp(-|z|)) - log(scale) (the density is even)."""
    z = absolute(standardize(x, loc, scale))
    return -z - 2.0 * softplus(-z) - log(scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x) = expit(z)."""
    return expit(standardize(x, loc, scale))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x) = expit(-z)."""
    return expit(-standardize(x, loc, scale))


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x) = -softplus(-z)."""
    return -softplus(-standardize(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x) = -softplus(z)."""
    return -softplus(standardize(x, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

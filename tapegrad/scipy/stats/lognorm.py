"""The log-normal distribution: ``tapegrad.scipy.stats.lognorm`` (shape ``s``), differentiable in x, s, loc and scale."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log
from ..special import log_ndtr, ndtr
from ._common import HALF_LOG_2PI, mask, select, standardize


def _log_z(x: Any, loc: Any, scale: Any) -> tuple:
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return inside, log(select(inside, z, 1.0))


def logpdf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density; -inf at and below ``loc``."""
    inside, lz = _log_z(x, loc, scale)
    u = lz / s
    return select(inside, -0.5 * u * u - lz - log(s) - log(scale) - HALF_LOG_2PI, -_np.inf)


def pdf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, s, loc, scale))


def cdf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x) = Phi(log(z) / s)."""
    inside, lz = _log_z(x, loc, scale)
    return select(inside, ndtr(lz / s), 0.0)


def logcdf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x)."""
    inside, lz = _log_z(x, loc, scale)
    return select(inside, log_ndtr(lz / s), -_np.inf)


def sf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    inside, lz = _log_z(x, loc, scale)
    return select(inside, ndtr(-lz / s), 1.0)


def logsf(x: Any, s: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    inside, lz = _log_z(x, loc, scale)
    return select(inside, log_ndtr(-lz / s), 0.0)


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

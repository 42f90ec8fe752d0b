"""The gamma distribution: ``tapegrad.scipy.stats.gamma`` (shape ``a``).

Every function is differentiable in x, a, loc and scale.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log
from ..special import gammainc, gammaincc, gammaln, xlogy
from ._common import log_either, mask, select, standardize


def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density; -inf below ``loc``."""
    z = standardize(x, loc, scale)
    inside = mask(z >= 0)
    zs = select(inside, z, 1.0)
    return select(inside, xlogy(a - 1, zs) - zs - gammaln(a) - log(scale), -_np.inf)


def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x), the regularised lower incomplete gamma function."""
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return select(inside, gammainc(a, select(inside, z, 1.0)), 0.0)


def sf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    z = standardize(x, loc, scale)
    inside = mask(z > 0)
    return select(inside, gammaincc(a, select(inside, z, 1.0)), 1.0)


def logcdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x); past the bulk of the mass, log1p(-sf) keeps the digits."""
    right = mask(standardize(x, loc, scale) > a)
    return log_either(right, cdf(x, a, loc, scale), sf(x, a, loc, scale))


def logsf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    left = mask(standardize(x, loc, scale) <= a)
    return log_either(left, sf(x, a, loc, scale), cdf(x, a, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

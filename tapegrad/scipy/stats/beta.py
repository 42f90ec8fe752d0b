"""The beta distribution: ``tapegrad.scipy.stats.beta`` (shapes ``a``, ``b``).

Every function is differentiable in x, a, b, loc and scale.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log
from ..special import betainc, betaln, xlog1py, xlogy
from ._common import log_either, mask, select, standardize


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log density; -inf outside [loc, loc + scale]."""
    z = standardize(x, loc, scale)
    inside = mask((z >= 0) & (z <= 1))
    zs = select(inside, z, 0.5)
    return select(inside, xlogy(a - 1, zs) + xlog1py(b - 1, -zs) - betaln(a, b) - log(scale), -_np.inf)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Density."""
    return exp(logpdf(x, a, b, loc, scale))


def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X <= x), the regularised incomplete beta function."""
    z = standardize(x, loc, scale)
    inside = mask((z > 0) & (z < 1))
    return select(inside, betainc(a, b, select(inside, z, 0.5)), select(mask(z <= 0), 0.0, 1.0))


def sf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(X > x)."""
    return 1.0 - cdf(x, a, b, loc, scale)


def logcdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x); past the mean, log1p(-sf) keeps the digits."""
    right = mask(standardize(x, loc, scale) * (a + b) > a)
    return log_either(right, cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


def logsf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    left = mask(standardize(x, loc, scale) * (a + b) <= a)
    return log_either(left, sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

"""The Poisson distribution: ``tapegrad.scipy.stats.poisson``, differentiable in the rate ``mu``.

The counts ``k`` (and ``loc``) are static: they are read as plain values and
carry no derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import exp, log
from .._util import static
from ..special import gammainc, gammaincc, gammaln, xlogy
from ._common import select


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """log P(X = k): k log(mu) - mu - log(k!), -inf off the non-negative integers."""
    kk = static(k) - static(loc)
    valid = (kk >= 0) & (kk == _np.floor(kk))
    ks = _np.where(valid, kk, 0.0)
    return select(valid, xlogy(ks, mu) - mu - gammaln(ks + 1), -_np.inf)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """P(X = k)."""
    return exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """P(X <= k) = Q(floor(k) + 1, mu), the upper regularised incomplete gamma function."""
    kf = _np.floor(static(k) - static(loc))
    valid = kf >= 0
    return select(valid, gammaincc(_np.where(valid, kf, 0.0) + 1, mu), 0.0)


def sf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """P(X > k) = P(floor(k) + 1, mu)."""
    kf = _np.floor(static(k) - static(loc))
    valid = kf >= 0
    return select(valid, gammainc(_np.where(valid, kf, 0.0) + 1, mu), 1.0)


def logcdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """log P(X <= k)."""
    return log(cdf(k, mu, loc))


def logsf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """log P(X > k)."""
    return log(sf(k, mu, loc))


__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]

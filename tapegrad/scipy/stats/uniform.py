"""The uniform distribution on [loc, loc + scale]: ``tapegrad.scipy.stats.uniform``."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...numpy import log
from ._common import mask, select, standardize


def _inside(x: Any, loc: Any, scale: Any) -> tuple:
    z = standardize(x, loc, scale)
    return z, mask((z >= 0) & (z <= 1))


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """-log(scale) on the support, -inf elsewhere."""
    z, inside = _inside(x, loc, scale)
    return select(inside, -log(scale), -_np.inf)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """1/scale on the support, 0 elsewhere."""
    z, inside = _inside(x, loc, scale)
    return select(inside, 1.0 / scale, 0.0)


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """z clipped to [0, 1]."""
    z, inside = _inside(x, loc, scale)
    return select(inside, z, select(mask(z < 0), 0.0, 1.0))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """1 - cdf."""
    return 1.0 - cdf(x, loc, scale)


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X <= x)."""
    return log(cdf(x, loc, scale))


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log P(X > x)."""
    return log(sf(x, loc, scale))


__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

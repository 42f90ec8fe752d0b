"""Helpers of the distribution modules: standardising, support masks, softplus, arctan."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...core import primitive
from ...numpy import absolute, exp, log1p, where
from ...numpy._wrap import def_elementwise
from .._util import static

HALF_LOG_2PI = 0.5 * _np.log(2.0 * _np.pi)


def standardize(x: Any, loc: Any, scale: Any) -> Any:
    """(x - loc) / scale, the argument of the standard distribution."""
    return (x - loc) / scale


def mask(cond: Any) -> _np.ndarray:
    """A static boolean mask from a condition on (possibly traced) values."""
    return static(cond)


def select(m: _np.ndarray, inside: Any, outside: Any) -> Any:
    """``inside`` where the static mask holds, ``outside`` elsewhere (broadcast together)."""
    return where(m, inside, outside)


def log_either(right: Any, cdf: Any, sf: Any) -> Any:
    """log(cdf), computed as log1p(-sf) where the static mask ``right`` says cdf is near 1."""
    from ...numpy import log

    return select(right, log1p(-sf), log(cdf))


def softplus(y: Any) -> Any:
    """log(1 + exp(y)), without overflow: max(y, 0) + log1p(exp(-|y|))."""
    return where(static(y) > 0, y, 0.0) + log1p(exp(-absolute(y)))


# arctan for the Cauchy distribution: a private primitive, not registered for
# NumPy dispatch (tapegrad.numpy's ufunc family owns numpy.arctan).
arctan = primitive(_np.arctan, "arctan")
def_elementwise(arctan, lambda ans, x: 1 / (1 + x * x))

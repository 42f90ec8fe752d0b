"""x log y and the information measures; logsumexp, softmax and log_softmax."""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.special as _sc

from ...core import Box, def_rules, getval
from ...numpy import exp, log, log1p, where
from ...numpy._wrap import def_elementwise, shape_of, unbroadcast, wrap
from ...numpy.composite import composite
from ...numpy.reductions import expand_reduced, sum
from ...numpy.shaping import reshape
from ._lse_numpy import SAME_AS_SCIPY
from ._lse_numpy import logsumexp as _lse_numpy

xlogy = wrap(_sc.xlogy, "scipy.special.xlogy")
def_elementwise(xlogy, lambda ans, x, y: log(y), lambda ans, x, y: x / y)
xlog1py = wrap(_sc.xlog1py, "scipy.special.xlog1py")
def_elementwise(xlog1py, lambda ans, x, y: log1p(y), lambda ans, x, y: x / (1 + y))
entr = wrap(_sc.entr, "scipy.special.entr")
def_elementwise(entr, lambda ans, x: -(log(x) + 1))
rel_entr = wrap(_sc.rel_entr, "scipy.special.rel_entr")
def_elementwise(rel_entr, lambda ans, x, y: log(x / y) + 1, lambda ans, x, y: -x / y)
kl_div = wrap(_sc.kl_div, "scipy.special.kl_div")
def_elementwise(kl_div, lambda ans, x, y: log(x / y), lambda ans, x, y: 1 - x / y)


# ----- logsumexp --------------------------------------------------------------------


def _lse_raw(a: Any, b: Any, axis: Any = None, keepdims: bool = False, signed: bool = False) -> Any:
    # SciPy's algorithm with NumPy directly (_lse_numpy.py): SciPy's own call costs far more on small arrays
    out = _lse_numpy(a, b, axis, keepdims, signed)
    if out is None:  # complex, empty, mixed dtypes: SciPy itself
        out = _sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=signed)
    if signed:
        out = out[0]
    # SciPy keeps a 0-d input's dimensions as (1,); the rules want NumPy's ().
    return out.reshape(()) if keepdims and _np.ndim(out) == 1 and _np.ndim(a) == 0 and _np.ndim(b) == 0 else out


_lse = wrap(_lse_raw, "scipy.special.logsumexp")


def _lse_parts(ans: Any, a: Any, b: Any, axis: Any, keepdims: bool, signed: bool) -> tuple:
    """exp(a - ans) (broadcast to the reduced shape) and the sign of the sum."""
    full = _np.broadcast_shapes(shape_of(a), shape_of(b)) if b is not None else shape_of(a)
    # An all -inf slice has ans = -inf: subtract 0 there, so its weights are exp(-inf) = 0, not NaN.
    finite = _np.isfinite(getval(ans))
    ans = ans if finite.all() else where(finite, ans, 0.0)
    e = exp(a - expand_reduced(ans, full, axis, keepdims))
    if not signed:
        return e, 1.0
    return e, _sign(getval(a), getval(b), axis, True)


def _lse_vjp_a(g: Any, ans: Any, a: Any, b: Any, axis: Any = None, keepdims: bool = False, signed: bool = False) -> Any:
    e, sgn = _lse_parts(ans, a, b, axis, keepdims, signed)
    w = e * sgn if b is None else e * (b * sgn)
    return unbroadcast(expand_reduced(g, shape_of(w), axis, keepdims) * w, a)


def _lse_vjp_b(g: Any, ans: Any, a: Any, b: Any, axis: Any = None, keepdims: bool = False, signed: bool = False) -> Any:
    e, sgn = _lse_parts(ans, a, b, axis, keepdims, signed)
    return unbroadcast(expand_reduced(g, shape_of(e), axis, keepdims) * (e * sgn), b)


def _lse_jvp_a(a_dot: Any, ans: Any, a: Any, b: Any, axis: Any = None, keepdims: bool = False, signed: bool = False) -> Any:
    e, sgn = _lse_parts(ans, a, b, axis, keepdims, signed)
    w = e * sgn if b is None else e * (b * sgn)
    return sum(a_dot * w, axis=axis, keepdims=keepdims)


def _lse_jvp_b(b_dot: Any, ans: Any, a: Any, b: Any, axis: Any = None, keepdims: bool = False, signed: bool = False) -> Any:
    e, sgn = _lse_parts(ans, a, b, axis, keepdims, signed)
    return sum(b_dot * (e * sgn), axis=axis, keepdims=keepdims)


def_rules(_lse, vjp=(_lse_vjp_a, _lse_vjp_b), jvp=(_lse_jvp_a, _lse_jvp_b))


def _sign(a: Any, b: Any, axis: Any, keepdims: bool) -> Any:
    """The sign of sum(b * exp(a)) over ``axis``, as logsumexp's return_sign gives it."""
    both = _lse_numpy(a, b, axis, keepdims, True)
    if both is None:
        both = _sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    return both[1]


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False) -> Any:
    """``scipy.special.logsumexp``: log(sum(b * exp(a))) over ``axis``, differentiable in ``a`` and ``b``.

    Entries of ``a`` equal to -inf contribute nothing, and give zero (not NaN)
    derivatives, even when a whole slice is -inf.
    """
    if isinstance(axis, list):
        axis = tuple(axis)
    if not isinstance(a, Box) and not isinstance(b, Box):
        # SciPy's values: its own algorithm in NumPy where that gives them bit for bit (_lse_numpy.py)
        out = _lse_numpy(a, b, axis, keepdims, return_sign) if SAME_AS_SCIPY else None
        return _sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign) if out is None else out
    out = _lse(a, b, axis=axis, keepdims=keepdims, signed=return_sign)
    if keepdims and not shape_of(out):
        out = reshape(out, (1,))  # SciPy's shape for a 0-d input
    if not return_sign:
        return out
    return out, _sign(getval(a), getval(b), axis, keepdims)


@composite(_sc.softmax, "scipy.special.softmax")
def softmax(x: Any, axis: Any = None) -> Any:
    """``scipy.special.softmax``: exp(x) normalised over ``axis`` (all axes by default)."""
    return exp(x - _lse(x, None, axis=axis, keepdims=True))


@composite(_sc.log_softmax, "scipy.special.log_softmax")
def log_softmax(x: Any, axis: Any = None) -> Any:
    """``scipy.special.log_softmax``: x minus its logsumexp over ``axis``."""
    return x - _lse(x, None, axis=axis, keepdims=True)


__all__ = ["xlogy", "xlog1py", "entr", "rel_entr", "kl_div", "logsumexp", "softmax", "log_softmax"]

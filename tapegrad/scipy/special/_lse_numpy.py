"""``scipy.special.logsumexp``'s algorithm, computed with NumPy directly.

SciPy's own function goes through its array-API layer, which costs about
0.1-0.7 ms a call whatever the array's size: more than the rest of a small
network's step. ``tapegrad.scipy.special.logsumexp`` (and traced calls of
``softmax`` and ``log_softmax``) compute their values here instead, with the
same operations in the same order as SciPy 1.15 and later: the largest term
taken out of the sum and added back with ``log1p``, zero weights dropping
their terms, the plain formula where that result is not finite. The values
agree with SciPy's to rounding, and bit for bit with SciPy 1.17 and later
(``SAME_AS_SCIPY``; only then are plain calls computed here: SciPy 1.15 and
1.16 gave the sign of a slice holding ``inf`` as NaN). Complex and
empty inputs, and mixed dtypes, are left to SciPy (:func:`logsumexp` returns
None for them).

>>> import numpy as np, scipy.special
>>> a = np.array([[0.5, 1.0, -2.0], [3.0, 3.0, -np.inf]])
>>> bool(np.allclose(logsumexp(a, axis=1), scipy.special.logsumexp(a, axis=1), rtol=1e-15))
True
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as _np
import scipy

# SciPy's algorithm since 1.15, and its signs of infinite slices since 1.17: its values are this
# module's, bit for bit (tests/scipy/test_scipy_lse_numpy.py).
SAME_AS_SCIPY = tuple(int(p) for p in scipy.__version__.split(".")[:2]) >= (1, 17)

_INF = _np.inf
_SCALARS = (float, _np.float64, _np.float32)
_max = _np.maximum.reduce  # np.max and np.sum on arrays, without their Python-level dispatch
_add = _np.add.reduce


def logsumexp(a: Any, b: Any = None, axis: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Optional[Any]:
    """``scipy.special.logsumexp(a, axis, b, keepdims, return_sign)`` for real floating arrays; None otherwise."""
    if type(a) in _SCALARS:
        a = _np.asarray(a)
    if type(a) is not _np.ndarray or a.dtype.kind != "f" or a.size == 0:
        return None
    if b is not None:
        if type(b) in _SCALARS:
            b = _np.asarray(b)
        if type(b) is not _np.ndarray or b.dtype != a.dtype:
            return None
        if b.shape != a.shape:
            try:
                a, b = _np.broadcast_arrays(a, b)
            except ValueError:
                return None
    if a.ndim == 0:
        a = a.reshape(1)
        b = None if b is None else b.reshape(1)
    if axis is None:
        axis = tuple(range(a.ndim))
    with _np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out, sgn = _shifted(a, b, axis, return_sign)
        total = _add(out, axis=None)
        if total - total != 0:  # some result is not finite: SciPy's plain formula there (IEEE rules)
            finite = _np.isfinite(out)
            total = _add(_np.exp(a) if b is None else b * _np.exp(a), axis=axis, keepdims=True)
            if return_sign:
                sgn = _np.where(finite, sgn, _np.sign(total))
                total = _np.abs(total)
            out = _np.where(finite, out, _np.log(total))
    if not keepdims:
        out = out.squeeze(axis)
        sgn = sgn.squeeze(axis) if return_sign else sgn
    if out.ndim == 0:
        out = out[()]
        sgn = sgn[()] if return_sign else sgn
    return (out, sgn) if return_sign else out


def _shifted(a: _np.ndarray, b: Any, axis: tuple, return_sign: bool) -> tuple:
    """log(sum(b exp(a))) with the largest term ``m exp(a_max)`` outside the sum:
    a_max + log(m) + log1p(rest / m), and its sign (SciPy's ``_logsumexp``, real case)."""
    if b is not None:  # a zero weight drops its term, even an infinite or NaN one
        a = a.copy(order="K")  # in the layout SciPy's copy keeps: it decides the order of the sums
        a[b == 0] = -_INF
    a_max = _max(a, axis=axis, keepdims=True)
    at_max = a == a_max
    if b is None and not return_sign:
        # No weights: m counts the maxima (>= 1, or 0 beside a NaN maximum), the rest sums to s >= 0,
        # so SciPy's sign is never negative and its guards (s == 0, s < -1, |m|) change nothing.
        # Its exp(where(at_max, -inf, a) - a_max) is exp(a - a_max) with the maxima's terms 0 (where
        # a_max is -inf SciPy's are NaN, and both results are then replaced by the plain formula's).
        e = _np.subtract(a, a_max)
        _np.copyto(e, -_INF, where=at_max)
        _np.exp(e, out=e)
        m = _np.count_nonzero(at_max, axis=axis, keepdims=True).astype(a.dtype)
        s = _add(e, axis=axis, keepdims=True, dtype=e.dtype)
        s /= m
        out = _np.log1p(s)
        out += _np.log(m)
        out += a_max
        return out, None
    rest = a if b is not None else a.copy(order="K")  # SciPy's copy of a, written into (its layout, as above)
    rest[at_max] = -_INF
    _np.subtract(rest, a_max, out=rest)
    e = _np.exp(rest, out=rest)
    m = at_max.astype(a.dtype)
    if b is not None:
        m = b * m
        e = b * e
    m = _add(m, axis=axis, keepdims=True, dtype=a.dtype)
    s = _add(e, axis=axis, keepdims=True, dtype=e.dtype)
    s = _np.where(s == 0, s, s / m)
    sgn = _np.sign(s + 1) * _np.sign(m)
    s = _np.where(s < -1, -s - 2, s)
    out = _np.log1p(s) + _np.log(_np.abs(m)) + a_max
    if not return_sign:
        out[sgn < 0] = _np.nan
    return out, sgn

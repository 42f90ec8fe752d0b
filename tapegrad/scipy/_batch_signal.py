"""Batching rules (``vmap``) of :mod:`tapegrad.scipy.signal`'s convolutions.

By FFTs (``fftconvolve``, and ``convolve`` where SciPy would choose them for one
example): with one input the same for every example (a shared kernel, or a
shared signal), one call of the primitive with that input given a batch axis of
length one, along which SciPy's FFT convolution broadcasts (the results other
than the full convolution cut from it where the stack would change SciPy's
window); with both inputs batched, FFTs along the examples' axes. The direct
method, where the smaller input is small, is one shifted product per element of
it over the stack; with larger inputs SciPy's 1-d and 2-d direct convolutions of
each example are quicker than its N-d one of the stack, and the loop stays.
"""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.signal as _ss

from ..core import def_rules
from ..numpy import fft
from ..numpy._wrap import shape_of
from ..numpy.batching import batch_size, front, plain_stack
from ..numpy.indexing import untake
from . import signal as sg

_FLOATS = (_np.dtype(_np.float64), _np.dtype(_np.complex128))


def _dtype(x: Any) -> Any:
    v = plain_stack(x)
    return v.dtype if hasattr(v, "dtype") else _np.asarray(v).dtype


def _example_shape(x: Any, d: Any) -> tuple:
    s = shape_of(x)
    return s if d is None else s[:d] + s[d + 1:]


def _window(s1: tuple, s2: tuple, mode: str) -> tuple:
    """The slices of the full convolution that make the ``mode`` result, per axis."""
    if mode == "full":
        return tuple(slice(None) for _ in s1)
    starts = sg._offsets(s1, s2, mode)
    sizes = s1 if mode == "same" else tuple(abs(m - n) + 1 for m, n in zip(s1, s2))
    return tuple(slice(o, o + n) for o, n in zip(starts, sizes))


def _fft_method(kind: str, s1: tuple, s2: tuple, dtypes: tuple, mode: str, method: str) -> bool:
    """Does each example's convolution go through FFTs (as SciPy chooses for one example)?"""
    if kind == "fftconvolve":
        return True
    if kind == "convolve2d" or method == "direct":
        return False
    if method == "fft":
        return True
    if any(t not in _FLOATS for t in dtypes):
        return False  # SciPy's choice for integers reads their values; direct gives the same integers
    return _ss.choose_conv_method(_np.zeros(s1, dtypes[0]), _np.zeros(s2, dtypes[1]), mode) == "fft"


def _both_by_fft(a: Any, b: Any, s1: tuple, s2: tuple) -> Any:
    """Each example's full convolution, examples first, by FFTs along the examples' axes."""
    full = tuple(m + n - 1 for m, n in zip(s1, s2))
    axes = tuple(range(1, len(s1) + 1))
    if any(_dtype(x).kind == "c" for x in (a, b)):
        return fft.ifftn(fft.fftn(a, full, axes) * fft.fftn(b, full, axes), full, axes)
    return fft.irfftn(fft.rfftn(a, full, axes) * fft.rfftn(b, full, axes), full, axes)


def _shifted_products(a: Any, b: Any, s1: tuple, s2: tuple, dtype: Any, size: int) -> Any:
    """Each example's full convolution, examples first (an axis of length one for a shared input): one
    shifted product for each element of the smaller input."""
    if _np.prod(s2) > _np.prod(s1):
        a, b, s1, s2 = b, a, s2, s1
    full = (size,) + tuple(m + n - 1 for m, n in zip(s1, s2))
    total = None
    for k in _np.ndindex(*s2):
        weight = b[(slice(None),) + k + (None,) * len(s1)]
        placed = untake(a * weight, (slice(None),) + tuple(slice(i, i + m) for i, m in zip(k, s1)), full, dtype)
        total = placed if total is None else total + placed
    return total


_MOST_SHIFTS = 64  # beyond this many elements in the smaller input, the loop over examples is quicker


def _conv_rule(conv: Any, kind: str) -> Any:
    """The rule of a convolution primitive ``conv(in1, in2, mode[, method])``."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        (a, b), (da, db) = args[:2], dims[:2]
        mode = args[2] if len(args) > 2 else kwargs.pop("mode", "full")
        method = args[3] if len(args) > 3 else kwargs.pop("method", "auto")
        if kwargs or len(args) > (4 if kind == "convolve" else 3):
            return NotImplemented
        s1, s2 = _example_shape(a, da), _example_shape(b, db)
        dtypes = (_dtype(a), _dtype(b))
        if (any(d is not None for d in dims[2:]) or len(s1) != len(s2) or not s1 or 0 in s1 + s2
                or mode not in ("full", "same", "valid")
                or (mode == "valid" and not (all(m >= n for m, n in zip(s1, s2)) or all(m <= n for m, n in zip(s1, s2))))):
            return NotImplemented  # SciPy's own results and errors, per example
        by_fft = _fft_method(kind, s1, s2, dtypes, mode, method)
        cut = (slice(None),) + _window(s1, s2, mode)
        if da is not None and db is not None and by_fft:
            if any(t not in _FLOATS for t in dtypes):
                return NotImplemented
            return _both_by_fft(front(a, da), front(b, db), s1, s2)[cut], 0
        a = front(a, da) if da is not None else a[None]  # a shared input: a batch axis of length one
        b = front(b, db) if db is not None else b[None]
        if not by_fft:
            if min(_np.prod(s1), _np.prod(s2)) > _MOST_SHIFTS:
                return NotImplemented  # SciPy's 1-d and 2-d direct convolutions per example beat its N-d one
            return _shifted_products(a, b, s1, s2, _np.result_type(*dtypes), batch_size(args[:2], dims[:2]))[cut], 0
        extra = () if kind == "fftconvolve" else ("fft",)
        if da is not None and (mode != "valid" or all(m >= n for m, n in zip(s1, s2))):
            return conv(a, b, mode, *extra), 0
        return conv(a, b, "full", *extra)[cut], 0

    rule.__name__ = f"batch_{kind}"
    return rule


def_rules(sg._convolve, batch=_conv_rule(sg._convolve, "convolve"))
def_rules(sg._fftconvolve, batch=_conv_rule(sg._fftconvolve, "fftconvolve"))
def_rules(sg._convolve2d, batch=_conv_rule(sg._convolve2d, "convolve2d"))

__all__: list = []

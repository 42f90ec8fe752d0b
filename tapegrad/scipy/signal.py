"""``tapegrad.scipy.signal``: convolution and correlation, differentiable in both inputs.

Each convolution is bilinear. Its VJP in one input is a full convolution of
the cotangent with the other input reversed, cut to the input's extent at an
offset set by ``mode``; its JVP is the convolution of the tangent.
"""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.signal as _ss

from ..core import Box, def_rules, getval
from ..numpy.indexing import untake
from ..numpy._wrap import def_linear, shape_of, wrap
from ..numpy.ufuncs import conjugate


def _flip(x: Any) -> Any:
    return x[(slice(None, None, -1),) * len(shape_of(x))]


def _offsets(s1: tuple, s2: tuple, mode: str) -> list:
    """Where the ``mode`` output starts inside the full convolution, per axis."""
    if mode == "full":
        return [0] * len(s1)
    if mode == "same":
        return [(n2 - 1) // 2 for n2 in s2]
    if mode == "valid":
        return [min(n1, n2) - 1 for n1, n2 in zip(s1, s2)]
    raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")


def _conv_rules(conv: Any, mode_of: Any) -> None:
    """VJPs and JVPs of a convolution primitive ``conv(a, b, ...)``; ``mode_of(args, kwargs)`` reads its mode."""

    def cut(full: Any, other_shape: tuple, own_shape: tuple, offsets: list) -> Any:
        # The window [m-1-s, m-1-s+n) of the full convolution; parts of it beyond
        # the full result (a large kernel in 'same' mode) are zeros.
        src, dst, inside = [], [], True
        for m, n, s, length in zip(other_shape, own_shape, offsets, shape_of(full)):
            start = m - 1 - s
            lo, hi = max(start, 0), min(start + n, length)
            src.append(slice(lo, hi))
            dst.append(slice(lo - start, hi - start))
            inside = inside and lo == start and hi == start + n
        if inside:
            return full[tuple(src)]
        return untake(full[tuple(src)], tuple(dst), own_shape, _np.result_type(getval(full)))

    def vjp_a(g: Any, ans: Any, a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        s1, s2 = shape_of(a), shape_of(b)
        offsets = _offsets(s1, s2, mode_of(args, kwargs))
        return cut(conv(g, _flip(b), "full"), s2, s1, offsets)

    def vjp_b(g: Any, ans: Any, a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        s1, s2 = shape_of(a), shape_of(b)
        offsets = _offsets(s1, s2, mode_of(args, kwargs))
        return cut(conv(g, _flip(a), "full"), s1, s2, offsets)

    def_rules(conv, vjp=(vjp_a, vjp_b))
    def_linear(conv, 0, 1)


def _mode(args: tuple, kwargs: dict) -> str:
    return args[0] if args else kwargs.get("mode", "full")


convolve = wrap(_ss.convolve, "scipy.signal.convolve")
_conv_rules(convolve, _mode)


def _fftconvolve_raw(in1: Any, in2: Any, mode: str = "full") -> Any:
    return _ss.fftconvolve(in1, in2, mode=mode)


_fftconvolve = wrap(_fftconvolve_raw, "scipy.signal.fftconvolve")
_conv_rules(_fftconvolve, _mode)


def fftconvolve(in1: Any, in2: Any, mode: str = "full", axes: Any = None) -> Any:
    """``scipy.signal.fftconvolve`` (over all axes when traced)."""
    if axes is not None:
        if isinstance(in1, Box) or isinstance(in2, Box):
            raise NotImplementedError("tapegrad.scipy.signal.fftconvolve differentiates the all-axes convolution only (axes=None)")
        return _ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    return _fftconvolve(in1, in2, mode)


def _convolve2d_raw(in1: Any, in2: Any, mode: str = "full") -> Any:
    return _ss.convolve2d(in1, in2, mode=mode)


_convolve2d = wrap(_convolve2d_raw, "scipy.signal.convolve2d")
_conv_rules(_convolve2d, _mode)


def convolve2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0) -> Any:
    """``scipy.signal.convolve2d``; traced inputs need the zero-filled boundary (the default)."""
    if boundary != "fill" or fillvalue != 0:
        if isinstance(in1, Box) or isinstance(in2, Box):
            raise NotImplementedError("tapegrad.scipy.signal.convolve2d differentiates boundary='fill', fillvalue=0 only")
        return _ss.convolve2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    return _convolve2d(in1, in2, mode)


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """``scipy.signal.correlate``: the convolution of ``in1`` with ``in2`` reversed and conjugated."""
    if not isinstance(in1, Box) and not isinstance(in2, Box):
        return _ss.correlate(in1, in2, mode=mode, method=method)
    return convolve(in1, _flip(conjugate(in2)), mode=mode, method=method)


__all__ = ["convolve", "correlate", "fftconvolve", "convolve2d"]

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


_convolve = wrap(_ss.convolve, "scipy.signal.convolve")
_conv_rules(_convolve, _mode)


def _tensor_convolve(a: Any, b: Any, axes: Any, dot_axes: Any, mode: str) -> Any:
    """autograd's generalised convolution, composed of tensordot and zero-padding.

    Convolves ``a`` and ``b`` along the paired ``axes``, contracts the paired
    ``dot_axes``, and keeps the other axes as an outer product. The result's
    axes are a's others, then b's others, then the convolved ones. The loop runs
    over the positions of the operand with the smaller convolved extent.
    """
    from ..numpy import tensordot, transpose

    (conv_a, conv_b), (dot_a, dot_b) = [list(x) for x in axes], [list(x) for x in dot_axes]
    sa, sb = shape_of(a), shape_of(b)
    rest_a = [i for i in range(len(sa)) if i not in conv_a and i not in dot_a]
    rest_b = [i for i in range(len(sb)) if i not in conv_b and i not in dot_b]
    na, nb = [sa[i] for i in conv_a], [sb[i] for i in conv_b]
    nc, ra, rb = len(conv_a), len(rest_a), len(rest_b)
    at = transpose(a, rest_a + conv_a + dot_a)
    bt = transpose(b, rest_b + conv_b + dot_b)
    full = tuple([sa[i] for i in rest_a] + [sb[i] for i in rest_b] + [m + n - 1 for m, n in zip(na, nb)])
    dtype = _np.result_type(getval(a), getval(b))
    total = None
    loop_b = _np.prod(nb) <= _np.prod(na)
    for k in _np.ndindex(*(nb if loop_b else na)):
        if loop_b:  # a's grid, weighted by b at offset k
            piece = bt[(slice(None),) * rb + k]
            term = tensordot(at, piece, (list(range(ra + nc, ra + nc + len(dot_a))), list(range(rb, rb + len(dot_b)))))
            term = transpose(term, list(range(ra)) + list(range(ra + nc, ra + nc + rb)) + list(range(ra, ra + nc)))
            extent = na
        else:  # b's grid, weighted by a at offset k
            piece = at[(slice(None),) * ra + k]
            term = tensordot(piece, bt, (list(range(ra, ra + len(dot_a))), list(range(rb + nc, rb + nc + len(dot_b)))))
            extent = nb
        window = (slice(None),) * (ra + rb) + tuple(slice(o, o + n) for o, n in zip(k, extent))
        placed = untake(term, window, full, dtype)
        total = placed if total is None else total + placed
    if mode == "full":
        return total
    offsets = _offsets(na, nb, mode)
    sizes = na if mode == "same" else [abs(m - n) + 1 for m, n in zip(na, nb)]
    return total[(slice(None),) * (ra + rb) + tuple(slice(o, o + n) for o, n in zip(offsets, sizes))]


def convolve(in1: Any, in2: Any, mode: Any = "full", method: Any = "auto", axes: Any = None, dot_axes: Any = None) -> Any:
    """``scipy.signal.convolve``, also accepting autograd's generalised form.

    ``convolve(A, B, axes=([...], [...]), dot_axes=([...], [...]), mode=...)``
    (or autograd's positional order ``convolve(A, B, axes, dot_axes, mode)``)
    convolves along paired axes and contracts paired dot axes, as
    ``autograd.scipy.signal.convolve`` does.
    """
    if not isinstance(mode, str):  # autograd's positional order: (A, B, axes, dot_axes, mode)
        axes, dot_axes, mode = mode, (None if isinstance(method, str) else method), (axes if isinstance(axes, str) else "full")
        method = "auto"
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")
    if axes is None and not (dot_axes and any(len(d) for d in dot_axes)):
        return _convolve(in1, in2, mode, method)
    if axes is None:
        axes = [[i for i in range(len(shape_of(x))) if i not in d] for x, d in zip((in1, in2), dot_axes)]
    sa, sb = shape_of(in1), shape_of(in2)
    if mode == "valid" and not (all(sa[i] >= sb[j] for i, j in zip(*axes)) or all(sa[i] <= sb[j] for i, j in zip(*axes))):
        raise ValueError("convolve: in 'valid' mode one input must be at least as large as the other along every convolved axis")
    return _tensor_convolve(in1, in2, axes, dot_axes or ((), ()), mode)


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
    return _convolve(in1, _flip(conjugate(in2)), mode, method)


__all__ = ["convolve", "correlate", "fftconvolve", "convolve2d"]

from . import _batch_signal  # noqa: E402, F401 - the rules of vmap for the convolutions above

"""``tapegrad.numpy.fft``: discrete Fourier transforms with derivatives.

Every transform is linear, so its JVP is the transform of the tangent. The
VJPs use that the (normalised) DFT matrix is symmetric: the cotangent of a
complex transform is the same transform of ``g``, cropped or zero-padded back
to the input's shape where ``n``/``s`` padded or cropped the input.

The real transforms need more care:

* ``rfft`` keeps the first ``n//2 + 1`` rows of the DFT, so its VJP zero-pads
  ``g`` to the full length, applies the full complex ``fft`` and keeps the real
  part (the input is real).
* ``irfft`` reads only the first ``n//2 + 1`` input bins and uses each interior
  bin twice (once conjugated) while ignoring the imaginary part of the DC and
  (even ``n``) Nyquist bins: ``y = c Re(sum_k w_k a_k e^{2 pi i jk/n})`` with
  ``w = [1, 2, ..., 2, 1 or 2]``. Its VJP is ``w * ifft(g)`` cropped to
  ``n//2 + 1`` bins, then fitted to the input's length.

``hfft``/``ihfft`` and the 2-D transforms are compositions of these.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> x = np.array([1.0, 2.0, 3.0])
>>> g = grad(lambda x: np.sum(np.abs(np.fft.fft(x)) ** 2))(x)  # Parseval: 3 * |x|^2
>>> bool(np.allclose(g, 6.0 * x))
True
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as _np

from ..core import def_rules, primitive
from ._wrap import def_linear, shape_of, unbroadcast, wrap
from .composite import composite
from .ufuncs import conjugate
from .missing import is_function, lookup

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn",
    "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
    "hfft", "ihfft", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]

# ----- static helpers (shapes only) -------------------------------------------


def _fit_raw(x: Any, shape: tuple) -> Any:
    out = _np.zeros(shape, dtype=_np.result_type(x))
    common = tuple(slice(0, min(a, b)) for a, b in zip(_np.shape(x), shape))
    out[common] = _np.asarray(x)[common]
    return out


# Crop or zero-pad every axis to ``shape`` (keeping the leading corner): the
# adjoint of a crop is a pad and vice versa, so it is its own VJP.
_fit = primitive(_fit_raw, "fft_fit")
def_rules(
    _fit,
    vjp=lambda g, ans, x, shape: _fit(g, shape_of(x)),
    jvp=lambda x_dot, ans, x, shape: _fit(x_dot, shape),
)


def fit(x: Any, shape: tuple) -> Any:
    """``x`` cropped or zero-padded to ``shape``; ``x`` itself if it already fits."""
    return x if tuple(shape_of(x)) == tuple(shape) else _fit(x, tuple(shape))


def _resize(shape: tuple, axes: Sequence[int], sizes: Sequence[int]) -> tuple:
    out = list(shape)
    for ax, n in zip(axes, sizes):
        out[ax] = n
    return tuple(out)


def _axis(axis: int, ndim: int) -> int:
    return axis % ndim


def _axes_and_sizes(x_shape: tuple, s: Any, axes: Any, real_out: bool = False) -> tuple:
    """Normalised axes and transform lengths of an n-dimensional transform.

    ``real_out``: ``irfftn`` semantics, where the last length defaults to
    ``2 * (m - 1)``.
    """
    ndim = len(x_shape)
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    axes = [a % ndim for a in axes]
    if s is None:
        s = [None] * len(axes)
    sizes = []
    for i, (ax, n) in enumerate(zip(axes, s)):
        if n is None or n == -1:
            n = x_shape[ax]
            if real_out and i == len(axes) - 1:
                n = 2 * (n - 1)
        sizes.append(int(n))
    return axes, sizes


def _hermitian_weights(n: int, axis: int, ndim: int) -> Any:
    """How often each of the ``n//2 + 1`` half-spectrum bins enters a length-``n`` real signal."""
    w = _np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (ndim - axis - 1))


# ----- complex transforms -------------------------------------------------------

fft = wrap(_np.fft.fft, "fft.fft")
ifft = wrap(_np.fft.ifft, "fft.ifft")
fftn = wrap(_np.fft.fftn, "fft.fftn")
ifftn = wrap(_np.fft.ifftn, "fft.ifftn")


def _fft1_vjp(transform: Any) -> Any:
    def vjp(g: Any, ans: Any, x: Any, n: Any = None, axis: int = -1, norm: Any = None, **kw: Any) -> Any:
        return unbroadcast(fit(transform(g, axis=axis, norm=norm), shape_of(x)), x)

    return vjp


def _fftn_vjp(transform: Any) -> Any:
    def vjp(g: Any, ans: Any, x: Any, s: Any = None, axes: Any = None, norm: Any = None, **kw: Any) -> Any:
        axes, _ = _axes_and_sizes(shape_of(x), s, axes)
        return unbroadcast(fit(transform(g, axes=axes, norm=norm), shape_of(x)), x)

    return vjp


for _f, _vjp in ((fft, _fft1_vjp(fft)), (ifft, _fft1_vjp(ifft)), (fftn, _fftn_vjp(fftn)), (ifftn, _fftn_vjp(ifftn))):
    def_rules(_f, vjp=_vjp)
    def_linear(_f, 0)

# ----- real-input transforms ---------------------------------------------------

rfft = wrap(_np.fft.rfft, "fft.rfft")
rfftn = wrap(_np.fft.rfftn, "fft.rfftn")


def _rfft_vjp(g: Any, ans: Any, x: Any, n: Any = None, axis: int = -1, norm: Any = None, **kw: Any) -> Any:
    x_shape = shape_of(x)
    ax = _axis(axis, len(x_shape))
    full = _resize(shape_of(g), [ax], [n if n is not None else x_shape[ax]])
    return unbroadcast(fit(fft(fit(g, full), axis=ax, norm=norm), x_shape), x)


def _rfftn_vjp(g: Any, ans: Any, x: Any, s: Any = None, axes: Any = None, norm: Any = None, **kw: Any) -> Any:
    x_shape = shape_of(x)
    axes, sizes = _axes_and_sizes(x_shape, s, axes)
    full = _resize(shape_of(g), axes, sizes)
    return unbroadcast(fit(fftn(fit(g, full), axes=axes, norm=norm), x_shape), x)


def_rules(rfft, vjp=_rfft_vjp)
def_linear(rfft, 0)
def_rules(rfftn, vjp=_rfftn_vjp)
def_linear(rfftn, 0)

# ----- real-output transforms --------------------------------------------------

irfft = wrap(_np.fft.irfft, "fft.irfft")
irfftn = wrap(_np.fft.irfftn, "fft.irfftn")


def _irfft_vjp(g: Any, ans: Any, a: Any, n: Any = None, axis: int = -1, norm: Any = None, **kw: Any) -> Any:
    ndim = len(shape_of(g))
    ax = _axis(axis, ndim)
    n_out = shape_of(g)[ax]
    half = fit(ifft(g, axis=ax, norm=norm), _resize(shape_of(g), [ax], [n_out // 2 + 1]))
    return unbroadcast(fit(half * _hermitian_weights(n_out, ax, ndim), shape_of(a)), a)


def _irfftn_vjp(g: Any, ans: Any, a: Any, s: Any = None, axes: Any = None, norm: Any = None, **kw: Any) -> Any:
    ndim = len(shape_of(g))
    axes, _ = _axes_and_sizes(shape_of(a), s, axes, real_out=True)
    last = axes[-1]
    n_out = shape_of(g)[last]
    half = fit(ifftn(g, axes=axes, norm=norm), _resize(shape_of(g), [last], [n_out // 2 + 1]))
    return unbroadcast(fit(half * _hermitian_weights(n_out, last, ndim), shape_of(a)), a)


def_rules(irfft, vjp=_irfft_vjp)
def_linear(irfft, 0)
def_rules(irfftn, vjp=_irfftn_vjp)
def_linear(irfftn, 0)

# ----- compositions --------------------------------------------------------------

_SWAP_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _refuse_out(out: Any, name: str) -> None:
    if out is not None:
        raise ValueError(f"numpy.fft.{name}: out= cannot hold a traced result; assign the return value instead")


@composite(_np.fft.fft2, "fft.fft2")
def fft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.fft2``: ``fftn`` over two axes."""
    _refuse_out(out, "fft2")
    return fftn(a, s, axes, norm)


@composite(_np.fft.ifft2, "fft.ifft2")
def ifft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.ifft2``: ``ifftn`` over two axes."""
    _refuse_out(out, "ifft2")
    return ifftn(a, s, axes, norm)


@composite(_np.fft.rfft2, "fft.rfft2")
def rfft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.rfft2``: ``rfftn`` over two axes."""
    _refuse_out(out, "rfft2")
    return rfftn(a, s, axes, norm)


@composite(_np.fft.irfft2, "fft.irfft2")
def irfft2(a: Any, s: Any = None, axes: Sequence[int] = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.irfft2``: ``irfftn`` over two axes."""
    _refuse_out(out, "irfft2")
    return irfftn(a, s, axes, norm)


@composite(_np.fft.hfft, "fft.hfft")
def hfft(a: Any, n: Optional[int] = None, axis: int = -1, norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.hfft``: the real signal of a Hermitian half-spectrum, ``irfft(conj(a))`` with swapped scaling."""
    _refuse_out(out, "hfft")
    return irfft(conjugate(a), n, axis, _SWAP_NORM[norm])


@composite(_np.fft.ihfft, "fft.ihfft")
def ihfft(a: Any, n: Optional[int] = None, axis: int = -1, norm: Optional[str] = None, out: Any = None) -> Any:
    """``numpy.fft.ihfft``: ``conj(rfft(a))`` with swapped scaling."""
    _refuse_out(out, "ihfft")
    return conjugate(rfft(a, n, axis, _SWAP_NORM[norm]))


# ----- shifts and frequencies ------------------------------------------------------

fftshift = wrap(_np.fft.fftshift, "fft.fftshift")
ifftshift = wrap(_np.fft.ifftshift, "fft.ifftshift")
# A cyclic shift's adjoint is the opposite shift.
def_rules(fftshift, vjp=lambda g, ans, x, axes=None: ifftshift(g, axes))
def_linear(fftshift, 0)
def_rules(ifftshift, vjp=lambda g, ans, x, axes=None: fftshift(g, axes))
def_linear(ifftshift, 0)


@composite(_np.fft.fftfreq, "fft.fftfreq")
def fftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """``numpy.fft.fftfreq``; a traced spacing ``d`` is differentiated (the result is ``k / (n d)``)."""
    return _np.fft.fftfreq(n) / d


@composite(_np.fft.rfftfreq, "fft.rfftfreq")
def rfftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """``numpy.fft.rfftfreq``; a traced spacing ``d`` is differentiated."""
    return _np.fft.rfftfreq(n) / d


def __getattr__(name: str) -> Any:
    """Any other ``numpy.fft`` name, guarded against traced values."""

    obj = getattr(_np.fft, name)
    return lookup(obj, f"numpy.fft.{name}") if is_function(obj) else obj

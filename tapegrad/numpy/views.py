"""The public forms of NumPy's view-returning functions.

``np.transpose(x)``, ``np.reshape(x, s)``, ``np.flip(x)``... return views in
NumPy: a later write into the result changes ``x`` too. On a traced array these
functions compute their result with the plain primitives of :mod:`.shaping` and
:mod:`.rearrange` (NumPy itself, on the values) and then
:func:`tapegrad.numpy.memory.link` makes it a view of ``x`` exactly where NumPy
returned one: read-only where NumPy's is (``broadcast_to``, ``diagonal``).

Rules use the plain primitives; only user-facing calls pay for the link.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, getval
from . import creation as _cr
from . import rearrange as _re
from . import shaping as _sh
from . import ufuncs as _uf
from ._wrap import dispatches
from .memory import first_example, link, numpy_views


def _linked(a: Any, out: Any) -> Any:
    return link(a, out) if isinstance(a, Box) else out


@dispatches(_np.reshape)
def reshape(a: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.reshape`` (a view when NumPy's is one)."""
    return _linked(a, _sh.reshape(a, *args, **kwargs))


@dispatches(_np.ravel)
def ravel(a: Any, order: str = "C") -> Any:
    """``numpy.ravel`` (a view when NumPy's is one)."""
    return _linked(a, _sh.ravel(a, order=order))


@dispatches(_np.transpose)
def transpose(a: Any, axes: Any = None) -> Any:
    """``numpy.transpose`` (a view)."""
    return _linked(a, _sh.transpose(a, axes))


@dispatches(_np.swapaxes)
def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``numpy.swapaxes`` (a view)."""
    return _linked(a, _sh.swapaxes(a, axis1, axis2))


@dispatches(_np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """``numpy.moveaxis`` (a view)."""
    return _linked(a, _sh.moveaxis(a, source, destination))


@dispatches(_np.squeeze)
def squeeze(a: Any, axis: Any = None) -> Any:
    """``numpy.squeeze`` (a view)."""
    return _linked(a, _sh.squeeze(a, axis=axis))


@dispatches(_np.expand_dims)
def expand_dims(a: Any, axis: Any) -> Any:
    """``numpy.expand_dims`` (a view)."""
    return _linked(a, _sh.expand_dims(a, axis))


@dispatches(_np.flip)
def flip(m: Any, axis: Any = None) -> Any:
    """``numpy.flip`` (a view)."""
    return _linked(m, _re.flip(m, axis))


@dispatches(_np.fliplr)
def fliplr(m: Any) -> Any:
    """``numpy.fliplr`` (a view)."""
    return _linked(m, _re.fliplr(m))


@dispatches(_np.flipud)
def flipud(m: Any) -> Any:
    """``numpy.flipud`` (a view)."""
    return _linked(m, _re.flipud(m))


@dispatches(_np.rot90)
def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """``numpy.rot90`` (a view)."""
    return _linked(m, _re.rot90(m, k, axes))


@dispatches(_np.real)
def real(val: Any) -> Any:
    """``numpy.real``: of an array, a view (its real part, or the array's own values)."""
    return _linked(val, _uf.real(val))


@dispatches(_np.imag)
def imag(val: Any) -> Any:
    """``numpy.imag``: of a complex array, a view; of a real one, read-only zeros."""
    return _linked(val, _uf.imag(val))


@dispatches(_np.broadcast_to)
def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    """``numpy.broadcast_to`` (a read-only view)."""
    return _linked(array, _sh.broadcast_to(array, shape))


@dispatches(_np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """``numpy.diagonal`` (a read-only view)."""
    if not isinstance(a, Box) or first_example(a) is None:
        return _re.diagonal(a, offset, axis1, axis2)
    return numpy_views(_np.diagonal, a, offset, axis1, axis2)


@dispatches(_np.diag)
def diag(v: Any, k: int = 0) -> Any:
    """``numpy.diag``: of a matrix, its k-th diagonal (a read-only view); of a vector, a new matrix."""
    if isinstance(v, Box) and len(getval(v).shape) == 2:
        return diagonal(v, k)
    return _re.diag(v, k)


def _in_layout(np_fun: Any, a: Any, dtype: Any, order: str) -> Any:
    """``np_fun(a, dtype)`` for a NumPy function that returns ``a`` itself, a view, or a copy in ``order``."""
    if not isinstance(a, Box):
        return np_fun(a, dtype=dtype)
    if isinstance(getval(a), Box):  # batched by vmap: what NumPy does with an example, by its flags
        return _example_in_layout(np_fun, a, dtype, order)
    value = np_fun(getval(a), dtype=dtype)
    if value is getval(a):
        return a
    if _np.may_share_memory(value, getval(a)):
        return link(a, _sh.reshape(a, value.shape))  # a 0-d array becomes 1-d, a view
    out = _cr.astype(a, dtype) if dtype is not None else a
    return _cr.copy(_sh.reshape(out, value.shape), order=order)


def _example_in_layout(np_fun: Any, a: Any, dtype: Any, order: str) -> Any:
    """``_in_layout`` of an array batched by vmap: ``a`` itself, a view (0-d examples become 1-d) or a copy,
    as NumPy's function does with one example (``a.flags``: an example's layout; a scalar is copied)."""
    shape = np_fun(_np.zeros(a.shape, a.dtype)).shape
    same = dtype is None or _np.dtype(dtype) == a.dtype
    one = getval(a)  # (its flags are an example's)
    if same and not getattr(one, "immutable", False) and (
            one.flags.c_contiguous if order == "C" else one.flags.f_contiguous):
        return a if shape == a.shape else link(a, _sh.reshape(a, shape))
    out = _cr.astype(a, dtype) if not same else a
    return _cr.copy(_sh.reshape(out, shape), order=order)


_SEVERAL = type(_np.atleast_1d(0, 0))  # what atleast_Nd returns for several arrays (a tuple in NumPy 2)


def _atleast(np_fun: Any, traced: Any) -> Any:
    """The public ``numpy.atleast_Nd``: NumPy's own views of a traced array (its new unit axes have
    NumPy's strides, which decide what a later assignment from the same memory checks)."""

    @dispatches(np_fun)
    def atleast(*arys: Any) -> Any:
        if len(arys) != 1:
            return _SEVERAL(atleast(a) for a in arys)
        a = arys[0]
        if isinstance(a, Box) and type(getval(a)) is _np.ndarray:
            return numpy_views(np_fun, a)
        return traced(a)

    atleast.__name__ = atleast.__qualname__ = np_fun.__name__
    atleast.__doc__ = f"``numpy.{np_fun.__name__}`` (NumPy's views of a traced array)."
    return atleast


atleast_1d = _atleast(_np.atleast_1d, _sh.atleast_1d)
atleast_2d = _atleast(_np.atleast_2d, _sh.atleast_2d)
atleast_3d = _atleast(_np.atleast_3d, _sh.atleast_3d)


@dispatches(_np.ascontiguousarray)
def ascontiguousarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.ascontiguousarray``: ``a`` itself if C-contiguous, else a C-ordered copy."""
    return _in_layout(_np.ascontiguousarray, a, dtype, "C")


@dispatches(_np.asfortranarray)
def asfortranarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.asfortranarray``: ``a`` itself if Fortran-contiguous, else a Fortran-ordered copy."""
    return _in_layout(_np.asfortranarray, a, dtype, "F")


__all__ = [
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims", "flip",
    "fliplr", "flipud", "rot90", "real", "imag", "broadcast_to", "diagonal", "diag", "ascontiguousarray", "asfortranarray",
    "atleast_1d", "atleast_2d", "atleast_3d",
]

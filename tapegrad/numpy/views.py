"""The public forms of NumPy's view-returning functions.

``np.transpose(x)``, ``np.reshape(x, s)``, ``np.flip(x)``... return views in
NumPy: a later write into the result changes ``x`` too. On a traced array these
functions link their result to ``x`` (see :func:`tapegrad.numpy.box._view`)
whenever NumPy itself returned a view, so writes propagate exactly as in NumPy.
``broadcast_to`` and ``diagonal`` are read-only views, as in NumPy.

Rules use the plain primitives in :mod:`.shape` and :mod:`.rearrange`; only
user-facing calls pay for the link.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

import importlib

# ``from . import shape`` would give the package attribute ``shape``, which is
# numpy.shape (a function): name the modules explicitly.
_sh = importlib.import_module(".shape", __package__)
_re = importlib.import_module(".rearrange", __package__)
from ._wrap import dispatches
from .box import ArrayBox, _view


def _linked(a: Any, out: Any, read: Any, write: Any, check: bool = True) -> Any:
    return _view(a, out, read, write, check) if isinstance(a, ArrayBox) else out


@dispatches(_np.reshape)
def reshape(a: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.reshape`` (a view when NumPy's is one)."""
    order = kwargs.get("order", "C")
    return _linked(a, _sh.reshape(a, *args, **kwargs), lambda b: _sh.reshape(b, *args, **kwargs),
                   lambda b, v: _sh.reshape(v, b.shape, order=order))


@dispatches(_np.ravel)
def ravel(a: Any, order: str = "C") -> Any:
    """``numpy.ravel`` (a view when NumPy's is one)."""
    return _linked(a, _sh.ravel(a, order=order), lambda b: _sh.ravel(b, order=order),
                   lambda b, v: _sh.reshape(v, b.shape, order=order))


@dispatches(_np.transpose)
def transpose(a: Any, axes: Any = None) -> Any:
    """``numpy.transpose`` (a view)."""
    inverse = None if axes is None else tuple(_np.argsort([x % len(axes) for x in axes]))
    return _linked(a, _sh.transpose(a, axes), lambda b: _sh.transpose(b, axes), lambda b, v: _sh.transpose(v, inverse))


@dispatches(_np.swapaxes)
def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``numpy.swapaxes`` (a view)."""
    return _linked(a, _sh.swapaxes(a, axis1, axis2), lambda b: _sh.swapaxes(b, axis1, axis2),
                   lambda b, v: _sh.swapaxes(v, axis1, axis2))


@dispatches(_np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """``numpy.moveaxis`` (a view)."""
    return _linked(a, _sh.moveaxis(a, source, destination), lambda b: _sh.moveaxis(b, source, destination),
                   lambda b, v: _sh.moveaxis(v, destination, source))


@dispatches(_np.squeeze)
def squeeze(a: Any, axis: Any = None) -> Any:
    """``numpy.squeeze`` (a view)."""
    return _linked(a, _sh.squeeze(a, axis=axis), lambda b: _sh.squeeze(b, axis=axis), lambda b, v: _sh.reshape(v, b.shape))


@dispatches(_np.expand_dims)
def expand_dims(a: Any, axis: Any) -> Any:
    """``numpy.expand_dims`` (a view)."""
    return _linked(a, _sh.expand_dims(a, axis), lambda b: _sh.expand_dims(b, axis), lambda b, v: _sh.reshape(v, b.shape))


@dispatches(_np.flip)
def flip(m: Any, axis: Any = None) -> Any:
    """``numpy.flip`` (a view)."""
    return _linked(m, _re.flip(m, axis), lambda b: _re.flip(b, axis), lambda b, v: _re.flip(v, axis))


@dispatches(_np.fliplr)
def fliplr(m: Any) -> Any:
    """``numpy.fliplr`` (a view)."""
    return _linked(m, _re.fliplr(m), _re.fliplr, lambda b, v: _re.fliplr(v))


@dispatches(_np.flipud)
def flipud(m: Any) -> Any:
    """``numpy.flipud`` (a view)."""
    return _linked(m, _re.flipud(m), _re.flipud, lambda b, v: _re.flipud(v))


@dispatches(_np.rot90)
def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """``numpy.rot90`` (a view)."""
    return _linked(m, _re.rot90(m, k, axes), lambda b: _re.rot90(b, k, axes), lambda b, v: _re.rot90(v, -k, axes))


@dispatches(_np.broadcast_to)
def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    """``numpy.broadcast_to`` (a read-only view)."""
    return _linked(array, _sh.broadcast_to(array, shape), lambda b: _sh.broadcast_to(b, shape), None, check=False)


@dispatches(_np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """``numpy.diagonal`` (a read-only view)."""
    return _linked(a, _re.diagonal(a, offset, axis1, axis2), lambda b: _re.diagonal(b, offset, axis1, axis2), None, check=False)


__all__ = [
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims", "flip",
    "fliplr", "flipud", "rot90", "broadcast_to", "diagonal",
]

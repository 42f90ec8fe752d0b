"""The vector spaces of arrays and numeric scalars."""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as _np

from ..core import Box, register_vspace
from ..core.vspace import register_differentiable, VSpace
from .ufuncs import conjugate, real
from .reductions import sum as _sum


class ArrayVSpace(VSpace):
    """Arrays of one shape and floating dtype; integers are promoted to float64."""

    def __init__(self, value: Any) -> None:
        if type(value) is not _np.ndarray:
            value = _np.asarray(value)
        self.shape = value.shape
        dtype = value.dtype
        if dtype.kind not in "fc":
            dtype = _np.dtype(_np.float64)
        self.dtype = dtype
        self.size = math.prod(self.shape)
        self.ndim = len(self.shape)
        self.iscomplex = dtype.kind == "c"

    def zeros(self) -> Any:
        return _np.zeros(self.shape, dtype=self.dtype)

    def ones(self) -> Any:
        return _np.ones(self.shape, dtype=self.dtype)

    def standard_basis(self) -> Iterator[Any]:
        for idx in _np.ndindex(*self.shape):
            v = _np.zeros(self.shape, dtype=self.dtype)
            v[idx] = 1.0
            yield v

    def randn(self, rng: Any = None) -> Any:
        rng = _np.random if rng is None else rng
        draw = rng.standard_normal if hasattr(rng, "standard_normal") else rng.randn
        if self.iscomplex:
            return (_np.asarray(draw(self.shape)) + 1j * _np.asarray(draw(self.shape))).astype(self.dtype)
        return _np.asarray(draw(self.shape)).astype(self.dtype)

    def _inner_prod(self, x: Any, y: Any) -> Any:
        return real(_sum(conjugate(x) * y))

    def _covector(self, x: Any) -> Any:
        return conjugate(x)

    def promote(self, x: Any) -> Any:
        if self.dtype == getattr(x, "dtype", None) or isinstance(x, (float, complex, Box)):
            return x
        if isinstance(x, (bool, int, _np.bool_, _np.integer)):
            return float(x)
        return _np.asarray(x, dtype=_np.float64)


class ComplexArrayVSpace(ArrayVSpace):
    """Complex arrays (autograd's name; ``vspace`` of a complex value is one)."""

    iscomplex = True


def array_vspace(value: Any) -> ArrayVSpace:
    """The space of an array or number: a :class:`ComplexArrayVSpace` if it is complex."""
    vs = ArrayVSpace(value)
    if vs.iscomplex:
        vs.__class__ = ComplexArrayVSpace  # the same fields; only the class says "complex"
    return vs


for _t in (float, int, bool, complex, _np.ndarray, _np.generic):
    register_vspace(_t, array_vspace)

# Values that are already differentiable as they are: no vector space needed to promote them.
for _t in (float, complex, _np.float64, _np.float32, _np.complex128, _np.complex64):
    register_differentiable(_t)

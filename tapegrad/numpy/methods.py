"""Array methods of traced values: each one calls its NumPy function twin.

View-making methods (``reshape``, ``ravel``, ``transpose``...) go through the
public :mod:`tapegrad.numpy` functions, which link views to their base as
NumPy does.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, getval
from . import creation, memory, nondiff, products, reductions, shaping, ufuncs
from ._wrap import FUNCTIONS, UFUNCS


def _public(np_fun: Any) -> Any:
    """The public ``tapegrad.numpy`` form of a NumPy function (the dispatch tables hold it, views last)."""
    return FUNCTIONS.get(np_fun) or UFUNCS[np_fun]


class ArrayMethods:
    """The ndarray methods with function twins, shared by ArrayBox and ScalarBox."""

    __slots__ = ()

    def dot(self, other: Any) -> Any:
        return products.dot(self, other)

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.mean(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.prod(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.min(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        return reductions.std(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Any:
        return nondiff.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Any:
        return nondiff.argmin(self, *args, **kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> Any:
        return nondiff.argsort(self, *args, **kwargs)

    def nonzero(self) -> Any:
        return nondiff.nonzero(self)

    def all(self, *args: Any, **kwargs: Any) -> Any:
        return nondiff.all(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Any:
        return nondiff.any(self, *args, **kwargs)

    def reshape(self, *newshape: Any, order: str = "C") -> Any:
        if len(newshape) == 1 and not isinstance(newshape[0], int):
            newshape = newshape[0]
        return _public(_np.reshape)(self, newshape, order=order)

    def ravel(self, order: str = "C") -> Any:
        return _public(_np.ravel)(self, order=order)

    def flatten(self, order: str = "C") -> Any:
        return creation.copy(shaping.ravel(self, order=order))

    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _public(_np.transpose)(self, axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return _public(_np.swapaxes)(self, axis1, axis2)

    def squeeze(self, axis: Any = None) -> Any:
        return _public(_np.squeeze)(self, axis=axis)

    def conj(self) -> Any:
        return ufuncs.conjugate(self)

    conjugate = conj

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return creation.astype(self, dtype)

    def copy(self, order: str = "C") -> Any:
        v = getval(self)  # (a box batched by vmap: a 0-d array example unless it is a scalar's)
        if self.ndim == 0 and (not isinstance(v, (_np.ndarray, Box)) or getattr(v, "immutable", False)):
            return self  # a NumPy scalar's copy is a scalar: immutable, so the same one serves
        return creation.copy(self, order=order)

    def cumsum(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.cumsum)(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.cumprod)(self, *args, **kwargs)

    def ptp(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.ptp)(self, *args, **kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.clip)(self, *args, **kwargs)

    def round(self, decimals: int = 0) -> Any:
        return _public(_np.round)(self, decimals)

    def __round__(self, ndigits: Any = None) -> Any:
        return _public(_np.round)(self, ndigits or 0)

    def __divmod__(self, other: Any) -> Any:
        return _public(_np.divmod)(self, other)

    def __rdivmod__(self, other: Any) -> Any:
        return _public(_np.divmod)(other, self)

    def repeat(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.repeat)(self, *args, **kwargs)

    def diagonal(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.diagonal)(self, *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.trace)(self, *args, **kwargs)

    def take(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.take)(self, *args, **kwargs)

    def compress(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.compress)(args[0], self, *args[1:], **kwargs)

    def searchsorted(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.searchsorted)(self, *args, **kwargs)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """Sort in place, as ``ndarray.sort`` does (the box is rebound)."""
        memory.write(self, Ellipsis, _public(_np.sort)(self, *args, **kwargs))

    def partition(self, kth: Any, axis: int = -1, kind: str = "introselect", order: Any = None) -> None:
        """Partition in place, as ``ndarray.partition`` does."""
        memory.write(self, Ellipsis, _public(_np.partition)(self, kth, axis=axis, kind=kind, order=order))

    def argpartition(self, *args: Any, **kwargs: Any) -> Any:
        return _public(_np.argpartition)(self, *args, **kwargs)

    def put(self, indices: Any, values: Any, mode: str = "raise") -> None:
        """``ndarray.put``: set flat positions in place."""
        _public(_np.put)(self, indices, values, mode=mode)

    def resize(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError(
            "ndarray.resize changes a traced array's size in place, which tapegrad does not trace; "
            "use x = np.resize(x, shape), a new array."
        )

    def fill(self, value: Any) -> None:
        """Fill in place with ``value`` (which may be traced)."""
        memory.write(self, Ellipsis, value)

    def item(self, *args: Any) -> Any:
        """The element as a Python number (weakly typed in NumPy's promotion, as ``ndarray.item``'s), still traced."""
        if self._trace is CONSTANT:
            return self._value.item(*args)
        if args:
            out = self[args if len(args) > 1 else _np.unravel_index(args[0], self.shape)]
        elif self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        else:
            out = self[(0,) * self.ndim]
        return creation.item(out) if self.dtype.kind in "fc" else getval(out).item()

    def tolist(self) -> Any:
        """Nested lists of traced scalars."""
        if self.ndim == 0:
            return self
        return [self[i].tolist() for i in range(len(self))]

"""autograd's ``autograd.numpy.numpy_vjps`` helpers, for code that writes VJPs with them.

tapegrad's own rules live with their functions (``ufuncs.py``, ``reductions.py``...);
this module holds the helpers that autograd's VJPs are written with and that
client code imports: ``unbroadcast_f``, ``unbroadcast``, ``balanced_eq``,
``repeat_to_match_shape``... All are written with traced operations, so rules
built from them differentiate again.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> from tapegrad.extend import primitive, defvjp
>>> @primitive
... def scaled(x, k):
...     return x * k
>>> defvjp(scaled, lambda ans, x, k: unbroadcast_f(x, lambda g: g * k))
>>> grad(lambda x: np.sum(scaled(x, np.ones((2, 3)))))(np.ones(3))
array([2., 2., 2.])
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import SparseObject, VJPNode, defvjp, defvjp_argnum, getval, primitive, register_notrace, vspace
from ..core import func  # noqa: F401 - autograd's name
from .box import ArrayBox  # noqa: F401 - autograd's name
from .compat import metadata
from .nondiff import __all__ as _NONDIFF_NAMES, equal
from .indexing import untake as _untake, where
from .ufuncs import real
from .reductions import expand_reduced, sum as _sum

__all__ = [
    "unbroadcast", "unbroadcast_f", "unbroadcast_einsum", "balanced_eq", "replace_zero", "repeat_to_match_shape",
    "match_complex", "untake", "nograd_functions", "defvjp", "defvjp_argnum", "primitive", "register_notrace",
    "vspace", "VJPNode", "SparseObject", "ArrayBox", "func",
]


def unbroadcast(x: Any, target_meta: tuple, broadcast_idx: int = 0) -> Any:
    """``x`` summed down to the shape in ``target_meta`` (``metadata(target)``), and made real for
    a real target: the cotangent of an argument that was broadcast.

    Extra leading axes (at ``broadcast_idx``) are summed away, then the axes
    where the target has length 1.
    """

    target_shape, target_ndim, _, target_iscomplex = target_meta
    while _np.ndim(getval(x)) > target_ndim:
        x = _sum(x, axis=broadcast_idx)
    for axis, size in enumerate(target_shape):
        if size == 1 and _np.shape(getval(x))[axis] != 1:
            x = _sum(x, axis=axis, keepdims=True)
    if _np.iscomplexobj(getval(x)) and not target_iscomplex:
        x = real(x)
    return x


def unbroadcast_f(target: Any, f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``g -> unbroadcast(f(g), metadata(target))``: a VJP for an argument that may have been broadcast."""
    target_meta = metadata(target)
    return lambda g: unbroadcast(f(g), target_meta)


def unbroadcast_einsum(x: Any, target_meta: tuple, subscript: str) -> Any:
    """:func:`unbroadcast` for an ``einsum`` operand with subscript ``subscript`` (its ``...`` axes)."""
    if "..." not in subscript:
        return x
    if subscript.startswith("..."):
        return unbroadcast(x, target_meta, 0)
    if subscript.endswith("..."):
        return unbroadcast(x, target_meta, -1)
    return unbroadcast(x, target_meta, subscript.index("..."))


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """1 where ``x == z``, divided by 2 where also ``x == y``: the share of ``x`` in an extremum ``z`` of ``x`` and ``y``."""

    return equal(x, z) / (1.0 + equal(x, y))


def replace_zero(x: Any, val: Any) -> Any:
    """``x`` with its zeros replaced by ``val``."""

    return where(getval(x) != 0, x, val)


def repeat_to_match_shape(g: Any, shape: tuple, dtype: Any, axis: Any, keepdims: bool) -> tuple[Any, int]:
    """``g`` (reduced over ``axis``) broadcast back to ``shape``, and how many entries each reduced one covers."""

    if shape == ():
        return g, 1
    axes = tuple(range(len(shape))) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    num_reps = int(_np.prod([shape[a] for a in axes]))
    return expand_reduced(g, tuple(shape), axis, keepdims), num_reps


def match_complex(target: Any, x: Any) -> Any:
    """``x`` made real or complex as ``target`` is."""

    target_complex = _np.iscomplexobj(getval(target))
    x_complex = _np.iscomplexobj(getval(x))
    if x_complex and not target_complex:
        return real(x)
    if target_complex and not x_complex:
        return x + 0j
    return x


def untake(x: Any, idx: Any, vs: Any) -> Any:
    """The cotangent of ``A[idx]`` (with value ``x``) for ``A`` in space ``vs``: zeros, with ``x`` added at ``idx``."""

    return _untake(x, idx, tuple(vs.shape), vs.dtype)


# The functions with integer or boolean results: no derivative flows through them.
nograd_functions = [getattr(_np, name) for name in _NONDIFF_NAMES if callable(getattr(_np, name, None))]

"""Flatten nested tuples, lists and dicts of arrays into one vector, and back.

Both directions are written with tapegrad operations, so derivatives flow
through ``flatten`` and through ``unflatten`` (in both modes, at any order).
Dict entries are laid out in sorted key order (keys must be sortable); scalar
leaves come back as 0-d arrays, integer leaves as floats.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import Box, getval
from .. import numpy as tnp

__all__ = ["flatten", "flatten_func"]


def _spec(value: Any) -> Any:
    """The static layout of ``value``: nested ``(kind, type, keys, children)`` with leaves ``(shape, complex)``."""
    value = getval(value)
    t = type(value)
    if isinstance(value, dict):
        keys = sorted(value)
        return ("dict", t, keys, [_spec(value[k]) for k in keys])
    if isinstance(value, (tuple, list)):
        return ("seq", t, range(len(value)), [_spec(v) for v in value])
    arr = _np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"flatten: cannot flatten a leaf of type {t.__name__!r}; leaves must be numbers or arrays")
    return ("leaf", arr.shape, arr.dtype.kind == "c")


def _leaves(value: Any, spec: Any, out: list) -> None:
    if spec[0] == "leaf":
        if not isinstance(value, Box) and _np.asarray(value).dtype.kind not in "fc":
            value = _np.asarray(value, dtype=_np.float64)  # integer and boolean leaves become floats
        out.append(tnp.ravel(value))
        return
    for k, child in zip(spec[2], spec[3]):
        _leaves(value[k], child, out)


def _build(vector: Any, spec: Any, start: int) -> tuple[Any, int]:
    if spec[0] == "leaf":
        shape, leaf_complex = spec[1], spec[2]
        size = int(_np.prod(shape))
        piece = tnp.reshape(vector[start:start + size], shape)
        if not leaf_complex and getval(vector).dtype.kind == "c":
            piece = tnp.real(piece)
        return piece, start + size
    kind, t, keys, children = spec
    items = []
    for child in children:
        item, start = _build(vector, child, start)
        items.append(item)
    if kind == "dict":
        return t(zip(keys, items)), start
    make = getattr(t, "_make", None)  # namedtuples take their fields positionally
    return (make(items) if make is not None else t(items)), start


def flatten(value: Any) -> tuple[Any, Callable[[Any], Any]]:
    """A 1-D array of every number in a nesting of tuples/lists/dicts of arrays, and its inverse.

    Returns ``(vector, unflatten)``; ``unflatten(v)`` rebuilds the nesting from a
    vector of the same length. Both are differentiable.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import flatten
    >>> params = {"a": np.array([1.0, 2.0]), "b": (3.0, np.ones((1, 2)))}
    >>> vector, unflatten = flatten(params)
    >>> vector
    array([1., 2., 3., 1., 1.])
    >>> unflatten(vector * 2)["b"][0]
    array(6.)
    >>> grad(lambda p: np.sum(flatten(p)[0] ** 2))(params)["a"]
    array([2., 4.])
    """
    spec = _spec(value)
    parts: list = []
    _leaves(value, spec, parts)
    if not parts:
        vector = _np.zeros(0)
    elif len(parts) == 1:
        vector = parts[0]
    else:
        vector = tnp.concatenate(parts)
    size = getval(vector).shape[0]

    def unflatten(vector: Any) -> Any:
        """Rebuild the nesting that ``flatten`` was given from a vector of its length."""
        got = _np.shape(getval(vector))
        if got != (size,):
            raise ValueError(f"unflatten expects a vector of shape ({size},), got shape {got}")
        return _build(vector, spec, 0)[0]

    return vector, unflatten


def flatten_func(func: Callable, example: Any) -> tuple[Callable, Callable, Any]:
    """``func`` of a nested value as a function of a flat vector (with a flat output).

    Returns ``(flat_func, unflatten, flat_example)``, where
    ``flat_func(v, *args) = flatten(func(unflatten(v), *args))[0]``.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import flatten_func
    >>> loss = lambda p: np.sum(p["w"] ** 2) + p["c"]
    >>> flat_loss, unflatten, v = flatten_func(loss, {"w": np.array([1.0, 2.0]), "c": 1.0})
    >>> v, flat_loss(v)
    (array([1., 1., 2.]), array([6.]))
    >>> grad(lambda v: flat_loss(v)[0])(v)
    array([1., 2., 4.])
    """
    flat_example, unflatten = flatten(example)

    def flat_func(vector: Any, *args: Any, **kwargs: Any) -> Any:
        return flatten(func(unflatten(vector), *args, **kwargs))[0]

    return flat_func, unflatten, flat_example

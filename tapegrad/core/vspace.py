"""Vector spaces: what a value's zero, basis and inner product are.

The core only knows the protocol and the container spaces; array spaces are
registered by :mod:`tapegrad.numpy`. Operations on vectors are written with
ordinary operators and traced functions, so they differentiate too.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from .box import _BOX_TYPES, TypeRegistry, getval, registered_for
from .errors import InputTypeError


class VSpace:
    """The vector space a value lives in.

    Subclasses give ``zeros``, ``ones``, ``standard_basis``, ``randn`` and an
    inner product, either as the public methods or, autograd's way, as
    ``_inner_prod`` (and optionally ``_add``, ``_scalar_mul``, ``_covector``,
    ``_mut_add``), which the public methods call. ``VSpace.register(value_type)``
    (on a subclass) makes it the space of values of that type;
    ``VSpace.mappings`` is the registry itself, ``{value type: maker}``.
    """

    size: int = 0
    shape: tuple = ()
    iscomplex: bool = False
    mappings: dict  # set below: the registry of vector spaces by value type

    def __init__(self, value: Any = None) -> None:
        pass

    def zeros(self) -> Any:
        raise NotImplementedError

    def ones(self) -> Any:
        raise NotImplementedError

    def standard_basis(self) -> Iterator[Any]:
        raise NotImplementedError

    def randn(self, rng: Any = None) -> Any:
        raise NotImplementedError

    def add(self, x: Any, y: Any) -> Any:
        return self._add(x, y)

    def mut_add(self, x_prev: Any, x_new: Any) -> Any:
        """``x_prev + x_new``, possibly written into ``x_prev`` (``None``: zeros)."""
        return self._mut_add(self.zeros() if x_prev is None else x_prev, x_new)

    def scalar_mul(self, x: Any, a: Any) -> Any:
        return self._scalar_mul(x, a)

    def inner_prod(self, x: Any, y: Any) -> Any:
        return self._inner_prod(x, y)

    def covector(self, x: Any) -> Any:
        return self._covector(x)

    def _add(self, x: Any, y: Any) -> Any:
        return x + y

    def _mut_add(self, x: Any, y: Any) -> Any:
        x += y
        return x

    def _scalar_mul(self, x: Any, a: Any) -> Any:
        return x * a

    def _inner_prod(self, x: Any, y: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no inner product")

    def _covector(self, x: Any) -> Any:
        return x

    def promote(self, x: Any) -> Any:
        """The differentiable form of ``x`` (integers become floats)."""
        return x

    @classmethod
    def register(cls, value_type: type, vspace_maker: Optional[Callable[[Any], "VSpace"]] = None) -> None:
        """Make this class (or ``vspace_maker``) the vector space of values of ``value_type``.

        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> class PairSpace(VSpace):
        ...     size = 2
        >>> PairSpace.register(Pair)
        >>> vspace(Pair(1.0, 2.0)).size
        2
        """
        register_vspace(value_type, vspace_maker if vspace_maker is not None else cls)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__})"


_VSPACE_TYPES: dict[type, Callable[[Any], VSpace]] = TypeRegistry()
VSpace.mappings = _VSPACE_TYPES


def watch_registrations(watcher: Callable[[type], None]) -> None:
    """Call ``watcher(value_type)`` for every value type given a box class or a vector space,
    those registered so far and those registered later (``Box.type_mappings[t] = ...`` too).

    >>> seen = []
    >>> watch_registrations(seen.append)
    >>> class Celsius(float):
    ...     pass
    >>> VSpace.mappings[Celsius] = VSpace
    >>> seen[-1] is Celsius
    True
    >>> _VSPACE_TYPES.watchers.remove(seen.append); _BOX_TYPES.watchers.remove(seen.append)
    >>> del VSpace.mappings[Celsius]
    """
    for registry in (_BOX_TYPES, _VSPACE_TYPES):
        registry.watchers.append(watcher)
        for value_type in list(registry):
            watcher(value_type)


def register_vspace(value_type: type, maker: Callable[[Any], VSpace]) -> None:
    """Declare how to build the vector space of values of ``value_type``."""
    _VSPACE_TYPES[value_type] = maker


def vspace(value: Any) -> VSpace:
    """The vector space of ``value`` (boxes are seen through)."""
    value = getval(value)
    maker = _VSPACE_TYPES.get(type(value))
    if maker is None:
        maker = registered_for(_VSPACE_TYPES, type(value))
        if maker is None:
            raise InputTypeError(
                f"tapegrad cannot differentiate with respect to a value of type "
                f"{type(value).__name__!r} ({value!r:.60}): it is not a vector. Pass floats, "
                "complex numbers, NumPy arrays, or tuples, lists and dicts of them, and use "
                "argnum to choose which arguments are differentiated."
            )
    return maker(value)


_DIFFERENTIABLE_TYPES: set = set()


def register_differentiable(value_type: type) -> None:
    """Declare that values of ``value_type`` need no promotion before differentiation."""
    _DIFFERENTIABLE_TYPES.add(value_type)


def promote(value: Any) -> Any:
    """``value`` in differentiable form (integers become floats); checks that it is numeric."""
    t = type(value)
    if t in _DIFFERENTIABLE_TYPES:
        return value
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind in "fc" and hasattr(value, "shape") and not hasattr(value, "_trace"):
        return value  # a float or complex array
    return vspace(value).promote(value)

"""Python's container constructors and type tests, for traced values (``autograd.builtins``).

``tuple``, ``list`` and ``dict`` build a *traced* container when an element is
being differentiated, so that derivatives flow through the container as one
value (for instance when it is passed to a primitive or returned); otherwise
they build the plain container. ``isinstance`` and ``type`` look through boxes
at the value being traced.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> from tapegrad.builtins import tuple, isinstance
>>> def f(x):
...     pair = tuple((x, 2.0 * x))
...     assert isinstance(pair, tuple) and isinstance(x, float)
...     return pair[0] * pair[1]
>>> float(grad(f)(3.0))  # d(2 x^2)/dx
12.0
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any, Iterable

from .core import (
    Box, DictBox, SequenceBox, SparseObject, VSpace, defjvp, defjvp_argnum, defvjp, defvjp_argnum, getval,
    make_dict, make_sequence, notrace_primitive, vspace,
)
from .core.containers import (
    ContainerVSpace, DictVSpace, ListVSpace, NamedTupleVSpace, SequenceVSpace, TupleVSpace, container_take,
    container_untake, pack, sequence_extend_left, sequence_extend_right,
)
from .core.primitive import primitive
from .core.rules import subvals

__all__ = [
    "tuple", "list", "dict", "isinstance", "type",
    # autograd.builtins' other names: the traced containers and their spaces
    "SequenceBox", "DictBox", "ContainerVSpace", "SequenceVSpace", "ListVSpace", "TupleVSpace", "DictVSpace",
    "NamedTupleVSpace", "container_take", "container_untake", "make_sequence", "sequence_extend_left",
    "sequence_extend_right", "TupleMeta", "ListMeta", "DictMeta", "tuple_", "list_", "dict_", "isinstance_",
    "type_", "SparseObject", "VSpace", "vspace", "Box", "primitive", "notrace_primitive", "defvjp", "defjvp",
    "defvjp_argnum", "defjvp_argnum", "subvals",
]

_tuple, _list, _dict, _isinstance, _type = (
    _builtins.tuple, _builtins.list, _builtins.dict, _builtins.isinstance, _builtins.type,
)
# autograd's names of the builtins themselves
tuple_, list_, dict_, isinstance_, type_ = _tuple, _list, _dict, _isinstance, _type


def _sequence(seq_type: type, items: Iterable) -> Any:
    if _isinstance(items, Box) and _type(getval(items)) is seq_type:
        return items  # already a traced container of this type
    items = [pack(v) for v in items]
    if any(_isinstance(v, Box) for v in items):
        return make_sequence(seq_type, *items)
    return seq_type(items)


class _SeeThrough(_type):
    """Metaclass: ``isinstance(x, tapegrad.builtins.tuple)`` tests the value under any box."""

    _builtin: type

    def __instancecheck__(cls, instance: Any) -> bool:
        return _isinstance(getval(instance), cls._builtin)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return _builtins.issubclass(subclass, cls._builtin)


TupleMeta = ListMeta = DictMeta = _SeeThrough  # autograd's names of the metaclass


class tuple(_tuple, metaclass=_SeeThrough):  # noqa: A001 - the point is to shadow the builtin
    """``tuple(iterable)``: a traced tuple if an element is traced, else a plain tuple.

    >>> from tapegrad import grad
    >>> from tapegrad.builtins import tuple
    >>> tuple([1.0, 2.0])
    (1.0, 2.0)
    >>> float(grad(lambda x: tuple([x, x * x])[1])(3.0))
    6.0
    """

    _builtin = _tuple

    def __new__(cls, iterable: Iterable = ()) -> Any:  # type: ignore[misc]
        return _sequence(_tuple, iterable)


class list(_list, metaclass=_SeeThrough):  # noqa: A001
    """``list(iterable)``: a traced list if an element is traced, else a plain list.

    >>> from tapegrad import grad
    >>> from tapegrad.builtins import list
    >>> float(grad(lambda x: list((x, 3.0 * x))[1])(1.0))
    3.0
    """

    _builtin = _list

    def __new__(cls, iterable: Iterable = ()) -> Any:  # type: ignore[misc]
        return _sequence(_list, iterable)


class dict(_dict, metaclass=_SeeThrough):  # noqa: A001
    """``dict(...)`` with the arguments of the builtin: traced if a value is traced.

    >>> from tapegrad import grad
    >>> from tapegrad.builtins import dict
    >>> dict(a=1.0)
    {'a': 1.0}
    >>> float(grad(lambda x: dict(a=x, b=x * x)["b"])(2.0))
    4.0
    """

    _builtin = _dict

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        if len(args) == 1 and not kwargs and _isinstance(args[0], Box) and _type(getval(args[0])) is _dict:
            return args[0]  # already a traced dict
        plain = _dict(*args, **kwargs)
        values = [pack(v) for v in plain.values()]
        if any(_isinstance(v, Box) for v in values):
            return make_dict(_tuple(plain), *values)
        return plain


def isinstance(obj: Any, classinfo: Any) -> bool:  # noqa: A001
    """The builtin ``isinstance``, applied to the value under any boxes.

    >>> import numpy
    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.builtins import isinstance
    >>> def f(x):
    ...     assert isinstance(x, numpy.ndarray)
    ...     return np.sum(x)
    >>> grad(f)(np.ones(2))
    array([1., 1.])
    """
    return _isinstance(getval(obj), classinfo)


def type(obj: Any, *rest: Any) -> Any:  # noqa: A001
    """``type(obj)`` of the value under any boxes; ``type(name, bases, ns)`` makes a class as usual.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.builtins import type
    >>> float(grad(lambda x: x * 2.0 if type(x) is float else x)(1.0))
    2.0
    """
    if rest:
        return _type(obj, *rest)
    return _type(getval(obj))

"""What ``autograd.numpy`` has beyond NumPy's names, and where it behaves differently from NumPy.

* ``r_`` and ``c_``, with traced values among their items;
* ``make_diagonal(D, axis1=-1, axis2=-2)``: arrays whose last two axes hold ``D`` on the diagonal;
* ``where(condition, x, y)`` on plain Python values returns Python values, as autograd's does;
* ``int8`` ... ``int64``: casting a traced array to integers (``np.int64(x)``) gives its plain
  integer values (an integer carries no derivative), while ``dtype=np.int64`` and
  ``isinstance(v, np.int64)`` behave as NumPy's;
* ``metadata``, ``parse_einsum_input``, ``concatenate_args``: autograd's helpers.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> grad(lambda x: np.sum(np.r_[x, 2.0 * x, 1:3] ** 2))(np.array([1.0]))
array([10.])
>>> np.where(True, 1, 2)
1
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import Box, def_rules, getval, notrace_primitive, primitive
from ..core.primitive import primitive as _plain_primitive
from .indexing import getitem, where as _where
from .shaping import as_array, concatenate, ravel
from .rearrange import diagonal

__all__ = [
    "r_", "c_", "r_class", "c_class", "make_diagonal", "where", "int8", "int16", "int32", "int64",
    "metadata", "parse_einsum_input", "concatenate_args", "wrap_intdtype", "numpy_version",
    "notrace_functions", "wrap_if_boxes_inside", "wrap_namespace",
]

numpy_version = _np.__version__


# ----- r_ and c_ ------------------------------------------------------------------------


def _index_concatenation(grid: Any, key: Any) -> Any:
    """``grid[key]`` (NumPy's ``r_`` or ``c_``) with traced values among the items of ``key``.

    NumPy lays the result out; it is run three times on plain stand-ins for
    the traced items: their values (the result's value), zeros, and their
    element numbers counted from 1. Where the last two differ, an element
    comes from a traced item and its number says which; the traced result
    gathers those elements from the traced items and keeps the rest.
    """
    items = key if isinstance(key, tuple) else (key,)
    traced = [i for i, item in enumerate(items) if isinstance(item, Box)]
    if not traced:
        return grid[key]

    def stand_in(make: Callable[[int, Any], Any]) -> tuple:
        out, count = list(items), 0
        for i in traced:
            value = _np.asarray(getval(items[i]))
            out[i] = make(count, value)
            count += value.size
        return tuple(out)

    values = grid[stand_in(lambda start, v: v)]
    zeros = grid[stand_in(lambda start, v: _np.zeros(v.shape))]
    numbers = grid[stand_in(lambda start, v: _np.arange(start + 1, start + 1 + v.size, dtype=float).reshape(v.shape))]
    with _np.errstate(invalid="ignore"):  # NaN among the constants: never from a traced item
        number = _np.real(numbers - zeros)
        from_traced = number > 0.5
    positions = _np.rint(_np.where(from_traced, number, 1.0)).astype(_np.intp) - 1
    flat = concatenate([ravel(items[i]) for i in traced])
    gathered = getitem(flat, positions)
    return _where(from_traced, gathered, _np.where(from_traced, 0, values))


class r_class:
    """``r_[...]``: NumPy's row concatenation by index, differentiable in its traced items."""

    def __getitem__(self, key: Any) -> Any:
        return _index_concatenation(_np.r_, key)


class c_class:
    """``c_[...]``: NumPy's column concatenation by index, differentiable in its traced items."""

    def __getitem__(self, key: Any) -> Any:
        return _index_concatenation(_np.c_, key)


r_ = r_class()
c_ = c_class()


# ----- make_diagonal ---------------------------------------------------------------------


def _make_diagonal(D: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("make_diagonal only supports offset=0, axis1=-1, axis2=-2 (as autograd's)")
    D = _np.asarray(D)
    out = _np.zeros(D.shape + D.shape[-1:], dtype=_np.result_type(D, float))
    n = D.shape[-1]
    out[..., _np.arange(n), _np.arange(n)] = D
    return out


make_diagonal = primitive(_make_diagonal, "make_diagonal")
make_diagonal.__doc__ = """``make_diagonal(D, axis1=-1, axis2=-2)``: an array of shape ``D.shape + D.shape[-1:]``
whose last two axes hold ``D``'s last axis on their diagonal (the complement of
``diagonal(A, axis1=-1, axis2=-2)``).

>>> import tapegrad.numpy as np
>>> np.make_diagonal(np.array([1.0, 2.0]), axis1=-1, axis2=-2)
array([[1., 0.],
       [0., 2.]])
"""


def _diagonal_of(g: Any) -> Any:
    return diagonal(g, axis1=-1, axis2=-2)


def_rules(
    make_diagonal,
    vjp=lambda g, ans, D, offset=0, axis1=0, axis2=1: _diagonal_of(g),
    jvp=lambda D_dot, ans, D, offset=0, axis1=0, axis2=1: make_diagonal(D_dot, offset, axis1, axis2),
)


# ----- where ------------------------------------------------------------------------------


def _numeric(x: Any) -> bool:
    """True for arrays, NumPy scalars, traced values, and lists or tuples holding any of them."""
    if isinstance(x, (Box, _np.ndarray, _np.generic)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_numeric(v) for v in x)
    return False


def where(condition: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.where``, differentiable in ``x`` and ``y``; on plain Python values (no array
    anywhere) it returns Python values, as autograd's does.

    ``x`` and ``y`` may also be given by keyword.

    >>> import tapegrad.numpy as np
    >>> np.where([True, False], [1, 2], [3, 4]), np.where(np.array([True, False]), 1.0, 2.0)
    ([1, 4], array([1., 2.]))
    """

    if not args and not kwargs:
        return _where(condition)
    if len(args) + len(kwargs) != 2:
        raise ValueError("either both or neither of x and y should be given")
    x = args[0] if len(args) > 0 else kwargs["x"]
    y = args[1] if len(args) > 1 else kwargs["y"]
    if _numeric(condition) or _numeric(x) or _numeric(y):
        return _where(condition, x, y)
    out = _np.where(condition, x, y)
    return out.tolist() if isinstance(out, _np.ndarray) else out


# ----- integer types -------------------------------------------------------------------


class _IntegerType(type):
    """Metaclass of the integer types here: instance and subclass checks are NumPy's type's."""

    numpy_type: type

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.numpy_type)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls.numpy_type)


def wrap_intdtype(numpy_type: type) -> type:
    """NumPy's integer type ``numpy_type``, whose constructor looks through traced values.

    >>> import numpy
    >>> int64 = wrap_intdtype(numpy.int64)
    >>> numpy.zeros(2, dtype=int64).dtype, isinstance(numpy.int64(3), int64)
    (dtype('int64'), True)
    """

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return numpy_type(*[getval(a) for a in args], **kwargs)

    return _IntegerType(numpy_type.__name__, (numpy_type,), {
        "numpy_type": numpy_type, "__new__": new, "__module__": "numpy",
        "__doc__": f"numpy.{numpy_type.__name__}; ``{numpy_type.__name__}(x)`` of a traced ``x`` gives its "
                   "integer values (integers carry no derivative).",
    })


int8, int16, int32, int64 = (wrap_intdtype(t) for t in (_np.int8, _np.int16, _np.int32, _np.int64))


# ----- autograd's helpers ----------------------------------------------------------------


@notrace_primitive
def metadata(A: Any) -> tuple:
    """``(shape, ndim, result_type, iscomplexobj)`` of ``A`` (traced or not).

    >>> metadata(_np.zeros((2, 3)))
    ((2, 3), 2, dtype('float64'), False)
    """
    return _np.shape(A), _np.ndim(A), _np.result_type(A), _np.iscomplexobj(A)


try:
    from numpy._core.einsumfunc import _parse_einsum_input
except ImportError:  # NumPy 1.x
    from numpy.core.einsumfunc import _parse_einsum_input  # type: ignore[no-redef]


@notrace_primitive
def parse_einsum_input(*args: Any) -> Any:
    """NumPy's parse of ``einsum``'s arguments: ``(input subscripts, output subscript, operands)``."""
    return _parse_einsum_input(args)


def concatenate_args(axis: int, *args: Any) -> Any:
    """``concatenate(args, axis)``, with the arrays as separate arguments (autograd's helper).

    >>> concatenate_args(0, _np.ones(1), _np.zeros(2))
    array([1., 0., 0.])
    """

    return concatenate(list(args), axis)


# ----- autograd's numpy_wrapper helpers -------------------------------------------------
# The functions autograd never traces (their results carry no derivative).
notrace_functions = [_np.ndim, _np.shape, _np.iscomplexobj, _np.result_type]

_UNCHANGED_TYPES = (float, int, type(None), type)
_INT_TYPES = (_np.int8, _np.int16, _np.int32, _np.int64)


def wrap_namespace(old: dict, new: dict) -> None:
    """Copy the namespace ``old`` into ``new``, functions made primitives (autograd's ``wrap_namespace``).

    Functions become :func:`primitive` (or ``notrace_primitive`` for those in
    ``notrace_functions``), each object once (aliases share the wrapper); the
    integer types see through traced values; numbers, ``None`` and classes are
    copied; anything else is left out.
    """
    wrapped: dict = {}
    for name, obj in old.items():
        key = id(obj)
        if key in wrapped:
            new[name] = wrapped[key]
            continue
        if any(obj is f for f in notrace_functions):
            out: Any = notrace_primitive(obj)
        elif type(obj) is type and obj in _INT_TYPES:
            out = wrap_intdtype(obj)
        elif callable(obj) and type(obj) is not type:
            out = _plain_primitive(obj)  # as autograd.numpy's functions: without autograd 1.1's methods
        elif isinstance(obj, _UNCHANGED_TYPES) or obj is None:
            new[name] = obj
            continue
        else:
            continue
        wrapped[key] = out
        new[name] = out


def wrap_if_boxes_inside(raw_array: Any, slow_op_name: Any = None) -> Any:
    """``raw_array`` as it is, unless it is an object array of traced values: then one traced array."""
    if isinstance(raw_array, _np.ndarray) and raw_array.dtype == object:
        return as_array(raw_array.tolist())
    return raw_array

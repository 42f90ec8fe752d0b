"""Array creation. Inside a differentiated function, created arrays accept traced
values by assignment: they are constant arrays (``box.ConstantArray``, of the
``CONSTANT`` trace; not ``ArrayBox``es, as in autograd they are not boxes), and
``B[:2, :2] = A`` then records a differentiable write.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, NonDifferentiableError, def_rules, getval, primitive, tracing
from ..core.box import constant
from ._wrap import FUNCTIONS, NONDIFFERENTIABLE, dispatches, is_complex, provide
from .shaping import array_from_args, contains_box, flatten_nested, moveaxis, nested_shape
from .ufuncs import absolute, add, exp, log, multiply, power, real, subtract


def _fresh(value: Any) -> Any:
    """A newly created array: a ``ConstantArray`` (which traced values can be written into) while
    tracing, plain otherwise."""
    return constant(value) if tracing() else value


def _creator(np_fun: Any, counts_only: bool = False) -> Any:
    """A creation function; ``counts_only`` ones refuse traced arguments (they would lose them)."""

    def create(*args: Any, **kwargs: Any) -> Any:
        if counts_only and _traced(args, kwargs):
            raise NonDifferentiableError(
                f"numpy.{np_fun.__name__} received a traced value as a size, count or step; "
                "its output carries no derivative with respect to it. Pass a plain number "
                "(e.g. tapegrad.stop_gradient(n)) or build the array from traced operations."
            )
        return _fresh(np_fun(*[getval(a) for a in args], **{k: getval(v) for k, v in kwargs.items()}))

    create.__name__ = np_fun.__name__
    create.__qualname__ = np_fun.__name__
    create.__doc__ = (
        f"``numpy.{np_fun.__name__}``. While a function is being differentiated the new array "
        "accepts traced values by assignment (``b[i] = x``)."
    )
    create.__wrapped__ = np_fun  # type: ignore[attr-defined]
    FUNCTIONS[np_fun] = create
    NONDIFFERENTIABLE[np_fun.__name__] = create
    return create


def _traced(args: tuple, kwargs: dict) -> bool:
    return any(isinstance(a, Box) and a._trace is not CONSTANT for a in (*args, *kwargs.values()))


# Only the shape and dtype of a template (``zeros_like(x)``) matter: no derivative to lose.
zeros = _creator(_np.zeros)
ones = _creator(_np.ones)
empty = _creator(_np.empty)
zeros_like = _creator(_np.zeros_like)
ones_like = _creator(_np.ones_like)
empty_like = _creator(_np.empty_like)
eye = _creator(_np.eye, counts_only=True)
identity = _creator(_np.identity, counts_only=True)
arange = _creator(_np.arange, counts_only=True)
tri = _creator(_np.tri, counts_only=True)
indices = _creator(_np.indices, counts_only=True)
_full = _creator(_np.full)
_full_like = _creator(_np.full_like)


@dispatches(_np.full)
def full(shape: Any, fill_value: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.full``; differentiable with respect to a traced ``fill_value``."""
    if _traced((fill_value,), {}):
        return add(_np.zeros(shape, dtype=dtype or float), fill_value)
    return _full(shape, fill_value, dtype, **kwargs)


@dispatches(_np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.full_like``; differentiable with respect to a traced ``fill_value``."""
    if _traced((fill_value,), {}):
        return add(_np.zeros_like(getval(a), dtype=dtype), fill_value)
    return _full_like(a, fill_value, dtype, **kwargs)


for _name in ("full", "full_like"):
    NONDIFFERENTIABLE.pop(_name)


def _samples(start: Any, stop: Any, num: int, endpoint: bool, axis: int) -> Any:
    """start + (stop - start) * t along a new axis, with t the unit grid of numpy.linspace."""

    lo, hi = getval(start), getval(stop)
    nd = _np.ndim(_np.broadcast(lo, hi)) if (_np.ndim(lo) or _np.ndim(hi)) else 0
    t = _np.linspace(0.0, 1.0, num, endpoint=endpoint).reshape((num,) + (1,) * nd)
    out = add(start, multiply(subtract(stop, start), t))
    return moveaxis(out, 0, axis) if axis != 0 and nd else out


_linspace = _creator(_np.linspace)
NONDIFFERENTIABLE.pop("linspace")


@dispatches(_np.linspace)
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``numpy.linspace``; differentiable with respect to ``start`` and ``stop``."""
    if not _traced((start, stop), {}):
        return _linspace(start, stop, num, endpoint, retstep, dtype, axis)
    out = _samples(start, stop, num, endpoint, axis)
    if retstep:
        return out, (stop - start) / max(num - 1 if endpoint else num, 1)
    return out


_logspace = _creator(_np.logspace)
NONDIFFERENTIABLE.pop("logspace")


@dispatches(_np.logspace)
def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0, dtype: Any = None, axis: int = 0) -> Any:
    """``numpy.logspace``: ``base ** linspace(start, stop)``, differentiable in start, stop, base."""
    if not _traced((start, stop, base), {}):
        return _logspace(start, stop, num, endpoint, base, dtype, axis)

    return power(base, _samples(start, stop, num, endpoint, axis))


_geomspace = _creator(_np.geomspace)
NONDIFFERENTIABLE.pop("geomspace")


@dispatches(_np.geomspace)
def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0) -> Any:
    """``numpy.geomspace`` (real, same-sign endpoints), differentiable in start and stop."""
    if not _traced((start, stop), {}):
        return _geomspace(start, stop, num, endpoint, dtype, axis)

    sign = _np.sign(getval(start))
    return sign * exp(_samples(log(absolute(start)), log(absolute(stop)), num, endpoint, axis))


_copy = primitive(_np.copy, "copy")
def_rules(_copy, vjp=lambda g, ans, x, **kw: g, jvp=lambda x_dot, ans, x, **kw: _copy(x_dot, **kw))


@dispatches(_np.copy)
def copy(a: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.copy``; a copy made while tracing accepts traced values by assignment."""
    if isinstance(a, Box) and a._trace is not CONSTANT:
        return _copy(a, *args, **kwargs)
    return _fresh(_np.copy(getval(a), *args, **kwargs))


def _elements(obj: Any) -> Any:
    """Nested lists and tuples with each traced tuple or list (a ``SequenceBox``) replaced by the
    list of its elements, taken out of it by traced indexing."""
    if isinstance(obj, Box):
        return [_elements(e) for e in obj] if isinstance(getval(obj), (list, tuple)) else obj
    if isinstance(obj, (list, tuple)):
        return [_elements(e) for e in obj]
    return obj


def _is_traced_sequence(obj: Any) -> bool:
    return isinstance(obj, Box) and isinstance(getval(obj), (list, tuple))


def array(obj: Any, dtype: Any = None, copy: Any = True, **kwargs: Any) -> Any:
    """``numpy.array``; nested lists of traced values (and traced tuples) become one traced array."""
    if _is_traced_sequence(obj):
        obj = _elements(obj)  # a traced tuple: the array of its elements, as NumPy reads a tuple
    if isinstance(obj, Box):
        order = kwargs.get("order") or "K"
        if copy is not True and (dtype is None or _np.dtype(dtype) == obj.dtype):
            if _np.array(getval(obj), copy=None, order=order) is getval(obj):
                return obj  # copy=None or False, and no copy needed: the array itself, as NumPy returns it
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
        out = _copy_box(obj, order)  # in NumPy's memory order for ``order``
        return astype(out, dtype) if dtype is not None else out
    if contains_box(obj):
        obj = _elements(obj)
        shape = nested_shape(obj)
        out = array_from_args(shape, *flatten_nested(obj))
        return astype(out, dtype) if dtype is not None else out
    return _fresh(_np.array(obj, dtype=dtype, copy=copy, **kwargs))


def asarray(obj: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.asarray``; a traced array of that dtype is returned as it is (the same object, as in NumPy)."""
    if _is_traced_sequence(obj):
        return array(obj, dtype=dtype)
    if isinstance(obj, Box):
        order = kwargs.get("order")
        if getattr(obj, "immutable", False):  # a scalar: NumPy makes a new 0-d array of it
            return array(obj, dtype=dtype, order=order)
        if order is not None and _np.asarray(getval(obj), order=order) is not getval(obj):
            obj = _copy_box(obj, order)  # NumPy copies into the order asked for
        return astype(obj, dtype) if dtype is not None and _np.dtype(dtype) != obj.dtype else obj
    if contains_box(obj):
        return array(obj, dtype=dtype)
    return _np.asarray(obj, dtype=dtype, **kwargs)


def _copy_box(x: Box, order: str = "K") -> Any:
    return copy(x, order=order)


def _astype(x: Any, dtype: Any) -> Any:
    return x.astype(dtype) if isinstance(x, (_np.ndarray, _np.generic)) else _np.asarray(x).astype(dtype)


_astype_p = primitive(_astype, "astype")


def _astype_vjp(g: Any, ans: Any, x: Any, dtype: Any) -> Any:
    """The cotangent in ``x``'s own dtype (float32 in, float32 gradient out), as autograd's;
    its real part for a real ``x``."""

    if is_complex(g) and not is_complex(x):
        g = real(g)
    x_dtype = _np.result_type(getval(x))
    if x_dtype.kind in "fc" and _np.result_type(getval(g)) != x_dtype:
        g = _astype_p(g, x_dtype)
    return g


def_rules(_astype_p, vjp=(_astype_vjp,), jvp=lambda x_dot, ans, x, dtype: _astype_p(x_dot, dtype))


def _item(x: Any) -> Any:
    return x.item()


item = primitive(_item, "item")  # a Python number: NumPy's promotion treats it as weakly typed
def_rules(item, vjp=lambda g, ans, x: _astype_p(g, _np.result_type(getval(x))), jvp=lambda x_dot, ans, x: item(x_dot))


def astype(x: Any, dtype: Any) -> Any:
    """Cast; casting to an integer or boolean type drops the derivative (it is zero)."""
    if _np.dtype(dtype).kind in "fc":
        return _astype_p(x, dtype)
    if isinstance(getval(x), Box):  # batched by vmap: every example cast at once, without derivative
        return _astype_p(getval(x), dtype)
    return _fresh(_np.asarray(getval(x)).astype(dtype))  # integers: no derivative, but writable by traced values


__all__ = [
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "eye", "identity", "arange", "tri", "indices", "linspace", "logspace", "geomspace", "copy", "array", "asarray", "astype",
]

provide(array=array, astype=astype)  # for the modules below (_wrap.ops)

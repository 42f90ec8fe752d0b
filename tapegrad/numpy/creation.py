"""Array creation. Inside a differentiated function, created arrays accept traced
values by assignment: they are boxed as constants (``CONSTANT`` trace), and
``B[:2, :2] = A`` then records a differentiable write.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import CONSTANT, Box, def_rules, getval, primitive, tracing
from ._wrap import FUNCTIONS, NONDIFFERENTIABLE, dispatches
from .shape import array_from_args, contains_box, flatten_nested, nested_shape


def _fresh(value: Any) -> Any:
    """A newly created array: mutable-by-assignment while tracing, plain otherwise."""
    if tracing():
        from .box import ArrayBox

        return ArrayBox(value, CONSTANT, None)
    return value


def _creator(np_fun: Any) -> Any:
    def create(*args: Any, **kwargs: Any) -> Any:
        return _fresh(np_fun(*[getval(a) for a in args], **kwargs))

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


zeros = _creator(_np.zeros)
ones = _creator(_np.ones)
empty = _creator(_np.empty)
full = _creator(_np.full)
zeros_like = _creator(_np.zeros_like)
ones_like = _creator(_np.ones_like)
empty_like = _creator(_np.empty_like)
full_like = _creator(_np.full_like)
eye = _creator(_np.eye)
identity = _creator(_np.identity)
arange = _creator(_np.arange)
linspace = _creator(_np.linspace)

_copy = primitive(_np.copy, "copy")
def_rules(_copy, vjp=lambda g, ans, x, **kw: g, jvp=lambda x_dot, ans, x, **kw: x_dot)


@dispatches(_np.copy)
def copy(a: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.copy``; a copy made while tracing accepts traced values by assignment."""
    if isinstance(a, Box) and a._trace is not CONSTANT:
        return _copy(a, *args, **kwargs)
    return _fresh(_np.copy(getval(a), *args, **kwargs))


def array(obj: Any, dtype: Any = None, copy: Any = True, **kwargs: Any) -> Any:
    """``numpy.array``; nested lists of traced values become one traced array."""
    if isinstance(obj, Box):
        out = _copy_box(obj)
        return astype(out, dtype) if dtype is not None else out
    if contains_box(obj):
        shape = nested_shape(obj)
        out = array_from_args(shape, *flatten_nested(obj))
        return astype(out, dtype) if dtype is not None else out
    return _fresh(_np.array(obj, dtype=dtype, **kwargs))


def asarray(obj: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.asarray``; a traced array is returned as it is."""
    if isinstance(obj, Box):
        return astype(obj, dtype) if dtype is not None else obj
    if contains_box(obj):
        return array(obj, dtype=dtype)
    return _np.asarray(obj, dtype=dtype, **kwargs)


def _copy_box(x: Box) -> Any:
    return copy(x)


def _astype(x: Any, dtype: Any) -> Any:
    return _np.asarray(x).astype(dtype)


_astype_p = primitive(_astype, "astype")


def _astype_vjp(g: Any, ans: Any, x: Any, dtype: Any) -> Any:
    from ._wrap import is_complex
    from .ufuncs import real

    return real(g) if is_complex(g) and not is_complex(x) else g


def_rules(_astype_p, vjp=(_astype_vjp,), jvp=lambda x_dot, ans, x, dtype: _astype_p(x_dot, dtype))


def astype(x: Any, dtype: Any) -> Any:
    """Cast; casting to an integer or boolean type drops the derivative (it is zero)."""
    if _np.dtype(dtype).kind in "fc":
        return _astype_p(x, dtype)
    return _np.asarray(getval(x)).astype(dtype)


__all__ = [
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "eye", "identity", "arange", "linspace", "copy", "array", "asarray", "astype",
]

"""ArrayBox: a traced array with NumPy's operators, methods and dispatch protocols.

Plain ``numpy`` functions reach tapegrad's rules through ``__array_ufunc__`` and
``__array_function__``. Conversions that would drop the trace (``float(x)``,
``np.asarray(x)``, writing into a plain ndarray) raise :class:`TraceLeakError`.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Iterator

import numpy as _np

from ..core import CONSTANT, Box, NonDifferentiableError, TraceLeakError, getval, register_box
from ..core.box import OperatorBox, register_mutable
from ..core.vspace import watch_registrations
from ..core.errors import UnsupportedAttributeError
from ..core.fastpath import EXT
from ..core.primitive import bind1, bind2, rbind2
from ..core.reverse import register_sized_type
from . import creation, indexing, memory, missing, nondiff, products, shaping, ufunc_methods, ufuncs, writes
from ._wrap import FUNCTIONS, UFUNCS, _into_out, inplace_matmul_axes, load_lazy_rules, provide, ufunc_name
from .methods import ArrayMethods



# The operators' primitives, called without the generic wrapper (the hot path of scalar code).
_ADD = ufuncs.add._primitive
_SUB = ufuncs.subtract._primitive
_MUL = ufuncs.multiply._primitive
_DIV = ufuncs.divide._primitive
_POW = ufuncs.power._primitive
_MATMUL = products.matmul._primitive
_NDARRAY_UFUNC = _np.ndarray.__array_ufunc__
_ABSENT = object()
_PRIORITY = 100.0  # the boxes' __array_priority__


def _defers(other: Any) -> bool:
    """Does ``box <op> other`` return NotImplemented, so that Python asks ``other`` (its reflected operator)?

    As autograd's boxes (and NumPy's binary operators) do, for an operand that is
    not a box, an ndarray or a scalar, and that handles NumPy's ufuncs itself: it
    defines its own ``__array_ufunc__`` (``xarray.DataArray``, ``pandas.Series``),
    opts out of them (``__array_ufunc__ = None``) or, without one, has a higher
    ``__array_priority__`` than the boxes'. ``x * DataArray(a)`` is then the
    DataArray's product, a DataArray holding a traced array, as ``DataArray(a) * x``.
    The operators' hot path (``box <op>`` box, float, ndarray...) never calls this.
    """
    t = type(other)
    if t in ufuncs._OPERANDS or issubclass(t, (Box, _np.ndarray, _np.generic)):
        return False
    handler = getattr(t, "__array_ufunc__", _ABSENT)
    if handler is _ABSENT:
        try:
            return float(getattr(t, "__array_priority__", 0.0)) > _PRIORITY
        except (TypeError, ValueError):
            return False
    return handler is not _NDARRAY_UFUNC


if EXT is not None:
    EXT.configure_operators(
        primitives={"add": _ADD, "subtract": _SUB, "multiply": _MUL, "divide": _DIV, "power": _POW, "matmul": _MATMUL},
        direct={"add", "subtract", "multiply", "divide", "power"},  # what ufuncs._fast computes with the operator
        operand_types=ufuncs._OPERANDS,
        defer=_defers,  # asked for operands that are neither boxes nor of operand_types
    )
# NumPy ufunc -> the primitive that differentiates it (None if a Python function
# stands in for it), filled on first use: dispatch without the generic wrapper.
_UFUNC_PRIMITIVES: dict = {}


def _for_tapegrad() -> bool:
    """Is NumPy converting a traced scalar for tapegrad's own code? The first caller outside NumPy and SciPy says.

    A tapegrad function given a list of traced scalars (``np.exp([x, y])``) lets
    NumPy convert the list and, when that raises, packs it into one traced array
    (``_wrap.pack_sequences``). Other code (``numpy.array((x, y))``) gets NumPy's
    object array of them, as under autograd.
    """
    frame = sys._getframe(2)  # the caller of __array__
    while frame is not None:
        package = frame.f_globals.get("__name__", "").partition(".")[0]
        if package not in ("numpy", "scipy"):
            return package == "tapegrad"
        frame = frame.f_back
    return False


def _leak(what: str, fix: str) -> TraceLeakError:
    return TraceLeakError(
        f"{what} would turn a traced value into a plain value, and its derivative would be lost. {fix}"
    )


class _ArrayOps(ArrayMethods):
    """The operators, methods and NumPy protocols shared by traced arrays and scalars.

    Views, aliases and writes follow NumPy's memory model exactly (see
    :mod:`tapegrad.numpy.memory`): ``x[1:3]``, ``x.T``, ``x.reshape(...)`` are
    views where NumPy's are, and a write through any of them reaches the others.
    """

    __slots__ = ()
    __array_priority__ = _PRIORITY

    # ----- attributes -----------------------------------------------------------
    @property
    def shape(self) -> tuple:
        v = getval(self._value)
        return getattr(v, "shape", ())  # Python numbers have none: ()

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def dtype(self) -> Any:
        v = getval(self._value)
        return v.dtype if hasattr(v, "dtype") else _np.result_type(v)

    # The memory layout is NumPy's own (see memory.py): these read it off the value.
    @property
    def strides(self) -> tuple:
        return _np.asarray(getval(self._value)).strides

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def flags(self) -> Any:
        v = getval(self._value)
        return v.flags if isinstance(v, Box) else _np.asarray(v).flags  # (batched by vmap: an example's)

    @property
    def base(self) -> Any:
        """The traced array this one views (its block's root), or None, like ``ndarray.base``."""
        block = getattr(self, "_block", None)
        return None if block is None or block.root is self else block.root

    @property
    def flat(self) -> Any:
        return writes.FlatIndexer(self)

    def view(self, dtype: Any = None, type: Any = None) -> Any:  # noqa: A002 - NumPy's names
        """A new traced array viewing the same memory (``ndarray.view()``; another dtype has no derivative)."""
        if type is not None or (dtype is not None and _np.dtype(dtype) != self.dtype):
            raise NonDifferentiableError(
                "ndarray.view with another dtype or type reinterprets a traced array's memory, and has "
                "no derivative. Convert with x.astype(dtype) instead."
            )
        return memory.numpy_views(lambda v: v.view(), self)

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return memory.link(self, shaping.transpose(self))

    @property
    def mT(self) -> Any:  # noqa: N802 - NumPy's name
        return memory.link(self, shaping.swapaxes(self, -1, -2))

    @property
    def real(self) -> Any:
        return memory.link(self, ufuncs.real(self))

    @property
    def imag(self) -> Any:
        return memory.link(self, ufuncs.imag(self))

    def __hash__(self) -> int:
        return id(self)

    # ----- conversions that would lose the trace ---------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if self._trace is CONSTANT:
            return _np.asarray(self._value, dtype=dtype)
        if (dtype is None or _np.dtype(dtype) == object) and _np.ndim(getval(self._value)) == 0 and not _for_tapegrad():
            # A traced scalar, as NumPy holds any object: ``numpy.array((x, y))`` of traced scalars
            # is an object array of them, which their operators still differentiate (as in autograd).
            out = _np.empty((), dtype=object)
            out[()] = self
            return out
        from . import callsite  # read only when a conversion error is raised (it would cost every import)

        site = callsite.conversion_site(sys._getframe(1), "numpy.asarray")  # who converted, if not tapegrad
        if site is not None:
            raise _leak(site.what, site.fix)
        raise _leak(
            "Converting a traced array with numpy.asarray/numpy.array (or passing it to code "
            "that does)",
            "Use tapegrad.numpy functions on it, or tapegrad.stop_gradient(x) if no derivative "
            "should flow through this value.",
        )

    def _scalar(self, kind: type) -> Any:
        if self._trace is CONSTANT:
            return kind(self._value)
        from . import callsite  # read only when a conversion error is raised

        # math.sin(x) calls float(x) from C: the caller's frame (past __float__) says which function it was.
        hint = callsite.math_function_hint(sys._getframe(2))
        if hint is not None:
            raise _leak(f"{hint[0]}(), which converts its argument with {kind.__name__}(),", hint[1])
        site = callsite.conversion_site(sys._getframe(2), f"{kind.__name__}()")
        if site is not None and not site.direct:  # a library function converted it (scipy.integrate.quad...)
            raise _leak(site.what, site.fix)
        raise _leak(
            f"{kind.__name__}() of a traced value",
            "Keep it as an array (x.item() and x[()] stay traced), or use "
            "tapegrad.stop_gradient(x) if no derivative should flow through it.",
        )

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __complex__(self) -> complex:
        return self._scalar(complex)

    def __index__(self) -> int:
        return self._scalar(int)

    # ----- NumPy protocols -------------------------------------------------------
    def _array_ufunc(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:  # plain `array @ box`, `np.sin(box)`: the hot path
            prim = _UFUNC_PRIMITIVES.get(ufunc, _UFUNC_PRIMITIVES)
            if prim is _UFUNC_PRIMITIVES:  # not seen yet
                prim = _ufunc_primitive(ufunc)
            if prim is not None:
                if len(inputs) == 2:
                    x, y = inputs
                    return bind2(prim, x, y) if isinstance(x, Box) else rbind2(prim, x, y)
                if len(inputs) == 1:
                    return bind1(prim, inputs[0])
        out = kwargs.pop("out", None)
        if out is not None or method == "at":
            writes.refuse_batched_out(ufunc, method, inputs, out, kwargs.get("where"))  # vmap's error
            if "axes" in kwargs and ufunc is _np.matmul:  # `plain @= y`
                inplace_matmul_axes(inputs, out, kwargs.pop("axes"))
        if method == "__call__":
            where = kwargs.pop("where", True) if out is not None else True  # with out=: _into_out's
            if not any(shaping.contains_box(i) for i in inputs):
                # plain operands, a box in out= or a keyword (where=np.array(mask) made while tracing):
                # NumPy's call on them (tapegrad's function would call NumPy with the box again)
                result = ufunc(*inputs, **{k: getval(v) for k, v in kwargs.items()})
            else:
                ours = UFUNCS.get(ufunc) or _load_scipy_rules(ufunc)
                if ours is None:
                    raise NonDifferentiableError(
                        f"{ufunc_name(ufunc)} has no derivative rule in tapegrad, and a traced value "
                        "reached it. Define one with tapegrad.extend, or apply it to "
                        "tapegrad.stop_gradient(x)."
                    )
                result = ours(*inputs, **kwargs)  # keywords: see _wrap.ufunc_keywords
            return result if out is None else _into_out(ufunc, out, where, result)
        if ufunc not in UFUNCS:  # at, reduce, accumulate, reduceat, outer
            _load_scipy_rules(ufunc)  # SciPy's ufuncs get their rules on demand
        result = ufunc_methods.apply(ufunc, method, inputs, kwargs)
        if out is None:
            return result
        return write_out(ufunc.__name__, out, result)

    # NumPy's ufunc protocol. With the C accelerator, OperatorBox.dispatch binds
    # the plain calls that _array_ufunc has entered in _UFUNC_PRIMITIVES without
    # a Python frame, and hands everything else to _array_ufunc.
    __array_ufunc__ = OperatorBox.dispatch if EXT is not None else _array_ufunc

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        ours = FUNCTIONS.get(func) or load_lazy_rules(func)  # numpy.fft's functions: see lazy_submodule
        if ours is None:
            ours = missing.lookup(func)
        out = kwargs.pop("out", None)
        result = ours(*args, **kwargs)
        return result if out is None else write_out(func.__name__, out, result)

    # ----- in-place operators: NumPy's, on arrays (scalars are immutable) ---------------
    def __iadd__(self, other: Any) -> Any:
        return memory.inplace(self, ufuncs.add, _np.add, other)

    def __isub__(self, other: Any) -> Any:
        return memory.inplace(self, ufuncs.subtract, _np.subtract, other)

    def __imul__(self, other: Any) -> Any:
        return memory.inplace(self, ufuncs.multiply, _np.multiply, other)

    def __itruediv__(self, other: Any) -> Any:
        return memory.inplace(self, ufuncs.divide, _np.divide, other)

    def __ipow__(self, other: Any) -> Any:
        return memory.inplace(self, ufuncs.power, _np.power, other)

    def __imatmul__(self, other: Any) -> Any:
        return memory.inplace(self, products.matmul, _np.matmul, other)

    def __ifloordiv__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.floor_divide, _np.floor_divide, other)

    def __imod__(self, other: Any) -> Any:
        return memory.inplace(self, UFUNCS[_np.remainder], _np.remainder, other)

    def __iand__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.bitwise_and, _np.bitwise_and, other)

    def __ior__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.bitwise_or, _np.bitwise_or, other)

    def __ixor__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.bitwise_xor, _np.bitwise_xor, other)

    def __ilshift__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.left_shift, _np.left_shift, other)

    def __irshift__(self, other: Any) -> Any:
        return memory.inplace(self, nondiff.right_shift, _np.right_shift, other)

    # ----- integer and boolean operators: no derivative -------------------------------
    def __and__(self, other: Any) -> Any:
        return nondiff.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Any:
        return nondiff.bitwise_and(other, self)

    def __or__(self, other: Any) -> Any:
        return nondiff.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Any:
        return nondiff.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Any:
        return nondiff.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return nondiff.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Any:
        return nondiff.left_shift(self, other)

    def __rlshift__(self, other: Any) -> Any:
        return nondiff.left_shift(other, self)

    def __rshift__(self, other: Any) -> Any:
        return nondiff.right_shift(self, other)

    def __rrshift__(self, other: Any) -> Any:
        return nondiff.right_shift(other, self)

    def __invert__(self) -> Any:
        return nondiff.invert(self)

    def __contains__(self, value: Any) -> bool:
        return bool(_np.any(getval(self) == getval(value)))

    def __copy__(self) -> Any:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> Any:
        return self.copy()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the traced array does not define (and unset slots).
        if name[0] != "_" and hasattr(_np.ndarray, name):
            raise UnsupportedAttributeError(
                f"ndarray.{name} is not supported on a traced array: it would lose the derivative "
                "or has none. Use tapegrad.numpy functions, or apply it to tapegrad.stop_gradient(x)."
            )
        raise AttributeError(f"'numpy.ndarray' object has no attribute {name!r}")

    # ----- arithmetic ---------------------------------------------------------
    def __neg__(self) -> Any:
        return ufuncs.negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return ufuncs.absolute(self)

    # Without the C fast path (whose number slots bind these and ask _defers the same), the
    # operators leave foreign array-likes to their reflected operators (see _defers).
    if EXT is None:
        def __add__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_ADD, self, other)
            return NotImplemented

        def __radd__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_ADD, other, self)
            return NotImplemented

        def __sub__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_SUB, self, other)
            return NotImplemented

        def __rsub__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_SUB, other, self)
            return NotImplemented

        def __mul__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_MUL, self, other)
            return NotImplemented

        def __rmul__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_MUL, other, self)
            return NotImplemented

        def __truediv__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_DIV, self, other)
            return NotImplemented

        def __rtruediv__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_DIV, other, self)
            return NotImplemented

        def __pow__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_POW, self, other)
            return NotImplemented

        def __rpow__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_POW, other, self)
            return NotImplemented

        def __matmul__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return bind2(_MATMUL, self, other)
            return NotImplemented

        def __rmatmul__(self, other: Any) -> Any:
            if type(other) in _DIRECT or not _defers(other):
                return rbind2(_MATMUL, other, self)
            return NotImplemented

    def __floordiv__(self, other: Any) -> Any:
        return nondiff.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return nondiff.floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        if type(other) in _DIRECT or not _defers(other):
            return UFUNCS[_np.remainder](self, other)
        return NotImplemented

    def __rmod__(self, other: Any) -> Any:
        if type(other) in _DIRECT or not _defers(other):
            return UFUNCS[_np.remainder](other, self)
        return NotImplemented

    # ----- comparisons: plain boolean results ---------------------------------------
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return nondiff.equal(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return nondiff.not_equal(self, other)

    def __lt__(self, other: Any) -> Any:
        return nondiff.less(self, other)

    def __le__(self, other: Any) -> Any:
        return nondiff.less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return nondiff.greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return nondiff.greater_equal(self, other)

    def __repr__(self) -> str:
        return f"ArrayBox({self._value!r})"

    __str__ = __repr__


if EXT is not None:
    EXT.configure_dispatch(table=_UFUNC_PRIMITIVES, method="__call__", fallback=_ArrayOps._array_ufunc)


class _ArrayBase(_ArrayOps, OperatorBox):
    """What traced arrays and constant arrays share: indexing, iteration, writes, and one layout.

    ``_block`` and ``_spec``: the memory it shares with other traced arrays
    (see :mod:`tapegrad.numpy.memory`); unset until it is viewed or written.
    """

    __slots__ = ("_block", "_spec", "__weakref__")

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self._value)))

    def __getitem__(self, idx: Any) -> Any:
        return memory.link(self, indexing.getitem(self, _plain_index(idx)))

    def __setitem__(self, idx: Any, value: Any) -> None:
        memory.write(self, _plain_index(idx), value)


class ArrayBox(_ArrayBase):
    """A traced NumPy array: indexable, iterable, assignable."""

    __slots__ = ()


class ConstantArray(_ArrayBase):
    """An array made by ``tapegrad.numpy`` while a function is differentiated, holding no traced value.

    It accepts traced values by assignment (``b = np.zeros(3); b[0] = x``), and
    becomes an :class:`ArrayBox` when one is written into it. Until then it
    passes for the ndarray that autograd would have made: code written for
    autograd finds traced values with ``isinstance(v, ArrayBox)`` and arrays
    with ``isinstance(v, numpy.ndarray)``, so it is not an ``ArrayBox`` there,
    and ``c.__class__`` is ``numpy.ndarray`` (``type(c)`` is this class).
    NumPy reads it through ``__array__``.

    >>> import numpy
    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> def f(x):
    ...     b = np.zeros(2)
    ...     seen = [(isinstance(b, ArrayBox), isinstance(b, numpy.ndarray))]
    ...     b[0] = x
    ...     seen.append((isinstance(b, ArrayBox), isinstance(b, numpy.ndarray)))
    ...     print(seen)
    ...     return np.sum(b * b)
    >>> float(grad(f)(3.0))
    [(False, True), (True, False)]
    6.0
    """

    __slots__ = ()

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - what isinstance and client code see
        return _np.ndarray

    @__class__.setter
    def __class__(self, cls: type) -> None:  # a traced write makes it an ArrayBox (core.box.Box._assign)
        _SET_CLASS(self, cls)

    def view(self, dtype: Any = None, type: Any = None) -> Any:  # noqa: A002 - NumPy's names
        """``ndarray.view``; with another dtype or type, NumPy's own view of the values (a plain array).

        That view holds no traced value and later traced writes into this array do not reach it.
        """
        if dtype is None and type is None:
            return _ArrayOps.view(self)
        args = () if dtype is None else (dtype,)
        return self._value.view(*args) if type is None else self._value.view(*args, type=type)

    def __reduce__(self) -> Any:
        return self._value.__reduce__()  # pickled as the ndarray it holds

    def __repr__(self) -> str:
        return repr(self._value)

    def __str__(self) -> str:
        return str(self._value)


_SET_CLASS = object.__dict__["__class__"].__set__


def _pythonic(result: Any, box: Any, other: Any = 0.0) -> Any:
    """``result`` as a Python number where Python would have computed it (a float box and a Python
    number, or another traced Python number)."""
    if type(getval(box)) is float and type(getval(other)) in (int, float) and result is not NotImplemented:
        return creation.item(result) if isinstance(result, Box) else float(result)
    return result


class ScalarBox(ArrayBox):
    """A traced scalar: immutable as NumPy's scalars are (``y = x; y += 1`` leaves ``x`` alone).

    An ``ArrayBox`` for ``isinstance`` checks, as in autograd; ``x[()]`` and
    ``x[None]`` index it as they index NumPy scalars.
    """

    __slots__ = ()
    immutable = True  # asarray of it is a new array, as NumPy's of a scalar

    def __len__(self) -> int:
        raise TypeError(f"object of type {type(self._value).__name__!r} has no len()")

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"{type(self._value).__name__!r} object is not iterable")

    def __getitem__(self, idx: Any) -> Any:
        # link: under vmap, a result sharing the scalars' stack is noted as a copy (NumPy's never is a view)
        return memory.link(self, indexing.getitem(self, _plain_index(idx)))

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise TypeError(f"{type(self._value).__name__!r} object does not support item assignment")

    # A Python float under the box, with a Python number: Python's own % and //, whose results stay
    # Python floats (weakly typed in NumPy's promotion), not NumPy's float64.
    def __mod__(self, other: Any) -> Any:
        return _pythonic(_ArrayOps.__mod__(self, other), self, other)

    def __rmod__(self, other: Any) -> Any:
        return _pythonic(_ArrayOps.__rmod__(self, other), self, other)

    def __floordiv__(self, other: Any) -> Any:
        return _pythonic(_ArrayOps.__floordiv__(self, other), self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _pythonic(_ArrayOps.__rfloordiv__(self, other), self, other)

    def __divmod__(self, other: Any) -> Any:
        return self // other, self % other  # as Python's divmod of floats

    def __rdivmod__(self, other: Any) -> Any:
        return self.__rfloordiv__(other), self.__rmod__(other)

    def __abs__(self) -> Any:
        return _pythonic(ufuncs.absolute(self), self)

    __iadd__ = lambda self, other: self + other
    __isub__ = lambda self, other: self - other
    __imul__ = lambda self, other: self * other
    __itruediv__ = lambda self, other: self / other
    __ipow__ = lambda self, other: self ** other
    __imatmul__ = lambda self, other: self @ other
    __ifloordiv__ = lambda self, other: self // other
    __imod__ = lambda self, other: self % other




def _ufunc_primitive(ufunc: Any) -> Any:
    ours = UFUNCS.get(ufunc) or _load_scipy_rules(ufunc)
    if ours is None:
        return None  # not cached: the generic path raises the explanatory error
    prim = _UFUNC_PRIMITIVES[ufunc] = getattr(ours, "_primitive", None)
    return prim


def _load_scipy_rules(ufunc: Any) -> Any:
    """SciPy ufuncs get their rules when tapegrad.scipy.special is imported; do it on demand."""
    try:
        from ..scipy import special  # noqa: F401
    except ImportError:
        return None
    return UFUNCS.get(ufunc)


def _plain_index(idx: Any) -> Any:
    """Indices never carry derivatives: see through boxes in them (to the batched index of a vmap, if one is)."""
    if isinstance(idx, Box):
        return _index_value(idx)
    if isinstance(idx, tuple) and any(isinstance(i, Box) for i in idx):
        return tuple(_index_value(i) if isinstance(i, Box) else i for i in idx)
    return idx


def _index_value(i: Box) -> Any:
    v = getval(i)
    return v if isinstance(v, Box) else _np.asarray(v)


def write_out(name: str, out: Any, result: Any) -> Any:
    """``result`` written into a ufunc's ``out=`` argument, as NumPy writes it; ``out`` is returned."""
    target = out[0] if isinstance(out, tuple) else out
    if isinstance(target, ScalarBox) or not isinstance(target, (_ArrayBase, _np.ndarray)):
        raise TypeError("return arrays must be of ArrayType")
    ufunc = getattr(_np, name, None)
    if isinstance(ufunc, _np.ufunc):
        memory.check_cast(ufunc, result, target)
        rs, ts = _np.shape(getval(result)), _np.shape(getval(target))
        if _np.broadcast_shapes(rs, ts) != ts:
            raise ValueError(f"non-broadcastable output operand with shape {ts} doesn't match the broadcast shape "
                             f"{_np.broadcast_shapes(rs, ts)}")
    if isinstance(target, _ArrayBase):
        memory.write(target, Ellipsis, result)
        return target
    if not isinstance(result, Box) or result._trace is CONSTANT:
        target[...] = getval(result)
        return target
    if isinstance(getval(result), Box):  # batched by vmap (under the differentiations): what vmap says first
        raise writes.plain_target_error(f"numpy.{name}(..., out=) (also `plain_array += batched`)")
    raise _leak(
        f"numpy.{name}(..., out=<plain ndarray>) (also `plain_array += traced`)",
        "Create the array with tapegrad.numpy (np.zeros, np.array, ...) inside the "
        "differentiated function so that it can hold traced values, or use x = x + y.",
    )


def _defer_to_boxes(value_type: Any) -> None:
    """Make a registered ndarray subclass with its own ``__array_ufunc__`` leave traced operands to the boxes.

    ``c * x`` with ``c`` such an array (PennyLane's ``tensor``, registered with
    ``Box.type_mappings[tensor] = ...``) and ``x`` traced: NumPy calls ``c``'s
    ``__array_ufunc__`` first, which passes the call on to ndarray's, which
    declines the box. Wrapped here, it declines at once, and NumPy asks the box,
    which records the call: what autograd 1.8's boxes got from NumPy's operator
    deferral to their ``__array_priority__``.
    """
    if not (isinstance(value_type, type) and issubclass(value_type, _np.ndarray)):
        return
    own = value_type.__array_ufunc__
    if own is _NDARRAY_UFUNC or own is None or getattr(own, "defers_to_boxes", False):
        return

    def __array_ufunc__(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if any(isinstance(i, Box) for i in inputs):
            if any(isinstance(i, Box) and i._trace is not CONSTANT for i in inputs):
                return NotImplemented
            inputs = tuple(i._value if isinstance(i, Box) else i for i in inputs)  # constants: their arrays
        return own(self, ufunc, method, *inputs, **kwargs)

    __array_ufunc__.defers_to_boxes = True  # type: ignore[attr-defined]
    __array_ufunc__.__wrapped__ = own  # type: ignore[attr-defined]
    value_type.__array_ufunc__ = __array_ufunc__


watch_registrations(_defer_to_boxes)


# Operand types the operators bind without asking _defers (the pure-Python engine's hot path).
_DIRECT = frozenset(ufuncs._OPERANDS | {ArrayBox, ScalarBox, ConstantArray})

register_box(_np.ndarray, ArrayBox)
register_box(ConstantArray, ArrayBox)  # a constant array differentiated by a later trace
register_mutable(_np.ndarray, ConstantArray, ArrayBox)  # arrays made by tapegrad.numpy accept traced writes
register_sized_type(_np.ndarray)  # the tape may keep only the shape of an unread array
for _t in (float, complex, int, bool, _np.generic):
    register_box(_t, ScalarBox)

provide(write_out=write_out)  # for the modules below (_wrap.ops)

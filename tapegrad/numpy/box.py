"""ArrayBox: a traced array with NumPy's operators, methods and dispatch protocols.

Plain ``numpy`` functions reach tapegrad's rules through ``__array_ufunc__`` and
``__array_function__``. Conversions that would drop the trace (``float(x)``,
``np.asarray(x)``, writing into a plain ndarray) raise :class:`TraceLeakError`.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, Iterator

import numpy as _np

from ..core import CONSTANT, Box, NonDifferentiableError, TraceLeakError, getval, register_box
from ..core.box import OperatorBox
from ..core.fastpath import EXT
from ..core.primitive import bind1, bind2, rbind2
from ..core.reverse import register_sized_type
from . import indexing, nondiff, products, reductions, shape, ufuncs
from ._wrap import FUNCTIONS, UFUNCS
from .methods import ArrayMethods



# The operators' primitives, called without the generic wrapper (the hot path of scalar code).
_ADD = ufuncs.add._primitive
_SUB = ufuncs.subtract._primitive
_MUL = ufuncs.multiply._primitive
_DIV = ufuncs.divide._primitive
_POW = ufuncs.power._primitive
_MATMUL = products.matmul._primitive
if EXT is not None:
    EXT.configure_operators(
        primitives={"add": _ADD, "subtract": _SUB, "multiply": _MUL, "divide": _DIV, "power": _POW, "matmul": _MATMUL},
        direct={"add", "subtract", "multiply", "divide", "power"},  # what ufuncs._fast computes with the operator
        operand_types=ufuncs._OPERANDS,
    )
# NumPy ufunc -> the primitive that differentiates it (None if a Python function
# stands in for it), filled on first use: dispatch without the generic wrapper.
_UFUNC_PRIMITIVES: dict = {}


def _leak(what: str, fix: str) -> TraceLeakError:
    return TraceLeakError(
        f"{what} would turn a traced value into a plain value, and its derivative would be lost. {fix}"
    )


class _ArrayOps(ArrayMethods):
    """The operators, methods and NumPy protocols shared by traced arrays and scalars.

    A basic slice ``v = x[1:3]``, ``x.T``, ``x.reshape(...)``, ``x.ravel()``,
    ``x.real`` are views, as in NumPy: a view records its base and how to read
    itself from it and write itself back (``_link``); the base keeps weak
    references to its views. A write to either side reaches the other.
    """

    __slots__ = ()
    __array_priority__ = 100.0

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

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return _view(self, shape.transpose(self), shape.transpose, lambda b, v: shape.transpose(v))

    @property
    def mT(self) -> Any:  # noqa: N802 - NumPy's name
        return _view(self, shape.swapaxes(self, -1, -2), lambda b: shape.swapaxes(b, -1, -2), lambda b, v: shape.swapaxes(v, -1, -2))

    @property
    def real(self) -> Any:
        if not _np.iscomplexobj(getval(self)):
            return self
        return _view(self, ufuncs.real(self), ufuncs.real, lambda b, v: v + 1j * ufuncs.imag(b))

    @property
    def imag(self) -> Any:
        return _view(self, ufuncs.imag(self), ufuncs.imag, _imag_write)

    def __hash__(self) -> int:
        return id(self)

    # ----- conversions that would lose the trace ---------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if self._trace is CONSTANT:
            return _np.asarray(self._value, dtype=dtype)
        raise _leak(
            "Converting a traced array with numpy.asarray/numpy.array (or passing it to code "
            "that does)",
            "Use tapegrad.numpy functions on it, or tapegrad.stop_gradient(x) if no derivative "
            "should flow through this value.",
        )

    def _scalar(self, kind: type) -> Any:
        if self._trace is CONSTANT:
            return kind(self._value)
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
        if method == "__call__":
            ours = UFUNCS.get(ufunc) or _load_scipy_rules(ufunc)
            if ours is None:
                raise NonDifferentiableError(
                    f"numpy.{ufunc.__name__} has no derivative rule in tapegrad, and a traced value "
                    "reached it. Define one with tapegrad.extend, or apply it to "
                    "tapegrad.stop_gradient(x)."
                )
            result = ours(*inputs, **kwargs)  # keywords: see _wrap.ufunc_keywords
        elif method == "reduce" and ufunc in (_np.add, _np.multiply, _np.maximum, _np.minimum):
            red = {
                _np.add: reductions.sum,
                _np.multiply: reductions.prod,
                _np.maximum: reductions.max,
                _np.minimum: reductions.min,
            }[ufunc]
            kwargs.setdefault("axis", 0)
            result = red(*inputs, **kwargs)
        else:
            raise NonDifferentiableError(
                f"numpy.{ufunc.__name__}.{method} on a traced value is not supported by tapegrad; "
                "write it with tapegrad.numpy functions (sum, cumsum, ...) instead."
            )
        if out is None:
            return result
        return _write_out(ufunc.__name__, out, result)

    # NumPy's ufunc protocol. With the C accelerator, OperatorBox.dispatch binds
    # the plain calls that _array_ufunc has entered in _UFUNC_PRIMITIVES without
    # a Python frame, and hands everything else to _array_ufunc.
    __array_ufunc__ = OperatorBox.dispatch if EXT is not None else _array_ufunc

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        ours = FUNCTIONS.get(func)
        if ours is None:
            from . import missing

            ours = missing.lookup(func)
        out = kwargs.pop("out", None)
        result = ours(*args, **kwargs)
        return result if out is None else _write_out(func.__name__, out, result)

    # ----- indexing and in-place writes ------------------------------------------
    def _assign(self, result: Any) -> None:
        """An in-place write: rebind, then keep the base and the views of this array in step."""
        base = getattr(self, "_base", None)
        if base is not None and self._link[1] is None:
            raise ValueError("assignment destination is read-only (a read-only view, as in NumPy)")
        Box._assign(self, result)
        if base is not None:
            base._assign(self._link[1](base, self))  # write through; refreshes self as well
        else:
            self._refresh_views()

    def _refresh_views(self) -> None:
        views = getattr(self, "_views", None)
        if not views:
            return
        live = []
        for ref in views:
            view = ref()
            if view is not None:
                Box._assign(view, view._link[0](self))
                view._refresh_views()
                live.append(ref)
        self._views = live

    def _inplace(self, result: Any) -> Any:
        self._assign(result)
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._inplace(ufuncs.add(self, other))

    def __isub__(self, other: Any) -> Any:
        return self._inplace(ufuncs.subtract(self, other))

    def __imul__(self, other: Any) -> Any:
        return self._inplace(ufuncs.multiply(self, other))

    def __itruediv__(self, other: Any) -> Any:
        return self._inplace(ufuncs.divide(self, other))

    def __ipow__(self, other: Any) -> Any:
        return self._inplace(ufuncs.power(self, other))

    def __imatmul__(self, other: Any) -> Any:
        return self._inplace(products.matmul(self, other))

    # ----- arithmetic ---------------------------------------------------------
    def __neg__(self) -> Any:
        return ufuncs.negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return ufuncs.absolute(self)

    if EXT is None:  # with the C fast path, OperatorBox's number slots bind these
        def __add__(self, other: Any) -> Any:
            return bind2(_ADD, self, other)

        def __radd__(self, other: Any) -> Any:
            return rbind2(_ADD, other, self)

        def __sub__(self, other: Any) -> Any:
            return bind2(_SUB, self, other)

        def __rsub__(self, other: Any) -> Any:
            return rbind2(_SUB, other, self)

        def __mul__(self, other: Any) -> Any:
            return bind2(_MUL, self, other)

        def __rmul__(self, other: Any) -> Any:
            return rbind2(_MUL, other, self)

        def __truediv__(self, other: Any) -> Any:
            return bind2(_DIV, self, other)

        def __rtruediv__(self, other: Any) -> Any:
            return rbind2(_DIV, other, self)

        def __pow__(self, other: Any) -> Any:
            return bind2(_POW, self, other)

        def __rpow__(self, other: Any) -> Any:
            return rbind2(_POW, other, self)

        def __matmul__(self, other: Any) -> Any:
            return bind2(_MATMUL, self, other)

        def __rmatmul__(self, other: Any) -> Any:
            return rbind2(_MATMUL, other, self)

    def __floordiv__(self, other: Any) -> Any:
        return nondiff.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return nondiff.floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        return UFUNCS[_np.remainder](self, other)

    def __rmod__(self, other: Any) -> Any:
        return UFUNCS[_np.remainder](other, self)

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


class ArrayBox(_ArrayOps, OperatorBox):
    """A traced NumPy array: indexable, iterable, assignable."""

    __slots__ = ("_base", "_link", "_views", "__weakref__")

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self._value)))

    def __getitem__(self, idx: Any) -> Any:
        idx = _plain_index(idx)
        out = indexing.getitem(self, idx)
        if indexing._is_basic(idx) and _np.ndim(getval(out)) > 0:
            # NumPy returns a view here: keep the link so writes stay shared.
            return _view(self, out, lambda b: indexing.getitem(b, idx), lambda b, v: indexing.setitem(b, idx, v))
        return out

    def __setitem__(self, idx: Any, value: Any) -> None:
        self._assign(indexing.setitem(self, _plain_index(idx), value))



class ScalarBox(_ArrayOps, OperatorBox):
    """A traced scalar (``x[()]``, ``x[None]`` index it as they index NumPy scalars)."""

    __slots__ = ("_base", "_link", "_views", "__weakref__")

    def __getitem__(self, idx: Any) -> Any:
        return indexing.getitem(self, _plain_index(idx))


_NUMERIC_BOXES = (ArrayBox, ScalarBox)


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


def _view(base: "ArrayBox", out: Any, read: Any, write: Any, check: bool = False) -> Any:
    """Link ``out`` to ``base`` as a NumPy view: ``read(base)`` is the view, ``write(base, view)`` the new base.

    With ``check``, link only if NumPy itself returned a view (the values share
    memory): ``reshape`` of a non-contiguous array is a copy, in NumPy and here.
    ``write=None`` makes a read-only view (``broadcast_to``, ``diagonal``).
    """
    if check and not _np.may_share_memory(getval(out), getval(base)):
        return out
    if not isinstance(out, _NUMERIC_BOXES):
        out = ArrayBox(out, CONSTANT, None)
    out._base = base
    out._link = (read, write)
    views = getattr(base, "_views", None)
    if views is None:
        views = base._views = []
    views.append(weakref.ref(out))
    return out


def _imag_write(b: Any, v: Any) -> Any:
    if not _np.iscomplexobj(getval(b)):
        raise ValueError("the imaginary part of a real array is read-only (as in NumPy)")
    return ufuncs.real(b) + 1j * v


def _plain_index(idx: Any) -> Any:
    """Indices never carry derivatives: see through boxes in them."""
    if isinstance(idx, Box):
        return _np.asarray(getval(idx))
    if isinstance(idx, tuple) and any(isinstance(i, Box) for i in idx):
        return tuple(_np.asarray(getval(i)) if isinstance(i, Box) else i for i in idx)
    return idx


def _write_out(name: str, out: Any, result: Any) -> Any:
    target = out[0] if isinstance(out, tuple) else out
    if isinstance(target, _NUMERIC_BOXES):
        target[...] = result
        return target
    raise _leak(
        f"numpy.{name}(..., out=<plain ndarray>) (also `plain_array += traced`)",
        "Create the array with tapegrad.numpy (np.zeros, np.array, ...) inside the "
        "differentiated function so that it can hold traced values, or use x = x + y.",
    )


register_box(_np.ndarray, ArrayBox)
register_sized_type(_np.ndarray)  # the tape may keep only the shape of an unread array
for _t in (float, complex, int, bool, _np.generic):
    register_box(_t, ScalarBox)

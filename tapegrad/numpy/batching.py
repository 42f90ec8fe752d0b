"""Arrays under ``vmap``: the boxes of batched arrays, their batch space, and the shared rule helpers.

A batched array's value holds every example stacked along its batch axis; the
box stands for one example (``shape``, ``ndim``, ``len`` are an example's) and
refuses what would need one example's value (``if x > 0``, ``float(x)``).

The batching rules of the families (``batch(args, dims, **kwargs) -> (ans,
dim)``, see :mod:`tapegrad.core.batching`) live in ``batch_*.py``, one module
per family, and are written with the helpers here: :func:`front` moves an
argument's examples to axis 0, :func:`aligned` lines up the arguments of an
elementwise call, :func:`elementwise` is the rule of every broadcasting
function.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from typing import Any, Callable, Optional

import numpy as _np

from ..core import Box, register_vspace
from ..core.batching import (
    PLAIN_RULE_FINDERS, PLAIN_RULES, RULE_FINDERS, BatchError, BatchSpace, register_batch_space,
)
from ..core.box import register_box
from ._wrap import shape_of
from . import memory
from .box import ArrayBox, ScalarBox
from . import creation
from .indexing import getitem
from .layout import Spec
from .shaping import broadcast_to, expand_dims, moveaxis, reshape, stack
from .writes import plain_target_error
from .vspace import array_vspace


def _no_example(what: str) -> BatchError:
    return BatchError(
        f"{what} of a value batched by vmap would need the value of one example, but the mapped function "
        "runs on all examples at once. Select with np.where(condition, a, b) instead of if/else, keep the "
        "value an array, or pass it with in_axes=None if it is the same for every example."
    )


class _Batched:
    """What the boxes of a batch trace change in a traced array: an example's shape, and no single value."""

    __slots__ = ()
    batched = True

    @property
    def shape(self) -> tuple:
        s = shape_of(self._value)
        d = self._node
        return s[:d] + s[d + 1:]

    @property
    def strides(self) -> tuple:
        st = self._value.strides
        d = self._node
        return st[:d] + st[d + 1:]

    @property
    def flags(self) -> Any:
        """An example's layout: contiguous where its elements are evenly spaced in C (or F) order."""
        # a scalar is never written (NumPy's writes into one reach a temporary copy, or raise)
        v, d = self._value, self._node
        return ExampleFlags(self.shape, self.strides, v.flags.writeable and not getattr(self, "immutable", False),
                            _steps(v.dtype.itemsize, v.strides[d], shape_of(v)[d]))

    def __len__(self) -> int:
        s = self.shape
        if not s:
            raise TypeError("len() of unsized object")
        return s[0]

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        # Python branches once for every example: only where they all agree (the branch each would take).
        if self.size != 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()")
        plain = self._value
        while isinstance(plain, Box):
            plain = plain._value
        if _np.all(plain):
            return True
        if not _np.any(plain):
            return False
        raise _no_example("The truth value (if, while, and, or), where the examples disagree,")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise _no_example("Converting to a NumPy array (numpy.asarray, or a function that calls it)")

    def _scalar(self, kind: type) -> Any:
        raise _no_example(f"{kind.__name__}()")

    def item(self, *args: Any) -> Any:
        """The element of each example: a batched scalar (NumPy's is a Python number, one per example)."""
        if self.dtype.kind in "fc":
            return ArrayBox.item(self, *args)  # traced (creation.item)
        if getattr(self, "immutable", False) and not args:
            return self
        if args:
            return self[args if len(args) > 1 else _np.unravel_index(args[0], self.shape)]
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self[(0,) * len(self.shape)]

    def view(self, dtype: Any = None, type: Any = None) -> Any:  # noqa: A002 - NumPy's names
        if type is not None or (dtype is not None and _np.dtype(dtype) != self.dtype):
            return ArrayBox.view(self, dtype, type)  # its error
        return self

    # NumPy's protocols. tapegrad's own function for a NumPy function runs as on any traced array;
    # but some compute a part without derivative with NumPy on getval(x), which is this box again:
    # called back for the same function, NumPy's function is mapped over the examples itself
    # (on the values under the box, where it dispatches as it should).
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None and any(type(o) is _np.ndarray for o in (out if type(out) is tuple else (out,))):
            raise plain_target_error(f"numpy.{ufunc.__name__}(..., out=) (also `plain_array += batched`)")
        key = (ufunc, method)
        if key in _ACTIVE.keys:
            if method != "__call__" or "out" in kwargs:
                raise BatchError(f"vmap cannot map numpy.{ufunc.__name__}.{method} here")
            return _top(inputs).compute_plain(ufunc, list(inputs), kwargs)
        _ACTIVE.keys.add(key)
        try:
            return ArrayBox.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)
        finally:
            _ACTIVE.keys.discard(key)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if func in _ACTIVE.keys:
            return _top(args).compute_plain(func, list(args), kwargs)
        _ACTIVE.keys.add(func)
        try:
            return ArrayBox.__array_function__(self, func, types, args, kwargs)
        finally:
            _ACTIVE.keys.discard(func)

    def __repr__(self) -> str:
        return f"BatchedArray(shape={self.shape}, dtype={self.dtype}, examples along axis {self._node} of {shape_of(self._value)})"

    __str__ = __repr__


def _steps(itemsize: int, examples_stride: int, n: int) -> tuple:
    """The spacings of an example's elements that make it count as contiguous: one element, or, where the
    examples lie next to each other (their axis the innermost), one element of each example."""
    return (itemsize, itemsize * n) if abs(examples_stride) == itemsize and n > 1 else (itemsize,)


def _evenly(shape: tuple, strides: tuple, steps: tuple) -> bool:
    """Are the elements evenly spaced by one of ``steps``, the first axis given varying fastest?"""
    if 0 in shape:
        return True
    step = None
    for n, st in zip(shape, strides):
        if n == 1:
            continue
        if step is None:
            if st not in steps:
                return False
        elif st != step:
            return False
        step = st * n
    return True


class ExampleFlags:
    """The memory flags NumPy's order 'A' and 'K' read, of one example of a stack.

    An example lies in memory as the stack does, its elements spaced by the
    stack's strides: it counts as C- (or Fortran-) contiguous when they are
    evenly spaced in that order by one of ``steps`` (:func:`_steps`): one
    element, or one element of each example where the examples' axis is the
    innermost (a contiguous array with the examples' axis added between its
    elements).
    """

    __slots__ = ("c_contiguous", "f_contiguous", "writeable")

    def __init__(self, shape: tuple, strides: tuple, writeable: bool, steps: tuple) -> None:
        self.c_contiguous = _evenly(shape[::-1], strides[::-1], steps)
        self.f_contiguous = _evenly(shape, strides, steps)
        self.writeable = writeable

    def __getitem__(self, name: str) -> bool:
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "WRITEABLE": "writeable"}.get(name.upper(), name.lower()))


class _Views:
    """The stacks that batching rules made as views of their argument's (a transpose, a reshape...), by identity.

    NumPy's result would be a view of the argument, so a write into it would
    reach the argument; unless ``_linked_view`` links it, such a write is
    refused (``batch_indexing._write_batch``) rather than done on its own.
    """

    def __init__(self) -> None:
        self._refs: dict = {}

    def add(self, a: _np.ndarray) -> None:
        if len(self._refs) > 4096:
            self._refs = {k: r for k, r in self._refs.items() if r() is not None}
        self._refs[id(a)] = weakref.ref(a)

    def discard(self, a: Any) -> None:
        self._refs.pop(id(a), None)

    def __contains__(self, a: Any) -> bool:
        ref = self._refs.get(id(a))
        return ref is not None and ref() is a


UNLINKED_VIEWS = _Views()


def noted_view(out: Any, x: Any) -> Any:
    """``out``, a rule's result that NumPy would return as a view of ``x``: noted where it shares ``x``'s memory."""
    o, v = plain_stack(out), plain_stack(x)
    # (the argument itself, np.real of a real array: link returns the argument, nothing to note)
    if type(o) is _np.ndarray and type(v) is _np.ndarray and o is not v and _np.may_share_memory(o, v):
        UNLINKED_VIEWS.add(o)
    return out


def plain_stack(x: Any) -> Any:
    """The plain array under a batched box and the boxes of differentiations in it (its memory)."""
    v = x._value if isinstance(x, Box) and x.batched else x
    while isinstance(v, Box) and not v.batched:
        v = v._value
    return v


class _Active(threading.local):
    """The NumPy functions being dispatched for batched arrays on this thread."""

    def __init__(self) -> None:
        self.keys: set = set()


_ACTIVE = _Active()


def _top(values: Any) -> Any:
    """The batch trace of the innermost batched value among ``values``."""
    traces = [v._trace for v in values if isinstance(v, Box) and v.batched]
    if not traces:
        raise BatchError("vmap: no batched value among the arguments")
    return max(traces, key=lambda t: t.level)


class BatchArrayBox(_Batched, ArrayBox):
    """An array batched by ``vmap``: an example is an array of ``shape``."""

    __slots__ = ()


def _linked_view(base: Any, out: Any) -> Any:
    """``out``, a view of the batched ``base`` where NumPy's is one: each example's view of that example's memory.

    ``memory.link`` calls this where the values are batched, under any boxes of
    differentiations. The place of one example's view in its root (a
    ``layout.Spec``) is read off example 0 (of every batch trace), and holds for
    every example when the view steps over the examples as the root does. Writes
    through either then reach the other, as ``memory.link`` arranges for
    unbatched arrays. Other views of batched arrays stay unlinked, and a write
    into one is refused (``batch_indexing``).
    """
    ov, olayers = memory.stack_layers(out)
    if getattr(base, "immutable", False):  # NumPy's result from a scalar is never a view of it: a copy
        UNLINKED_VIEWS.discard(ov)
        bv = memory.stack_layers(base)[0]
        if (not getattr(out, "immutable", False) and type(ov) is _np.ndarray and type(bv) is _np.ndarray
                and not bv.flags.writeable and not ov.flags.writeable and _np.may_share_memory(ov, bv)):
            # read-only only because the stack is (np.imag of real scalars): NumPy's function saw a new,
            # writeable array; new memory, writeable as NumPy's result is
            return creation._copy(out)
        return out
    bv, blayers = memory.stack_layers(base)
    if not olayers or type(ov) is not _np.ndarray or type(bv) is not _np.ndarray:
        return out
    if ov is bv and olayers == blayers:
        return base  # NumPy's function returned its argument itself
    if not _np.may_share_memory(ov, bv):
        return out
    block = memory._block_of(base)
    rv, rlayers = memory.stack_layers(block.root)
    if type(rv) is not _np.ndarray or [t for t, _ in rlayers] != [t for t, _ in olayers]:
        return _unlinked(block, out)
    one, root_one = ov, rv
    for (_, d), (_, r) in zip(olayers, rlayers):
        # one example's place holds for every example where the view steps over them as the root does
        # (with one example, any step: NumPy gives any stride to an axis of length 1)
        if one.shape[d] == 0 or (one.shape[d] > 1 and one.strides[d] != root_one.strides[r]):
            return _unlinked(block, out)
        one, root_one = one[(slice(None),) * d + (0, Ellipsis)], root_one[(slice(None),) * r + (0, Ellipsis)]
    if not _np.may_share_memory(one, root_one):
        return _unlinked(block, out)
    out._block = block
    out._spec = Spec(one, root_one)
    block.views.append(weakref.ref(out))
    UNLINKED_VIEWS.discard(ov)
    return out


def _unlinked(block: Any, out: Any) -> Any:
    """``out``, a view of ``block``'s memory that cannot be linked: noted, so that writes into either are refused.

    A write through ``out`` is refused by ``batch_indexing`` (``UNLINKED_VIEWS``), one into the block by
    ``memory.write`` while ``out`` lives.
    """
    if isinstance(out, Box):
        block.unlinked.append(weakref.ref(out))
        v = memory.stack_layers(out)[0]
        if type(v) is _np.ndarray:
            UNLINKED_VIEWS.add(v)
    return out


class BatchScalarBox(_Batched, ScalarBox):
    """A scalar batched by ``vmap``: an example is a number (immutable, as NumPy's scalars)."""

    __slots__ = ()

    def __len__(self) -> int:
        raise TypeError("len() of unsized object")


# ----- the helpers of the rules -------------------------------------------------------


def ndim_of(x: Any) -> int:
    return len(shape_of(x))


def moved(x: Any, dim: int, to: int = 0) -> Any:
    """``x`` with axis ``dim`` moved to ``to`` (a view)."""
    if dim == to:
        return x
    if type(x) is _np.ndarray:
        return _np.moveaxis(x, dim, to)
    return moveaxis(x, dim, to)


def reshaped(x: Any, shape: tuple, order: str = "C") -> Any:
    if type(x) is _np.ndarray:
        return x.reshape(shape, order=order)
    return reshape(x, shape, order=order)


def front(x: Any, dim: Optional[int], ndim: Optional[int] = None) -> Any:
    """A batched ``x`` with its examples on axis 0; with ``ndim``, unit axes after it make an example ``ndim``-d."""
    if dim is None:
        return x
    x = moved(x, dim, 0)
    if ndim is not None:
        s = shape_of(x)
        if len(s) - 1 < ndim:
            x = reshaped(x, s[:1] + (1,) * (ndim - len(s) + 1) + s[1:])
    return x


def batch_size(args: tuple, dims: tuple) -> int:
    """The number of examples, read off the first batched argument."""
    for a, d in zip(args, dims):
        if d is not None:
            return shape_of(a)[d]
    raise AssertionError("a batching rule called without a batched argument")


def example_ndim(x: Any, dim: Optional[int]) -> int:
    """The number of axes of one example of ``x``."""
    return ndim_of(x) - (dim is not None)


def stacked(x: Any, dim: Optional[int], size: int) -> Any:
    """``x`` with its examples on axis 0, an unbatched ``x`` repeated ``size`` times (a broadcast view)."""
    if dim is not None:
        return moved(x, dim, 0)
    s = shape_of(x)
    if type(x) is _np.ndarray or type(x) in (float, int, complex, bool) or isinstance(x, _np.generic):
        return _np.broadcast_to(x, (size,) + s)
    return broadcast_to(expand_dims(x, 0), (size,) + s)


def aligned(args: tuple, dims: tuple) -> tuple[tuple, int]:
    """The arguments of a broadcasting call lined up on the examples' axis, and that axis.

    Batched arguments get their examples on the same axis, and unit axes so
    that every example has as many axes as the largest; the others broadcast
    as they are. Arguments already batched along one axis that the unbatched
    ones do not reach are left where they are.
    """
    ndims = [len(shape_of(a)) for a in args]
    nd = 0
    shared = None
    for n, d in zip(ndims, dims):
        if d is not None:
            n -= 1
            shared = d if shared is None or shared == d else -1
        if n > nd:
            nd = n
    if shared is not None and shared >= 0:
        for n, d in zip(ndims, dims):
            if (d is None and n > nd - shared) or (d is not None and n - 1 != nd):
                break
        else:
            return args, shared
    return tuple(a if d is None else front(a, d, nd) for a, d in zip(args, dims)), 0


def elementwise(fun: Callable) -> Callable:
    """The batching rule of a broadcasting function ``fun`` (a ufunc, ``where``, ``clip``...): ``fun`` on the stacks.

    Keywords pass through; every positional argument broadcasts.
    """

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> tuple[Any, int]:
        lined, dim = aligned(args, dims)
        ans = fun(*lined, **kwargs)
        return ans, ((dim,) * len(ans) if type(ans) is tuple else dim)  # modf, frexp: two outputs

    rule.__name__ = f"batch_{getattr(fun, '__name__', 'elementwise')}"
    return rule


def axis_of(axis: int, ndim: int) -> int:
    """An example's ``axis`` (negative from the end) as an axis of a stack with the examples first."""
    if not -ndim <= axis < ndim:
        raise _np.exceptions.AxisError(axis, ndim) if hasattr(_np, "exceptions") else IndexError(
            f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim + 1


def axes_of(axis: Any, ndim: int) -> Any:
    """``axis`` (None, an int or a sequence of them) of an example, for a stack with the examples first."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(axis_of(a, ndim) for a in axis)
    return axis_of(axis, ndim)


_PARAMS: dict = {}


def named(np_fun: Callable, args: tuple, kwargs: dict, first: int = 1) -> dict:
    """The static parameters of a call, ``args[first:]`` named by ``np_fun``'s signature, with ``kwargs``."""
    if len(args) <= first:
        return dict(kwargs)
    names = _PARAMS.get(np_fun)
    if names is None:
        names = _PARAMS[np_fun] = list(inspect.signature(np_fun).parameters)
    out = dict(zip(names[first:], args[first:]))
    out.update(kwargs)
    return out


def unbatched(dims: tuple, first: int = 1) -> bool:
    """True if no argument from ``first`` on is batched (the static parameters of most rules)."""
    return all(d is None for d in dims[first:])


# ----- the batch space of arrays ---------------------------------------------------------


class ArrayBatching(BatchSpace):
    """Arrays and numbers: examples along an axis of an array."""

    def box_type(self, value: Any, dim: int, call: Optional[tuple] = None) -> type:
        nd = value.ndim if type(value) is _np.ndarray else ndim_of(value)
        if nd != 1:
            return BatchArrayBox
        # An example is 0-d: a scalar (immutable) or a 0-d array (mutable, a view where NumPy's is
        # one: y[1, ...], np.asarray(s), x.reshape(())). A mapped input is NumPy's X[i], a scalar;
        # a primitive's result is what the primitive gives for example 0.
        return _zero_d_kind(call) if call is not None else BatchScalarBox

    def ndim(self, value: Any) -> int:
        return ndim_of(value)

    def size(self, value: Any, dim: int) -> int:
        return shape_of(value)[dim]

    def move(self, value: Any, dim: int, to: int) -> Any:
        return moved(value, dim, to)

    def take(self, value: Any, i: int, dim: int) -> Any:
        idx = (slice(None),) * dim + (i,)
        return value[idx] if type(value) is _np.ndarray else getitem(value, idx)

    def stack(self, values: list, dim: int) -> Any:
        if any(isinstance(v, Box) for v in values):
            return stack(values, dim)
        return _np.stack(values, dim)

    def broadcast(self, value: Any, size: int, dim: int) -> Any:
        s = shape_of(value)
        target = s[:dim] + (size,) + s[dim:]
        if isinstance(value, Box):
            return broadcast_to(expand_dims(value, dim), target)
        return _np.array(_np.broadcast_to(_np.expand_dims(value, dim), target))  # writeable, as vmap's results are

    def mapped(self, value: Any, dim: int) -> tuple[Any, int]:
        """A mapped array with its examples first, each C-contiguous (a copy where it is not so already).

        Each example then lies in memory as NumPy's ``X[i].copy()`` does, and NumPy's questions of
        layout (does ``ravel`` or ``reshape(order='A')`` view or copy?) get that array's answers.
        An array batched by an outer vmap is left as that vmap laid it out.
        """
        v = value
        while isinstance(v, Box) and not v.batched:
            v = v._value
        if type(v) is not _np.ndarray or v.ndim < 2 or (dim == 0 and v.flags.c_contiguous):
            return value, dim
        if not isinstance(value, Box):
            return _np.ascontiguousarray(_np.moveaxis(value, dim, 0)), 0
        return creation._copy(moved(value, dim, 0), order="C"), 0


def _plain_example(a: Any, d: Any, scalar: bool = False) -> Any:
    """Example 0 of an argument as a plain value (a copy: the primitive must not write into the stack);
    a NumPy scalar where the examples are scalars."""
    if type(d) is tuple:
        return tuple(_plain_example(p, e) for p, e in zip(a, d))
    while isinstance(a, Box):
        if a.batched:
            raise LookupError("batched by another vmap")
        a = a._value
    if d is not None:
        a = a[(slice(None),) * d + ((0,) if scalar else (0, Ellipsis))]
    return a.copy() if isinstance(a, (_np.ndarray, _np.generic)) else a


def _zero_d_kind(call: tuple) -> type:
    """The box class of a primitive's batched 0-d results: what NumPy gives for example 0.

    A ufunc (or SciPy's) always gives a scalar for 0-d operands; other functions are asked.
    """
    fun, args, dims, kwargs, boxed = call
    if isinstance(fun, _np.ufunc):
        return BatchScalarBox
    try:
        example = [_plain_example(a, d, getattr(b, "immutable", False)) for a, d, b in zip(args, dims, boxed)]
        kw = {k: _plain_example(v, None) for k, v in kwargs.items()}
        with _np.errstate(all="ignore"):
            r = fun(*example, **kw)
    except Exception:
        return BatchScalarBox
    return BatchArrayBox if isinstance(r, _np.ndarray) and not isinstance(r, Box) else BatchScalarBox


_SPACE = ArrayBatching()
for _t in (_np.ndarray, _np.generic, float, int, complex, bool, BatchArrayBox, BatchScalarBox):
    register_batch_space(_t, _SPACE)

# A differentiation's box around a batched value is an ordinary traced array (or scalar).
register_box(BatchArrayBox, ArrayBox)
register_box(BatchScalarBox, ScalarBox)
memory.BATCHED_LINK = _linked_view


def _example_space(box: Any) -> Any:
    """The vector space of one example: an array of the box's shape and dtype."""
    return array_vspace(_np.broadcast_to(_np.zeros((), box.dtype), box.shape))


register_vspace(BatchArrayBox, _example_space)
register_vspace(BatchScalarBox, _example_space)


def _ufunc_rule(prim: Any) -> Optional[Callable]:
    """Every primitive of a NumPy (or SciPy) ufunc broadcasts: the elementwise rule."""
    return elementwise(prim.wrapper) if isinstance(prim.fun, _np.ufunc) else None


def _plain_ufunc_rule(fun: Any) -> Optional[Callable]:
    return elementwise(fun) if isinstance(fun, _np.ufunc) else None


RULE_FINDERS.append(_ufunc_rule)
PLAIN_RULE_FINDERS.append(_plain_ufunc_rule)

__all__ = ["BatchArrayBox", "BatchScalarBox", "PLAIN_RULES"]

from .batch_loader import load as _load_rules  # noqa: E402 - last: the rule modules import this one

_load_rules()  # imported on its own (by tapegrad.scipy.special), this module brings every array rule

"""Vectorising map: ``vmap(f)`` runs ``f`` once on a whole batch of examples.

A :class:`BatchTrace` is a trace like the others (it has a level, and its boxes
nest with theirs in any order), whose boxes carry a *batch*: the box's value
holds the value of every example, stacked along one axis, and its node is that
axis. Unlike the differentiating traces it does not record a call after NumPy
has computed it: it computes the call itself (``computes = True``: the binds of
``primitive.py`` hand it the call), with the primitive's batching rule::

    batch(args, dims, **kwargs) -> (ans, dim)

``args`` are the call's positional arguments with the batched ones unboxed (a
batched argument's value holds every example); ``dims[i]`` is the axis of
``args[i]`` along which its examples are stacked, or ``None`` where the argument
is the same for every example (for a tuple holding batched values, as an index
does, a tuple of their axes: only for the primitives in :data:`TUPLE_RULES`).
The rule returns the batched output and its batch axis (``None``: the same for
every example; a tuple of axes for a tuple output): ``f`` of example ``i`` is
``ans`` at index ``i`` of axis ``dim``. It may return ``NotImplemented`` for a
case it leaves to the loop below. Keyword arguments are static: a call with a
batched one is looped. Rules compute with primitives, never raw NumPy on the
arguments: these may be boxes of enclosing differentiations (``grad(vmap(f))``),
which then record what the rule does. They are set with ``def_rules(fun,
batch=rule)``.

A primitive without a rule is **looped**: applied to each example in turn, the
results stacked (:func:`looped`). That is always correct and as slow as a
Python loop; :func:`looped_primitives` lists the primitives that were.

Functions without derivatives (``notrace_primitive``: comparisons, ``argmax``,
``np.shape``...) are mapped the same way by :meth:`BatchTrace.compute_plain`,
with rules kept in :data:`PLAIN_RULES` (keyed by the function).

The core knows nothing of arrays: moving, taking and stacking batch axes, and
the box class of a batched value, come from a :class:`BatchSpace` registered
per value type by the array layer (:func:`register_batch_space`).
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Optional

from .box import Box, getval, registered_for
from .containers import container_untake
from .errors import TapegradError, TraceLeakError
from .primitive import Primitive, def_rules
from .state import STATE, new_level


class BatchError(TapegradError, ValueError):
    """A ``vmap`` whose axes or sizes do not fit its arguments, or an operation that cannot be batched."""


class BatchSpace:
    """What the batching trace needs to know of one type of value (registered by the array layer).

    Each method works on plain values and on boxes of other traces alike (it
    computes with primitives).
    """

    def box_type(self, value: Any, dim: int, call: Optional[tuple] = None) -> type:
        """The box class of ``value`` batched along ``dim`` (an array's, a scalar's...).

        ``call``, for the output of a primitive, is ``(fun, args, dims, kwargs, boxed)`` (``boxed``:
        the arguments as given, batched ones boxed): where the
        value alone does not tell what one example is (an array or a scalar of the same shape),
        the space may compute ``fun`` on one example to see.
        """
        raise NotImplementedError

    def ndim(self, value: Any) -> int:
        """The number of axes of ``value``."""
        raise NotImplementedError

    def size(self, value: Any, dim: int) -> int:
        """The length of axis ``dim``."""
        raise NotImplementedError

    def move(self, value: Any, dim: int, to: int) -> Any:
        """``value`` with axis ``dim`` moved to position ``to``."""
        raise NotImplementedError

    def take(self, value: Any, i: int, dim: int) -> Any:
        """Example ``i``: ``value`` at index ``i`` of axis ``dim``."""
        raise NotImplementedError

    def stack(self, values: list, dim: int) -> Any:
        """The examples ``values`` stacked along a new axis ``dim``."""
        raise NotImplementedError

    def broadcast(self, value: Any, size: int, dim: int) -> Any:
        """``value`` repeated ``size`` times along a new axis ``dim`` (an unbatched value made a batch)."""
        raise NotImplementedError

    def mapped(self, value: Any, dim: int) -> tuple[Any, int]:
        """A mapped argument as the trace holds it, and its examples' axis (by default as it is).

        A space may lay the examples out afresh, so that each behaves as a fresh copy of one would.
        """
        return value, dim


_SPACES: dict[type, BatchSpace] = {}


def register_batch_space(value_type: type, space: BatchSpace) -> None:
    """Declare how values of ``value_type`` are batched."""
    _SPACES[value_type] = space


def space_of(value: Any) -> BatchSpace:
    """The batch space of ``value`` (boxes of differentiations are seen through)."""
    v = getval(value)
    space = _SPACES.get(type(v))
    if space is None:
        space = registered_for(_SPACES, type(v))
        if space is None:
            raise BatchError(
                f"vmap cannot map over a value of type {type(v).__name__!r} ({v!r:.60}); map over arrays "
                "and numbers, or tuples, lists and dicts of them, and pass other values with in_axes=None."
            )
        _SPACES[type(v)] = space  # remember subclasses
    return space


# fun -> rule(args, dims, **kwargs) -> (ans, dim), for functions wrapped by notrace_primitive.
PLAIN_RULES: dict = {}
# Asked, in order, for a plain function without an entry in PLAIN_RULES: rule or None (an array
# layer gives every ufunc its elementwise rule this way).
PLAIN_RULE_FINDERS: list = []
# Asked, in order, for a primitive without a rule: rule or None; the rule found is kept in
# Primitive.batch (an array layer gives every ufunc's primitive its elementwise rule this way).
RULE_FINDERS: list = []
# Primitives whose rules take batched values inside tuple arguments (an index holding batched
# index arrays): their dims for such an argument are a tuple. Other rules see the tuple as it is.
TUPLE_RULES: set = set()
# Primitives looped because they have no rule (by name), for looped_primitives().
_LOOPED: set = set()


def batch_rule(prim: Primitive) -> Optional[Callable]:
    """The batching rule of ``prim`` (found by RULE_FINDERS if none was set), or None: it is looped."""
    rule = prim.batch
    if rule is None:
        for find in RULE_FINDERS:
            rule = find(prim)
            if rule is not None:
                prim.batch = rule
                break
    return rule


def looped_primitives() -> set:
    """The names of the primitives that vmap has looped over (no batching rule) in this process."""
    return set(_LOOPED)


class BatchTrace:
    """One ``vmap``: its level and its batch size; a box's node is its batch axis."""

    __slots__ = ("level", "size", "closed")
    fuses = False
    computes = True  # the binds hand calls to compute() instead of computing them first

    def __init__(self, level: int, size: int) -> None:
        self.level = level
        self.size = size
        self.closed = False

    def box(self, value: Any, dim: Any, call: Optional[tuple] = None) -> Any:
        """``value`` with its examples along ``dim`` as a box of this trace (``dim=None``: as it is).

        ``call``: the call that computed a single output (see :meth:`BatchSpace.box_type`).
        """
        if dim is None:
            return value
        if isinstance(dim, tuple):  # a tuple output: each element boxed on its own
            if isinstance(value, Box):  # a differentiation's box holding the tuple: its elements, taken out
                return _rebuild(getval(value), [self.box(value[i], d) for i, d in enumerate(dim)])
            return _rebuild(value, [self.box(v, d) for v, d in zip(value, dim)])
        if isinstance(dim, dict):
            return type(value)((k, self.box(value[k], dim[k])) for k in value)
        space = _SPACES.get(type(value)) or space_of(value)  # (plain values: no getval)
        return space.box_type(value, dim, call)(value, self, dim)

    def _unbox(self, args: Any, tuples: bool = False) -> tuple[tuple, tuple]:
        if self.closed:
            raise TraceLeakError(
                "A value batched by vmap was used after vmap returned (kept in a closure, a global or an "
                "attribute?). Return it from the mapped function instead; vmap stacks what it returns."
            )
        vals, dims = [], []
        some = False
        for a in args:
            if isinstance(a, Box) and a._trace is self:
                some = True
                vals.append(a._value)
                dims.append(a._node)
            elif tuples and type(a) is tuple and any(isinstance(p, Box) and p._trace is self for p in a):
                # a tuple holding batched values (an index): its dim is a tuple of their dims
                inner = [(p._value, p._node) if isinstance(p, Box) and p._trace is self else (p, None) for p in a]
                vals.append(tuple(v for v, _ in inner))
                dims.append(tuple(d for _, d in inner))
                some = True
            else:
                vals.append(a)
                dims.append(None)
        if not some:
            raise BatchError(
                "vmap cannot map a function over values batched inside a list or tuple argument; pass them "
                "as arrays (np.stack them first)."
            )
        return tuple(vals), tuple(dims)

    def compute(self, prim: Primitive, args: tuple, kwargs: dict) -> Any:
        """``prim(*args, **kwargs)`` for every example at once, by its batching rule (or a loop)."""
        vals, dims = self._unbox(args, prim in TUPLE_RULES)
        rule = prim.batch or batch_rule(prim)
        out = NotImplemented if rule is None or (kwargs and self._in_keywords(kwargs)) else rule(vals, dims, **kwargs)
        if out is NotImplemented:
            _LOOPED.add(prim.name)
            out = looped(prim.wrapper, vals, dims, self._keywords(kwargs), self.size)
        ans, dim = out  # one output's space may ask an example what it is (a 0-d array or a scalar)
        return self.box(ans, dim, (prim.fun, vals, dims, kwargs, args))

    def _in_keywords(self, kwargs: dict) -> bool:
        """True if a keyword argument is batched here (rules take batched positional arguments only)."""
        for v in kwargs.values():
            if isinstance(v, Box) and v._trace is self:
                return True
        return False

    def _keywords(self, kwargs: dict) -> dict:
        """The keyword arguments as ``looped`` takes them: batched ones as ``(value, dim)``."""
        return {k: _Batch(v._value, v._node) if isinstance(v, Box) and v._trace is self else v for k, v in kwargs.items()}

    def compute_plain(self, fun: Callable, args: list, kwargs: dict) -> Any:
        """``fun(*args, **kwargs)`` for every example, for a function without derivatives."""
        vals, dims = self._unbox(args)
        rule = PLAIN_RULES.get(fun)
        if rule is None:
            for find in PLAIN_RULE_FINDERS:
                rule = find(fun)
                if rule is not None:
                    break
        if rule is None or (kwargs and self._in_keywords(kwargs)):
            out = NotImplemented
        elif getattr(rule, "sees_boxes", False):  # a rule that asks what each argument is (a scalar...)
            out = rule(vals, dims, boxed=args, **kwargs)
        else:
            out = rule(vals, dims, **kwargs)
        if out is NotImplemented:
            out = looped(fun, vals, dims, self._keywords(kwargs), self.size, plain=True)
        ans, dim = out  # as in compute (np.zeros_like of a scalar)
        return self.box(ans, dim, (fun, vals, dims, kwargs, args))


def looped(fun: Callable, args: tuple, dims: tuple, kwargs: dict, size: int, plain: bool = False) -> tuple[Any, Any]:
    """The fallback rule: ``fun`` applied to each example in turn, the results stacked along axis 0.

    Keyword arguments that are :class:`_Batch` are batched too.

    ``plain`` (a function without derivatives): results that are not values
    vmap can stack (a shape, a dtype...) must be the same for every example,
    and are returned as they are.
    """
    if size == 0:
        raise BatchError(
            f"vmap over an empty batch cannot loop over {getattr(fun, '__name__', fun)!r}, which has no "
            "batching rule: give it one (tapegrad.extend.def_rules(fun, batch=...))."
        )
    batched_kw = {k: v for k, v in kwargs.items() if type(v) is _Batch}
    outs = []
    for i in range(size):
        example = [_example(a, d, i) for a, d in zip(args, dims)]
        kw = kwargs
        if batched_kw:
            kw = dict(kwargs, **{k: space_of(v.value).take(v.value, i, v.dim) for k, v in batched_kw.items()})
        outs.append(fun(*example, **kw))
    return _stacked(outs, plain, fun)


def _example(a: Any, dim: Any, i: int) -> Any:
    """Example ``i`` of ``a`` batched along ``dim`` (None: ``a`` itself; a tuple: a tuple's elements')."""
    if dim is None:
        return a
    if isinstance(dim, tuple):
        return tuple(_example(p, d, i) for p, d in zip(a, dim))
    return space_of(a).take(a, i, dim)


class _Batch:
    """A batched keyword argument for :func:`looped`: its value and batch axis."""

    __slots__ = ("value", "dim")

    def __init__(self, value: Any, dim: int) -> None:
        self.value = value
        self.dim = dim


def _stacked(outs: list, plain: bool, fun: Callable) -> tuple[Any, Any]:
    first = outs[0]
    value = getval(first)
    if isinstance(value, (tuple, list)):  # (named) tuples and lists of results, or a differentiation's box of one
        parts = [_stacked([o[k] for o in outs], plain, fun) for k in range(len(value))]
        return _rebuild(value, [p[0] for p in parts]), tuple(p[1] for p in parts)
    if plain:
        try:
            space_of(first)
        except BatchError:
            if any(o != first for o in outs):
                raise BatchError(
                    f"{getattr(fun, '__name__', fun)!r} returned a {type(first).__name__} that differs "
                    "between the examples of a vmap; only arrays and numbers can be batched."
                ) from None
            return first, None
    shapes = {getattr(o, "shape", ()) for o in outs}
    if len(shapes) > 1:
        raise BatchError(
            f"{getattr(fun, '__name__', fun)!r} gives results of different shapes for different examples of a "
            f"vmap ({', '.join(map(str, sorted(shapes)))}); vmap stacks results of one shape only."
        )
    return space_of(first).stack(outs, 0), 0


# ----- vmap ------------------------------------------------------------------------------


def _leaves(tree: Any, axes: Any, where: str, out: list) -> Any:
    """``tree``'s structure with each leaf replaced by its index in ``out``, which gets ``(leaf, axis)``.

    ``axes`` is a prefix of ``tree``: an int or None applies to a whole subtree.
    """
    if axes is None or isinstance(axes, int):
        if isinstance(tree, (tuple, list)):
            items = [_leaves(t, axes, f"{where}[{i}]", out) for i, t in enumerate(tree)]
            return _rebuild(tree, items)
        if isinstance(tree, dict):
            return type(tree)((k, _leaves(v, axes, f"{where}[{k!r}]", out)) for k, v in tree.items())
        out.append((tree, axes, where))
        return len(out) - 1
    if isinstance(axes, (tuple, list)) and isinstance(tree, (tuple, list)) and not isinstance(axes, dict):
        if len(axes) != len(tree):
            raise BatchError(
                f"vmap's axes for {where} have {len(axes)} entries, but it has {len(tree)}: give one axis "
                "(an int or None) per element, or a single int or None for all of them."
            )
        return _rebuild(tree, [_leaves(t, a, f"{where}[{i}]", out) for i, (t, a) in enumerate(zip(tree, axes))])
    if isinstance(axes, dict) and isinstance(tree, dict):
        if set(axes) != set(tree):
            raise BatchError(
                f"vmap's axes for {where} have the keys {sorted(map(str, axes))}, but it has the keys "
                f"{sorted(map(str, tree))}: give the same keys, or a single int or None for all of them."
            )
        return type(tree)((k, _leaves(v, axes[k], f"{where}[{k!r}]", out)) for k, v in tree.items())
    raise BatchError(
        f"vmap's axes {axes!r} for {where} do not match its structure ({type(tree).__name__}): axes are an "
        "int or None, or tuples, lists and dicts of them shaped like the value they describe."
    )


def _rebuild(like: Any, items: list) -> Any:
    make = getattr(like, "_make", None)  # namedtuples take fields positionally
    return make(items) if make is not None else type(like)(items)


def _fill(tree: Any, values: list) -> Any:
    """``tree`` made by :func:`_leaves`, with leaf index ``i`` replaced by ``values[i]``."""
    if isinstance(tree, int):
        return values[tree]
    if isinstance(tree, (tuple, list)):
        return _rebuild(tree, [_fill(t, values) for t in tree])
    return type(tree)((k, _fill(v, values)) for k, v in tree.items())


def _axis(axis: int, ndim: int, where: str, what: str) -> int:
    """``axis`` counted from 0 among ``ndim`` axes (negative ones from the end); raises if there is none."""
    if not -ndim <= axis < ndim:
        if what == "map":
            raise BatchError(f"vmap was asked to map {where} along axis {axis}, but it has {ndim} axes.")
        raise BatchError(
            f"vmap cannot stack the examples of {where} along axis {axis}: with that axis it has {ndim} axes."
        )
    return axis % ndim


def _check_axes(axes: Any, name: str) -> None:
    if axes is None or isinstance(axes, int) and not isinstance(axes, bool):
        return
    if isinstance(axes, (tuple, list)):
        for a in axes:
            _check_axes(a, name)
        return
    if isinstance(axes, dict):
        for a in axes.values():
            _check_axes(a, name)
        return
    raise BatchError(f"vmap's {name} must be an int, None, or tuples, lists and dicts of them, not {axes!r}")


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0, *, axis_size: Optional[int] = None) -> Callable:
    """``fun`` mapped over an axis of its arguments: one call computes every example at once.

    ``in_axes`` says, per positional argument, which axis holds the examples:
    an int, ``None`` (the same value for every example), or tuples, lists and
    dicts of them shaped like the arguments (a single int or None applies to a
    whole container). Keyword arguments are mapped over their axis 0.
    ``out_axes`` places the examples' axis in the outputs the same way (None:
    an output that is the same for every example). ``axis_size`` gives the
    batch size when no argument is mapped. The examples' values are computed
    together by each operation's batching rule (NumPy on the whole stack), and
    derivatives compose in any order: ``vmap(grad(f))``, ``jacobian(vmap(f))``.

    >>> import numpy
    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad, vmap
    >>> vmap(lambda x, w: np.dot(w, x), in_axes=(0, None))(numpy.eye(3), numpy.array([1.0, 2.0, 3.0]))
    array([1., 2., 3.])
    >>> vmap(grad(lambda x: np.sum(x ** 3)))(numpy.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 3., 12.],
           [27., 48.]])
    """
    _check_axes(in_axes, "in_axes")
    _check_axes(out_axes, "out_axes")

    def batched(*args: Any, **kwargs: Any) -> Any:
        axes = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(axes, tuple) and len(axes) != len(args):
            raise BatchError(
                f"vmap's in_axes has {len(axes)} entries, but the function was called with {len(args)} "
                "positional arguments: give one entry (an int, None or a container of them) per argument."
            )
        leaves: list = []
        arg_tree = _leaves(tuple(args), axes, "argument", leaves) if args else ()
        kw_tree = _leaves(dict(kwargs), 0, "keyword argument", leaves)
        size = axis_size
        sizes = []
        normal = []
        for value, axis, where in leaves:
            if axis is None:
                normal.append(None)
                continue
            space = space_of(value)
            a = _axis(axis, space.ndim(value), where, "map")
            n = space.size(value, a)
            normal.append(a)
            sizes.append((where, n))
        if sizes:
            found = {n for _, n in sizes}
            if len(found) > 1 or (size is not None and size not in found):
                listed = ", ".join(f"{w}: {n}" for w, n in sizes)
                raise BatchError(
                    f"vmap got different sizes along the mapped axes ({listed}"
                    f"{f'; axis_size={size}' if size is not None else ''}): every mapped axis must have "
                    "the same length."
                )
            size = found.pop()
        elif size is None:
            raise BatchError(
                "vmap needs at least one mapped argument (an in_axes entry that is not None), or axis_size."
            )
        state = STATE
        state.depth += 1
        trace = BatchTrace(new_level(), operator.index(size))
        try:
            boxed = [v if a is None else trace.box(*space_of(v).mapped(v, a)) for (v, _, _), a in zip(leaves, normal)]
            try:
                out = fun(*_fill(arg_tree, boxed), **_fill(kw_tree, boxed))
            except ValueError as e:
                if "setting an array element with a sequence" not in str(e) or isinstance(e, BatchError):
                    raise
                # NumPy converts the element itself and replaces the box's explanation with its own
                raise BatchError(  # (without NumPy's words: grad around vmap would explain them again)
                    "vmap: NumPy could not convert a batched value into one element of an array: under vmap this "
                    "usually means a value that differs between examples was written into an element of a plain "
                    "array (plain[i] = x: an argument passed with in_axes=None, or "
                    "an array not made by tapegrad.numpy), which holds one value for every example. Map that "
                    "argument too (in_axes=0), or write into an array made by tapegrad.numpy inside the function "
                    "(a = np.array(a), a copy; or np.zeros_like(x))."
                ) from e
            return _unbatched(out, out_axes, trace)
        finally:
            state.depth -= 1
            trace.closed = True

    batched.__name__ = f"vmap_of_{getattr(fun, '__name__', 'function')}"
    batched.__qualname__ = batched.__name__
    batched.__doc__ = fun.__doc__
    batched.__wrapped__ = fun  # type: ignore[attr-defined]
    return batched


def _unbatched(out: Any, out_axes: Any, trace: BatchTrace) -> Any:
    """The mapped function's output with each leaf's examples stacked along its ``out_axes`` entry."""
    leaves: list = []
    tree = _leaves(out, out_axes, "output", leaves)
    results = []
    for value, axis, where in leaves:
        if value is None:
            results.append(None)
            continue
        if isinstance(value, Box) and value._trace is trace:
            if axis is None:
                raise BatchError(
                    f"vmap's out_axes is None for {where}, but it differs between examples: give it an axis "
                    "to stack the examples along."
                )
            raw, dim = value._value, value._node
            space = space_of(raw)
            results.append(space.move(raw, dim, _axis(axis, space.ndim(raw), where, "stack")))
        elif axis is None:
            results.append(value)
        else:
            space = space_of(value)
            results.append(space.broadcast(value, trace.size, _axis(axis, space.ndim(value) + 1, where, "stack")))
    return _fill(tree, results)


# ----- the containers' primitives ----------------------------------------------------------------


def _untake_batch(args: tuple, dims: tuple) -> Any:
    """A container of zeros with a batched element at ``idx``: that element alone is batched."""
    (x, idx, vs), (d, *rest) = args, dims
    if any(r is not None for r in rest) or isinstance(idx, slice):
        return NotImplemented
    out = container_untake(x, idx, vs)
    if isinstance(out, dict):
        return out, {k: (d if k == idx else None) for k in out}
    return out, tuple(d if i == idx % len(out) else None for i in range(len(out)))


def_rules(container_untake, batch=_untake_batch)

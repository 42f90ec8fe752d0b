"""Primitives: functions whose derivative rules tapegrad knows.

A primitive is an ordinary function wrapped so that, when a traced value
(a :class:`Box`) reaches it, the call is recorded on the trace of the innermost
differentiation. Each primitive carries its rules in one :class:`Primitive`
record: per-argument VJPs and JVPs (or joint rules over several arguments).
Later transformations (batching, compilation) add a column to this record.

Rule conventions (internal, fast form, no closures built per call)::

    vjp(g, ans, *args, **kwargs) -> cotangent of one argument
    jvp(x_dot, ans, *args, **kwargs) -> tangent of the output
    vjp_joint(argnums, g, ans, args, kwargs) -> cotangents aligned with argnums
    jvp_joint(argnums, tangents, ans, args, kwargs) -> tangent of the output
    value_and_jvp(x_dot, *args) -> (ans, tangent), or None where it does not apply

``value_and_jvp`` is an optional column for forward mode: a rule that computes
the output and its tangent together (a product with a large constant matrix
reads the matrix once for both). The traces use it for calls with one traced
argument whose value is plain; with None they fall back to ``fun`` and ``jvp``.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, Iterable, Optional

from .box import Box, getval, is_finished, plain_values, unwrap_constant
from .errors import TapegradError
from .fastpath import EXT


class Primitive:
    """The derivative rules of one wrapped function."""

    __slots__ = ("fun", "name", "wrapper", "vjps", "vjp_joint", "jvps", "jvp_joint", "vjp_cache", "jvp_cache", "reads", "value_and_jvp", "keywords", "sequences", "batch", "foreign", "__weakref__")

    def __init__(self, fun: Callable, name: str) -> None:
        self.fun = fun
        self.name = name
        self.wrapper: Callable = fun
        self.vjps: dict[int, Callable] = {}
        self.vjp_joint: Optional[Callable] = None
        self.jvps: dict[int, Callable] = {}
        self.jvp_joint: Optional[Callable] = None
        # argnums -> the rules aligned with them, looked up once per combination
        # instead of once per recorded call (filled by the traces).
        self.vjp_cache: dict = {}
        self.jvp_cache: dict = {}
        # What each argument's VJP reads: argnum (None: any argument) ->
        # (reads ans?, argument positions read). None: the tape keeps every value.
        self.reads: Optional[dict] = None
        # argnum -> value_and_jvp rule (see the module docstring); empty for most.
        self.value_and_jvp: dict[int, Callable] = {}
        # keywords(args, kwargs) -> (args, kwargs): what a traced call with
        # keywords binds, for a primitive whose rules take fewer keywords than
        # its function (a ufunc's dtype= becomes a cast); None: as given.
        self.keywords: Optional[Callable] = None
        # sequences(args, kwargs) -> (args, kwargs) with lists of traced values packed
        # into traced values, or None if there are none (see _sequences); None: no hook.
        self.sequences: Optional[Callable] = None
        # The batching rule (vmap): see tapegrad/core/batching.py; None: no rule yet.
        self.batch: Optional[Callable] = None
        # Rules defined through autograd's API (defvjp, defjvp, ...; core/rules.py): client code,
        # never run on vmap's batched values by the batched Jacobian sweeps (tapegrad/sweeps.py).
        self.foreign = False

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def bind2(prim: Primitive, x: Box, y: Any) -> Any:
    """``prim(x, y)`` for a box ``x`` and no keywords: the path of the arithmetic operators."""
    vx = x._value
    if x._trace.computes:  # a batch trace computes the value itself
        return _bind(prim, (x, y), {})
    if isinstance(y, Box):
        t = x._trace
        if y._trace is t:
            vy = y._value
            if not (isinstance(vx, Box) or isinstance(vy, Box)):  # first order: the hot path
                return t.record2(prim, x._node, y._node, vx, vy, prim.fun(vx, vy))
        return _bind(prim, (x, y), {})
    if isinstance(vx, Box):
        return x._trace.record_one(prim, _ARG0, x._node, (vx, y), prim.wrapper(vx, y))
    return _record_call(x._trace, prim, _ARG0, x._node, (vx, y))


def bind1(prim: Primitive, x: Box) -> Any:
    """``prim(x)`` for a box ``x`` and no keywords: the path of unary functions."""
    if x._trace.computes:
        return x._trace.compute(prim, (x,), {})
    v = x._value
    if isinstance(v, Box):
        return x._trace.record_one(prim, _ARG0, x._node, (v,), prim.wrapper(v))
    return _record_call(x._trace, prim, _ARG0, x._node, (v,))


def rbind2(prim: Primitive, x: Any, y: Box) -> Any:
    """``prim(x, y)`` for a box ``y`` and a plain ``x`` (reflected operators)."""
    if isinstance(x, Box) or y._trace.computes:
        return _bind(prim, (x, y), {})
    vy = y._value
    if isinstance(vy, Box):
        return y._trace.record_one(prim, _ARG1, y._node, (x, vy), prim.wrapper(x, vy))
    return _record_call(y._trace, prim, _ARG1, y._node, (x, vy))


def _record_call(trace: Any, prim: Primitive, argnums: tuple, node: Any, vals: tuple) -> Any:
    """``prim.fun(*vals)`` recorded on ``trace``, one argument traced there and every value plain.

    A trace that ``fuses`` (forward mode) may compute the value with its tangent.
    """
    if prim.value_and_jvp and trace.fuses:
        box = trace.record_fused(prim, argnums, node, vals)
        if box is not NotImplemented:
            return box
    return trace.record_one(prim, argnums, node, vals, prim.fun(*vals))


def _bind_keywords(prim: Primitive, args: tuple, kwargs: dict) -> Any:
    """``_bind``, with keywords normalised first by the primitive's ``keywords`` hook.

    The hook returns ``(args, kwargs)``, or ``(args, kwargs, then)`` where
    ``then(result)`` finishes the call (a ufunc's ``out=`` writes the result).
    """
    if kwargs and prim.keywords is not None:
        normal = prim.keywords(args, kwargs)
        if len(normal) == 3:
            args, kwargs, then = normal
            return then(_bind(prim, args, kwargs) if any(isinstance(a, Box) for a in args) else prim.fun(*args, **kwargs))
        args, kwargs = normal
    return _bind(prim, args, kwargs)


def _bind(prim: Primitive, args: tuple, kwargs: dict) -> Any:
    """Record a call whose positional arguments include at least one box."""
    if len(args) == 1:  # the common unary case, without the general bookkeeping
        x = args[0]
        if x._trace.computes:
            return x._trace.compute(prim, args, kwargs)
        v = x._value
        if not kwargs:
            ans = prim.wrapper(v) if isinstance(v, Box) else prim.fun(v)
            return x._trace.record_one(prim, _ARG0, x._node, (v,), ans)
        ans = prim.wrapper(v, **kwargs) if isinstance(v, Box) else prim.fun(v, **kwargs)
        return x._trace.record(prim, _ARG0, (x._node,), (v,), kwargs, ans)
    if len(args) == 2:
        x, y = args
        if isinstance(x, Box):
            if isinstance(y, Box):
                tx, ty = x._trace, y._trace
                top = tx if tx.level >= ty.level else ty
                if top.computes:
                    return top.compute(prim, args, kwargs)
                if tx is ty:
                    vx, vy = x._value, y._value
                    if isinstance(vx, Box) or isinstance(vy, Box):
                        ans = prim.wrapper(vx, vy, **kwargs)
                    else:
                        ans = prim.fun(vx, vy, **kwargs)
                    return tx.record(prim, _ARG01, (x._node, y._node), (vx, vy), kwargs, ans)
                if tx.level > ty.level:
                    vx, y = x._value, _frozen(y)
                    return tx.record(prim, _ARG0, (x._node,), (vx, y), kwargs, prim.wrapper(vx, y, **kwargs))
                vy, x = y._value, _frozen(x)
                return ty.record(prim, _ARG1, (y._node,), (x, vy), kwargs, prim.wrapper(x, vy, **kwargs))
            if x._trace.computes:
                return x._trace.compute(prim, args, kwargs)
            vx = x._value
            ans = prim.wrapper(vx, y, **kwargs) if isinstance(vx, Box) else prim.fun(vx, y, **kwargs)
            return x._trace.record(prim, _ARG0, (x._node,), (vx, y), kwargs, ans)
        if isinstance(y, Box):
            if y._trace.computes:
                return y._trace.compute(prim, args, kwargs)
            vy = y._value
            ans = prim.wrapper(x, vy, **kwargs) if isinstance(vy, Box) else prim.fun(x, vy, **kwargs)
            return y._trace.record(prim, _ARG1, (y._node,), (x, vy), kwargs, ans)
    top = None
    level = -1
    for a in args:
        if isinstance(a, Box):
            t = a._trace
            if t.level > level:
                top = t
                level = t.level
    if top.computes:
        return top.compute(prim, args, kwargs)
    argnums = []
    parents = []
    vals = list(args)
    nested = False
    for i, a in enumerate(args):
        if isinstance(a, Box):
            if a._trace is top:
                argnums.append(i)
                parents.append(a._node)
                v = a._value
                vals[i] = v
                if isinstance(v, Box):
                    nested = True
            else:
                vals[i] = _frozen(a)
                nested = True
    vals = tuple(vals)
    # Boxes of outer differentiations stay in vals: calling the wrapper again
    # records the same operation on their (lower-level) traces.
    ans = prim.wrapper(*vals, **kwargs) if nested else prim.fun(*vals, **kwargs)
    return top.record(prim, _ARGNUMS.get(tuple(argnums)) or tuple(argnums), tuple(parents), vals, kwargs, ans)


def _frozen(box: Box) -> Any:
    """A box of another trace, as it is now: later in-place writes rebind the
    original box, and must not change what this trace recorded."""
    if is_finished(box._trace):  # a constant, or a box of a finished differentiation: its value
        return unwrap_constant(box)
    return type(box)(box._value, box._trace, box._node)


if EXT is not None:  # the same three functions in C (configured by reverse.py)
    bind1 = EXT.bind1  # noqa: F811
    bind2 = EXT.bind2  # noqa: F811
    rbind2 = EXT.rbind2  # noqa: F811


# Shared argnum tuples, so that tape entries do not each carry their own.
_ARG0, _ARG1, _ARG01 = (0,), (1,), (0, 1)
_ARGNUMS = {(0,): _ARG0, (1,): _ARG1, (0, 1): _ARG01, (2,): (2,), (1, 2): (1, 2), (0, 2): (0, 2)}


# Every primitive made so far (their wrappers), for the autograd-style rule tables
# (``tapegrad.core.primitive_vjps``) that list them.
ALL_PRIMITIVES: "weakref.WeakSet[Primitive]" = weakref.WeakSet()


def primitive(fun: Callable, name: Optional[str] = None) -> Callable:
    """Wrap ``fun`` so that calls on traced values are recorded.

    The returned function behaves exactly like ``fun`` on plain values. Give it
    derivative rules with :func:`tapegrad.extend.defvjp` and
    :func:`tapegrad.extend.defjvp`.

    >>> import math
    >>> from tapegrad.extend import primitive, defvjp
    >>> from tapegrad import grad
    >>> log1p = primitive(math.log1p)
    >>> defvjp(log1p, lambda ans, x: lambda g: g / (1.0 + x))
    >>> float(grad(log1p)(1.0))
    0.5
    """
    prim = Primitive(fun, name or getattr(fun, "__name__", repr(fun)))

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Unrolled for one and two arguments: rules call primitives on plain
        # values at first order, so this path is hot.
        n = len(args)
        try:  # (free when nothing is raised) see _sequences below
            if n == 1:
                if isinstance(args[0], Box):
                    return _bind_keywords(prim, args, kwargs) if kwargs else bind1(prim, args[0])
                return fun(args[0], **kwargs) if kwargs else fun(args[0])
            if n == 2:
                if kwargs:
                    if isinstance(args[0], Box) or isinstance(args[1], Box):
                        return _bind_keywords(prim, args, kwargs)
                    return fun(args[0], args[1], **kwargs)
                if isinstance(args[0], Box):
                    return bind2(prim, args[0], args[1])
                if isinstance(args[1], Box):
                    return rbind2(prim, args[0], args[1])
                return fun(args[0], args[1])
            for a in args:
                if isinstance(a, Box):
                    return _bind_keywords(prim, args, kwargs)
            return fun(*args, **kwargs)
        except TapegradError:  # TraceLeakError, or a refused ndarray attribute, from NumPy converting a list
            converted = _sequences(prim, args, kwargs)
            if converted is None:
                batch = _batch_in_tuples(args)
                if batch is None:
                    raise
                return batch.compute(prim, args, kwargs)  # batched index arrays in an index (vmap)
        return wrapper(*converted[0], **converted[1])

    take_identity(wrapper, fun, prim.name)
    wrapper.fun = fun  # type: ignore[attr-defined]
    wrapper._primitive = prim  # type: ignore[attr-defined]
    prim.wrapper = wrapper
    ALL_PRIMITIVES.add(prim)
    return wrapper


def take_identity(wrapper: Callable, fun: Any, name: str) -> None:
    """``fun``'s name, docstring, module and attributes on ``wrapper``, which wraps it (``__wrapped__``).

    What ``functools.update_wrapper`` does, in a third of its time (the NumPy
    layer wraps hundreds of functions at import); ``name`` where ``fun`` has no
    ``__name__`` of its own.
    """
    try:  # a Python function, NumPy's dispatchers, ufuncs, builtins: all four are there
        wrapper.__module__ = fun.__module__
        wrapper.__name__ = fun.__name__
        wrapper.__qualname__ = fun.__qualname__
        wrapper.__doc__ = fun.__doc__
    except (AttributeError, TypeError):  # a callable object: what it has
        wrapper.__name__ = name
        for attr in ("__module__", "__qualname__", "__doc__"):
            value = getattr(fun, attr, None)
            if value is not None:
                try:
                    setattr(wrapper, attr, value)
                except TypeError:
                    pass
    extra = getattr(fun, "__dict__", None)
    if extra:
        wrapper.__dict__.update(extra)
    wrapper.__wrapped__ = fun  # type: ignore[attr-defined]


def _sequences(prim: Primitive, args: tuple, kwargs: dict) -> Optional[tuple[tuple, dict]]:
    """The arguments with sequences of traced values made traced values, or None if there are none.

    A plain function met a list (or tuple) holding traced values, as in
    ``np.mean([x, y])``, and tried to convert it (a TraceLeakError): the
    primitive's ``sequences`` hook, given by the array layer, packs such
    arguments into one traced value, and the call is made again with it.
    """
    return None if prim.sequences is None else prim.sequences(args, kwargs)


def _batch_in_tuples(args: tuple) -> Any:
    """The batch trace (vmap) of the innermost batched value inside a tuple argument, or None."""
    traces = [p._trace for a in args if type(a) is tuple for p in a if isinstance(p, Box) and p._trace.computes]
    return max(traces, key=lambda t: t.level) if traces else None


def _in_sequence(x: Any) -> bool:
    """True if ``x`` is a list or tuple holding a box (at any depth)."""
    return type(x) in (list, tuple) and any(isinstance(v, Box) or _in_sequence(v) for v in x)


def _plain(x: Any) -> Any:
    """``x`` with boxes inside lists and tuples (nested) replaced by their values."""
    if isinstance(x, Box):
        return getval(x)
    if type(x) in (list, tuple):
        return type(x)(_plain(v) for v in x)
    return x


def _top(vals: list) -> Any:
    """The trace of the highest level among the boxes in ``vals``."""
    return max((v._trace for v in vals if isinstance(v, Box)), key=lambda t: t.level)


def notrace_primitive(fun: Callable) -> Callable:
    """Wrap ``fun`` to run on the plain values under any boxes, recording nothing.

    For functions whose output carries no derivative (shapes, comparisons,
    integer results): the trace is deliberately not extended.
    """

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        vals = plain_values(args)
        if vals is None:  # getval stops at a batched value (vmap): its trace maps fun over the batch
            vals = [getval(a) for a in args]
            return _top(vals).compute_plain(fun, vals, kwargs)
        try:
            return fun(*vals, **kwargs)
        except TapegradError:  # traced values inside lists (np.shape([x, y])): look through them too
            if not any(_in_sequence(a) for a in (*args, *kwargs.values())):
                raise
        return fun(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})

    take_identity(wrapper, fun, getattr(fun, "__name__", None) or repr(fun))
    wrapper.fun = fun  # type: ignore[attr-defined]
    wrapper._notrace = True  # type: ignore[attr-defined]
    return wrapper


def get_primitive(fun: Callable) -> Primitive:
    """The rule record of a function made by :func:`primitive`."""
    try:
        return fun._primitive  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(
            f"{getattr(fun, '__name__', fun)!r} is not a tapegrad primitive; wrap it with "
            "tapegrad.extend.primitive before defining its derivative rules"
        ) from None


def def_rules(
    fun: Callable,
    vjp: Any = None,
    jvp: Any = None,
    *,
    vjp_joint: Optional[Callable] = None,
    jvp_joint: Optional[Callable] = None,
    batch: Optional[Callable] = None,
) -> None:
    """Register the rules of ``fun``: its VJPs, JVPs and batching rule side by side.

    ``vjp`` and ``jvp`` are one function (argument 0), a tuple with one entry per
    positional argument (``None`` where the argument is not differentiable), or a
    dict mapping argument numbers to functions. ``vjp_joint``/``jvp_joint`` take
    every differentiated argument at once (see the module docstring); ``batch``
    is the rule of ``tapegrad.vmap`` (tapegrad/core/batching.py).

    The rules are complete as given. Facts that only make them cheaper (what a
    VJP reads, a fused value-and-JVP) are declared apart with :func:`def_hints`;
    a new VJP drops the hints about what the old one read.
    """
    prim = get_primitive(fun)
    prim.vjp_cache.clear()
    prim.jvp_cache.clear()
    if vjp is not None or vjp_joint is not None:
        prim.reads = None  # the new rule may read anything
    if vjp is not None:
        prim.vjps.update(_by_argnum(vjp))
    if jvp is not None:
        prim.jvps.update(_by_argnum(jvp))
    if vjp_joint is not None:
        prim.vjp_joint = vjp_joint
    if jvp_joint is not None:
        prim.jvp_joint = jvp_joint
    if batch is not None:
        prim.batch = batch


def def_hints(fun: Callable, *, vjp_reads: Any = None, value_and_jvp: Any = None) -> None:
    """Declare optional speed hints for the rules of ``fun`` (registered first with :func:`def_rules`).

    Each hint lets the engine do less work for the same result:

    ``vjp_reads`` lists the values the VJPs read: ``"ans"`` and argument
    positions, or a dict of such lists per differentiated argument. The tape
    keeps only the shape and dtype of the other (large) arrays, so their memory
    is freed as soon as the function itself drops them, and an in-place write
    into them need not copy them first. A VJP that reads more than declared
    raises (it meets a ``ShapeOnly``), never computes a wrong number.

    ``value_and_jvp`` (one function, a tuple or a dict, as ``jvp`` in
    :func:`def_rules`) adds rules that compute the output and its tangent
    together; see the module docstring. (They may round differently from
    computing the two apart.)

    >>> from tapegrad import grad
    >>> scale = primitive(lambda x, k: x * k, "scale")
    >>> def_rules(scale, vjp=lambda g, ans, x, k: g * k)
    >>> def_hints(scale, vjp_reads=(1,))   # the VJP of x reads k only
    >>> float(grad(scale)(3.0, 2.0))
    2.0
    """
    prim = get_primitive(fun)
    prim.vjp_cache.clear()
    prim.jvp_cache.clear()
    if vjp_reads is not None:
        if isinstance(vjp_reads, dict):
            prim.reads = {a: _reads(r) for a, r in vjp_reads.items()}
        else:
            prim.reads = {None: _reads(vjp_reads)}
    if value_and_jvp is not None:
        prim.value_and_jvp.update(_by_argnum(value_and_jvp))


def _reads(reads: Iterable[Any]) -> tuple[bool, frozenset]:
    reads = set(reads)
    bad = [r for r in reads if r != "ans" and not isinstance(r, int)]
    if bad:
        raise ValueError(f"vjp_reads takes 'ans' and argument positions, not {bad!r}")
    return "ans" in reads, frozenset(r for r in reads if r != "ans")


def _by_argnum(rules: Any) -> dict[int, Callable]:
    if callable(rules):
        return {0: rules}
    if isinstance(rules, dict):
        return dict(rules)
    return {i: r for i, r in enumerate(rules) if r is not None}

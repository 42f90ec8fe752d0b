"""autograd's node-based tracing interface, on tapegrad's engine.

tapegrad records a tape (reverse mode) or carries tangents (forward mode);
autograd instead builds a graph of *nodes*, one object per traced operation,
of a class chosen by whoever starts the trace. Code written against that
interface (starting a trace by hand, a custom ``Node`` class that records a
graph, autograd's ``VJPNode``/``JVPNode``) runs here through
:class:`NodeTrace`: a trace whose ``record`` builds a node of the class of
its parents' nodes, ``node_type(ans, fun, args, kwargs, parent_argnums,
parents)``, as autograd does. ``grad`` and friends do not use it: they run on
the tape.

A trace started by hand, as client libraries do::

>>> import tapegrad.numpy as np
>>> from tapegrad.core.box import new_box
>>> with trace_stack.new_trace() as t:
...     x = new_box(1.5, t, VJPNode.new_root())
...     y = np.sin(x) * x
>>> y._trace is x._trace
True
>>> round(float(backward_pass(1.0, y._node)), 6)   # d(x sin x)/dx = sin x + x cos x
1.103601
"""

from __future__ import annotations

import contextlib
import operator
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterator

from .box import Box, new_box, register_box
from .containers import add_cotangents, dense
from .primitive import Primitive, def_rules, primitive
from .rules import primitive_jvps, primitive_vjps
from .state import STATE, new_level
from .vspace import VSpace, register_vspace, vspace

__all__ = [
    "Node", "VJPNode", "JVPNode", "NodeTrace", "TraceStack", "trace_stack", "trace", "toposort",
    "backward_pass", "register_notrace", "notrace_primitives", "SparseObject", "SparseBox",
    "sparse_object_types", "sparse_add", "add_outgrads", "sum_outgrads",
]


class Node:
    """A node of a traced graph (autograd's ``autograd.tracer.Node``): subclass it to record your own.

    ``Node(value, fun, args, kwargs, parent_argnums, parents)`` is called for
    each traced operation (``fun`` is the primitive, ``args`` its arguments
    with the traced ones unboxed, ``parents`` the nodes of the traced ones);
    ``new_root(*args)`` makes the start node through ``initialize_root``.
    """

    __slots__ = ()

    def __init__(self, value: Any, fun: Callable, args: tuple, kwargs: dict,
                 parent_argnums: tuple, parents: tuple) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define __init__")

    def initialize_root(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define initialize_root")

    @classmethod
    def new_root(cls, *args: Any, **kwargs: Any) -> "Node":
        root = cls.__new__(cls)
        root.initialize_root(*args, **kwargs)
        return root


# node class -> primitive wrappers that its traces do not record (autograd's register_notrace)
notrace_primitives: defaultdict = defaultdict(set)


class NodeTrace:
    """A trace whose boxes carry client nodes; each operation makes a node of its parents' class."""

    __slots__ = ("level",)
    fuses = False  # never asked to compute a value with its tangent
    computes = False  # the binds compute values (a batch trace computes its own)

    def __init__(self, level: int) -> None:
        self.level = level

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        node_type = type(parents[0])
        fun = prim.wrapper
        if fun in notrace_primitives.get(node_type, ()):
            return ans
        node = node_type(ans, fun, vals, kwargs or {}, argnums, parents)
        return new_box(ans, self, node)

    def record_one(self, prim: Primitive, argnums: tuple, node: Any, vals: tuple, ans: Any) -> Any:
        return self.record(prim, argnums, (node,), vals, {}, ans)

    def record2(self, prim: Primitive, node0: Any, node1: Any, v0: Any, v1: Any, ans: Any) -> Any:
        return self.record(prim, (0, 1), (node0, node1), (v0, v1), {}, ans)

    def __repr__(self) -> str:
        return f"<NodeTrace level={self.level}>"


class TraceStack:
    """autograd's ``trace_stack``: ``with trace_stack.new_trace() as t`` opens a trace level.

    Boxes made with ``new_box(value, t, node)`` inside the block are traced by
    ``t``, one level above every trace already open on this thread.
    """

    @property
    def top(self) -> int:
        """The level of the innermost trace opened here and still open (0: none)."""
        return STATE.open_levels[-1] if STATE.open_levels else 0

    @contextlib.contextmanager
    def new_trace(self) -> Iterator[NodeTrace]:
        state = STATE
        state.depth += 1
        trace = NodeTrace(new_level())
        state.open_levels.append(trace.level)
        try:
            yield trace
        finally:
            state.open_levels.pop()
            state.depth -= 1


trace_stack = TraceStack()


def trace(start_node: Node, fun: Callable, x: Any) -> tuple[Any, Any]:
    """Run ``fun(x)`` with ``x`` traced from ``start_node``; return the output value and its node.

    The node is ``None`` (with autograd's warning) when the output does not
    depend on ``x``.

    >>> from tapegrad.core import JVPNode
    >>> value, node = trace(JVPNode.new_root(2.0), lambda x: x * x * x, 1.0)
    >>> value, node.g
    (1.0, 6.0)
    """
    with trace_stack.new_trace() as t:
        start_box = new_box(x, t, start_node)
        end_box = fun(start_box)
        if isinstance(end_box, Box) and end_box._trace is start_box._trace:
            return end_box._value, end_box._node
        warnings.warn("Output seems independent of input.", stacklevel=2)
        return end_box, None


# ----- autograd's two node classes --------------------------------------------------------


class VJPNode(Node):
    """A reverse-mode node: its parents and its VJP ``g -> cotangents of the parents``."""

    __slots__ = ("parents", "vjp")

    def __init__(self, value: Any, fun: Callable, args: tuple, kwargs: dict,
                 parent_argnums: tuple, parents: tuple) -> None:
        self.parents = parents
        try:
            vjpmaker = primitive_vjps[fun]
        except KeyError:
            raise NotImplementedError(
                f"VJP of {getattr(fun, '__name__', fun)} wrt argnums {parent_argnums} not defined"
            ) from None
        self.vjp = vjpmaker(parent_argnums, value, args, kwargs)

    def initialize_root(self) -> None:
        self.parents = ()
        self.vjp = lambda g: ()


class JVPNode(Node):
    """A forward-mode node: ``g`` is the output's tangent."""

    __slots__ = ("g",)

    def __init__(self, value: Any, fun: Callable, args: tuple, kwargs: dict,
                 parent_argnums: tuple, parents: tuple) -> None:
        try:
            jvpmaker = primitive_jvps[fun]
        except KeyError:
            raise NotImplementedError(
                f"JVP of {getattr(fun, '__name__', fun)} wrt argnums {parent_argnums} not defined"
            ) from None
        g = jvpmaker(parent_argnums, [p.g for p in parents], value, args, kwargs)
        self.g = vspace(value).zeros() if g is None else g

    def initialize_root(self, g: Any) -> None:
        self.g = g


def toposort(end_node: Any, parents: Callable[[Any], Any] = operator.attrgetter("parents")) -> Iterator[Any]:
    """The nodes that ``end_node`` depends on, each after every node that depends on it.

    >>> class N:
    ...     def __init__(self, name, *parents):
    ...         self.name, self.parents = name, parents
    >>> a = N("a"); b = N("b", a); c = N("c", a, b)
    >>> [n.name for n in toposort(c)]
    ['c', 'b', 'a']
    """
    child_counts: dict = {}
    stack = [end_node]
    while stack:
        node = stack.pop()
        if node in child_counts:
            child_counts[node] += 1
        else:
            child_counts[node] = 1
            stack.extend(parents(node))
    ready = [end_node]
    while ready:
        node = ready.pop()
        yield node
        for parent in parents(node):
            if child_counts[parent] == 1:
                ready.append(parent)
            else:
                child_counts[parent] -= 1


def backward_pass(g: Any, end_node: VJPNode) -> Any:
    """Propagate cotangent ``g`` from ``end_node`` back through a graph of :class:`VJPNode`;
    return the cotangent of its root (autograd's ``autograd.core.backward_pass``)."""
    cotangents: dict = {end_node: g}
    out = g
    for node in toposort(end_node):
        out = dense(cotangents.pop(node))
        for parent, c in zip(node.parents, node.vjp(out)):
            if c is None:
                continue
            old = cotangents.get(parent)
            cotangents[parent] = c if old is None else add_cotangents(old, c)
    return out


def register_notrace(trace_type: type, primitive_fun: Callable) -> None:
    """Do not trace ``primitive_fun`` in traces whose nodes are ``trace_type``: its output
    carries no derivative there (autograd's ``register_notrace``).

    For ``VJPNode`` and ``JVPNode``, tapegrad's own reverse and forward modes
    (``grad``, ``jacobian``...) honour it too: no derivative flows through it.
    """
    notrace_primitives[trace_type].add(primitive_fun)
    prim = getattr(primitive_fun, "_primitive", None)
    if not isinstance(prim, Primitive):
        return  # not traced by tapegrad in the first place
    if trace_type is VJPNode:
        def_rules(primitive_fun, vjp_joint=lambda argnums, g, ans, args, kwargs: [None] * len(argnums))
    elif trace_type is JVPNode:
        def_rules(primitive_fun, jvp_joint=lambda argnums, tangents, ans, args, kwargs: None)


# ----- sparse cotangents ---------------------------------------------------------------------


class SparseObject:
    """A cotangent given as a way to add itself into a dense one: ``mut_add(A)`` returns ``A`` plus it.

    ``vs`` is the vector space of the dense value. Added to a dense cotangent
    (``dense + sparse``), it gives a dense one; ``densify()`` is it added to zeros.
    """

    __slots__ = ("vs", "mut_add")
    __array_ufunc__ = None  # ndarray + SparseObject defers to __radd__

    def __init__(self, vs: VSpace, mut_add: Callable[[Any], Any]) -> None:
        self.vs = vs
        self.mut_add = mut_add

    def densify(self) -> Any:
        return self.mut_add(self.vs.zeros())

    def __add__(self, other: Any) -> Any:
        if isinstance(other, SparseObject):
            return other.mut_add(self.densify())
        return self.mut_add(_copy(other))

    __radd__ = __add__


def _copy(x: Any) -> Any:
    copy = getattr(x, "copy", None)
    return copy() if callable(copy) and not isinstance(x, Box) else x


class SparseBox(Box):
    """The box of a traced :class:`SparseObject`."""

    __slots__ = ()


register_vspace(SparseObject, lambda x: x.vs)
register_box(SparseObject, SparseBox)
sparse_object_types = {SparseObject, SparseBox}


@primitive
def sparse_add(vs: VSpace, x_prev: Any, x_new: SparseObject) -> Any:
    """``x_prev + x_new`` for a sparse ``x_new`` (``x_prev`` None: zeros of ``vs``)."""
    return x_new.mut_add(vs.zeros() if x_prev is None else _copy(x_prev))


def_rules(sparse_add, vjp={1: lambda g, ans, vs, a, b: g, 2: lambda g, ans, vs, a, b: g},
          jvp={1: lambda t, ans, vs, a, b: t, 2: lambda t, ans, vs, a, b: t})


def add_outgrads(prev_g_flagged: Any, g: Any) -> tuple[Any, bool]:
    """autograd's running sum of cotangents: ``(sum, True)`` from a previous ``(sum, flag)`` or None."""
    if isinstance(g, SparseObject):
        g = g.densify()
    if not prev_g_flagged:
        return g, False
    return add_cotangents(prev_g_flagged[0], g), True


def sum_outgrads(gs: Any) -> Any:
    """The sum of cotangents (sparse ones included)."""
    total = None
    for g in gs:
        total = add_outgrads(total, g)
    return None if total is None else total[0]


"""Tracing a function's graph once and replaying it (autograd's ``autograd.misc.tracers``).

``const_graph(fun)`` traces ``fun`` on its first call and, on later calls,
replays the recorded primitives without running ``fun``'s Python code again
(valid when ``fun``'s control flow does not depend on its inputs).
``full_graph(fun, *args)`` returns the end node of a graph of
:class:`FullGraphNode`, each holding its value and how it was computed.

>>> import tapegrad.numpy as np
>>> calls = []
>>> def f(x, y):
...     calls.append(1)
...     return np.sin(x) * y
>>> g = const_graph(f)
>>> round(float(g(1.0, 2.0)), 6), round(float(g(0.5, 3.0)), 6), len(calls)
(1.682942, 1.438277, 1)
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from ..core.nodes import Node, toposort, trace
from ..core.rules import subvals
from ..wrap_util import wraps

__all__ = ["ConstGraphNode", "const_graph_unary", "const_graph", "FullGraphNode", "full_graph"]


class ConstGraphNode(Node):
    """A node that can recompute its value from its parents' values."""

    __slots__ = ("parents", "partial_fun")

    def __init__(self, value: Any, fun: Callable, args: tuple, kwargs: dict,
                 parent_argnums: tuple, parents: tuple) -> None:
        constants = subvals(args, [(i, None) for i in parent_argnums])  # keep no traced values

        def partial_fun(parent_values: list) -> Any:
            return fun(*subvals(constants, zip(parent_argnums, parent_values)), **kwargs)

        self.parents = parents
        self.partial_fun = partial_fun

    def initialize_root(self) -> None:
        self.parents = ()


def const_graph_unary(fun: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fun`` of one argument, traced on the first call and replayed from its graph afterwards."""
    graph: list = []  # the nodes in execution order, once traced
    pending = [fun]  # dropped after tracing, with whatever it holds

    def cached(x: Any) -> Any:
        if graph:
            values = {graph[0]: x}
            for node in graph[1:]:
                values[node] = node.partial_fun([values[p] for p in node.parents])
            return values[graph[-1]]
        end_value, end_node = trace(ConstGraphNode.new_root(), pending.pop(), x)
        if end_node is None:
            raise ValueError("const_graph: the output does not depend on the input")
        graph.extend(reversed(list(toposort(end_node))))
        return end_value

    return cached


def const_graph(fun: Callable, *args: Any, **kwargs: Any) -> Callable:
    """``fun`` with ``args`` and ``kwargs`` bound, traced once and replayed on later calls."""
    bound = partial(fun, *args, **kwargs)
    replay = const_graph_unary(lambda all_args: bound(*all_args))

    @wraps(fun)
    def replayed(*rest: Any) -> Any:
        return replay(rest)

    return replayed


class FullGraphNode(Node):
    """A node holding its value and its recipe ``(fun, args, kwargs, [(argnum, parent)])``."""

    __slots__ = ("value", "recipe")

    def __init__(self, value: Any, fun: Callable, args: tuple, kwargs: dict,
                 parent_argnums: tuple, parents: tuple) -> None:
        self.value = value
        self.recipe = (fun, args, kwargs, list(zip(parent_argnums, parents)))

    def initialize_root(self) -> None:
        self.value = None
        self.recipe = (lambda x: x, (), {}, [])


def full_graph(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The end node of ``fun(*args, **kwargs)``'s graph of :class:`FullGraphNode`."""
    end_value, end_node = trace(FullGraphNode.new_root(), lambda all_args: fun(*all_args, **kwargs), args)
    return end_node

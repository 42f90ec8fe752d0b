"""Tracing internals under autograd's names (``autograd.tracer``).

``primitive``, ``notrace_primitive``, ``Box``, ``isbox``, ``getval`` are the
engine's own. ``Node``, ``trace_stack``, ``trace`` and ``new_box`` let code
start a trace by hand, with its own node class, as autograd allows (see
:mod:`tapegrad.core.nodes`): the trace runs on tapegrad's primitives and rules.

>>> from tapegrad.tracer import getval, isbox
>>> isbox(1.0), getval(2.0)
(False, 2.0)

A trace started by hand, the way client libraries test whether a function
depends on its input:

>>> import tapegrad.numpy as np
>>> from tapegrad.core import VJPNode
>>> def depends(f, x):
...     with trace_stack.new_trace() as t:
...         start = new_box(x, t, VJPNode.new_root())
...         end = f(start)
...     return isbox(end) and end._trace is start._trace
>>> depends(lambda x: np.sin(x) * 2.0, 0.5), depends(lambda x: np.ones(3), 0.5)
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from .core.box import _BOX_TYPES, Box, getval, isbox, new_box
from .core.nodes import Node, NodeTrace, TraceStack, notrace_primitives, register_notrace, toposort, trace, trace_stack
from .core.primitive import ALL_PRIMITIVES, notrace_primitive, primitive
from .core.rules import subvals
from .wrap_util import wraps

__all__ = [
    "Box", "Node", "NodeTrace", "TraceStack", "trace_stack", "trace", "new_box", "isbox", "getval", "primitive",
    "notrace_primitive", "register_notrace", "notrace_primitives", "toposort", "subvals", "wraps",
    "box_type_mappings", "box_types", "trace_primitives_map", "find_top_boxed_args",
]

# value type -> box class: the registry that new_box reads (autograd's ``Box.type_mappings``).
box_type_mappings = _BOX_TYPES


box_types = Box.types  # the registered box classes, a live view of the registry


class _TracePrimitives(Mapping):
    """Raw function -> its primitive (autograd's ``trace_primitives_map``), a live view."""

    def _index(self) -> dict:
        return {p.fun: p.wrapper for p in list(ALL_PRIMITIVES)}

    def __getitem__(self, fun: Any) -> Any:
        return self._index()[fun]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._index())

    def __len__(self) -> int:
        return len(ALL_PRIMITIVES)


trace_primitives_map = _TracePrimitives()


def find_top_boxed_args(args: tuple) -> tuple[list, Any, Any, bool]:
    """The boxes of the innermost trace among ``args``: ``([(argnum, box)], trace, node type, False)``.

    >>> find_top_boxed_args((1.0, 2.0))
    ([], None, None, False)
    """
    top, level, boxes = None, -1, []
    for argnum, arg in enumerate(args):
        if isinstance(arg, Box):
            t = arg._trace
            if t.level > level:
                top, level, boxes = t, t.level, [(argnum, arg)]
            elif t is top:
                boxes.append((argnum, arg))
    node_type = type(boxes[0][1]._node) if boxes else None
    return boxes, top, node_type, False

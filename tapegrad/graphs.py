"""Pictures of a computation: the graph tapegrad traces when it differentiates a call.

``graph(fun, *args)`` runs ``fun`` once under a recording trace and returns a
:class:`Graph`: one node per traced operation (the primitive as the user
called it, the shape and dtype of its result, the file and line that called
it), the inputs at the top and the output at the bottom. ``Graph.dot`` is
Graphviz DOT source, written here as text (no package needed);
``Graph.svg()``, ``Graph.png()`` and ``Graph.save(path)`` render it with
Graphviz's ``dot`` program where it is installed (``pip install
tapegrad[graph]`` adds the ``graphviz`` package, which finds it too); in
Jupyter a graph shows itself as SVG.

``color="time"`` colours each operation by its running time, measured by
replaying it on the values it was traced with (best of ``repeat`` runs);
``color="memory"`` by the size of its result.

>>> import tapegrad.numpy as np
>>> from tapegrad import graph
>>> g = graph(lambda x: np.sum(np.tanh(x) ** 2), np.ones(3))
>>> g
<tapegrad graph: 3 operations, 1 input>
>>> [node.op for node in g.nodes]
['input x', 'numpy.tanh', 'numpy.power', 'numpy.sum']
>>> print(g.dot.splitlines()[0])
digraph tapegrad {
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

import numpy as _np

from ._sites import SiteTape, SiteTrace, call_site, nbytes, shape_and_dtype, short_site, source_line, user_name
from .core.box import getval, new_box
from .core.forward import ForwardTrace
from .core.primitive import Primitive
from .core.reverse import ReverseTrace, ShapeOnly, backward_pass, make_vjp
from .core.state import CHECKS, STATE

__all__ = ["Graph", "Node", "graph", "make_graph"]

_COLORS = ("time", "memory")
# ColorBrewer's YlOrRd, light to dark: the colour of an operation's share of the largest.
_PALETTE = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
# Replaying these would write into memory that later entries of the tape read.
_NOT_REPLAYED = frozenset({"assignment"})


@dataclass
class Node:
    """One node of a :class:`Graph`: an input, a traced operation, or a constant argument."""

    id: str
    op: str  # "input x", "numpy.log", "constant"
    kind: str  # "input", "op" or "constant"
    shape: Optional[tuple] = None
    dtype: Optional[str] = None
    site: Optional[tuple] = None  # (filename, line, function) of the user's call
    seconds: Optional[float] = None  # the replayed running time (color="time")
    nbytes: int = 0  # the size of the result
    used: bool = True  # does the output depend on it?
    note: str = ""  # plain arguments shown in the label ("with 2.0")
    output: bool = False
    inputs: list = field(default_factory=list)  # ids of the nodes it reads, in argument order


class _GraphTrace(SiteTrace):
    """A reverse trace that keeps every value (nothing slimmed) and resolves no rule: a picture needs none."""

    __slots__ = ()

    def _append(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: Any, ans: Any) -> Any:
        site = call_site()
        tape = self.tape
        tape.append((None, parents, vals, kwargs or None, ans, prim, argnums))
        tape.sites[len(tape) - 1] = site
        return new_box(ans, self, len(tape) - 1)

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        return self._append(prim, argnums, parents, vals, kwargs, ans)

    def record_one(self, prim: Primitive, argnums: tuple, node: int, vals: tuple, ans: Any) -> Any:
        return self._append(prim, argnums, (node,), vals, None, ans)

    def record2(self, prim: Primitive, node0: int, node1: int, v0: Any, v1: Any, ans: Any) -> Any:
        return self._append(prim, (0, 1), (node0, node1), (v0, v1), None, ans)


class _Recording:
    """The checks object (``core.state.CHECKS``) that makes the first reverse trace opened a graph trace.

    Traces opened inside it (a ``grad`` inside the drawn function) are the
    ones the thread would have opened anyway.
    """

    __slots__ = ("previous", "trace")

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.trace: Optional[_GraphTrace] = None

    def reverse_trace(self, level: int) -> ReverseTrace:
        if self.trace is None:
            self.trace = _GraphTrace(level)
            return self.trace
        return ReverseTrace(level) if self.previous is None else self.previous.reverse_trace(level)

    def forward_trace(self, level: int) -> ForwardTrace:
        return ForwardTrace(level) if self.previous is None else self.previous.forward_trace(level)

    def backward_pass(self, tape: list, end_node: int, g: Any) -> list:
        if self.previous is None:
            return backward_pass(tape, end_node, g)
        return self.previous.backward_pass(tape, end_node, g)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _quantity(value: float, kind: str) -> str:
    if kind == "time":
        for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
            if value >= scale:
                return f"{value / scale:.3g} {unit}"
        return f"{value * 1e9:.3g} ns"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{int(value)} B"


def _short(value: Any) -> str:
    """A plain argument as the label shows it: a number, or its shape and dtype."""
    value = getval(value)
    shape, dtype = shape_and_dtype(value)
    if shape == () and dtype is not None:
        text = repr(value.item() if hasattr(value, "item") else value)
        return text if len(text) <= 12 else f"{float(value):.4g}"
    if shape is not None:
        return f"{shape} {dtype}"
    text = repr(value)
    return text if len(text) <= 24 else type(value).__name__


@dataclass
class Graph:
    """The traced graph of one call: :attr:`nodes`, :attr:`edges`, and :attr:`dot` to draw them.

    ``edges`` are ``(from id, to id)`` pairs. Render with :meth:`svg`,
    :meth:`png` or :meth:`save` (Graphviz's ``dot`` program), or show it in
    Jupyter, where it draws itself.
    """

    nodes: list
    edges: list
    color: Optional[str] = None
    title: str = ""

    def __repr__(self) -> str:
        ops = sum(1 for n in self.nodes if n.kind == "op")
        inputs = sum(1 for n in self.nodes if n.kind == "input")
        return f"<tapegrad graph: {ops} operation{'s' * (ops != 1)}, {inputs} input{'s' * (inputs != 1)}>"

    # ----- DOT text -----------------------------------------------------------

    def _scale(self) -> tuple:
        """(the measure of each node by id, the largest) for the colouring; ({}, 0) without one."""
        if self.color is None:
            return {}, 0.0
        values = {}
        for n in self.nodes:
            if n.kind != "op":
                continue
            v = n.seconds if self.color == "time" else float(n.nbytes)
            if v is not None:
                values[n.id] = v
        return values, max(values.values(), default=0.0)

    def _label(self, n: Node, measure: Optional[float]) -> str:
        lines = [n.op + (" (output)" if n.output else "")]
        if n.shape is not None or n.dtype is not None:
            lines.append(" ".join(p for p in (str(n.shape) if n.shape is not None else "", n.dtype or "") if p))
        if n.note:
            lines.append(n.note)
        if n.site is not None:
            lines.append(short_site(n.site) + (f" in {n.site[2]}" if not n.site[2].startswith("<") else ""))
        if self.color is not None and n.kind == "op":
            lines.append("time not measured" if measure is None else _quantity(measure, self.color))
        return "\n".join(lines)

    @property
    def dot(self) -> str:
        """The graph as Graphviz DOT source."""
        values, top = self._scale()
        out = [
            "digraph tapegrad {",
            '  graph [rankdir=TB, fontname="Helvetica", fontsize=10];',
            '  node [shape=box, style="rounded,filled", fillcolor="#f7f7f7", fontname="Helvetica", fontsize=10];',
            '  edge [color="#555555", arrowsize=0.7];',
        ]
        for n in self.nodes:
            measure = values.get(n.id)
            attrs = {"label": self._label(n, measure)}
            if n.site is not None:
                text = source_line(n.site)
                attrs["tooltip"] = f"{n.site[0]}:{n.site[1]}" + (f"\n{text}" if text else "")
            if n.kind == "input":
                attrs.update(shape="ellipse", fillcolor="#deebf7")
            elif n.kind == "constant":
                attrs.update(shape="note", fillcolor="#ffffff", color="#999999", fontcolor="#555555")
            elif measure is not None and top > 0:
                step = min(len(_PALETTE) - 1, int(measure / top * len(_PALETTE)))
                attrs["fillcolor"] = _PALETTE[step]
                if step >= 6:
                    attrs["fontcolor"] = "white"
            if n.output:
                attrs["peripheries"] = "2"
            if not n.used:
                attrs.update(style="rounded,dashed", fontcolor="#888888", color="#aaaaaa", fillcolor="#ffffff")
            body = ", ".join(f'{k}="{_escape(v)}"' for k, v in attrs.items())
            out.append(f"  {n.id} [{body}];")
        kinds = {n.id: n.kind for n in self.nodes}
        for a, b in self.edges:
            style = ' [style=dashed, color="#aaaaaa"]' if kinds.get(a) == "constant" else ""
            out.append(f"  {a} -> {b}{style};")
        caption = self.title
        if self.color is not None and top > 0:
            what = "running time, replayed" if self.color == "time" else "size of the result"
            caption += f"{chr(10) if caption else ''}colour: {what}; darkest {_quantity(top, self.color)}"
        if caption:
            out.append(f'  label="{_escape(caption)}"; labelloc=b;')
        out.append("}")
        return "\n".join(out) + "\n"

    # ----- rendering ----------------------------------------------------------

    def render(self, format: str = "svg") -> bytes:
        """The picture in ``format`` (``svg``, ``png``, ``pdf``...), drawn by Graphviz.

        Uses the ``dot`` program on the PATH, else the ``graphviz`` package
        (``pip install tapegrad[graph]``), which needs the program too.
        """
        exe = shutil.which("dot")
        if exe is not None:
            done = subprocess.run([exe, f"-T{format}"], input=self.dot.encode("utf-8"), capture_output=True,
                                  check=False)
            if done.returncode != 0:
                raise RuntimeError(f"Graphviz's dot failed: {done.stderr.decode(errors='replace').strip()}")
            return done.stdout
        try:
            import graphviz  # type: ignore[import-not-found]
        except ImportError:
            graphviz = None
        if graphviz is not None:
            try:
                return graphviz.Source(self.dot).pipe(format=format)
            except graphviz.ExecutableNotFound:
                pass
        raise RuntimeError(
            "drawing a graph needs Graphviz's dot program, which is not installed: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, conda install graphviz, or from graphviz.org), "
            "or paste Graph.dot into any Graphviz viewer."
        )

    def svg(self) -> str:
        """The picture as SVG text."""
        return self.render("svg").decode("utf-8")

    def png(self) -> bytes:
        """The picture as PNG bytes."""
        return self.render("png")

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the graph to ``path``: DOT source for ``.dot`` and ``.gv``, else the picture its extension names."""
        ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
        if ext in ("dot", "gv", ""):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.dot)
            return
        data = self.render(ext)
        with open(path, "wb") as f:
            f.write(data)

    def _repr_svg_(self) -> Optional[str]:
        try:
            return self.svg()
        except RuntimeError:
            return None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = {"text/plain": repr(self)}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        else:
            bundle["text/plain"] += " (install Graphviz to see it drawn; Graph.dot is its DOT source)"
        return bundle


# ----- building a graph from a tape -------------------------------------------------


def _replay_seconds(prim: Primitive, vals: tuple, kwargs: Optional[dict], repeat: int) -> Optional[float]:
    """The best of ``repeat`` runs of the primitive's computation on its traced values (None if it cannot be rerun)."""
    if prim.name in _NOT_REPLAYED:
        return None
    args = tuple(getval(v) for v in vals)
    kw = {k: getval(v) for k, v in (kwargs or {}).items()}
    fun = prim.fun
    best = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(max(1, repeat)):
                start = time.perf_counter()
                fun(*args, **kw)
                elapsed = time.perf_counter() - start
                best = elapsed if best is None else min(best, elapsed)
    except Exception:  # a computation that cannot run again on its recorded values
        return None
    return best


def _names(argnum: Any, count: int, fun: Callable) -> list:
    """The names of the differentiated arguments: the function's parameter names where it has them."""
    import inspect

    try:
        params = [p.name for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    nums = list(argnum) if isinstance(argnum, (tuple, list)) else [argnum]
    names = []
    for a in nums:
        i = a % count if count else a
        names.append(params[i] if i < len(params) else f"argument {i}")
    return names


def _build(tape: SiteTape, end: Optional[int], x: Any, names: list, tuple_input: bool, color: Optional[str],
           repeat: int, title: str) -> Graph:
    nodes: list = []
    edges: list = []
    by_entry: dict = {}
    constants: dict = {}
    for i, (rules, parents, vals, kwargs, ans, prim, argnums) in enumerate(tape):
        if prim is None:  # the root: the differentiated input(s)
            shape, dtype = shape_and_dtype(x)
            name = f"({', '.join(names)})" if tuple_input else (names[0] if names else "x")
            node = Node(f"n{i}", f"input {name}", "input", shape, dtype, nbytes=nbytes(x))
            nodes.append(node)
            by_entry[i] = node
            continue
        shape, dtype = shape_and_dtype(ans)
        op = user_name(prim)
        notes = []
        if prim.name == "container_take":
            key = getval(vals[1])
            root = parents and tape[parents[0]][5] is None
            if root and tuple_input and isinstance(key, int) and 0 <= key < len(names):
                op = names[key]
            elif root and not tuple_input and names:
                op = f"{names[0]}[{key!r}]"
            else:
                op = f"item [{key!r}]"
        node = Node(f"n{i}", op, "op", shape, dtype, site=tape.sites.get(i), nbytes=nbytes(ans))
        for pos, v in enumerate(vals):
            if pos in argnums:
                continue
            if prim.name == "container_take" and pos == 1:
                continue
            plain = getval(v)
            vshape, vdtype = shape_and_dtype(plain)
            if isinstance(plain, (_np.ndarray, ShapeOnly)) and int(_np.prod(vshape)) > 1:
                key = id(plain)
                const = constants.get(key)
                if const is None:
                    const = constants[key] = Node(f"c{len(constants)}", "constant", "constant", vshape, vdtype,
                                                  nbytes=nbytes(v))
                    nodes.append(const)
                edges.append((const.id, node.id))
                node.inputs.append(const.id)
            elif v is not None:
                notes.append(_short(v))
        if kwargs:
            notes.extend(f"{k}={_short(v)}" for k, v in kwargs.items())
        if notes:
            node.note = "with " + ", ".join(notes)
            if len(node.note) > 48:
                node.note = node.note[:45] + "..."
        for p in parents:
            parent = by_entry.get(p)
            if parent is not None:
                edges.append((parent.id, node.id))
                node.inputs.append(parent.id)
        if color == "time":
            node.seconds = _replay_seconds(prim, vals, kwargs, repeat)
        nodes.append(node)
        by_entry[i] = node
    # What the output depends on: walk the parents back from it.
    used: set = set()
    if end is not None:
        stack = [end]
        while stack:
            k = stack.pop()
            if k in used:
                continue
            used.add(k)
            stack.extend(tape[k][1])
        by_entry[end].output = True
    for k, node in by_entry.items():
        node.used = k in used
    return Graph(nodes, edges, color, title)


def make_graph(fun: Callable, argnum: Any = 0, *, color: Optional[str] = None, repeat: int = 5) -> Callable:
    """``make_graph(fun, argnum)(*args, **kwargs)``: the :class:`Graph` of ``fun``'s call, traced in ``argnum``.

    ``argnum`` chooses the traced arguments as in :func:`tapegrad.grad` (an
    int or a tuple). ``color`` is ``None``, ``"time"`` (each operation replayed
    ``repeat`` times on its traced values, the best time kept) or ``"memory"``
    (the size of each result).

    >>> import tapegrad.numpy as np
    >>> from tapegrad import make_graph
    >>> g = make_graph(lambda w, x: np.tanh(x @ w), argnum=0, color="memory")(np.ones((3, 2)), np.ones((4, 3)))
    >>> [(n.op, n.shape, n.nbytes) for n in g.nodes if n.kind == "op"]
    [('numpy.matmul', (4, 2), 64), ('numpy.tanh', (4, 2), 64)]
    """
    if color not in (None, *_COLORS):
        raise ValueError(f"color must be None, 'time' or 'memory', not {color!r}")
    from .differential_operators import _unary

    def graph_of(*args: Any, **kwargs: Any) -> Graph:
        unary, x = _unary(fun, argnum, args, kwargs)
        recording = _Recording(STATE.checks)
        saved, STATE.checks = STATE.checks, recording
        CHECKS.used = True
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Output seems independent of input")
                _, _value = make_vjp(unary, x)
        finally:
            STATE.checks = saved
        trace = recording.trace
        if trace is None:  # cannot happen: make_vjp opened one
            raise RuntimeError("no trace was recorded")
        tape = trace.tape
        end = _output_entry(tape, _value)
        name = getattr(fun, "__name__", "")
        title = "" if not name or name.startswith("<") else f"{name}"
        names = _names(argnum, len(args), fun)
        return _build(tape, end, x, names, isinstance(argnum, (tuple, list)), color, repeat, title)

    return graph_of


def _output_entry(tape: SiteTape, value: Any) -> Optional[int]:
    """The tape entry whose result is the output value (the last one that is, identical object), or None."""
    for i in range(len(tape) - 1, -1, -1):
        if tape[i][4] is value:
            return i
    return None


def graph(fun: Callable, *args: Any, argnum: Union[int, Sequence[int]] = 0, color: Optional[str] = None,
          repeat: int = 5) -> Graph:
    """The :class:`Graph` of ``fun(*args)``, traced in argument ``argnum``: ``make_graph(fun, argnum, ...)(*args)``.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import graph
    >>> g = graph(lambda x, y: np.log(x) * y, 2.0, 3.0, argnum=(0, 1))
    >>> [n.op for n in g.nodes]
    ['input (x, y)', 'x', 'y', 'numpy.log', 'numpy.multiply']
    """
    return make_graph(fun, argnum, color=color, repeat=repeat)(*args)

"""Pictures of a computation: tapegrad.graph / make_graph (DOT text, rendering) and plot_derivatives."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import numpy as onp
import pytest

import tapegrad
import tapegrad.numpy as np
from tapegrad import grad, graph, make_graph
from tapegrad.graphs import Graph
from tapegrad.plotting import derivative_curves

HERE = pathlib.Path(__file__).resolve()
HAS_DOT = shutil.which("dot") is not None


def line_of(marker: str) -> int:
    for number, text in enumerate(HERE.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(marker)


W = onp.arange(6.0).reshape(3, 2) / 10
X = onp.linspace(-1.0, 1.0, 12).reshape(4, 3)


def loss(w, x):
    h = np.tanh(x @ w)  # HIDDEN
    unused = np.exp(h)  # noqa: F841 (traced, but the output does not depend on it) # UNUSED
    return np.sum(h ** 2)  # OUTPUT


# ----- a small DOT reader: the text must be a graph Graphviz accepts -----------------------

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_STRING = r'"(?:[^"\\]|\\.)*"'
_ATTRS = rf"\[(?:\s*{_ID}\s*=\s*(?:{_STRING}|{_ID}|[0-9.]+)\s*,?)*\s*\]"
_NODE = re.compile(rf"^\s*({_ID})\s*({_ATTRS})?\s*;$")
_EDGE = re.compile(rf"^\s*({_ID})\s*->\s*({_ID})\s*({_ATTRS})?\s*;$")
_DEFAULTS = re.compile(rf"^\s*(graph|node|edge)\s*{_ATTRS}\s*;$")
_GRAPH_ATTR = re.compile(rf"^\s*{_ID}\s*=\s*(?:{_STRING}|{_ID})\s*;(\s*{_ID}\s*=\s*(?:{_STRING}|{_ID})\s*;)*$")


def parse_dot(text: str) -> tuple[dict, list]:
    """Nodes (id -> attributes) and edges of the DOT text tapegrad writes; fails on anything else."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph tapegrad {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if _DEFAULTS.match(line) or _GRAPH_ATTR.match(line):
            continue
        m = _EDGE.match(line)
        if m:
            edges.append((m[1], m[2]))
            continue
        m = _NODE.match(line)
        assert m, f"not a DOT statement: {line!r}"
        attrs = dict(re.findall(rf"({_ID})\s*=\s*({_STRING})", m[2] or ""))
        nodes[m[1]] = {k: bytes(v[1:-1], "utf-8").decode("unicode_escape") for k, v in attrs.items()}
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} names an undeclared node"
    return nodes, edges


# ----- the graph itself ------------------------------------------------------------------


def test_nodes_show_primitive_shape_dtype_and_line():
    g = graph(loss, W, X)
    ops = [n for n in g.nodes if n.kind == "op"]
    assert [n.op for n in ops] == ["numpy.matmul", "numpy.tanh", "numpy.exp", "numpy.power", "numpy.sum"]
    assert [n.shape for n in ops] == [(4, 2), (4, 2), (4, 2), (4, 2), ()]
    assert {n.dtype for n in ops} == {"float64"}
    assert [n.site[1] for n in ops] == [line_of("HIDDEN")] * 2 + [line_of("UNUSED")] + [line_of("OUTPUT")] * 2
    assert all(n.site[0] == str(HERE) and n.site[2] == "loss" for n in ops)
    (inp,) = [n for n in g.nodes if n.kind == "input"]
    assert inp.op == "input w" and inp.shape == (3, 2)
    (const,) = [n for n in g.nodes if n.kind == "constant"]
    assert const.shape == (4, 3)  # x: an argument that is not traced
    assert [n.used for n in ops] == [True, True, False, True, True]
    assert [n.output for n in ops] == [False] * 4 + [True]


def test_dot_text_parses_and_matches_the_graph():
    g = graph(loss, W, X)
    nodes, edges = parse_dot(g.dot)
    assert set(nodes) == {n.id for n in g.nodes}
    assert sorted(edges) == sorted(g.edges)
    by_op = {n.op: n.id for n in g.nodes}
    label = nodes[by_op["numpy.tanh"]]["label"]
    assert label.split("\n") == ["numpy.tanh", "(4, 2) float64", f"test_graph.py:{line_of('HIDDEN')} in loss"]
    assert "(output)" in nodes[by_op["numpy.sum"]]["label"] and nodes[by_op["numpy.sum"]]["peripheries"] == "2"
    assert "dashed" in nodes[by_op["numpy.exp"]]["style"]  # not on the way to the output
    assert "with 2" in nodes[by_op["numpy.power"]]["label"]  # the plain exponent
    # the graph's edges are the data flow: matmul reads w and x, tanh reads matmul...
    assert (by_op["input w"], by_op["numpy.matmul"]) in edges
    assert (by_op["numpy.matmul"], by_op["numpy.tanh"]) in edges
    assert (by_op["numpy.power"], by_op["numpy.sum"]) in edges


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_graphviz_draws_it():
    g = graph(loss, W, X, color="time")
    svg = g.svg()
    assert svg.lstrip().startswith("<?xml") and "numpy.tanh" in svg
    assert g.png().startswith(b"\x89PNG")
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"] == svg and "text/plain" in bundle
    # dot itself reads the text back with no complaint
    done = subprocess.run(["dot", "-Tcanon"], input=g.dot, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr


def test_without_graphviz_it_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz fails
    g = graph(loss, W, X)
    with pytest.raises(RuntimeError, match="install Graphviz"):
        g.svg()
    assert g._repr_svg_() is None
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "Graph.dot" in bundle["text/plain"]


def test_save(tmp_path):
    g = graph(loss, W, X)
    g.save(tmp_path / "loss.dot")
    assert (tmp_path / "loss.dot").read_text() == g.dot
    if HAS_DOT:
        g.save(tmp_path / "loss.svg")
        assert "<svg" in (tmp_path / "loss.svg").read_text()


def test_color_by_memory():
    w = onp.ones((3, 50))
    g = graph(loss, w, X, color="memory")
    ops = {n.op: n for n in g.nodes if n.kind == "op"}
    expected = onp.tanh(X @ w)  # NumPy's own arrays, as the oracle of the sizes
    assert ops["numpy.tanh"].nbytes == expected.nbytes and ops["numpy.sum"].nbytes == onp.sum(expected).nbytes
    nodes, _ = parse_dot(g.dot)
    fills = {n.op: nodes[n.id]["fillcolor"] for n in g.nodes if n.kind == "op"}
    assert fills["numpy.matmul"] == "#800026" and fills["numpy.sum"] == "#ffffcc"  # largest darkest
    assert f"{expected.nbytes / 1e3:.3g} kB" in nodes[ops["numpy.tanh"].id]["label"]


def test_color_by_time_replays_each_operation():
    g = graph(loss, W, X, color="time", repeat=2)
    ops = [n for n in g.nodes if n.kind == "op"]
    assert all(n.seconds is not None and n.seconds > 0 for n in ops)
    assert "colour: running time, replayed" in g.dot


def test_writes_containers_and_keywords():
    def f(params, scale=1.0):
        b = np.zeros(3)
        b[1] = params["a"] * scale  # WRITE
        return np.sum(b, axis=0)

    g = make_graph(f, color="time")({"a": 2.0}, scale=3.0)
    ops = [n.op for n in g.nodes if n.kind == "op"]
    assert ops[0] == "params['a']" and "assignment x[...] = v" in ops and ops[-1] == "numpy.sum"
    write = next(n for n in g.nodes if n.op == "assignment x[...] = v")
    assert write.site[1] == line_of("WRITE") and write.seconds is None  # a write is not replayed
    assert "time not measured" in g.dot
    parse_dot(g.dot)


def test_several_arguments_and_functions_without_derivatives():
    from tapegrad.extend import primitive

    floor_plus = primitive(lambda x: onp.floor(x) + x)  # no derivative rule: it can still be drawn
    g = graph(lambda a, b: floor_plus(a) * b, 1.5, 2.0, argnum=(0, 1))
    assert [n.op for n in g.nodes][:3] == ["input (a, b)", "a", "b"]
    assert [n for n in g.nodes if n.kind == "op"][-1].output
    with pytest.raises(tapegrad.NonDifferentiableError):
        grad(lambda a: floor_plus(a))(1.5)


def test_graph_inside_other_modes_and_a_constant_output():
    with tapegrad.debug_nans():
        g = graph(loss, W, X)
    assert len([n for n in g.nodes if n.kind == "op"]) == 5
    g = graph(lambda x: 3.0, 1.0)  # does not depend on x: only the input
    assert [n.kind for n in g.nodes] == ["input"]
    assert repr(g) == "<tapegrad graph: 0 operations, 1 input>"


def test_bad_color():
    with pytest.raises(ValueError, match="color"):
        make_graph(loss, color="speed")


def test_graph_is_a_dataclass_for_tools():
    g = graph(loss, W, X)
    assert isinstance(g, Graph) and all(isinstance(e, tuple) and len(e) == 2 for e in g.edges)


# ----- derivatives of a function of one variable -------------------------------------------


def test_derivative_curves_match_closed_forms():
    x = onp.linspace(-3, 3, 61)
    f, d1, d2, d3 = derivative_curves(np.tanh, x, order=3)
    t = onp.tanh(x)
    onp.testing.assert_allclose(f, t)
    onp.testing.assert_allclose(d1, 1 - t ** 2, atol=1e-14)
    onp.testing.assert_allclose(d2, -2 * t * (1 - t ** 2), atol=1e-14)
    onp.testing.assert_allclose(d3, (1 - t ** 2) * (6 * t ** 2 - 2), atol=1e-13)


def test_derivative_curves_of_a_function_that_is_not_elementwise():
    # f(t) = t * sum(t) is t**2 at a single point, but not elementwise over an array:
    # the curves must be those of t**2, point by point.
    x = onp.linspace(-1, 1, 5)
    f, d1, d2 = derivative_curves(lambda t: t * np.sum(t), x, order=2)
    onp.testing.assert_allclose(f, x ** 2)
    onp.testing.assert_allclose(d1, 2 * x)
    onp.testing.assert_allclose(d2, 2.0)


def test_plot_derivatives():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = tapegrad.plot_derivatives(np.tanh, onp.linspace(-7, 7, 50), order=4)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["tanh"] + [f"derivative {k}" for k in range(1, 5)]
    onp.testing.assert_allclose(lines[1].get_ydata(), 1 - onp.tanh(onp.linspace(-7, 7, 50)) ** 2, atol=1e-14)
    assert ax.get_title() == "tanh and its first 4 derivatives (tapegrad)"


def test_plot_derivatives_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="derivative_curves gives the curves without it"):
        tapegrad.plot_derivatives(np.tanh, onp.linspace(-1, 1, 5))

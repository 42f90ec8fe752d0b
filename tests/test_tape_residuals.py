"""Primitives that declare ``vjp_reads`` stay correct when the tape drops what they do not read.

The tape replaces large unread arrays by their shape and dtype; the rule tables
use small arrays, so here the size threshold is lowered to one element and every
row of every such primitive is checked again, in reverse mode to second order.
"""

import dataclasses
import importlib
import pathlib

import numpy as onp
import pytest

import tapegrad.numpy as tnp
from tapegrad import grad
from tapegrad.core import reverse
from tapegrad.core.primitive import def_rules
from tapegrad.numpy._wrap import DIFFERENTIABLE
from tapegrad.numpy import hints  # noqa: F401 - the declared reads (loaded by the first derivative otherwise)

from tests.rules.harness import Row, expand, run

ROOT = pathlib.Path(__file__).resolve().parent


def _declared() -> set:
    return {name for name, fun in DIFFERENTIABLE.items()
            if getattr(getattr(fun, "_primitive", None), "reads", None) is not None}


def _rows() -> list:
    names = _declared()
    rows = []
    for path in sorted((ROOT / "rules").glob("test_*.py")):
        module = importlib.import_module(f"tests.rules.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, (list, tuple)) and value and all(isinstance(r, Row) for r in value):
                rows += [r for r in value if r.name in names
                         or getattr(getattr(r.fun, "_primitive", None), "reads", None) is not None]
    # Each argument differentiated alone as well: the tape then keeps only what that VJP reads.
    singles = [dataclasses.replace(r, name=f"{r.name}:{i}", argnums=(i,))
               for r in rows if r.argnums is None and len(r.shapes[0]) > 1 for i in range(len(r.shapes[0]))]
    return rows + singles


def test_the_hot_primitives_declare_what_their_vjps_read():
    assert {"add", "subtract", "multiply", "divide", "matmul", "dot", "tanh", "exp", "log", "sum", "mean"} <= _declared()


@pytest.mark.parametrize("row,shapes,dtype", expand(_rows()))
def test_rule_with_every_unread_array_dropped(row, shapes, dtype, monkeypatch):
    monkeypatch.setattr(reverse, "SLIM_MIN_SIZE", 1)
    run(row, shapes, dtype)


def test_unread_values_are_dropped_and_read_ones_kept(monkeypatch):
    monkeypatch.setattr(reverse, "SLIM_MIN_SIZE", 1)
    x = onp.linspace(0.1, 1.0, 5)
    tape = []

    def f(v):
        tape.append(v._trace.tape)
        return tnp.sum(tnp.tanh(v + 1.0))

    grad(f)(x)
    entries = {e[5].name: e for e in tape[0] if e[5] is not None}
    assert isinstance(entries["add"][2][0], reverse.ShapeOnly)  # add reads shapes only
    assert isinstance(entries["tanh"][2][0], reverse.ShapeOnly)  # tanh reads its output
    assert type(entries["tanh"][4]) is onp.ndarray


def test_redefining_a_vjp_drops_the_hint_of_what_the_old_one_read():
    from tapegrad.extend import def_hints, primitive

    p = primitive(lambda x: x * 2.0)
    def_rules(p, vjp=lambda g, ans, x: 2.0 * g)
    def_hints(p, vjp_reads=())
    assert p._primitive.reads == {None: (False, frozenset())}
    def_rules(p, vjp=lambda g, ans, x: 2.0 * g)
    assert p._primitive.reads is None
    with pytest.raises(ValueError, match="vjp_reads"):
        def_hints(p, vjp_reads=("x",))

"""Random short NumPy programs of views and writes over two inputs ``x`` and ``y``.

``generate(seed)`` returns the source of a module defining ``f(x, y)`` and ``inputs``. The
body uses two free names: ``np`` (plain ``numpy`` for the oracle, ``tapegrad.numpy`` for the
run under test) and ``probe(*values)``, which records values for comparison. The epilogue
probes every live value and returns a real scalar loss: a weighted sum of their real parts.

Each statement is chosen by running the program so far on plain NumPy (``templates.py``
writes the candidates from the actual shapes and dtypes), so indices are valid and views
are NumPy's. A candidate that NumPy rejects is dropped, or kept inside ``try``/``except``
with the exception probed: writes into read-only views and bad casts are part of the test.

>>> src = generate(3)
>>> program = parse(src)
>>> render(program) == src
True
"""

from __future__ import annotations

import contextlib
import random
import warnings
from dataclasses import dataclass

import numpy as onp

X_SHAPES = [(3, 4), (4, 4), (4, 3), (2, 3, 4)]
# (): a 0-d array (mutable, like any array); "float": a Python float (immutable)
Y_SHAPES = [(4,), (4,), (3,), (3,), (), "float"]
HEADER = "def f(x, y):"
EPILOGUE = "    # epilogue: probe the live values; return a real scalar loss of them"
LIMIT = 1e4  # larger values make finite differences meaningless: such statements are dropped


@dataclass
class Program:
    """A program as its parts: ``render`` turns it into source, ``parse`` back."""

    stmts: list          # top-level statements of f's body, unindented (one may span lines)
    inputs: tuple        # (x, y): nested lists of floats, a 0-d array or a Python float
    outputs: list | None = None  # names the epilogue probes and sums; None: every live name
    seed: int | None = None


@contextlib.contextmanager
def quiet():
    """NumPy's warnings (casts, overflow) and tapegrad's are not what we compare."""
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _noop(*values):
    pass


def input_value(a):
    """A fresh input from its literal: a Python float stays one, anything else is an array."""
    return a if isinstance(a, float) else onp.array(a, dtype=float)


def inputs_text(inputs) -> str:
    """The inputs as source: nested lists, ``array(0.5)`` for a 0-d array, ``0.5`` for a float."""
    return "(" + ", ".join(f"array({float(a)!r})" if isinstance(a, onp.ndarray) else repr(a) for a in inputs) + ")"


def namespace(np_module, inputs, probe=_noop) -> dict:
    """Globals for executing a program's statements with ``np = np_module``."""
    return {"np": np_module, "probe": probe, "x": input_value(inputs[0]), "y": input_value(inputs[1])}


def execute(stmts, inputs) -> dict:
    """Run statements on plain NumPy at module level; the namespace they leave (or raise)."""
    ns = namespace(onp, inputs)
    with quiet():
        exec(compile("\n".join(stmts), "<fuzz>", "exec"), ns)
    return ns


def _is_scalar(v) -> bool:
    return isinstance(v, (onp.generic, int, float, complex)) and not isinstance(v, (bool, onp.bool_))


def live(ns: dict, outputs=None) -> list:
    """(expression, value) of every array, scalar and list element the program still holds."""
    items = []
    for name, v in ns.items():
        if name in ("np", "probe", "err", "__builtins__") or (outputs is not None and name not in outputs):
            continue
        if isinstance(v, list):
            items += [(f"{name}[{i}]", e) for i, e in enumerate(v)
                      if isinstance(e, onp.ndarray) or _is_scalar(e)]
        elif isinstance(v, onp.ndarray) or _is_scalar(v):
            items.append((name, v))
    return items


def shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def loss_term(expr: str, v, k: int) -> str:
    """A weighted sum of the real part: weights that differ per element catch permutations."""
    shape = onp.shape(v)
    if shape == ():
        return f"np.real({expr}) * {round(0.3 + 0.1 * k, 2)}"
    n = int(onp.prod(shape))
    weights = f"np.cos(np.arange({n}) + {k})" + ("" if len(shape) == 1 else f".reshape{shape_text(shape)}")
    return f"np.sum(np.real({expr}) * {weights})"


def render(prog: Program) -> str | None:
    """The program's source, or None if plain NumPy raises on it (then it is not a program)."""
    try:
        ns = execute(prog.stmts, prog.inputs)
    except Exception:
        return None
    items = live(ns, prog.outputs)
    lines = [f"# tapegrad fuzz program (seed {prog.seed})" if prog.seed is not None else "# tapegrad fuzz program",
             HEADER]
    for stmt in prog.stmts:
        lines += ["    " + line for line in stmt.split("\n")]
    lines.append(EPILOGUE)
    lines.append("    probe(" + ", ".join(e for e, _ in items) + ")")
    lines.append("    loss = 0.0")
    lines += [f"    loss = loss + {loss_term(e, v, k)}" for k, (e, v) in enumerate(items)]
    lines += ["    return loss", "", f"inputs = {inputs_text(prog.inputs)}", ""]
    return "\n".join(lines)


def parse(source: str) -> Program:
    """The parts of a rendered program (inverse of ``render``)."""
    lines = source.split("\n")
    seed = None
    if lines[0].startswith("# tapegrad fuzz program (seed "):
        seed = int(lines[0].split("seed ")[1].rstrip(")"))
    start, stop = lines.index(HEADER) + 1, lines.index(EPILOGUE)
    stmts: list = []
    for line in lines[start:stop]:
        body = line[4:]
        if body[:1] in (" ", "") or body.startswith(("except", "else", "finally")):
            stmts[-1] += "\n" + body  # a continuation of the statement above
        else:
            stmts.append(body)
    probe_line = lines[stop + 1].strip()
    outputs = sorted({a.strip().split("[")[0] for a in probe_line[len("probe("):-1].split(",") if a.strip()})
    text = next(line.split("=", 1)[1] for line in lines if line.startswith("inputs = "))
    inputs = eval(text, {"__builtins__": {}, "array": onp.array})  # literals and array(<float>) only
    return Program(stmts, tuple(inputs), outputs, seed)


def _number(r: random.Random) -> float:
    """An input value away from 0 and from round numbers (kinks of //, % and int casts)."""
    return round(r.choice([-1, 1]) * r.uniform(0.3, 1.7), 4)


def _values(r: random.Random, shape):
    """An input of ``shape`` (one of X_SHAPES, Y_SHAPES) as its literal."""
    if shape == "float":
        return _number(r)
    if shape == ():
        return onp.array(_number(r))
    return [_number(r) if len(shape) == 1 else _values(r, shape[1:]) for _ in range(shape[0])]


def _tame(ns: dict) -> bool:
    """All live values finite and moderate."""
    for _, v in live(ns):
        a = onp.asarray(v)
        if a.dtype.kind in "fc" and a.size and not (onp.isfinite(a).all() and onp.abs(a).max() < LIMIT):
            return False
    return True


class Builder:
    """Grows one program statement by statement, keeping NumPy's state of it in ``self.ns``."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.seed = seed
        self.inputs = (_values(self.r, self.r.choice(X_SHAPES)), _values(self.r, self.r.choice(Y_SHAPES)))
        self.stmts: list = []
        self.ns = execute([], self.inputs)
        self.used: set = set()

    def fresh(self, prefix: str = "") -> str:
        """An unused variable name (single letters first, for short repros)."""
        letters = "abcdeghkmnpqrstuvwz"
        for i in range(100):
            for c in letters:
                name = (prefix or c) + (str(i) if i or prefix else "")
                if name not in self.used:
                    return name
        raise RuntimeError("out of names")

    def add(self, text: str, may_raise: bool = True, wrap_chance: float = 0.5) -> bool:
        """Append ``text`` if NumPy runs it (or, sometimes, if it raises: inside try/except)."""
        if not self._run(text):
            self.ns = execute(self.stmts, self.inputs)  # undo whatever the failed attempt did
            if not may_raise or self.r.random() >= wrap_chance:
                return False
            body = "\n".join("    " + line for line in text.split("\n"))
            text = f"try:\n{body}\nexcept Exception as err:\n    probe(err)"
            if not self._run(text):
                self.ns = execute(self.stmts, self.inputs)
                return False
        self.stmts.append(text)
        self.used.update(k for k in self.ns if not k.startswith("__"))
        return True

    def _run(self, text: str) -> bool:
        try:
            with quiet():
                exec(compile(text, "<fuzz>", "exec"), self.ns)
        except Exception:
            return False
        if not _tame(self.ns):
            self.ns = execute(self.stmts, self.inputs)
            return False
        return True


def build(seed: int, size: int | None = None) -> Program:
    """The program of ``seed``: ``size`` statements (random, 3 to 12, by default)."""
    from . import templates  # the statement templates need Builder's helpers only

    b = Builder(seed)
    n = size if size is not None else b.r.randint(3, 12)
    kinds, weights = zip(*templates.WEIGHTS.items())
    for _ in range(n):
        for _attempt in range(12):
            kind = b.r.choices(kinds, weights)[0]
            text = getattr(templates, kind)(b)
            if text is not None and b.add(text, may_raise=kind not in ("create", "view", "copy")):
                break
    return Program(b.stmts, b.inputs, None, seed)


def generate(seed: int, size: int | None = None) -> str:
    """The source of random program number ``seed``."""
    src = render(build(seed, size))
    assert src is not None, "a generated program must run on plain NumPy"
    return src

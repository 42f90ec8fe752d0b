"""Shrink a failing fuzz program to a minimal one that fails the same way.

"The same way" is the key (kind, mode) of the first discrepancy ``check`` reports, e.g.
``("gradient", "reverse")`` or ``("raised TypeError", "forward")``. Passes, repeated until
none helps: delete chunks of statements, then single ones; unwrap ``try`` blocks; simplify
statements (drop ``order=``/``dtype=`` arguments, unwrap ``np.sin(...)``, constants to 2.0);
inline a name's definition into its one use; drop outputs from the epilogue; round the
inputs. Each candidate is re-rendered (the epilogue follows the live values) and re-checked;
one on which NumPy raises is not a candidate.
"""

from __future__ import annotations

import ast
import re

import numpy as onp

from .check import Discarded, check
from .programs import Program, execute, live, parse, render

SIMPLIFY = [
    (r", order='[CFAK]'", ""), (r"order='[CFAK]'", ""), (r"\('[CFAK]'\)", "()"),
    (r", dtype=[\w.]+", ""), (r", casting='unsafe'", ""), (r", where=[^,)]+", ""),
    (r"\.ravel\(\)\[:\d+\]\.reshape\([^()]*\)", ""),
    (r"np\.cos\(np\.arange\(\d+\)[ *\d.]*\)\.reshape\([^()]*\) \* ", ""),
    (r"np\.sin\(([^()]*)\)", r"\1"), (r" \* -?[\d.]+(?![\d.])", ""), (r"-?\d+\.\d+", "2.0"),
]


class _Shrinker:
    def __init__(self, source: str, second_order: bool, max_checks: int, tg_numpy, checker=None):
        self.second_order = second_order
        self.checks_left = max_checks
        self.check = checker or (lambda src: check(src, second_order, tg_numpy))
        first = self.check(source)
        self.key = first[0].key() if first else None
        self.best = source

    def fails(self, prog: Program) -> bool:
        """True (and ``prog`` becomes the best) if ``prog`` still fails with the key."""
        if self.checks_left <= 0:
            return False
        src = render(prog)
        if src is None or src == self.best:
            return False
        self.checks_left -= 1
        try:
            found = self.check(src)
        except Discarded:
            return False
        except Exception:
            return False  # a candidate that breaks the checker itself is not a repro
        if any(d.key() == self.key for d in found):
            self.best = src
            return True
        return False

    def current(self) -> Program:
        return parse(self.best)

    def delete_statements(self) -> bool:
        progress = False
        chunk = max(len(self.current().stmts) // 2, 1)
        while chunk >= 1:
            i = 0
            while i < len(self.current().stmts):
                p = self.current()
                cand = Program(p.stmts[:i] + p.stmts[i + chunk:], p.inputs, None, p.seed)
                if self.fails(cand):
                    progress = True
                else:
                    i += chunk
            chunk //= 2
        return progress

    def rewrite_statements(self) -> bool:
        """Unwrap try blocks and apply the simplifications, one statement at a time."""
        progress = False
        for i in range(len(self.current().stmts)):
            p = self.current()
            if i >= len(p.stmts):
                break
            stmt = p.stmts[i]
            variants = []
            if stmt.startswith("try:\n"):
                body = stmt.split("\nexcept")[0].split("\n")[1:]
                variants.append("\n".join(line[4:] for line in body))
            for pattern, repl in SIMPLIFY:
                new = re.sub(pattern, repl, stmt, count=1)
                if new != stmt:
                    variants.append(new)
            for new in variants:
                p = self.current()
                if self.fails(Program(p.stmts[:i] + [new] + p.stmts[i + 1:], p.inputs, p.outputs, p.seed)):
                    progress = True
                    break
        return progress

    def inline(self) -> bool:
        """Replace a name by the expression that defined it (``a = x.T; a[0] = 1`` -> ``x.T[0] = 1``)."""
        progress = False
        i = 0
        while i < len(self.current().stmts):
            p = self.current()
            m = re.fullmatch(r"(\w+) = ([^;\n]+)", p.stmts[i])
            i += 1
            if not m:
                continue
            name, expr = m.groups()
            uses = sum(len(re.findall(rf"\b{name}\b", t)) for t in p.stmts[i:])
            try:
                node = ast.parse(expr, mode="eval").body
            except SyntaxError:
                continue
            if uses != 1 or isinstance(node, ast.List):  # one use only; lists are aliases' holders
                continue
            if not isinstance(node, (ast.Call, ast.Attribute, ast.Subscript, ast.Name, ast.Constant)):
                expr = f"({expr})"
            rest = [re.sub(rf"\b{name}\b", lambda _: expr, t) for t in p.stmts[i:]]
            if self.fails(Program(p.stmts[:i - 1] + rest, p.inputs, None, p.seed)):
                progress = True
                i -= 1
        return progress

    def drop_outputs(self) -> bool:
        p = self.current()
        names = sorted({e.split("[")[0] for e, _ in live(execute(p.stmts, p.inputs), p.outputs)})
        progress = False
        for name in names:  # try each output alone first: usually one value shows the failure
            if self.fails(Program(p.stmts, p.inputs, [name], p.seed)):
                return True
        for name in names:
            p = self.current()
            keep = [n for n in (p.outputs or names) if n != name]
            if keep and self.fails(Program(p.stmts, p.inputs, keep, p.seed)):
                progress = True
        return progress

    def round_inputs(self) -> bool:
        p = self.current()

        def rnd(v):
            if isinstance(v, list):
                return [rnd(a) for a in v]
            r = round(round(float(v), 1) + 0.01, 2)
            return onp.array(r) if isinstance(v, onp.ndarray) else r
        return self.fails(Program(p.stmts, tuple(rnd(v) for v in p.inputs), p.outputs, p.seed))


def shrink(source: str, second_order: bool = False, max_checks: int = 300, tg_numpy=None, checker=None) -> str:
    """The smallest program found that fails like ``source`` (``source`` if it passes).

    ``tg_numpy`` replaces ``tapegrad.numpy`` as the module under test (as in ``check``);
    ``checker(source) -> discrepancies`` replaces ``check`` itself (the vmap mode's).
    """
    import tapegrad.numpy

    s = _Shrinker(source, second_order, max_checks, tg_numpy or tapegrad.numpy, checker)
    if s.key is None:
        return source
    progress = True
    while progress and s.checks_left > 0:
        progress = s.delete_statements()
        progress = s.rewrite_statements() or progress
        progress = s.inline() or progress
        progress = s.drop_outputs() or progress
    s.round_inputs()
    return s.best

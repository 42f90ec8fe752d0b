"""Coverage of NumPy by rules: every wrapped function is checked, every NumPy function is accounted for.

* Each differentiable function registered by the rule families has VJP and JVP
  rules and a row in a numerical-check table (tests/rules, tests/scipy).
* Each function of ``numpy``, ``numpy.linalg`` and ``numpy.fft`` is either
  differentiable, on the explicit non-differentiable list, or on the list of
  missing functions in ``tests/missing_functions.txt``; that list may only
  shrink: a function that gains rules must be removed from it.
"""

import importlib
import pathlib
import re
import sys

import numpy as onp
import pytest

import tapegrad.numpy as tnp
import tapegrad.scipy.integrate  # noqa: F401 - registers its rules
import tapegrad.scipy.linalg  # noqa: F401
import tapegrad.scipy.signal  # noqa: F401
import tapegrad.scipy.special  # noqa: F401
from tapegrad.core import Primitive
from tapegrad.numpy._wrap import DIFFERENTIABLE
from tapegrad.numpy.missing import is_function

from tests.rules.harness import Row

ROOT = pathlib.Path(__file__).resolve().parent
MISSING_FILE = ROOT / "missing_functions.txt"


def _row_names() -> set:
    sys.path.insert(0, str(ROOT / "scipy"))
    names = set()
    for path in sorted((ROOT / "rules").glob("test_*.py")) + sorted((ROOT / "scipy").glob("test_*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
        for value in vars(module).values():
            if isinstance(value, (list, tuple)) and value and all(isinstance(r, Row) for r in value):
                names.update(re.split(r"[ \-\[(:]", r.name)[0] for r in value)
    return names


def test_every_differentiable_function_has_a_numerical_check_row():
    rows = _row_names()
    unchecked = [
        n for n in DIFFERENTIABLE
        if n not in rows and n.split(".")[-1] not in rows and n.removeprefix("scipy.") not in rows
    ]
    assert not unchecked, f"differentiable functions without a row in a rule table: {unchecked}"


def test_every_primitive_has_reverse_and_forward_rules():
    incomplete = []
    for name, fun in DIFFERENTIABLE.items():
        prim = getattr(fun, "_primitive", None)
        if isinstance(prim, Primitive):
            if not (prim.vjps or prim.vjp_joint) or not (prim.jvps or prim.jvp_joint):
                incomplete.append(name)
    assert not incomplete, f"primitives lacking a VJP or a JVP: {incomplete}"


def _namespaces():
    yield "", onp, tnp
    yield "linalg.", onp.linalg, tnp.linalg
    yield "fft.", onp.fft, tnp.fft


def missing_now() -> list:
    out = []
    for prefix, theirs, ours in _namespaces():
        for name in dir(theirs):
            if name.startswith("_") or not is_function(getattr(theirs, name)) or name == "test":
                continue
            if getattr(getattr(ours, name), "missing", False):
                out.append(prefix + name)
    return sorted(out)


def test_missing_functions_list_only_shrinks():
    listed = {line.strip() for line in MISSING_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    now = set(missing_now())
    new = sorted(now - listed)
    fixed = sorted(listed - now)
    assert not new, f"NumPy functions with no rules and not on any list: {new}"
    # A listed name may be absent from an older or newer NumPy; only a name that
    # exists here and has rules must leave the list.
    fixed = [n for n in fixed if _exists(n)]
    assert not fixed, f"these now have rules: remove them from {MISSING_FILE.name}: {fixed}"


def _exists(qualified: str) -> bool:
    obj = onp
    for part in qualified.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


@pytest.mark.parametrize("name", ["cumsum", "linalg.inv", "fft.rfft", "einsum", "sort"])
def test_known_functions_are_differentiable(name):
    obj = tnp
    for part in name.split("."):
        obj = getattr(obj, part)
    assert not getattr(obj, "missing", False)

"""The architecture's import rules, read from the source.

* ``tapegrad.core`` knows nothing of NumPy (tests/test_engine.py checks it).
* The NumPy layer's modules import one another in one direction: no cycle,
  and no import inside a function except of an optional dependency (SciPy, a
  compiled accelerator). Code that calls a function of a family above it does
  so through ``_wrap.ops``, and every such name is provided by its family.
* No module of ``tapegrad.numpy`` has the name of a NumPy function, so that
  ``import tapegrad.numpy.X`` gives the module (the public submodules ``fft``,
  ``linalg`` and ``random`` are named after NumPy's on purpose).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import types

import numpy as onp
import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tapegrad"
NUMPY_LAYER = PACKAGE / "numpy"
MODULES = sorted(p.stem for p in NUMPY_LAYER.glob("*.py"))
PUBLIC_SUBMODULES = {"fft", "linalg", "random"}
# Imports that may stay inside functions: optional dependencies, loaded when first needed, and
# callsite.py, read only when a conversion error is raised (it would cost every import).
OPTIONAL = {("box", "..scipy"), ("box", ".callsite"), ("fastrules", "._fastrules"), ("arraycache", "._arraycache")}
# Code that reaches a family above it: ``ops.NAME`` (an attribute of the name ``ops``).


def _ops_names(tree: ast.Module) -> set[str]:
    return {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "ops"}


def _tree(module: str) -> ast.Module:
    return ast.parse((NUMPY_LAYER / f"{module}.py").read_text())


def _targets(node: ast.ImportFrom) -> list[str]:
    """The numpy-layer modules a relative import reads (``from . import a, b`` names modules)."""
    if node.level != 1:
        return []
    if node.module:
        return [node.module.split(".")[0]]
    return [a.name for a in node.names if a.name in MODULES]


def _module_level_imports(module: str) -> set[str]:
    deps = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom):
            deps.update(t for t in _targets(node) if t in MODULES and t != module)
    return deps


def test_the_numpy_layer_has_no_import_cycle():
    graph = {m: _module_level_imports(m) for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle = path[path.index(d):] + [m, d] if d in path else [m, d]
                pytest.fail("import cycle in tapegrad/numpy: " + " -> ".join(cycle))
            if d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", MODULES)
def test_no_import_inside_a_function(module):
    for fn in ast.walk(_tree(module)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                pytest.fail(f"numpy/{module}.py:{node.lineno} imports {node.names[0].name} inside {fn.name}()")
            if isinstance(node, ast.ImportFrom):
                source = "." * node.level + (node.module or node.names[0].name)
                if (module, source) not in OPTIONAL:
                    pytest.fail(f"numpy/{module}.py:{node.lineno} imports from {source} inside {fn.name}(): "
                                "import it at the top, or call a family above through _wrap.ops")


def test_every_ops_name_is_provided():
    used, provided = set(), set()
    for m in MODULES:
        used.update(_ops_names(_tree(m)))
        for node in ast.walk(_tree(m)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "provide":
                provided.update(k.arg for k in node.keywords)
    assert used, "no module calls through ops: the test reads the wrong files"
    assert used <= provided, f"ops names used but never provided: {sorted(used - provided)}"
    from tapegrad.numpy._wrap import ops

    assert provided <= set(vars(ops)), "a provide() call did not run at import"


@pytest.mark.parametrize("module", MODULES)
def test_module_names_are_not_numpy_names(module):
    if module.startswith("_") or module in PUBLIC_SUBMODULES:
        return
    assert not hasattr(onp, module), f"tapegrad.numpy.{module} would be shadowed by numpy.{module}"
    assert isinstance(importlib.import_module(f"tapegrad.numpy.{module}"), types.ModuleType)

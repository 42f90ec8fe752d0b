"""Which function converted a traced value: ``math.sin(x)`` is named, with ``np.sin``; ``scipy.linalg.expm(x)`` too.

``math.sin`` (a C function) converts its argument with ``float()``, so the
traced value only learns that ``float()`` was called. The caller's frame and
the source position of its current instruction tell which call it was; the
error then names that function and its ``tapegrad.numpy`` counterpart. A
library that converts with ``numpy.asarray`` (SciPy's functions, NumPy's
samplers, any package's helpers) is named the same way, from the first frame
outside NumPy, SciPy and tapegrad (:func:`conversion_site`). Read only when
the error is raised: it costs nothing otherwise.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import sys
import types
from typing import Any, NamedTuple, Optional

import numpy as _np

from ._wrap import DIFFERENTIABLE, NONDIFFERENTIABLE
from .random import reparameterisation

# math's names that tapegrad.numpy spells differently, and those only tapegrad.scipy.special has.
_NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2", "asinh": "arcsinh",
                "acosh": "arccosh", "atanh": "arctanh", "pow": "power", "fsum": "sum"}
_SPECIAL_NAMES = {"erf": "erf", "erfc": "erfc", "gamma": "gamma", "lgamma": "gammaln"}


def _called_name(frame: types.FrameType) -> Optional[str]:
    """The dotted name of the function the frame is calling (``math.sin``, ``sin``), from its source."""
    try:
        lineno, end_lineno, col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (AttributeError, IndexError, ValueError):  # Python 3.10 has no co_positions
        return None
    if None in (lineno, end_lineno, col, end_col):
        return None
    lines = [linecache.getline(frame.f_code.co_filename, n).encode() for n in range(lineno, end_lineno + 1)]
    if not all(lines):
        return None
    lines[-1] = lines[-1][:end_col]  # the positions count bytes of UTF-8
    lines[0] = lines[0][col:]
    try:
        node = ast.parse(b"".join(lines).decode().strip(), mode="eval").body
    except (SyntaxError, UnicodeDecodeError):
        return None
    if not isinstance(node, ast.Call):
        return None
    parts, func = [], node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    return ".".join([func.id, *reversed(parts)])


def _resolve(name: str, frame: types.FrameType) -> Any:
    """The object ``name`` stands for in the frame (attributes of other objects read statically: no code runs)."""
    first, *rest = name.split(".")
    for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
        if first in scope:
            obj = scope[first]
            break
    else:
        return None
    for attr in rest:
        if isinstance(obj, types.ModuleType):
            obj = getattr(obj, attr, None)
        else:
            try:
                obj = inspect.getattr_static(obj, attr)
            except AttributeError:
                return None
    return obj


def math_function_hint(frame: Optional[types.FrameType]) -> Optional[tuple[str, str]]:
    """``("math.sin", "Use np.sin ...")`` when the frame is calling a function of ``math`` or ``cmath``."""
    if frame is None:
        return None
    name = _called_name(frame)
    fun = _resolve(name, frame) if name else None
    module = getattr(fun, "__module__", None)
    if module not in ("math", "cmath") or not isinstance(fun, types.BuiltinFunctionType):
        return None
    qualified = f"{module}.{fun.__name__}"
    numpy_name = _NUMPY_NAMES.get(fun.__name__, fun.__name__)
    if numpy_name in DIFFERENTIABLE or numpy_name in NONDIFFERENTIABLE:
        fix = (f"Use np.{numpy_name} (tapegrad.numpy.{numpy_name}) instead: it takes traced values and "
               "arrays.")
    elif fun.__name__ in _SPECIAL_NAMES:
        special = _SPECIAL_NAMES[fun.__name__]
        fix = f"Use tapegrad.scipy.special.{special} instead: it takes traced values and arrays."
    else:
        fix = "Write it with tapegrad.numpy functions, which take traced values."
    return qualified, fix + " Or apply it to tapegrad.stop_gradient(x) if no derivative should flow through it."


# ----- conversions by other code: name the function that converted -------------------------------

_INTERNALS = ("numpy", "scipy")  # libraries whose internals a conversion passes through on its way
_CONVERTERS = {getattr(_np, n) for n in ("asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray",
                                         "require", "asarray_chkfinite")} | {float, int, complex, bool}


def _package(frame: types.FrameType) -> str:
    return frame.f_globals.get("__name__", "").partition(".")[0]


def _public_name(obj: Any) -> Optional[str]:
    """``scipy.linalg.expm`` for the function defined in ``scipy.linalg._matfuncs``: the public module holding it."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname:
        return None
    parts = module.split(".")
    public = next((i for i, p in enumerate(parts) if p.startswith("_")), len(parts))
    for end in range(public, 0, -1):
        found = sys.modules.get(".".join(parts[:end]))
        for attr in qualname.split("."):
            found = getattr(found, attr, None)
        if found is obj:
            return f"{'.'.join(parts[:end])}.{qualname}"
    return f"{module}.{qualname}"


def _counterpart(name: str) -> Optional[str]:
    """``tapegrad.scipy.linalg.expm`` for ``scipy.linalg.expm``, where tapegrad has it (with rules)."""
    module, _, attr = name.rpartition(".")
    if module.partition(".")[0] not in _INTERNALS:
        return None
    try:  # tapegrad.scipy needs SciPy: an optional dependency, loaded when first named
        ours = getattr(importlib.import_module(f"tapegrad.{module}"), attr, None)
    except ImportError:
        return None
    return None if ours is None or getattr(ours, "missing", False) else f"tapegrad.{name}"


def _function_of(frame: types.FrameType) -> str:
    code = frame.f_code
    module = frame.f_globals.get("__name__", "")
    qualname = getattr(code, "co_qualname", code.co_name)
    where = f"{qualname}" if module == "__main__" else f"{module}.{qualname}"
    return f"{where} ({code.co_filename}:{frame.f_lineno})"


def _sampler(obj: Any) -> Optional[tuple[str, str]]:
    """``("numpy.random.normal", "normal")`` for one of NumPy's samplers (a RandomState's or Generator's)."""
    module, qualname = getattr(obj, "__module__", None) or "", getattr(obj, "__qualname__", None) or ""
    if not module.startswith("numpy.random") or not qualname.startswith(("RandomState.", "Generator.")):
        return None
    name = qualname.partition(".")[2]
    return (f"numpy.random.Generator.{name}" if qualname.startswith("Generator.") else f"numpy.random.{name}"), name


class Site(NamedTuple):
    """Who converted a traced value: the error's subject and fix; ``direct`` if the code did it itself."""

    what: str
    fix: str
    direct: bool


def conversion_site(frame: Optional[types.FrameType], how: str) -> Optional[Site]:
    """What converted a traced value to a plain one, from the frame where it happened.

    ``how`` is the conversion (``numpy.asarray``, ``float()``). The first
    frame outside NumPy, SciPy and tapegrad is the code that asked: if it
    called a library function (``scipy.linalg.expm(x)``, ``rng.normal(0, s)``),
    that function is named; if it converted the value itself
    (``numpy.asarray(x)`` in a library's helper), that code is (``direct``).
    None when tapegrad itself converted (the caller handles that).

    >>> import sys
    >>> user = {"__name__": "user", "sys": sys}
    >>> exec("def f():\\n    return sys._getframe()", user)
    >>> conversion_site(user["f"](), "float()").what
    'float() of a traced value in user.f (<string>:2)'
    """
    inner = None
    while frame is not None and _package(frame) in _INTERNALS:
        inner, frame = frame, frame.f_back
    if frame is None or _package(frame) == "tapegrad":
        return None
    called = _called_name(frame)
    obj = _resolve(called, frame) if called else None
    sampler = _sampler(obj)
    if sampler is not None:
        rng = "rng" if sampler[0].startswith("numpy.random.Generator") else "np.random"
        return Site(f"{sampler[0]}(), which converts its parameters with {how},",
                    "A random sample has no derivative with respect to the parameters it is drawn with. "
                    f"{reparameterisation(sampler[1], rng)} Or pass tapegrad.stop_gradient(x) for a parameter "
                    "that no derivative should flow through.", False)
    builtin = getattr(obj, "__module__", None) == "builtins"
    if inner is None and (obj is None or builtin or any(obj is c for c in _CONVERTERS)):
        # this code converted the value itself (numpy.asarray(x), float(x), range(x))
        converter = how if obj is None else obj.__name__ if builtin else _public_name(obj) or how
        converter = converter if converter.endswith(")") else f"{converter}()"
        return Site(f"{converter} of a traced value in {_function_of(frame)}",
                    "Use tapegrad.numpy functions on it there (x.item() and x[()] stay traced), or "
                    "tapegrad.stop_gradient(x) if no derivative should flow through this value.", True)
    name = _public_name(obj) if obj is not None else None
    if name is None and inner is not None:  # a library function the code called, named by its frame
        name = f"{inner.f_globals.get('__name__', '?')}.{getattr(inner.f_code, 'co_qualname', inner.f_code.co_name)}"
    name = name or called or how
    ours = _counterpart(name)
    fix = (f"Use {ours} instead: it takes traced values." if ours else
           f"tapegrad has no rules for {name}: write it with tapegrad.numpy functions, or define its derivative "
           "with tapegrad.extend (primitive, defvjp).")
    return Site(f"{name}(), which converts its argument with {how},",
                f"{fix} Or apply it to tapegrad.stop_gradient(x) if no derivative should flow through it.", False)

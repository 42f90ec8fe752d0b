"""Which function of the user's code converted a traced value: ``math.sin(x)`` is named, with ``np.sin``.

``math.sin`` (a C function) converts its argument with ``float()``, so the
traced value only learns that ``float()`` was called. The caller's frame and
the source position of its current instruction tell which call it was; the
error then names that function and its ``tapegrad.numpy`` counterpart. Read
only when the error is raised: it costs nothing otherwise.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import types
from typing import Any, Optional

from ._wrap import DIFFERENTIABLE, NONDIFFERENTIABLE

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
    """The object ``name`` stands for in the frame, looking through modules only (no properties run)."""
    first, *rest = name.split(".")
    for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
        if first in scope:
            obj = scope[first]
            break
    else:
        return None
    for attr in rest:
        if not isinstance(obj, types.ModuleType):
            return None
        obj = getattr(obj, attr, None)
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

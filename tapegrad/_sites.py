"""Where traced operations came from, named in the user's terms (for tapegrad.debug and tapegrad.graphs).

:class:`SiteTrace` is a reverse trace that also remembers, for each entry of
its tape, the file, line and function of the user's code that called the
primitive (tapegrad's own frames, and NumPy's and SciPy's, are skipped).
Its record methods are Python, so the C fast path calls them instead of
recording inline: only a trace opened for debugging or drawing pays for it.
"""

from __future__ import annotations

import linecache
import os
import sys
from typing import Any, Optional

import numpy as _np

from .core.box import getval
from .core.primitive import Primitive
from .core.reverse import ReverseTrace, ShapeOnly

Site = tuple  # (filename, line number, function name)

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _library_dirs() -> tuple:
    """The directories whose frames are not the user's: tapegrad's, NumPy's and (once loaded) SciPy's."""
    dirs = [_PACKAGE]
    for name in ("numpy", "scipy"):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            dirs.append(os.path.dirname(os.path.abspath(path)) + os.sep)
    return tuple(dirs)


_DIRS: list = [None, None]  # [SciPy loaded when computed?, the directories]


def call_site(depth: int = 1) -> Optional[Site]:
    """``(filename, line, function)`` of the innermost caller outside tapegrad, NumPy and SciPy."""
    scipy_loaded = "scipy" in sys.modules
    if _DIRS[0] is not scipy_loaded:
        _DIRS[:] = [scipy_loaded, _library_dirs()]
    dirs = _DIRS[1]
    frame = sys._getframe(depth)
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(dirs):
            return code.co_filename, frame.f_lineno, code.co_name
        frame = frame.f_back
    return None


def source_line(site: Optional[Site]) -> str:
    """The text of the site's line, stripped ('' where the source is not available)."""
    if site is None:
        return ""
    return linecache.getline(site[0], site[1]).strip()


def format_site(site: Optional[Site]) -> str:
    """``file.py, line 12, in loss`` (or a note that the place is unknown)."""
    if site is None:
        return "an unknown place (the call was recorded outside this mode)"
    return f"{site[0]}, line {site[1]}, in {site[2]}"


def short_site(site: Optional[Site]) -> str:
    """``file.py:12`` (the file's base name)."""
    if site is None:
        return ""
    return f"{os.path.basename(site[0])}:{site[1]}"


# Primitives of tapegrad's own, as the user wrote them.
_INTERNAL = {
    "getitem": "indexing x[...]",
    "setitem": "assignment x[...] = v",
    "assignment": "assignment x[...] = v",
    "view": "a view of a written array",
    "gather": "reading elements x[i]",
    "container_take": "an item of a tuple, list or dict",
    "astype": "numpy.ndarray.astype",
    "item": "numpy.ndarray.item",
}
_OPERATORS = {
    "add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/", "power": "**",
    "matmul": "@", "negative": "unary -", "floor_divide": "//", "remainder": "%",
}


def user_name(prim: Primitive) -> str:
    """The primitive as the user called it: ``numpy.log``, ``numpy.linalg.inv``, ``scipy.special.gammaln``."""
    name = prim.name
    if name.startswith("scipy."):
        return name
    fun = getattr(prim.wrapper, "__wrapped__", None) or prim.fun
    module = getattr(fun, "__module__", None) or ""
    if isinstance(fun, _np.ufunc) or module == "numpy" or module.startswith("numpy."):
        return "numpy." + name
    if module.startswith("tapegrad"):
        if getattr(fun, "__qualname__", "").startswith("checkpoint."):
            return f"checkpoint({name})"
        return _INTERNAL.get(name, f"tapegrad's internal {name}")
    qualname = getattr(fun, "__qualname__", name)
    return f"{module}.{qualname}" if module else qualname


def operator_note(prim: Primitive) -> str:
    """`` (the * operator)`` for the primitives behind Python's operators, else ''."""
    symbol = _OPERATORS.get(prim.name)
    return f" (or the {symbol} operator)" if symbol and user_name(prim).startswith("numpy.") else ""


def _number(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, (float, _np.floating)) else str(x)


def describe(value: Any) -> str:
    """A value's type, shape, dtype and range (min/max), in one line."""
    value = getval(value)
    if isinstance(value, ShapeOnly):
        return f"{value.dtype} array of shape {value.shape} (values not kept on the tape)"
    if type(value) in (bool, int, float, complex):
        return f"Python {type(value).__name__} {value!r}"
    if isinstance(value, (_np.ndarray, _np.generic)):
        a = _np.asarray(value)
        head = f"{a.dtype} array of shape {a.shape}" if isinstance(value, _np.ndarray) else f"{a.dtype} scalar"
        if a.size == 0:
            return head + ", empty"
        if a.dtype.kind not in "biufc":
            return head
        if a.size == 1:
            return f"{head}, value {_number(a.reshape(-1)[0])}"
        if a.dtype.kind == "c":
            m = _np.abs(a)
            return f"{head}, |value| from {_number(_np.nanmin(m))} to {_number(_np.nanmax(m))}"
        nans = int(_np.count_nonzero(_np.isnan(a))) if a.dtype.kind == "f" else 0
        if nans == a.size:
            return f"{head}, all NaN"
        text = f"{head}, min {_number(_np.nanmin(a))}, max {_number(_np.nanmax(a))}"
        return text + (f", {nans} NaN" if nans else "")
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"dict of {len(value)} items"
    if value is None:
        return "None"
    return type(value).__name__


def shape_and_dtype(value: Any) -> tuple:
    """``(shape, dtype name)`` of a value (``()`` and the type's name for Python numbers; None, None if neither)."""
    value = getval(value)
    if isinstance(value, (_np.ndarray, _np.generic, ShapeOnly)):
        return tuple(value.shape), str(value.dtype)
    if type(value) in (bool, int, float, complex):
        return (), type(value).__name__
    if isinstance(value, (tuple, list, dict)):
        return None, f"{type(value).__name__}[{len(value)}]"
    return None, None


def nbytes(value: Any) -> int:
    """The memory of a value (an array's data; 0 where unknown)."""
    value = getval(value)
    if isinstance(value, (_np.ndarray, _np.generic)):
        return int(value.nbytes)
    if isinstance(value, ShapeOnly):
        return int(_np.prod(value.shape, dtype=_np.int64)) * value.dtype.itemsize
    if type(value) in (bool, int, float):
        return 8
    if type(value) is complex:
        return 16
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    return 0


class SiteTape(list):
    """A tape (a list: the sweeps, C or Python, read it as one) with each entry's call site by index.

    ``within`` (filled by tapegrad.debug) holds, for entries recorded while a
    derivative rule ran, that rule's ``(primitive, site, "VJP" or "JVP")``.
    """

    __slots__ = ("sites", "within")

    def __init__(self) -> None:
        super().__init__()
        self.sites: dict = {}
        self.within: dict = {}


class SiteTrace(ReverseTrace):
    """A reverse trace whose tape remembers where each primitive was called from."""

    __slots__ = ()

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.tape = SiteTape()

    def record(self, prim: Primitive, argnums: tuple, parents: tuple, vals: tuple, kwargs: dict, ans: Any) -> Any:
        site = call_site(2)
        box = ReverseTrace.record(self, prim, argnums, parents, vals, kwargs, ans)
        self.tape.sites[len(self.tape) - 1] = site
        return box

    def record_one(self, prim: Primitive, argnums: tuple, node: int, vals: tuple, ans: Any) -> Any:
        site = call_site(2)
        box = ReverseTrace.record_one(self, prim, argnums, node, vals, ans)
        self.tape.sites[len(self.tape) - 1] = site
        return box

    def record2(self, prim: Primitive, node0: int, node1: int, v0: Any, v1: Any, ans: Any) -> Any:
        site = call_site(2)
        box = ReverseTrace.record2(self, prim, node0, node1, v0, v1, ans)
        self.tape.sites[len(self.tape) - 1] = site
        return box

"""The optional C accelerator of the per-operation path (``_fastpath.c``).

The engine is written in Python (``box.py``, ``primitive.py``, ``reverse.py``),
and that code is the reference. When the C extension was built at install time,
making a box, binding a primitive's call to a trace, recording a reverse-mode
tape entry and the backward sweep run in C instead, with the same results;
everything else (rules, forward mode, containers) stays in Python.

Set ``TAPEGRAD_PURE_PYTHON=1`` before importing tapegrad to use the Python
path alone (the test suite runs the engine's tests both ways).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Optional


def _load() -> Optional[ModuleType]:
    if os.environ.get("TAPEGRAD_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _fastpath
    except ImportError:  # not built (no compiler at install time): the Python path
        return None
    return _fastpath


EXT: Optional[ModuleType] = _load()
ENABLED: bool = EXT is not None

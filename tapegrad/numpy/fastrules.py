"""C twins of the first-order fast branches of the hottest rules (``_fastrules.c``).

``twin(kind, rule)`` returns ``rule`` itself, or a C callable that computes
``rule``'s fast branch (plain float arrays at first order) without a Python
frame and calls ``rule`` for every other call. The Python rule stays the
reference. The twins load with the engine's C accelerator: without a compiler
at install time, or with ``TAPEGRAD_PURE_PYTHON=1``, every rule is Python.
"""

from __future__ import annotations

from types import ModuleType
from typing import Callable, Optional

import numpy as _np

from ..core.fastpath import ENABLED
from ._wrap import _F8, MAX_ONES, ones_vector


def _load() -> Optional[ModuleType]:
    if not ENABLED:
        return None
    try:
        from . import _fastrules
    except ImportError:  # not built: the Python rules
        return None
    _fastrules.configure(ndarray=_np.ndarray, float64=_F8, subtract=_np.subtract,
                         ones=ones_vector, max_ones=MAX_ONES)
    return _fastrules


EXT: Optional[ModuleType] = _load()


def twin(kind: str, rule: Callable) -> Callable:
    """``rule`` with its fast branch in C where the twins are built (``kind`` names the branch)."""
    return rule if EXT is None else EXT.rule(kind, rule)

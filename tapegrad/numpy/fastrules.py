"""C twins of the first-order fast branches of the hottest rules (``_fastrules.c``).

An optional speed mechanism: ``twin(kind, rule)`` returns ``rule`` itself, or
a C callable that computes ``rule``'s fast branch (plain float arrays at first
order: add's pass-through and row bias, matmul's two products, tanh's
derivative) without a Python frame and calls ``rule`` for every other call.
The Python rule is the reference; the twins give the same bits
(``tests/test_fastpath.py``). They cut the RNN's gradient by about a tenth
(``python benchmarks/mechanisms.py fast_rules``; docs/performance.md).

``TAPEGRAD_FAST_RULES=0`` in the environment (read once, by the first derivative) turns them
off; so do ``TAPEGRAD_PURE_PYTHON=1`` and an install without a C compiler.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Callable, Optional

import numpy as _np

from ..core.fastpath import ENABLED
from ._wrap import _F8, MAX_ONES, ones_vector


def _load() -> Optional[ModuleType]:
    if not ENABLED or os.environ.get("TAPEGRAD_FAST_RULES", "") == "0":
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
    """``rule`` with its fast branch in C where the twins are built and on (``kind`` names the branch)."""
    return rule if EXT is None else EXT.rule(kind, rule)

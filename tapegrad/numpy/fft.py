"""``tapegrad.numpy.fft``: rules to come; plain NumPy names are available meanwhile."""

from __future__ import annotations

from typing import Any

import numpy as _np


def __getattr__(name: str) -> Any:
    from .missing import is_function, lookup

    obj = getattr(_np.fft, name)
    return lookup(obj, f"numpy.fft.{name}") if is_function(obj) else obj

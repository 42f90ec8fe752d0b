"""``tapegrad.scipy``: SciPy functions with derivatives, at autograd's module paths.

``tapegrad.scipy.special`` holds primitives wrapping ``scipy.special`` (its
ufuncs also dispatch from plain ``scipy.special`` calls on traced values);
``tapegrad.scipy.stats`` holds one module per distribution (``norm``, ``t``, ...)
written as compositions of those primitives; ``linalg``, ``signal`` and
``integrate`` follow SciPy's signatures; ``optimize`` calls SciPy's solvers
(``minimize``, ``least_squares``, ``root``) with derivatives computed from the
function.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> from tapegrad.scipy.stats import norm
>>> float(grad(lambda mu: np.sum(norm.logpdf(np.array([0.5, 1.5]), mu, 1.0)))(0.0))
2.0
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["special", "stats", "linalg", "signal", "integrate", "optimize"]


def __getattr__(name: str) -> Any:
    """Import a submodule on first use: SciPy's own modules take a second or more to import."""
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tapegrad.scipy' has no attribute {name!r}")

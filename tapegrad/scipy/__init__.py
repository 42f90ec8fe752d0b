"""``tapegrad.scipy``: SciPy functions with derivatives, at autograd's module paths.

``tapegrad.scipy.special`` holds primitives wrapping ``scipy.special`` (its
ufuncs also dispatch from plain ``scipy.special`` calls on traced values);
``tapegrad.scipy.stats`` holds one module per distribution (``norm``, ``t``, ...)
written as compositions of those primitives; ``linalg``, ``signal`` and
``integrate`` follow SciPy's signatures.
"""

from __future__ import annotations

from . import integrate, linalg, signal, special, stats  # noqa: F401

__all__ = ["special", "stats", "linalg", "signal", "integrate"]

"""``tapegrad.scipy``: SciPy functions with derivatives, at autograd's module paths.

``tapegrad.scipy.special`` holds primitives wrapping ``scipy.special`` (its
ufuncs also dispatch from plain ``scipy.special`` calls on traced values);
``tapegrad.scipy.stats`` holds one module per distribution (``norm``, ``t``, ...)
written as compositions of those primitives; ``linalg``, ``signal`` and
``integrate`` follow SciPy's signatures.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> from tapegrad.scipy.stats import norm
>>> float(grad(lambda mu: np.sum(norm.logpdf(np.array([0.5, 1.5]), mu, 1.0)))(0.0))
2.0
"""

from __future__ import annotations

from . import integrate, linalg, signal, special, stats  # noqa: F401

__all__ = ["special", "stats", "linalg", "signal", "integrate"]

"""The Dirichlet distribution: ``tapegrad.scipy.stats.dirichlet``, differentiable in x and alpha.

As in SciPy, the components of ``x`` run along its first axis: ``x`` of shape
(K,) is one point, (K, n) is n points. Unlike SciPy, ``x`` is not checked to
lie on the simplex, and all K components must be given.
"""

from __future__ import annotations

from typing import Any

from ...core import Box, NonDifferentiableError
from ...numpy import exp, sum
from ...numpy._wrap import shape_of
from ...numpy.shaping import reshape
from ..special import gammaln, xlogy


def logpdf(x: Any, alpha: Any) -> Any:
    """Log density: sum((alpha - 1) log x) - log B(alpha)."""
    k = shape_of(alpha)[0]
    a = reshape(alpha, (k,) + (1,) * (len(shape_of(x)) - 1))
    log_b = sum(gammaln(alpha)) - gammaln(sum(alpha))
    return sum(xlogy(a - 1, x), axis=0) - log_b


def rvs(alpha: Any, size: Any = 1, random_state: Any = None) -> Any:
    """Samples (SciPy's), which carry no derivative: ``alpha`` must not be traced."""
    if isinstance(alpha, Box):
        raise NonDifferentiableError(
            "tapegrad.scipy.stats.dirichlet.rvs: samples carry no derivative in alpha; "
            "pass a constant alpha or tapegrad.stop_gradient(alpha)"
        )
    import scipy.stats  # slow to import: only when sampling

    return scipy.stats.dirichlet.rvs(alpha, size=size, random_state=random_state)


def pdf(x: Any, alpha: Any) -> Any:
    """Density."""
    return exp(logpdf(x, alpha))


__all__ = ["logpdf", "pdf", "rvs"]

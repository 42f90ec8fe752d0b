"""The multivariate normal distribution: ``tapegrad.scipy.stats.multivariate_normal``.

Differentiable in x, mean and cov through a Cholesky factorization. ``cov`` may
be a matrix, a vector (a diagonal covariance) or a scalar (a multiple of the
identity), as in SciPy. Cotangents of a matrix ``cov`` reach the lower triangle
that the Cholesky factorization reads (as ``numpy.linalg.cholesky``'s do). The
covariance must be positive definite, unless ``allow_singular=True``: then, as
in SciPy, the density is taken on the support of a positive semi-definite
``cov`` (its pseudo-determinant and pseudo-inverse; ``-inf`` off the support),
differentiable in ``x`` and ``mean`` only (as in autograd: a singular
covariance has no derivative there).
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ...core import Box, getval
from ...numpy import exp, log, sum, where
from ...numpy._wrap import shape_of
from ...numpy.shaping import reshape
from ..linalg import cholesky, solve_triangular
from ._common import HALF_LOG_2PI


def _dim(mean: Any, cov: Any) -> int:
    if mean is not None and shape_of(mean):
        return shape_of(mean)[-1]
    return shape_of(cov)[-1] if shape_of(cov) else 1


def _logdet_and_maha(dev: Any, cov: Any, d: int) -> tuple:
    """log det(cov) and the squared Mahalanobis norms of the rows of ``dev`` (shape (n, d))."""
    ndim = len(shape_of(cov))
    if ndim == 2:
        low = cholesky(cov, lower=True)
        sol = solve_triangular(low, dev.T, lower=True)  # (d, n)
        diag = low[_np.arange(d), _np.arange(d)]
        return 2.0 * sum(log(diag)), sum(sol * sol, axis=0)
    if ndim == 1:
        return sum(log(cov)), sum(dev * dev / cov, axis=1)
    return d * log(cov), sum(dev * dev, axis=1) / cov


def _singular_terms(dev: Any, cov: Any) -> tuple:
    """log pdet(cov), the Mahalanobis norms through its pseudo-inverse, its rank, and which rows
    of ``dev`` lie on its support (SciPy's cut-off for negligible eigenvalues)."""
    if isinstance(cov, Box) and cov._trace.level > 0:
        raise NotImplementedError(
            "multivariate_normal with allow_singular=True is not differentiable with respect to the "
            "covariance (as in autograd): pass cov as a constant, or make it positive definite."
        )
    s, u = _np.linalg.eigh(_np.asarray(getval(cov)))
    eps = {"f": 1e3, "d": 1e6}.get(s.dtype.char.lower(), 1e6) * _np.finfo(s.dtype).eps * _np.max(_np.abs(s))
    if _np.min(s) < -eps:
        raise ValueError("The input matrix must be symmetric positive semidefinite.")
    kept = s > eps
    whiten = u[:, kept] / _np.sqrt(s[kept])  # dev @ whiten: coordinates of unit variance
    z = dev @ whiten
    on_support = _np.linalg.norm(getval(dev) @ u[:, ~kept], axis=-1) < 1e3 * eps
    return _np.sum(_np.log(s[kept])), sum(z * z, axis=1), int(kept.sum()), on_support


def logpdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """Log density at the points along the last axis of ``x`` (SciPy's output shape)."""
    d = _dim(mean, cov)
    x_shape = shape_of(x)
    if d == 1 and (not x_shape or x_shape[-1] != 1):
        x_shape = x_shape + (1,)  # scalars and vectors of one-dimensional points
    batch = x_shape[:-1]
    dev = reshape(x, (-1, d)) - (0.0 if mean is None else reshape(mean, (d,)))
    if allow_singular and len(shape_of(cov)) == 2:
        logdet, maha, rank, on_support = _singular_terms(dev, cov)
        out = where(on_support, -0.5 * (maha + logdet) - rank * HALF_LOG_2PI, -_np.inf)
    else:
        logdet, maha = _logdet_and_maha(dev, cov, d)
        out = -0.5 * (maha + logdet) - d * HALF_LOG_2PI
    out = reshape(out, batch)
    return out[()] if not batch else out  # one point: a scalar, as SciPy returns


def pdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """Density."""
    return exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean: Any = None, cov: Any = 1) -> Any:
    """Differential entropy: (log det(2 pi e cov)) / 2."""
    d = _dim(mean, cov)
    logdet, _ = _logdet_and_maha(_np.zeros((1, d)), cov, d)
    return 0.5 * logdet + d * (0.5 + HALF_LOG_2PI)


__all__ = ["logpdf", "pdf", "entropy"]

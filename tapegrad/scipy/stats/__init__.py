"""``tapegrad.scipy.stats``: one module per distribution, as in autograd.

``import tapegrad.scipy.stats.norm as norm`` and
``from tapegrad.scipy.stats import norm`` both give the module; its functions
(``logpdf``, ``cdf``, ...) take SciPy's arguments and are compositions of
differentiable special functions, so every continuous argument can be traced
(see each module for the few parameters that cannot).
"""

from __future__ import annotations

from . import beta, cauchy, chi2, dirichlet, expon, gamma, laplace, logistic, lognorm, multivariate_normal, norm, poisson, t, uniform

__all__ = [
    "norm", "t", "gamma", "beta", "chi2", "expon", "laplace", "cauchy", "logistic", "lognorm", "uniform",
    "poisson", "multivariate_normal", "dirichlet",
]

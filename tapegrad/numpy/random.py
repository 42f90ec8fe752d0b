"""``tapegrad.numpy.random``: NumPy's random sampling, as plain (non-differentiated) values.

Samples carry no derivative: every sampler here is NumPy's own on plain
arguments, and refuses a traced parameter with a
:class:`~tapegrad.core.NonDifferentiableError` (a ``NotImplementedError``)
rather than silently dropping its gradient. To differentiate through a sample,
reparameterise: ``loc + scale * np.random.standard_normal(shape)``.

``permutation`` and ``choice`` of a traced *population* are selections, so they
are differentiated (the sampled indices are plain), and they draw exactly the
same random numbers as NumPy does.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> np.random.seed(0)
>>> eps = np.random.standard_normal(3)
>>> def mean_sample(loc):  # reparameterised: differentiable in loc
...     return np.mean(loc + 2.0 * eps)
>>> float(grad(mean_sample)(1.5))
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box
from .missing import is_function, lookup

_SAMPLERS = [
    # state and seeding
    "seed", "get_state", "set_state", "get_bit_generator", "set_bit_generator",
    # simple samplers
    "rand", "randn", "randint", "random", "random_sample", "ranf", "sample", "random_integers", "bytes",
    "shuffle",
    # distributions
    "normal", "uniform", "standard_normal", "standard_exponential", "standard_gamma", "standard_cauchy",
    "standard_t", "beta", "binomial", "chisquare", "dirichlet", "exponential", "f", "gamma", "geometric",
    "gumbel", "hypergeometric", "laplace", "logistic", "lognormal", "logseries", "multinomial",
    "multivariate_normal", "negative_binomial", "noncentral_chisquare", "noncentral_f", "pareto", "poisson",
    "power", "rayleigh", "triangular", "vonmises", "wald", "weibull", "zipf",
]
# Generators and their state: NumPy's own classes and factories.
_CLASSES = [
    "default_rng", "Generator", "RandomState", "SeedSequence", "BitGenerator",
    "MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64",
]

__all__ = _SAMPLERS + _CLASSES + ["permutation", "choice"]

# Plain pass-throughs that refuse traced arguments (see missing.lookup).
for _name in _SAMPLERS:
    globals()[_name] = lookup(getattr(_np.random, _name), f"numpy.random.{_name}")
for _name in _CLASSES:
    globals()[_name] = getattr(_np.random, _name)
del _name


def permutation(x: Any) -> Any:
    """``numpy.random.permutation``; a traced array is permuted differentiably along its first axis.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> np.random.seed(1)
    >>> g = grad(lambda x: np.sum(np.random.permutation(x) * w))(np.array([0.0, 0.0, 0.0]))
    >>> np.random.seed(1)
    >>> bool(np.all(g[np.random.permutation(3)] == w))
    True
    """
    if isinstance(x, Box):
        from .indexing import getitem

        return getitem(x, _np.random.permutation(x.shape[0]))
    return _np.random.permutation(x)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    """``numpy.random.choice``; a traced population ``a`` is differentiated, a traced ``p`` refused."""
    if isinstance(a, Box):
        if isinstance(p, Box):
            lookup(_np.random.choice, "numpy.random.choice")(a, size, replace, p)  # raises
        from .indexing import getitem

        if len(a.shape) != 1:
            raise ValueError("a must be 1-dimensional")
        return getitem(a, _np.random.choice(a.shape[0], size, replace, p))
    return lookup(_np.random.choice, "numpy.random.choice")(a, size, replace, p)


def __getattr__(name: str) -> Any:
    """Any other ``numpy.random`` name, guarded against traced values."""
    obj = getattr(_np.random, name)
    return lookup(obj, f"numpy.random.{name}") if is_function(obj) else obj

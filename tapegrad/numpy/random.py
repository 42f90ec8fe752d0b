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

import functools
import inspect
from typing import Any, Optional

import numpy as _np

from ..core import Box, NonDifferentiableError
from .missing import is_function, lookup
from .shaping import contains_box
from . import indexing as _indexing

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

# How a sample of each distribution is written as a differentiable function of its parameters and of
# noise drawn without them (the reparameterisation trick); ``{rng}`` is ``np.random`` or a Generator.
_REPARAMETERISED = {
    "normal": "loc + scale * {rng}.standard_normal(size)",
    "uniform": "low + (high - low) * {rng}.random(size)",
    "exponential": "scale * {rng}.standard_exponential(size)",
    "lognormal": "np.exp(mean + sigma * {rng}.standard_normal(size))",
    "laplace": "loc + scale * {rng}.laplace(0.0, 1.0, size)",
    "logistic": "loc + scale * {rng}.logistic(0.0, 1.0, size)",
    "gumbel": "loc + scale * {rng}.gumbel(0.0, 1.0, size)",
    "rayleigh": "scale * {rng}.rayleigh(1.0, size)",
    "weibull": "{rng}.standard_exponential(size) ** (1.0 / a)",
    "pareto": "np.expm1({rng}.standard_exponential(size) / a)",
    "power": "(-np.expm1(-{rng}.standard_exponential(size))) ** (1.0 / a)",
    "gamma": "scale * {rng}.standard_gamma(shape, size) (for a traced scale; shape has none)",
    "multivariate_normal": "mean + {rng}.standard_normal(size + (len(mean),)) @ np.linalg.cholesky(cov).T",
}
_DISCRETE = {"binomial", "geometric", "hypergeometric", "logseries", "multinomial", "negative_binomial", "poisson",
             "zipf", "randint", "random_integers", "integers", "choice"}
_PARAMETERISED = set(_REPARAMETERISED) | _DISCRETE | {
    "standard_gamma", "standard_t", "beta", "chisquare", "dirichlet", "f", "noncentral_chisquare", "noncentral_f",
    "triangular", "vonmises", "wald"}


def reparameterisation(name: str, rng: str = "np.random") -> str:
    """What to do instead of drawing ``numpy.random.<name>`` with traced parameters (for the error message).

    >>> reparameterisation("normal")
    'Reparameterise: draw the noise without the parameters and transform it with differentiable operations, as in loc + scale * np.random.standard_normal(size), whose derivative flows to the parameters.'
    """
    trick = _REPARAMETERISED.get(name)
    if trick is not None:
        return ("Reparameterise: draw the noise without the parameters and transform it with differentiable "
                f"operations, as in {trick.format(rng=rng)}, whose derivative flows to the parameters.")
    if name in _DISCRETE:
        return ("Its samples are discrete: no derivative flows through them. Differentiate an expectation "
                "through the log-probability of the samples (the score-function estimator) instead.")
    return ("tapegrad knows no reparameterisation of it: write the sample as a differentiable function of "
            "the parameters and of noise drawn without them (for instance by inverting its CDF).")


def traced_parameter_error(sampler: str, name: str, traced: Optional[list] = None,
                           rng: str = "np.random") -> NonDifferentiableError:
    """The error for a sampler given traced parameters: the sampler, the parameters, the trick."""
    which = f" (its parameter {', '.join(traced)})" if traced else ""
    return NonDifferentiableError(
        f"{sampler} received a traced value{which}, and a random sample has no derivative with respect to "
        f"the parameters it is drawn with. {reparameterisation(name, rng)} Or pass "
        "tapegrad.stop_gradient(x) for a parameter that no derivative should flow through."
    )


def _traced_parameters(np_fun: Any, args: tuple, kwargs: dict) -> list:
    try:
        bound = inspect.signature(np_fun).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {**{f"#{i}": a for i, a in enumerate(args)}, **kwargs}
    return [k for k, v in bound.items() if contains_box(v)]


def _sampler(name: str) -> Any:
    """``numpy.random.<name>``, refusing traced parameters with the reparameterisation that replaces them."""
    np_fun = getattr(_np.random, name)

    @functools.wraps(np_fun)
    def sample(*args: Any, **kwargs: Any) -> Any:
        if contains_box(args) or contains_box(list(kwargs.values())):
            raise traced_parameter_error(f"numpy.random.{name}", name, _traced_parameters(np_fun, args, kwargs))
        return np_fun(*args, **kwargs)

    return sample


# Plain pass-throughs that refuse traced arguments (see missing.lookup).
for _name in _SAMPLERS:
    if _name in _PARAMETERISED:
        globals()[_name] = _sampler(_name)
    else:
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
        return _indexing.getitem(x, _np.random.permutation(x.shape[0]))
    return _np.random.permutation(x)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    """``numpy.random.choice``; a traced population ``a`` is differentiated, a traced ``p`` refused."""
    if isinstance(a, Box):
        if isinstance(p, Box):
            raise traced_parameter_error("numpy.random.choice", "choice", ["p"])

        if len(a.shape) != 1:
            raise ValueError("a must be 1-dimensional")
        return _indexing.getitem(a, _np.random.choice(a.shape[0], size, replace, p))
    if contains_box(p):
        raise traced_parameter_error("numpy.random.choice", "choice", ["p"])
    return lookup(_np.random.choice, "numpy.random.choice")(a, size, replace, p)


def __getattr__(name: str) -> Any:
    """Any other ``numpy.random`` name, guarded against traced values."""
    obj = getattr(_np.random, name)
    return lookup(obj, f"numpy.random.{name}") if is_function(obj) else obj

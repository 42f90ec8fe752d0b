"""``tapegrad.scipy.special``: ``scipy.special`` with derivatives.

The functions are primitives wrapping SciPy's own, so values are SciPy's; the
ufuncs among them also reach these rules from plain ``scipy.special`` calls on
traced values. Orders of Bessel functions are static (a traced one raises a
clear error); the incomplete gamma and beta functions and ``stdtr`` are
differentiable in every argument, shapes included.

>>> import scipy.special
>>> from tapegrad import grad
>>> float(grad(scipy.special.gammaln)(1.0))  # digamma(1), minus Euler's constant
-0.5772156649015329
"""

from __future__ import annotations

from ._bessel import *  # noqa: F403
from ._bessel import __all__ as _bessel_all
from ._erf import *  # noqa: F403
from ._erf import __all__ as _erf_all
from ._gammas import *  # noqa: F403
from ._gammas import __all__ as _gammas_all
from ._info import *  # noqa: F403
from ._info import __all__ as _info_all

from . import _batching  # noqa: E402, F401 - the rules of vmap for the functions above

__all__ = _gammas_all + _erf_all + _bessel_all + _info_all

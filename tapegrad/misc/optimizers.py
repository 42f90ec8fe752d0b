"""First-order stochastic optimisers over nested parameters: SGD with momentum, RMSProp, Adam.

``grad(x, i)`` returns the gradient at parameters ``x`` on iteration ``i``;
``x0`` and the gradient may be any nesting of tuples/lists/dicts of arrays (it
is flattened with :func:`tapegrad.misc.flatten`). ``callback(x, i, g)``, if
given, is called before each step with the nested parameters and gradient.
The updates are tapegrad operations, so an optimiser can itself be
differentiated (e.g. with respect to ``step_size``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import numpy as _np

from .. import numpy as tnp
from ..core import getval
from .flatten import flatten

__all__ = ["unflatten_optimizer", "sgd", "rmsprop", "adam"]


def unflatten_optimizer(optimize: Callable) -> Callable:
    """Turn an optimiser of flat 1-D vectors into one of nested containers.

    The wrapped ``optimize(grad, x, callback, *args, **kwargs)`` sees flat
    vectors; the returned optimiser takes and returns the nesting of ``x0``.
    """

    @functools.wraps(optimize)
    def nested(grad: Callable, x0: Any, callback: Optional[Callable] = None, *args: Any, **kwargs: Any) -> Any:
        flat_x0, unflatten = flatten(x0)

        def flat_grad(x: Any, i: int) -> Any:
            return flatten(grad(unflatten(x), i))[0]

        flat_callback = None
        if callback is not None:
            def flat_callback(x: Any, i: int, g: Any) -> None:
                callback(unflatten(x), i, unflatten(g))

        return unflatten(optimize(flat_grad, flat_x0, flat_callback, *args, **kwargs))

    return nested


@unflatten_optimizer
def sgd(grad: Callable, x: Any, callback: Optional[Callable] = None, num_iters: int = 200,
        step_size: float = 0.1, mass: float = 0.9) -> Any:
    """Stochastic gradient descent with momentum ``mass``.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import sgd
    >>> loss = lambda p: np.sum((p["w"] - 3.0) ** 2)
    >>> p = sgd(lambda p, i: grad(loss)(p), {"w": np.zeros(2)}, num_iters=300)
    >>> bool(np.allclose(p["w"], 3.0, atol=1e-3))
    True
    """
    velocity = _np.zeros(_np.shape(getval(x)))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad: Callable, x: Any, callback: Optional[Callable] = None, num_iters: int = 100,
            step_size: float = 0.1, gamma: float = 0.9, eps: float = 1e-8) -> Any:
    """RMSProp: steps scaled by a running root-mean-square of the gradient (decay ``gamma``).

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import rmsprop
    >>> w = rmsprop(lambda w, i: grad(lambda w: np.sum((w - 1.0) ** 2))(w), np.zeros(3), step_size=0.01, num_iters=500)
    >>> bool(np.allclose(w, 1.0, atol=0.05))
    True
    """
    avg_sq_grad = _np.ones(_np.shape(getval(x)))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        avg_sq_grad = gamma * avg_sq_grad + (1.0 - gamma) * g ** 2
        x = x - step_size * g / (tnp.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad: Callable, x: Any, callback: Optional[Callable] = None, num_iters: int = 100,
         step_size: float = 0.001, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Any:
    """Adam (Kingma and Ba, 2014): momentum and RMS scaling with bias correction.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import adam
    >>> loss = lambda p: (p[0] - 2.0) ** 2 + np.sum(p[1] ** 2)
    >>> p = adam(lambda p, i: grad(loss)(p), (0.0, np.ones(2)), step_size=0.1, num_iters=500)
    >>> bool(abs(p[0] - 2.0) < 1e-2 and np.all(np.abs(p[1]) < 1e-2))
    True
    """
    m = _np.zeros(_np.shape(getval(x)))
    v = _np.zeros(_np.shape(getval(x)))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        m = b1 * m + (1.0 - b1) * g  # first-moment estimate
        v = b2 * v + (1.0 - b2) * g ** 2  # second-moment estimate
        m_hat = m / (1.0 - b1 ** (i + 1))  # bias corrections
        v_hat = v / (1.0 - b2 ** (i + 1))
        x = x - step_size * m_hat / (tnp.sqrt(v_hat) + eps)
    return x

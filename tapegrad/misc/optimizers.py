"""First-order stochastic optimisers over nested parameters: SGD, momentum, RMSProp, Adam.

Each optimiser keeps autograd's signature, ``opt(grad, x0, callback=None,
num_iters=..., step_size=..., ...)`` where ``grad(x, i)`` returns the
gradient at parameters ``x`` on iteration ``i``, and accepts instead a loss to
minimise, from which it takes the value and the gradient in one pass:

* ``loss=f``: ``f(x, i)`` (or ``f(x)``, when ``f`` requires one positional
  argument) returns the scalar loss; its gradient comes from
  :func:`tapegrad.value_and_grad`, so each step runs ``f`` exactly once;
* ``loss_and_grad=h``: ``h(x, i)`` (or ``h(x)``) returns ``(loss, gradient)``,
  e.g. ``value_and_grad(f)`` or hand-written derivatives.

``x0`` and the gradient may be any nesting of tuples/lists/dicts of arrays (it
is flattened with :func:`tapegrad.misc.flatten`). The callback is called
before each step as ``callback(x, i, g)`` (autograd's) or, when it takes four
positional parameters, ``callback(x, i, g, loss)``, with the loss at ``x``
already computed (``None`` when only ``grad`` was given). ``progress=True``
shows a progress bar with the loss (tqdm, when installed: ``pip install
tapegrad[progress]``; else a line of text every tenth of the run), on
standard error. The updates are tapegrad operations, so an optimiser can
itself be differentiated (e.g. with respect to ``step_size``).

>>> import tapegrad.numpy as np
>>> from tapegrad.misc.optimizers import adam
>>> seen = []
>>> def record(x, i, g, loss):
...     seen.append(float(loss))
>>> w = adam(loss=lambda w: np.sum((w - 1.0) ** 2), x0=np.zeros(2), step_size=0.1, num_iters=300, callback=record)
>>> seen[0], seen[-1] < 1e-6
(2.0, True)
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any, Callable, Optional

import numpy as _np

from .. import numpy as tnp
from ..core import getval
from ..differential_operators import value_and_grad
from .flatten import flatten

__all__ = ["unflatten_optimizer", "sgd", "momentum", "rmsprop", "adam"]


def unflatten_optimizer(optimize: Callable) -> Callable:
    """Turn an optimiser of flat 1-D vectors into one of nested containers (autograd's decorator).

    The wrapped ``optimize(grad, x, callback, *args, **kwargs)`` sees flat
    vectors; the returned optimiser takes and returns the nesting of ``x0``.

    >>> import numpy as onp
    >>> @unflatten_optimizer
    ... def descend(grad, x, callback=None, num_iters=10):
    ...     for i in range(num_iters):
    ...         x = x - 0.5 * grad(x, i)
    ...     return x
    >>> descend(lambda p, i: {"a": p["a"] - 1.0}, {"a": onp.zeros(2)})["a"].round(3)
    array([0.999, 0.999])
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


# ----- the shared loop -------------------------------------------------------------------------------


def _positional_counts(fun: Callable) -> Optional[tuple[int, int, bool]]:
    """(required positional parameters, all positional parameters, takes *args), or None if unknown."""
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    return len(required), len(positional), any(p.kind is p.VAR_POSITIONAL for p in params)


def _with_iteration(fun: Callable) -> Callable[[Any, int], Any]:
    """``fun(x, i)``, or ``fun(x)`` when ``fun`` requires one positional argument only.

    When the signature does not tell (``*args``, as the functions that
    ``value_and_grad`` returns have), the first call tries ``fun(x, i)`` and,
    if that raises a ``TypeError``, ``fun(x)``; the original error is raised
    if both fail. The form that worked is kept for later calls.
    """
    counts = _positional_counts(fun)
    if counts is not None and not counts[2]:
        return (lambda x, i: fun(x)) if counts[0] <= 1 else fun
    if counts is not None and counts[0] >= 2:
        return fun
    chosen: list = []

    def call(x: Any, i: int) -> Any:
        if chosen:
            return fun(x, i) if chosen[0] else fun(x)
        try:
            out = fun(x, i)
        except TypeError as first:
            try:
                out = fun(x)
            except TypeError:
                raise first from None
            chosen.append(False)
            return out
        chosen.append(True)
        return out

    return call


def _wants_loss(callback: Callable) -> bool:
    """Whether ``callback`` takes a fourth positional parameter, the loss (autograd's takes three)."""
    counts = _positional_counts(callback)
    return counts is not None and counts[1] >= 4


def _tqdm() -> Optional[Callable]:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class _Progress:
    """A tqdm bar, or lines of text on standard error without tqdm; nothing when off."""

    def __init__(self, name: str, total: int, enabled: bool):
        self.name, self.total, self.bar, self.text = name, total, None, False
        if not enabled:
            return
        tqdm = _tqdm()
        if tqdm is not None:
            self.bar = tqdm(total=total, desc=name, unit="step")
        else:
            self.text = True
            self.every = max(1, total // 10)

    def update(self, i: int, loss: Any) -> None:
        value = None if loss is None else float(_np.asarray(getval(loss)).reshape(-1)[0])
        if self.bar is not None:
            if value is not None:
                self.bar.set_postfix(loss=f"{value:.6g}", refresh=False)
            self.bar.update(1)
        elif self.text and ((i + 1) % self.every == 0 or i + 1 == self.total):
            width = len(str(self.total))
            line = f"{self.name}: step {i + 1:>{width}}/{self.total}"
            print(line if value is None else f"{line}  loss {value:.6g}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run(name: str, init: Callable, update: Callable, grad: Optional[Callable], x0: Any,
         callback: Optional[Callable], num_iters: int, loss: Optional[Callable], loss_and_grad: Optional[Callable],
         progress: bool) -> Any:
    """The loop every optimiser shares: gradient (and loss), callback, progress, ``update`` on flat vectors.

    ``init(shape)`` makes the optimiser's state; ``update(x, g, i, state)`` returns ``(x, state)``.
    """
    given = [k for k, v in (("grad", grad), ("loss", loss), ("loss_and_grad", loss_and_grad)) if v is not None]
    if len(given) != 1:
        raise TypeError(f"{name}() needs exactly one of grad, loss= or loss_and_grad=; got "
                        f"{', '.join(given) if given else 'none'}")
    if x0 is None:
        raise TypeError(f"{name}() missing the starting point x0")
    x, unflatten = flatten(x0)
    state = init(_np.shape(getval(x)))

    if loss is not None:
        loss_i = _with_iteration(loss)

        def step(x: Any, i: int) -> tuple[Any, Any]:
            return value_and_grad(lambda v: loss_i(unflatten(v), i))(x)  # one forward pass
    elif loss_and_grad is not None:
        both = _with_iteration(loss_and_grad)

        def step(x: Any, i: int) -> tuple[Any, Any]:
            value, g = both(unflatten(x), i)
            return value, flatten(g)[0]
    else:
        def step(x: Any, i: int) -> tuple[Any, Any]:
            return None, flatten(grad(unflatten(x), i))[0]

    with_loss = callback is not None and _wants_loss(callback)
    bar = _Progress(name, num_iters, progress)
    try:
        for i in range(num_iters):
            value, g = step(x, i)
            if callback is not None:
                if with_loss:
                    callback(unflatten(x), i, unflatten(g), value)
                else:
                    callback(unflatten(x), i, unflatten(g))
            bar.update(i, value)
            x, state = update(x, g, i, state)
    finally:
        bar.close()
    return unflatten(x)


# ----- the optimisers --------------------------------------------------------------------------------


def sgd(grad: Optional[Callable] = None, x0: Any = None, callback: Optional[Callable] = None, num_iters: int = 200,
        step_size: float = 0.1, mass: float = 0.9, *, loss: Optional[Callable] = None,
        loss_and_grad: Optional[Callable] = None, progress: bool = False) -> Any:
    """Stochastic gradient descent with momentum ``mass`` (autograd's ``sgd``).

    Each step: ``velocity = mass * velocity - (1 - mass) * g``, then
    ``x = x + step_size * velocity``. ``grad(x, i)`` returns the gradient;
    or pass ``loss=f`` (``f(x, i)`` or ``f(x)``) or ``loss_and_grad=h``
    instead. ``callback(x, i, g)`` or ``callback(x, i, g, loss)`` is called
    before each step; ``progress=True`` shows a progress bar.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import sgd
    >>> loss = lambda p: np.sum((p["w"] - 3.0) ** 2)
    >>> p = sgd(lambda p, i: grad(loss)(p), {"w": np.zeros(2)}, num_iters=300)
    >>> bool(np.allclose(p["w"], 3.0, atol=1e-3))
    True
    >>> p = sgd(loss=loss, x0={"w": np.zeros(2)}, num_iters=300)  # the same, from the loss
    >>> bool(np.allclose(p["w"], 3.0, atol=1e-3))
    True
    """

    def update(x: Any, g: Any, i: int, velocity: Any) -> tuple[Any, Any]:
        velocity = mass * velocity - (1.0 - mass) * g
        return x + step_size * velocity, velocity

    return _run("sgd", _np.zeros, update, grad, x0, callback, num_iters, loss, loss_and_grad, progress)


def momentum(grad: Optional[Callable] = None, x0: Any = None, callback: Optional[Callable] = None,
             num_iters: int = 200, step_size: float = 0.01, mass: float = 0.9, nesterov: bool = False, *,
             loss: Optional[Callable] = None, loss_and_grad: Optional[Callable] = None,
             progress: bool = False) -> Any:
    """Gradient descent with classical (heavy-ball) momentum, or Nesterov's with ``nesterov=True``.

    Each step: ``velocity = mass * velocity - step_size * g``, then
    ``x = x + velocity`` (Nesterov: ``x = x + mass * velocity - step_size * g``).
    Unlike :func:`sgd` (autograd's, which damps the gradient by ``1 - mass``),
    the step size multiplies the full gradient, as in PyTorch and Keras. The
    arguments are those of :func:`sgd`: ``grad(x, i)``, or ``loss=`` or
    ``loss_and_grad=``; ``callback(x, i, g)`` or ``callback(x, i, g, loss)``;
    ``progress=True`` for a progress bar.

    >>> import tapegrad.numpy as np
    >>> from tapegrad.misc.optimizers import momentum
    >>> losses = []
    >>> x = momentum(loss=lambda x, i: np.sum((x - 2.0) ** 2), x0=np.zeros(3), num_iters=200, step_size=0.05,
    ...              callback=lambda x, i, g, loss: losses.append(float(loss)))
    >>> x.round(4), losses[0]
    (array([2., 2., 2.]), 12.0)
    """

    def update(x: Any, g: Any, i: int, velocity: Any) -> tuple[Any, Any]:
        velocity = mass * velocity - step_size * g
        if nesterov:
            return x + mass * velocity - step_size * g, velocity
        return x + velocity, velocity

    return _run("momentum", _np.zeros, update, grad, x0, callback, num_iters, loss, loss_and_grad, progress)


def rmsprop(grad: Optional[Callable] = None, x0: Any = None, callback: Optional[Callable] = None,
            num_iters: int = 100, step_size: float = 0.1, gamma: float = 0.9, eps: float = 1e-8, *,
            loss: Optional[Callable] = None, loss_and_grad: Optional[Callable] = None,
            progress: bool = False) -> Any:
    """RMSProp: steps scaled by a running root-mean-square of the gradient (decay ``gamma``).

    ``grad(x, i)`` returns the gradient; or pass ``loss=f`` (``f(x, i)`` or
    ``f(x)``) or ``loss_and_grad=h``. ``callback(x, i, g)`` or
    ``callback(x, i, g, loss)`` is called before each step;
    ``progress=True`` shows a progress bar.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import rmsprop
    >>> w = rmsprop(lambda w, i: grad(lambda w: np.sum((w - 1.0) ** 2))(w), np.zeros(3), step_size=0.01, num_iters=500)
    >>> bool(np.allclose(w, 1.0, atol=0.05))
    True
    """

    def update(x: Any, g: Any, i: int, avg_sq_grad: Any) -> tuple[Any, Any]:
        avg_sq_grad = gamma * avg_sq_grad + (1.0 - gamma) * g ** 2
        return x - step_size * g / (tnp.sqrt(avg_sq_grad) + eps), avg_sq_grad

    return _run("rmsprop", _np.ones, update, grad, x0, callback, num_iters, loss, loss_and_grad, progress)


def adam(grad: Optional[Callable] = None, x0: Any = None, callback: Optional[Callable] = None,
         num_iters: int = 100, step_size: float = 0.001, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, *,
         loss: Optional[Callable] = None, loss_and_grad: Optional[Callable] = None, progress: bool = False) -> Any:
    """Adam (Kingma and Ba, 2014): momentum and RMS scaling with bias correction.

    ``grad(x, i)`` returns the gradient; or pass ``loss=f`` (``f(x, i)`` or
    ``f(x)``: one forward pass a step gives the loss and the gradient) or
    ``loss_and_grad=h``. ``callback(x, i, g)`` or ``callback(x, i, g, loss)``
    is called before each step, with ``loss`` the loss at ``x``;
    ``progress=True`` shows a progress bar with the loss.

    >>> import tapegrad.numpy as np
    >>> from tapegrad import grad
    >>> from tapegrad.misc import adam
    >>> loss = lambda p: (p[0] - 2.0) ** 2 + np.sum(p[1] ** 2)
    >>> p = adam(lambda p, i: grad(loss)(p), (0.0, np.ones(2)), step_size=0.1, num_iters=500)
    >>> bool(abs(p[0] - 2.0) < 1e-2 and np.all(np.abs(p[1]) < 1e-2))
    True
    >>> def report(x, i, g, loss):  # four parameters: the loss comes too
    ...     if i % 50 == 0:
    ...         print(i, f"{float(loss):.3g}")
    >>> p = adam(loss=loss, x0=(0.0, np.ones(2)), step_size=0.1, num_iters=101, callback=report)
    0 6
    50 0.00579
    100 8.82e-05
    """

    def update(x: Any, g: Any, i: int, moments: Any) -> tuple[Any, Any]:
        m, v = moments
        m = b1 * m + (1.0 - b1) * g  # first-moment estimate
        v = b2 * v + (1.0 - b2) * g ** 2  # second-moment estimate
        m_hat = m / (1.0 - b1 ** (i + 1))  # bias corrections
        v_hat = v / (1.0 - b2 ** (i + 1))
        return x - step_size * m_hat / (tnp.sqrt(v_hat) + eps), (m, v)

    return _run("adam", lambda shape: (_np.zeros(shape), _np.zeros(shape)), update, grad, x0, callback, num_iters,
                loss, loss_and_grad, progress)

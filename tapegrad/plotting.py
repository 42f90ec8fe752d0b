"""Plots of a function of one variable and its derivatives (matplotlib, the ``examples`` extra).

>>> import numpy
>>> import tapegrad.numpy as np
>>> from tapegrad.plotting import derivative_curves
>>> curves = derivative_curves(np.tanh, numpy.array([0.0, 1.0]), order=2)
>>> [c.round(4).tolist() for c in curves]
[[0.0, 0.7616], [1.0, 0.42], [-0.0, -0.6397]]
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as _np

from .differential_operators import elementwise_grad, grad

__all__ = ["derivative_curves", "plot_derivatives"]


def _pointwise(fun: Callable, x: _np.ndarray, order: int) -> list:
    """The curves one point at a time, by nested ``grad`` (for a function that is not elementwise)."""
    funs = [fun]
    for _ in range(order):
        funs.append(grad(funs[-1]))
    return [_np.array([float(f(float(t))) for t in x]) for f in funs]


def derivative_curves(fun: Callable, x: Any, order: int = 4) -> list:
    """``[f(x), f'(x), ..., f^(order)(x)]`` at the points of the 1-D array ``x``, as arrays.

    ``fun`` maps a number to a number. Applied to the whole array at once when
    it acts elementwise (``np.tanh``, ``lambda t: t ** 3 * np.sin(t)``), which
    is checked at a few points against the point-by-point derivative; else
    computed point by point.
    """
    x = _np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of points, not an array of shape {x.shape}")
    if not isinstance(order, int) or order < 0:
        raise ValueError(f"order must be a non-negative integer, not {order!r}")
    funs = [fun]
    for _ in range(order):
        funs.append(elementwise_grad(funs[-1]))
    try:
        curves = [_np.broadcast_to(_np.asarray(f(x), dtype=float), x.shape).copy() for f in funs]
    except Exception:  # a function of one number only (float(x), math.sin...)
        return _pointwise(fun, x, order)
    if x.size:
        probe = _np.unique(_np.array([0, x.size // 2, x.size - 1]))
        exact = _pointwise(fun, x[probe], order)
        for curve, point in zip(curves, exact):
            if not _np.allclose(curve[probe], point, rtol=1e-9, atol=1e-12, equal_nan=True):
                return _pointwise(fun, x, order)  # not elementwise: each point's own derivatives
    return curves


def plot_derivatives(fun: Callable, x: Any, order: int = 4, *, ax: Any = None, title: Optional[str] = None,
                     labels: Optional[Sequence[str]] = None) -> Any:
    """Plot ``fun`` and its first ``order`` derivatives over the points ``x``; returns the matplotlib Axes.

    The one-liner of the tour's picture: ``plot_derivatives(np.tanh, np.linspace(-7, 7, 700))``
    (then ``ax.figure.savefig("tanh.png")``). ``ax`` draws into existing axes;
    ``labels`` names the curves (default: the function's name, then
    ``derivative 1`` ...). Needs matplotlib (``pip install tapegrad[examples]``).

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw without a screen
    >>> import numpy
    >>> import tapegrad.numpy as np
    >>> from tapegrad import plot_derivatives
    >>> ax = plot_derivatives(np.tanh, numpy.linspace(-7, 7, 200), order=2)
    >>> [line.get_label() for line in ax.get_lines()]
    ['tanh', 'derivative 1', 'derivative 2']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_derivatives needs matplotlib: pip install matplotlib (or tapegrad[examples]); "
            "tapegrad.plotting.derivative_curves gives the curves without it"
        ) from None
    x = _np.asarray(x, dtype=float)
    curves = derivative_curves(fun, x, order)
    name = getattr(fun, "__name__", "f")
    if name.startswith("<"):
        name = "f"
    if labels is None:
        labels = [name] + [f"derivative {k}" for k in range(1, order + 1)]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for curve, label in zip(curves, labels):
        ax.plot(x, curve, label=label)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title if title is not None else
                 f"{name} and its first {order} derivative{'s' * (order != 1)} (tapegrad)")
    return ax

"""Batching rules of reductions and scans: the same function over the stack, its axes moved past the examples'.

``axis=None`` (every axis of an example) becomes the explicit axes of an
example; the examples' axis is never reduced. Scans with ``axis=None`` run
over each example flattened.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import def_rules
from . import nondiff, products, reductions, scans
from .batching import PLAIN_RULES, axes_of, axis_of, batch_size, example_ndim, front, named, reshaped, unbatched


def reduction(fun: Callable, np_fun: Callable) -> Callable:
    """The rule of a reduction over ``axis=`` (None: all): ``fun`` on the stack, over the examples' axes."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        params = named(np_fun, args, kwargs)
        if params.get("axis") is not None and example_ndim(x, d) == 0:
            return NotImplemented  # NumPy's own answer for each example (axis=0 of a 0-d array: some allow it)
        params["axis"] = axes_of(params.get("axis"), example_ndim(x, d))
        return fun(front(x, d), **params), 0

    rule.__name__ = f"batch_{getattr(np_fun, '__name__', 'reduction')}"
    return rule


def scan(fun: Callable, np_fun: Callable) -> Callable:
    """The rule of a scan along ``axis=`` (None: the flattened example)."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        params = named(np_fun, args, kwargs)
        axis = params.get("axis")
        if axis is not None and example_ndim(x, d) == 0:
            return NotImplemented  # NumPy's own answer for each example (see reduction)
        x = front(x, d)
        if axis is None:
            x = reshaped(x, (batch_size(args, dims), -1))
            params["axis"] = 1
        else:
            params["axis"] = axis_of(axis, example_ndim(args[0], d))
        return fun(x, **params), 0

    rule.__name__ = f"batch_{getattr(np_fun, '__name__', 'scan')}"
    return rule


for _fun, _np_fun in ((reductions.sum, _np.sum), (reductions.mean, _np.mean), (reductions.max, _np.max),
                      (reductions.min, _np.min), (reductions._prod, _np.prod)):
    def_rules(_fun, batch=reduction(_fun, _np_fun))
for _fun, _np_fun in ((scans.cumsum, _np.cumsum), (scans._cumprod, _np.cumprod)):
    def_rules(_fun, batch=scan(_fun, _np_fun))


def _trace_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(_np.trace, args, kwargs)
    nd = example_ndim(x, d)
    params["axis1"] = axis_of(params.get("axis1", 0), nd)
    params["axis2"] = axis_of(params.get("axis2", 1), nd)
    return products.trace(front(x, d), **params), 0


def_rules(products.trace, batch=_trace_batch)


# ----- without derivatives ------------------------------------------------------------

for _np_fun in (_np.any, _np.all, _np.count_nonzero):
    PLAIN_RULES[_np_fun] = reduction(_np_fun, _np_fun)
PLAIN_RULES[_np.argsort] = scan(_np.argsort, _np.argsort)


def _arg_extremum(np_fun: Callable) -> Callable:
    """``argmax``/``argmin``: a scan's rule (with ``axis=None``, the index into each flattened example),
    but for ``axis=None`` with ``keepdims``, whose shape a flattened batch cannot give."""
    along = scan(np_fun, np_fun)

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        params = named(np_fun, args, kwargs)
        if params.get("axis") is None and params.get("keepdims"):
            return NotImplemented
        return along(args, dims, **kwargs)

    return rule


for _np_fun in (_np.argmax, _np.argmin):
    PLAIN_RULES[_np_fun] = _arg_extremum(_np_fun)

_ = nondiff  # the functions above are wrapped there

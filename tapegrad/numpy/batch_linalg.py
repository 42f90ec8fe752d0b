"""Batching rules of linear algebra and Fourier transforms: NumPy's stacked forms.

The matrix functions of ``numpy.linalg`` work on the last two axes of a stack
of matrices, so a batch of examples is one more leading axis. The transforms
of ``numpy.fft`` take their axes by number: they move one up.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import def_rules, getval
from . import _linalg_basic as basic, _linalg_decomp as decomp, fft, linalg
from ._wrap import shape_of
from .batching import axes_of, axis_of, example_ndim, front, named, reshaped, unbatched
from .shaping import expand_dims


def _stacked_rule(fun: Callable) -> Callable:
    """The rule of a function of the trailing axes that maps over leading ones: ``fun`` on the stack."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        ans = fun(front(args[0], dims[0]), *args[1:], **kwargs)
        parts = getval(ans)  # a tuple, or a differentiation's box holding one
        return ans, ((0,) * len(parts) if isinstance(parts, tuple) else 0)

    rule.__name__ = f"batch_{getattr(fun, '__name__', 'linalg')}"
    return rule


for _fun in (basic.inv, basic.det, basic._slogdet, decomp._cholesky, decomp._eigh, decomp._eigvalsh,
             decomp._eig, decomp._svd, decomp._svdvals, decomp._qr):
    def_rules(_fun, batch=_stacked_rule(_fun))


def _pinv_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    params = named(_np.linalg.pinv, args, kwargs)
    if not unbatched(dims) or _np.ndim(params.get("rcond", 0)) or _np.ndim(params.get("rtol", 0) or 0):
        return NotImplemented  # a cutoff per matrix: the loop
    return basic.pinv(front(args[0], dims[0]), **params), 0


def _solve_batch(args: tuple, dims: tuple) -> Any:
    """``solve(a, b)``: ``b`` a vector (one-dimensional) or a stack of matrices, as in NumPy 2."""
    (a, b), (da, db) = args, dims
    na, nb = example_ndim(a, da), example_ndim(b, db)
    if na < 2:
        return NotImplemented
    if nb == 1:  # a column, with at least a's leading axes
        col = expand_dims(front(b, db), -1) if db is not None else reshaped(b, shape_of(b) + (1,))
        x = basic.solve(front(a, da), front(col, 0, na) if db is not None else col)
        return reshaped(x, shape_of(x)[:-1]), 0
    nd = max(na, nb)
    return basic.solve(front(a, da, nd) if da is not None else a, front(b, db, nd) if db is not None else b), 0


def_rules(basic.pinv, batch=_pinv_batch)
def_rules(basic.solve, batch=_solve_batch)


def _l2_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not unbatched(dims):
        return NotImplemented
    x, d = args[0], dims[0]
    params = named(linalg._l2_value, args, kwargs)
    params["axis"] = axes_of(params.get("axis"), example_ndim(x, d))
    return linalg._l2(front(x, d), **params), 0


def_rules(linalg._l2, batch=_l2_batch)


# ----- Fourier transforms ----------------------------------------------------------------


def _fft1_rule(fun: Callable, np_fun: Callable) -> Callable:
    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        params = named(np_fun, args, kwargs)
        params["axis"] = axis_of(params.get("axis", -1), example_ndim(x, d))
        return fun(front(x, d), **params), 0

    return rule


def _fftn_rule(fun: Callable, np_fun: Callable) -> Callable:
    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        params = named(np_fun, args, kwargs)
        nd = example_ndim(x, d)
        axes, s = params.get("axes"), params.get("s")
        if axes is None:
            axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
        params["axes"] = axes_of(tuple(axes), nd)
        return fun(front(x, d), **params), 0

    return rule


def _shift_rule(fun: Callable) -> Callable:
    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        x, d = args[0], dims[0]
        axes = args[1] if len(args) > 1 else kwargs.get("axes")
        return fun(front(x, d), axes=axes_of(axes, example_ndim(x, d))), 0

    return rule


for _fun, _np_fun in ((fft.fft, _np.fft.fft), (fft.ifft, _np.fft.ifft), (fft.rfft, _np.fft.rfft),
                      (fft.irfft, _np.fft.irfft)):
    def_rules(_fun, batch=_fft1_rule(_fun, _np_fun))
for _fun, _np_fun in ((fft.fftn, _np.fft.fftn), (fft.ifftn, _np.fft.ifftn), (fft.rfftn, _np.fft.rfftn),
                      (fft.irfftn, _np.fft.irfftn)):
    def_rules(_fun, batch=_fftn_rule(_fun, _np_fun))
for _fun in (fft.fftshift, fft.ifftshift):
    def_rules(_fun, batch=_shift_rule(_fun))


def _fit_batch(args: tuple, dims: tuple) -> Any:
    (x, shape), (d, ds) = args, dims
    if ds is not None:
        return NotImplemented
    n = shape_of(x)[d]
    return fft._fit(front(x, d), (n,) + tuple(shape)), 0


def_rules(fft._fit, batch=_fit_batch)

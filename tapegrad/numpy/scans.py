"""Scans and finite differences: cumulative sums and products, diff, gradient, trapezoid.

``cumsum`` is linear: its reverse rule is a cumulative sum running the other
way. ``cumprod`` has the ``ans / x`` rules when no factor is zero and is a scan
of multiplications otherwise, so its derivatives stay exact at zeros. The rest
are compositions of slicing, subtraction and sums.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules, getval, primitive
from ._wrap import def_linear, shape_of, wrap
from .composite import composite
from .indexing import getitem
from .reductions import sum as _sum
from .shaping import broadcast_to, concatenate, ravel, reshape
from .creation import astype


def _along(axis: int, ndim: int, sl: slice) -> tuple:
    """An index applying the slice ``sl`` along ``axis`` only."""
    return (slice(None),) * (axis % ndim) + (sl,)


_REVERSE = slice(None, None, -1)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    """``out[i] = sum(g[i:])`` along ``axis``: the transpose of a cumulative sum."""
    flip = _along(axis, len(shape_of(g)), _REVERSE)
    return getitem(cumsum(getitem(g, flip), axis=axis), flip)


def _cumsum_vjp(g: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, **kw: Any) -> Any:
    if axis is None or not shape_of(x):  # over the flattened input (a 0-d one is scanned as 1-d)
        return reshape(_reverse_cumsum(g, 0), shape_of(x))
    return _reverse_cumsum(g, axis)


cumsum = wrap(_np.cumsum)
def_rules(cumsum, vjp=_cumsum_vjp)
def_linear(cumsum, 0)


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, **kw: Any) -> Any:
    # d ans[k] / d x[i] = ans[k] / x[i] for i <= k (x has no zeros on this path).
    if axis is None or not shape_of(x):
        return reshape(_reverse_cumsum(g * ans, 0) / ravel(x), shape_of(x))
    return _reverse_cumsum(g * ans, axis) / x


_cumprod = primitive(_np.cumprod, "cumprod")
def_rules(
    _cumprod,
    vjp=_cumprod_vjp,
    jvp=lambda x_dot, ans, x, axis=None, dtype=None, **kw: ans * cumsum(x_dot / x, axis=axis),
)


def _cumprod_scan(a: Any, axis: int) -> Any:
    """Inclusive product scan by doubling (Hillis-Steele): multiplications only."""
    nd = len(shape_of(a))
    n = shape_of(a)[axis]
    y, k = a, 1
    while k < n:
        head = getitem(y, _along(axis, nd, slice(0, k)))
        tail = getitem(y, _along(axis, nd, slice(k, n))) * getitem(y, _along(axis, nd, slice(0, n - k)))
        y = concatenate([head, tail], axis=axis % nd)
        k *= 2
    return y


@composite(_np.cumprod)
def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """``numpy.cumprod``, with exact derivatives of every order also where ``a`` has zeros."""
    if dtype is not None:
        a = astype(a, dtype)
    if _np.any(getval(a) == 0):
        if axis is None:
            return _cumprod_scan(ravel(a), 0)
        return _cumprod_scan(a, axis)
    return _cumprod(a, axis=axis)


def _with_initial(r: Any, axis: int, value: float) -> Any:
    first = _np.full(shape_of(r)[:axis] + (1,) + shape_of(r)[axis + 1:], value, dtype=getval(r).dtype)
    return concatenate([first, r], axis=axis)


def _cumulative_axis(x: Any, axis: Any) -> int:
    nd = len(shape_of(x))
    if axis is None:
        if nd != 1:
            raise ValueError("For arrays which have more than one dimension ``axis`` argument is required.")
        return 0
    return axis % nd


if hasattr(_np, "cumulative_sum"):  # NumPy 2.1

    @composite(_np.cumulative_sum)
    def cumulative_sum(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False) -> Any:
        """``numpy.cumulative_sum``: :func:`cumsum`, optionally starting with 0."""
        ax = _cumulative_axis(x, axis)
        r = cumsum(x, axis=ax, dtype=dtype)
        return _with_initial(r, ax, 0) if include_initial else r

    @composite(_np.cumulative_prod)
    def cumulative_prod(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False) -> Any:
        """``numpy.cumulative_prod``: :func:`cumprod`, optionally starting with 1."""
        ax = _cumulative_axis(x, axis)
        r = cumprod(x, axis=ax, dtype=dtype)
        return _with_initial(r, ax, 1) if include_initial else r


# ----- finite differences --------------------------------------------------------


def _edge(value: Any, a_shape: tuple, axis: int) -> Any:
    """``prepend``/``append`` of diff: a scalar is broadcast to one slice along ``axis``."""
    if len(shape_of(value)) == 0:
        return broadcast_to(value, a_shape[:axis] + (1,) + a_shape[axis + 1:])
    return value


@composite(_np.diff)
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = _np._NoValue, append: Any = _np._NoValue) -> Any:
    """``numpy.diff``: the ``n``-th forward difference along ``axis``."""
    a_shape = shape_of(a)
    nd = len(a_shape)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    ax = axis % nd
    parts = [a]
    if prepend is not _np._NoValue:
        parts.insert(0, _edge(prepend, a_shape, ax))
    if append is not _np._NoValue:
        parts.append(_edge(append, a_shape, ax))
    y = concatenate(parts, axis=ax) if len(parts) > 1 else a
    later, earlier = _along(ax, nd, slice(1, None)), _along(ax, nd, slice(None, -1))
    for _ in range(n):
        y = getitem(y, later) - getitem(y, earlier)
    return y


@composite(_np.ediff1d)
def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """``numpy.ediff1d``: differences of the flattened array, with optional ends."""
    flat = ravel(ary)
    parts = [getitem(flat, slice(1, None)) - getitem(flat, slice(None, -1))]
    if to_begin is not None:
        parts.insert(0, ravel(to_begin))
    if to_end is not None:
        parts.append(ravel(to_end))
    return concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


def _gradient_axis(f: Any, ax: int, h: Any, edge_order: int) -> Any:
    """numpy.gradient along one axis; ``h`` is a scalar spacing or 1-D coordinates."""
    nd = len(shape_of(f))
    n = shape_of(f)[ax]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) elements are required.")

    def part(start: Any, stop: Any) -> Any:
        return getitem(f, _along(ax, nd, slice(start, stop)))

    def along(c: Any) -> Any:  # 1-D coefficients, aligned with axis ax
        return reshape(c, (-1,) + (1,) * (nd - 1 - ax)) if len(shape_of(c)) else c

    if len(shape_of(h)) == 0:  # uniform spacing
        interior = (part(2, None) - part(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / h
            last = (part(n - 1, n) - part(n - 2, n - 1)) / h
        else:
            first = (-1.5 * part(0, 1) + 2.0 * part(1, 2) - 0.5 * part(2, 3)) / h
            last = (0.5 * part(n - 3, n - 2) - 2.0 * part(n - 2, n - 1) + 1.5 * part(n - 1, n)) / h
    else:  # coordinates: second-order differences on a non-uniform grid
        if shape_of(h) != (n,):
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        dx = getitem(h, slice(1, None)) - getitem(h, slice(None, -1))
        d1, d2 = getitem(dx, slice(None, -1)), getitem(dx, slice(1, None))
        interior = (along(-d2 / (d1 * (d1 + d2))) * part(None, -2) + along((d2 - d1) / (d1 * d2)) * part(1, -1)
                    + along(d1 / (d2 * (d1 + d2))) * part(2, None))
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / getitem(dx, slice(0, 1))
            last = (part(n - 1, n) - part(n - 2, n - 1)) / getitem(dx, slice(n - 2, n - 1))
        else:
            a1, a2 = getitem(dx, slice(0, 1)), getitem(dx, slice(1, 2))
            first = (along(-(2.0 * a1 + a2) / (a1 * (a1 + a2))) * part(0, 1) + along((a1 + a2) / (a1 * a2)) * part(1, 2)
                     + along(-a1 / (a2 * (a1 + a2))) * part(2, 3))
            b1, b2 = getitem(dx, slice(n - 3, n - 2)), getitem(dx, slice(n - 2, n - 1))
            last = (along(b2 / (b1 * (b1 + b2))) * part(n - 3, n - 2) + along(-(b2 + b1) / (b1 * b2)) * part(n - 2, n - 1)
                    + along((2.0 * b2 + b1) / (b2 * (b1 + b2))) * part(n - 1, n))
    return concatenate([first, interior, last], axis=ax)


@composite(_np.gradient)
def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``numpy.gradient`` with scalar spacings or coordinate arrays (differentiable in both)."""
    nd = len(shape_of(f))
    axes = list(range(nd)) if axis is None else [a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and len(shape_of(varargs[0])) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    out = tuple(_gradient_axis(f, ax, h, edge_order) for ax, h in zip(axes, spacings))
    return out[0] if len(out) == 1 else out


def _trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """``numpy.trapezoid``: the trapezoidal rule, differentiable in ``y``, ``x`` and ``dx``."""
    nd = len(shape_of(y))
    ax = axis % nd
    pair_sums = getitem(y, _along(ax, nd, slice(1, None))) + getitem(y, _along(ax, nd, slice(None, -1)))
    if x is None:
        return _sum(pair_sums, axis=ax) * (dx / 2.0)
    if len(shape_of(x)) == 1:
        d = diff(x)
        d = reshape(d, (-1,) + (1,) * (nd - 1 - ax))
    else:
        d = diff(x, axis=ax)
    return _sum(d * pair_sums / 2.0, axis=ax)


__all__ = ["cumsum", "cumprod", "diff", "ediff1d", "gradient"]

if hasattr(_np, "cumulative_sum"):
    __all__ += ["cumulative_sum", "cumulative_prod"]
if hasattr(_np, "trapezoid"):  # NumPy 2.0
    trapezoid = composite(_np.trapezoid)(_trapezoid)
    __all__.append("trapezoid")
if hasattr(_np, "trapz"):  # removed in NumPy 2.4
    trapz = composite(_np.trapz)(_trapezoid)
    __all__.append("trapz")

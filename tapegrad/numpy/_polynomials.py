"""Polynomials in NumPy's coefficient form (highest power first).

Every function is a composition of differentiable primitives that mirrors
NumPy's own arithmetic, so values agree with NumPy and derivatives of every
order follow: products are convolutions, division is long division written
functionally, roots are the eigenvalues of the companion matrix and a fit is a
least-squares solve on the Vandermonde matrix. Decisions NumPy makes from the
values (trimming a remainder, dropping the imaginary part of a real
polynomial's coefficients) are taken on the plain values.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as _np

from ..core import getval
from ._wrap import is_complex, shape_of
from .composite import composite
from .creation import asarray
from .indexing import getitem
from .products import convolve, matmul, outer
from .reductions import sum as _sum
from .shaping import as_array, atleast_1d, concatenate, reshape, stack, transpose
from .ufuncs import real, sqrt
from . import linalg  # its code runs at first use (see __init__.py): read when called

_RankWarning = getattr(getattr(_np, "exceptions", _np), "RankWarning", UserWarning)


def _join(parts: list, axis: int = 0, new_axis: bool = False) -> Any:
    """Concatenate (or stack) with real parts promoted when any part is complex: the
    cotangent a real part receives back is then real."""
    if any(is_complex(p) for p in parts):
        parts = [p if is_complex(p) else p + 0j for p in parts]
    return stack(parts, axis) if new_axis else concatenate(parts, axis)


def _zeros(n: int, like: Any) -> Any:
    return _np.zeros(n, dtype=_np.result_type(getval(like), float) if is_complex(like) else float)


@composite(_np.vander)
def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:  # noqa: N803 - NumPy's name
    """``numpy.vander``: the columns are powers of ``x`` (decreasing unless ``increasing``)."""
    x = as_array(x)
    if len(shape_of(x)) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape_of(x)[0] if N is None else int(N)
    cols = []
    power = None
    for k in range(n):  # repeated products, as NumPy's multiply.accumulate
        if k == 0:
            cols.append(_np.ones(shape_of(x), dtype=_np.result_type(getval(x), int)))
        else:
            power = x if power is None else power * x
            cols.append(power)
    if not increasing:
        cols = cols[::-1]
    if not cols:
        return _np.vander(getval(x), 0)
    return _join(cols, 1, new_axis=True)


@composite(_np.poly)
def poly(seq_of_zeros: Any) -> Any:
    """``numpy.poly``: the monic polynomial with these roots (or a square matrix's
    characteristic polynomial)."""

    z = atleast_1d(seq_of_zeros)
    zv = _np.asarray(getval(z))
    expected = _np.poly(zv)  # NumPy's checks, and whether its coefficients are real
    if zv.ndim == 2:
        z = linalg.eigvals(z)
    if shape_of(z)[0] == 0:
        return expected
    a = _np.ones(1, dtype=_np.result_type(getval(z), float))
    for k in range(shape_of(z)[0]):
        zk = getitem(z, k)
        # multiply by (s - z_k): shift the coefficients and subtract z_k times them
        a = _join([a, _np.zeros(1)]) - zk * _join([_np.zeros(1), a])
    return real(a) if is_complex(a) and not _np.iscomplexobj(expected) else a


def _pad_front(a: Any, n: int) -> Any:
    return a if n <= 0 else _join([_zeros(n, a), a])


@composite(_np.polyadd)
def polyadd(a1: Any, a2: Any) -> Any:
    """``numpy.polyadd``: the shorter polynomial is padded with leading zeros."""
    a1, a2 = atleast_1d(a1), atleast_1d(a2)
    n1, n2 = shape_of(a1)[0], shape_of(a2)[0]
    return _pad_front(a1, n2 - n1) + _pad_front(a2, n1 - n2)


@composite(_np.polysub)
def polysub(a1: Any, a2: Any) -> Any:
    """``numpy.polysub``: ``a1 - a2``, padded as in ``polyadd``."""
    a1, a2 = atleast_1d(a1), atleast_1d(a2)
    n1, n2 = shape_of(a1)[0], shape_of(a2)[0]
    return _pad_front(a1, n2 - n1) - _pad_front(a2, n1 - n2)


@composite(_np.polymul)
def polymul(a1: Any, a2: Any) -> Any:
    """``numpy.polymul``: the convolution of the coefficients."""
    return convolve(atleast_1d(a1), atleast_1d(a2))


@composite(_np.polyder)
def polyder(p: Any, m: int = 1) -> Any:
    """``numpy.polyder``: the ``m``-th derivative's coefficients."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = as_array(p)
    for _ in range(m):
        n = shape_of(p)[0] - 1
        p = getitem(p, slice(None, -1)) * _np.arange(n, 0, -1)
    return p


@composite(_np.polyint)
def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """``numpy.polyint``: the ``m``-th antiderivative; ``k`` gives the integration
    constants (one, or one per integration, the first for the first)."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    if k is None:
        k = _np.zeros(m, float)
    k = atleast_1d(k)
    n_k = shape_of(k)[0]
    if n_k < m and not (n_k == 1 and m > 1):
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = as_array(p)
    for i in range(m):
        ki = getitem(k, 0 if n_k == 1 else i)
        p = _join([p / _np.arange(shape_of(p)[0], 0, -1), reshape(ki, (1,))])
    return p


@composite(_np.polydiv)
def polydiv(u: Any, v: Any) -> Any:
    """``numpy.polydiv``: quotient and remainder of long division."""
    q_np, r_np = _np.polydiv(getval(u), getval(v))  # NumPy's checks and its trimming of r
    u, v = atleast_1d(u) + 0.0, atleast_1d(v) + 0.0
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = 1.0 / getitem(v, 0)
    r = u
    qs = []
    for k in range(m - n + 1):
        d = scale * getitem(r, k)
        qs.append(d)
        r = r - d * _join([_np.zeros(k), v, _np.zeros(m - n - k)])
    q = _join(qs, new_axis=True) if qs else q_np
    # The leading entries cancel to (numerically) zero; keep the length NumPy keeps.
    return q, getitem(r, slice(shape_of(r)[0] - r_np.shape[0], None))


@composite(_np.roots)
def roots(p: Any) -> Any:
    """``numpy.roots``: the eigenvalues of the companion matrix (complex where they are)."""

    p = atleast_1d(p)
    pv = _np.asarray(getval(p))
    if pv.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    nonzero = _np.nonzero(pv)[0]
    if len(nonzero) == 0:
        return _np.array([])
    trailing = len(pv) - int(nonzero[-1]) - 1
    p = getitem(p, slice(int(nonzero[0]), int(nonzero[-1]) + 1))
    n = shape_of(p)[0]
    if n > 1:
        top = reshape(-getitem(p, slice(1, None)) / getitem(p, 0), (1, n - 1))
        companion = _join([top, _np.eye(n - 2, n - 1)])
        r = linalg.eigvals(companion)
    else:
        return _np.zeros(trailing)
    return _join([r, _np.zeros(trailing, getval(r).dtype)]) if trailing else r


@composite(_np.polyfit)
def polyfit(x: Any, y: Any, deg: int, rcond: Any = None, full: bool = False, w: Any = None,
            cov: Any = False) -> Any:
    """``numpy.polyfit``: least squares on the scaled Vandermonde matrix, differentiable in
    ``x``, ``y`` and ``w`` (where the fit has full rank)."""

    order = int(deg) + 1
    x, y = asarray(x) + 0.0, asarray(y) + 0.0
    xs, ys = shape_of(x), shape_of(y)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if len(xs) != 1:
        raise TypeError("expected 1D vector for x")
    if xs[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if len(ys) < 1 or len(ys) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if xs[0] != ys[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = xs[0] * _np.finfo(getval(x).dtype).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = asarray(w) + 0.0
        if len(shape_of(w)) != 1:
            raise TypeError("expected a 1-d array for weights")
        if shape_of(w)[0] != ys[0]:
            raise TypeError("expected w and y to have the same length")
        w_col = reshape(w, (-1, 1))
        lhs = lhs * w_col
        rhs = rhs * (w_col if len(ys) == 2 else w)
    scale = sqrt(_sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond)
    c = transpose(transpose(c) / scale)
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", _RankWarning, stacklevel=3)
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    v_base = linalg.inv(matmul(transpose(lhs), lhs)) / outer(scale, scale)
    if cov == "unscaled":
        fac = 1
    else:
        if xs[0] <= order:
            raise ValueError("the number of data points must exceed order to scale the covariance matrix")
        fac = resids / (xs[0] - order)
    return c, (v_base * fac if len(ys) == 1 else reshape(v_base, shape_of(v_base) + (1,)) * fac)


__all__ = ["vander", "poly", "polyadd", "polysub", "polymul", "polyder", "polyint", "polydiv",
           "roots", "polyfit"]

"""``tapegrad.scipy.linalg``: triangular and factored solves, factorizations, matrix functions.

Rules act on the last two axes. Functions that read one triangle of their
input (``cholesky``, ``cho_factor``, ``eigh`` and the triangular solves) are
differentiated as SciPy computes them: derivatives flow to the triangle read
(and the real part of the diagonal of a Hermitian input), for any input,
symmetric or not. ``cholesky`` and ``eigh`` apply their primitive to
``read_triangle(a)``, the Hermitian matrix LAPACK reads; their rules assume
that Hermitian argument.
"""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.linalg as _sl
from scipy.linalg import lapack as _lapack

from ..core import Box, def_rules, getval, notrace_primitive
from ..numpy import concatenate, sum
from ..numpy._linalg_basic import H, conj
from ..numpy._linalg_decomp import read_triangle
from ..numpy._wrap import shape_of, wrap
from ..numpy.indexing import getitem
from ..numpy.products import matmul
from ..numpy.selection import take_along_axis
from ..numpy.shaping import swapaxes
from ..numpy.ufuncs import conjugate


def _t(x: Any) -> Any:
    return swapaxes(x, -1, -2)


def _n(a: Any) -> int:
    return shape_of(a)[-1]


def _tri_mask(n: int, lower: bool, strict: bool = False) -> _np.ndarray:
    k = -1 if strict else 0
    return _np.tril(_np.ones((n, n)), k) if lower else _np.triu(_np.ones((n, n)), -k)


def _herm(x: Any) -> Any:
    return 0.5 * (x + H(x))


def _col(x: Any, a: Any) -> Any:
    """A right-hand side as a matrix: vectors get a trailing axis."""
    return x[..., None] if len(shape_of(x)) == len(shape_of(a)) - 1 else x


# ----- triangular solves ----------------------------------------------------------------

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


_TRTRS = {t: _lapack.get_lapack_funcs("trtrs", (_np.zeros(1, t),)) for t in (_np.float64, _np.float32)}


def _solve_tri_raw(a: Any, b: Any, trans: int = 0, lower: bool = False, unit_diagonal: bool = False) -> Any:
    # SciPy's own LAPACK call (trtrs, the same bits) without its per-call checks and
    # batching layers, which cost some 70 us a call: the rules solve small systems
    # many times (autograd's gmm example). Anything unusual goes to SciPy itself.
    trtrs = _TRTRS.get(a.dtype.type) if type(a) is _np.ndarray and type(b) is _np.ndarray else None
    if (trtrs is not None and b.dtype is a.dtype and a.ndim == 2 and 1 <= b.ndim <= 2 and b.size
            and a.shape[0] == a.shape[1] == b.shape[0] and _np.isfinite(a).all() and _np.isfinite(b).all()):
        if a.flags.f_contiguous or trans == 2:
            x, info = trtrs(a, b, lower=lower, trans=trans, unitdiag=unit_diagonal)
        else:  # trtrs takes Fortran order: solve the transposed system, as SciPy does
            x, info = trtrs(a.T, b, lower=not lower, trans=not trans, unitdiag=unit_diagonal)
        if info == 0:
            return x
    return _sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


_solve_tri = wrap(_solve_tri_raw, "scipy.linalg.solve_triangular")


def _solve_tri_vjp_a(g: Any, ans: Any, a: Any, b: Any, trans: int = 0, lower: bool = False, unit_diagonal: bool = False) -> Any:
    b_bar = _col(_solve_tri(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal), a)
    x = _col(ans, a)
    outer = matmul(b_bar, _t(x)) if trans == 0 else matmul(x, _t(b_bar))
    return -outer * _tri_mask(_n(a), lower, unit_diagonal)


def _solve_tri_jvp_a(a_dot: Any, ans: Any, a: Any, b: Any, trans: int = 0, lower: bool = False, unit_diagonal: bool = False) -> Any:
    m = a_dot * _tri_mask(_n(a), lower, unit_diagonal)
    return -_solve_tri(a, matmul(m if trans == 0 else _t(m), ans), trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def_rules(
    _solve_tri,
    vjp=(_solve_tri_vjp_a,
         lambda g, ans, a, b, trans=0, lower=False, unit_diagonal=False:
             _solve_tri(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)),
    jvp=(_solve_tri_jvp_a,
         lambda b_dot, ans, a, b, trans=0, lower=False, unit_diagonal=False:
             _solve_tri(a, b_dot, trans=trans, lower=lower, unit_diagonal=unit_diagonal)),
)


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.solve_triangular``: solve op(a) x = b for triangular ``a``, differentiable in both."""
    t = _TRANS[trans]
    if not isinstance(a, Box) and not isinstance(b, Box):  # SciPy's own values and errors
        if not check_finite:
            return _sl.solve_triangular(a, b, trans=t, lower=lower, unit_diagonal=unit_diagonal, check_finite=False)
        return _solve_tri_raw(a, b, t, lower, unit_diagonal)
    if t == 2:  # conjugate transpose: transpose of the conjugate
        a, t = conjugate(a), 1
    return _solve_tri(a, b, trans=t, lower=lower, unit_diagonal=unit_diagonal)


# ----- Cholesky -----------------------------------------------------------------------------

_cholesky = wrap(_sl.cholesky, "scipy.linalg.cholesky")


def _half_lower(n: int) -> _np.ndarray:
    # The lower triangle with a halved diagonal: the projection in dL = L Phi(L^-1 dA L^-H).
    return _np.tril(_np.ones((n, n)), -1) + 0.5 * _np.eye(n)


# For Hermitian A = L L^H (U = L^H when lower=False): dL = L Phi(L^-1 dA L^-H).
def _cholesky_jvp(a_dot: Any, ans: Any, a: Any, lower: bool = False, **kw: Any) -> Any:
    low = ans if lower else H(ans)
    inner = _solve_tri(low, H(_solve_tri(low, _herm(a_dot), lower=True)), lower=True)  # L^-1 dA L^-H
    dl = matmul(low, inner * _half_lower(_n(a)))
    return dl if lower else H(dl)


# The adjoint: A_bar = herm(L^-T ((L^T L_bar) * Phi) conj(L)^-1).
def _cholesky_vjp(g: Any, ans: Any, a: Any, lower: bool = False, **kw: Any) -> Any:
    low = ans if lower else H(ans)
    l_bar = g if lower else H(g)
    s = matmul(_t(low), l_bar) * _half_lower(_n(a))
    z = _solve_tri(low, s, trans=1, lower=True)
    a_bar = _t(_solve_tri(conj(low), _t(z), trans=1, lower=True))
    return _herm(a_bar)


def_rules(_cholesky, vjp=_cholesky_vjp, jvp=_cholesky_jvp)


def cholesky(a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.cholesky``: upper (or ``lower=True``) factor, from that triangle of ``a`` only."""
    if not isinstance(a, Box):
        return _sl.cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    return _cholesky(read_triangle(a, lower), lower=lower)


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> tuple:
    """``scipy.linalg.cho_factor``; on traced input the unused triangle is zero (SciPy leaves junk there)."""
    if isinstance(a, Box):
        return cholesky(a, lower=lower), lower
    return _sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)


def cho_solve(c_and_lower: tuple, b: Any, overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.cho_solve``: solve a x = b from ``cho_factor(a)``, differentiable in the factor and b."""
    c, lower = c_and_lower
    if not isinstance(c, Box) and not isinstance(b, Box):
        return _sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    if lower:  # a = L L^T
        return _solve_tri(c, _solve_tri(c, b, lower=True), trans=1, lower=True)
    return _solve_tri(c, _solve_tri(c, b, trans=1, lower=False), lower=False)  # a = U^T U


# ----- LU --------------------------------------------------------------------------------------


def _perm_raw(piv: Any) -> _np.ndarray:
    """The row order of LAPACK's pivots (of each matrix of a stack): a[perm] = L U."""
    piv = _np.asarray(piv)
    perm = _np.array(_np.broadcast_to(_np.arange(piv.shape[-1]), piv.shape))
    for i in range(piv.shape[-1]):
        p = piv[..., i:i + 1]
        here, there = perm[..., i:i + 1].copy(), _np.take_along_axis(perm, p, -1)
        perm[..., i:i + 1] = there
        _np.put_along_axis(perm, p, here, -1)
    return perm


def _pivots_raw(a: Any) -> _np.ndarray:
    return _sl.lu_factor(a)[1]


# Integer results, read from the plain values (under vmap, from every example at once).
_perm = notrace_primitive(_perm_raw)
_pivots = notrace_primitive(_pivots_raw)


def _rows(x: Any, perm: Any) -> Any:
    """``x[perm]``: the rows of ``x`` in the order ``perm`` (of each matrix, for a stack of orders)."""
    if len(shape_of(perm)) == 1:
        return getitem(x, perm)
    return take_along_axis(x, _np.broadcast_to(_np.asarray(perm)[..., None], shape_of(x)), -2)


def _lu_raw(a: Any, perm: Any) -> Any:
    return _sl.lu_factor(a)[0]  # perm (no derivative) is carried for the rules


_lu = wrap(_lu_raw, "scipy.linalg.lu_factor")


def _lu_jvp(a_dot: Any, ans: Any, a: Any, perm: Any) -> Any:
    n = _n(a)
    low = ans * _tri_mask(n, True, True) + _np.eye(n)
    up = ans * _tri_mask(n, False)
    x = _solve_tri(ans, _rows(a_dot, perm), lower=True, unit_diagonal=True)
    f = _t(_solve_tri(up, _t(x), trans=1, lower=False))  # L^-1 P^T dA U^-1
    return matmul(low, f * _tri_mask(n, True, True)) + matmul(f * _tri_mask(n, False), up)


def _lu_vjp(g: Any, ans: Any, a: Any, perm: Any) -> Any:
    n = _n(a)
    low = ans * _tri_mask(n, True, True) + _np.eye(n)
    up = ans * _tri_mask(n, False)
    m = matmul(_t(low), g * _tri_mask(n, True, True)) * _tri_mask(n, True, True) + \
        matmul(g * _tri_mask(n, False), _t(up)) * _tri_mask(n, False)
    y = _solve_tri(ans, m, trans=1, lower=True, unit_diagonal=True)
    a_bar_perm = _t(_solve_tri(up, _t(y), lower=False))
    return _rows(a_bar_perm, _np.argsort(perm, axis=-1))


def_rules(_lu, vjp=_lu_vjp, jvp=_lu_jvp)


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> tuple:
    """``scipy.linalg.lu_factor``: (lu, piv), differentiable in ``a`` through ``lu``."""
    if not isinstance(a, Box):
        return _sl.lu_factor(a, overwrite_a=overwrite_a, check_finite=check_finite)
    piv = _pivots(a)
    return _lu(a, _perm(piv)), piv


def lu_solve(lu_and_piv: tuple, b: Any, trans: int = 0, overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.lu_solve``: solve a x = b (or a^T x = b) from ``lu_factor(a)``."""
    lu, piv = lu_and_piv
    if not isinstance(lu, Box) and not isinstance(b, Box):
        return _sl.lu_solve((lu, piv), b, trans=trans, overwrite_b=overwrite_b, check_finite=check_finite)
    perm = _perm(piv)
    if _TRANS[trans] == 0:
        y = _solve_tri(lu, getitem(b, perm), lower=True, unit_diagonal=True)
        return _solve_tri(lu, y, lower=False)
    if _TRANS[trans] == 2:
        lu = conjugate(lu)
    z = _solve_tri(lu, b, trans=1, lower=False)
    return getitem(_solve_tri(lu, z, trans=1, lower=True, unit_diagonal=True), _np.argsort(perm))


# ----- inverse and determinant ------------------------------------------------------------

inv = wrap(_sl.inv, "scipy.linalg.inv")
def_rules(
    inv,
    vjp=lambda g, ans, a, **kw: -matmul(matmul(_t(ans), g), _t(ans)),
    jvp=lambda a_dot, ans, a, **kw: -matmul(matmul(ans, a_dot), ans),
)

det = wrap(_sl.det, "scipy.linalg.det")
def_rules(
    det,
    vjp=lambda g, ans, a, **kw: (g * ans)[..., None, None] * _t(inv(a)),
    jvp=lambda a_dot, ans, a, **kw: ans * sum(_t(inv(a)) * a_dot, axis=(-2, -1)),
)

# ----- symmetric eigenproblem ---------------------------------------------------------------


def _eigh_raw(a: Any, lower: bool = True) -> tuple:
    return tuple(_sl.eigh(a, lower=lower))


_eigh = wrap(_eigh_raw, "scipy.linalg.eigh")


def _gaps(w: Any) -> Any:
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = shape_of(w)[-1]
    off = 1.0 - _np.eye(n)
    return off / (w[..., None, :] - w[..., :, None] + _np.eye(n))


def _eigh_vjp(g: Any, ans: Any, a: Any, lower: bool = True) -> Any:
    w, v = ans
    w_bar, v_bar = g
    inner = matmul(_t(v), v_bar) * _gaps(w) + w_bar[..., None] * _np.eye(_n(a))
    return matmul(matmul(conj(v), _herm(inner)), _t(v))


def _eigh_jvp(a_dot: Any, ans: Any, a: Any, lower: bool = True) -> Any:
    from ..numpy.ufuncs import real

    w, v = ans
    m = matmul(matmul(H(v), _herm(a_dot)), v)
    w_dot = real(sum(m * _np.eye(_n(a)), axis=-1))
    return w_dot, matmul(v, m * _gaps(w))


def_rules(_eigh, vjp=_eigh_vjp, jvp=_eigh_jvp)


def eigh(a: Any, b: Any = None, *, lower: bool = True, eigvals_only: bool = False, **kwargs: Any) -> Any:
    """``scipy.linalg.eigh`` of a Hermitian matrix (standard problem) from the triangle ``lower``: (w, v), or w."""
    if not isinstance(a, Box):
        return _sl.eigh(a, b, lower=lower, eigvals_only=eigvals_only, **kwargs)
    if b is not None or kwargs:
        raise NotImplementedError("tapegrad.scipy.linalg.eigh differentiates the standard problem only (b=None, no subsets)")
    w, v = _eigh(read_triangle(a, lower), lower=lower)
    return w if eigvals_only else (w, v)


# ----- Sylvester equation and matrix functions ----------------------------------------------------

solve_sylvester = wrap(_sl.solve_sylvester, "scipy.linalg.solve_sylvester")


def _sylvester_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    a, b, q = args
    q_bar = solve_sylvester(_t(a), _t(b), g)
    parts = {0: lambda: -matmul(q_bar, _t(ans)), 1: lambda: -matmul(_t(ans), q_bar), 2: lambda: q_bar}
    return [parts[i]() for i in argnums]


def _sylvester_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    a, b, q = args
    rhs = 0.0
    for i, t in zip(argnums, tangents):
        rhs = rhs + (-matmul(t, ans) if i == 0 else -matmul(ans, t) if i == 1 else t)
    return solve_sylvester(a, b, rhs)


def_rules(solve_sylvester, vjp_joint=_sylvester_vjp, jvp_joint=_sylvester_jvp)

sqrtm = wrap(_sl.sqrtm, "scipy.linalg.sqrtm")
# X X = A, so X dX + dX X = dA: a Sylvester equation (and its transpose for the VJP).
def_rules(
    sqrtm,
    vjp=lambda g, ans, a, **kw: solve_sylvester(_t(ans), _t(ans), g),
    jvp=lambda a_dot, ans, a, **kw: solve_sylvester(ans, ans, a_dot),
)


def _frechet(fun: Any, a: Any, e: Any) -> Any:
    """The Frechet derivative of a matrix function at ``a`` along ``e``: f([[A, E], [0, A]])'s corner."""
    n = _n(a)
    zero = _np.zeros(shape_of(a))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return fun(block)[..., :n, n:]


expm = wrap(_sl.expm, "scipy.linalg.expm")
def_rules(
    expm,
    vjp=lambda g, ans, a: _frechet(expm, _t(a), g),
    jvp=lambda a_dot, ans, a: _frechet(expm, a, a_dot),
)

logm = wrap(_sl.logm, "scipy.linalg.logm")
def_rules(
    logm,
    vjp=lambda g, ans, a, **kw: _frechet(logm, _t(a), g),
    jvp=lambda a_dot, ans, a, **kw: _frechet(logm, a, a_dot),
)

# ----- block_diag --------------------------------------------------------------------------------


def _block_slices(args: tuple) -> list:
    out, r, c = [], 0, 0
    for x in args:
        s = _np.atleast_2d(getval(x)).shape
        out.append((slice(r, r + s[0]), slice(c, c + s[1]), shape_of(x)))
        r, c = r + s[0], c + s[1]
    return out


block_diag = wrap(_sl.block_diag, "scipy.linalg.block_diag")


def _block_diag_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    from ..numpy.shaping import reshape

    slices = _block_slices(args)
    return [reshape(g[slices[i][0], slices[i][1]], slices[i][2]) for i in argnums]


def _block_diag_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    parts = [_np.zeros(shape_of(x)) for x in args]
    for i, t in zip(argnums, tangents):
        parts[i] = t
    return block_diag(*parts)


def_rules(block_diag, vjp_joint=_block_diag_vjp, jvp_joint=_block_diag_jvp)

from ._banded import solve_banded  # noqa: E402

__all__ = [
    "solve_banded", "solve_triangular", "cholesky", "cho_factor", "cho_solve", "lu_factor", "lu_solve", "inv", "det",
    "eigh", "sqrtm", "expm", "logm", "solve_sylvester", "block_diag",
]


def _fill_namespace(namespace: dict) -> None:
    """SciPy's other ``scipy.linalg`` names, as autograd's module has them: functions without rules
    work on plain values and refuse traced ones with a clear error; the rest is SciPy's own."""
    from ..numpy.missing import is_function, lookup

    for name in dir(_sl):
        if name.startswith("_") or name in namespace or name == "test":
            continue
        obj = getattr(_sl, name)
        namespace[name] = lookup(obj, f"scipy.linalg.{name}") if is_function(obj) else obj


_fill_namespace(globals())

from . import _batch_linalg  # noqa: E402, F401 - the rules of vmap for the functions above

"""``numpy.linalg`` rules, part 2: decompositions (cholesky, eigh, eig, svd, qr).

Conventions (see ``_linalg_basic``): transposes, not conjugate transposes, and
for non-holomorphic maps the VJP ``J1^T g + conj(J2^T g)`` of the JVP
``J1 dA + J2 conj(dA)``.

Hermitian inputs (``cholesky``, ``eigh``, ``eigvalsh``, and ``svd``/``pinv``
with ``hermitian=True``): NumPy (LAPACK) reads one triangle of ``A`` and the real
part of its diagonal, and nothing else. The public functions are exactly that:
the primitive applied to :func:`read_triangle` ``(A)``, the Hermitian matrix
those entries define. So derivatives flow to the triangle read only, for any
``A``, symmetric or not, as finite differences of NumPy's function say. The
primitives' own rules assume a Hermitian argument (their JVP takes the
Hermitian part of the tangent, their VJP returns a Hermitian cotangent), which
is all ``read_triangle`` ever gives them.

Eigenvector and singular-vector derivatives divide by eigenvalue (singular
value) gaps: they are ill-defined at repeated values and inaccurate near them.
The values themselves (``eigvalsh``, ``svdvals``, or ``eigh``/``svd`` when only
the values are used) have separate rules that stay exact there.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import NonDifferentiableError, def_rules, getval, primitive
from ._linalg_basic import H, T, conj, diag_matrix, diag_part, inv, is_zero, real_if, result_type, solve
from ._wrap import is_complex, shape_of
from .composite import composite
from .products import einsum_args, matmul
from .shaping import concatenate, expand_dims
from .ufuncs import imag, real, sqrt
from .reductions import sum as _sum
from .rearrange import tril, triu


def _herm(x: Any) -> Any:
    return (x + H(x)) * 0.5


def uplo_lower(uplo: Any) -> bool:
    """True for NumPy's ``UPLO='L'`` (either case), False for 'U'; NumPy's error otherwise."""
    u = str(uplo).upper() if isinstance(uplo, str) else uplo
    if u not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return u == "L"


def read_triangle(a: Any, lower: bool) -> Any:
    """The Hermitian matrix LAPACK reads from ``a``: one triangle, mirrored, with a real diagonal.

    ``lower``: the entries on and below the diagonal (else on and above), the
    other triangle their conjugates, the diagonal's imaginary part dropped
    (LAPACK never reads it). Entries not read, even NaN, change nothing, and
    receive no derivative. On the triangle read the values are ``a``'s, exactly.
    """

    strict = tril(a, -1) if lower else triu(a, 1)
    diag = diag_part(a)
    return strict + H(strict) + diag_matrix(real(diag) if is_complex(diag) else diag)


def _gap_inverse(w: Any) -> Any:
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it."""
    n = shape_of(w)[-1]
    eye = _np.eye(n)
    return (1.0 - eye) / (expand_dims(w, -2) - expand_dims(w, -1) + eye)


# ----- cholesky ------------------------------------------------------------------


def _phi_mask(n: int) -> Any:
    # Lower triangle with a halved diagonal: dL = L phi(L^-1 dA L^-H).
    return _np.tril(_np.ones((n, n))) - 0.5 * _np.eye(n)


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    l_inv = inv(ans)
    x = matmul(T(ans), g) * _phi_mask(shape_of(a)[-1])
    y = matmul(T(l_inv), matmul(x, conj(l_inv)))
    return _herm(y)


def _cholesky_jvp(a_dot: Any, ans: Any, a: Any) -> Any:
    l_inv = inv(ans)
    s = matmul(l_inv, matmul(_herm(a_dot), H(l_inv)))
    return matmul(ans, s * _phi_mask(shape_of(a)[-1]))


_cholesky = primitive(lambda a: _np.linalg.cholesky(a), "linalg.cholesky")
def_rules(_cholesky, vjp=_cholesky_vjp, jvp=_cholesky_jvp)


@composite(_np.linalg.cholesky, "linalg.cholesky")
def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """``numpy.linalg.cholesky`` (lower, or ``upper=True``) of a Hermitian positive-definite stack.

    Reads the lower triangle of ``a`` (the upper one for ``upper=True``), as NumPy does."""
    low = _cholesky(read_triangle(a, lower=not upper))
    return H(low) if upper else low


# ----- eigh, eigvalsh ------------------------------------------------------------


def _eigh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    w, v = ans[0], ans[1]
    g_w, g_v = g[0], g[1]
    x = diag_matrix(g_w)
    if not is_zero(g_v):
        x = x + _gap_inverse(w) * matmul(T(v), g_v)
    return matmul(conj(v), matmul(_herm(x), T(v)))


def _eigh_jvp(a_dot: Any, ans: Any, a: Any, UPLO: str = "L") -> tuple:  # noqa: N803

    w, v = ans[0], ans[1]
    m = matmul(H(v), matmul(_herm(a_dot), v))
    return (real(diag_part(m)), matmul(v, _gap_inverse(w) * m))


_eigh = primitive(_np.linalg.eigh, "linalg.eigh")
def_rules(_eigh, vjp=_eigh_vjp, jvp=_eigh_jvp)
_EighResult = result_type("EighResult", lambda: _np.linalg.eigh(_np.eye(1)))


@composite(_np.linalg.eigh, "linalg.eigh")
def eigh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    """``numpy.linalg.eigh`` of a Hermitian stack: (eigenvalues, eigenvectors), from the triangle ``UPLO``."""
    return _EighResult(*_eigh(read_triangle(a, uplo_lower(UPLO)), UPLO))


def _eigvalsh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    v = _eigh(a, UPLO)[1]
    return matmul(conj(v) * expand_dims(g, -2), T(v))


def _eigvalsh_jvp(a_dot: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803

    v = _eigh(a, UPLO)[1]
    return real(einsum_args("...ik,...ij,...jk->...k", conj(v), _herm(a_dot), v))


_eigvalsh = primitive(_np.linalg.eigvalsh, "linalg.eigvalsh")
def_rules(_eigvalsh, vjp=_eigvalsh_vjp, jvp=_eigvalsh_jvp)


@composite(_np.linalg.eigvalsh, "linalg.eigvalsh")
def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    """``numpy.linalg.eigvalsh`` of a Hermitian stack, from the triangle ``UPLO``."""
    return _eigvalsh(read_triangle(a, uplo_lower(UPLO)), UPLO)


# ----- eig, eigvals --------------------------------------------------------------
# The primitive differentiates in the gauge diag(V^-1 dV) = 0 (holomorphic); the
# public eig then renormalises as LAPACK does (unit norm, largest component real),
# which changes no value but makes the derivatives those of NumPy's eigenvectors.


def _eig_vjp(g: Any, ans: Any, a: Any) -> Any:
    w, v = ans[0], ans[1]
    g_w, g_v = g[0], g[1]
    x = diag_matrix(g_w)
    if not is_zero(g_v):
        x = x + _gap_inverse(w) * matmul(T(v), g_v)
    return real_if(matmul(solve(T(v), x), T(v)), a)


def _eig_jvp(a_dot: Any, ans: Any, a: Any) -> tuple:
    w, v = ans[0], ans[1]
    m = solve(v, matmul(a_dot, v))
    return (diag_part(m), matmul(v, _gap_inverse(w) * m))


_eig = primitive(_np.linalg.eig, "linalg.eig")
def_rules(_eig, vjp=_eig_vjp, jvp=_eig_jvp)
_EigResult = result_type("EigResult", lambda: _np.linalg.eig(_np.eye(1)))


def _unit_columns(v: Any) -> Any:
    """Columns scaled to unit norm and, if complex, largest entry real (values unchanged)."""
    if not is_complex(v):
        return v / sqrt(_sum(v * v, axis=-2, keepdims=True))
    v = v / sqrt(_sum(real(v * conj(v)), axis=-2, keepdims=True))
    vv = getval(v)
    n = vv.shape[-2]
    onehot = _np.arange(n)[:, None] == _np.argmax(_np.abs(vv), axis=-2)[..., None, :]
    p = _sum(v * onehot, axis=-2, keepdims=True)
    p0 = _np.sum(vv * onehot, axis=-2, keepdims=True)
    return v * (conj(p) / sqrt(real(p * conj(p)))) * (p0 / _np.abs(p0))


@composite(_np.linalg.eig, "linalg.eig")
def eig(a: Any) -> Any:
    """``numpy.linalg.eig`` of a stack of square matrices (eigenvalues assumed distinct)."""
    w, v = _eig(a)
    return _EigResult(w, _unit_columns(v))


@composite(_np.linalg.eigvals, "linalg.eigvals")
def eigvals(a: Any) -> Any:
    """``numpy.linalg.eigvals``, differentiable where the eigenvalues are distinct."""
    return _eig(a)[0]


# ----- svd, svdvals --------------------------------------------------------------


def _svd_parts(ans: Any) -> tuple:
    return ans[0], ans[1], ans[2]


def _svd_vjp(g: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    u, s, vh = _svd_parts(ans)
    g_u, g_s, g_vh = g[0], g[1], g[2]
    f = None if is_zero(g_u) and is_zero(g_vh) else _gap_inverse(s * s)
    inv_s = 1.0 / s
    p_bar = diag_matrix(g_s) + 0j if is_complex(a) else diag_matrix(g_s)
    out = None
    if not is_zero(g_u):
        j = f * matmul(T(u), g_u)
        p_bar = p_bar + (j + H(j)) * expand_dims(s, -2)
        # (I - conj(U) U^T) g_u S^-1 V^T
        out = matmul((g_u - matmul(conj(u), matmul(T(u), g_u))) * expand_dims(inv_s, -2), conj(vh))
    if not is_zero(g_vh):
        v_bar = H(g_vh)
        k = f * matmul(conj(vh), v_bar)  # V^T V_bar
        p_bar = p_bar + expand_dims(s, -1) * (k + H(k))
        if is_complex(a):
            p_bar = p_bar + diag_matrix(-1j * imag(diag_part(matmul(conj(vh), v_bar))) * inv_s)
        # conj(U) S^-1 g_vh (I - conj(V) V^T), with conj(V) = Vh^T, V^T = conj(Vh)
        rest = g_vh - matmul(matmul(g_vh, T(vh)), conj(vh))
        term = matmul(conj(u), expand_dims(inv_s, -1) * rest)
        out = term if out is None else out + term
    main = matmul(conj(u), matmul(p_bar, conj(vh)))
    out = main if out is None else out + main
    return real_if(out, a)


def _svd_jvp(a_dot: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> tuple:
    u, s, vh = _svd_parts(ans)
    f = _gap_inverse(s * s)
    v = H(vh)
    inv_s = 1.0 / s
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    dp = matmul(H(u), matmul(a_dot, v))
    dph = H(dp)
    ds = real(diag_part(dp))
    du = matmul(u, f * (dp * s_row + s_col * dph)) + (matmul(a_dot, v) - matmul(u, dp)) * expand_dims(inv_s, -2)
    dv = matmul(v, f * (s_col * dp + dph * s_row)) + (matmul(H(a_dot), u) - matmul(v, dph)) * expand_dims(inv_s, -2)
    if is_complex(a):
        dv = dv + v * expand_dims(-1j * imag(diag_part(dp)) * inv_s, -2)
    return (du, ds, H(dv))


_svd = primitive(lambda a, hermitian=False: _np.linalg.svd(a, full_matrices=False, hermitian=hermitian), "linalg.svd")
def_rules(_svd, vjp=_svd_vjp, jvp=_svd_jvp)
_SVDResult = result_type("SVDResult", lambda: _np.linalg.svd(_np.eye(1)))


def _svdvals_vjp(g: Any, ans: Any, a: Any) -> Any:
    u, _, vh = _svd(a)
    return real_if(matmul(conj(u) * expand_dims(g, -2), conj(vh)), a)


def _svdvals_jvp(a_dot: Any, ans: Any, a: Any) -> Any:
    u, _, vh = _svd(a)
    return real(einsum_args("...ik,...ij,...kj->...k", conj(u), a_dot, conj(vh)))


_svdvals = primitive(lambda a: _np.linalg.svd(a, compute_uv=False), "linalg.svdvals")
def_rules(_svdvals, vjp=_svdvals_vjp, jvp=_svdvals_jvp)


@composite(_np.linalg.svd, "linalg.svd")
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """``numpy.linalg.svd``. Differentiable for ``full_matrices=False`` (or square
    matrices); the extra columns of ``full_matrices=True`` are not unique, so
    rectangular inputs with it raise. Singular values must be distinct and nonzero
    for the vector derivatives. With ``hermitian=True`` NumPy reads the lower
    triangle only (it calls ``eigh``), and so do the derivatives."""
    if hermitian:
        a = read_triangle(a, lower=True)
    if not compute_uv:
        return _svdvals(a)
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise NonDifferentiableError(
            "numpy.linalg.svd with full_matrices=True on a non-square matrix has no unique "
            "derivative (the extra singular vectors are arbitrary); pass full_matrices=False"
        )
    return _SVDResult(*_svd(a, hermitian=hermitian))


svdvals_np = getattr(_np.linalg, "svdvals", None)
if svdvals_np is not None:
    @composite(svdvals_np, "linalg.svdvals")
    def svdvals(x: Any, /) -> Any:
        """``numpy.linalg.svdvals``: singular values, exact even where they repeat."""
        return _svdvals(x)


# ----- qr ------------------------------------------------------------------------


def _strict_lower(n: int) -> Any:
    return _np.tril(_np.ones((n, n)), -1)


def _right_solve_t(x: Any, r: Any) -> Any:
    """x @ r^{-T}."""
    return T(solve(r, T(x)))


def _qr_vjp(g: Any, ans: Any, a: Any) -> Any:
    q, r = ans[0], ans[1]
    g_q, g_r = g[0], g[1]
    low = _strict_lower(shape_of(r)[-1])
    m_r = matmul(g_r, T(r))
    m_q = matmul(T(q), g_q)
    nn = m_q - m_r
    c_bar = m_r + (nn - H(nn)) * low
    if is_complex(a):
        c_bar = c_bar + diag_matrix(1j * imag(diag_part(nn)))
    return real_if(_right_solve_t(matmul(conj(q), c_bar - m_q) + g_q, r), a)


def _qr_jvp(a_dot: Any, ans: Any, a: Any) -> tuple:
    q, r = ans[0], ans[1]
    low = _strict_lower(shape_of(r)[-1])
    b = T(solve(T(r), T(a_dot)))  # a_dot @ r^{-1}
    c = matmul(H(q), b)
    lc = c * low
    omega = lc - H(lc)
    if is_complex(c):
        omega = omega + diag_matrix(1j * imag(diag_part(c)))
    return (matmul(q, omega - c) + b, matmul(c - omega, r))


_qr = primitive(lambda a: _np.linalg.qr(a), "linalg.qr")
def_rules(_qr, vjp=_qr_vjp, jvp=_qr_jvp)
_QRResult = result_type("QRResult", lambda: _np.linalg.qr(_np.eye(1)))


@composite(_np.linalg.qr, "linalg.qr")
def qr(a: Any, mode: str = "reduced") -> Any:
    """``numpy.linalg.qr`` in modes 'reduced', 'r' and ('complete' when rows <= columns)."""
    m, n = shape_of(a)[-2:]
    if mode not in ("reduced", "r", "complete"):
        raise NonDifferentiableError(f"numpy.linalg.qr mode={mode!r} has no derivative; use 'reduced'")
    if mode == "complete" and m > n:
        raise NonDifferentiableError(
            "numpy.linalg.qr mode='complete' with more rows than columns has no unique derivative; use 'reduced'"
        )
    if m >= n:
        q, r = _qr(a)
    else:  # wide: A = [X Y], X = Q R1 square, R = [R1, Q^H Y]
        q, r1 = _qr(a[..., :, :m])
        r = concatenate([r1, matmul(H(q), a[..., :, m:])], axis=-1)
    return r if mode == "r" else _QRResult(q, r)


__all__ = ["cholesky", "eigh", "eigvalsh", "eig", "eigvals", "svd", "qr"]
if svdvals_np is not None:
    __all__.append("svdvals")

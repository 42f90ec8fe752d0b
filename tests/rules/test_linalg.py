"""Numerical checks of the numpy.linalg rules.

Functions that read one triangle (cholesky, eigh, eigvalsh, svd and pinv with
``hermitian=True``) are checked on non-symmetric inputs, as NumPy computes them
(domain ``tri_pd`` where the result needs positive definiteness): a rule that
returns a symmetrised gradient, or reads the other triangle, fails. Eigen- and
singular vectors are checked raw where their gauge is fixed (real signs, QR,
LAPACK's eig normalisation) and through gauge-invariant functions otherwise.
"""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad, hessian

from .harness import Row, expand, run

C = ("float64", "complex128")
SQ = [((3, 3),), ((2, 3, 3),)]
la = np.linalg


def herm(a):
    """a a^H + n I: Hermitian positive definite with well-separated eigenvalues."""
    n = a.shape[-1]
    return a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)


def hsym(a):
    """a + a^H: Hermitian, eigenvalues of both signs."""
    return a + np.conj(np.swapaxes(a, -1, -2))


def abs2(z):
    return np.real(z * np.conj(z))


def weights(n):
    return onp.arange(1.0, n + 1)


def eig_projectors(a):
    """V diag(1..n) V^-1: independent of how each eigenvector is scaled."""
    w, v = la.eig(a)
    return (v * weights(a.shape[-1])) @ la.inv(v)


def eigh_projectors(a, UPLO="L"):  # noqa: N803
    w, v = la.eigh(a, UPLO)
    return (v * weights(a.shape[-1])) @ np.conj(np.swapaxes(v, -1, -2))


def svd_pairs(a, hermitian=False):
    """U diag(1..k) Vh: independent of the joint phase of each singular pair."""
    u, s, vh = la.svd(a, full_matrices=False, hermitian=hermitian)
    return (u * weights(s.shape[-1])) @ vh


ROWS = [
    Row("linalg.inv", la.inv, SQ, dtypes=C),
    Row("linalg.solve", la.solve, [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)),
                                   ((2, 3, 3), (3, 2)), ((1, 3, 3), (2, 3, 1))], dtypes=C),
    Row("linalg.det", la.det, SQ + [((1, 1),)], dtypes=C),
    Row("linalg.slogdet", lambda a: la.slogdet(a)[1], SQ, dtypes=C),
    Row("linalg.slogdet-sign", lambda a: la.slogdet(a).sign, SQ, dtypes=("complex128",)),
    Row("linalg.slogdet-both", lambda a: (lambda s, l: s * np.exp(l))(*la.slogdet(a)), SQ, dtypes=C),
    Row("linalg.pinv", la.pinv, [((3, 2),), ((2, 3),), ((3, 3),), ((2, 3, 2),)], dtypes=C),
    Row("linalg.pinv-hermitian", lambda a: la.pinv(a, hermitian=True), SQ, domain="tri_pd", dtypes=C),
    Row("linalg.pinv-hermitian-positional", lambda a: la.pinv(a, 1e-15, True), SQ[:1], domain="tri_pd"),
    # one triangle read, from non-symmetric inputs (see the module docstring) ...
    Row("linalg.cholesky", la.cholesky, SQ, domain="tri_pd", dtypes=C),
    Row("linalg.cholesky-upper", lambda a: la.cholesky(a, upper=True), SQ, domain="tri_pd", dtypes=C),
    Row("linalg.eigh", lambda a: la.eigh(a)[0], SQ, dtypes=C),
    Row("linalg.eigh-vectors", lambda a: abs2(la.eigh(a).eigenvectors), SQ, dtypes=C),
    Row("linalg.eigh-projectors", eigh_projectors, SQ, dtypes=C),
    Row("linalg.eigh-upper", lambda a: abs2(la.eigh(a, UPLO="U")[1]) * la.eigh(a, "U")[0][..., None, :], SQ, dtypes=C),
    Row("linalg.eigh-upper-projectors", lambda a: eigh_projectors(a, "u"), SQ[:1], dtypes=C),
    Row("linalg.eigvalsh", la.eigvalsh, SQ, dtypes=C),
    Row("linalg.eigvalsh-upper", lambda a: la.eigvalsh(a, UPLO="U"), SQ, dtypes=C),
    Row("linalg.svd-hermitian", lambda a: la.svd(a, hermitian=True, compute_uv=False), SQ, domain="tri_pd", dtypes=C),
    Row("linalg.svd-hermitian-pairs", lambda a: svd_pairs(a, hermitian=True), SQ[:1], domain="tri_pd", dtypes=C),
    # ... and from Hermitian ones
    Row("linalg.cholesky-hermitian-input", lambda a: la.cholesky(herm(a)), SQ[:1], dtypes=C),
    Row("linalg.eigh-hermitian-input", lambda a: la.eigh(hsym(a))[0], SQ[:1], dtypes=C),
    Row("linalg.eigvalsh-hermitian-input", lambda a: la.eigvalsh(herm(a), UPLO="U"), SQ[:1], dtypes=C),
    Row("linalg.eig", lambda a: la.eig(a)[0], SQ, dtypes=C),
    Row("linalg.eig-vectors", lambda a: la.eig(a)[1], SQ, dtypes=C),
    Row("linalg.eig-projectors", eig_projectors, SQ, dtypes=C),
    Row("linalg.eig-symmetric", lambda a: la.eig(a + a.T)[1], SQ[:1]),  # real eigenvalues, real vectors
    Row("linalg.eigvals", la.eigvals, SQ, dtypes=C),
    Row("linalg.svd", lambda a: la.svd(a, full_matrices=False)[1], [((3, 2),), ((2, 3),), ((3, 3),), ((2, 3, 2),)], dtypes=C),
    Row("linalg.svd-u", lambda a: la.svd(a, full_matrices=False)[0], [((3, 2),), ((2, 3),), ((2, 3, 2),)]),
    Row("linalg.svd-vh", lambda a: la.svd(a, full_matrices=False).Vh, [((3, 2),), ((2, 3),), ((2, 2, 3),)]),
    Row("linalg.svd-pairs", svd_pairs, [((3, 2),), ((2, 3),), ((2, 3, 2),)], dtypes=C),
    Row("linalg.svd-abs", lambda a: abs2(la.svd(a, full_matrices=False)[0]) @ abs2(la.svd(a, full_matrices=False)[2]),
        [((3, 2),), ((2, 3),)], dtypes=("complex128",)),
    Row("linalg.svd-square-full", lambda a: la.svd(a)[0] * la.svd(a)[1], [((3, 3),)]),
    Row("linalg.svd-values-only", lambda a: la.svd(a, compute_uv=False), [((3, 2),), ((2, 3, 3),)], dtypes=C),
    Row("linalg.qr", lambda a: la.qr(a)[0], [((3, 2),), ((3, 3),), ((2, 4, 3),), ((2, 3),)], dtypes=C),
    Row("linalg.qr-r", lambda a: la.qr(a).R, [((3, 2),), ((3, 3),), ((2, 4, 3),), ((2, 3),)], dtypes=C),
    Row("linalg.qr-mode-r", lambda a: la.qr(a, mode="r"), [((4, 3),)]),
    Row("linalg.lstsq", lambda a, b: la.lstsq(a, b)[0], [((4, 2), (4,)), ((4, 2), (4, 3)), ((3, 3), (3,))], dtypes=C),
    Row("linalg.lstsq-residuals", lambda a, b: la.lstsq(a, b)[1], [((4, 2), (4,)), ((4, 2), (4, 3))], dtypes=C),
    Row("linalg.lstsq-s", lambda a, b: la.lstsq(a, b)[3], [((4, 2), (4,))], argnums=(0,)),
    Row("linalg.matrix_power", lambda a: la.matrix_power(a, 3), SQ, dtypes=C),
    Row("linalg.matrix_power-neg", lambda a: la.matrix_power(a, -2), SQ, dtypes=C),
    Row("linalg.matrix_power-1", lambda a: la.matrix_power(a, 1), [((3, 3),)]),
    Row("linalg.tensorsolve", la.tensorsolve, [((2, 3, 6), (2, 3))], dtypes=C),
    Row("linalg.tensorsolve-axes", lambda a, b: la.tensorsolve(a, b, axes=(0,)), [((6, 2, 3), (2, 3))]),
    Row("linalg.tensorinv", la.tensorinv, [((2, 3, 6),), ((2, 2, 4),)], dtypes=C),
    Row("linalg.tensorinv-ind1", lambda a: la.tensorinv(a, ind=1), [((4, 2, 2),)]),
    Row("linalg.multi_dot", lambda a, b, c: la.multi_dot([a, b, c]), [((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4,))], dtypes=C),
    Row("linalg.cond", la.cond, [((3, 3),), ((2, 3, 3),)]),
    Row("linalg.cond-fro", lambda a: la.cond(a, "fro"), [((3, 3),)], dtypes=C),
    Row("linalg.cond-1", lambda a: la.cond(a, 1), [((3, 3),)]),
    # norms: every vector order ...
    Row("linalg.norm", la.norm, [((4,),), ((3, 4),), ((2, 3, 4),)], dtypes=C),
    Row("linalg.norm-keepdims", lambda x: la.norm(x, keepdims=True), [((3, 4),)]),
    Row("linalg.norm-vec2", lambda x: la.norm(x, 2), [((4,),)], dtypes=C),
    Row("linalg.norm-vec1", lambda x: la.norm(x, 1), [((4,),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-vecinf", lambda x: la.norm(x, np.inf), [((4,),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-vec-inf", lambda x: la.norm(x, -np.inf), [((4,),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-vec3", lambda x: la.norm(x, 3), [((4,),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-vec0.5", lambda x: la.norm(x, 0.5), [((4,),)], domain="nonzero"),
    Row("linalg.norm-vec-1", lambda x: la.norm(x, -1), [((4,),)], domain="nonzero"),
    Row("linalg.norm-axis", lambda x: la.norm(x, axis=1), [((3, 4),), ((2, 3, 4),)], dtypes=C),
    Row("linalg.norm-axis-p", lambda x: la.norm(x, 3, axis=0, keepdims=True), [((3, 4),)], domain="nonzero"),
    # ... and every matrix order, on stacks too.
    Row("linalg.norm-fro", lambda x: la.norm(x, "fro"), [((3, 4),)], dtypes=C),
    Row("linalg.norm-nuc", lambda x: la.norm(x, "nuc"), [((3, 4),)], dtypes=C),
    Row("linalg.norm-mat1", lambda x: la.norm(x, 1), [((3, 4),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-mat-1", lambda x: la.norm(x, -1), [((3, 4),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-mat2", lambda x: la.norm(x, 2), [((3, 4),)], dtypes=C),
    Row("linalg.norm-mat-2", lambda x: la.norm(x, -2), [((3, 4),)], dtypes=C),
    Row("linalg.norm-matinf", lambda x: la.norm(x, np.inf), [((3, 4),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-mat-inf", lambda x: la.norm(x, -np.inf), [((3, 4),)], domain="nonzero", dtypes=C),
    Row("linalg.norm-mat-axes", lambda x: la.norm(x, 2, axis=(2, 0)), [((3, 2, 4),)]),
    Row("linalg.norm-mat-axes-1", lambda x: la.norm(x, 1, axis=(2, 0), keepdims=True), [((3, 2, 4),)], domain="nonzero"),
    Row("linalg.norm-mat-axes-inf", lambda x: la.norm(x, np.inf, axis=(-1, 0)), [((3, 2, 4),)], domain="nonzero"),
    Row("linalg.norm-mat-axes-fro", lambda x: la.norm(x, "fro", axis=(0, 2)), [((3, 2, 4),)], dtypes=C),
    Row("linalg.norm-mat-axes-nuc", lambda x: la.norm(x, "nuc", axis=(1, 2)), [((2, 3, 4),)], dtypes=C),
]

if hasattr(onp.linalg, "svdvals"):
    ROWS.append(Row("linalg.svdvals", la.svdvals, [((3, 2),), ((2, 3),), ((2, 3, 3),)], dtypes=C))
if hasattr(onp.linalg, "vector_norm"):
    ROWS += [
        Row("linalg.vector_norm", la.vector_norm, [((4,),), ((3, 4),)], dtypes=C),
        Row("linalg.vector_norm-axes", lambda x: la.vector_norm(x, axis=(0, 2), ord=3, keepdims=True), [((2, 3, 4),)], domain="nonzero"),
        Row("linalg.vector_norm-axis", lambda x: la.vector_norm(x, axis=-1, ord=1), [((3, 4),)], domain="nonzero"),
        Row("linalg.matrix_norm", la.matrix_norm, [((3, 4),), ((2, 3, 4),)], dtypes=C),
        Row("linalg.matrix_norm-nuc", lambda x: la.matrix_norm(x, ord="nuc", keepdims=True), [((2, 3, 4),)]),
        Row("linalg.matmul", la.matmul, [((3, 4), (4, 2)), ((2, 3, 4), (4,))], dtypes=C),
        Row("linalg.outer", la.outer, [((3,), (4,))], dtypes=C),
        Row("linalg.tensordot", lambda a, b: la.tensordot(a, b, axes=1), [((3, 4), (4, 2))], dtypes=C),
        Row("linalg.cross", la.cross, [((3,), (3,)), ((2, 3), (3,))], dtypes=C),
        Row("linalg.trace", la.trace, [((3, 3),), ((2, 3, 4),)], dtypes=C),
        Row("linalg.trace-offset", lambda x: la.trace(x, offset=1), [((2, 3, 4),)]),
        Row("linalg.diagonal", la.diagonal, [((3, 3),), ((2, 3, 4),)], dtypes=C),
        Row("linalg.diagonal-offset", lambda x: la.diagonal(x, offset=-1), [((2, 3, 4),)]),
        Row("linalg.vecdot", la.vecdot, [((3,), (3,)), ((2, 3), (3,))], dtypes=C),
        Row("linalg.matrix_transpose", la.matrix_transpose, [((3, 4),), ((2, 3, 4),)], dtypes=C),
    ]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


NORM_ORDS = [
    ((4,), None), ((4,), 2), ((4,), 1), ((4,), 3), ((4,), np.inf), ((4,), -np.inf), ((4,), 0),
    ((3, 4), None), ((3, 4), "fro"), ((3, 4), 1), ((3, 4), -1), ((3, 4), np.inf), ((3, 4), -np.inf),
]


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("shape,ord", NORM_ORDS)
def test_norm_gradient_at_zero_is_zero(shape, ord, dtype):
    x = onp.zeros(shape, dtype=dtype)
    g = grad(lambda x: la.norm(x, ord))(x)
    assert onp.all(onp.isfinite(g))
    onp.testing.assert_array_equal(g, 0)


def test_norm_hessian_at_zero_is_finite():
    h = hessian(lambda x: la.norm(x))(onp.zeros(3))
    assert onp.all(onp.isfinite(h))


def test_values_unaffected_by_repeated_eigenvalues():
    # eigh with only eigenvalues used, eigvalsh, svdvals: exact at repeated values.
    eye = onp.eye(3)
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.eigh(a)[0]))(eye), eye)
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.eigvalsh(a)))(2 * eye), eye)
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.svd(a, full_matrices=False)[1]))(eye), eye)
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.svd(a, compute_uv=False)))(eye), eye)


def test_namedtuple_results_unpack():
    a = onp.array([[2.0, 0.5], [0.5, 1.0]])

    def f(a):
        w, v = la.eigh(a)
        u, s, vh = la.svd(a)
        sign, logdet = la.slogdet(a)
        q, r = la.qr(a)
        return np.sum(w) + np.sum(s) + logdet + np.sum(r * r) + np.sum(v * v) + np.sum(u * vh) * 0

    onp.testing.assert_allclose(grad(f)(a), onp.eye(2) * 2 + onp.linalg.inv(a).T + 2 * a + 0 * a, atol=1e-8)


def test_svd_full_matrices_rectangular_refuses():
    with pytest.raises(Exception, match="full_matrices"):
        grad(lambda a: np.sum(la.svd(a)[1]))(onp.ones((3, 2)))


def test_plain_numpy_calls_reach_rules():
    a = onp.array([[3.0, 1.0], [1.0, 2.0]])
    onp.testing.assert_allclose(grad(lambda a: onp.linalg.det(a))(a), onp.linalg.det(a) * onp.linalg.inv(a).T)
    onp.testing.assert_allclose(grad(lambda a: onp.linalg.norm(a))(a), a / onp.linalg.norm(a))


def test_uncovered_names_still_available():
    assert la.LinAlgError is onp.linalg.LinAlgError


TRIANGLE_CASES = [
    ("cholesky", lambda m, a: m.linalg.cholesky(a), True),
    ("cholesky upper", lambda m, a: m.linalg.cholesky(a, upper=True), False),
    ("eigh", lambda m, a: m.linalg.eigh(a)[0], True),
    ("eigh U vectors", lambda m, a: abs2(m.linalg.eigh(a, UPLO="U")[1]) if m is np else abs(m.linalg.eigh(a, "U")[1]) ** 2,
     False),
    ("eigh u", lambda m, a: m.linalg.eigh(a, "u").eigenvalues, False),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), True),
    ("eigvalsh U", lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), False),
    ("svd hermitian", lambda m, a: m.linalg.svd(a, hermitian=True)[1], True),
    ("svd hermitian values", lambda m, a: m.linalg.svd(a, compute_uv=False, hermitian=True), True),
    ("pinv hermitian", lambda m, a: m.linalg.pinv(a, hermitian=True), True),
]


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("name,f,lower", TRIANGLE_CASES, ids=[c[0] for c in TRIANGLE_CASES])
def test_triangle_readers_on_nonsymmetric_input_are_numpys(name, f, lower, dtype):
    """NumPy's value from the triangle it reads, and a gradient on that triangle (and the real diagonal) only."""
    rng = onp.random.default_rng(3)
    a = rng.standard_normal((2, 3, 3)) / 2
    x = a @ onp.swapaxes(a, -1, -2) + 2 * onp.eye(3) + 0.5 * rng.standard_normal((2, 3, 3))
    if dtype == "complex128":
        x = x + 0.3j * rng.standard_normal((2, 3, 3))
    seen = []

    def loss(x):
        y = f(np, x)
        seen.append(y._value)
        return np.sum(np.real(y) * weights)

    weights = rng.standard_normal(onp.shape(f(onp, x)))
    g = grad(loss)(x)
    onp.testing.assert_allclose(seen[0], f(onp, x), rtol=1e-10, atol=1e-12)
    unread = onp.triu(onp.ones((3, 3)), 1) if lower else onp.tril(onp.ones((3, 3)), -1)
    assert onp.all(g * unread == 0)
    assert onp.all(onp.imag(onp.diagonal(g, axis1=-2, axis2=-1)) == 0)
    assert not onp.allclose(g * (1 - unread), 0)


def test_eigvalsh_gradient_is_that_of_the_lower_triangle():
    # issue 13, item 10: sum(eigvalsh(a)**2) = a00^2 + a11^2 + 2 a10^2 reads a10, not a01
    a = onp.array([[1.0, 2.0], [0.5, 3.0]])
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.eigvalsh(a) ** 2))(a), [[2.0, 0.0], [2.0, 6.0]])
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.eigvalsh(a, "U") ** 2))(a), [[2.0, 8.0], [0.0, 6.0]])


def test_triangle_readers_ignore_nan_in_the_unread_triangle():
    a = onp.array([[4.0, onp.nan], [1.0, 3.0]])
    onp.testing.assert_allclose(grad(lambda a: np.sum(la.eigvalsh(a)))(a), [[1.0, 0.0], [0.0, 1.0]], atol=1e-15)
    assert onp.all(onp.isfinite(grad(lambda a: np.sum(la.cholesky(a)))(a)))


def test_uplo_is_checked_as_numpy_does():
    with pytest.raises(ValueError, match="UPLO"):
        grad(lambda a: np.sum(la.eigvalsh(a, UPLO="X")))(onp.eye(2))

"""Numerical checks of tapegrad.scipy.linalg, and agreement with SciPy's values.

Functions that read one triangle (cholesky, cho_factor, eigh, the triangular
solves) are checked on non-symmetric, non-triangular inputs: the derivative is
that of what SciPy computes, which reads one triangle only.
"""

import numpy as onp
import pytest
import scipy.linalg as sl

import tapegrad.numpy as np
import tapegrad.scipy.linalg as la
from tapegrad import grad
from tests.rules.harness import Row, expand, run


def sym(a):
    return 0.5 * (a + np.swapaxes(a, -1, -2))


def well(a):
    """A well-conditioned matrix near ``a``."""
    return a + 4.0 * onp.eye(a.shape[-1])


def fixed_sign(v):
    """Eigenvectors with a positive first row: LAPACK's own sign choice is not continuous in the input."""
    return v * np.sign(v[:1, :])


SQ = [((3, 3),)]
SQ_RHS = [((3, 3), (3,)), ((3, 3), (3, 2))]
SPD = "spd"
TRI = "tri_pd"  # not symmetric; the Hermitian matrix either triangle defines is positive definite
C = ("float64", "complex128")


def projectors(w, v):
    """V diag(1..n) V^H: independent of each eigenvector's phase."""
    return (v * onp.arange(1.0, v.shape[-1] + 1)) @ np.conj(np.swapaxes(v, -1, -2)) + np.sum(w)

def banded(ab):
    """Band storage (1 lower, 2 upper bands) of a diagonally dominant matrix."""
    return ab + onp.array([[0.0], [0.0], [5.0], [0.0]])


ROWS = [
    Row("solve_banded", lambda ab, b: la.solve_banded((1, 2), banded(ab), b), [((4, 5), (5,)), ((4, 5), (5, 2))]),
    Row("solve_banded-lower-only", lambda ab, b: la.solve_banded((2, 0), ab + onp.array([[4.0], [0], [0]]), b), [((3, 4), (4,))]),
    Row("solve_triangular", lambda a, b: la.solve_triangular(well(a), b), SQ_RHS),
    Row("solve_triangular-lower", lambda a, b: la.solve_triangular(well(a), b, lower=True), SQ_RHS),
    Row("solve_triangular-trans", lambda a, b: la.solve_triangular(well(a), b, trans="T", lower=True), SQ_RHS),
    Row("solve_triangular-trans1-upper", lambda a, b: la.solve_triangular(well(a), b, trans=1), SQ_RHS),
    Row("solve_triangular-unit", lambda a, b: la.solve_triangular(a, b, lower=True, unit_diagonal=True), SQ_RHS),
    Row("solve_triangular-unit-trans", lambda a, b: la.solve_triangular(a, b, trans=1, unit_diagonal=True), SQ_RHS),
    Row("solve_triangular-complex", lambda a, b: la.solve_triangular(well(a), b, lower=True), SQ_RHS, dtypes=("complex128",)),
    Row("solve_triangular-conjtrans", lambda a, b: la.solve_triangular(well(a), b, trans="C", lower=True), SQ_RHS,
        dtypes=("float64", "complex128")),
    Row("cholesky", la.cholesky, SQ, domain=TRI, dtypes=C),
    Row("cholesky-lower", lambda a: la.cholesky(a, lower=True), SQ, domain=TRI, dtypes=C),
    Row("cholesky-symmetric-input", lambda a: la.cholesky(sym(a)), SQ, domain=SPD),
    # SciPy leaves the other triangle of cho_factor's result undefined: compare the factor only.
    Row("cho_factor", lambda a: la.cho_factor(a, lower=True)[0] * onp.tril(onp.ones((3, 3))), SQ, domain=TRI, dtypes=C),
    Row("cho_factor-upper", lambda a: la.cho_factor(a)[0] * onp.triu(onp.ones((3, 3))), SQ, domain=TRI),
    Row("cho_solve", lambda a, b: la.cho_solve(la.cho_factor(a), b), SQ_RHS, domain=(TRI, "real")),
    Row("cho_solve-lower", lambda a, b: la.cho_solve(la.cho_factor(a, lower=True), b), SQ_RHS, domain=(TRI, "real")),
    Row("lu_factor", lambda a: la.lu_factor(a)[0], [((4, 4),)]),
    Row("lu_solve", lambda a, b: la.lu_solve(la.lu_factor(a), b), [((4, 4), (4,)), ((4, 4), (4, 2))]),
    Row("lu_solve-conjtrans", lambda a, b: la.lu_solve(la.lu_factor(a), b, trans=2), [((4, 4), (4,))], dtypes=("complex128",)),
    Row("lu_solve-trans", lambda a, b: la.lu_solve(la.lu_factor(a), b, trans=1), [((4, 4), (4,)), ((4, 4), (4, 2))]),
    Row("inv", lambda a: la.inv(well(a)), [((3, 3),), ((2, 3, 3),)]),
    Row("det", la.det, [((3, 3),), ((2, 3, 3),)]),
    Row("eigh", lambda a: fixed_sign(la.eigh(a)[1]) * la.eigh(a)[0][None, :], [((3, 3),)]),
    Row("eigh-values", lambda a: la.eigh(a, eigvals_only=True), [((4, 4),)], dtypes=C),
    Row("eigh-values-upper", lambda a: la.eigh(a, lower=False, eigvals_only=True), [((4, 4),)], dtypes=C),
    Row("eigh-vectors", lambda a: fixed_sign(la.eigh(a, lower=False)[1]), [((3, 3),), ((4, 4),)]),
    Row("eigh-projectors", lambda a: projectors(*la.eigh(a)), SQ, dtypes=C),
    Row("eigh-projectors-upper", lambda a: projectors(*la.eigh(a, lower=False)), SQ, dtypes=C),
    Row("eigh-symmetric-input", lambda a: fixed_sign(la.eigh(sym(a))[1]) * la.eigh(sym(a))[0][None, :], [((3, 3),)]),
    Row("sqrtm", la.sqrtm, SQ, domain=SPD),
    Row("expm", lambda a: la.expm(0.5 * a), SQ),
    Row("logm", la.logm, SQ, domain=SPD),
    Row("solve_sylvester", la.solve_sylvester, [((3, 3), (2, 2), (3, 2))], domain=(SPD, SPD, "real")),
    Row("block_diag", la.block_diag, [((2, 2), (3,), ()), ((2, 3), (1, 2))]),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_every_public_function_has_a_row():
    assert set(la.__all__) - {r.name.split("-")[0] for r in ROWS} == set()


def test_traced_values_are_scipys():
    rng = onp.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    s = a @ a.T + 4 * onp.eye(4)
    b = rng.standard_normal(4)
    checks = [
        (lambda a: la.solve_triangular(a, b, lower=True), lambda a: sl.solve_triangular(a, b, lower=True), a + 4 * onp.eye(4)),
        (lambda a: la.cholesky(a), sl.cholesky, s),
        (lambda a: la.cho_solve(la.cho_factor(a), b), lambda a: sl.cho_solve(sl.cho_factor(a), b), s),
        (lambda a: la.lu_factor(a)[0], lambda a: sl.lu_factor(a)[0], a),
        (lambda a: la.lu_solve(la.lu_factor(a), b, trans=1), lambda a: sl.lu_solve(sl.lu_factor(a), b, trans=1), a),
        (lambda a: la.eigh(a)[0], lambda a: sl.eigh(a)[0], s),
        (lambda a: la.solve_triangular(a, b, trans="C"), lambda a: sl.solve_triangular(a, b, trans="C"), a + 4j * onp.eye(4)),
        (lambda a: la.lu_solve(la.lu_factor(a), b, trans=2), lambda a: sl.lu_solve(sl.lu_factor(a), b, trans=2), a + 1j * a.T),
        (lambda a: la.logm(a), sl.logm, s),
    ]
    ab = rng.standard_normal((4, 4)) + onp.array([[0.0], [0.0], [5.0], [0.0]])
    checks.append((lambda ab: la.solve_banded((1, 2), ab, b), lambda ab: sl.solve_banded((1, 2), ab, b), ab))
    for ours, theirs, x in checks:
        seen = []

        def f(x):
            y = ours(x)
            seen.append(y._value)
            return np.sum(np.real(y))

        grad(f)(x)
        assert onp.allclose(seen[0], theirs(x))


def test_triangle_readers_on_nonsymmetric_input_are_scipys():
    """Values from the triangle SciPy reads, and gradients on that triangle only (autograd symmetrises them)."""
    rng = onp.random.default_rng(2)
    a = rng.standard_normal((3, 3))
    s = a @ a.T + 3 * onp.eye(3)
    nonsym = s + onp.triu(rng.standard_normal((3, 3)), 1) + onp.tril(rng.standard_normal((3, 3)), -1)
    z = nonsym + 0.4j * rng.standard_normal((3, 3))
    cases = [
        (lambda m, x: m.cholesky(x, lower=True), True),
        (lambda m, x: m.cholesky(x), False),
        (lambda m, x: m.cho_factor(x, lower=True)[0] * onp.tril(onp.ones((3, 3))), True),
        (lambda m, x: m.cho_factor(x)[0] * onp.triu(onp.ones((3, 3))), False),
        (lambda m, x: m.eigh(x)[0], True),
        (lambda m, x: m.eigh(x, lower=False, eigvals_only=True), False),
        (lambda m, x: m.eigh(x)[1] * onp.sign(m.eigh(x)[1][:1].real), True),
    ]
    for f, lower in cases:
        for x in (nonsym, z):
            seen = []

            def loss(x):
                y = f(la, x)
                seen.append(y._value)
                return np.sum(np.real(y * onp.arange(1.0, 1 + y.size).reshape(y.shape)))

            g = grad(loss)(x)
            onp.testing.assert_allclose(seen[0], f(sl, x), rtol=1e-10, atol=1e-12)
            unread = onp.triu(onp.ones((3, 3)), 1) if lower else onp.tril(onp.ones((3, 3)), -1)
            assert onp.all(g * unread == 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("b_shape", [(4,), (4, 1), (4, 3)])
def test_triangular_solves_on_plain_arrays_are_scipys_bits(dtype, order, b_shape):
    # the solves take SciPy's LAPACK call directly (no per-call checks): same bits, same errors
    rng = onp.random.default_rng(0)
    a = onp.asarray(well(rng.standard_normal((4, 4))), dtype=dtype, order=order)
    for b in (onp.asarray(rng.standard_normal(b_shape), dtype=dtype), onp.asfortranarray(rng.standard_normal(b_shape))):
        for trans in (0, 1, 2, "N", "T"):
            for lower in (True, False):
                for unit in (False, True):
                    ours = la.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
                    theirs = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
                    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
                    assert onp.array_equal(ours, theirs)
    bad = a.copy()
    bad[1, 0] = onp.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        la.solve_triangular(bad, onp.ones(4, dtype), lower=True)
    singular = onp.tril(a)
    singular[2, 2] = 0.0
    with pytest.raises(onp.linalg.LinAlgError, match="singular"):
        la.solve_triangular(singular, onp.ones(4, dtype), lower=True)

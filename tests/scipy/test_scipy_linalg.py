"""Numerical checks of tapegrad.scipy.linalg, and agreement with SciPy's values."""

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
    Row("cholesky", lambda a: la.cholesky(sym(a)), SQ, domain=SPD),
    Row("cholesky-lower", lambda a: la.cholesky(sym(a), lower=True), SQ, domain=SPD),
    # SciPy leaves the other triangle of cho_factor's result undefined: compare the factor only.
    Row("cho_factor", lambda a: la.cho_factor(sym(a), lower=True)[0] * onp.tril(onp.ones((3, 3))), SQ, domain=SPD),
    Row("cho_solve", lambda a, b: la.cho_solve(la.cho_factor(sym(a)), b), SQ_RHS, domain=(SPD, "real")),
    Row("cho_solve-lower", lambda a, b: la.cho_solve(la.cho_factor(sym(a), lower=True), b), SQ_RHS, domain=(SPD, "real")),
    Row("lu_factor", lambda a: la.lu_factor(a)[0], [((4, 4),)]),
    Row("lu_solve", lambda a, b: la.lu_solve(la.lu_factor(a), b), [((4, 4), (4,)), ((4, 4), (4, 2))]),
    Row("lu_solve-conjtrans", lambda a, b: la.lu_solve(la.lu_factor(a), b, trans=2), [((4, 4), (4,))], dtypes=("complex128",)),
    Row("lu_solve-trans", lambda a, b: la.lu_solve(la.lu_factor(a), b, trans=1), [((4, 4), (4,)), ((4, 4), (4, 2))]),
    Row("inv", lambda a: la.inv(well(a)), [((3, 3),), ((2, 3, 3),)]),
    Row("det", la.det, [((3, 3),), ((2, 3, 3),)]),
    Row("eigh", lambda a: fixed_sign(la.eigh(sym(a))[1]) * la.eigh(sym(a))[0][None, :], [((3, 3),)]),
    Row("eigh-values", lambda a: la.eigh(sym(a), eigvals_only=True), [((4, 4),)]),
    Row("eigh-vectors", lambda a: fixed_sign(la.eigh(sym(a), lower=False)[1]), [((3, 3),), ((4, 4),)]),
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
            return np.sum(y)

        grad(f)(x)
        assert onp.allclose(seen[0], theirs(x))


def test_cholesky_gradient_matches_autograd_convention():
    rng = onp.random.default_rng(2)
    a = rng.standard_normal((3, 3))
    s = a @ a.T + 3 * onp.eye(3)
    g = grad(lambda s: np.sum(la.cholesky(s, lower=True)))(s)
    assert onp.allclose(g, g.T)

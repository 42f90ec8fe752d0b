"""Numerical checks of the product rules: dot, matmul, tensordot, einsum, convolutions..."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad

from .harness import Row, expand, run

C = ("float64", "complex128")

ROWS = [
    Row("dot", np.dot, [((), ()), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                        ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)), ((), (3, 4))], dtypes=C),
    Row("matmul", np.matmul, [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                              ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
                              ((2, 3, 4), (4,))], dtypes=C),
    # One traced operand and a constant: the single-argument paths of both modes.
    Row("matmul:matrix-vector", np.matmul, [((3, 4), (4,)), ((3, 4), (4, 2))], argnums=(1,), dtypes=C, order=3),
    Row("matmul:vector-matrix", np.matmul, [((4,), (4, 3)), ((2, 4), (4, 3))], argnums=(0,), dtypes=C, order=3),
    # A constant matrix large enough for matmul's value_and_jvp (forward mode reads it once).
    Row("matmul:large-matrix-vector", np.matmul, [((130, 130), (130,))], argnums=(1,), order=2),
    Row("matmul:vector-large-matrix", np.matmul, [((130,), (130, 130))], argnums=(0,), order=2),
    Row("tensordot", np.tensordot, [((3, 4), (3, 4)), ((2, 3, 4), (3, 4, 5))], dtypes=C),
    Row("tensordot-axes1", lambda a, b: np.tensordot(a, b, axes=1), [((3, 4), (4, 2)), ((4,), (4,))]),
    Row("tensordot-axes0", lambda a, b: np.tensordot(a, b, axes=0), [((3,), (2, 2))]),
    Row("tensordot-pairs", lambda a, b: np.tensordot(a, b, axes=([0, 2], [-1, -3])), [((2, 3, 4), (4, 5, 2))], dtypes=C),
    Row("outer", np.outer, [((3,), (4,)), ((2, 2), (3,)), ((), (3,))], dtypes=C),
    Row("inner", np.inner, [((), ()), ((4,), (4,)), ((3, 4), (4,)), ((3, 4), (2, 4)), ((), (3, 4))], dtypes=C),
    Row("vdot", np.vdot, [((4,), (4,)), ((2, 3), (3, 2))], dtypes=C),
    Row("kron", np.kron, [((2,), (3,)), ((2, 2), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (2, 2)), ((), (3,))], dtypes=C),
    Row("cross", np.cross, [((3,), (3,)), ((4, 3), (3,)), ((2, 3), (4, 1, 3))], dtypes=C),
    Row("cross-axes", lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), [((3, 2), (2, 3))]),
    Row("cross-axis", lambda a, b: np.cross(a, b, axis=0), [((3, 2), (3, 2))]),
    Row("convolve", np.convolve, [((4,), (3,)), ((2,), (5,)), ((), (3,))], dtypes=C),
    Row("convolve-same", lambda a, v: np.convolve(a, v, "same"), [((5,), (3,)), ((2,), (4,))], dtypes=C),
    Row("convolve-valid", lambda a, v: np.convolve(a, v, mode="valid"), [((5,), (3,)), ((2,), (4,))], dtypes=C),
    Row("correlate", np.correlate, [((5,), (3,)), ((2,), (4,))], dtypes=C),
    Row("correlate-same", lambda a, v: np.correlate(a, v, "same"), [((5,), (3,)), ((3,), (4,))], dtypes=C),
    Row("correlate-full", lambda a, v: np.correlate(a, v, "full"), [((5,), (3,)), ((2,), (4,))], dtypes=C),
    Row("trace", np.trace, [((3, 3),), ((3, 4),), ((2, 3, 4),)], dtypes=C),
    Row("trace-offset", lambda a: np.trace(a, 1), [((3, 4),), ((3, 3),)]),
    Row("trace-axes", lambda a: np.trace(a, offset=-1, axis1=2, axis2=0), [((3, 2, 4),)]),
    # einsum: explicit and implicit outputs, ellipses, diagonals, traces, broadcasting.
    Row("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))], dtypes=C),
    Row("einsum-implicit", lambda a, b: np.einsum("ij,jk", a, b), [((3, 4), (4, 2))]),
    Row("einsum-implicit-order", lambda a, b: np.einsum("bA,cA", a, b), [((3, 4), (2, 4))]),
    Row("einsum-outer", lambda a, b: np.einsum("i,j->ji", a, b), [((3,), (4,))], dtypes=C),
    Row("einsum-sum", lambda a: np.einsum("ij->", a), [((3, 4),)]),
    Row("einsum-trace", lambda a: np.einsum("ii", a), [((3, 3),)], dtypes=C),
    Row("einsum-diag", lambda a: np.einsum("ii->i", a), [((3, 3),)]),
    Row("einsum-diag3", lambda a: np.einsum("iji->ij", a), [((3, 2, 3),)]),
    Row("einsum-triple-repeat", lambda a, b: np.einsum("iii,ij->j", a, b), [((2, 2, 2), (2, 3))]),
    Row("einsum-only-one", lambda a, b: np.einsum("ij,k->i", a, b), [((3, 4), (2,))]),
    Row("einsum-ellipsis", lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2))], dtypes=C),
    Row("einsum-ellipsis-implicit", lambda a, b: np.einsum("...a,b", a, b), [((2, 3), (4,))]),
    Row("einsum-ellipsis-sum", lambda a: np.einsum("i...->...", a), [((2, 3),)]),
    Row("einsum-broadcast-1", lambda a, b: np.einsum("ij,ij->i", a, b), [((3, 1), (3, 4)), ((1, 4), (3, 4))]),
    Row("einsum-three", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 4), (4, 2))], dtypes=C),
    Row("einsum-three-opt", lambda a, b, c: np.einsum("ij,jk,ik->", a, b, c, optimize=True), [((2, 3), (3, 4), (2, 4))]),
    Row("einsum-scalar", lambda a, b: np.einsum(",i->i", a, b), [((), (3,))]),
    Row("einsum-sublist", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [((3, 4), (4, 2))]),
    Row("einsum-sublist-ellipsis", lambda a: np.einsum(a, [Ellipsis, 0, 0]), [((2, 3, 3),)]),
    Row("einsum-transpose", lambda a: np.einsum("ijk->kij", a), [((2, 3, 4),)]),
]

if hasattr(onp, "vecdot"):
    ROWS.append(Row("vecdot", np.vecdot, [((4,), (4,)), ((3, 4), (4,)), ((2, 1, 4), (3, 4))], dtypes=C))
    ROWS.append(Row("vecdot-axis", lambda a, b: np.vecdot(a, b, axis=0), [((4, 3), (4, 3))], dtypes=C))
if hasattr(onp, "matvec"):
    ROWS.append(Row("matvec", np.matvec, [((3, 4), (4,)), ((2, 3, 4), (1, 4))], dtypes=C))
    ROWS.append(Row("vecmat", np.vecmat, [((3,), (3, 4)), ((2, 3), (2, 3, 4))], dtypes=C))


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_einsum_values_match_numpy():
    rng = onp.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((3, 4))
    seen = {}

    def f(x):
        out = np.einsum("...ii,ij->...j", x, b)
        seen["value"] = out._value
        return np.sum(out)

    grad(f)(a)
    onp.testing.assert_allclose(seen["value"], onp.einsum("...ii,ij->...j", a, b))


def test_einsum_error_matches_numpy():
    with pytest.raises(ValueError):
        grad(lambda x: np.sum(np.einsum("...i->i", x)))(onp.ones((2, 3)))


def test_plain_numpy_dispatch_reaches_rules():
    # numpy.einsum / numpy.trace / numpy.kron called on traced values use tapegrad's rules.
    x = onp.arange(9.0).reshape(3, 3)
    onp.testing.assert_allclose(grad(lambda a: onp.einsum("ii", a))(x), onp.eye(3))
    onp.testing.assert_allclose(grad(lambda a: onp.trace(a))(x), onp.eye(3))
    onp.testing.assert_allclose(grad(lambda a: onp.sum(onp.kron(a, onp.ones(2))))(x), 2 * onp.ones((3, 3)))


def _layouts(rng):
    """Pairs of plain operands for dot and matmul: vectors, matrices of every memory layout, stacks, dtypes."""
    a, b, big = rng.randn(7, 5), rng.randn(5, 6), rng.randn(20000, 200)  # big: 32 MB, beyond most caches
    return [
        (a, b), (b.T, a.T), (a[::2], b), (a[:, ::2], b[::2]), (a[::-1], b), (onp.asfortranarray(a), b[:, 1:]),
        (a[2:3], b), (a, b[:, :1]), (a[:1, :1], b[:1]), (a, a.T), (a.T, a), (a[:0], b), (rng.randn(5), b),
        (a, rng.randn(5)), (rng.randn(5), rng.randn(5)), (big, rng.randn(200)), (rng.randn(20000), big),
        (rng.randn(300, 1000), rng.randn(1000)), (rng.randn(64), rng.randn(64, 2048)),
        (rng.randn(2, 3, 4), rng.randn(4, 2)), (a.astype(onp.float32), b.astype(onp.float32)),
        (a + 1j * a, b), (onp.arange(35).reshape(7, 5), b), (onp.arange(6), onp.arange(6)),
    ]


def test_products_of_plain_arrays_are_numpys_bit_for_bit():
    # tapegrad.numpy.f on plain arrays returns exactly numpy.f's result: the same
    # bits (==, not allclose) on every machine, whatever the shapes and layouts.
    from tapegrad.numpy.products import _matmul

    for x, y in _layouts(onp.random.RandomState(0)):
        want_dot = onp.dot(x, y)
        for got in (np.dot(x, y), x.dot(y)):
            assert got.dtype == want_dot.dtype and onp.array_equal(got, want_dot), (x.shape, y.shape)
        if x.ndim and y.ndim:
            want = onp.matmul(x, y)
            for got in (np.matmul(x, y), _matmul(x, y), x @ y):
                assert got.dtype == want.dtype and onp.array_equal(got, want), (x.shape, y.shape)


def test_traced_products_compute_numpys_values():
    # The value a traced product records is NumPy's too (reverse mode, each operand traced).
    for x, y in _layouts(onp.random.RandomState(1)):
        if not (x.ndim and y.ndim) or x.dtype.kind not in "fc" or y.dtype.kind not in "fc":
            continue
        want, seen = onp.matmul(x, y), []

        def f(a, b):
            out = a @ b
            seen.append(out._value)
            return np.sum(np.real(out))

        grad(f, argnum=(0, 1))(x, y)
        assert onp.array_equal(seen[0], want), (x.shape, y.shape)


def test_matrix_product_shortcut_is_numpy_matmul():
    # Two C-contiguous float64 matrices are multiplied with ndarray.dot (less
    # call overhead than the matmul ufunc): the same BLAS call, the same bits.
    from tapegrad.numpy.products import _matmul

    rng = onp.random.RandomState(0)
    a, b = rng.randn(7, 5), rng.randn(5, 6)
    # anything else goes to numpy.matmul itself (stacks, vectors, other dtypes, keywords)
    assert _matmul(rng.randn(2, 3, 4), rng.randn(4, 2)).shape == (2, 3, 2)
    assert _matmul(a.astype(onp.float32), b.astype(onp.float32)).dtype == onp.float32
    out = onp.empty((7, 6))
    assert _matmul(a, b, out=out) is out


def test_row_bias_cotangent_is_the_column_sum():
    from tapegrad.numpy._wrap import unbroadcast

    g = onp.random.RandomState(1).randn(9, 4)
    onp.testing.assert_allclose(unbroadcast(g, onp.zeros(4)), g.sum(axis=0), rtol=1e-14)
    onp.testing.assert_allclose(grad(lambda b: np.sum(np.sin(g + b)))(onp.zeros(4)), onp.cos(g).sum(axis=0))


@pytest.mark.parametrize("side", ["matrix-vector", "vector-matrix"])
def test_forward_mode_reads_a_large_matrix_once(side, monkeypatch):
    # Value and tangent come from one product with both vectors stacked
    # (Primitive.value_and_jvp); they must equal the two separate products.
    from tapegrad import hessian_vector_product, make_jvp
    from tapegrad.numpy import products

    rng = onp.random.RandomState(2)
    m = rng.randn(160, 120)  # above the size at which the fused rule applies
    x, v = (rng.randn(120), rng.randn(120)) if side == "matrix-vector" else (rng.randn(160), rng.randn(160))
    f = (lambda x: np.tanh(m @ x)) if side == "matrix-vector" else (lambda x: np.tanh(x @ m))
    prim = products.matmul._primitive
    calls = []
    for argnum, rule in list(prim.value_and_jvp.items()):
        monkeypatch.setitem(prim.value_and_jvp, argnum, lambda *a, rule=rule: calls.append(1) or rule(*a))
    ans, t = make_jvp(f)(x)(v)
    z, z_dot = (m @ x, m @ v) if side == "matrix-vector" else (x @ m, v @ m)
    assert calls, "the fused rule was not used"
    onp.testing.assert_allclose(ans, onp.tanh(z), rtol=1e-13)
    onp.testing.assert_allclose(t, (1 - onp.tanh(z) ** 2) * z_dot, rtol=1e-12, atol=1e-14)
    # forward over reverse: the backward pass's product (the other operand traced) is fused too
    loss = lambda x: np.sum(f(x) ** 2)  # noqa: E731
    g = grad(loss)
    eps = 1e-6
    fd = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    onp.testing.assert_allclose(hessian_vector_product(loss)(x, v), fd, rtol=1e-6, atol=1e-8)
    assert len(calls) >= 3

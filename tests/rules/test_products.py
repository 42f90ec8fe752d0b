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


def test_matrix_product_shortcut_is_numpy_matmul():
    # Two float64 matrices are multiplied with ndarray.dot (less call overhead):
    # the same BLAS product, so the same bits, whatever the operands' layout.
    from tapegrad.numpy.products import _matmul

    rng = onp.random.RandomState(0)
    a, b = rng.randn(7, 5), rng.randn(5, 6)
    for x, y in [(a, b), (b.T, a.T), (a[::2], b), (onp.asfortranarray(a), b[:, 1:])]:
        assert onp.array_equal(_matmul(x, y), onp.matmul(x, y))
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


# A matrix-vector product with a matrix larger than the cache streams the
# matrix (tapegrad.numpy._gemv); min sizes of 0 let small matrices take that
# path, so that its values and every derivative rule through it are checked.
STREAMED = [
    ("matmul", lambda a, b: a @ b, (6, 70), (70,)),
    ("matmul", lambda a, b: a @ b, (6,), (6, 70)),
    ("dot", np.dot, (6, 70), (70,)),
    ("dot", np.dot, (6,), (6, 70)),
]


@pytest.fixture
def streamed(monkeypatch):
    from tapegrad.numpy import _gemv

    calls = []
    product, matvec_pair, vecmat_pair = _gemv.product, _gemv.matvec_pair, _gemv.vecmat_pair
    monkeypatch.setattr(_gemv, "MATVEC_MIN_BYTES", 0)
    monkeypatch.setattr(_gemv, "VECMAT_MIN_BYTES", 0)
    monkeypatch.setattr(_gemv, "product", lambda a, b: calls.append((a.shape, b.shape)) or product(a, b))
    monkeypatch.setattr(_gemv, "matvec_pair", lambda *a: calls.append("matrix-vector") or matvec_pair(*a))
    monkeypatch.setattr(_gemv, "vecmat_pair", lambda *a: calls.append("vector-matrix") or vecmat_pair(*a))
    return calls


@pytest.mark.parametrize("name,f,a_shape,b_shape", STREAMED, ids=[f"{r[0]}{r[2]}{r[3]}" for r in STREAMED])
def test_streamed_matrix_vector_products(name, f, a_shape, b_shape, streamed):
    from tapegrad.test_util import check_grads

    rng = onp.random.RandomState(5)
    a, b = rng.randn(*a_shape), rng.randn(*b_shape)
    onp.testing.assert_allclose(getattr(np, name)(a, b), onp.dot(a, b), rtol=1e-13)
    assert streamed == [(a_shape, b_shape)], "the streaming kernel was not used"
    for argnum in (0, 1):  # each operand traced, the other constant: the forward product and one VJP
        check_grads(lambda x: np.tanh(f(x, b) if argnum == 0 else f(a, x)), modes=("fwd", "rev"), order=2)(
            a if argnum == 0 else b)
    check_grads(lambda a, b: np.sin(f(a, b)), argnum=(0, 1), order=2)(a, b)
    # the backward pass's product of the constant matrix is streamed too
    streamed.clear()
    grad(lambda x: np.sum(f(x, b) ** 2) if a.ndim == 1 else np.sum(f(a, x) ** 2))(a if a.ndim == 1 else b)
    assert len(streamed) >= 2, streamed


@pytest.mark.parametrize("side", ["matrix-vector", "vector-matrix"])
def test_streamed_forward_mode_pairs(side, streamed, monkeypatch):
    # make_jvp through a constant matrix: value and tangent in one streamed pass
    from tapegrad import make_jvp
    from tapegrad.numpy import products

    rng = onp.random.RandomState(8)
    m = rng.randn(150, 130)
    x, v = (rng.randn(130), rng.randn(130)) if side == "matrix-vector" else (rng.randn(150), rng.randn(150))
    f = (lambda x: np.sin(m @ x)) if side == "matrix-vector" else (lambda x: np.sin(x @ m))
    pairs = []
    prim = products.matmul._primitive
    for argnum, rule in list(prim.value_and_jvp.items()):
        monkeypatch.setitem(prim.value_and_jvp, argnum, lambda *a, rule=rule: pairs.append(1) or rule(*a))
    ans, t = make_jvp(f)(x)(v)
    z, z_dot = (m @ x, m @ v) if side == "matrix-vector" else (x @ m, v @ m)
    assert pairs, "the fused rule was not used"
    assert streamed == [side], "the streamed pair was not used"
    onp.testing.assert_allclose(ans, onp.sin(z), rtol=1e-13, atol=1e-13)
    onp.testing.assert_allclose(t, onp.cos(z) * z_dot, rtol=1e-12, atol=1e-13)


def test_streamed_pairs_without_vecdot(monkeypatch):
    from tapegrad.numpy import _gemv

    monkeypatch.setattr(_gemv, "_vecdot", None)
    rng = onp.random.RandomState(9)
    a, x, v = rng.randn(9, 70), rng.randn(70), rng.randn(70)
    for got, want in zip(_gemv.matvec_pair(a, x, v), (a @ x, a @ v)):
        onp.testing.assert_allclose(got, want, rtol=1e-13)


def test_streaming_applies_only_to_large_float_matrices_with_moderate_rows(monkeypatch):
    from tapegrad.numpy import _gemv

    monkeypatch.setattr(_gemv, "MATVEC_MIN_BYTES", 64 * 100 * 8)
    monkeypatch.setattr(_gemv, "VECMAT_MIN_BYTES", 64 * 200 * 8)
    big, vec = onp.ones((100, 64)), onp.ones(64)
    assert _gemv.applies(big, vec) and not _gemv.applies(onp.ones(100), big)  # each product its own size
    assert _gemv.applies(onp.ones(200), onp.ones((200, 64)))
    assert not _gemv.applies(big[:99], vec)  # smaller than the size
    assert not _gemv.applies(onp.ones((200, 32)), onp.ones(32))  # rows too short: dgemv is as fast
    assert not _gemv.applies(onp.ones((20, 2048)), onp.ones(2048))  # rows too long
    assert not _gemv.applies(onp.ones((64, 100)).T, onp.ones(64))  # not C-contiguous
    assert not _gemv.applies(big.astype(onp.float32), vec.astype(onp.float32))
    assert not _gemv.applies(big, onp.ones(63))  # mismatched: numpy's own error
    with pytest.raises(ValueError):
        np.matmul(big, onp.ones(63))
    assert _gemv.last_level_cache_bytes() > 0


def test_cache_sizes_as_sysfs_writes_them():
    from tapegrad.numpy import _gemv

    assert _gemv._cache_size("32768K\n") == 32 << 20
    assert _gemv._cache_size("1M") == 1 << 20
    assert _gemv._cache_size("512") == 512
    assert _gemv._cache_size("") is None and _gemv._cache_size("unknown") is None


def test_streamed_matrix_vector_without_vecdot(monkeypatch):
    from tapegrad.numpy import _gemv

    monkeypatch.setattr(_gemv, "_vecdot", None)  # NumPy 1.26 has no vecdot: einsum streams the rows
    a, x = onp.random.RandomState(6).randn(9, 70), onp.random.RandomState(7).randn(70)
    onp.testing.assert_allclose(_gemv.product(a, x), a @ x, rtol=1e-13)

"""tapegrad.vmap: axes as JAX reads them, composition with the derivatives, the loop fallback, errors,
and the batched differential operators (jacobian, jacfwd, hessian, batches of Hessian-vector products)
against their one-row-at-a-time results. Each rule is checked against a loop in tests/rules/test_batching.py.
"""

from __future__ import annotations

import collections
import re

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import (
    TapegradError, TraceLeakError, elementwise_grad, grad, hessian, hessian_vector_product, jacfwd, jacobian, jacrev,
    make_jvp, make_vjp, sweeps, tensor_jacobian_product, value_and_grad, vmap,
)
from tapegrad.core.batching import BatchError, looped_primitives
from tapegrad.extend import def_rules, primitive

RNG = onp.random.default_rng(16)


def _loop(f, *args, axis=0):
    """``f`` of each example along ``axis`` of every argument, stacked along axis 0."""
    n = onp.shape(args[0])[axis]
    return onp.stack([f(*[onp.take(a, i, axis) for a in args]) for i in range(n)])


# ----- axes ---------------------------------------------------------------------------------------


def test_in_axes_per_argument_and_none() -> None:
    x, w = RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    got = vmap(lambda x, w: np.dot(x, w) + np.sum(w), in_axes=(0, None))(x, w)
    onp.testing.assert_allclose(got, x @ w + w.sum())
    m = RNG.standard_normal((2, 3))
    for axis in (0, 1):  # an unbatched matrix times each example's vector
        got = vmap(lambda v: m @ v, in_axes=axis)(onp.moveaxis(x, 0, axis))
        onp.testing.assert_allclose(got, _loop(lambda v: m @ v, x), rtol=1e-14)


def test_negative_and_inner_axes() -> None:
    x = RNG.standard_normal((3, 4, 5))
    for axis in (1, -1, -2, 2):
        got = vmap(lambda v: np.sum(np.sin(v) * v[0]), in_axes=axis)(x)
        onp.testing.assert_allclose(got, _loop(lambda v: onp.sum(onp.sin(v) * v[0]), x, axis=axis))


def test_containers_in_and_out() -> None:
    Point = collections.namedtuple("Point", "x y")
    p = Point(RNG.standard_normal((4, 2)), RNG.standard_normal(4))
    d = {"a": RNG.standard_normal((2, 4)), "b": 3.0}

    def f(p, d):
        return {"sum": p.x[0] * p.y + d["a"][1] * d["b"], "pair": (p.y, d["b"])}

    out = vmap(f, in_axes=(Point(0, 0), {"a": 1, "b": None}), out_axes={"sum": 0, "pair": (-1, None)})(p, d)
    onp.testing.assert_allclose(out["sum"], p.x[:, 0] * p.y + d["a"][1] * 3.0)
    onp.testing.assert_allclose(out["pair"][0], p.y)
    assert out["pair"][1] == 3.0


def test_out_axes_places_and_broadcasts() -> None:
    x = RNG.standard_normal((4, 3))
    got = vmap(lambda v: (np.outer(v, v), 2.0), out_axes=(1, 0))(x)
    onp.testing.assert_allclose(got[0], onp.einsum("bi,bj->ibj", x, x))
    onp.testing.assert_array_equal(got[1], onp.full(4, 2.0))
    assert got[1].flags.writeable  # an unbatched output is copied out, as a batched one is


def test_keyword_arguments_map_over_axis_0() -> None:
    x, s = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
    onp.testing.assert_allclose(vmap(lambda x, scale: x * scale)(x, scale=s), x * s[:, None])


def test_axis_size_without_mapped_arguments() -> None:
    onp.testing.assert_array_equal(vmap(lambda: np.ones(2), in_axes=(), axis_size=3)(), onp.ones((3, 2)))


@pytest.mark.parametrize("call, message", [
    (lambda: vmap(np.add, in_axes=(0, 0))(onp.ones(3), onp.ones(4)), "different sizes"),
    (lambda: vmap(np.sin, in_axes=1)(onp.ones(3)), "axis 1"),
    (lambda: vmap(np.add, in_axes=(0,))(onp.ones(3), onp.ones(3)), "in_axes has 1 entries"),
    (lambda: vmap(np.sin, in_axes=None)(onp.ones(3)), "at least one mapped argument"),
    (lambda: vmap(np.sin, out_axes=None)(onp.ones(3)), "out_axes is None"),
    (lambda: vmap(lambda x: x, in_axes=([0],))({"a": onp.ones(3)}), "do not match"),
    (lambda: vmap(np.sin, in_axes="0"), "must be an int"),
    (lambda: vmap(lambda s: s)("abc"), "cannot map over a value of type 'str'"),
])
def test_errors_name_the_problem(call, message) -> None:
    with pytest.raises(BatchError, match=message):
        call()


def test_python_branches_need_every_example_to_agree() -> None:
    def relu_or_not(x):
        return x if np.all(x > -10) else -x  # the same branch for every example: fine

    onp.testing.assert_allclose(vmap(relu_or_not)(onp.arange(6.0).reshape(2, 3)), onp.arange(6.0).reshape(2, 3))
    with pytest.raises(BatchError, match="where the examples disagree"):
        vmap(lambda x: x if x > 0 else -x)(onp.array([1.0, -1.0]))
    with pytest.raises(BatchError, match="float"):
        vmap(lambda x: float(x))(onp.array([1.0, -1.0]))


def test_an_example_looks_like_one_example() -> None:
    seen = {}

    def f(x):
        seen.update(shape=x.shape, ndim=x.ndim, len=len(x), size=np.size(x), shape_fn=np.shape(x))
        return x

    vmap(f, in_axes=1)(onp.ones((3, 7, 2)))
    assert seen == {"shape": (3, 2), "ndim": 2, "len": 3, "size": 6, "shape_fn": (3, 2)}


def test_leaked_batched_value_refuses_use() -> None:
    kept = []
    vmap(lambda x: kept.append(x) or x)(onp.ones(3))
    with pytest.raises(TraceLeakError, match="after vmap returned"):
        kept[0] + 1.0


# ----- writes, views, the loop fallback -------------------------------------------------------------


def test_writes_into_arrays_made_inside() -> None:
    def f(x):
        out = np.zeros(4)
        view = out[1:3]  # a view taken before the writes sees them
        out[0] = x[0]
        out[1:] = x * 2.0
        out[3] += np.sum(x)
        return out, view * 1.0

    x = RNG.standard_normal((5, 3))
    got = vmap(f)(x)
    for i in range(5):
        want = f(x[i])
        onp.testing.assert_allclose(got[0][i], want[0])
        onp.testing.assert_allclose(got[1][i], want[1])
    g = vmap(grad(lambda v: np.sum(f(v)[0] ** 2)))(x)
    onp.testing.assert_allclose(g, _loop(grad(lambda v: np.sum(f(v)[0] ** 2)), x))


def test_writes_through_views_of_batched_arrays() -> None:
    def f(x):
        y = x * 1.0
        v = y[1:3]  # a view of each example: writes through it reach y, as in NumPy
        v[0] = 7.0 * x[0]
        w = y[::2]
        w[1] += 1.0
        return y

    x = RNG.standard_normal((3, 4))
    onp.testing.assert_allclose(vmap(f)(x), _loop(f, x))
    onp.testing.assert_allclose(vmap(f, in_axes=1)(x.T), _loop(f, x))
    loss = lambda v: np.sum(f(v) ** 2)  # noqa: E731
    onp.testing.assert_allclose(grad(lambda X: np.sum(vmap(f)(X) ** 2))(x), _loop(grad(loss), x))


def _slices(x):
    y = x * 1.0
    y[1:3][0] = 7.0 * x[0]
    y[2:] += x[:2] ** 2
    return y


def _steps(x):
    y = np.sin(x)
    v = y[::-2, ::2]
    v[0] *= x[0, :2]
    y[::3] -= 1.5 * x[1]
    return y


def _transpose(x):
    y = x.T * 1.0
    z = y.T
    z[0] = 5.0 * x[1]
    y.T[1:, 1] += np.cos(x[0, 1])
    return y


def _reshape(x):
    y = np.exp(x)
    r = np.reshape(y, (2, 6))
    r[1, ::2] = x[0, 0] * x[3]
    y.ravel()[5:7] += x[1, :2]
    return y


def _swap_flip(x):
    y = x ** 2
    s = np.swapaxes(y[None], 0, 2)
    s[1] = x[2, 0] * x[:, None, 1]
    f = np.flip(y, 0)
    f[0] += x[0]
    return y


def _view_of_view(x):
    y = x * 2.0
    v = y[1:]
    v[0] = x[3]
    w = v[::2]  # taken after a write into v
    w[1] += x[0] ** 2
    v[1:, 0] = 0.0
    return y * v[0]


def _diagonal(x):
    y = np.tanh(x)
    d = np.diagonal(y)  # read-only, and sees the write below
    y[0] = d[1] * x[1]
    return y, d * 1.0


def _expand_squeeze(x):
    y = x + 1.0
    e = np.expand_dims(y, 1)
    e[2, 0] = x[0] * x[1]
    np.squeeze(e[:, :, :1], 2)[::2] += 3.0 * x[1, 0]
    return y


VIEW_WRITES = [_slices, _steps, _transpose, _reshape, _swap_flip, _view_of_view, _diagonal, _expand_squeeze]


def _outputs(out):
    return out if isinstance(out, tuple) else (out,)


def _view_loss(f):
    return lambda x: sum(np.sum(np.sin(o) * o) for o in _outputs(f(x)))


@pytest.mark.parametrize("f", VIEW_WRITES, ids=lambda f: f.__name__[1:])
def test_writes_through_views_match_a_loop(f) -> None:
    X = RNG.standard_normal((5, 4, 3))
    want = [onp.stack(o) for o in zip(*[_outputs(f(x)) for x in X])]
    for axis in (0, 2):
        got = _outputs(vmap(f, in_axes=axis)(onp.moveaxis(X, 0, axis)))
        for g, w in zip(got, want, strict=True):
            onp.testing.assert_allclose(g, w, rtol=1e-12)
    loss = _view_loss(f)
    want = _loop(grad(loss), X)
    onp.testing.assert_allclose(vmap(grad(loss))(X), want, rtol=1e-10)  # the views under grad's boxes
    onp.testing.assert_allclose(vmap(grad(loss), in_axes=1)(onp.moveaxis(X, 0, 1)), want, rtol=1e-10)
    onp.testing.assert_allclose(grad(lambda X: np.sum(vmap(loss)(X)))(X), want, rtol=1e-10)


@pytest.mark.parametrize("f", [_slices, _view_of_view, _diagonal], ids=lambda f: f.__name__[1:])
def test_writes_through_views_in_nested_vmaps_and_at_second_order(f) -> None:
    X = RNG.standard_normal((2, 3, 4, 3))
    loss = _view_loss(f)
    want = onp.stack([_loop(grad(loss), X[i]) for i in range(2)])
    onp.testing.assert_allclose(vmap(vmap(grad(loss)))(X), want, rtol=1e-10)
    onp.testing.assert_allclose(vmap(grad(lambda x: np.sum(vmap(loss)(x))))(X), want, rtol=1e-10)
    got = _outputs(vmap(vmap(f), in_axes=1, out_axes=1)(X))
    for g, w in zip(got, [onp.stack(o) for o in zip(*[_outputs(f(x)) for x in X.reshape(6, 4, 3)])]):
        onp.testing.assert_allclose(g.reshape(w.shape), w, rtol=1e-12)
    # second order: the Hessian-vector product of the loss, per example, against one at a time
    t = RNG.standard_normal((4, 3))
    hvp = lambda x: grad(lambda y: np.sum(grad(loss)(y) * t))(x)  # noqa: E731
    onp.testing.assert_allclose(vmap(hvp)(X[0]), _loop(hvp, X[0]), rtol=1e-9, atol=1e-12)


def test_read_only_views_refuse_writes_as_numpy_does() -> None:
    def f(x):
        y = x * 1.0
        np.diagonal(y)[0] = 1.0
        return y

    with pytest.raises(ValueError, match="read-only"):
        f(onp.ones((2, 2)))
    with pytest.raises(ValueError, match="read-only"):
        vmap(f)(onp.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="read-only"):
        vmap(grad(lambda x: np.sum(f(x))))(onp.ones((3, 2, 2)))


def test_primitive_without_a_rule_is_looped() -> None:
    cube = primitive(lambda x: x ** 3)
    def_rules(cube, vjp=lambda g, ans, x: 3 * x ** 2 * g, jvp=lambda t, ans, x: 3 * x ** 2 * t)
    x = RNG.standard_normal((4, 2))
    onp.testing.assert_allclose(vmap(cube)(x), x ** 3)
    onp.testing.assert_allclose(vmap(grad(lambda v: np.sum(cube(v))))(x), 3 * x ** 2)
    onp.testing.assert_allclose(grad(lambda v: np.sum(vmap(cube)(v)))(x), 3 * x ** 2)
    assert "<lambda>" in looped_primitives()
    def_rules(cube, batch=lambda args, dims: (cube(args[0]), dims[0]))  # now it has one
    onp.testing.assert_allclose(vmap(cube, in_axes=1)(x.T), x ** 3)


def test_batched_index_arrays() -> None:
    x, i = RNG.standard_normal((4, 5, 3)), RNG.integers(0, 5, (4, 2))
    onp.testing.assert_allclose(vmap(lambda x, i: x[i, 1])(x, i), _loop(lambda x, i: x[i, 1], x, i))
    onp.testing.assert_allclose(vmap(np.sort)(x[..., 0]), onp.sort(x[..., 0], axis=1))
    onp.testing.assert_allclose(vmap(lambda v: np.median(v, axis=0))(x), onp.median(x, axis=1))
    g = vmap(grad(lambda v: np.sum(np.sort(v) * onp.arange(5.0))))(x[..., 0])
    onp.testing.assert_allclose(g, _loop(grad(lambda v: np.sum(np.sort(v) * onp.arange(5.0))), x[..., 0]))
    with pytest.raises(BatchError, match="boolean mask"):
        vmap(lambda v: v[v > 0])(x[..., 0])


# ----- composition with the derivatives -------------------------------------------------------------


def f_mix(x, w):
    return np.sum(np.tanh(w @ x) ** 2) + np.prod(np.cos(x[:2])) + np.max(x) * np.linalg.norm(x)


@pytest.mark.parametrize("order", ["vmap(grad)", "grad(vmap)", "vmap(vmap(grad))", "vmap(jvp)", "jvp(vmap)",
                                   "vmap(vjp)", "vmap(hvp)", "grad(vmap(grad))"])
def test_compositions(order: str) -> None:
    w = RNG.standard_normal((4, 3))
    xs = RNG.standard_normal((5, 3))
    t = RNG.standard_normal(3)
    one = grad(f_mix)
    if order == "vmap(grad)":
        got, want = vmap(one, in_axes=(0, None))(xs, w), _loop(lambda x: one(x, w), xs)
    elif order == "grad(vmap)":
        got = grad(lambda X: np.sum(vmap(f_mix, in_axes=(0, None))(X, w)))(xs)
        want = _loop(lambda x: one(x, w), xs)
    elif order == "vmap(vmap(grad))":
        X = xs.reshape(5, 1, 3) + onp.arange(2.0).reshape(1, 2, 1)
        got = vmap(vmap(one, in_axes=(0, None)), in_axes=(1, None), out_axes=1)(X, w)
        want = onp.stack([_loop(lambda x: one(x, w), X[:, j]) for j in range(2)], axis=1)
    elif order == "vmap(jvp)":
        got = vmap(lambda x: make_jvp(f_mix)(x, w)(t)[1])(xs)
        want = _loop(lambda x: make_jvp(f_mix)(x, w)(t)[1], xs)
    elif order == "jvp(vmap)":
        got = make_jvp(lambda X: vmap(f_mix, in_axes=(0, None))(X, w))(xs)(onp.tile(t, (5, 1)))[1]
        want = _loop(lambda x: make_jvp(f_mix)(x, w)(t)[1], xs)
    elif order == "vmap(vjp)":
        vjp, _ = make_vjp(lambda x: np.tanh(w @ x))(xs[0])
        got, want = vmap(vjp)(onp.eye(4)), _loop(vjp, onp.eye(4))
    elif order == "vmap(hvp)":
        got = vmap(lambda v: hessian_vector_product(f_mix)(xs[0], w, v))(onp.eye(3))
        want = hessian(f_mix)(xs[0], w)
    else:  # the gradient of a sum of per-example gradient norms
        def per_example_norms(W):
            return np.sum(vmap(lambda x: np.sum(grad(f_mix)(x, W) ** 2))(xs))

        got = grad(per_example_norms)(w)
        want = sum(grad(lambda W, x=x: np.sum(grad(f_mix)(x, W) ** 2))(w) for x in xs)
    onp.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_value_and_grad_inside_vmap() -> None:
    xs = RNG.standard_normal((4, 3))
    values, grads = vmap(value_and_grad(lambda x: np.sum(x ** 3)))(xs)
    onp.testing.assert_allclose(values, (xs ** 3).sum(1))
    onp.testing.assert_allclose(grads, 3 * xs ** 2)


def test_per_example_gradients_of_an_mlp() -> None:
    sizes = [6, 5, 4, 3]
    params = [(RNG.standard_normal((m, n)) / onp.sqrt(m), RNG.standard_normal(n) * 0.1)
              for m, n in zip(sizes[:-1], sizes[1:])]
    X = RNG.standard_normal((7, 6))
    Y = onp.eye(3)[RNG.integers(0, 3, 7)]

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        return -np.sum(y * (logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))))

    got = vmap(grad(loss), in_axes=(None, 0, 0))(params, X, Y)
    want = [grad(loss)(params, X[i], Y[i]) for i in range(7)]
    for k, (w, b) in enumerate(got):
        onp.testing.assert_allclose(w, onp.stack([g[k][0] for g in want]), rtol=1e-10, atol=1e-12)
        onp.testing.assert_allclose(b, onp.stack([g[k][1] for g in want]), rtol=1e-10, atol=1e-12)
    # their sum is the gradient of the summed loss
    total = grad(lambda p: sum(loss(p, X[i], Y[i]) for i in range(7)))(params)
    onp.testing.assert_allclose(got[0][0].sum(0), total[0][0], rtol=1e-10)


# ----- batched differential operators against one row at a time --------------------------------------

A = RNG.standard_normal((4, 4)) / 2


def _functions():
    return {
        "tanh-matvec": lambda x: np.tanh(A @ x) * np.sin(x),
        "outer": lambda x: np.outer(x, np.cumsum(x)),
        "reductions": lambda x: np.stack([np.sum(x ** 2), np.prod(x), np.max(x), np.mean(np.exp(x))]),
        "indexing": lambda x: x[::-1][[0, 2, 2]] * x[1],
        "where": lambda x: np.where(x > 0, x ** 2, np.sin(x)),
        "linalg": lambda x: np.linalg.solve(A + 3 * np.eye(4), x) + np.linalg.inv(np.diag(x ** 2 + 1)) @ x,
        "einsum": lambda x: np.einsum("ij,j,j->i", A, x, x),
        "writes": _writes,
        "sort": lambda x: np.sort(x) * np.arange(4.0),
        "scalar": lambda x: np.sum(np.log1p(x ** 2)),
        "matrix-out": lambda x: np.reshape(x, (2, 2)) @ np.reshape(x[::-1], (2, 2)),
    }


def _writes(x):
    out = np.zeros((2, 4))
    out[0] = x
    out[1, 1:] = x[:3] * x[0]
    return out


def _looped_jacobian(f, x):
    """The Jacobian one reverse sweep per output element (what jacobian did before vmap)."""
    vjp, ans = make_vjp(f)(x)
    rows = [vjp(e) for e in onp.eye(onp.size(ans)).reshape((onp.size(ans),) + onp.shape(ans))]
    return onp.reshape(onp.stack(rows), onp.shape(ans) + onp.shape(x))


@pytest.fixture
def strict_sweeps(monkeypatch):
    """The batched sweeps raise what they raise, instead of falling back to the row loop."""
    monkeypatch.setattr(sweeps, "STRICT", True)


@pytest.mark.parametrize("name", list(_functions()))
def test_jacobians_match_the_looped_one(name: str, strict_sweeps) -> None:
    f = _functions()[name]
    x = RNG.standard_normal(4)
    want = _looped_jacobian(f, x)
    for op in (jacobian, jacrev, jacfwd):
        got = op(f)(x)
        assert got.shape == want.shape
        onp.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh-matvec", "outer", "reductions", "linalg", "einsum", "writes", "scalar"])
def test_hessians_match_the_looped_one(name: str, strict_sweeps) -> None:
    f = _functions()[name]
    x = RNG.standard_normal(4) + 0.1
    # column by column: the Jacobian of each gradient entry, one reverse sweep per row
    want = onp.stack([_looped_jacobian(lambda y, k=k: _looped_jacobian(f, y)[..., k], x) for k in range(4)], axis=-2)
    got = hessian(f)(x)
    assert got.shape == onp.shape(f(x)) + (4, 4)
    onp.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_hessian_vector_products_for_a_batch_of_vectors() -> None:
    f = _functions()["scalar"]
    x, V = RNG.standard_normal(4), RNG.standard_normal((3, 2, 4))
    got = hessian_vector_product(f)(x, V)
    H = hessian(f)(x)
    onp.testing.assert_allclose(got, V @ H.T, rtol=1e-10)
    onp.testing.assert_allclose(hessian_vector_product(f)(x, V[0, 0]), H @ V[0, 0], rtol=1e-10)


def test_tensor_jacobian_products_over_the_remaining_axes(strict_sweeps) -> None:
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)
    f = lambda x, y: np.tanh(np.einsum("i,j,k->ijk", x, y, np.sin(x)))  # noqa: E731
    J = jacobian(f, (0, 1))(x, y)
    for v in (RNG.standard_normal(3), RNG.standard_normal((3, 2))):  # contracted with the leading axes
        got = tensor_jacobian_product(f, (0, 1))(x, y, v)
        for g, j in zip(got, J):
            onp.testing.assert_allclose(g, onp.tensordot(v, j, v.ndim), rtol=1e-12, atol=1e-14)
    v = RNG.standard_normal(3)
    got = tensor_jacobian_product(f)(x, y, v)
    assert got.shape == (2, 3, 3)
    # its derivative, through the batched sweep
    d = grad(lambda x: np.sum(tensor_jacobian_product(f)(x, y, v) ** 2))(x)
    loop = lambda x: np.stack([make_vjp(f)(x, y)[0](np.reshape(v, (3, 1, 1)) * e)  # noqa: E731
                               for e in onp.eye(6).reshape(6, 2, 3)]).reshape(2, 3, 3)
    onp.testing.assert_allclose(d, grad(lambda x: np.sum(loop(x) ** 2))(x), rtol=1e-10)


def test_jacobian_of_complex_and_tuple_arguments() -> None:
    z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    f = lambda z: np.abs(z) ** 2 + np.real(z * z)  # noqa: E731 - not holomorphic: forward mode is not used
    onp.testing.assert_allclose(jacfwd(f)(z), _looped_jacobian(f, z))
    g = lambda x, y: np.sin(x) * y[:2]  # noqa: E731
    x, y = RNG.standard_normal(2), RNG.standard_normal(3)
    got = jacobian(g, (0, 1))(x, y)
    onp.testing.assert_allclose(got[0], onp.diag(onp.cos(x) * y[:2]))
    onp.testing.assert_allclose(got[1], onp.hstack([onp.diag(onp.sin(x)), onp.zeros((2, 1))]))


def test_elementwise_grad_unchanged() -> None:
    x = onp.linspace(-2, 2, 7)
    d4 = elementwise_grad(elementwise_grad(elementwise_grad(elementwise_grad(np.tanh))))
    t = onp.tanh(x)
    onp.testing.assert_allclose(d4(x), 8 * t * (2 - 3 * t ** 2) * (1 - t ** 2), rtol=1e-9, atol=1e-12)


def test_vmap_of_jacobian() -> None:
    xs = RNG.standard_normal((3, 4))
    f = _functions()["tanh-matvec"]
    onp.testing.assert_allclose(vmap(jacobian(f))(xs), _loop(lambda x: _looped_jacobian(f, x), xs), rtol=1e-10)


def test_tapegrad_errors_are_tapegrad_errors() -> None:
    assert issubclass(BatchError, TapegradError)


# ----- found by the fuzzer's vmap mode (tests/fuzz/vmapcheck.py), each checked against NumPy per example --


def _numpy_loop(f, *args, in_axes=0):
    """``f`` run by plain NumPy on each example (``np=numpy``; an example is a copy of NumPy's ``X[i]``), stacked."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(onp.shape(a)[d] for a, d in zip(args, axes) if d is not None)
    return onp.stack([f(*[a if d is None else onp.array(a, copy=True)[(slice(None),) * d + (i,)].copy()
                          for a, d in zip(args, axes)], np=onp) for i in range(n)])


def _agrees_with_numpy(f, *args, in_axes=0):
    """vmap(f), vmap(grad(f)) and grad(sum(vmap(f))) against NumPy per example and grad per example."""
    want = _numpy_loop(f, *args, in_axes=in_axes)
    onp.testing.assert_allclose(vmap(f, in_axes=in_axes)(*args), want, rtol=1e-12)
    per = _numpy_loop(lambda *a, np: onp.asarray(grad(f)(*a)), *args, in_axes=in_axes)
    onp.testing.assert_allclose(vmap(grad(f), in_axes=in_axes)(*args), per, rtol=1e-12)
    first = in_axes[0] if isinstance(in_axes, tuple) else in_axes  # the gradient has x's layout
    onp.testing.assert_allclose(grad(lambda *a: np.sum(vmap(f, in_axes=in_axes)(*a)))(*args),
                                onp.moveaxis(per, 0, first), rtol=1e-12)


def test_a_zero_d_view_of_a_batched_array_sees_writes() -> None:
    """``y[..., -3]`` of a 1-d example is a 0-d view of it (NumPy's): it was left unlinked, so a
    later ``**=`` through another name did not reach it (fuzz seed 283)."""
    def f(y, np=np):
        L0 = [y, y]
        a = y[..., -3]
        L0[1] **= 2
        return a * 1.0 + np.sum(y * np.arange(4.0))

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)))


def test_a_zero_d_result_is_an_array_where_numpys_is() -> None:
    """An example that is 0-d is a scalar (immutable) or a 0-d array (mutable) as NumPy's is: ``y[1, ...]``
    of a 1-d array and ``np.asarray(s)`` of a scalar are arrays, so writes into them are NumPy's (seed 16)."""
    def f(y, np=np):
        a = y[1, ...]
        a += 2.0  # in place: reaches y
        return np.sum(y * np.arange(4.0))

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)))

    def g(y, np=np):
        s = np.sum(y)
        b = s[...]
        b += 5.0  # a new 0-d array: s stays
        return s * 2.0 + b * 3.0

    _agrees_with_numpy(g, RNG.standard_normal((3, 4)))
    assert type(vmap(lambda y: y[1, ...])(onp.ones((2, 4)))) is onp.ndarray


def test_asarray_of_a_batched_scalar_is_a_new_array() -> None:
    """``np.asarray(y)`` of a scalar example returned the scalar itself, and ``np.copyto`` into it
    changed every example of the scalar: a wrong value with no error (seed 95)."""
    def f(x, y, np=np):
        a = np.asarray(y)
        np.copyto(a, 2.0)
        return y * 3.0 + a + np.sum(x)

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)), RNG.standard_normal(3), in_axes=(0, 0))


def test_writes_into_a_scalar_are_numpys() -> None:
    """``y.put(...)`` and ``y.fill(...)`` on a scalar example changed it (NumPy writes into a temporary
    copy: nothing changes); ``np.copyto`` and ``np.place`` raise NumPy's TypeError (seed 215)."""
    for write in (lambda s, np: s.put([0, -1], 2.0), lambda s, np: s.fill(2.0), lambda s, np: np.put(s, [0], 2.0)):
        def f(y, np=np):
            s = np.sum(y)
            write(s, np)
            return s * 1.0

        _agrees_with_numpy(f, RNG.standard_normal((2, 3)))
    for write in (lambda s: np.copyto(s, 2.0), lambda s: np.place(s, True, 2.0)):
        def g(y):
            s = np.sum(y)
            with pytest.raises(TypeError, match="must be"):
                write(s)
            return s

        onp.testing.assert_allclose(vmap(g)(onp.ones((2, 3))), [3.0, 3.0])
        onp.testing.assert_allclose(grad(g)(onp.ones(3)), onp.ones(3))


def test_an_element_taken_before_an_in_place_write_keeps_its_value() -> None:
    """``d = b[2]`` of a batched ``b`` is each example's scalar (a copy in NumPy); it was a view of the stack,
    so ``b //= 2`` done in place changed it: a wrong value with no error (seed 224)."""
    def f(y, np=np):
        b = np.ravel(np.ones_like(y))
        d = b[2]
        b //= 2
        c = y * 1.0
        e = c[1]
        c *= 3.0
        return d * 1.0 + e + c[0]

    _agrees_with_numpy(f, RNG.standard_normal((4, 3)).T.copy(), in_axes=1)
    _agrees_with_numpy(f, RNG.standard_normal((3, 4)))


def test_a_masked_write_of_values_viewing_the_target_is_numpys() -> None:
    """``x[mask] = x.ravel()[:k]``: NumPy reads such values as it writes them; the batched write read them
    all first, a wrong value under vmap and a wrong gradient under grad(vmap) (seeds 667, 862, 919, 571).
    Refused at first; now NumPy's order is found on one example, as without vmap. With a copy of the
    values, NumPy's too."""
    mask = onp.array([[True, False, False, False], [False, True, True, True], [True, False, True, True]])

    def f(x, np=np):
        x[mask] = x.ravel()[:7]
        return np.sum(x * np.cos(np.arange(12.0)).reshape(3, 4))

    X = RNG.standard_normal((2, 3, 4))
    _agrees_with_numpy(f, X)

    def g(x, np=np):
        x[mask] = x.ravel()[:7].copy()
        return np.sum(x * np.cos(np.arange(12.0)).reshape(3, 4))

    _agrees_with_numpy(g, X)


def test_a_view_of_a_flipped_view_sees_writes_through_it() -> None:
    """``z = np.flip(y, -1).reshape(-1)`` is a view in NumPy; with one example the stack's reshape gave its
    examples' axis another stride, so it was left unlinked and a fancy ``+=`` through the flip did not reach
    it: a wrong value with no error (seed 10839)."""
    def f(y, np=np):
        a = np.flip(y, -1)
        z = a.reshape(-1)
        a[np.array([[0, 3], [3, 0]])] += 2.0 * y[1]
        return np.sum(z * np.cos(np.arange(4.0))) + np.sum(y * np.sin(np.arange(4.0)))

    for n in (1, 3):
        Y = RNG.standard_normal((n, 4))
        _agrees_with_numpy(f, Y)
        _agrees_with_numpy(f, Y.T.copy(), in_axes=1)


def test_ravel_of_a_flipped_view_is_a_copy_as_in_numpy() -> None:
    """``np.flip(y, -1).ravel()`` copies in NumPy (a 1-d array with a negative stride is not contiguous);
    the stack's reshape made it a view, which a later write into ``y`` changed (seed 13203)."""
    def f(y, np=np):
        d = np.flip(y, -1).ravel()
        y[np.array([False, False, False, True])] -= np.sum(d)
        return np.sum(d * np.cos(np.arange(4.0))) + np.sum(y * np.sin(np.arange(4.0)))

    Y = RNG.standard_normal((2, 4))
    _agrees_with_numpy(f, Y)
    _agrees_with_numpy(f, Y.T.copy(), in_axes=1)


def test_views_of_a_batch_of_one_see_writes() -> None:
    """With a batch of one example, NumPy may give the examples' axis of a view any stride: the views were
    left unlinked, and did not see later writes (``expand_dims`` of a flip, seed 12726, also a wrong
    gradient and JVP; ``broadcast_to``, seed 14700)."""
    def flipped(y, np=np):
        b = np.flip(y)
        c = np.expand_dims(b, -2)
        b[2:] = b.ravel()[:1].reshape(1,)
        return np.sum(c * np.cos(np.arange(3.0)).reshape(1, 3))

    def broadcast(y, np=np):
        a = np.broadcast_to(y, (1, 4))
        y[2, None] = y.ravel()[:1].reshape(1,) * 3.0
        return np.sum(a * np.cos(np.arange(4.0)).reshape(1, 4))

    _agrees_with_numpy(flipped, RNG.standard_normal((1, 3)))
    _agrees_with_numpy(broadcast, RNG.standard_normal((1, 4)))
    _agrees_with_numpy(broadcast, RNG.standard_normal((3, 4)))
    v = RNG.standard_normal(3)
    jvp = lambda y: make_jvp(flipped)(y)(v)[1]  # noqa: E731
    onp.testing.assert_allclose(vmap(jvp)(RNG.standard_normal((1, 3))[:1] * 0 + v), [jvp(v)], rtol=1e-12)


def test_examples_of_a_moved_axis_are_laid_out_as_copies() -> None:
    """An example mapped along a later axis is laid out as a fresh copy of NumPy's ``X[:, i]`` would be, so
    NumPy's layout questions get that array's answers: ``x.reshape(12, 1, order='A')`` is a view whose
    writes reach ``x`` (seed 13029), and ``x.ravel()`` a view, so a masked write of it into ``x`` reads what
    NumPy's does, as on examples first (seeds 11905, 14460)."""
    def f(x, np=np):
        b = x.reshape(12, 1, order="A")
        b *= np.sum(x) * 0.1
        return np.sum(x * np.cos(np.arange(12.0)).reshape(4, 3))

    X = RNG.standard_normal((4, 2, 3))
    _agrees_with_numpy(f, X, in_axes=1)
    _agrees_with_numpy(f, onp.moveaxis(X, 1, 2).copy(), in_axes=2)

    mask = onp.arange(12).reshape(4, 3) % 5 != 1

    def g(x, np=np):
        x[mask] = x.ravel()[:9]
        return np.sum(x * np.cos(np.arange(12.0)).reshape(4, 3))

    _agrees_with_numpy(g, X, in_axes=1)


def test_a_write_while_an_unlinked_view_lives_is_refused(monkeypatch) -> None:
    """Where vmap cannot link a view of a batched array to it, a write into either while the view lives is
    refused (NumPy's would reach both); after the view is gone, or into a copy, it is NumPy's."""
    from tapegrad.numpy import batching, memory

    def unlink(base, out):  # every view left unlinked, as a view vmap cannot link is
        o, b = memory.stack_layers(out)[0], memory.stack_layers(base)[0]
        if isinstance(o, onp.ndarray) and isinstance(b, onp.ndarray) and onp.may_share_memory(o, b):
            return batching._unlinked(memory._block_of(base), out)
        return out

    monkeypatch.setattr(memory, "BATCHED_LINK", unlink)

    def through_base(y, np=np):
        a = np.flip(y)
        y[0] = 5.0
        return a

    def through_view(y, np=np):
        a = np.flip(y)
        a[0] = 5.0
        return y

    def copied(y, np=np):
        a = np.flip(y).copy()
        y[0] = 5.0
        return a + y

    def gone(y, np=np):
        np.flip(y)
        y[0] = 5.0
        return y

    Y = RNG.standard_normal((3, 4))
    for f in (through_base, through_view):
        with pytest.raises(BatchError, match=r"copy\(\)"):
            vmap(f)(Y)
    for f in (copied, gone):
        onp.testing.assert_allclose(vmap(f)(Y), _numpy_loop(f, Y))


def test_shares_memory_answers_as_numpy_does_per_example() -> None:
    """``np.shares_memory``/``np.may_share_memory`` of batched arrays: NumPy's answer for an example (they
    said False even for ``(y, y)`` where the examples are 0-d: seeds 11244, 12005, 12413)."""
    def f(y, np=np):
        a, b, c, s = y[1:], y[0, ...], y[..., 1], y[0, 0]
        z = y[..., 0][..., 0]
        pairs = [(y, y), (a, y), (y, y.copy()), (b, b), (b, y), (c, a), (s, s), (s, y), (z, z), (y[0], y[1])]
        return np.array([fun(p, q) for p, q in pairs for fun in (np.shares_memory, np.may_share_memory)])

    Y = RNG.standard_normal((3, 4, 2))
    onp.testing.assert_array_equal(vmap(f)(Y), _numpy_loop(f, Y))
    onp.testing.assert_array_equal(vmap(f, in_axes=2)(onp.moveaxis(Y, 0, 2)), _numpy_loop(f, Y))


def test_a_template_of_scalar_examples_makes_zero_d_arrays() -> None:
    """``np.zeros_like(s)`` of a scalar is a 0-d array in NumPy (writes into it are allowed); vmap gave a
    scalar (seeds 12072, 13419, 12303, 10261, 13501)."""
    kinds = []

    def f(x, s, np=np):
        made = (np.zeros_like(s), np.ones_like(s * 2.0), np.zeros_like(x[0, 0]), np.ones_like(x[..., 1][0]))
        writable = []
        for v in made:  # a 0-d array takes a write; a scalar raises
            try:
                v[...] = 3.0
                writable.append(True)
            except TypeError:
                writable.append(False)
        kinds.append(writable)
        e = np.zeros_like(s)
        e[...] = s * x[1, 1]
        return e * made[0] + np.sum(x)

    X, S = RNG.standard_normal((3, 2, 2)), RNG.standard_normal(3)
    _agrees_with_numpy(f, X, S)
    assert kinds and all(k == [True] * 4 for k in kinds)  # vmap's and each of NumPy's examples


def test_writing_batched_values_into_a_plain_array_is_refused() -> None:
    """An array passed with in_axes=None holds one value for every example: batched values written into it
    are a BatchError saying what to do, by ``+=`` and by NumPy's write functions."""
    def add_into(x, out):
        out += x
        return out

    def copy_into(x, out):
        onp.copyto(out, x)
        return out

    for f in (add_into, copy_into):
        with pytest.raises(BatchError, match=r"in_axes=0.*a = np.array\(a\)"):
            vmap(f, in_axes=(0, None))(RNG.standard_normal((3, 2)), onp.zeros(2))


def test_writes_into_zero_d_array_examples() -> None:
    """A write into a batched 0-d array, directly or through a view of it (``np.reshape(np.array(s), (1, 1))``),
    raised NumPy's "multiple indices are not supported for 0d arrays" from the batched write (seed 10065)."""
    def f(y, np=np):
        b = np.reshape(np.array(y[1]), (1, 1))
        b += b[0, 0] * y[2]
        c = np.array(y[0] * 1.0)
        c[...] = c * y[3]
        c += 1.0
        return np.sum(b) * np.sin(c)

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)))


def test_ravel_of_an_f_ordered_copy_is_a_view() -> None:
    """``d = x.copy('F')`` of a 1-d example is contiguous, so ``d.ravel()`` views it, as NumPy's does; the
    stack of an F-ordered copy spaces an example's elements by the number of examples, and asking NumPy on
    that example said copy: a later write into ``d`` did not reach the ravel (seeds 13138, 14710)."""
    def f(x, y, np=np):
        d = np.ravel(np.diagonal(x, 0, 0, 1)).copy("F")
        e = d.ravel()
        d //= 2.0 + d ** 2
        b = np.copy(y[...], order="F")
        np.ravel(b)[:-1] -= 2.0 * y[0]
        return np.sum(e * np.cos(np.arange(4.0))) + np.sum(b * np.sin(np.arange(3.0)))

    X, Y = RNG.standard_normal((3, 4, 4)), RNG.standard_normal((3, 3))
    _agrees_with_numpy(f, X, Y)
    _agrees_with_numpy(f, onp.moveaxis(X, 0, 2).copy(), Y.T.copy(), in_axes=(2, 1))


def test_a_reshape_of_a_scalar_is_a_new_writeable_array() -> None:
    """``np.imag(s).reshape(1, 1)`` of a scalar ``s`` is a new array in NumPy, writeable; vmap's was a
    read-only view of the stack, and a write into it raised where NumPy's does not (seed 13929)."""
    def f(y, np=np):
        c = np.imag(y).reshape(1, 1, order="F")
        c[None] = y * 3.0
        return np.sum(c) + y

    _agrees_with_numpy(f, RNG.standard_normal(3))


def test_ravel_of_a_strided_column_is_a_copy() -> None:
    """``np.ravel(a[..., 2])`` of a 2-d example copies in NumPy (its elements are 3 apart); vmap counted any
    even spacing as contiguous (the examples' axis could lie between the elements), made it a view, and a
    later write into ``a`` changed it (seed 14256)."""
    def f(x, np=np):
        a = np.array(x)
        y = np.ravel(a[..., 2])
        a[:] = np.sin(x)
        return np.sum(y * np.cos(np.arange(4.0))) + np.sum(a)

    X = RNG.standard_normal((1, 4, 3))
    _agrees_with_numpy(f, X)
    _agrees_with_numpy(f, RNG.standard_normal((3, 4, 3)))
    _agrees_with_numpy(f, onp.moveaxis(X, 0, 2).copy(), in_axes=2)


def test_functions_of_scalar_examples_keep_numpys_kind_and_flags() -> None:
    """Of a scalar example ``s``: ``np.real(s)`` is a scalar (a write into it raises, seeds 10221, 10275),
    ``np.broadcast_to(s, (3,))`` a read-only array (seeds 14725, 10831), ``np.imag(s).reshape(1, 1)`` a
    writeable one (seed 13929), as NumPy's are."""
    outcomes = []

    def f(y, np=np):
        seen = []
        for make in (lambda: np.real(y), lambda: np.broadcast_to(y, (3,)), lambda: np.imag(y).reshape(1, 1)):
            v = make()
            try:
                v[...] *= 2.0
                seen.append("written")
            except (TypeError, ValueError) as e:
                seen.append(type(e).__name__)
        outcomes.append(seen)
        return y * 1.0

    vmap(f)(RNG.standard_normal(3))
    _numpy_loop(f, RNG.standard_normal(3))
    assert outcomes[0] == ["TypeError", "ValueError", "written"] and all(o == outcomes[0] for o in outcomes)


def test_an_element_write_into_a_plain_array_is_a_batch_error() -> None:
    """``plain[i] = s`` of a batched scalar into an array passed with in_axes=None: NumPy converts the element
    itself and raised its own "setting an array element with a sequence"; a BatchError saying what to do,
    under grad too (seed 10249)."""
    def f(x, y):
        x[2, -2] = y[-2]
        return np.sum(x * y[0])

    X, Y = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))
    with pytest.raises(BatchError, match=r"in_axes=0.*a = np.array\(a\)"):
        vmap(f, in_axes=(None, 0))(X.copy(), Y)
    for mapped in (vmap(grad(f, 1), in_axes=(None, 0)), grad(lambda x, y: np.sum(vmap(f, in_axes=(None, 0))(x, y)), 1)):
        with pytest.raises(TapegradError):  # traced too: the differentiation's own error (TraceLeakError)
            mapped(X.copy(), Y)


def test_reductions_along_axis_0_of_zero_d_examples_are_numpys() -> None:
    """NumPy's ufunc reductions take ``axis=0`` (or -1) of a 0-d array or a scalar; the batched rule raised
    AxisError (seed 10218). Other reductions raise NumPy's AxisError for each example."""
    def f(y, np=np):
        return np.sum(y, axis=0) + np.max(y, axis=-1) * np.prod(np.array(y), axis=0)

    _agrees_with_numpy(f, RNG.standard_normal(3))
    with pytest.raises(onp.exceptions.AxisError):
        vmap(lambda y: np.mean(y, axis=0))(RNG.standard_normal(3))


def test_item_of_an_integer_or_bool_example() -> None:
    """``b.item(k)`` of a batched bool or integer array recursed without end (seeds 10424, 10782; 23 and 267
    with a transposed view); it is each example's element, as NumPy's."""
    def f(y, np=np):
        b = np.empty_like(y, dtype=bool)
        b[...] = y > 0
        k = (y * 10).astype(int)
        return np.array([b.item(1), b.T.item(2), k.item(0), k[1].item(), b[0].item()], dtype=float)

    Y = RNG.standard_normal((4, 3))
    onp.testing.assert_array_equal(vmap(f)(Y), _numpy_loop(f, Y))


def test_numpys_write_checks_see_a_scalar_example_as_a_scalar() -> None:
    """``np.place(bools, mask, s)`` of a scalar ``s`` casts as NumPy casts a scalar; the check ran on a 0-d
    array, which NumPy casts safely only, and raised where NumPy does not (seed 11036)."""
    def f(x, np=np):
        b = np.array([1.0, 0.0, 2.0], dtype=bool)
        np.place(b, np.array([True, False, True]), x[1])
        return b * 1.0 + x[0]

    X = RNG.standard_normal((4, 2))
    X[1, 1] = 0.0
    onp.testing.assert_array_equal(vmap(f)(X), _numpy_loop(f, X))


def test_copyto_of_a_view_onto_itself_copies_nothing() -> None:
    """``np.copyto(b, b)`` of a read-only view: NumPy copies nothing onto the same memory and checks nothing;
    under vmap the read-only check ran (seed 11090). A 0-d example is still checked, as NumPy does."""
    def f(x, np=np):
        b = x.diagonal()
        np.copyto(b, b)
        return b * 2.0

    X = RNG.standard_normal((3, 4, 4))
    onp.testing.assert_allclose(vmap(f)(X), _numpy_loop(f, X))
    with pytest.raises(ValueError, match="read-only"):
        vmap(lambda x: np.copyto(np.broadcast_to(x, (2,))[0, ...], np.broadcast_to(x, (2,))[0, ...]))(X[:, 0, 0])


def test_writes_through_np_real_of_a_real_array() -> None:
    """``np.real(y)`` of a real array is ``y`` itself in NumPy; the rule noted the stack as a view it could
    not link, and every later write into ``y`` was refused (seeds 10008, 10191, 10230 and about 140 others
    of 5000)."""
    def f(y, np=np):
        a = np.real(y)
        a //= 0.5
        b = y.real
        b *= y[0]
        return np.sum(y * np.cos(np.arange(4.0))) + np.sum(a)

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)) + 2.0)


# Every way NumPy writes a ufunc's result into an array: the in-place operators and out= (with where=, of a
# method, of a two-output ufunc) and ufunc.at. (target, batched example) -> None.
_PLAIN_WRITES = {
    "+=": lambda p, x: p.__iadd__(x), "-=": lambda p, x: p.__isub__(x), "*=": lambda p, x: p.__imul__(x),
    "/=": lambda p, x: p.__itruediv__(x), "//=": lambda p, x: p.__ifloordiv__(x), "%=": lambda p, x: p.__imod__(x),
    "**=": lambda p, x: p.__ipow__(x), "@=": lambda p, x: p.__imatmul__(x),
    "out=": lambda p, x: onp.sin(x, out=p),
    "out= where=": lambda p, x: onp.add(x, 1.0, out=p, where=onp.eye(3, dtype=bool)),
    "out=(p,)": lambda p, x: onp.multiply(x, 2.0, out=(p,)),
    "two outputs": lambda p, x: onp.modf(x, out=(p, onp.zeros((3, 3)))),
    "reduce out=": lambda p, x: onp.add.reduce(x, axis=0, out=p[0]),
    "accumulate out=": lambda p, x: onp.add.accumulate(x, axis=1, out=p),
    "at": lambda p, x: onp.add.at(p, ([0, 2],), x[:2]),
}


@pytest.mark.parametrize("how", list(_PLAIN_WRITES))
def test_every_ufunc_write_of_batched_values_into_a_plain_array_is_a_batch_error(how) -> None:
    """``plain @= batched``, ``plain += batched`` and the other ufunc writes into a plain array raised
    NonDifferentiableError (matmul's axes=) or TraceLeakError where a differentiation's box held the batched
    value (``vmap(grad(f))``), or a BatchError of another operation (``.at``, ``reduce``): one BatchError
    saying what to do, in every order (fuzz seeds 162, 259 and 41 others of 5000). Doing what it says gives
    NumPy's values per example."""
    P = onp.linspace(1.0, 2.0, 9).reshape(3, 3)
    write = _PLAIN_WRITES[how]

    def into_plain(x, np=np):
        p = P.copy()  # a plain array: one value for every example
        write(p, x)
        return np.sum(x * 1.0)

    def into_a_copy(x, np=np):
        p = np.array(P)  # what the error says
        write(p, x)
        return np.sum(p * x)

    X = RNG.uniform(1.0, 2.0, (2, 3, 3))
    for mapped in (vmap(into_plain), vmap(grad(into_plain)), grad(lambda X: np.sum(vmap(into_plain)(X))),
                   vmap(lambda x: make_jvp(into_plain)(x)(x)[1]), vmap(vmap(into_plain))):
        with pytest.raises(BatchError, match=r"plain ndarray.*in_axes=0.*np.array\(a\)"):
            mapped(X if mapped.__name__ != "vmap_of_vmap_of_into_plain" else X[:, None])
    if how not in ("two outputs", "reduce out=", "accumulate out="):  # out= of these into a traced array: refused
        _agrees_with_numpy(into_a_copy, X)


def test_in_place_matmul_of_a_plain_array_by_a_constant_array() -> None:
    """``y @= np.eye(4) + c`` with ``y`` passed with in_axes=None (a plain array) and ``np.eye`` made while
    tracing: NumPy's in-place matmul passes ``axes=``, which was refused as NonDifferentiableError, under
    ``grad`` too (fuzz seeds 162, 259). NumPy's values, and its errors where the shapes do not fit."""
    def f(x, y, np=np):
        y @= np.eye(4) + np.sum(y)
        return np.sum(x * y)

    X, y = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    want_y = y.copy()
    want_y @= onp.eye(4) + onp.sum(want_y)
    for run in (lambda y: vmap(f, in_axes=(0, None))(X, y), lambda y: grad(lambda x: np.sum(f(x, y)))(X[0])):
        y_run = y.copy()
        got = run(y_run)
        onp.testing.assert_array_equal(y_run, want_y)  # written once, as by every example
        if got.shape == (3,):
            onp.testing.assert_allclose(got, X @ want_y, rtol=1e-14)
        else:
            onp.testing.assert_allclose(got, want_y, rtol=1e-14)
    for shapes in (((4, 4), (4,)), ((4,), (3, 4, 4)), ((3, 4), (4, 4)), ((4, 4), (2, 4, 4))):
        a, b = onp.ones(shapes[0]), onp.ones(shapes[1])
        try:
            a.copy().__imatmul__(b)
            want = None
        except ValueError as e:
            want = str(e)

        def g(x, a=a, b=b):
            a.copy().__imatmul__(np.array(b))
            return x

        if want is None:
            grad(g)(1.0)
        else:
            with pytest.raises(ValueError, match=re.escape(want)):
                grad(g)(1.0)


@pytest.mark.filterwarnings("ignore:'where' used without 'out'")
def test_a_ufunc_of_plain_operands_with_a_mask_made_inside() -> None:
    """``np.multiply(x, x, out=x, where=np.array(mask))`` on an unmapped (plain) ``x``: the mask, made while
    tracing, sent NumPy's call to tapegrad, whose function called NumPy with it again: a RecursionError,
    under grad too (fuzz seeds 10497, 10863, 13171). NumPy's values, with out= and without."""
    mask = [[True, False, True, True], [False, True, True, False], [True, True, False, False]]

    def f(x, y, np=np):
        np.multiply(x, x, out=x, where=np.array(mask))
        z = np.add(x, 1.0, where=np.array(mask))  # no out=: NumPy's array, its unmasked elements unset
        return np.sum(x) * y + np.sum(np.where(mask, z, 0.0))

    x, Y = RNG.standard_normal((3, 4)), RNG.standard_normal(5)
    want, want_x = [], None
    for y in Y:  # each example on a fresh copy of x: NumPy leaves the same x in every one
        want_x = x.copy()
        want.append(f(want_x, y, np=onp))
    x_run = x.copy()
    onp.testing.assert_allclose(vmap(f, in_axes=(None, 0))(x_run, Y), want, rtol=1e-14)
    onp.testing.assert_array_equal(x_run, want_x)  # the plain input written as NumPy writes it, once
    x_run = x.copy()
    onp.testing.assert_allclose(grad(f, 1)(x_run, Y[0]), onp.sum(want_x), rtol=1e-14)  # d/dy of sum(x) * y
    onp.testing.assert_array_equal(x_run, want_x)


def test_an_empty_boolean_write_into_a_zero_d_view() -> None:
    """``a[False] *= a`` of a 0-d view ``a = y[..., 2]``, after a traced write into ``y``: the positions of
    ``a[False]`` were read off the unit axis vmap adds to a 0-d example, (0, 1) instead of (0,): NumPy's
    "shape mismatch" (fuzz seeds 10991, 14008, and 10535, 11309, 12717, 14072 under grad(vmap))."""
    def f(y, np=np):
        a = y[..., 2]
        np.multiply(y, np.cos(np.arange(4.0)) * np.sum(a), out=y, where=[True, True, True, True])
        a[False] *= a
        a[True] *= 2.0
        return np.sum(y * np.sin(np.arange(4.0))) + a

    _agrees_with_numpy(f, RNG.standard_normal((3, 4)))


def test_a_copy_of_a_zero_d_array_example_is_a_new_array() -> None:
    """``b = a.copy()`` of a 0-d array example (``y[..., -4]``, ``s[...]`` of a scalar ``s``) returned ``a``
    itself, taking the box of a batched array for a NumPy scalar's (immutable): a later write into ``a`` (or
    into the copy) reached both, a silently wrong value (fuzz seeds 17514, 19452)."""
    def of_a_view(y, np=np):
        a = y[..., -4]
        b = a.copy()
        d = np.atleast_2d(a)
        d /= 6.0
        return b * 0.3 + np.sum(y * np.cos(np.arange(4.0)))

    def of_a_scalar(s, np=np):
        b = s[...]
        d = b.copy()
        d[()] -= d.item(0) * 0.5
        return b * 0.3 + d

    _agrees_with_numpy(of_a_view, RNG.standard_normal((3, 4)))
    _agrees_with_numpy(of_a_scalar, RNG.standard_normal(3))


def test_writes_through_a_mask_that_differs_between_examples() -> None:
    """``np.copyto(a, v, where=a > c)``, ``np.putmask``, ``np.place`` and a ufunc's ``out=`` with ``where=``,
    the mask batched: NumPy's conversion of the mask was refused as a BatchError ("Converting to a NumPy
    array"; fuzz seeds 17006, 17001, 17098, 17150). Each example's own mask, as NumPy per example; and into
    a plain array, the BatchError of every write of batched values into one."""
    def f(y, np=np):
        a, b, c, d = y * 2.0, y * 1.0, y * 1.0, y * 1.0
        np.copyto(a, np.sum(y) * 0.1, where=a > 0.5)
        np.copyto(b, b[::-1], where=y > 0.2)  # values from the memory written: NumPy reads them all first
        np.putmask(c, c < 0.3, np.cos(np.arange(2.0)) * y[0])
        np.putmask(d, d > 0.6, d[::-1])
        e = y * 1.0
        np.place(e, e < 0.4, np.cos(np.arange(2.0)) * y[1])
        np.multiply(e, np.sin(e), out=e, where=e < 0.5)
        return np.sum((a + b * 2.0 + c * 3.0 + d * 4.0) * np.cos(np.arange(6.0))) + np.sum(e * np.sin(np.arange(6.0)))

    _agrees_with_numpy(f, RNG.uniform(0.0, 1.0, (4, 6)))
    P = onp.zeros(6)
    for write in (lambda y: onp.copyto(P, 1.0, where=y > 0.5), lambda y: onp.putmask(P, y > 0.5, 1.0),
                  lambda y: onp.place(P, y > 0.5, 1.0), lambda y: onp.add(P, 1.0, out=P, where=y > 0.5)):
        with pytest.raises(BatchError, match="plain ndarray"):
            vmap(write)(RNG.uniform(0.0, 1.0, (4, 6)))
    onp.testing.assert_array_equal(P, 0.0)


def test_a_looped_write_into_zero_d_examples() -> None:
    """A write vmap leaves to its loop (``b[b > c] = 2.0``, the mask batched, under a JVP) into a stack of 0-d
    array examples: the loop took each example as a NumPy scalar, and NumPy's assignment into it raised
    "assignment destination is read-only" (fuzz seed 21681). Against NumPy per example and the JVP of each."""
    def f(x, y, np=np):
        x[1::3, -1:1:2, ...] = y.ravel()[:0].reshape(1, 0)  # an empty write: x is batched from here on
        b = np.array(x[0, 2])[None]
        b[b > 0.15] = 2.0
        return np.sum(b * y[0]) + np.sum(x * y)

    X, Y = onp.arange(12.0).reshape(3, 4) * 0.1, RNG.uniform(0.0, 1.0, (3, 4))
    V, VY = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    value, tangent = make_jvp(vmap(f, in_axes=(None, 0)), (0, 1))(X.copy(), Y)((V, VY))
    onp.testing.assert_allclose(value, [f(X.copy(), y, np=onp) for y in Y], rtol=1e-14)
    each = [make_jvp(f, (0, 1))(X.copy(), y)((V, vy))[1] for y, vy in zip(Y, VY)]
    onp.testing.assert_allclose(tangent, each, rtol=1e-14)


def test_function_writes_of_values_viewing_the_target_are_numpys() -> None:
    """``np.put(c, [1, 1], c, mode='wrap')``, ``y.put([0, -1], y)``, ``np.putmask`` and ``np.put_along_axis``
    of values that view the array written: NumPy reads them as it writes; vmap refused them (fuzz seeds
    20064, 20136, 20046, 20172). NumPy's order is found on one example, as without vmap."""
    mask = onp.array([[False, True, True, False], [False, True, True, True], [False, False, True, False]])

    def f(x, np=np):
        c = x * 1.0
        np.put(c, [1, 1, 5], c[::-1, ::-1], mode="wrap")
        c.put([0, -1], c)
        np.putmask(c, mask, c.ravel()[:3])
        np.put_along_axis(c, np.array([[0, 1, 0, 2]]), c.ravel()[:4].reshape(1, 4), axis=0)
        return np.sum(c * np.cos(np.arange(12.0)).reshape(3, 4))

    X = RNG.standard_normal((3, 3, 4))
    _agrees_with_numpy(f, X)
    _agrees_with_numpy(f, onp.moveaxis(X, 0, 2).copy(), in_axes=2)
    # each example's own mask: NumPy's order would be found per example; refused, and a copy is NumPy's

    def h(x, np=np, copy=False):
        a = x * 1.0
        v = a.ravel()[:2]
        np.place(a, a > 0.0, v.copy() if copy else v)
        return np.sum(a * np.cos(np.arange(12.0)).reshape(3, 4))

    with pytest.raises(BatchError, match=r"copy\(\)"):
        vmap(h)(X)
    _agrees_with_numpy(lambda x, np=np: h(x, np, True), X)


def test_a_fancy_index_result_is_laid_out_as_numpys() -> None:
    """``x[..., [-3, -4, 1]]`` and ``x[[0, 2, -4]]`` of 2-d examples: NumPy lays out a fancy index's result in
    an order of its own, and on the stack in another than on one example, so ``reshape(order='A')`` read the
    elements in another order (fuzz seed 24907), and ``ravel`` copied where NumPy's views, missing a later
    write (seed 10145)."""
    def f(x, np=np):
        b = x[..., [-3, -4, 1]].reshape(1, 12, order="A")
        c = x[[0, 2, -4]]
        r = c.ravel()
        c[0, 0] = 5.0  # NumPy's ravel is a view of c: it sees the write
        return np.sum(b * np.cos(np.arange(12.0))) + np.sum(r * np.sin(np.arange(12.0)))

    X = RNG.standard_normal((3, 4, 4))
    _agrees_with_numpy(f, X)
    _agrees_with_numpy(f, onp.moveaxis(X, 0, 2).copy(), in_axes=2)


def test_contiguous_and_fortran_arrays_of_batched_values() -> None:
    """``np.ascontiguousarray(y)`` and ``np.asfortranarray(y)`` of a batched array asked NumPy about the whole
    stack and were refused ("Converting to a NumPy array"; about 6% of the fuzzer's programs, e.g. seeds
    20009, 20085). NumPy's answer for one example: the array itself where it is laid out so already (writes
    reach it), a 1-d view of a 0-d array, else a copy; under grad too."""
    def f(y, np=np):
        a = y * 1.0
        b, c = np.ascontiguousarray(a), np.asfortranarray(a)
        d, e = np.ascontiguousarray(a.T), np.asfortranarray(a.T)
        s, z = np.ascontiguousarray(a[0, 0]), np.ascontiguousarray(a[0, 0, ...])
        b[0, 0] += 1.0
        c[0, 1] += 2.0
        d[1, 0] += 3.0
        e[1, 1] += 4.0
        s[0] += 5.0
        z[0] += 6.0
        return (np.sum(a * np.cos(np.arange(6.0)).reshape(2, 3)) + np.sum(d) * 0.5 + np.sum(s) + np.sum(c * 0.3)
                + np.sum(e * 0.7))

    Y = RNG.standard_normal((4, 2, 3))
    for axis in (0, 1, 2):
        _agrees_with_numpy(f, onp.moveaxis(Y, 0, axis).copy(), in_axes=axis)

"""Assignment into traced arrays and in-place arithmetic, in both modes and to second order."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import deriv, grad, hessian
from tapegrad.test_util import check_grads


def numeric_grad(f, x, eps=1e-6):
    g = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        e = onp.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def both(f):
    """f written once; run on tapegrad (traced) and plain NumPy (for finite differences)."""
    return f


X = onp.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def in_place_ops(x):
    y = x * 1.0
    y += x**2
    y -= 0.5 * x
    y *= x
    y /= 2.0 + x**2
    y **= 2
    return y


def setitem_cases(x):
    y = x * 1.0
    y[0, 1] = x[1, 2] ** 3  # scalar, basic index, traced value
    y[1] = np.sin(x[0])  # a row
    y[:, 0] += x[:, 2]  # in place through a slice
    y[[0, 0], [2, 2]] = x[1, :2]  # repeated fancy index: the last write wins
    y[y > 1.0] = 1.0  # boolean mask, constant value
    return y


def created_buffer(x):
    B = np.zeros((4, 4))
    B[:2, :3] = x
    B[3] = x[1, 0]
    B[2, 2:] += x[0, :2]
    return B


def matmul_in_place(x):
    y = x[:, :2] * 1.0
    y @= np.array([[1.0, 2.0], [3.0, 4.0]])
    return y


@pytest.mark.parametrize("fun", [in_place_ops, setitem_cases, created_buffer, matmul_in_place])
def test_assignment_rev_and_fwd_to_second_order(fun):
    check_grads(fun, modes=["fwd", "rev"], order=2)(X)


@pytest.mark.parametrize("fun", [in_place_ops, setitem_cases, created_buffer, matmul_in_place])
def test_assignment_matches_plain_numpy_values(fun):
    import tapegrad

    value = tapegrad.make_vjp(fun)(X)[1]
    # The same code on plain NumPy arrays (tapegrad.numpy passes plain values through).
    assert onp.allclose(value, fun(X.copy()))


def test_readme_style_block_assignment():
    def f(A):
        B = np.zeros((4, 4))
        B[:2, :2] = A
        return np.sum(B**2)

    A = onp.array([[1.0, 2.0], [3.0, 4.0]])
    assert onp.allclose(grad(f)(A), 2 * A)


def test_creation_functions_accept_traced_values():
    makers = [
        lambda: np.zeros(3), lambda: np.ones(3), lambda: np.empty(3), lambda: np.full(3, 2.0),
        lambda: np.zeros_like(onp.ones(3)), lambda: np.ones_like(onp.ones(3)),
        lambda: np.empty_like(onp.ones(3)), lambda: np.full_like(onp.ones(3), 2.0),
        lambda: np.array([0.0, 1.0, 2.0]), lambda: np.copy(onp.ones(3)), lambda: np.eye(3)[0],
        lambda: np.arange(3.0), lambda: np.linspace(0.0, 1.0, 3),
    ]
    for make in makers:
        def f(x):
            b = make()
            b[1] = x**2
            return np.sum(b * b)

        assert grad(f)(1.5) == pytest.approx(4 * 1.5**3), make


def test_views_see_later_writes_and_write_through():
    def f(x):
        v = x[1:3]
        x[1] = x[0] ** 2  # v sees it
        w = v * 1.0
        v[1] = 10 * x[0]  # reaches x
        return np.sum(x * x) + np.sum(w)

    def plain(x):
        x = x.copy()
        v = x[1:3]
        x[1] = x[0] ** 2
        w = v * 1.0
        v[1] = 10 * x[0]
        return (x * x).sum() + w.sum()

    x = onp.array([1.0, 2.0, 3.0, 4.0])
    assert onp.allclose(grad(f)(x), numeric_grad(plain, x))
    assert deriv(lambda t: f(x + t))(0.0) == pytest.approx(numeric_grad(lambda t: plain(x + t), onp.array(0.0)))


def test_transpose_and_reshape_views_write_through():
    def f(x):
        y = x.T
        y[0] = x[0, 1] ** 2
        r = x.reshape(-1)
        r[3] = 7.0 * r[0]
        return np.sum(x * np.arange(4.0).reshape(2, 2))

    def plain(x):
        x = x.copy()
        y = x.T
        y[0] = x[0, 1] ** 2
        r = x.reshape(-1)
        r[3] = 7.0 * r[0]
        return (x * onp.arange(4.0).reshape(2, 2)).sum()

    x = onp.array([[1.0, 2.0], [3.0, 4.0]])
    assert onp.allclose(grad(f)(x), numeric_grad(plain, x))


def test_values_needed_by_backward_pass_are_not_corrupted():
    def f(x):
        y = x * 1.0
        z = np.sin(y)  # the sin rule needs y as it was here
        y[0] = 100.0
        y *= 3.0
        return np.sum(z) + np.sum(y)

    x = onp.array([0.1, 0.2, 0.3])
    assert onp.allclose(grad(f)(x), onp.cos(x) + onp.array([0.0, 3.0, 3.0]))


def test_input_array_of_the_caller_is_not_mutated():
    x = onp.array([1.0, 2.0])

    def f(x):
        x[0] = 5.0
        return np.sum(x)

    grad(f)(x)
    assert onp.allclose(x, [1.0, 2.0])


def test_hessian_through_assignment():
    def f(x):
        y = np.zeros(3)
        y[0] = x[0] * x[1]
        y[1:] = x**2
        return np.sum(y)

    assert onp.allclose(hessian(f)(onp.array([1.0, 2.0])), [[2.0, 1.0], [1.0, 2.0]])


@pytest.mark.parametrize(
    "make_view",
    [
        lambda x: onp.transpose(x), lambda x: np.reshape(x, (3, 2)), lambda x: np.ravel(x),
        lambda x: np.swapaxes(x, 0, 1), lambda x: np.moveaxis(x, 0, 1), lambda x: np.flip(x, 1),
        lambda x: np.fliplr(x), lambda x: np.flipud(x), lambda x: np.rot90(x),
        lambda x: np.expand_dims(x, 0), lambda x: np.squeeze(x[None]),
    ],
)
def test_view_returning_functions_write_through_as_in_numpy(make_view):
    def f(x):
        y = x * 1.0
        v = make_view(y)
        v[(0,) * v.ndim] = y[1, 2] ** 2  # in NumPy this changes y
        return np.sum(y * onp.arange(6.0).reshape(2, 3))

    def plain(x):
        y = x * 1.0
        v = make_view(y)
        v[(0,) * v.ndim] = y[1, 2] ** 2
        return (y * onp.arange(6.0).reshape(2, 3)).sum()

    assert f(X) == pytest.approx(plain(X))
    assert onp.allclose(grad(f)(X), numeric_grad(plain, X))
    check_grads(f, modes=["fwd", "rev"], order=2)(X)


def test_copies_stay_copies_and_read_only_views_refuse_writes():
    def copy_then_write(x):
        y = x.T.reshape(-1)  # NumPy copies here (not contiguous)
        y[0] = 100.0
        return np.sum(x) + y[0]

    assert onp.allclose(grad(copy_then_write)(X), onp.ones_like(X))
    for make in (lambda x: np.diagonal(x), lambda x: np.broadcast_to(x, (2, 2, 3))):
        def write(x, make=make):
            v = make(x)
            v[0] = 1.0
            return np.sum(v)

        with pytest.raises(ValueError, match="read-only"):
            grad(write)(X)

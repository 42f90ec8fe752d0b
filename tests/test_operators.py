"""Every differential operator, against closed forms or finite differences."""

import warnings

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import (
    checkpoint, deriv, elementwise_grad, grad, grad_and_aux, grad_named, hessian,
    hessian_tensor_product, hessian_vector_product, holomorphic_grad, jacobian, make_ggnvp,
    make_hvp, make_jvp, make_vjp, multigrad_dict, stop_gradient, tensor_jacobian_product,
    value_and_grad, vector_jacobian_product,
)
from tapegrad.differential_operators import make_jvp_reversemode
from tapegrad.extend import defvjp, primitive

X = onp.array([0.3, -1.2, 2.0])


def cubic(x):
    return np.sum(x**3) + np.prod(x[:2])


def cubic_grad(x):
    return 3 * x**2 + onp.array([x[1], x[0], 0.0])


def cubic_hess(x):
    h = onp.diag(6 * x)
    h[0, 1] = h[1, 0] = 1.0
    return h


def test_grad_and_value_and_grad():
    assert onp.allclose(grad(cubic)(X), cubic_grad(X))
    v, g = value_and_grad(cubic)(X)
    assert v == pytest.approx(cubic(X)) and onp.allclose(g, cubic_grad(X))


def test_argnum_int_and_tuple():
    f = lambda a, b, c: a * b**2 + c  # noqa: E731
    assert grad(f, 1)(2.0, 3.0, 1.0) == pytest.approx(12.0)
    ga, gc = grad(f, (0, 2))(2.0, 3.0, 1.0)
    assert (ga, gc) == (9.0, 1.0)


def test_integer_inputs_are_promoted():
    assert grad(lambda x: x**3 + 1)(2) == 12.0
    assert onp.allclose(grad(lambda x: np.sum(x**2))(onp.arange(3)), [0.0, 2.0, 4.0])


def test_grad_and_aux():
    g, aux = grad_and_aux(lambda x: (np.sum(x**2), {"norm": np.sqrt(np.sum(x**2))}))(X)
    assert onp.allclose(g, 2 * X) and aux["norm"] == pytest.approx(onp.linalg.norm(X))
    assert not hasattr(aux["norm"], "_trace")


def test_elementwise_grad_and_deriv():
    assert onp.allclose(elementwise_grad(np.tanh)(X), 1 - onp.tanh(X) ** 2)
    assert onp.allclose(deriv(np.tanh)(X), 1 - onp.tanh(X) ** 2)


def test_jacobian_shapes_and_tuple_argnum():
    A = onp.arange(6.0).reshape(2, 3)
    assert onp.allclose(jacobian(lambda x: np.dot(A, x))(X), A)
    J = jacobian(lambda x: np.outer(x, x))(X)
    assert J.shape == (3, 3, 3)
    Ja, Jb = jacobian(lambda a, b: a * b, (0, 1))(X, 2 * X)
    assert onp.allclose(Ja, onp.diag(2 * X)) and onp.allclose(Jb, onp.diag(X))


def test_hessian_and_products():
    assert onp.allclose(hessian(cubic)(X), cubic_hess(X))
    v = onp.array([1.0, 2.0, -1.0])
    assert onp.allclose(hessian_tensor_product(cubic)(X, v), cubic_hess(X) @ v)
    assert onp.allclose(hessian_vector_product(cubic)(X, v), cubic_hess(X) @ v)
    hvp, g = make_hvp(cubic)(X)
    assert onp.allclose(hvp(v), cubic_hess(X) @ v) and onp.allclose(g, cubic_grad(X))


def test_tensor_jacobian_product():
    A = onp.arange(6.0).reshape(2, 3)
    u = onp.array([1.0, -1.0])
    assert onp.allclose(tensor_jacobian_product(lambda x: np.dot(A, x))(X, u), u @ A)
    assert onp.allclose(vector_jacobian_product(lambda x: np.dot(A, x))(X, u), u @ A)


def test_tensor_jacobian_product_contracts_the_outputs_leading_axes():
    # autograd's np.tensordot(v, J, np.ndim(v)): a v with fewer axes than the output
    f = lambda a, b: np.outer(np.sin(a), b) * np.sum(a)  # noqa: E731 - output (3, 2)
    a, b, v = X, onp.array([0.5, -2.0]), onp.array([1.0, -1.0, 2.0])
    Ja, Jb = jacobian(f, (0, 1))(a, b)
    assert onp.allclose(tensor_jacobian_product(f)(a, b, v), onp.tensordot(v, Ja, 1))
    ta, tb = tensor_jacobian_product(f, (0, 1))(a, b, v)
    assert onp.allclose(ta, onp.tensordot(v, Ja, 1)) and onp.allclose(tb, onp.tensordot(v, Jb, 1))
    assert onp.allclose(tensor_jacobian_product(f)(a, b, 2.0), 2.0 * Ja)  # a scalar: no axis contracted
    with pytest.raises(ValueError, match="leading axes"):
        tensor_jacobian_product(f)(a, b, onp.ones(2))


def test_make_jvp_reversemode_is_the_forward_derivative_by_reverse_mode():
    f = lambda a, b: np.array([np.sum(a ** 2 * b), np.prod(np.sin(a))])  # noqa: E731
    a, b, v = X, onp.array([1.0, 2.0, -1.0]), onp.array([0.5, -1.0, 2.0])
    assert onp.allclose(make_jvp_reversemode(f)(a, b)(v), jacobian(f)(a, b) @ v)
    assert onp.allclose(make_jvp_reversemode(f, 1)(a, b)(v), make_jvp(f, 1)(a, b)(v)[1])

    @primitive
    def cube(x):  # reverse-mode rules only (as autograd-gamma's): forward mode cannot, this can
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: 3.0 * g * x ** 2)
    assert onp.allclose(make_jvp_reversemode(lambda x: cube(x) * 2.0)(X)(v), 6.0 * X ** 2 * v)
    with pytest.raises(NotImplementedError):
        make_jvp(cube)(X)(v)


def test_operators_results_are_named_as_autograds():
    def foo(x, y):
        pass

    assert grad(foo, 1).__name__ == "grad_of_foo_wrt_argnum_1"
    assert grad(foo, 1).__doc__.startswith("    grad of function foo with respect to argument number 1.")
    assert jacobian(foo).__name__ == "jacobian_of_foo_wrt_argnum_0"
    assert hessian(foo, (0, 1)).__name__ == "hessian_of_foo_wrt_argnum_(0, 1)"
    assert make_vjp(foo).__name__ == "make_vjp_of_foo_wrt_argnum_0"
    assert make_jvp_reversemode(foo).__name__ == "make_jvp_reversemode_of_foo_wrt_argnum_0"
    assert grad.__name__ == "grad" and "tapegrad.numpy" in grad.__doc__  # grad's own docstring: ours


@pytest.mark.parametrize("op", [grad, value_and_grad])
@pytest.mark.parametrize("test", [
    lambda x: np.allclose(x, x * 3.0 / 3.0),  # a Python bool
    lambda x: np.all(x > 0.0),  # a NumPy bool
    lambda x: np.sum(x) > 0.0,
    lambda x: np.isfinite(np.sum(x, keepdims=True)),  # a boolean array of one entry
])
def test_grad_of_a_boolean_output_raises_autograds_type_error(op, test):
    with pytest.raises(TypeError, match="Grad only applies to real scalar-output functions|"
                                        "value_and_grad only applies"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Output seems independent of input"
            op(test)(X)


def test_make_vjp_and_make_jvp():
    vjp, ans = make_vjp(np.sin)(X)
    assert onp.allclose(ans, onp.sin(X)) and onp.allclose(vjp(onp.ones(3)), onp.cos(X))
    ans, t = make_jvp(np.sin)(X)(onp.ones(3))
    assert onp.allclose(t, onp.cos(X))


def test_make_vjp_of_plain_tuple_output_is_not_zero():
    vjp, ans = make_vjp(lambda x: (np.sin(x), x**2))(1.0)
    assert vjp((1.0, 1.0)) == pytest.approx(onp.cos(1.0) + 2.0)


def test_make_ggnvp():
    W = onp.array([[1.0, 2.0], [0.0, 1.0], [1.0, -1.0]])
    f = lambda x: np.dot(W, x)  # noqa: E731
    v = onp.array([1.0, 3.0])
    assert onp.allclose(make_ggnvp(f)(onp.array([0.5, 0.2]))(v), W.T @ W @ v)


def test_make_ggnvp_for_a_batch_of_vectors_matches_one_at_a_time():
    rng = onp.random.RandomState(3)
    W = rng.randn(4, 3)
    f = lambda x: np.tanh(np.dot(W, x))  # noqa: E731
    g = lambda y: np.sum(np.log1p(y ** 2))  # noqa: E731  - a Hessian that is not the identity
    x = rng.randn(3)
    ggnvp = make_ggnvp(f, g)(x)
    V = rng.randn(2, 5, 3)  # two leading axes of vectors
    batched = ggnvp(V)
    assert batched.shape == (2, 5, 3)
    one_at_a_time = onp.array([[ggnvp(V[i, j]) for j in range(5)] for i in range(2)])
    onp.testing.assert_allclose(batched, one_at_a_time, rtol=1e-12, atol=1e-14)
    J = jacobian(f)(x)  # J^T H_g J from the operators that build it whole
    H = hessian(g)(f(x))
    onp.testing.assert_allclose(batched, onp.einsum("ij,jk,kl,abl->abi", J.T, H, J, V), rtol=1e-10)


def test_holomorphic_grad():
    assert onp.allclose(holomorphic_grad(lambda z: z**2)(1.0 + 2.0j), 2 * (1.0 + 2.0j))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning):
            holomorphic_grad(lambda z: z**2)(1.0)


def test_grad_of_real_function_of_complex_input_follows_autograd():
    # f(z) = |z|^2 = x^2 + y^2: autograd's convention returns df/dx - i df/dy.
    z = 1.0 + 2.0j
    assert grad(lambda z: np.abs(z) ** 2)(z) == pytest.approx(2 * 1.0 - 2j * 2.0)


def test_grad_named_and_multigrad_dict():
    f = lambda a, b, c=3.0: a * b * c  # noqa: E731
    assert grad_named(f, "b")(2.0, 5.0) == pytest.approx(6.0)
    d = multigrad_dict(f)(2.0, 5.0)
    assert list(d) == ["a", "b", "c"]
    assert (d["a"], d["b"], d["c"]) == (15.0, 6.0, 10.0)


def test_checkpoint_recomputes_and_supports_tuple_outputs():
    calls = []

    def block(x):
        calls.append(1)
        return np.sin(x), np.cos(x)

    cb = checkpoint(block)
    g = grad(lambda x: cb(x)[0] * cb(x)[1])(0.4)
    assert g == pytest.approx(onp.cos(0.8))
    assert len(calls) > 2  # recomputed in the backward pass
    assert deriv(lambda x: cb(x)[0])(0.4) == pytest.approx(onp.cos(0.4))


def test_stop_gradient():
    assert grad(lambda x: x * stop_gradient(x))(3.0) == 3.0
    assert grad(grad(lambda x: stop_gradient(x) * x**2))(3.0) == pytest.approx(6.0)


def test_output_independent_of_input_gives_zeros():
    with pytest.warns(UserWarning, match="independent"):
        assert grad(lambda x: 1.0)(2.0) == 0.0


def test_seed_examples():
    def taylor_sine(x):
        ans = currterm = x
        i = 0
        while np.abs(currterm) > 0.001:
            currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
            ans = ans + currterm
            i += 1
        return ans

    assert grad(taylor_sine)(onp.pi) == pytest.approx(-1.0, abs=1e-3)

    def f(x):
        if x < 0.0:
            return f(-x)
        while x > 10:
            x /= 10
        return np.power(x, 1.5)

    assert grad(f)(-10003.0) == pytest.approx(-0.00015002249831275308)
    assert grad(lambda x: np.sin(x * 2) / x)(1.0) == pytest.approx(-1.7415910999199666)


def test_tuple_argnum_everywhere():
    def f(a, b):
        return np.sum(a**2 * b) + np.sum(np.sin(b))

    a, b = onp.array([1.0, 2.0]), onp.array([0.5, -1.0])
    ga, gb = grad(f, (0, 1))(a, b)
    assert onp.allclose(ga, 2 * a * b) and onp.allclose(gb, a**2 + onp.cos(b))
    (v, (ga2, gb2)) = value_and_grad(f, (0, 1))(a, b)
    assert onp.allclose(ga2, ga) and onp.allclose(gb2, gb)
    ea, eb = elementwise_grad(lambda a, b: a * b, (0, 1))(a, b)
    assert onp.allclose(ea, b) and onp.allclose(eb, a)
    da = deriv(lambda a, b: a * b, (0, 1))(a, b)
    assert onp.allclose(da, a + b)
    (Haa, Hab), (Hba, Hbb) = hessian(f, (0, 1))(a, b)
    assert onp.allclose(Haa, onp.diag(2 * b)) and onp.allclose(Hab, onp.diag(2 * a))
    assert onp.allclose(Hba, onp.diag(2 * a)) and onp.allclose(Hbb, onp.diag(-onp.sin(b)))
    hv = hessian_tensor_product(f, (0, 1))(a, b, (onp.ones(2), onp.zeros(2)))
    assert onp.allclose(hv[0], 2 * b) and onp.allclose(hv[1], 2 * a)
    hvp, _ = make_hvp(f, (0, 1))(a, b)
    assert onp.allclose(hvp((onp.ones(2), onp.zeros(2)))[1], 2 * a)
    tj = tensor_jacobian_product(lambda a, b: a * b, (0, 1))(a, b, onp.ones(2))
    assert onp.allclose(tj[0], b) and onp.allclose(tj[1], a)
    g, aux = grad_and_aux(lambda a, b: (np.sum(a * b), "aux"), (0, 1))(a, b)
    assert onp.allclose(g[0], b) and aux == "aux"
    vjp, _ = make_vjp(lambda a, b: a * b, (0, 1))(a, b)
    assert onp.allclose(vjp(onp.ones(2))[1], a)
    out, t = make_jvp(lambda a, b: a * b, (0, 1))(a, b)((onp.ones(2), onp.zeros(2)))
    assert onp.allclose(t, b)


# ----- sweeps in chunks of rows (tapegrad.sweeps.CHUNK_ELEMENTS) ---------------------------------


def _curvy(x, y):
    """A function of two arrays with a non-diagonal, non-constant Jacobian (output shape (5,))."""
    return np.tanh(np.dot(np.sin(x).reshape(-1)[:5] * y.sum(), onp.arange(5.0)[:, None] * onp.ones((5, 5))))


def _row_loop(f, x, y):
    """The Jacobian with respect to x, one reverse pass per output element (no batching)."""
    vjp, ans = make_vjp(lambda a: f(a, y))(x)
    return onp.stack([vjp(e) for e in onp.eye(ans.size).reshape((ans.size,) + ans.shape)])


@pytest.mark.parametrize("chunk", [1, 7, 24])  # one row (1 // 12 -> 1), some rows, rows of several chunks
def test_sweeps_in_chunks_of_rows_give_the_whole_sweeps_result(monkeypatch, chunk):
    rng = onp.random.RandomState(7)
    x, y = rng.randn(3, 4), rng.randn(2)
    whole_jac = jacobian(_curvy)(x, y)
    whole_pair = jacobian(_curvy, (0, 1))(x, y)
    f = lambda v: np.sum(np.sin(v) * np.roll(v, 1)) * np.sum(v ** 2)  # noqa: E731
    v = rng.randn(6)
    whole_hess = hessian(f)(v)
    nested = grad(lambda a: np.sum(jacobian(_curvy)(a, y) ** 2))
    whole_nested = nested(x)
    w = rng.randn(5)
    whole_tjp = tensor_jacobian_product(lambda a: np.outer(_curvy(a, y), a.ravel()))(x, w)

    import tapegrad.sweeps as sweeps

    monkeypatch.setattr(sweeps, "CHUNK_ELEMENTS", chunk)
    monkeypatch.setattr(sweeps, "STRICT", True)  # a chunk that cannot batch raises here
    onp.testing.assert_allclose(jacobian(_curvy)(x, y), whole_jac, rtol=1e-14, atol=1e-15)
    onp.testing.assert_allclose(whole_jac, _row_loop(_curvy, x, y), rtol=1e-12, atol=1e-14)
    for got, want in zip(jacobian(_curvy, (0, 1))(x, y), whole_pair):
        onp.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    onp.testing.assert_allclose(hessian(f)(v), whole_hess, rtol=1e-13, atol=1e-14)
    onp.testing.assert_allclose(nested(x), whole_nested, rtol=1e-13, atol=1e-14)  # traced chunks joined
    onp.testing.assert_allclose(tensor_jacobian_product(lambda a: np.outer(_curvy(a, y), a.ravel()))(x, w),
                                whole_tjp, rtol=1e-13, atol=1e-14)


def test_a_sweep_in_chunks_builds_only_its_rows_of_the_identity():
    import tapegrad.sweeps as sweeps
    from tapegrad.core import vspace

    vs = vspace(onp.zeros((2, 3)))
    onp.testing.assert_array_equal(sweeps.identity(vs, 2, 5), onp.eye(6)[2:5].reshape(3, 2, 3))
    onp.testing.assert_array_equal(sweeps.identity(vs), onp.eye(6).reshape(6, 2, 3))

"""Regression tests for issue 13, items 3, 7, 9, 10 and 11: each returned a wrong number (or crashed)
without a clear error.

Oracles: NumPy on the same plain program, central finite differences
(``check_grads``, both modes, second order) and, where it is installed, autograd.
"""

import importlib.util
import json
import subprocess
import sys

import numpy as onp
import pytest
import scipy.linalg as sl

import tapegrad.numpy as np
import tapegrad.scipy.linalg as tsl
from tapegrad import (
    InputTypeError, NotScalarError, TapegradError, checkpoint, deriv, elementwise_grad, grad, grad_and_aux, hessian,
    hessian_tensor_product, holomorphic_grad, jacobian, make_ggnvp, make_hvp, make_jvp, make_vjp,
    tensor_jacobian_product, value_and_grad,
)
from tapegrad.differential_operators import ArgnumError
from tapegrad.test_util import check_grads


def autograd_says(code):
    """What autograd prints running ``code``: in a subprocess, so the real autograd never shares a process
    with tapegrad's ``install_as_autograd`` alias (its doctest requires autograd not imported)."""
    if importlib.util.find_spec("autograd") is None:
        pytest.skip("autograd is not installed")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def check(f, *args, argnum=0):
    """Forward and reverse mode, to second order, against finite differences."""
    check_grads(f, argnum=argnum, modes=("fwd", "rev"), order=2)(*args)


# ----- item 3: memory order ------------------------------------------------------------------


def test_item3_ravel_and_reshape_order_A_follow_the_input_layout():
    x = onp.asfortranarray(onp.arange(1.0, 7.0).reshape(2, 3))
    w = onp.arange(6.0)
    # ravel(x, 'A') of a Fortran-ordered x reads it in F order: output k is x.ravel('F')[k].
    expected = onp.zeros(6)
    expected[onp.ravel(onp.arange(6).reshape(2, 3), order="F")] = w
    g = grad(lambda a: np.sum(np.ravel(a, order="A") * w))(x)
    onp.testing.assert_array_equal(g, expected.reshape(2, 3))
    g = grad(lambda a: np.sum(np.reshape(a, (3, 2), order="A") * w.reshape(3, 2, order="F")))(x)
    onp.testing.assert_array_equal(g, expected.reshape(2, 3))
    # forward mode: the tangent of x along x is read as x is
    _, t = make_jvp(lambda a: np.ravel(a, order="A"))(x)(x)
    onp.testing.assert_array_equal(t, onp.ravel(x, order="A"))


def test_item3_ravel_order_K_has_a_backward_pass():
    w = onp.arange(6.0)
    for make in (lambda a: a, lambda a: np.transpose(a), lambda a: a[::-1, ::-1], lambda a: np.flip(a, 0)):
        x = onp.arange(1.0, 7.0).reshape(2, 3)
        plain = onp.ravel(make(x), order="K")  # which element of x each output is
        g = grad(lambda a: np.sum(np.ravel(make(a), order="K") * w))(x)
        expected = onp.zeros(6)
        expected[plain.astype(int) - 1] = w
        onp.testing.assert_array_equal(g, expected.reshape(2, 3))


@pytest.mark.parametrize("order", ["A", "K"])
def test_item3_memory_orders_against_finite_differences(order):
    x = onp.random.default_rng(0).standard_normal((3, 4))
    w = onp.random.default_rng(1).standard_normal(12)
    # The layouts are made inside the function, so finite differences see them too.
    check(lambda a: np.sum(np.ravel(np.transpose(a), order=order) * w) ** 2, x)
    check(lambda a: np.ravel(a[::-1, 1:], order=order) ** 2, x)
    if order == "A":
        check(lambda a: np.reshape(np.transpose(a), (2, 6), order="A") ** 2, x)


# ----- item 7: checkpoint of a function that writes into its argument -----------------------


def g7(a):
    a[0] = a[0] * 3
    return np.sum(a * a)


def g7_vector(a):
    a[0] = a[0] * 3
    return a * a


def test_item7_checkpoint_gradient_and_jvp():
    x = onp.array([1.0, 2.0])
    f = lambda x: checkpoint(g7)(x * 1.0) + np.sum(x)  # noqa: E731
    # f = 9 x0^2 + x1^2 + x0 + x1, the same as without checkpoint
    onp.testing.assert_allclose(grad(f)(x), [19.0, 5.0])
    onp.testing.assert_allclose(grad(lambda x: g7(x * 1.0) + np.sum(x))(x), [19.0, 5.0])
    _, t = make_jvp(f)(x)(onp.array([1.0, 0.0]))
    assert t == pytest.approx(19.0)
    check(f, x)
    check(lambda x: checkpoint(g7_vector)(x * 1.0), x)
    onp.testing.assert_allclose(hessian(f)(x), onp.diag([18.0, 2.0]))


def test_item7_recomputation_starts_from_the_original_values():
    # jacobian calls the VJP once per output: every recomputation must see the arguments as they were.
    x = onp.array([1.0, 2.0])
    onp.testing.assert_allclose(jacobian(lambda x: checkpoint(g7_vector)(x * 1.0))(x), onp.diag([18.0, 4.0]))
    b = onp.array([1.0, 5.0])

    def h(a, b):
        b[0] = b[0] * 2  # a write into an argument that is not differentiated
        return np.sum(a * b)

    for _ in range(2):
        onp.testing.assert_allclose(grad(lambda x: checkpoint(h)(x, b))(x), [2.0, 5.0])
        # c = 2 x0 + 5 x1 = 12; d(c x)/dx = c I + x (grad c)^T
        onp.testing.assert_allclose(jacobian(lambda x: checkpoint(h)(x, b) * x)(x), [[14.0, 5.0], [4.0, 22.0]])
    onp.testing.assert_array_equal(b, [1.0, 5.0])


def test_item7_checkpoint_leaves_the_callers_arrays_alone():
    x = onp.array([1.0, 2.0])

    def f(x):
        y = x * 1.0
        c = checkpoint(g7)(y)
        return c + np.sum(y * y)  # y is still x

    onp.testing.assert_allclose(grad(f)(x), [18.0 + 2.0, 4.0 + 4.0])
    check(f, x)
    plain = onp.array([1.0, 2.0])
    assert checkpoint(g7)(plain) == pytest.approx(13.0)
    onp.testing.assert_array_equal(plain, [1.0, 2.0])


# ----- item 9: negative argnums -------------------------------------------------------------


def f3(a, b, c):
    return a * b**2 + np.sin(c) * a


def test_item9_grad_with_argnum_minus_one():
    args = (2.0, 3.0, 0.5)
    assert grad(f3, argnum=-1)(*args) == pytest.approx(grad(f3, 2)(*args))
    assert grad(f3, -3)(*args) == pytest.approx(grad(f3, 0)(*args))
    assert grad(f3, (-1, 0))(*args) == pytest.approx(grad(f3, (2, 0))(*args))
    assert grad(lambda a, b: a * b, argnum=-1)(2.0, 3.0) == pytest.approx(2.0)


def test_item9_every_operator_takes_negative_argnums():
    x = onp.array([0.3, -0.7])
    s = onp.array([1.5, 2.0])
    f = lambda s, x: np.sum(s * np.tanh(x) ** 2)  # noqa: E731
    v = lambda s, x: s * np.tanh(x) ** 2  # noqa: E731
    pairs = [
        (lambda n: grad(f, n)(s, x)),
        (lambda n: value_and_grad(f, n)(s, x)[1]),
        (lambda n: grad_and_aux(lambda s, x: (f(s, x), 1), n)(s, x)[0]),
        (lambda n: elementwise_grad(v, n)(s, x)),
        (lambda n: deriv(v, n)(s, x)),
        (lambda n: jacobian(v, n)(s, x)),
        (lambda n: hessian(f, n)(s, x)),
        (lambda n: make_vjp(v, n)(s, x)[0](s)),
        (lambda n: make_jvp(v, n)(s, x)(s)[1]),
        (lambda n: make_hvp(f, n)(s, x)[0](s)),
        (lambda n: hessian_tensor_product(f, n)(s, x, s)),
        (lambda n: tensor_jacobian_product(v, n)(s, x, s)),
        (lambda n: make_ggnvp(v, f_argnum=n)(s, x)(s)),
        (lambda n: holomorphic_grad(lambda s, x: np.sum(s * x * x), n)(s + 0j, x + 0j)),
    ]
    for op in pairs:
        onp.testing.assert_allclose(op(-1), op(1))
        onp.testing.assert_allclose(op(-2), op(0))
    for n, m in (((-1, 0), (1, 0)), ((0, -1), (0, 1)), ([-2], [0])):
        for got, want in zip(grad(f, n)(s, x), grad(f, m)(s, x)):
            onp.testing.assert_allclose(got, want)
        for got, want in zip(jacobian(v, n)(s, x), jacobian(v, m)(s, x)):
            onp.testing.assert_allclose(got, want)
    check_grads(f, argnum=-1)(s, x)
    check_grads(f, argnum=(-1, -2))(s, x)


def test_item9_argnums_as_autograd_reads_them():
    theirs = autograd_says("""
import json
import numpy
import autograd, autograd.numpy as anp
fa = lambda a, b, c: a * b**2 + anp.sin(c) * a
print(json.dumps([numpy.asarray(autograd.grad(fa, n)(2.0, 3.0, 0.5), float).tolist()
                  for n in (-1, -2, -3, (-1, 0), (0, -2))]))
""")
    ours = [grad(f3, n)(2.0, 3.0, 0.5) for n in (-1, -2, -3, (-1, 0), (0, -2))]
    for got, want in zip(ours, json.loads(theirs)):
        onp.testing.assert_allclose(got, want)


def test_item9_argnum_out_of_range_names_itself():
    for n in (3, -4, (0, 5)):
        with pytest.raises(ArgnumError, match=r"argnum=(3|-4|5) names no argument.*3 positional arguments.*-3\.\.2"):
            grad(f3, n)(2.0, 3.0, 0.5)
    with pytest.raises(IndexError):  # autograd raised IndexError here; code catching it keeps working
        jacobian(f3, 3)(2.0, 3.0, 0.5)
    with pytest.raises(TapegradError, match="called with no positional arguments"):
        grad(lambda **kw: 1.0)(x=1.0)


# ----- item 10: linalg functions that read one triangle --------------------------------------


def test_item10_eigvalsh_reads_the_lower_triangle():
    a = onp.array([[1.0, 2.0], [0.5, 3.0]])
    # NumPy computes the eigenvalues of [[1, .5], [.5, 3]]: sum of squares = 1 + 9 + 2 * 0.5**2.
    onp.testing.assert_allclose(grad(lambda a: np.sum(np.linalg.eigvalsh(a) ** 2))(a), [[2.0, 0.0], [2.0, 6.0]])


NONSYM = onp.array([[3.0, 0.7, -1.1], [0.2, 2.5, 0.9], [-0.4, 0.3, 4.0]])


@pytest.mark.parametrize("f", [
    lambda a: np.linalg.eigvalsh(a),
    lambda a: np.linalg.eigvalsh(a, UPLO="U"),
    lambda a: np.linalg.eigh(a)[0],
    lambda a: np.abs(np.linalg.eigh(a, "U")[1]) ** 2,
    lambda a: np.linalg.cholesky(a),
    lambda a: np.linalg.cholesky(a, upper=True),
    lambda a: np.linalg.svd(a, hermitian=True, compute_uv=False),
    lambda a: np.linalg.pinv(a, hermitian=True),
    lambda a: tsl.cholesky(a),
    lambda a: tsl.cholesky(a, lower=True),
    lambda a: tsl.cho_factor(a)[0] * onp.triu(onp.ones((3, 3))),
    lambda a: tsl.eigh(a, eigvals_only=True),
    lambda a: np.abs(tsl.eigh(a, lower=False)[1]) ** 2,
])
def test_item10_triangle_readers_against_finite_differences(f):
    check(f, NONSYM)
    check(f, NONSYM + 0.2j * NONSYM.T)


def test_item10_values_from_the_triangle_numpy_and_scipy_read():
    seen = []

    def f(a):
        ys = [np.linalg.cholesky(a, upper=True), np.linalg.eigvalsh(a, "U"), tsl.cholesky(a), tsl.eigh(a)[0]]
        seen.extend(y._value for y in ys)
        return sum(np.sum(y) for y in ys)

    grad(f)(NONSYM)
    want = [onp.linalg.cholesky(NONSYM, upper=True), onp.linalg.eigvalsh(NONSYM, "U"), sl.cholesky(NONSYM), sl.eigh(NONSYM)[0]]
    for got, expected in zip(seen, want):
        onp.testing.assert_allclose(got, expected, rtol=1e-12)


# ----- item 11: np.matrix inputs, complex outputs to grad -------------------------------------


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_item11_matrix_inputs_are_refused():
    m = onp.matrix([[1.0, 2.0], [3.0, 4.0]])
    calls = [
        lambda: grad(lambda a: np.sum(a))(m),
        lambda: value_and_grad(lambda a: np.sum(a))(m),
        lambda: jacobian(lambda a: a)(m),
        lambda: hessian(lambda a: np.sum(a**3))(m),
        lambda: elementwise_grad(np.sin)(m),
        lambda: make_vjp(np.sin)(m),
        lambda: make_jvp(np.sin)(m),
        lambda: grad(lambda x, a: np.sum(x * a))(1.0, m),  # not differentiated, still refused
        lambda: grad(lambda xs: np.sum(xs[1]))([1.0, m]),
        lambda: grad(lambda x, a=None: x)(1.0, a=m),
    ]
    for call in calls:
        with pytest.raises(InputTypeError, match=r"numpy\.matrix.*np\.asarray"):
            call()
    assert issubclass(InputTypeError, TypeError)
    assert onp.allclose(grad(lambda a: np.sum(a**2))(onp.asarray(m)), 2 * onp.asarray(m))


def test_item11_grad_of_complex_output_raises_autographs_type_error():
    message = "Grad only applies to real scalar-output functions. Try jacobian, elementwise_grad or holomorphic_grad."
    with pytest.raises(TypeError, match=message):
        grad(lambda a: a * 1j)(1.0)
    with pytest.raises(TypeError, match="Grad only applies to real scalar-output"):
        grad(lambda z: z * z)(1.0 + 2.0j)
    with pytest.raises(TypeError, match="Grad only applies to real scalar-output"):
        grad(lambda a: np.sum(a * 1j))(onp.ones(3))
    with pytest.raises(NotScalarError, match="value_and_grad only applies to real scalar-output"):
        value_and_grad(lambda a: a * (1.0 + 1j))(1.0)
    with pytest.raises(NotScalarError, match="grad_and_aux only applies to real scalar-output"):
        grad_and_aux(lambda a: (a * 1j, None))(1.0)
    # what to do instead works
    assert grad(lambda a: np.real(a * 1j))(1.0) == 0.0
    assert grad(lambda a: np.abs(a * (3 + 4j)))(1.0) == pytest.approx(5.0)
    assert holomorphic_grad(lambda z: z * z)(1.0 + 2.0j) == pytest.approx(2.0 + 4.0j)


def test_item11_autograd_raises_the_same_type_error():
    theirs = autograd_says("""
import autograd
try:
    autograd.grad(lambda a: a * 1j)(1.0)
except TypeError as e:
    print(str(e))
""")
    with pytest.raises(TypeError) as ours:
        grad(lambda a: a * 1j)(1.0)
    assert theirs and str(ours.value).startswith(theirs)


@pytest.mark.parametrize("scan", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
def test_scan_along_an_axis_of_a_zero_d_input_has_a_zero_d_gradient(scan):
    # NumPy scans a 0-d input along axis=0 as a 1-d one; its gradient has the input's shape
    fun = getattr(np, scan)
    g = grad(lambda y: fun(y, axis=0)[0] * 3.0)(onp.array(1.5))
    assert onp.shape(g) == () and float(g) == pytest.approx(3.0)  # d(3 y)/dy for both the sum and the product

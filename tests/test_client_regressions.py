"""Regressions reduced from the libraries built on autograd (``make clients``).

Each test is the smallest piece of a client's code that failed on tapegrad
(PennyLane's ``tensor`` and its trainability checks, lifelines' penalties),
checked against finite differences or NumPy, without the client installed.
"""

import pickle

import numpy as onp
import pytest
import scipy.integrate
import scipy.stats

import tapegrad.numpy as np
from tapegrad import TraceLeakError, grad, jacobian
from tapegrad.core import VSpace
from tapegrad.extend import defjvp, defvjp, primitive
from tapegrad.misc import flatten
from tapegrad.numpy.numpy_boxes import ArrayBox
from tapegrad.numpy.numpy_vspaces import ArrayVSpace
from tapegrad.scipy.integrate import odeint
from tapegrad.scipy.stats import multivariate_normal as mvn
from tapegrad.test_util import DerivativeMismatch, check_grads, check_vjp
from tapegrad.tracer import Box


@pytest.fixture
def registered():
    """Register ndarray subclasses the way PennyLane registers its ``tensor``; unregister afterwards."""
    done = []

    def register(cls):
        Box.type_mappings[cls] = ArrayBox
        VSpace.mappings[cls] = ArrayVSpace
        done.append(cls)
        return cls

    yield register
    for cls in done:
        del Box.type_mappings[cls], VSpace.mappings[cls]


# ----- A. an ndarray subclass whose __array_ufunc__ unwraps its inputs and wraps the result ---------


def _wrapping_subclass():
    class Tensor(onp.ndarray):  # pennylane.numpy.tensor, reduced
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            inputs = [i.view(onp.ndarray) if isinstance(i, Tensor) else i for i in inputs]
            out = super().__array_ufunc__(ufunc, method, *inputs, **kwargs)
            return onp.asarray(out).view(Tensor)

    return Tensor


@pytest.mark.parametrize("op", ["mul", "sub", "truediv", "pow", "add"])
def test_wrapping_subclass_on_the_left_of_a_traced_operand(registered, op):
    tensor = registered(_wrapping_subclass())
    c = onp.array([0.3, 1.7]).view(tensor)
    f = {"mul": lambda a: c * a, "sub": lambda a: c - a, "truediv": lambda a: c / a,
         "pow": lambda a: c ** a, "add": lambda a: c + a}[op]
    x = onp.array([0.4, 1.1])
    check_grads(lambda a: np.sum(f(a) * np.array([1.0, 2.0])), modes=["rev", "fwd"], order=2)(x)
    # the subclass still computes, and wraps, when nothing is traced
    plain = c.view(onp.ndarray)
    expected = {"mul": plain * x, "sub": plain - x, "truediv": plain / x, "pow": plain ** x, "add": plain + x}[op]
    assert type(f(x)) is tensor
    onp.testing.assert_allclose(f(x).view(onp.ndarray), expected)


def test_wrapping_subclass_scalar_product_is_not_silently_zero(registered):
    tensor = registered(_wrapping_subclass())
    c = onp.array(0.3).view(tensor)
    assert float(grad(lambda a: c * a)(0.1)) == pytest.approx(0.3)
    assert float(grad(lambda a: -(c - a))(0.1)) == pytest.approx(1.0)


def test_wrapping_subclass_with_a_constant_array_computes_as_itself(registered):
    tensor = registered(_wrapping_subclass())
    c = onp.array([1.0, 2.0]).view(tensor)
    seen = []

    def f(x):
        product = c * np.array([3.0, 4.0])  # no traced value: the subclass's own result
        seen.append((type(product), product.view(onp.ndarray).tolist()))
        return np.sum(c * x)

    onp.testing.assert_allclose(onp.asarray(grad(f)(onp.ones(2))), [1.0, 2.0])
    assert seen == [(tensor, [3.0, 8.0])]


# ----- B. arrays made inside the function: not ArrayBoxes, ndarrays for isinstance, writable ---------


def test_created_arrays_are_not_array_boxes_but_pass_for_ndarrays():
    seen = []

    def f(x):
        for c in (np.array([0.3, 0.2]), np.zeros(2), np.ones((2, 2)) * 2.0, np.arange(3.0)[1:]):
            seen.append((isinstance(c, ArrayBox), isinstance(c, onp.ndarray), onp.asarray(c).tolist()))
        return x * 2.0

    grad(f)(1.0)
    assert seen == [(False, True, [0.3, 0.2]), (False, True, [0.0, 0.0]), (False, True, [[2.0, 2.0], [2.0, 2.0]]),
                    (False, True, [1.0, 2.0])]


def test_trainable_values_found_by_isinstance_array_box():
    """PennyLane counts the ArrayBox arguments of a cost function as trainable; a constant made
    inside must not be counted (its Jacobian rows were all zeros)."""

    def trainable(*values):
        return [i for i, v in enumerate(values) if isinstance(v, ArrayBox)]

    def cost(x):
        coeffs = np.array([0.3, 0.2])  # constant coefficients
        found = trainable(x, coeffs, x[0] * coeffs)
        assert found == [0, 2]
        return np.sum(coeffs * x ** 2)

    x = onp.array([0.5, -1.5])
    onp.testing.assert_allclose(grad(cost)(x), 2 * onp.array([0.3, 0.2]) * x)


def test_subclass_constructor_inside_a_traced_function_keeps_its_flag():
    """pennylane.numpy.tensor(...): ``np.array`` then ``.view(cls)`` when the result is an ndarray."""

    class Tagged(onp.ndarray):
        pass

    def tagged(obj, requires_grad=True):
        arr = np.array(obj)
        if isinstance(arr, onp.ndarray):
            arr = arr.view(Tagged)
            arr.requires_grad = requires_grad
        return arr

    def f(x):
        w = tagged([0.1, 0.2], requires_grad=False)
        assert type(w) is Tagged and w.requires_grad is False
        return np.sum(x * onp.asarray(w))

    onp.testing.assert_allclose(grad(f)(onp.array([1.0, 2.0])), [0.1, 0.2])


def test_created_arrays_still_take_traced_writes():
    seen = []

    def f(x):
        b = np.zeros(3)
        view = b[1:]
        seen.append((isinstance(b, ArrayBox), isinstance(view, ArrayBox)))
        b[0] = x[0] ** 2
        view[1] = np.sin(x[1])  # through a view: the base sees it
        seen.append((isinstance(b, ArrayBox), isinstance(view, ArrayBox)))
        return np.sum(b * np.array([1.0, 2.0, 3.0]))

    x = onp.array([0.7, -0.4])
    onp.testing.assert_allclose(grad(f)(x), [2 * x[0], 3 * onp.cos(x[1])])
    assert seen == [(False, False), (True, True)]  # a constant until a traced value is written into it
    check_grads(f, modes=["rev", "fwd"], order=2)(x)


def test_created_array_pickles_as_the_ndarray_it_holds():
    kept = []
    grad(lambda x: kept.append(pickle.loads(pickle.dumps(np.array([1.0, 2.0])))) or x * 1.0)(1.0)
    assert type(kept[0]) is onp.ndarray and kept[0].tolist() == [1.0, 2.0]


# ----- C. stacking nested sequences of traced values, or a traced tuple --------------------------


@primitive
def _execute(w):
    """A QNode with a shot vector, reduced: (tape,) of (shot partition,) of (measurement,)."""
    return (((onp.sin(w[0]), onp.cos(w[1])), (onp.sin(w[0]), onp.cos(w[1]))),)


defvjp(_execute, lambda ans, w: lambda g: np.array([(g[0][0][0] + g[0][1][0]) * np.cos(w[0]),
                                                    -(g[0][0][1] + g[0][1][1]) * np.sin(w[1])]))


@pytest.mark.parametrize("stacker", ["hstack", "vstack", "stack", "concatenate", "column_stack", "array"])
def test_stacking_a_traced_tuple_of_tuples(stacker):
    w = onp.array([0.4, 0.5])
    fun = getattr(np, stacker)
    expected = getattr(onp, stacker)(((onp.sin(w[0]), onp.cos(w[1])), (onp.sin(w[0]), onp.cos(w[1]))))
    onp.testing.assert_allclose(fun(_execute(w)[0]), expected)
    jac = jacobian(lambda w: fun(_execute(w)[0]))(w)
    d = onp.array([[onp.cos(w[0]), 0.0], [0.0, -onp.sin(w[1])]])
    onp.testing.assert_allclose(jac.reshape(-1, 2), onp.concatenate([d, d]) if stacker == "hstack"
                                else jacobian(lambda w: fun(((np.sin(w[0]), np.cos(w[1])),) * 2))(w).reshape(-1, 2))


def test_hstack_of_nested_tuples_of_traced_scalars():
    def f(x):
        a, b = x[0] * 1.0, x[1] * 2.0
        return np.hstack(((a, b), (b, a)))

    x = onp.array([0.4, 0.5])
    onp.testing.assert_allclose(jacobian(f)(x), [[1, 0], [0, 2], [0, 2], [1, 0]])
    check_grads(lambda x: np.sum(f(x) ** 2), modes=["rev"], order=2)(x)


# ----- D. plain numpy.array of traced scalars -------------------------------------------------------


def test_plain_numpy_array_of_traced_scalars():
    def f(x):
        t = (x[0] * 2.0, np.sin(x[1]))  # a QNode's tuple of outputs
        a = onp.array(t)  # plain NumPy, as pennylane.operation.Operator does
        return a[0] * a[1]

    x = onp.array([0.5, 0.3])
    onp.testing.assert_allclose(grad(f)(x), [2 * onp.sin(x[1]), 2 * x[0] * onp.cos(x[1])])
    check_grads(f, modes=["rev"], order=1)(x)


def test_plain_numpy_conversions_that_lose_the_derivative_still_raise():
    x = onp.array([0.5, 0.3])
    for lose in (lambda x: float(x[0]), lambda x: onp.array([x[0], x[1]], dtype=float).sum(),
                 lambda x: onp.asarray(x).sum()):
        with pytest.raises(TraceLeakError):
            grad(lose)(x)


def test_tapegrad_functions_pack_lists_of_traced_scalars():
    """tapegrad.numpy functions given a list of traced scalars still make one traced array of it
    (not NumPy's object array, whose ufunc loops have no derivative)."""
    x = onp.array([0.5, 0.3, 1.2])
    onp.testing.assert_allclose(grad(lambda x: np.sum(np.exp([x[0], x[1], x[2]])))(x), onp.exp(x))
    onp.testing.assert_allclose(grad(lambda x: np.linalg.det([[x[0], x[1]], [x[2], 2.0]]))(x), [2.0, -x[2], -x[1]])
    assert isinstance(grad(lambda x: (np.cumsum([x[0], x[1]]), 0.0)[1] + x[0])(x), onp.ndarray)


# ----- E. safe_mul / safe_div with an ndarray subclass as the product -----------------------------


def test_safe_products_of_a_subclass(registered):
    tensor = registered(type("Plain", (onp.ndarray,), {}))
    c = onp.array([1.0, 4.0]).view(tensor)
    x = onp.array([1.0, 1.0])
    onp.testing.assert_allclose(grad(lambda x: np.sum(np.sqrt(x * c)))(x), 0.5 * onp.sqrt(c.view(onp.ndarray) / x))
    onp.testing.assert_allclose(grad(lambda x: np.sum(np.log(x * c)))(x), 1.0 / x)


# ----- F. stacking a dict view or an iterator -----------------------------------------------------


@pytest.mark.parametrize("stacker", ["stack", "hstack", "vstack", "dstack", "column_stack", "concatenate"])
@pytest.mark.parametrize("kind", ["values", "generator", "map"])
def test_stacking_dict_views_and_iterators(stacker, kind):
    flat, unflatten = flatten({"a": onp.array([1.0, 2.0]), "b": onp.array([3.0, 4.0])})
    fun = getattr(np, stacker)

    def penalty(x):  # lifelines' _add_penalty: np.stack(params.values())
        params = unflatten(x)
        arrays = {"values": lambda: params.values(), "generator": lambda: (v for v in params.values()),
                  "map": lambda: map(lambda v: v * 1.0, params.values())}[kind]()
        return np.sum(fun(arrays) ** 2)

    onp.testing.assert_allclose(grad(penalty)(flat), 2 * flat)
    assert fun(onp.array([1.0]) for _ in range(2)).shape == getattr(onp, stacker)([onp.array([1.0])] * 2).shape


# ----- autograd's behaviour where code depends on it ----------------------------------------------


def _wrong(x):
    return x ** 2


_wrong_p = primitive(_wrong)
defvjp(_wrong_p, lambda ans, x: lambda g: g * 3 * x)
defjvp(_wrong_p, lambda g, ans, x: g * 3 * x)


def test_check_grads_failures_read_as_autograds():
    with pytest.raises(DerivativeMismatch) as info:
        check_vjp(_wrong_p, 1.3)
    lines = str(info.value).splitlines()
    assert lines[0] == "Derivative (VJP) check of _wrong failed with arg 1.3:"
    assert lines[1].startswith("analytic: ") and lines[2].startswith("numeric:  ")
    assert float(lines[1].split()[1]) == pytest.approx(1.5 * float(lines[2].split()[1]), rel=1e-4)
    with pytest.raises(AssertionError, match=r"^Value mismatch:\nx: .*\ny: .*\n\(the forward-mode"):
        check_grads(lambda x: _wrong_p(x) + 0.0 * np.sin(x), modes=["fwd"], order=1)(1.3)


def test_odeint_takes_scipys_keywords():
    def decay_t_first(t, y, k):
        return -k * y

    def decay(y, t, k):
        return -k * y

    y0, ts = onp.array([1.0, 2.0]), onp.array([0.0, 0.5, 1.0])
    plain = scipy.integrate.odeint(decay, y0, ts, (0.5,))
    onp.testing.assert_allclose(odeint(decay_t_first, y0, ts, (0.5,), tfirst=True), plain)
    ys, info = odeint(decay, y0, ts, (0.5,), full_output=True)
    onp.testing.assert_allclose(ys, plain)
    assert "nst" in info
    for kw in ({"tfirst": True}, {"full_output": True}):
        fun = decay_t_first if kw.get("tfirst") else decay

        def total(k, kw=kw, fun=fun):
            out = odeint(fun, y0, ts, (k,), rtol=1e-10, atol=1e-10, **kw)
            return np.sum((out[0] if kw.get("full_output") else out) * ts[:, None])

        exact = -onp.sum(ts[:, None] ** 2 * y0 * onp.exp(-0.5 * ts[:, None]))
        assert float(grad(total)(0.5)) == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize("allow_singular", [False, True])
def test_multivariate_normal_logpdf_of_one_point_is_a_scalar(allow_singular):
    cov = onp.array([[1.0, 1.0], [1.0, 1.0]]) if allow_singular else onp.array([[2.0, 0.3], [0.3, 1.0]])
    x = onp.array([0.2, 0.2])
    ours = mvn.logpdf(x, onp.zeros(2), cov, allow_singular=allow_singular)
    theirs = scipy.stats.multivariate_normal.logpdf(x, onp.zeros(2), cov, allow_singular=allow_singular)
    assert type(ours) is type(theirs) and ours == pytest.approx(theirs)
    # the gradient in x: -pinv(cov) x (inv(cov) x when it is regular)
    g = grad(lambda x: mvn.logpdf(x, onp.zeros(2), cov, allow_singular=allow_singular))(x)
    onp.testing.assert_allclose(g, -onp.linalg.pinv(cov) @ x)


def test_array_api_aliases_keep_numpys_names():
    for name in ("cross", "outer", "matmul", "tensordot", "trace", "diagonal", "vecdot", "matrix_transpose"):
        if hasattr(onp.linalg, name):
            assert getattr(np.linalg, name).__name__ == getattr(onp.linalg, name).__name__


def test_jacobian_and_hessian_never_run_autograd_style_rules_on_batched_values():
    # PennyLane's VJPs (defined with autograd's defvjp) dispatch on the cotangent's type (autoray):
    # under the batched Jacobian sweep they met vmap's batched boxes and raised. Such rules are swept
    # row by row, as autograd does.
    import tapegrad
    from tapegrad.extend import defjvp, defvjp, primitive

    def plain_only(g):
        if type(g).__module__.split(".")[0] not in ("numpy", "builtins"):
            raise ImportError(f"no backend for {type(g).__module__}")
        return g

    @primitive
    def cube(x):
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: plain_only(g) * 3 * x ** 2)
    defjvp(cube, lambda g, ans, x: plain_only(g) * 3 * x ** 2)
    x = onp.array([1.0, 2.0, -0.5])
    onp.testing.assert_allclose(tapegrad.jacobian(cube)(x), onp.diag(3 * x ** 2))
    onp.testing.assert_allclose(tapegrad.hessian(lambda x: tapegrad.numpy.sum(cube(x)))(x), onp.diag(6 * x))

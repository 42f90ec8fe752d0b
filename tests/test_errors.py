"""Every error in docs/errors.md is triggered here, and its message names the operation and the fix."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import (
    InputTypeError, NonDifferentiableError, NotScalarError, TraceLeakError, deriv, elementwise_grad,
    grad, holomorphic_grad, jacobian,
)
from tapegrad.extend import defvjp, primitive

X = onp.array([0.5, -1.0, 2.0])


def test_grad_of_non_scalar_output():
    with pytest.raises(NotScalarError, match="elementwise_grad.*jacobian"):
        grad(np.sin)(X)


def test_function_without_rules_names_itself():
    # Every NumPy function tapegrad has no rules for is wrapped like this.
    from tapegrad.numpy.missing import lookup

    polyval = lookup(onp.polynomial.polynomial.polyval, "numpy.polynomial.polynomial.polyval")
    assert polyval(2.0, [1.0, 1.0]) == 3.0  # plain values pass through
    with pytest.raises(NonDifferentiableError, match=r"numpy\.polynomial\.polynomial\.polyval.*extend.*stop_gradient"):
        grad(lambda x: np.sum(polyval(x, [1.0, 2.0])))(X)


def test_third_party_code_that_only_uses_operators_just_works():
    # numpy.polynomial evaluates with operators, so traced values pass through it.
    g = grad(lambda x: onp.sum(onp.polynomial.polynomial.polyval(x, [1.0, 2.0, 3.0])))(X)
    assert onp.allclose(g, 2.0 + 6.0 * X)


def test_primitive_without_reverse_rule_names_function_and_argument():
    f = primitive(lambda x, y: x * y)
    f.__name__ = "my_product"
    defvjp(f, lambda ans, x, y: lambda g: g * y)  # argument 1 has no rule
    with pytest.raises(NonDifferentiableError, match="argument 1") as info:
        grad(lambda y: f(2.0, y))(3.0)
    assert "reverse-mode" in str(info.value) and "defvjp" in str(info.value)


def test_primitive_without_forward_rule():
    f = primitive(lambda x: x * 2.0)
    defvjp(f, lambda ans, x: lambda g: 2.0 * g)
    with pytest.raises(NonDifferentiableError, match="forward-mode.*argument 0.*defjvp"):
        deriv(f)(1.0)


def test_unsupported_ufunc_method():
    def f(x):
        y = np.zeros(3)
        onp.add.at(y, [0, 0], x[:2])
        return np.sum(y)

    with pytest.raises((NonDifferentiableError, TraceLeakError)):
        grad(f)(X)


def test_traced_count_is_refused():
    with pytest.raises(NonDifferentiableError, match="numpy.arange"):
        grad(lambda n: np.sum(np.arange(n)))(3.0)


@pytest.mark.parametrize("convert", [onp.asarray, onp.array, lambda x: onp.asarray(x, dtype=float)])
def test_conversion_to_plain_array(convert):
    with pytest.raises(TraceLeakError, match="numpy.asarray.*stop_gradient"):
        grad(lambda x: onp.sum(convert(x)))(X)


@pytest.mark.parametrize("convert", [float, int, complex])
def test_conversion_to_python_scalar(convert):
    with pytest.raises(TraceLeakError, match=convert.__name__):
        grad(lambda x: convert(x) * x)(1.5)


def test_write_into_plain_array():
    def f(x):
        buf = onp.zeros(3)
        buf += x
        return np.sum(buf)

    with pytest.raises(TraceLeakError, match="out=.*tapegrad.numpy"):
        grad(f)(X)


def test_scalar_written_into_plain_array():
    def f(x):
        buf = onp.zeros(3)
        buf[0] = x[0]
        return np.sum(buf)

    # NumPy converts the element itself and raises its own ValueError; the
    # operators translate it into an actionable TraceLeakError.
    with pytest.raises(TraceLeakError, match="plain\\[i\\] = x.*tapegrad.numpy"):
        grad(f)(X)


@pytest.mark.parametrize("bad", ["a string", None, object()])
def test_non_numeric_argument(bad):
    with pytest.raises(InputTypeError, match="argnum"):
        grad(lambda x: 1.0)(bad)


def test_output_independent_of_input_warns():
    with pytest.warns(UserWarning, match="independent"):
        grad(lambda x: 3.0)(1.0)


def test_holomorphic_grad_of_real_input_warns():
    with pytest.warns(UserWarning, match="not complex"):
        holomorphic_grad(lambda z: z**2)(1.0)


def test_elementwise_grad_of_complex_output():
    with pytest.raises(TypeError, match="holomorphic_grad or jacobian"):
        elementwise_grad(lambda x: x * 1j)(X)


def test_jacobian_of_container_output():
    with pytest.raises(TypeError, match="flatten"):
        jacobian(lambda x: (x, x))(X)


def test_imaginary_part_of_real_array_is_read_only():
    def f(x):
        y = x * 1.0
        y.imag[0] = 1.0
        return np.sum(y)

    with pytest.raises(ValueError, match="read-only"):
        grad(f)(X)

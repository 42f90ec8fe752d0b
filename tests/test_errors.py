"""Every error in docs/errors.md is triggered here, and its message names the operation and the fix."""

import cmath
import math
import re
import sys
from math import exp as math_exp

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import (
    InputTypeError, NonDifferentiableError, NotScalarError, TraceLeakError, deriv, elementwise_grad,
    grad, grad_and_aux, grad_named, hessian, holomorphic_grad, jacobian, value_and_grad,
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


@pytest.mark.parametrize("op", [grad, value_and_grad])
@pytest.mark.parametrize("output, said", [
    (lambda x: (np.sum(x ** 2), x), "tuple of 2 values.*grad_and_aux"),
    (lambda x: [x[0], x[1]], "list of 2 values.*grad_and_aux"),
    (lambda x: {"loss": np.sum(x), "x": x}, "dict of 2 values.*grad_and_aux"),
    (lambda x: None, "returned None .*return statement"),
    (lambda x: "done", "returned a str"),
])
def test_grad_of_function_returning_no_scalar_names_the_output(op, output, said):
    # The output is blamed, not the input ("cannot differentiate with respect to None"), nor "shape None".
    with pytest.raises(NotScalarError, match=said) as info:
        op(output)(X)
    assert "shape None" not in str(info.value) and "with respect to" not in str(info.value)


@pytest.mark.parametrize("op", [elementwise_grad, jacobian])
def test_jacobian_of_function_returning_none(op):
    with pytest.raises(NotScalarError, match=f"{op.__name__} .*returned None"):
        op(lambda x: None)(X)


def test_grad_of_one_element_container_is_its_gradient():
    # autograd takes a container holding one scalar as that scalar; so does tapegrad.
    assert float(grad(lambda x: (x ** 2,))(3.0)) == 6.0


def test_grad_and_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"pair \(loss, aux\).*returned 2.0\. .*tapegrad.grad"):
        grad_and_aux(lambda x: x * 2.0)(1.0)
    with pytest.raises(TypeError, match="returned 3 values"):
        grad_and_aux(lambda x: (x, 1, 2))(1.0)


@pytest.mark.parametrize("op", [jacobian, hessian])
def test_jacobian_of_container_argument(op):
    with pytest.raises(TypeError, match="not a dict.*tapegrad.misc.flatten") as info:
        op(lambda p: p["a"] ** 2)({"a": X})
    assert "Box" not in str(info.value)  # no internal class names


def test_grad_named_by_keyword():
    def f(a, b, *, c=1.0):
        return a * b ** 2 * c ** 3

    by_position = grad_named(f, "b")(3.0, 2.0)
    assert float(grad_named(f, "b")(3.0, b=2.0)) == float(by_position) == 12.0
    assert float(grad_named(f, "c")(3.0, 2.0, c=1.0)) == 36.0  # a keyword-only parameter
    with pytest.raises(ValueError, match="no parameter named 'd'.*a, b, c"):
        grad_named(f, "d")
    with pytest.raises(TypeError, match="'c' of f was not passed"):
        grad_named(f, "c")(3.0, 2.0)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the call's source position (co_positions) is Python 3.11's")
@pytest.mark.parametrize("call, named, instead", [
    (lambda x: math.sin(x[0]), "math.sin", "np.sin"),
    (lambda x: math_exp(x[1]) * 2.0, "math.exp", "np.exp"),
    (lambda x: math.atan2(x[0], 1.0), "math.atan2", "np.arctan2"),
    (lambda x: math.lgamma(x[2]), "math.lgamma", "tapegrad.scipy.special.gammaln"),
    (lambda x: cmath.exp(x[0]).real, "cmath.exp", "np.exp"),
])
def test_math_function_on_traced_value_names_numpy(call, named, instead):
    with pytest.raises(TraceLeakError, match=rf"{re.escape(named)}\(\), which converts .*Use {re.escape(instead)}"):
        grad(call)(X)


def test_float_of_traced_value_keeps_its_message():
    with pytest.raises(TraceLeakError, match=r"^float\(\) of a traced value"):
        grad(lambda x: float(x[0]))(X)

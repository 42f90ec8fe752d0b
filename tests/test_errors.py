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


def test_ufunc_methods_are_differentiable_or_refused_by_name():
    # at, reduce, accumulate, reduceat and outer are differentiated (tests/test_ufunc_methods.py checks
    # them against NumPy and finite differences); what cannot be is refused by name.
    def into_tapegrad_array(x):
        y = np.zeros(3)
        onp.add.at(y, [0, 0], x[:2])
        return np.sum(y ** 2)

    assert onp.allclose(grad(into_tapegrad_array)(X), [2 * (X[0] + X[1])] * 2 + [0.0])

    def into_plain_array(x):
        y = onp.zeros(3)
        np.add.at(y, [0, 0], x[:2])
        return np.sum(y)

    with pytest.raises(TraceLeakError, match=r"numpy\.add\.at would write traced values into a plain ndarray.*"
                                             r"Create the array with tapegrad\.numpy"):
        grad(into_plain_array)(X)
    special = pytest.importorskip("scipy.special")
    with pytest.raises(NonDifferentiableError, match=r"scipy\.special\.struve\.reduce received a traced value, "
                                                     r"and scipy\.special\.struve has no derivative rule.*extend"):
        grad(lambda x: special.struve.reduce(x))(X)


def test_traced_count_is_refused():
    with pytest.raises(NonDifferentiableError, match="numpy.arange"):
        grad(lambda n: np.sum(np.arange(n)))(3.0)


@pytest.mark.parametrize("convert, named", [
    (onp.asarray, "numpy.asarray"), (onp.array, "numpy.array"), (lambda x: onp.asarray(x, dtype=float), "numpy.asarray"),
])
def test_conversion_to_plain_array(convert, named):
    # The code that converted is named, with its line (here, this test's own lambda).
    names = named if sys.version_info >= (3, 11) else "numpy.asarray"  # the call's source position is 3.11's
    with pytest.raises(TraceLeakError, match=rf"^{re.escape(names)}\(\) of a traced value in .*<lambda> "
                                             rf"\(.*test_errors.py:\d+\).*stop_gradient"):
        grad(lambda x: onp.sum(convert(x)))(X)


def test_third_party_function_converting_a_traced_array_is_named(tmp_path, monkeypatch):
    # A library function that converts (through its own helpers) is named, not only numpy.asarray.
    linalg = pytest.importorskip("scipy.linalg")
    integrate = pytest.importorskip("scipy.integrate")
    with pytest.raises(TraceLeakError, match=r"^scipy\.linalg\.expm\(\), which converts its argument with "
                                             r"numpy\.asarray, .*Use tapegrad\.scipy\.linalg\.expm instead"):
        grad(lambda a: np.sum(linalg.expm(a)))(onp.eye(2))
    # A converting function tapegrad has no rules for; the conversion is float() here.
    with pytest.raises(TraceLeakError, match=r"^scipy\.integrate\.quad\(\), which converts its argument with "
                                             r"float\(\), .*no rules for scipy\.integrate\.quad.*stop_gradient"):
        grad(lambda b: integrate.quad(onp.sin, 0.0, b)[0])(1.0)
    # Any other package: the first function outside NumPy, SciPy and tapegrad, with its line.
    (tmp_path / "thirdparty.py").write_text("import numpy\n\n\ndef helper(a):\n    return numpy.asarray(a).sum()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import thirdparty

    with pytest.raises(TraceLeakError, match=r"numpy\.asarray(\(\))? of a traced value in thirdparty\.helper "
                                             r"\(.*thirdparty\.py:5\)"):
        grad(lambda x: thirdparty.helper(x))(X)


RNG = onp.random.default_rng(0)


@pytest.mark.parametrize("sample, said", [
    (lambda s: np.random.normal(0.0, s, 3), r"numpy\.random\.normal received a traced value \(its parameter scale\)"),
    (lambda s: onp.random.normal(0.0, s, 3), r"numpy\.random\.normal\(\), which converts its parameters"),
    (lambda s: RNG.normal(1.0, s), r"numpy\.random\.Generator\.normal\(\), which converts its parameters"),
])
def test_traced_sampler_parameter_shows_the_reparameterisation(sample, said):
    if "which converts" in said and sys.version_info < (3, 11):
        pytest.skip("the call's source position (co_positions) is Python 3.11's")
    trick = "rng.standard_normal" if "Generator" in said else "np.random.standard_normal"
    with pytest.raises((NonDifferentiableError, TraceLeakError),
                       match=rf"^{said}.*Reparameterise: .*loc \+ scale \* {re.escape(trick)}\(size\)"):
        grad(lambda s: np.sum(sample(s)))(onp.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("name, args", [
    ("normal", dict(loc=0.5, scale=2.0)), ("uniform", dict(low=-1.0, high=3.0)), ("exponential", dict(scale=2.0)),
    ("lognormal", dict(mean=0.5, sigma=0.3)), ("laplace", dict(loc=0.5, scale=2.0)),
    ("logistic", dict(loc=0.5, scale=2.0)), ("gumbel", dict(loc=0.5, scale=2.0)), ("rayleigh", dict(scale=2.0)),
    ("weibull", dict(a=1.5)), ("pareto", dict(a=3.0)), ("power", dict(a=2.5)), ("gamma", dict(shape=2.0, scale=3.0)),
])
def test_the_reparameterisation_shown_draws_numpys_samples(name, args):
    # The expression in the message, evaluated: the same samples as NumPy's sampler with the same seed.
    from tapegrad.numpy.random import _REPARAMETERISED

    expression = re.sub(r" \(for .*\)$", "", _REPARAMETERISED[name]).format(rng="np.random")
    onp.random.seed(3)
    theirs = getattr(onp.random, name)(size=5, **args)
    onp.random.seed(3)
    ours = eval(expression, {"np": np, "size": 5, **args})
    onp.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_the_multivariate_normal_reparameterisation_has_the_right_moments():
    from tapegrad.numpy.random import _REPARAMETERISED

    mean, cov, size = onp.array([1.0, -2.0]), onp.array([[2.0, 0.6], [0.6, 1.0]]), (20000,)
    onp.random.seed(4)
    draws = eval(_REPARAMETERISED["multivariate_normal"].format(rng="np.random"),
                 {"np": np, "len": len, "mean": mean, "cov": cov, "size": size})
    assert onp.allclose(draws.mean(axis=0), mean, atol=0.05) and onp.allclose(onp.cov(draws.T), cov, atol=0.06)


def test_scipy_ufuncs_are_named_as_scipys():
    special = pytest.importorskip("scipy.special")
    with pytest.raises(NonDifferentiableError, match=r"^scipy\.special\.struve has no derivative rule"):
        grad(lambda x: np.sum(special.struve(0.0, x)))(X)
    with pytest.raises(NonDifferentiableError, match=r"^scipy\.special\.xlogy\(\.\.\., where=\)"):
        grad(lambda x: np.sum(special.xlogy(x, x, where=x > 0)))(X)


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


@pytest.mark.parametrize("output, said", [(lambda z: None, "returned None .*return statement"),
                                          (lambda z: "z", "returned a str")])
def test_holomorphic_grad_of_function_returning_no_number(output, said):
    # Not the gradient of a zero output (0j), as the real part of None would give.
    with pytest.raises(NotScalarError, match=f"^holomorphic_grad differentiates the output .*{said}"):
        holomorphic_grad(output)(1.0 + 2.0j)


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


def test_ndarray_attributes_are_numpys_or_refused_by_name():
    # The layout attributes read NumPy's own values (the arrays underneath are laid out as NumPy lays them
    # out); what has no derivative is refused by name, never a bare AttributeError or a wrong value.
    def program(x, numpy):
        y = x * 1.0
        v = y.T[::2]
        return [(a.strides, a.nbytes, a.itemsize, a.flags.c_contiguous, a.flags.f_contiguous, a.flags.owndata,
                 a.flags.writeable, a.base is y, onp.shape(a.tolist())) for a in (y, v, y[0], y.ravel())]

    base = onp.arange(12.0).reshape(3, 4)
    seen = []
    grad(lambda x: seen.append(program(x, np)) or np.sum(x))(base)
    assert seen[0] == program(base, onp)

    def probe(x):
        y = x * 1.0
        for name in ("ctypes", "data", "tofile", "tobytes", "dump", "dumps", "byteswap", "setflags"):
            with pytest.raises(NonDifferentiableError, match=rf"^ndarray\.{name} is not supported on a traced "
                                                              r"array.*stop_gradient") as info:
                getattr(y, name)
            assert isinstance(info.value, AttributeError)  # so that hasattr(y, name) is False
        with pytest.raises(ValueError, match=r"ndarray\.resize .*np\.resize"):
            y.resize((6,))
        rows = y.tolist()  # traced scalars: differentiable
        return rows[0][1] * 3.0 + np.sum(y)

    expected = onp.ones((3, 4))
    expected[0, 1] += 3.0
    assert onp.array_equal(grad(probe)(base), expected)

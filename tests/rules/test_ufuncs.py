"""Numerical checks of the elementwise (ufunc) rules, then their edge cases."""

import warnings

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import elementwise_grad, grad, hessian, make_jvp
from tapegrad.numpy.ufuncs import one_minus_square, safe_div, safe_mul

from .harness import BINARY_SHAPES, MATRIX, SCALAR, VECTOR, Row, expand, run

C = ("float64", "complex128")
TERNARY_SHAPES = [((), (), ()), ((4,), (4,), (4,)), ((3, 4), (4,), (3, 1)), ((3, 4), (), ())]
EXPONENTS = onp.array([-1, 0, 2, 3])
H_ZEROS = onp.array([-1.0, 0.0, 2.0, 0.0])

ROWS = [
    Row("add", np.add, BINARY_SHAPES, dtypes=C),
    Row("subtract", np.subtract, BINARY_SHAPES, dtypes=C),
    Row("multiply", np.multiply, BINARY_SHAPES, dtypes=C),
    Row("divide", np.divide, BINARY_SHAPES, domain=("real", "nonzero"), dtypes=C),
    Row("true_divide", np.true_divide, BINARY_SHAPES[:2], domain=("real", "nonzero")),
    Row("power", np.power, BINARY_SHAPES, domain=("positive", "real")),
    Row("negative", np.negative, dtypes=C),
    Row("positive", np.positive),
    Row("reciprocal", np.reciprocal, domain="nonzero", dtypes=C),
    Row("square", np.square, dtypes=C),
    Row("real", np.real, dtypes=C),
    Row("imag", np.imag, dtypes=C),
    Row("conjugate", np.conjugate, dtypes=C),
    Row("conj", np.conj, dtypes=C),
    Row("exp", np.exp, dtypes=C),
    Row("exp2", np.exp2),
    Row("expm1", np.expm1),
    Row("log", np.log, domain="positive", dtypes=C),
    Row("log2", np.log2, domain="positive"),
    Row("log10", np.log10, domain="positive"),
    Row("log1p", np.log1p, domain="positive"),
    Row("sqrt", np.sqrt, domain="positive", dtypes=C),
    Row("sin", np.sin, dtypes=C),
    Row("cos", np.cos, dtypes=C),
    Row("tan", np.tan, domain="unit", dtypes=C),
    Row("sinh", np.sinh, dtypes=C),
    Row("cosh", np.cosh, dtypes=C),
    Row("tanh", np.tanh, dtypes=C),
    Row("absolute", np.absolute, domain="nonzero", dtypes=C),
    Row("abs", np.abs, domain="nonzero"),
    Row("fabs", np.fabs, domain="nonzero"),
    Row("pow", np.pow, BINARY_SHAPES[:3], domain=("positive", "real"), dtypes=C),
    Row("float_power", np.float_power, BINARY_SHAPES, domain=("positive", "real"), dtypes=C),
    Row("cbrt", np.cbrt, domain="nonzero"),
    # inverse trigonometric and hyperbolic functions
    Row("arcsin", np.arcsin, domain="unit", dtypes=C),
    Row("arccos", np.arccos, domain="unit", dtypes=C),
    Row("arctan", np.arctan, dtypes=C),
    Row("arcsinh", np.arcsinh, dtypes=C),
    Row("arccosh", np.arccosh, domain="above1", dtypes=C),
    Row("arccosh(1.5+x^2)", lambda x: np.arccosh(1.5 + x**2)),
    Row("arctanh", np.arctanh, domain="unit", dtypes=C),
    Row("asin", np.asin, (SCALAR,), domain="unit"),
    Row("acos", np.acos, (SCALAR,), domain="unit"),
    Row("atan", np.atan, (SCALAR,)),
    Row("asinh", np.asinh, (SCALAR,)),
    Row("acosh", np.acosh, (SCALAR,), domain="above1"),
    Row("atanh", np.atanh, (SCALAR,), domain="unit"),
    Row("deg2rad", np.deg2rad),
    Row("radians", np.radians),
    Row("rad2deg", np.rad2deg),
    Row("degrees", np.degrees),
    # two-argument functions
    Row("hypot", np.hypot, BINARY_SHAPES, domain="nonzero"),
    Row("arctan2", np.arctan2, BINARY_SHAPES, domain="nonzero"),
    Row("atan2", np.atan2, BINARY_SHAPES[:2], domain="nonzero"),
    Row("logaddexp", np.logaddexp, BINARY_SHAPES),
    Row("logaddexp2", np.logaddexp2, BINARY_SHAPES),
    Row("copysign", np.copysign, BINARY_SHAPES, domain="nonzero"),
    Row("fmod", np.fmod, BINARY_SHAPES, domain=("real", "nonzero")),
    Row("remainder", np.remainder, BINARY_SHAPES, domain=("real", "nonzero")),
    Row("mod", np.mod, BINARY_SHAPES[:2], domain=("real", "nonzero")),
    Row("divmod", lambda x, y: np.divmod(x, y)[1], BINARY_SHAPES, domain=("real", "nonzero")),
    Row("ldexp", lambda x: np.ldexp(x, EXPONENTS), [SCALAR, VECTOR, MATRIX]),
    Row("heaviside", np.heaviside, BINARY_SHAPES, domain="nonzero"),
    Row("heaviside(x=0)", lambda h: np.heaviside(H_ZEROS, h), [SCALAR, VECTOR]),
    Row("nextafter", lambda x: np.nextafter(x, 10.0)),
    Row("maximum", np.maximum, BINARY_SHAPES, dtypes=C),
    Row("minimum", np.minimum, BINARY_SHAPES, dtypes=C),
    Row("fmax", np.fmax, BINARY_SHAPES, dtypes=C),
    Row("fmin", np.fmin, BINARY_SHAPES, dtypes=C),
    Row("clip", lambda a: np.clip(a, -0.5, 0.5)),
    Row("clip(lo only)", lambda a: np.clip(a, -0.5, None)),
    Row("clip(hi only)", lambda a: np.clip(a, None, 0.5)),
    Row("clip(arrays)", lambda a, lo, w: np.clip(a, lo, lo + 0.5 + w * w), TERNARY_SHAPES),
    Row("nan_to_num", np.nan_to_num, dtypes=C),
    Row("modf", lambda x: np.modf(x)[0]),
    Row("frexp", lambda x: np.frexp(x)[0], domain="nonzero"),
    Row("angle", np.angle, dtypes=C),
    Row("angle(deg)", lambda z: np.angle(z, deg=True), dtypes=("complex128",)),
    Row("real_if_close", np.real_if_close, dtypes=C),
    Row("real_if_close(x+0j)", lambda x: np.real_if_close(x + 0j)),
    Row("sinc", np.sinc, dtypes=C),
    Row("i0", np.i0),
    Row("i0(large)", lambda x: np.i0(18.0 + x * x)),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


# ----- edge cases: the double-where trap, derivatives at 0, ties ----------------------------

from tapegrad import deriv  # noqa: E402
from tapegrad.core import getval, isbox  # noqa: E402

# Four ways to the first and second elementwise derivative: rev, fwd, and all pairs at order 2.
FIRST = {"rev": elementwise_grad, "fwd": deriv}
SECOND = {
    "rev-rev": lambda f: elementwise_grad(elementwise_grad(f)),
    "fwd-fwd": lambda f: deriv(deriv(f)),
    "fwd-rev": lambda f: deriv(elementwise_grad(f)),
    "rev-fwd": lambda f: elementwise_grad(deriv(f)),
}

# name, f, where f is selected, inputs (some outside the selection), f', f''
TRAPS = [
    ("sqrt", np.sqrt, lambda x: x > 0, [-1.0, 0.0, 4.0], lambda x: 0.5 / onp.sqrt(x), lambda x: -0.25 * x**-1.5),
    ("log", np.log, lambda x: x > 0, [-1.0, 0.0, 2.0], lambda x: 1 / x, lambda x: -1 / x**2),
    ("log2", np.log2, lambda x: x > 0, [0.0, 2.0], lambda x: 1 / (x * onp.log(2)), lambda x: -1 / (x**2 * onp.log(2))),
    ("log10", np.log10, lambda x: x > 0, [0.0, 2.0], lambda x: 1 / (x * onp.log(10)), lambda x: -1 / (x**2 * onp.log(10))),
    ("log1p", np.log1p, lambda x: x > -1, [-1.0, -2.0, 1.0], lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
    ("reciprocal", np.reciprocal, lambda x: x != 0, [0.0, 2.0], lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("1/x", lambda x: 1.0 / x, lambda x: x != 0, [0.0, 2.0], lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("x/x**2", lambda x: x / x**2, lambda x: x != 0, [0.0, 2.0], lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("x**0.5", lambda x: x**0.5, lambda x: x > 0, [-1.0, 0.0, 4.0], lambda x: 0.5 / onp.sqrt(x), lambda x: -0.25 * x**-1.5),
    ("float_power", lambda x: np.float_power(x, 1.5), lambda x: x > 0, [-1.0, 4.0], lambda x: 1.5 * x**0.5, lambda x: 0.75 * x**-0.5),
    ("2**x", lambda x: 2.0**x, lambda x: x < 100, [2000.0, 1.0], lambda x: onp.log(2) * 2**x, lambda x: onp.log(2) ** 2 * 2**x),
    ("exp", np.exp, lambda x: x < 100, [1000.0, 1.0], onp.exp, onp.exp),
    ("exp2", np.exp2, lambda x: x < 100, [2000.0, 1.0], lambda x: onp.log(2) * 2**x, lambda x: onp.log(2) ** 2 * 2**x),
    ("expm1", np.expm1, lambda x: x < 100, [1000.0, 1.0], onp.exp, onp.exp),
    ("cosh", np.cosh, lambda x: x < 100, [1000.0, 1.0], onp.sinh, onp.cosh),
    ("sinh", np.sinh, lambda x: x < 100, [1000.0, 1.0], onp.cosh, onp.sinh),
    ("cbrt", np.cbrt, lambda x: x != 0, [0.0, 8.0], lambda x: x ** (-2 / 3) / 3, lambda x: -2 / 9 * x ** (-5 / 3)),
    ("arcsin", np.arcsin, lambda x: abs(x) < 1, [1.0, 2.0, 0.5], lambda x: (1 - x * x) ** -0.5, lambda x: x * (1 - x * x) ** -1.5),
    ("arccos", np.arccos, lambda x: abs(x) < 1, [-1.0, 2.0, 0.5], lambda x: -((1 - x * x) ** -0.5), lambda x: -x * (1 - x * x) ** -1.5),
    ("arctanh", np.arctanh, lambda x: abs(x) < 1, [1.0, 2.0, 0.5], lambda x: 1 / (1 - x * x), lambda x: 2 * x / (1 - x * x) ** 2),
    ("arccosh", np.arccosh, lambda x: x > 1, [1.0, 0.0, 2.0], lambda x: (x * x - 1) ** -0.5, lambda x: -x * (x * x - 1) ** -1.5),
    ("softplus", lambda x: np.log1p(np.exp(x)), lambda x: x < 30, [1000.0, 0.5], lambda x: 1 / (1 + onp.exp(-x)), lambda x: onp.exp(-x) / (1 + onp.exp(-x)) ** 2),
]


def _trapped(f, select):
    return lambda x: np.where(select(x), f(x), 0.0)


def _expected(x, select, d):
    with onp.errstate(all="ignore"):
        return onp.where(select(x), d(onp.where(select(x), x, 1.0)), 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", list(FIRST))
@pytest.mark.parametrize("name,f,select,x,d1,d2", TRAPS, ids=[t[0] for t in TRAPS])
def test_where_trap_first_order(name, f, select, x, d1, d2, mode):
    x = onp.array(x)
    got = FIRST[mode](_trapped(f, select))(x)
    onp.testing.assert_allclose(got, _expected(x, select, d1), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", list(SECOND))
@pytest.mark.parametrize("name,f,select,x,d1,d2", TRAPS, ids=[t[0] for t in TRAPS])
def test_where_trap_second_order(name, f, select, x, d1, d2, mode):
    x = onp.array(x)
    got = SECOND[mode](_trapped(f, select))(x)
    onp.testing.assert_allclose(got, _expected(x, select, d2), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_where_trap_issue_example_and_hessian():
    f = lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0))  # noqa: E731
    x = onp.array([-1.0, 4.0])
    onp.testing.assert_array_equal(grad(f)(x), [0.0, 0.25])
    onp.testing.assert_allclose(hessian(f)(x), [[0.0, 0.0], [0.0, -1 / 32]])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_where_trap_divisor_and_exponent():
    # the cotangent of a divisor or of an exponent that a where discards
    x = onp.array([1.0, 3.0])
    y = onp.array([0.0, 2.0])
    f = lambda x, y: np.sum(np.where(y != 0, x / y, 0.0))  # noqa: E731
    onp.testing.assert_allclose(grad(f, 1)(x, y), [0.0, -0.75])
    onp.testing.assert_allclose(deriv(lambda y: np.where(y != 0, x / y, 0.0))(y), [0.0, -0.75])
    onp.testing.assert_allclose(grad(f, 0)(x, y), [0.0, 0.5])
    base = onp.array([-2.0, 0.0, 3.0])
    g = lambda p: np.sum(np.where(base > 0, base**p, 0.0))  # noqa: E731
    onp.testing.assert_allclose(grad(g)(onp.full(3, 0.5)), [0.0, 0.0, 3**0.5 * onp.log(3)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_derivatives_at_zero():
    assert grad(np.sqrt)(0.0) == onp.inf  # a true infinity, not NaN
    assert deriv(np.sqrt)(0.0) == onp.inf
    assert grad(np.abs)(0.0) == 0.0  # the subgradient 0
    assert deriv(np.abs)(0.0) == 0.0
    assert grad(grad(np.abs))(0.0) == 0.0
    assert grad(lambda z: np.abs(z))(0j) == 0.0
    assert grad(np.fabs)(0.0) == 0.0
    assert grad(lambda x: np.hypot(x, 0.0))(0.0) == 0.0
    assert grad(lambda x: np.arctan2(0.0, x))(0.0) == 0.0
    # A zero tangent through an infinite derivative stays zero in forward mode.
    f = lambda x: x[0] + np.sqrt(x[1])  # noqa: E731
    assert make_jvp(f)(onp.array([2.0, 0.0]))(onp.array([1.0, 0.0]))[1] == 1.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_safe_products_values():
    inf, nan = onp.inf, onp.nan
    assert safe_mul(0.0, inf) == 0.0 and safe_mul(inf, 0.0) == 0.0 and safe_mul(0, nan) == 0.0
    assert safe_mul(2.0, inf) == inf and onp.isnan(safe_mul(2.0, nan))
    assert safe_div(0.0, 0.0) == 0.0 and safe_div(0, 0) == 0.0 and safe_div(0.0, nan) == 0.0
    assert safe_div(1.0, 0.0) == inf and safe_div(-1, 0) == -inf
    onp.testing.assert_array_equal(safe_mul(onp.array([0.0, 1.0, 0.0, 2.0]), onp.array([inf, nan, nan, 3.0])), [0.0, nan, 0.0, 6.0])
    onp.testing.assert_array_equal(safe_div(onp.array([[0.0], [1.0]]), onp.array([0.0, 2.0])), [[0.0, 0.0], [inf, 0.5]])
    assert safe_mul(0j, complex(inf, 0)) == 0 and safe_div(onp.complex128(0), onp.complex128(0)) == 0
    big = onp.full(3, 1e308)  # the sum overflows to inf - inf: the exact check must not change anything
    onp.testing.assert_array_equal(safe_mul(onp.array([1.0, 1.0, -1.0]), big), [1e308, 1e308, -1e308])


SAFE_ROWS = [
    Row("safe_mul", safe_mul, BINARY_SHAPES, dtypes=C),
    Row("safe_div", safe_div, BINARY_SHAPES, domain=("real", "nonzero"), dtypes=C),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(SAFE_ROWS))
def test_safe_product_rules(row, shapes, dtype):
    run(row, shapes, dtype)


# Primitives that rules use internally (not NumPy functions), checked like the rest.
HELPER_ROWS = [
    Row("one_minus_square", one_minus_square, dtypes=C, order=3),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(HELPER_ROWS))
def test_helper_primitive_rules(row, shapes, dtype):
    run(row, shapes, dtype)


@pytest.mark.parametrize("fun", [np.maximum, np.minimum, np.fmax, np.fmin])
def test_extremum_ties_split_equally(fun):
    assert grad(fun, 0)(1.5, 1.5) == 0.5 and grad(fun, 1)(1.5, 1.5) == 0.5
    assert deriv(lambda x: fun(x, 1.5))(1.5) == 0.5
    assert grad(lambda x: fun(x, x))(1.5) == 1.0
    onp.testing.assert_array_equal(elementwise_grad(fun)(onp.array([1.0, 2.0, 3.0]), 2.0), [fun is np.minimum or fun is np.fmin, 0.5, fun is np.maximum or fun is np.fmax])


def test_fmax_ignores_nan_maximum_propagates_it():
    assert grad(np.fmax, 0)(onp.nan, 2.0) == 0.0 and grad(np.fmax, 1)(onp.nan, 2.0) == 1.0
    assert grad(np.maximum, 1)(onp.nan, 2.0) == 0.0


def test_clip_at_bounds():
    a = onp.array([-2.0, 0.0, 0.5, 1.0, 3.0])
    onp.testing.assert_array_equal(elementwise_grad(lambda a: np.clip(a, 0.0, 1.0))(a), [0, 0.5, 1, 0.5, 0])
    onp.testing.assert_array_equal(deriv(lambda a: np.clip(a, 0.0, 1.0))(a), [0, 0.5, 1, 0.5, 0])
    lo, hi = onp.zeros(5), onp.ones(5)
    onp.testing.assert_array_equal(grad(lambda lo: np.sum(np.clip(a, lo, hi)))(lo), [1, 0.5, 0, 0, 0])
    onp.testing.assert_array_equal(grad(lambda hi: np.sum(np.clip(a, lo, hi)))(hi), [0, 0, 0, 0.5, 1])
    assert grad(lambda a: np.clip(a, min=0.0, max=1.0))(2.0) == 0.0
    assert grad(lambda a: np.clip(a, min=0.0, max=1.0))(0.25) == 1.0


def test_remainder_quotient_is_exact():
    # 1.0 / 0.1 rounds to 10, but 1.0 == 9 * 0.1 + 0.0999... (the jump to q = 10 is just
    # below y = 0.1): d/dy remainder(1, y) = -9.
    for fun in (np.remainder, np.fmod):
        assert grad(fun, 1)(1.0, 0.1) == -9.0
        h = 1e-7
        assert abs((fun(1.0, 0.1 + h) - fun(1.0, 0.1)) / h + 9.0) < 1e-5


def test_sinc_near_zero():
    assert grad(np.sinc)(0.0) == 0.0
    for second in SECOND.values():
        onp.testing.assert_allclose(second(np.sinc)(0.0), -onp.pi**2 / 3, rtol=1e-12)
    x = onp.array([1e-4, -5e-4, 2e-3, 0.3])
    exact = (onp.cos(onp.pi * x) * onp.pi * x - onp.sin(onp.pi * x)) / (onp.pi * x**2)
    onp.testing.assert_allclose(elementwise_grad(np.sinc)(x), exact, rtol=1e-7)
    onp.testing.assert_allclose(deriv(np.sinc)(x), exact, rtol=1e-7)


def test_i0_derivative_is_i1():
    special = pytest.importorskip("scipy.special")
    x = onp.concatenate([onp.linspace(-40, 40, 161), [0.0, 14.99, 15.01]])
    onp.testing.assert_allclose(elementwise_grad(np.i0)(x), special.i1(x), rtol=1e-12, atol=1e-300)
    onp.testing.assert_allclose(deriv(np.i0)(x), special.i1(x), rtol=1e-12, atol=1e-300)
    # I0'' = I0 - I1/x (1/2 at 0)
    onp.testing.assert_allclose(deriv(elementwise_grad(np.i0))(x), special.ivp(1, x), rtol=1e-11)


def test_real_if_close_follows_numpy():
    z = onp.array([1.0 + 1e-20j, 2.0])
    f = lambda z: np.real_if_close(z * 2.0)  # noqa: E731
    assert not onp.iscomplexobj(f(z))
    assert make_jvp(f)(z)(onp.ones(2) + 0j)[1].dtype == onp.float64
    assert onp.iscomplexobj(np.real_if_close(onp.array([1.0 + 1e-3j])))


def test_nan_to_num_blocks_replaced_entries():
    x = onp.array([onp.nan, 1.0, onp.inf, -onp.inf, 2.0])
    onp.testing.assert_array_equal(elementwise_grad(np.nan_to_num)(x), [0, 1, 0, 0, 1])


@pytest.mark.parametrize("name", ["modf", "frexp", "divmod"])
def test_split_functions_match_numpy(name):
    x = onp.array([-3.5, 0.0, 0.75, 1e-310, onp.inf])
    y = onp.array([2.0, 1.5, -0.5, 3.0, 2.0])
    split = (lambda x: np.divmod(x, y[: x.size])) if name == "divmod" else getattr(np, name)
    plain = (lambda x: onp.divmod(x, y[: x.size])) if name == "divmod" else getattr(onp, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in zip(split(x), plain(x)):
            onp.testing.assert_array_equal(a, b)

        smooth, step = (1, 0) if name == "divmod" else (0, 1)

        def smooth_part(x):
            parts = split(x)
            assert not isbox(parts[step])  # the integral part / exponent / quotient carries no derivative
            onp.testing.assert_array_equal(parts[step], plain(getval(x))[step])
            return parts[smooth]

        got = elementwise_grad(smooth_part)(x[:3])
    slope = onp.ldexp(1.0, -onp.frexp(x[:3])[1]) if name == "frexp" else onp.ones(3)
    onp.testing.assert_array_equal(got, slope)


NONDIFF_SAMPLES = [
    ("bitwise_and", (onp.array([12, 10]), 6)),
    ("bitwise_or", (onp.array([12, 10]), 6)),
    ("bitwise_xor", (onp.array([12, 10]), 6)),
    ("invert", (onp.array([12, 10]),)),
    ("bitwise_not", (onp.array([12, 10]),)),
    ("bitwise_invert", (onp.array([12, 10]),)),
    ("left_shift", (onp.array([1, 3]), 2)),
    ("bitwise_left_shift", (onp.array([1, 3]), 2)),
    ("right_shift", (onp.array([16, 7]), 2)),
    ("bitwise_right_shift", (onp.array([16, 7]), 2)),
    ("bitwise_count", (onp.array([7, 8]),)),
    ("gcd", (onp.array([12, 18]), 8)),
    ("lcm", (onp.array([4, 6]), 10)),
    ("isposinf", (onp.array([onp.inf, -onp.inf, 1.0]),)),
    ("isneginf", (onp.array([onp.inf, -onp.inf, 1.0]),)),
    ("isnat", (onp.array(["2020-01-01", "NaT"], dtype="datetime64[D]"),)),
    ("spacing", (onp.array([1.0, 1e10]),)),
    ("fix", (onp.array([-1.5, 2.5]),)),
    ("round", (onp.array([-1.55, 2.45]), 1)),
    ("around", (onp.array([-1.55, 2.45]), 1)),
]


@pytest.mark.parametrize("name,args", NONDIFF_SAMPLES, ids=[n for n, _ in NONDIFF_SAMPLES])
def test_nondiff_functions_match_numpy(name, args):
    onp.testing.assert_array_equal(getattr(np, name)(*args), getattr(onp, name)(*args))


@pytest.mark.parametrize("name", ["spacing", "fix", "round", "isposinf"])
def test_nondiff_functions_accept_traced_values(name):
    x = onp.array([-1.25, 2.5, onp.inf])

    def f(x):
        c = getattr(np, name)(x)
        assert not isbox(c)
        onp.testing.assert_array_equal(c, getattr(onp, name)(getval(x)))
        return np.sum(np.where(onp.isfinite(x), x, 0.0) * np.where(onp.isfinite(c), c, 0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = onp.where(onp.isfinite(x), getattr(onp, name)(x), 0.0).astype(float)
        onp.testing.assert_array_equal(grad(f)(x), want)

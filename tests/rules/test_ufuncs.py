"""Numerical checks of the elementwise (ufunc) rules, then their edge cases."""

import warnings

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import elementwise_grad, grad, hessian, jacobian, make_jvp
from tapegrad.numpy.ufuncs import safe_div, safe_mul
from tapegrad.test_util import check_grads

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
    Row("fmax", np.fmax, BINARY_SHAPES),
    Row("fmin", np.fmin, BINARY_SHAPES),
    Row("clip", lambda a: np.clip(a, -0.5, 0.5)),
    Row("clip(lo only)", lambda a: np.clip(a, -0.5, None)),
    Row("clip(hi only)", lambda a: np.clip(a, None, 0.5)),
    Row("clip(arrays)", lambda a, lo, w: np.clip(a, lo, lo + 0.5 + w * w), TERNARY_SHAPES),
    Row("nan_to_num", np.nan_to_num, dtypes=C),
    Row("modf", lambda x: np.modf(x)[0]),
    Row("frexp", lambda x: np.frexp(x)[0], domain="nonzero"),
    Row("angle", np.angle, dtypes=C),
    Row("angle(deg)", lambda z: np.angle(z, deg=True), dtypes=("complex128",)),
    Row("sinc", np.sinc, dtypes=C),
    Row("i0", np.i0),
    Row("i0(large)", lambda x: np.i0(18.0 + x * x)),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)

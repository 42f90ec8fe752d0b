"""Numerical checks of the elementwise (ufunc) rules."""

import pytest

import tapegrad.numpy as np

from .harness import BINARY_SHAPES, Row, expand, run

C = ("float64", "complex128")

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
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)

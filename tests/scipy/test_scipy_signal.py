"""Numerical checks of tapegrad.scipy.signal, and agreement with SciPy's values."""

import numpy as onp
import pytest
import scipy.signal as ss

import tapegrad.numpy as np
import tapegrad.scipy.signal as sg
from tapegrad import grad
from tests.rules.harness import Row, expand, run

C = ("float64", "complex128")
ANY = [((5,), (3,)), ((3,), (5,)), ((2,), (7,)), ((4, 5), (2, 3)), ((3, 3), (4, 2)), ((2, 3, 2), (2, 2, 2))]
NESTED = [((5,), (3,)), ((3,), (6,)), ((4, 5), (2, 3)), ((2, 2), (4, 3))]  # one input larger in every axis
MATRICES = [((4, 5), (2, 3)), ((3, 3), (4, 2)), ((2, 2), (4, 3))]


def rows(name, fun, shapes, valid_shapes, dtypes=("float64",)):
    return [
        Row(f"{name}-full", lambda a, b: fun(a, b, mode="full"), shapes, dtypes=dtypes),
        Row(f"{name}-same", lambda a, b: fun(a, b, mode="same"), shapes, dtypes=dtypes),
        Row(f"{name}-valid", lambda a, b: fun(a, b, mode="valid"), valid_shapes, dtypes=dtypes),
    ]


ROWS = (
    rows("convolve", sg.convolve, ANY, NESTED, C)
    + rows("correlate", sg.correlate, ANY, NESTED, C)
    + rows("fftconvolve", sg.fftconvolve, ANY, NESTED)
    + rows("convolve2d", sg.convolve2d, MATRICES, [MATRICES[0], MATRICES[2]], C)
    + [Row("convolve-direct", lambda a, b: sg.convolve(a, b, method="direct"), ANY[:2])]
)


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_every_public_function_has_a_row():
    assert set(sg.__all__) - {r.name.split("-")[0] for r in ROWS} == set()


@pytest.mark.parametrize("shapes", ANY + [((6, 2), (3, 4))])
@pytest.mark.parametrize("name", ["convolve", "correlate", "fftconvolve", "convolve2d"])
def test_traced_values_are_scipys(name, shapes):
    if name == "convolve2d" and len(shapes[0]) != 2:
        return
    rng = onp.random.default_rng(0)
    a = rng.standard_normal(shapes[0]) + 0.5j * rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1]) - 0.3j * rng.standard_normal(shapes[1])
    for mode in ["full", "same", "valid"]:
        try:
            ref = getattr(ss, name)(a, b, mode=mode)
        except ValueError:  # SciPy's valid mode needs one input to dominate
            continue
        seen = []

        def f(x):
            y = getattr(sg, name)(x, b, mode=mode)
            seen.append(y._value)
            return np.real(np.sum(y))

        grad(f)(a)
        onp.testing.assert_allclose(seen[0], ref, atol=1e-12, err_msg=f"{name} {mode}")

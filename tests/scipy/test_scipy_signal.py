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
    # autograd's generalised form: convolved axes, contracted axes, outer-product axes.
    + rows("convolve-axes", lambda a, b, mode: sg.convolve(a, b, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode=mode),
           [((2, 3, 5, 4), (3, 2, 3, 2))], [((2, 3, 5, 4), (3, 2, 3, 2))], C)
    + rows("convolve-axes-small-first", lambda a, b, mode: sg.convolve(a, b, ([1], [0]), ([], []), mode),
           [((2, 2), (4, 3))], [((2, 2), (4, 3))])
)


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_every_public_function_has_a_row():
    assert set(sg.__all__) - {r.name.split("-")[0] for r in ROWS} == set()


def reference_tensor_convolve(a, b, mode):
    """out[n, k] = sum_c convolve(a[n, c], b[c, k]): a convolutional layer, by SciPy's convolve."""
    return onp.array([[sum(ss.convolve(a[n, c], b[c, k], mode=mode) for c in range(a.shape[1]))
                       for k in range(b.shape[1])] for n in range(a.shape[0])])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_generalised_convolve_is_a_sum_of_convolutions(mode):
    rng = onp.random.default_rng(5)
    a, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((3, 4, 3, 2))
    expected = reference_tensor_convolve(a, b, mode)
    got = sg.convolve(a, b, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode=mode)
    onp.testing.assert_allclose(got, expected, atol=1e-12)
    onp.testing.assert_allclose(sg.convolve(a, b, ([2, 3], [2, 3]), ([1], [0]), mode), expected, atol=1e-12)
    a2, b2 = a[0, 0], b[0, :, :, 0]  # (6, 5) and (4, 3): the first axes stay as outer axes
    outer = sg.convolve(a2, b2, axes=([1], [1]), mode=mode)
    onp.testing.assert_allclose(outer, onp.array([[ss.convolve(a2[i], b2[j], mode=mode) for j in range(4)]
                                                  for i in range(6)]), atol=1e-12)


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

"""Numerical checks of the creation functions that take traced values."""

import pytest

import tapegrad.numpy as np

from .harness import Row, expand, run

ROWS = [
    Row("full", lambda v: np.full((2, 3), v), [((),)], dtypes=("float64", "complex128")),
    Row("full_like", lambda v: np.full_like(np.ones(4), v), [((),)]),
    Row("linspace", lambda a, b: np.linspace(a, b, 5), [((), ()), ((3,), (3,))]),
    Row("linspace axis=1 endpoint=False", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), [((3,), (3,))]),
    Row("logspace", lambda a, b: np.logspace(a, b, 4, base=2.0), [((), ())], domain="unit"),
    Row("geomspace", lambda a, b: np.geomspace(a, b, 4), [((), ())], domain="positive"),
    Row("array", lambda x, y: np.array([[x, y], [y * x, 2.0]]), [((), ())]),
    Row("copy", lambda x: np.copy(x) ** 2),
    Row("asarray", lambda x: np.asarray(x) ** 2),
    Row("astype", lambda x: np.astype(x, "complex128") if hasattr(np, "astype") else x * (1 + 0j)),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_counts_refuse_traced_values():
    from tapegrad import NonDifferentiableError, grad

    with pytest.raises(NonDifferentiableError, match="numpy.arange"):
        grad(lambda n: np.sum(np.arange(n)))(3.0)

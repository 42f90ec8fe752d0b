"""The table-driven numerical check of derivative rules.

Each family's test module lists ``Row``s: one primitive, the shapes it is
checked at, its argument domain, dtypes and order. ``expand`` turns rows into
pytest parameters; ``run`` checks one case in the requested modes, to second
order by default, against central finite differences.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as onp
import pytest

from tapegrad.test_util import check_grads

# Argument domains: where inputs are drawn so that the function is smooth there.
DOMAINS: dict[str, Callable[[onp.random.Generator, tuple], onp.ndarray]] = {
    "real": lambda rng, s: rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),  # inside (-1, 1)
    "above1": lambda rng, s: rng.uniform(1.1, 3.0, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s),
    "spd": lambda rng, s: _spd(rng, s),  # symmetric positive definite (last two axes)
}


def _spd(rng: onp.random.Generator, s: tuple) -> onp.ndarray:
    a = rng.standard_normal(s)
    n = s[-1]
    return a @ onp.swapaxes(a, -1, -2) + n * onp.eye(n)


SCALAR = ((),)
VECTOR = ((4,),)
MATRIX = ((3, 4),)
UNARY_SHAPES = [SCALAR, VECTOR, MATRIX]
BINARY_SHAPES = [((), ()), ((4,), (4,)), ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4))]


@dataclass
class Row:
    """One primitive's entry in the numerical check table."""

    name: str  # the public name covered, e.g. "sin" or "linalg.inv"
    fun: Callable  # takes the generated arrays positionally
    shapes: Sequence[tuple] = field(default_factory=lambda: UNARY_SHAPES)
    domain: Any = "real"  # a DOMAINS key, or one per argument
    argnums: tuple | None = None  # arguments differentiated (default: all)
    dtypes: tuple = ("float64",)
    order: int = 2
    modes: tuple = ("fwd", "rev")

    def domains(self, nargs: int) -> list:
        return list(self.domain) if isinstance(self.domain, (list, tuple)) else [self.domain] * nargs


def make_args(row: Row, shapes: tuple, dtype: str) -> list:
    rng = onp.random.default_rng(zlib.crc32(f"{row.name}{shapes}{dtype}".encode()))
    args = []
    for s, d in zip(shapes, row.domains(len(shapes))):
        a = DOMAINS[d](rng, s)
        if dtype == "complex128":
            a = a + 1j * 0.3 * DOMAINS[d](rng, s)
        args.append(onp.asarray(a, dtype=dtype) if s else onp.asarray(a, dtype=dtype)[()])
    return args


def expand(rows: Sequence[Row]) -> list:
    """One pytest parameter per (row, shapes, dtype)."""
    params = []
    for row in rows:
        for shapes in row.shapes:
            for dtype in row.dtypes:
                params.append(pytest.param(row, shapes, dtype, id=f"{row.name}-{shapes}-{dtype}"))
    return params


def run(row: Row, shapes: tuple, dtype: str) -> None:
    args = make_args(row, shapes, dtype)
    argnums = row.argnums if row.argnums is not None else tuple(range(len(args)))
    onp.random.seed(zlib.crc32(row.name.encode()) % (2**31))  # the checker's random directions
    check_grads(row.fun, argnum=argnums if len(argnums) > 1 else argnums[0], modes=row.modes, order=row.order)(*args)


def check_traced_value(f: Callable, shape: tuple, seed: int, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``f(tapegrad.numpy, x)`` on a traced ``x`` has NumPy's value, shape and dtype (``f(numpy, x)``)."""
    import tapegrad.numpy as tnp
    from tapegrad import grad

    x = onp.random.default_rng(seed).standard_normal(shape)
    expected = f(onp, x)
    seen = []

    def traced(x: Any) -> Any:
        y = f(tnp, x)
        seen.append(y)
        return tnp.sum(tnp.real(y)) if hasattr(y, "_value") or isinstance(y, onp.ndarray) else tnp.sum(x)

    grad(traced)(x)
    got = getattr(seen[0], "_value", seen[0])
    assert onp.shape(got) == onp.shape(expected)
    assert onp.asarray(got).dtype == onp.asarray(expected).dtype
    onp.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)

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
    "tri_pd": lambda rng, s: _tri_pd(rng, s),  # each triangle's Hermitian completion is positive definite
}


def _reverse_all(x: Any, s: tuple) -> Any:
    return x[(slice(None, None, -1),) * len(s)]


def _broadcast_first(x: Any, s: tuple) -> Any:
    import tapegrad.numpy as tnp

    return tnp.broadcast_to(x, s)


def _transposed(x: Any, s: tuple) -> Any:
    import tapegrad.numpy as tnp

    return tnp.transpose(x)


def _swapped(x: Any, s: tuple) -> Any:
    import tapegrad.numpy as tnp

    return tnp.swapaxes(x, 0, 1)


# Memory layouts of an argument (``Row.layout``): the row's function receives
# ``make(x, shape)`` of a C-ordered ``x`` drawn at ``drawn(shape)``. The layout
# is made inside the checked function, so that the finite differences (on
# fresh C-ordered arrays) see it too; the values are a rearrangement of the
# drawn ones, which changes nothing for a numerical check.
LAYOUTS: dict[str, tuple[Callable[[tuple], tuple], Callable[[Any, tuple], Any]]] = {
    "C": (lambda s: s, lambda x, s: x),
    "F": (lambda s: s[::-1], _transposed),  # Fortran-contiguous (not C-contiguous for 2+ long axes)
    "reversed": (lambda s: s, _reverse_all),  # negative strides on every axis
    "strided": (lambda s: s[:-1] + (2 * s[-1],), lambda x, s: x[..., ::2]),  # neither C nor F contiguous
    "swapped": (lambda s: (s[1], s[0]) + s[2:], _swapped),  # contiguous in another axis order
    "broadcast": (lambda s: (1,) + s[1:], _broadcast_first),  # a zero stride on axis 0
}


def _spd(rng: onp.random.Generator, s: tuple) -> onp.ndarray:
    a = rng.standard_normal(s)
    n = s[-1]
    return a @ onp.swapaxes(a, -1, -2) + n * onp.eye(n)


def _tri_pd(rng: onp.random.Generator, s: tuple) -> onp.ndarray:
    """Not symmetric, but the Hermitian matrix either triangle defines is positive definite.

    For functions that read one triangle (cholesky, eigh...): a rule that
    symmetrises its cotangent or reads the other triangle fails on these.
    """
    a = rng.standard_normal(s) / onp.sqrt(s[-1])
    return a @ onp.swapaxes(a, -1, -2) + 2.0 * onp.eye(s[-1]) + 0.3 * rng.standard_normal(s)


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
    layout: Any = "C"  # a LAYOUTS key, or one per argument: the memory layout the function sees

    def domains(self, nargs: int) -> list:
        return list(self.domain) if isinstance(self.domain, (list, tuple)) else [self.domain] * nargs

    def layouts(self, nargs: int) -> list:
        return list(self.layout) if isinstance(self.layout, (list, tuple)) else [self.layout] * nargs


def make_args(row: Row, shapes: tuple, dtype: str) -> list:
    rng = onp.random.default_rng(zlib.crc32(f"{row.name}{shapes}{dtype}".encode()))
    args = []
    for s, d, lay in zip(shapes, row.domains(len(shapes)), row.layouts(len(shapes))):
        s = LAYOUTS[lay][0](s)
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


def with_layouts(row: Row, shapes: tuple) -> Callable:
    """``row.fun`` of arguments drawn as ``make_args`` draws them, given to it in the row's layouts."""
    layouts = row.layouts(len(shapes))
    if all(lay == "C" for lay in layouts):
        return row.fun
    makers = [LAYOUTS[lay][1] for lay in layouts]

    def fun(*args: Any) -> Any:
        return row.fun(*(make(a, s) for make, a, s in zip(makers, args, shapes)))

    fun.__name__ = getattr(row.fun, "__name__", row.name)
    return fun


def run(row: Row, shapes: tuple, dtype: str) -> None:
    args = make_args(row, shapes, dtype)
    argnums = row.argnums if row.argnums is not None else tuple(range(len(args)))
    onp.random.seed(zlib.crc32(row.name.encode()) % (2**31))  # the checker's random directions
    fun = with_layouts(row, shapes)
    check_grads(fun, argnum=argnums if len(argnums) > 1 else argnums[0], modes=row.modes, order=row.order)(*args)


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

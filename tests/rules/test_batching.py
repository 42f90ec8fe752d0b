"""vmap against a Python loop over the examples, for every row of the rule tables.

Each row of ``tests/rules`` and ``tests/scipy`` (one function at its shapes) is
mapped over a batch of three examples, stacked along axis 0, along the last
axis, or for the first argument only (the others the same for every example),
and compared with the function applied to each example in turn: the values
(at every shape of the row), and at the row's last shapes their derivatives in
reverse mode (``vmap(grad(f))``, both stackings) and forward mode (``vmap`` of a
JVP), to second order (``vmap`` of a Hessian-vector product), and the
derivative through ``vmap`` itself (``grad`` of a sum of ``vmap(f)``).
The rules must give the loop's results to rounding.

Functions whose results have a shape that depends on the values (``unique``,
``histogram``...), or that write into a plain ndarray, cannot always be mapped:
vmap refuses them with an error naming the problem (or, where every example
gives a result of one shape, gives the loop's), never a wrong number; they are
listed in ``REFUSED``. The last test lists the primitives that have no batching
rule and are looped (the fallback of ``tapegrad.core.batching``).
"""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as onp
import pytest

import tapegrad.numpy as np
import tapegrad.misc.fixed_points  # noqa: F401 - every primitive loaded, for the fallback list
import tapegrad.scipy.integrate  # noqa: F401
import tapegrad.scipy.stats  # noqa: F401
import tapegrad.scipy.linalg  # noqa: F401
import tapegrad.scipy.signal  # noqa: F401
import tapegrad.scipy.special  # noqa: F401
from tapegrad import TapegradError, grad, hessian, jacfwd, jacobian, make_jvp, make_vjp, sweeps, vmap
from tapegrad.core import vspace
from tapegrad.core.batching import batch_rule
from tapegrad.core.primitive import Primitive

from .harness import make_args, with_layouts

FAMILIES = ["ufuncs", "reductions", "shape", "products", "indexing", "selection", "statistics", "linalg", "fft",
            "extras", "creation"]
SCIPY = ["special", "linalg", "signal"]


def _rows() -> list:
    rows = []
    for name in FAMILIES:
        module = importlib.import_module(f"tests.rules.test_{name}")
        rows += [(name, row) for row in module.ROWS]
    for name in SCIPY:
        module = importlib.import_module(f"tests.scipy.test_scipy_{name}")
        rows += [(f"scipy.{name}", row) for row in module.ROWS]
    return rows


# Rows that vmap may refuse (a TapegradError), and why.
_SHAPE = "the shape of the result depends on the values"
_PLAIN = "writes batched values into a plain ndarray (as traced values are refused there)"
REFUSED = {
    "getitem mask from values": _SHAPE,
    "unique axis": _SHAPE, "unique_values": _SHAPE, "unique_counts": _SHAPE, "unique_inverse": _SHAPE,
    "unique_all": _SHAPE, "intersect1d": _SHAPE, "intersect1d unique": _SHAPE, "setdiff1d": _SHAPE,
    "setxor1d": _SHAPE, "setxor1d unique": _SHAPE, "trim_zeros": _SHAPE, "trim_zeros front": _SHAPE,
    "trim_zeros back": _SHAPE, "roots": _SHAPE, "roots zeros": _SHAPE,
    "histogram": "the bins are computed from the values with NumPy",
    "histogram density": "the bins are computed from the values with NumPy",
    "histogram range": "the bins are computed from the values with NumPy",
    "histogram2d": _SHAPE, "histogram2d density": _SHAPE, "histogram2d edges": _SHAPE,
    "histogram2d range": _SHAPE, "histogram2d edge array": _SHAPE,
    "histogramdd": _SHAPE, "histogramdd edges": _SHAPE, "histogramdd density": _SHAPE,
    "histogramdd list": _SHAPE, "histogramdd 1d": _SHAPE,
    "poly": "reads the roots' values with NumPy", "poly conjugate pair": "reads the roots' values with NumPy",
    "poly matrix": "reads the matrix's values with NumPy",
    "piecewise": "selects with boolean masks of the values", "piecewise constants": "selects with boolean masks",
    "piecewise scalar": "selects with boolean masks", "piecewise args": "selects with boolean masks",
    "interp": "locates the points with NumPy on the values", "interp x": "locates the points with NumPy",
    "interp complex fp": "locates the points with NumPy", "interp left right": "locates the points with NumPy",
    "interp period": "locates the points with NumPy", "interp one point": "locates the points with NumPy",
    "unwrap": "reads the values' jumps with NumPy", "unwrap axis": "reads the values' jumps with NumPy",
    "nanmedian": "counts the NaNs of each slice with NumPy", "nanmedian axis=1": "counts NaNs with NumPy",
    "nanpercentile": "counts NaNs with NumPy", "nanpercentile q array axis=0": "counts NaNs with NumPy",
    "nanquantile": "counts NaNs with NumPy", "nanquantile axis=1 method=midpoint": "counts NaNs with NumPy",
    "linspace": "the sample points are computed with NumPy",
    "linspace axis=1 endpoint=False": "the sample points are computed with NumPy",
    "ascontiguousarray": "asks NumPy for the memory of one example",
    "ascontiguousarray transposed": "asks NumPy for the memory of one example",
    "asfortranarray": "asks NumPy for the memory of one example",
    "asarray_chkfinite": "asks NumPy whether the values are finite",
    "fill_diagonal": _PLAIN, "fill_diagonal wrap": _PLAIN, "fill_diagonal cube": _PLAIN,
    "put_along_axis": _PLAIN, "put_along_axis none": _PLAIN, "put": _PLAIN, "place": _PLAIN, "putmask": _PLAIN,
    "copyto": _PLAIN, "copyto where": _PLAIN, "put wrap": _PLAIN, "put_along_axis numpy": _PLAIN,
    "real_if_close(x+0j)": "the dtype of the result depends on the values",
    "logsumexp-sign": "calls SciPy on the plain values for the sign",
}
# Rows whose values map, but whose derivative rules compute with SciPy or with data-dependent loops
# on the plain values: vmap of their derivatives may refuse them.
_SERIES = "the rule sums a series until every element has converged, on the plain values"
REFUSED_DERIVATIVES = {
    "gammainc": _SERIES, "gammaincc": _SERIES, "gammainc-upper": _SERIES, "gammaincc-upper": _SERIES,
    "betainc": _SERIES, "stdtr": _SERIES,
}

B = 3  # examples


def _cases() -> list:
    params = []
    for family, row in _rows():
        for shapes in row.shapes:
            params.append(pytest.param(row, shapes, id=f"{family}:{row.name}-{shapes}"))
    return params


CASES = _cases()
# The derivatives at each row's last (largest) shapes.
LAST = [pytest.param(row, row.shapes[-1], id=f"{family}:{row.name}-{row.shapes[-1]}") for family, row in _rows()]


def _examples(row, shapes: tuple) -> list:
    """Three examples: the row's arguments, scaled apart (within every domain the table uses)."""
    base = make_args(row, shapes, row.dtypes[0])
    return [[a * (1.0 + 0.05 * i) for a in base] for i in range(B)]


def _stack(examples: list, k: int, axis: int) -> onp.ndarray:
    return onp.stack([ex[k] for ex in examples], axis=axis)


def _check(got, expected: list, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    """``got`` (stacked along axis 0) against the loop's results, element by element of tuples."""
    first = expected[0]
    if isinstance(first, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(first)
        for k in range(len(first)):
            _check(got[k], [e[k] for e in expected], rtol, atol)
        return
    want = onp.stack([onp.asarray(e) for e in expected])
    assert onp.shape(got) == want.shape
    onp.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _argnum(row, nargs: int):
    argnums = row.argnums if row.argnums is not None else tuple(range(nargs))
    return argnums if len(argnums) > 1 else argnums[0]


def _scalar(fun):
    """A real scalar of ``fun``'s output (each element weighted, tuples summed), for gradients."""

    def loss(*args):
        out = fun(*args)
        parts = out if isinstance(out, (tuple, list)) else (out,)
        total = 0.0
        for i, p in enumerate(parts):
            w = onp.linspace(0.5, 1.5, int(onp.prod(onp.shape(p)))).reshape(onp.shape(p))
            total = total + np.sum(np.real(p) * w) * (i + 1)
        return total

    return loss


def _configs(nargs: int) -> dict:
    return {"axis 0": 0, "last axis": -1, "first only": (0,) + (None,) * (nargs - 1)}


def _batched(examples: list, config: str, nargs: int) -> tuple:
    if config == "axis 0":
        return tuple(_stack(examples, k, 0) for k in range(nargs)), examples
    if config == "last axis":
        return tuple(_stack(examples, k, -1) for k in range(nargs)), examples
    shared = examples[0][1:]
    return (_stack(examples, 0, 0),) + tuple(shared), [[ex[0]] + list(shared) for ex in examples]


def _refused(row) -> bool:
    return row.name in REFUSED


@pytest.mark.parametrize("row, shapes", CASES)
def test_values(row, shapes) -> None:
    fun = with_layouts(row, shapes)
    examples = _examples(row, shapes)
    nargs = len(shapes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for config, in_axes in _configs(nargs).items():
            args, per_example = _batched(examples, config, nargs)
            expected = [fun(*ex) for ex in per_example]
            if _refused(row):  # an error naming the problem, or (where the examples agree) the loop's result
                try:
                    got = vmap(fun, in_axes)(*args)
                except TapegradError:
                    continue
            else:
                got = vmap(fun, in_axes)(*args)
            _check(got, expected)
            if not isinstance(got, (tuple, list)):
                assert onp.asarray(got).dtype == onp.asarray(expected[0]).dtype, config


@pytest.mark.parametrize("row, shapes", LAST)
def test_derivatives(row, shapes) -> None:
    """Reverse, forward and second order inside vmap, and reverse mode through it."""
    if _refused(row) or "rev" not in row.modes:
        return
    if row.name in REFUSED_DERIVATIVES:  # an error naming the problem, or the loop's results
        try:
            _derivatives(row, shapes)
        except TapegradError:
            pass
        return
    _derivatives(row, shapes)


def _derivatives(row, shapes) -> None:
    fun = with_layouts(row, shapes)
    examples = _examples(row, shapes)
    nargs = len(shapes)
    argnum = _argnum(row, nargs)
    loss = _scalar(fun)
    wrt = argnum if isinstance(argnum, tuple) else (argnum,)

    def direction(args):
        t = tuple(onp.full(onp.shape(args[i]), 0.7) for i in wrt)
        return t if isinstance(argnum, tuple) else t[0]

    def forward(*args):
        return make_jvp(fun, argnum)(*args)(direction(args))[1]

    def second(*args):
        return make_jvp(grad(loss, argnum), argnum)(*args)(direction(args))[1]

    maps = {"reverse": grad(loss, argnum), "second order": second}
    if "fwd" in row.modes:
        maps["forward"] = forward
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for config in ("axis 0", "last axis"):
            args, per_example = _batched(examples, config, nargs)
            in_axes = _configs(nargs)[config]
            for mode, f in maps.items():
                if config == "axis 0" or mode == "reverse":
                    _check(vmap(f, in_axes)(*args), [f(*ex) for ex in per_example], rtol=1e-8, atol=1e-10)
        # the derivative of the stacked results, through vmap (vmap's boxes around reverse mode's)
        args, per_example = _batched(examples, "axis 0", nargs)
        through = grad(lambda *a: loss(*a) if False else _scalar(vmap(fun))(*a), argnum)(*args)
        weights = _scalar_weights(fun, per_example)
        expected = [grad(lambda *a, i=i: _weighted(fun, weights, i)(*a), argnum)(*ex) for i, ex in enumerate(per_example)]
        _check(through, expected, rtol=1e-8, atol=1e-10)


def _scalar_weights(fun, per_example: list) -> list:
    """The weights ``_scalar`` gives the stacked output, cut into each example's."""
    stacked = [fun(*ex) for ex in per_example]
    first = stacked[0]
    parts = first if isinstance(first, (tuple, list)) else (first,)
    out = []
    for i, p in enumerate(parts):
        shape = (B,) + onp.shape(p)
        out.append(onp.linspace(0.5, 1.5, int(onp.prod(shape))).reshape(shape) * (i + 1))
    return out


def _weighted(fun, weights: list, i: int):
    def loss(*args):
        out = fun(*args)
        parts = out if isinstance(out, (tuple, list)) else (out,)
        total = 0.0
        for w, p in zip(weights, parts):
            total = total + np.sum(np.real(p) * w[i])
        return total

    return loss


# The primitives vmap loops over, one example at a time (correct, and as slow as a Python loop):
# containers' own primitives (vmap maps the arrays inside containers, never a container as a
# whole), a few internal ones, and scipy.integrate.odeint: its solver picks its steps from the error
# of the whole state, so one integration of the stacked system would take other steps than each
# example's (other values, not rounding), and its adjoint runs an integration per call; and
# scipy.linalg.logm and solve_sylvester, which SciPy maps over a stack by a Python loop of its own
# that is no quicker than vmap's (1.01x and 1.08x for 64 matrices 8x8: the cost is SciPy's per matrix).
LOOPED = {
    "container_add", "container_take", "make_dict", "make_sequence", "sequence_extend_left",
    "sequence_extend_right", "sparse_add", "setitem", "add.at", "fixed_point", "convolve_full", "scipy.integrate.odeint",
    "scipy.linalg.logm", "scipy.linalg.solve_sylvester",
}


def _module_primitives() -> list:
    """The primitives defined at module level in tapegrad (not those made by calls, as checkpoint's)."""
    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("tapegrad") and module is not None:
            for value in vars(module).values():
                prim = getattr(value, "_primitive", None)
                if isinstance(prim, Primitive):
                    found[id(prim)] = prim
    return list(found.values())


def test_looped_primitives_are_listed() -> None:
    looped = {p.name for p in _module_primitives() if batch_rule(p) is None}
    assert looped == LOOPED, (
        f"new primitives without a batching rule: {sorted(looped - LOOPED)}; "
        f"listed but now ruled: {sorted(LOOPED - looped)}"
    )


# ----- the batched sweeps of jacobian, jacfwd and hessian, with no fallback to the loop ---------------------

@pytest.fixture
def strict_sweeps(monkeypatch):
    """Batched sweeps that raise raise (``sweeps.STRICT``), instead of falling back to the row loop."""
    monkeypatch.setattr(sweeps, "STRICT", True)


def _row_loop(vjp, ans, xs: tuple, several: bool):
    """The Jacobian one reverse sweep per output element (each argument's, for several)."""
    vs = vspace(ans)
    rows = [vjp(b) for b in vs.standard_basis()]
    per_arg = [[onp.asarray(r[i] if several else r) for r in rows] for i in range(len(xs))]
    out = tuple(onp.stack(p).reshape(vs.shape + onp.shape(x)) if p else onp.zeros(vs.shape + onp.shape(x))
                for p, x in zip(per_arg, xs))
    return out if several else out[0]


def _parts(fun, args) -> list:
    """``fun`` as functions of one array output each (a tuple's parts one by one)."""
    out = fun(*args)
    if isinstance(out, (tuple, list)):
        return [lambda *a, k=k: fun(*a)[k] for k in range(len(out))]
    return [fun]


def _close(got, want) -> None:
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w)
        return
    assert onp.shape(got) == onp.shape(want)
    onp.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("row, shapes", LAST)
def test_batched_sweeps_of_the_operators(row, shapes, strict_sweeps) -> None:
    """jacobian, jacfwd and hessian of every row by their batched sweeps, against one sweep per row."""
    if "rev" not in row.modes:
        return
    fun = with_layouts(row, shapes)
    args = make_args(row, shapes, row.dtypes[0])
    argnum = _argnum(row, len(shapes))
    several = isinstance(argnum, tuple)
    xs = tuple(args[i] for i in argnum) if several else (args[argnum],)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in _parts(fun, args):
            vjp, ans = make_vjp(part, argnum)(*args)
            want = _row_loop(vjp, ans, xs, several)
            _close(jacobian(part, argnum)(*args), want)
            if "fwd" in row.modes and not several:
                _close(jacfwd(part, argnum)(*args), want)
        if row.order >= 2 and "fwd" in row.modes and not several:
            loss = _scalar(fun)
            gvjp, g = make_vjp(grad(loss, argnum), argnum)(*args)
            _close(hessian(loss, argnum)(*args), _row_loop(gvjp, g, xs, False))

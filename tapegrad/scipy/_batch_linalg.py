"""Batching rules (``vmap``) of :mod:`tapegrad.scipy.linalg`: each a stacked call, examples on axis 0.

SciPy maps ``inv``, ``det``, ``expm`` and ``sqrtm`` over leading axes in
compiled code, and ``eigh``, ``lu_factor`` and ``solve_banded`` in a loop of its
own that skips vmap's per-example work: the rule is the primitive itself on the
stack, with the same LAPACK calls, so the values are the loop's bit for bit.
``cholesky`` and a triangular solve use NumPy's stacked (compiled) Cholesky and
``solve`` on the triangle read (a large triangular matrix shared by every
example: one SciPy solve with the examples' right-hand sides as its columns);
a banded solve with one matrix for every example is one SciPy solve the same way.
``logm`` and ``solve_sylvester`` have no rule: SciPy's loop over a stack of them
is no quicker than vmap's (their cost is SciPy's per-matrix work).
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules
from ..core.batching import PLAIN_RULES
from ..numpy import _linalg_basic as basic, _linalg_decomp as decomp
from ..numpy._linalg_basic import H
from ..numpy._wrap import shape_of
from ..numpy.assignment import dtype_of
from ..numpy.batching import batch_size, example_ndim, front, plain_stack, reshaped, stacked, unbatched
from ..numpy.rearrange import tril, triu
from ..numpy.shaping import concatenate, moveaxis
from . import linalg as la
from ._banded import solve_banded


def _finite(*xs: Any) -> bool:
    """Are the plain values under ``xs`` finite? (SciPy raises for others; the loop then raises the same)."""
    for x in xs:
        v = plain_stack(x)
        if type(v) is _np.ndarray and v.dtype.kind in "fc" and not _np.isfinite(v).all():
            return False
    return True


def _on_stack(fun: Any, outputs: int = 1) -> Any:
    """The rule of a function of one matrix (or stack) that SciPy maps over leading axes: ``fun`` on the stack."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not unbatched(dims):
            return NotImplemented
        return fun(front(args[0], dims[0]), *args[1:], **kwargs), (0,) * outputs if outputs > 1 else 0

    rule.__name__ = f"batch_{getattr(fun, '__name__', 'linalg')}"
    return rule


for _fun in (la.inv, la.det, la.expm, la.sqrtm):
    def_rules(_fun, batch=_on_stack(_fun))
def_rules(la._eigh, batch=_on_stack(la._eigh, outputs=2))


def _cholesky_batch(args: tuple, dims: tuple, lower: bool = False) -> Any:
    # The argument is the Hermitian matrix read_triangle made: NumPy's (lower) factor of the stack.
    if len(args) > 1 or not _finite(args[0]):
        return NotImplemented
    low = decomp._cholesky(front(args[0], dims[0]))
    return (low if lower else H(low)), 0


def_rules(la._cholesky, batch=_cholesky_batch)


def _as_columns(b: Any, db: int, nb: int) -> tuple[Any, int]:
    """Every example's right-hand side side by side: ``(n, examples)`` (vectors) or ``(n, examples * k)``.

    Returns the columns and the examples' axis of the solution once it is reshaped to ``(n, examples, k)``.
    """
    if nb == 1:
        return moveaxis(b, db, -1), 1
    n, k = shape_of(b)[:db] + shape_of(b)[db + 1:]
    cols = moveaxis(b, db, 1)
    return reshaped(cols, (n, shape_of(cols)[1] * k)), 1


def _from_columns(x: Any, size: int, nb: int) -> Any:
    return x if nb == 1 else reshaped(x, (shape_of(x)[0], size, shape_of(x)[1] // size))


# Below this order a shared triangular matrix is solved with each example as NumPy's stack of small
# solves: SciPy's OpenBLAS runs a triangular solve with several right-hand sides on threads, which on
# a busy machine costs milliseconds for an 8x8 system (microseconds with one thread).
_SMALL = 32


def _stacked_columns(b: Any, db: Any, nb: int, size: int) -> Any:
    """The right-hand sides as a stack of matrices, examples first (a vector as one column: SciPy reads a 2-d b
    as a matrix)."""
    if nb == 1:
        b = reshaped(b, shape_of(b) + (1,))
    return stacked(b, db, size)


def _as_given(x: Any, nb: int) -> Any:
    """Solutions stacked as :func:`_stacked_columns` made the right-hand sides, in their examples' shape."""
    return x if nb == 2 else reshaped(x, shape_of(x)[:-1])


def _solve_tri_batch(args: tuple, dims: tuple, trans: int = 0, lower: bool = False, unit_diagonal: bool = False) -> Any:
    if len(args) != 2 or trans not in (0, 1):
        return NotImplemented
    (a, b), (da, db) = args, dims
    nb = example_ndim(b, db)
    if example_ndim(a, da) != 2 or nb not in (1, 2):
        return NotImplemented
    size = batch_size(args, dims)
    if da is None and shape_of(a)[-1] > _SMALL:
        # one large matrix: one solve, the examples' right-hand sides its columns (SciPy's LAPACK call)
        cols, dim = _as_columns(b, db, nb)
        x = la._solve_tri(a, cols, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
        return _from_columns(x, size, nb), dim
    if not _finite(a, b):
        return NotImplemented
    # A matrix per example (or a small one for all): NumPy's stacked solve of the triangle read (its
    # derivatives only there)
    m = stacked(a, da, size)
    if unit_diagonal:
        m = (tril(m, -1) if lower else triu(m, 1)) + _np.eye(shape_of(m)[-1])
    else:
        m = tril(m) if lower else triu(m)
    if trans:
        m = la._t(m)
    return _as_given(basic.solve(m, _stacked_columns(b, db, nb, size)), nb), 0


def_rules(la._solve_tri, batch=_solve_tri_batch)


def _lu_batch(args: tuple, dims: tuple) -> Any:
    (a, perm), (da, dp) = args, dims
    if da is None or example_ndim(a, da) != 2:
        return NotImplemented
    return la._lu(front(a, da), stacked(perm, dp, batch_size(args, dims))), 0


def_rules(la._lu, batch=_lu_batch)


def _integer_stack_rule(fun: Any) -> Any:
    """The plain rule of LAPACK's pivots (or their row order): ``fun`` acts on a stack of examples."""

    def rule(args: tuple, dims: tuple) -> Any:
        if len(args) != 1 or example_ndim(args[0], dims[0]) != (2 if fun is la._pivots_raw else 1):
            return NotImplemented
        return fun(front(args[0], dims[0])), 0

    return rule


for _fun in (la._pivots_raw, la._perm_raw):
    PLAIN_RULES[_fun] = _integer_stack_rule(_fun)


def _banded_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if len(args) != 3 or dims[0] is not None:
        return NotImplemented
    (l_and_u, ab, b), (_, dab, db) = args, dims
    nb = example_ndim(b, db)
    if example_ndim(ab, dab) != 2 or nb not in (1, 2):
        return NotImplemented
    size = batch_size(args, dims)
    if dab is None:  # one matrix: one solve, the examples' right-hand sides its columns
        cols, dim = _as_columns(b, db, nb)
        return _from_columns(solve_banded(l_and_u, ab, cols, **kwargs), size, nb), dim
    # SciPy's loop over the stack
    return _as_given(solve_banded(l_and_u, front(ab, dab), _stacked_columns(b, db, nb, size), **kwargs), nb), 0


def_rules(solve_banded, batch=_banded_batch)


def _block_diag_batch(args: tuple, dims: tuple) -> Any:
    """The blocks of each example (as ``atleast_2d`` makes them) placed with concatenations."""
    shapes = []
    for x, d in zip(args, dims):
        s = shape_of(x) if d is None else shape_of(x)[:d] + shape_of(x)[d + 1:]
        if len(s) > 2:
            return NotImplemented  # SciPy's own error (or its batching), per example
        shapes.append(((1, 1), (1,) + s, s)[len(s)])
    size = batch_size(args, dims)
    dtype = _np.result_type(*(dtype_of(x) for x in args))
    rows, cols = sum(s[0] for s in shapes), sum(s[1] for s in shapes)
    parts, c = [], 0
    for x, d, s in zip(args, dims, shapes):
        block = reshaped(stacked(x, d, size), (size,) + s)
        left, right = _np.zeros((size, s[0], c), dtype), _np.zeros((size, s[0], cols - c - s[1]), dtype)
        parts.append(concatenate([left, block, right], axis=-1))
        c += s[1]
    ans = concatenate(parts, axis=-2) if parts else _np.zeros((size, rows, cols), dtype)
    return ans, 0


def_rules(la.block_diag, batch=_block_diag_batch)

__all__: list = []

"""Batching rules of the products: one NumPy product over the whole stack.

``matmul`` broadcasts over leading axes, so a batched operand needs only its
examples' axis in front (and unit axes so that it has at least the other
operand's leading axes); a batched vector times an unbatched matrix is one
matrix product. ``dot`` and ``tensordot`` contract named axes, which move one
up; when both operands are batched, these and ``outer`` become an ``einsum``
with a label for the examples, as ``einsum`` itself does.
"""

from __future__ import annotations

import string
from typing import Any

from ..core import def_rules
from . import compat, products
from ._einsum import _normalize, einsum_args
from ._wrap import shape_of
from .ufuncs import multiply
from .batching import batch_size, elementwise, example_ndim, front, moved, ndim_of, reshaped

_LETTERS = string.ascii_letters


def _squeezed(x: Any, axis: int) -> Any:
    s = shape_of(x)
    axis %= len(s)
    return reshaped(x, s[:axis] + s[axis + 1:])


def _matmul_batch(args: tuple, dims: tuple) -> Any:
    (a, b), (da, db) = args, dims
    na, nb = example_ndim(a, da), example_ndim(b, db)
    if na == 0 or nb == 0:
        return NotImplemented  # NumPy's error, from the loop
    matmul = products.matmul
    if db is None:
        if na == 1:  # each example a row: (n, k) @ b
            r = matmul(front(a, da), b)
            return r, (0 if nb <= 2 else ndim_of(r) - 2)
        return matmul(front(a, da, max(na, nb)), b), 0
    if da is None:
        bf = front(b, db)
        if nb == 1:  # each example a column
            if na == 1:
                return matmul(bf, a), 0
            if na == 2:  # (a @ x_i) for every i is the stack times a's transpose, the examples in front
                return matmul(bf, moved(a, 0, 1)), 0
            r = matmul(a, moved(bf, 0, 1))
            return r, ndim_of(r) - 1
        if na == 1:
            return matmul(a, bf), 0
        return matmul(a, front(b, db, max(na, nb))), 0
    # both batched: vectors as a row and a column, leading axes lined up
    af, bf = front(a, da), front(b, db)
    n = batch_size(args, dims)
    if na == 1:
        af = reshaped(af, (n, 1) + shape_of(af)[1:])
    if nb == 1:
        bf = reshaped(bf, shape_of(bf) + (1,))
    lead = max(ndim_of(af), ndim_of(bf)) - 1
    r = matmul(front(af, 0, lead), front(bf, 0, lead))
    if nb == 1:
        r = _squeezed(r, -1)
    if na == 1:
        r = _squeezed(r, -1 if nb == 1 else -2)
    return r, 0


def _labels(n: int, used: str) -> str:
    return "".join(c for c in _LETTERS if c not in used)[:n]


def _dot_batch(args: tuple, dims: tuple) -> Any:
    (a, b), (da, db) = args, dims
    na, nb = example_ndim(a, da), example_ndim(b, db)
    if na == 0 or nb == 0:  # dot with a scalar is a product
        return elementwise(multiply)(args, dims)
    dot = products.dot
    if db is None:
        return dot(front(a, da), b), 0
    if da is None:
        bf = front(b, db)
        if nb == 1:
            return dot(a, moved(bf, 0, 1)), na - 1
        return dot(a, bf), na - 1
    # both batched: a's last axis with b's second-to-last (or only) axis, as an einsum
    la = _labels(na, "z")
    lb = list(_labels(nb, "z" + la))
    k = nb - 2 if nb >= 2 else 0
    lb[k] = la[-1]
    out = la[:-1] + "".join(c for i, c in enumerate(lb) if i != k)
    return einsum_args(f"z{la},z{''.join(lb)}->z{out}", front(a, da), front(b, db)), 0


def _tensordot_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    (a, b), (da, db) = args[:2], dims[:2]
    axes = args[2] if len(args) > 2 else kwargs.get("axes", 2)
    if any(d is not None for d in dims[2:]):
        return NotImplemented
    na, nb = example_ndim(a, da), example_ndim(b, db)
    a_axes, b_axes = products._normalize_axes(axes, na, nb)
    if db is None:
        return products.tensordot(front(a, da), b, ([x + 1 for x in a_axes], b_axes)), 0
    if da is None:
        return products.tensordot(a, front(b, db), (a_axes, [x + 1 for x in b_axes])), na - len(a_axes)
    la = _labels(na, "z")
    lb = list(_labels(nb, "z" + la))
    for i, j in zip(a_axes, b_axes):
        lb[j] = la[i]
    lb = "".join(lb)
    out = "".join(c for i, c in enumerate(la) if i not in a_axes) + "".join(
        c for j, c in enumerate(lb) if j not in b_axes)
    return einsum_args(f"z{la},z{lb}->z{out}", front(a, da), front(b, db)), 0


def _outer_batch(args: tuple, dims: tuple) -> Any:
    (a, b), (da, db) = args, dims
    n = batch_size(args, dims)
    af = reshaped(front(a, da), (n, -1, 1) if da is not None else (-1, 1))
    bf = reshaped(front(b, db), (n, 1, -1) if db is not None else (1, -1))
    return multiply(af, bf), 0


def _einsum_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if dims[0] is not None:
        return NotImplemented
    subscripts, operands, odims = args[0], args[1:], dims[1:]
    shapes = tuple(s[:d] + s[d + 1:] if d is not None else s
                   for s, d in ((tuple(shape_of(o)), d) for o, d in zip(operands, odims)))
    ins, out, _ = _normalize(subscripts, shapes)
    z = _labels(1, "".join(ins) + out)
    if not z:
        return NotImplemented  # every letter in use
    parts = [z + p if d is not None else p for p, d in zip(ins, odims)]
    spec = ",".join(parts) + "->" + z + out
    return einsum_args(spec, *[front(o, d) for o, d in zip(operands, odims)], **kwargs), 0


def _make_diagonal_batch(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if any(d is not None for d in dims[1:]):
        return NotImplemented
    return compat.make_diagonal(front(args[0], dims[0]), *args[1:], **kwargs), 0


def_rules(products.matmul, batch=_matmul_batch)
def_rules(products.dot, batch=_dot_batch)
def_rules(products.tensordot, batch=_tensordot_batch)
def_rules(products.outer, batch=_outer_batch)
def_rules(einsum_args, batch=_einsum_batch)
def_rules(compat.make_diagonal, batch=_make_diagonal_batch)


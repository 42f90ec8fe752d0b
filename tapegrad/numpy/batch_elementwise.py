"""Batching rules of the broadcasting functions that are not NumPy ufuncs themselves.

Every primitive of a ufunc gets the elementwise rule without a line here
(``batching._ufunc_rule``); so do the ufuncs without derivatives (comparisons,
``floor``...). Listed here: the operators' primitives (they compute with
Python's operators where they can), ``where``, ``clip`` and the helper
primitives of the rules, and the elementwise functions without derivatives
that are not ufuncs.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules
from . import creation, elementwise as _ew, ufuncs
from ._wrap import shape_of
from .batching import PLAIN_RULES, batch_size, elementwise, front, noted_view, reshaped
from .indexing import _where, getitem

for _fun in (
    ufuncs.add, ufuncs.subtract, ufuncs.multiply, ufuncs.divide, ufuncs.power, ufuncs._safe_mul_p,
    ufuncs._safe_div_p, ufuncs.one_minus_square, _ew.clip, _ew.nan_to_num,
    _ew._modf_fraction, _ew.sinc, _ew._bessel_i1, _ew.i0, creation._copy, _where,
):
    def_rules(_fun, batch=elementwise(_fun))


def _astype_batch(args: tuple, dims: tuple) -> Any:
    """``astype(x, dtype)``: the dtype is a parameter, not an operand that broadcasts."""
    if dims[1] is not None:
        return NotImplemented
    return creation._astype_p(*args), dims[0]


def_rules(creation._astype_p, batch=_astype_batch)


def _part_rule(fun: Any) -> Any:
    """``real``/``imag``: of a complex array NumPy's result is a view (a write into it reaches the array)."""
    each = elementwise(fun)

    def rule(args: tuple, dims: tuple) -> Any:
        ans, dim = each(args, dims)
        return noted_view(ans, args[0]), dim

    return rule


def_rules(ufuncs.real, batch=_part_rule(ufuncs.real))
def_rules(ufuncs.imag, batch=_part_rule(ufuncs.imag))


def _item_batch(args: tuple, dims: tuple) -> Any:
    """``x.item()`` (one element, or the element at a flat index) of each example, as a batched scalar."""
    x = front(args[0], dims[0])
    n = batch_size(args, dims)
    flat = reshaped(x, (n, -1))
    if len(args) == 1:
        if shape_of(flat)[1:] != (1,):
            return NotImplemented  # NumPy's own error, from the loop
        return reshaped(flat, (n,)), 0
    if len(args) == 2 and isinstance(args[1], (int, _np.integer)) and dims[1] is None:
        return getitem(flat, (slice(None), args[1])), 0
    return NotImplemented


def_rules(creation.item, batch=_item_batch)

PLAIN_RULES[_np.isclose] = elementwise(_np.isclose)

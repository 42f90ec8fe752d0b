"""Speed hints: optional facts about the rules of the family modules.

Every rule in ``ufuncs``, ``products``, ``reductions``, ``indexing`` and
``assignment`` is complete without this table; the hints only let the engine do
less work for the same numbers. The first derivative loads this module (see
``tapegrad/numpy/__init__.py``); ``TAPEGRAD_SPEED_HINTS=0`` in the environment
(read then) leaves the whole table out, and ``tests/test_hints.py`` checks that
derivatives are the same bits with and without it (the fused product below
excepted: one matrix-matrix product rounds apart from two matrix-vector ones).

Three kinds (``benchmarks/mechanisms.py`` measures what each buys):

* **what a VJP reads** (:func:`tapegrad.core.def_hints`, ``vjp_reads``): the
  tape keeps only the shape and dtype of other large arrays, so a network's
  activations are freed as soon as the forward pass drops them, and an element
  write into an array a VJP does not read needs no copy of it first (the writes
  workload: O(1) per write instead of O(n)). A rule that reads more than
  declared meets a ``ShapeOnly`` and raises; it never computes a wrong number.
* **a fused value and JVP** (``value_and_jvp``): forward mode through a product
  with a large constant matrix reads the matrix once for the value and the
  tangent instead of twice.
* **C twins** (:mod:`tapegrad.numpy.fastrules`): the first-order fast branch of
  the hottest VJPs without a Python frame, the same bits as the Python rule.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as _np

from ..core import def_hints, get_primitive
from . import assignment, indexing, products, reductions, ufuncs
from ._wrap import _F8
from .fastrules import twin

# ----- fused value and JVP of matmul -------------------------------------------------
# The value and the tangent in one product of the matrix with both vectors
# stacked (a Hessian-vector product makes two such pairs). Small matrices gain
# nothing from it.
FUSE_MIN_SIZE = 1 << 14


def _vector_and_matrix(v: Any, v_dot: Any, m: Any) -> bool:
    return (type(v) is _np.ndarray and type(v_dot) is _np.ndarray and type(m) is _np.ndarray
            and v.ndim == 1 and m.ndim == 2 and m.size >= FUSE_MIN_SIZE
            and v.dtype is _F8 and v_dot.dtype is _F8 and m.dtype is _F8 and v_dot.shape == v.shape)


def matmul_value_and_jvp_a(a_dot: Any, a: Any, b: Any) -> Any:
    """``(a @ b, a_dot @ b)`` for a vector ``a`` and a large matrix ``b``; None otherwise."""
    if not _vector_and_matrix(a, a_dot, b):
        return None
    both = _np.stack((a, a_dot)).dot(b)  # rows: a @ b, a_dot @ b
    return both[0], both[1]


def matmul_value_and_jvp_b(b_dot: Any, a: Any, b: Any) -> Any:
    """``(a @ b, a @ b_dot)`` for a large matrix ``a`` and a vector ``b``; None otherwise."""
    if not _vector_and_matrix(b, b_dot, a):
        return None
    both = _np.stack((b, b_dot)).dot(a.T)  # rows: a @ b, a @ b_dot
    return both[0], both[1]


# ----- the table ---------------------------------------------------------------------
# function -> what its VJPs read ("ans" and argument positions; a dict per argument)
READS: list[tuple[Any, Any]] = [
    (ufuncs.add, ()),  # shapes only
    (ufuncs.subtract, ()),
    (ufuncs.multiply, {0: (1,), 1: (0,)}),
    (ufuncs.divide, {0: (1,), 1: (1, "ans")}),
    (ufuncs.negative, ()),
    (ufuncs.exp, ("ans",)),
    (ufuncs.log, (0,)),
    (ufuncs.tanh, ("ans",)),
    (ufuncs.one_minus_square, (0,)),
    (reductions.sum, ()),
    (reductions.mean, ()),
    (products.dot, {0: (1,), 1: (0,)}),
    (products.matmul, {0: (1,), 1: (0,)}),
    (indexing.getitem, ()),  # a loop of x[i] keeps no copies of x on the tape
    (indexing.untake, ()),
    (assignment.view_of, ()),  # views and writes: shapes and dtypes (see memory._in_place)
    (assignment.write_into, ()),
    (assignment.write_in_place, ()),
]

# function -> its value_and_jvp rules, per argument
FUSED: list[tuple[Any, Any]] = [
    (products.matmul, (matmul_value_and_jvp_a, matmul_value_and_jvp_b)),
]

# function -> {argnum: the C twin's kind} for its VJPs (fastrules.py)
TWINS: list[tuple[Any, dict[int, str]]] = [
    (ufuncs.add, {0: "pass_x", 1: "pass_y"}),
    (ufuncs.subtract, {0: "pass_x"}),
    (ufuncs.tanh, {0: "tanh"}),
    (products.matmul, {0: "matmul_a", 1: "matmul_b"}),
]

# The rules as they were before apply(): primitive -> (reads, value_and_jvp, vjps).
_BEFORE: dict = {}


def apply() -> None:
    """Declare every hint of the table (once)."""
    if _BEFORE:
        return
    for fun, _ in READS + FUSED + TWINS:
        prim = get_primitive(fun)
        _BEFORE.setdefault(prim, (prim.reads, dict(prim.value_and_jvp), dict(prim.vjps)))
    for fun, reads in READS:
        def_hints(fun, vjp_reads=reads)
    for fun, rules in FUSED:
        def_hints(fun, value_and_jvp=rules)
    for fun, kinds in TWINS:
        prim = get_primitive(fun)
        for argnum, kind in kinds.items():
            prim.vjps[argnum] = twin(kind, prim.vjps[argnum])
        prim.vjp_cache.clear()


def remove() -> None:
    """Take every hint of the table back: the rules as the family modules define them."""
    for prim, (reads, fused, vjps) in _BEFORE.items():
        prim.reads, prim.value_and_jvp, prim.vjps = reads, dict(fused), dict(vjps)
        prim.vjp_cache.clear()
        prim.jvp_cache.clear()
    _BEFORE.clear()


@contextmanager
def removed() -> Iterator[None]:
    """The rules without the hints for the duration (tests compare both)."""
    was_on = bool(_BEFORE)
    remove()
    try:
        yield
    finally:
        if was_on:
            apply()


ENABLED = os.environ.get("TAPEGRAD_SPEED_HINTS", "") != "0"
if ENABLED:
    apply()

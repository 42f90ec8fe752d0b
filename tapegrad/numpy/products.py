"""Products: dot, matmul, tensordot, outer, inner, vdot.

Following autograd, cotangents are propagated with transposes, not conjugate
transposes, so holomorphic compositions keep autograd's convention.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules
from ._wrap import def_linear, shape_of, unbroadcast, wrap


def _normalize_axes(axes: Any, a_ndim: int, b_ndim: int) -> tuple[list, list]:
    if isinstance(axes, (int, _np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, _np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, _np.integer)) else list(b_axes)
    return [a % a_ndim for a in a_axes], [b % b_ndim for b in b_axes]


def tensordot_vjp_a(g: Any, a: Any, b: Any, a_axes: list, b_axes: list) -> Any:
    """Cotangent of ``a`` in ``tensordot(a, b, (a_axes, b_axes))``."""
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    a_free = [i for i in range(a_nd) if i not in a_axes]
    b_free = [i for i in range(b_nd) if i not in b_axes]
    g_b_axes = list(range(len(a_free), len(a_free) + len(b_free)))
    res = tensordot(g, b, (g_b_axes, b_free))
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return transpose(res, _np.argsort(order))


def tensordot_vjp_b(g: Any, a: Any, b: Any, a_axes: list, b_axes: list) -> Any:
    """Cotangent of ``b`` in ``tensordot(a, b, (a_axes, b_axes))``."""
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    a_free = [i for i in range(a_nd) if i not in a_axes]
    b_free = [i for i in range(b_nd) if i not in b_axes]
    res = tensordot(a, g, (a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return transpose(res, _np.argsort(order))


tensordot = wrap(_np.tensordot)
def_rules(
    tensordot,
    vjp=(
        lambda g, ans, a, b, axes=2: tensordot_vjp_a(g, a, b, *_normalize_axes(axes, len(shape_of(a)), len(shape_of(b)))),
        lambda g, ans, a, b, axes=2: tensordot_vjp_b(g, a, b, *_normalize_axes(axes, len(shape_of(a)), len(shape_of(b)))),
    ),
)
def_linear(tensordot, 0, 1)


def _dot_axes(a: Any, b: Any) -> tuple[list, list]:
    b_nd = len(shape_of(b))
    return [len(shape_of(a)) - 1], [b_nd - 2 if b_nd >= 2 else 0]


def _dot_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if not shape_of(a) or not shape_of(b):
        return unbroadcast(g * b, a)
    return tensordot_vjp_a(g, a, b, *_dot_axes(a, b))


def _dot_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if not shape_of(a) or not shape_of(b):
        return unbroadcast(g * a, b)
    return tensordot_vjp_b(g, a, b, *_dot_axes(a, b))


dot = wrap(_np.dot)
def_rules(dot, vjp=(_dot_vjp_a, _dot_vjp_b))
def_linear(dot, 0, 1)


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 1 and b_nd == 1:
        return g * b
    if a_nd == 1:
        return unbroadcast(matmul(expand_dims(g, -2), swapaxes(b, -1, -2))[..., 0, :], a)
    if b_nd == 1:
        return unbroadcast(expand_dims(g, -1) * b, a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 1 and b_nd == 1:
        return g * a
    if a_nd == 1:
        return unbroadcast(expand_dims(a, -1) * expand_dims(g, -2), b)
    if b_nd == 1:
        return unbroadcast(matmul(swapaxes(a, -1, -2), expand_dims(g, -1))[..., 0], b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


matmul = wrap(_np.matmul)
def_rules(matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b))
def_linear(matmul, 0, 1)

outer = wrap(_np.outer)
def_rules(
    outer,
    vjp=(
        lambda g, ans, a, b: reshape(dot(g, ravel(b)), shape_of(a)),
        lambda g, ans, a, b: reshape(dot(ravel(a), g), shape_of(b)),
    ),
)
def_linear(outer, 0, 1)

from .shape import expand_dims, ravel, reshape, swapaxes, transpose  # noqa: E402

__all__ = ["tensordot", "dot", "matmul", "outer"]

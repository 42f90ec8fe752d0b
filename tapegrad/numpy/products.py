"""Products: dot, matmul, tensordot, outer, inner, vdot, kron, cross, einsum,
convolve, correlate, trace.

Following autograd, cotangents are propagated with transposes, not conjugate
transposes, so holomorphic compositions keep autograd's convention.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules, primitive
from ._einsum import einsum, einsum_args  # noqa: F401 - einsum_args is shared with the linalg modules
from ._wrap import _F8, def_linear, is_complex, shape_of, unbroadcast, wrap, wrap_nondiff
from .composite import composite
from .ufuncs import conjugate, real
from .shaping import moveaxis, stack
from .reductions import sum as _sum


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
    return _real_for(transpose(res, _np.argsort(order)), a)


def tensordot_vjp_b(g: Any, a: Any, b: Any, a_axes: list, b_axes: list) -> Any:
    """Cotangent of ``b`` in ``tensordot(a, b, (a_axes, b_axes))``."""
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    a_free = [i for i in range(a_nd) if i not in a_axes]
    b_free = [i for i in range(b_nd) if i not in b_axes]
    res = tensordot(a, g, (a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return _real_for(transpose(res, _np.argsort(order)), b)


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
    if _float_matrices(g, b) and _ndim(a) == 2:  # dot, unlike matmul, takes scalars
        return g @ b.T
    if _ndim(a) == 1 and _ndim(b) == 2:
        return _real_for(dot(b, g), a)  # x @ B: B g, one matrix-vector product
    if not shape_of(a) or not shape_of(b):
        return unbroadcast(g * b, a)
    return tensordot_vjp_a(g, a, b, *_dot_axes(a, b))


def _dot_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _float_matrices(g, a) and _ndim(b) == 2:
        return a.T @ g
    if _ndim(a) == 2 and _ndim(b) == 1:
        return _real_for(dot(g, a), b)  # A @ x: g A, one vector-matrix product
    if not shape_of(a) or not shape_of(b):
        return unbroadcast(g * a, b)
    return tensordot_vjp_b(g, a, b, *_dot_axes(a, b))


dot = wrap(_np.dot)
def_rules(dot, vjp=(_dot_vjp_a, _dot_vjp_b))
def_linear(dot, 0, 1)



def _real_for(c: Any, x: Any) -> Any:
    """The cotangent ``c`` of ``x``, made real when ``x`` is real (a complex operand made it complex)."""
    if is_complex(c) and not is_complex(x):
        return real(c)
    return c


def _ndim(x: Any) -> int:
    return len(shape_of(x))


def _float_matrices(x: Any, y: Any) -> bool:
    """Both plain (first-order) float64 2-D arrays: the transposed-product fast path applies.

    With ``g`` 2-D, the other operand of a 2-D product is 2-D as well; a float64
    cotangent and operand give a float64 product, as the general path would.
    """
    return (type(x) is _np.ndarray and type(y) is _np.ndarray and x.ndim == 2 and y.ndim == 2
            and x.dtype is _F8 and y.dtype is _F8)


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _float_matrices(g, b):  # the branch of its C twin (fastrules)
        return g.dot(b.T)  # BLAS reads the transpose in place; see _matmul for why .dot
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 1 and b_nd == 1:
        return _real_for(g * b, a)
    if a_nd == 1 and b_nd == 2:
        return _real_for(matmul(b, g), a)  # x @ B: B g, one matrix-vector product
    if a_nd == 1:
        return unbroadcast(matmul(expand_dims(g, -2), swapaxes(b, -1, -2))[..., 0, :], a)
    if b_nd == 1:
        return unbroadcast(expand_dims(g, -1) * b, a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _float_matrices(g, a):
        return a.T.dot(g)
    a_nd, b_nd = len(shape_of(a)), len(shape_of(b))
    if a_nd == 1 and b_nd == 1:
        return _real_for(g * a, b)
    if a_nd == 1:
        return unbroadcast(expand_dims(a, -1) * expand_dims(g, -2), b)
    if b_nd == 1:
        if a_nd == 2:
            return unbroadcast(matmul(g, a), b)  # g @ A is A^T g, in one product
        return unbroadcast(matmul(swapaxes(a, -1, -2), expand_dims(g, -1))[..., 0], b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


def _matmul(a: Any, b: Any, /, **kwargs: Any) -> Any:
    # On two C-contiguous float64 matrices ndarray.dot makes the same BLAS call
    # as numpy.matmul, so the same bits (tests/rules/test_products.py), at half
    # the call overhead: matmul is a generalized ufunc, and its dispatch costs
    # more than an 8x32 product. Other layouts can differ (NumPy 1.26's matmul
    # runs its own loop on operands BLAS cannot take as they are, where dot
    # copies them): numpy.matmul itself. (_float_matrices, inlined: every forward product comes here.)
    if (type(a) is _np.ndarray and type(b) is _np.ndarray and not kwargs and a.ndim == 2 and b.ndim == 2
            and a.dtype is _F8 and b.dtype is _F8 and a.flags.c_contiguous and b.flags.c_contiguous):
        return a.dot(b)
    return _np.matmul(a, b, **kwargs)


matmul = wrap(_np.matmul, compute=_matmul)
def_rules(matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b))
def_linear(matmul, 0, 1)

outer = wrap(_np.outer)
def_rules(
    outer,
    vjp=(
        lambda g, ans, a, b: _real_for(reshape(dot(g, ravel(b)), shape_of(a)), a),
        lambda g, ans, a, b: _real_for(reshape(dot(ravel(a), g), shape_of(b)), b),
    ),
)
def_linear(outer, 0, 1)



@composite(_np.inner)
def inner(a: Any, b: Any) -> Any:
    """``numpy.inner``: the sum over the last axes of both arguments."""
    if not shape_of(a) or not shape_of(b):
        return a * b
    return tensordot(a, b, ([-1], [-1]))


@composite(_np.vdot)
def vdot(a: Any, b: Any) -> Any:
    """``numpy.vdot``: flattened dot product, conjugating the first argument."""

    a = ravel(a)
    return dot(conjugate(a) if is_complex(a) else a, ravel(b))


@composite(_np.kron)
def kron(a: Any, b: Any) -> Any:
    """``numpy.kron``: interleave the axes of a broadcast product, then merge them."""
    a_s, b_s = shape_of(a), shape_of(b)
    nd = max(len(a_s), len(b_s))
    a_s = (1,) * (nd - len(a_s)) + a_s
    b_s = (1,) * (nd - len(b_s)) + b_s
    a_i = reshape(a, tuple(x for n in a_s for x in (n, 1)))
    b_i = reshape(b, tuple(x for n in b_s for x in (1, n)))
    return reshape(a_i * b_i, tuple(m * n for m, n in zip(a_s, b_s)))


@composite(_np.cross)
def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """``numpy.cross`` of 2- or 3-vectors along the given axes."""

    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    else:
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


# Full 1-D convolution (no conjugation); the public modes are slices of it.
conv_full = primitive(lambda a, v: _np.convolve(a, v, "full"), "convolve_full")
_REV = slice(None, None, -1)
def_rules(
    conv_full,
    vjp=(
        lambda g, ans, a, v: unbroadcast(conv_full(g, v[_REV])[len(v) - 1:len(v) - 1 + len(a)], a),
        lambda g, ans, a, v: unbroadcast(conv_full(g, a[_REV])[len(a) - 1:len(a) - 1 + len(v)], v),
    ),
)
def_linear(conv_full, 0, 1)


def _conv_mode(full: Any, n: int, m: int, mode: str) -> Any:
    if mode == "full":
        return full
    lo, hi = min(n, m), max(n, m)
    if mode == "same":
        start = (lo - 1) // 2
        return full[start:start + hi]
    if mode == "valid":
        return full[lo - 1:hi]
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def _as_1d(a: Any) -> Any:
    s = shape_of(a)
    if len(s) > 1:
        raise ValueError("object too deep for desired array")
    return reshape(a, (1,)) if not s else a


@composite(_np.convolve)
def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """``numpy.convolve`` in every mode."""
    a, v = _as_1d(a), _as_1d(v)
    return _conv_mode(conv_full(a, v), len(a), len(v), mode)


@composite(_np.correlate)
def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """``numpy.correlate`` in every mode (the second argument is conjugated, as in NumPy)."""

    a, v = _as_1d(a), _as_1d(v)
    if is_complex(v):
        v = conjugate(v)
    return _conv_mode(conv_full(a, v[_REV]), len(a), len(v), mode)


def _trace_vjp(g: Any, ans: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, **kw: Any) -> Any:
    x_shape = shape_of(x)
    nd = len(x_shape)
    a1, a2 = axis1 % nd, axis2 % nd
    mask = _np.eye(x_shape[a1], x_shape[a2], k=offset)
    spread = expand_dims(expand_dims(g, -1), -1) * mask
    return moveaxis(spread, (-2, -1), (a1, a2))


trace = wrap(_np.trace)
def_rules(trace, vjp=_trace_vjp)
def_linear(trace, 0)


def _conj(x: Any) -> Any:
    return conjugate(x) if is_complex(x) else x


_EXTRA = []
if hasattr(_np, "vecdot"):
    @composite(_np.vecdot)
    def vecdot(x1: Any, x2: Any, /, *, axis: int = -1, **kwargs: Any) -> Any:
        """``numpy.vecdot``: sum of ``conj(x1) * x2`` along ``axis``."""

        return _sum(_conj(x1) * x2, axis=axis)

    _EXTRA.append("vecdot")

if hasattr(_np, "matvec"):
    @composite(_np.matvec)
    def matvec(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        """``numpy.matvec``: matrix-vector products over stacks."""
        return matmul(x1, expand_dims(x2, -1))[..., 0]

    @composite(_np.vecmat)
    def vecmat(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        """``numpy.vecmat``: vector-matrix products over stacks, conjugating the vector."""
        return matmul(expand_dims(_conj(x1), -2), x2)[..., 0, :]

    _EXTRA += ["matvec", "vecmat"]

einsum_path = wrap_nondiff(_np.einsum_path)

from .shaping import expand_dims, ravel, reshape, swapaxes, transpose  # noqa: E402

__all__ = [
    "tensordot", "dot", "matmul", "outer", "inner", "vdot", "kron", "cross", "einsum",
    "convolve", "correlate", "trace", "einsum_path",
] + _EXTRA

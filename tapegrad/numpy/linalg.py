"""``tapegrad.numpy.linalg``: ``numpy.linalg`` with derivatives.

Primitives with VJP and JVP rules live in ``_linalg_basic`` (inv, solve, det,
slogdet, pinv) and ``_linalg_decomp`` (cholesky, eigh, eigvalsh, eig, eigvals,
svd, svdvals, qr; read its docstring for Hermitian inputs and repeated
eigenvalues). This module adds the functions built from them. NumPy names not
covered here are still available: plain values pass, traced values get a clear
error.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, def_rules, getval, primitive
from ._linalg_basic import H, T, conj, det, inv, pinv as _pinv, slogdet, solve
from ._linalg_decomp import _svdvals, cholesky, eig, eigh, eigvals, eigvalsh, qr, read_triangle, svd, svdvals_np
from ._wrap import is_complex, shape_of, wrap_nondiff
from .composite import composite
from .products import matmul as _matmul
from .shaping import moveaxis, reshape, swapaxes
from . import missing as _missing
from . import indexing as _indexing
from . import ufuncs as _ufuncs
from . import creation as _creation
from . import reductions as _reductions
from . import products as _products

if svdvals_np is not None:
    from ._linalg_decomp import svdvals  # noqa: F401 - public where NumPy has it

LinAlgError = _np.linalg.LinAlgError  # numpy.linalg's own exception, raised by the same calls


def _dot(a: Any, b: Any) -> Any:
    """Matrix products over the last two axes, broadcast over the leading ones (both at least 2-D).

    autograd's private ``numpy.linalg._dot``, which its tests and some client code call.
    """

    return _products.einsum("...ij,...jk->...ik", a, b)


def _packed(x: Any) -> Any:
    """A list or tuple holding traced values (or a traced tuple), as one traced array; ``x`` otherwise."""
    if type(x) in (list, tuple) or (isinstance(x, Box) and isinstance(getval(x), (list, tuple))):
        return _creation.array(x)
    return x


# ----- products and solvers built from the primitives ---------------------------


@composite(_np.linalg.pinv, "linalg.pinv")
def pinv(a: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.linalg.pinv``; with ``hermitian=True`` NumPy reads the lower triangle only (through
    ``eigh``), and so do the derivatives."""
    hermitian = kwargs.get("hermitian", args[1] if len(args) > 1 else False)
    return _pinv(read_triangle(a, lower=True) if hermitian else a, *args, **kwargs)


@composite(_np.linalg.matrix_power, "linalg.matrix_power")
def matrix_power(a: Any, n: int) -> Any:
    """``numpy.linalg.matrix_power`` by repeated squaring (``inv`` first for n < 0)."""
    n = int(n)
    if n == 0:
        return _np.broadcast_to(_np.eye(shape_of(a)[-1], dtype=getval(a).dtype), shape_of(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    power = a
    while n:
        if n & 1:
            result = power if result is None else _matmul(result, power)
        n >>= 1
        if n:
            power = _matmul(power, power)
    return result


@composite(_np.linalg.multi_dot, "linalg.multi_dot")
def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """``numpy.linalg.multi_dot``: products taken left to right."""

    if out is not None:
        raise ValueError("numpy.linalg.multi_dot: out= cannot hold a traced result; use the return value")
    arrays = list(arrays)
    result = arrays[0]
    for x in arrays[1:]:
        result = _products.dot(result, x)
    return result


@composite(_np.linalg.tensorsolve, "linalg.tensorsolve")
def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """``numpy.linalg.tensorsolve``: a reshaped :func:`solve`."""
    an = len(shape_of(a))
    if axes is not None:
        order = [k for k in range(an) if k not in [x % an for x in axes]] + [x % an for x in axes]
        a = a.transpose(order) if hasattr(a, "transpose") else _np.transpose(a, order)
    old = shape_of(a)[len(shape_of(b)):]
    size = int(_np.prod(old))
    x = solve(reshape(a, (size, size)), reshape(b, (size,)))
    return reshape(x, old)


@composite(_np.linalg.tensorinv, "linalg.tensorinv")
def tensorinv(a: Any, ind: int = 2) -> Any:
    """``numpy.linalg.tensorinv``: a reshaped :func:`inv`."""
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    old = shape_of(a)
    rows = int(_np.prod(old[ind:]))
    return reshape(inv(reshape(a, (rows, -1))), old[ind:] + old[:ind])


@composite(_np.linalg.lstsq, "linalg.lstsq")
def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """``numpy.linalg.lstsq``; derivatives of x, residuals and s where ``a`` has full rank."""

    m, n = shape_of(a)[-2:]
    _, res, rank, _ = _np.linalg.lstsq(getval(a), getval(b), rcond=rcond)
    cutoff = {} if rcond is None else {"rcond": rcond}
    x = _matmul(pinv(a, **cutoff), b)
    if _np.size(res):
        r = b - _matmul(a, x)
        resid = _reductions.sum(_ufuncs.real(r * conj(r)) if is_complex(r) else r * r, axis=0)
        res = reshape(resid, (1,)) if len(shape_of(b)) == 1 else resid
    return x, res, rank, _svdvals(a)


# ----- norms ---------------------------------------------------------------------


def _l2_value(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    sq = (x.real * x.real + x.imag * x.imag) if _np.iscomplexobj(x) else x * x
    return _np.sqrt(_np.sum(sq, axis=axis, keepdims=keepdims))


def _nonzero(ans: Any) -> Any:
    """``ans`` with zeros replaced by 1: the derivative of a zero norm is taken as 0, not NaN."""

    if not shape_of(ans) and not isinstance(ans, Box):  # the common scalar case, without where
        return ans if ans > 0 else 1.0
    return _indexing.where(getval(ans) > 0, ans, 1.0)


def _l2_vjp(g: Any, ans: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    scale = g / _nonzero(ans)
    if axis is not None or keepdims:
        scale = _reductions.expand_reduced(scale, shape_of(x), axis, keepdims)
    return conj(x) * scale


def _l2_jvp(x_dot: Any, ans: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    prod = _ufuncs.real(conj(x) * x_dot) if is_complex(x) or is_complex(x_dot) else x * x_dot
    return _reductions.sum(prod, axis=axis, keepdims=keepdims) / _nonzero(ans)


# The Euclidean / Frobenius norm, the common case, as one primitive.
_l2 = primitive(_l2_value, "linalg.norm2")
def_rules(_l2, vjp=_l2_vjp, jvp=_l2_jvp)


def _safe_root(s: Any, p: float) -> Any:
    pos = getval(s) > 0
    return _indexing.where(pos, _indexing.where(pos, s, 1.0) ** (1.0 / p), 0.0)


def _vector_norm(x: Any, ord: Any, axis: tuple, keepdims: bool) -> Any:
    if ord is None or ord == 2:
        return _l2(x, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == _np.inf:
        return _reductions.max(_ufuncs.absolute(x), axis=axis, keepdims=keepdims)
    if ord == -_np.inf:
        return _reductions.min(_ufuncs.absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # a count: no derivative
        xv = getval(x)
        return _np.sum(xv != 0, axis=axis, keepdims=keepdims).astype(xv.real.dtype)
    if ord == 1:
        return _reductions.sum(_ufuncs.absolute(x), axis=axis, keepdims=keepdims)
    return _safe_root(_reductions.sum(_ufuncs.absolute(x) ** ord, axis=axis, keepdims=keepdims), ord)


def _matrix_norm(x: Any, ord: Any, row: int, col: int) -> Any:
    if ord in (None, "fro", "f"):
        return _l2(x, axis=(row, col))
    if ord in (2, -2, "nuc"):
        s = _svdvals(moveaxis(x, (row, col), (-2, -1)))
        return {2: _reductions.max, -2: _reductions.min, "nuc": _reductions.sum}[ord](s, axis=-1)
    if ord in (1, -1):
        reduce = _reductions.max if ord == 1 else _reductions.min
        return reduce(_reductions.sum(_ufuncs.absolute(x), axis=row), axis=col - 1 if col > row else col)
    if ord in (_np.inf, -_np.inf):
        reduce = _reductions.max if ord == _np.inf else _reductions.min
        return reduce(_reductions.sum(_ufuncs.absolute(x), axis=col), axis=row - 1 if row > col else row)
    raise ValueError("Invalid norm order for matrices.")


@composite(_np.linalg.norm, "linalg.norm")
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """``numpy.linalg.norm`` for every vector and matrix order.

    The gradient at a zero vector (or zero matrix, Frobenius and entrywise orders)
    is 0 rather than NaN. Vector orders below 1 are not differentiable at zero
    entries (nor is the function); the spectral orders 2, -2, 'nuc' rest on the
    singular values and give a subgradient where they coincide."""
    x = _packed(x)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            return _l2(x, keepdims=keepdims)
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        axis = (int(axis),)
    axis = tuple(a % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        if axis[0] == axis[1]:
            raise ValueError("Duplicate axes given.")
        out = _matrix_norm(x, ord, axis[0], axis[1])
        if keepdims:
            kept = tuple(1 if i in axis else n for i, n in enumerate(shape_of(x)))
            out = reshape(out, kept)
        return out
    raise ValueError("Improper number of dimensions to norm.")


_vector_norm_np = getattr(_np.linalg, "vector_norm", None)
_matrix_norm_np = getattr(_np.linalg, "matrix_norm", None)
_EXTRA: list = []

if _vector_norm_np is not None:
    @composite(_vector_norm_np, "linalg.vector_norm")
    def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
        """``numpy.linalg.vector_norm`` (the whole array as one vector when ``axis`` is None)."""
        x = _packed(x)
        if axis is None:
            out = norm(reshape(x, (-1,)), ord=ord)
            return reshape(out, (1,) * len(shape_of(x))) if keepdims else out
        if isinstance(axis, tuple) and len(axis) > 1:
            nd = len(shape_of(x))
            axes = tuple(a % nd for a in axis)
            rest = tuple(i for i in range(nd) if i not in axes)
            y = moveaxis(x, axes, tuple(range(nd - len(axes), nd)))
            y = reshape(y, tuple(shape_of(x)[i] for i in rest) + (-1,))
            out = norm(y, ord=ord, axis=-1)
            if keepdims:
                out = reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape_of(x))))
            return out
        return norm(x, ord=ord, axis=axis, keepdims=keepdims)

    _EXTRA.append("vector_norm")

if _matrix_norm_np is not None:
    @composite(_matrix_norm_np, "linalg.matrix_norm")
    def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
        """``numpy.linalg.matrix_norm`` over the last two axes."""
        x = _packed(x)
        return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)

    _EXTRA.append("matrix_norm")


# ----- NumPy 2 array-API aliases -------------------------------------------------


def _alias(name: str, fun: Any) -> None:
    np_fun = getattr(_np.linalg, name, None)
    if np_fun is not None:
        globals()[name] = composite(np_fun, f"linalg.{name}")(fun)
        _EXTRA.append(name)


def _la_matmul(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.matmul``."""
    return _matmul(x1, x2)


def _la_outer(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.outer`` of two vectors."""

    return _products.outer(x1, x2)


def _la_tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    """``numpy.linalg.tensordot``."""

    return _products.tensordot(x1, x2, axes)


def _la_cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.cross`` of 3-vectors."""

    return _products.cross(x1, x2, axis=axis)


def _la_trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """``numpy.linalg.trace`` over the last two axes."""

    return _products.trace(x, offset, -2, -1)


def _la_diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """``numpy.linalg.diagonal`` of the last two axes."""
    m, n = shape_of(x)[-2:]
    i = _np.arange(max(0, -offset), min(m, n - offset))
    return x[..., i, i + offset]


def _la_vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.vecdot``: sum of conj(x1) * x2 along ``axis``."""

    return _reductions.sum(conj(x1) * x2, axis=axis)


def _la_matrix_transpose(x: Any, /) -> Any:
    """``numpy.linalg.matrix_transpose``."""
    return swapaxes(x, -1, -2)


for _name, _fun in (
    ("matmul", _la_matmul), ("outer", _la_outer), ("tensordot", _la_tensordot), ("cross", _la_cross),
    ("trace", _la_trace), ("diagonal", _la_diagonal), ("vecdot", _la_vecdot),
    ("matrix_transpose", _la_matrix_transpose),
):
    _alias(_name, _fun)

matrix_rank = wrap_nondiff(_np.linalg.matrix_rank, "linalg.matrix_rank")


@composite(_np.linalg.cond, "linalg.cond")
def cond(x: Any, p: Any = None) -> Any:
    """``numpy.linalg.cond``: ratio of extreme singular values, or norm(x) * norm(inv(x))."""

    if p is None or p == 2 or p == -2:
        s = _svdvals(x)
        r = _reductions.max(s, axis=-1) / _reductions.min(s, axis=-1)
        return r if p != -2 else 1.0 / r
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


__all__ = [
    "inv", "solve", "det", "slogdet", "pinv", "cholesky", "eigh", "eigvalsh", "eig", "eigvals",
    "svd", "qr", "lstsq", "matrix_power", "tensorsolve", "tensorinv", "multi_dot", "norm", "cond",
    "matrix_rank",
] + _EXTRA + (["svdvals"] if svdvals_np is not None else [])
_ = (H, T)


def __getattr__(name: str) -> Any:
    obj = getattr(_np.linalg, name)
    return _missing.lookup(obj, f"numpy.linalg.{name}") if _missing.is_function(obj) else obj

"""The primitives of views and writes, with their rules: NumPy's assignment, traced.

``write_into(root, spec, idx, value)`` is NumPy's own ``target[idx] = value`` on
a copy of the root's memory (``write_in_place`` on the memory itself, where
:mod:`tapegrad.numpy.memory` has found that nothing else sees it), and
``view_of(root, spec)`` NumPy's view. Their rules are written with the logical
operations ``gather``, ``scatter`` and ``erase`` on C-order positions in the
root, so that tangents and cotangents need no particular memory layout.
"""

from __future__ import annotations

import sys
from _thread import _local as thread_local  # threading.local, without importing threading (core/state.py)
from typing import Any, Optional

import numpy as _np

from ..core import def_rules, getval, make_jvp, make_vjp, primitive
from ._wrap import ops, shape_of, unbroadcast
from .layout import Spec, all_positions, clone, is_basic, is_element, window


def _view_of(root: _np.ndarray, spec: Spec) -> _np.ndarray:
    return window(root, spec)


def _write_into(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any) -> _np.ndarray:
    if isinstance(root, _np.generic):  # vmap's loop takes an example of 0-d arrays as a scalar: its array
        root = _np.array(root)
    new = clone(root)
    target = new if spec is None else window(new, spec)
    if type(value) is _np.ndarray and _np.may_share_memory(value, root):
        value = window(new, Spec(value, root))  # the value read from the same memory, as in NumPy
    target[idx] = value  # NumPy's assignment: its casting, broadcasting and errors
    return new


def _write_in_place(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any) -> _np.ndarray:
    if isinstance(root, _np.generic):  # (as in _write_into)
        root = _np.array(root)
    target = root if spec is None else window(root, spec)
    target[idx] = value
    return root


view_of = primitive(_view_of, "view")


write_into = primitive(_write_into, "assignment")


write_in_place = primitive(_write_in_place, "assignment")


def _project(a: Any, component: Optional[str]) -> Any:
    if component == "real":
        return _np.real(a)
    if component == "imag":
        return _np.imag(a)
    return a


def _gather(a: Any, positions: _np.ndarray, component: Optional[str]) -> Any:
    """``a``'s elements at C-order ``positions`` (their real or imaginary part with ``component``)."""
    return _project(_np.reshape(a, -1)[positions], component)


def _lift(t: Any, component: Optional[str]) -> Any:
    # The transpose of _project in autograd's convention: imag's VJP is -1j * g.
    return -1j * t if component == "imag" else t


def _scatter(t: Any, positions: _np.ndarray, component: Optional[str], shape: tuple, dtype: Any, unique: bool) -> Any:
    """Zeros of ``shape`` with ``t`` added at ``positions`` (the transpose of ``_gather``)."""
    t = _lift(t, component)
    dtype = _np.dtype(dtype)
    if dtype.kind != "c" and _np.iscomplexobj(t):
        dtype = _np.result_type(dtype, _np.complex64)
    out = _np.zeros(int(_np.prod(shape)), dtype)
    if unique:
        out[positions] = t
    else:
        _np.add.at(out, positions, t)
    return out.reshape(shape)


def _erase(g: Any, positions: _np.ndarray, component: Optional[str]) -> Any:
    """``g`` with what is overwritten at ``positions`` set to zero (the part of a write that kills)."""
    out = _np.array(g, copy=True).reshape(-1)
    if component == "real":
        out[positions] = 1j * out[positions].imag
    elif component == "imag":
        out[positions] = out[positions].real
    else:
        out[positions] = 0
    return out.reshape(_np.shape(g))


gather = primitive(_gather, "gather")


scatter = primitive(_scatter, "scatter")


erase = primitive(_erase, "erase")


def_rules(
    gather,
    vjp=lambda g, ans, a, positions, component: scatter(g, positions, component, shape_of(a), dtype_of(a), False),
    jvp=lambda a_dot, ans, a, positions, component: gather(a_dot, positions, component),
)


def_rules(
    scatter,
    vjp=lambda g, ans, t, positions, component, shape, dtype, unique: _real_if(gather(g, positions, component), t),
    jvp=lambda t_dot, ans, t, positions, component, shape, dtype, unique: scatter(t_dot, positions, component, shape, dtype, unique),
)


def_rules(
    erase,
    vjp=lambda g, ans, x, positions, component: erase(g, positions, component),
    jvp=lambda x_dot, ans, x, positions, component: erase(x_dot, positions, component),
)


def _real_if(g: Any, x: Any) -> Any:
    """``g``, real where ``x`` is real (a real argument's cotangent)."""
    if dtype_of(g).kind == "c" and dtype_of(x).kind != "c":
        return ops.real(g)
    return g


def dtype_of(x: Any) -> Any:
    """The dtype of an array, scalar or box (of the plain value under it)."""
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else _np.result_type(v)


def _view_vjp(g: Any, ans: Any, root: Any, spec: Spec) -> Any:
    return scatter(g, spec.positions(), spec.component, shape_of(root), dtype_of(root), not spec.overlaps())


def_rules(
    view_of,
    vjp=(_view_vjp,),
    jvp=(lambda root_dot, ans, root, spec: gather(root_dot, spec.positions(), spec.component),),
)


class _Written:
    """Which root elements a write sets, and from which elements of the broadcast value.

    ``dst``: C-order root positions written; ``src``: the flat positions in the
    value broadcast to the selection's shape (``shape``) that land there. Where
    an index repeats, the last write wins, as in NumPy.
    """

    __slots__ = ("dst", "src", "shape", "component", "sign")

    def __init__(self, spec: Optional[Spec], root: Any, idx: Any) -> None:
        root_shape = shape_of(root)
        if spec is None and is_element(idx, len(root_shape)):  # x[i, j] = v: the hot case
            self.shape = ()
            parts = idx if type(idx) is tuple else (idx,)
            self.dst = _np.array([_np.ravel_multi_index(tuple(i % n for i, n in zip(parts, root_shape)), root_shape)])
            self.src = _ZERO
        else:
            selected = all_positions(spec, root)[idx]
            self.shape = selected.shape
            flat = selected.reshape(-1)
            if is_basic(idx):  # no element selected twice
                self.src = _np.arange(flat.size)
                self.dst = flat
            else:
                self.src = flat.size - 1 - _np.unique(flat[::-1], return_index=True)[1]
                self.dst = flat[self.src]
        self.component = None if spec is None else spec.component
        # writing z.imag sets the imaginary part: the transpose of +1j, not of imag's -1j
        self.sign = -1.0 if self.component == "imag" else 1.0


_ZERO = _np.zeros(1, _np.intp)


_WRITTEN: dict = {}


def _written(spec: Optional[Spec], root: Any, idx: Any) -> _Written:
    """``_Written`` for this write, kept for hashable indices (a loop writes the same places again)."""
    try:
        key = (spec, shape_of(root), idx)
        hash(key)
    except TypeError:
        return _Written(spec, root, idx)
    w = _WRITTEN.get(key)
    if w is None:
        if len(_WRITTEN) > 4096:
            _WRITTEN.clear()
        w = _WRITTEN[key] = _Written(spec, root, idx)
    return w


def _value_cotangent(g: Any, w: _Written, value: Any) -> Any:
    t = gather(g, w.dst, w.component)
    if w.sign != 1.0:
        t = t * w.sign
    if w.shape != () or shape_of(value) != ():
        t = scatter(t, w.src, None, w.shape, dtype_of(t), True)
        extra = len(shape_of(value)) - len(w.shape)
        if extra > 0:  # NumPy lets the value carry extra leading unit axes
            t = as_shape(t, (1,) * extra + w.shape)
        t = unbroadcast(t, value)
    else:
        t = as_shape(t, ())
    return _like(t, value)


def _value_tangent(v_dot: Any, w: _Written, ans: Any) -> Any:
    """The tangent of the written elements, in ``dst`` order, ready for the root's dtype."""
    t = gather(_broadcast_value(v_dot, w.shape), w.src, None)
    if (w.component or dtype_of(ans).kind != "c") and dtype_of(t).kind == "c":
        t = ops.real(t)  # NumPy keeps the real part of a complex value written into real slots
    return t * w.sign if w.sign != 1.0 else t


def _broadcast_value(v: Any, shape: tuple) -> Any:
    extra = len(shape_of(v)) - len(shape)
    if extra > 0:
        v = as_shape(v, shape_of(v)[extra:])
    return v if shape_of(v) == shape else ops.broadcast_to(v, shape)


def as_shape(x: Any, shape: tuple) -> Any:
    """``reshape(x, shape)``, traced (imported late: the shape family sits above this module)."""

    return ops.reshape(x, shape)


def _like(t: Any, value: Any) -> Any:
    """The cotangent ``t`` in the dtype of ``value`` (a float32 buffer's cotangent of a float64 value)."""
    vt, vv = dtype_of(t), dtype_of(value)
    if vt != vv and vv.kind in "fc" and vt.kind in "fc":
        return ops.astype(_real_if(t, value), vv)  # a real value's cotangent is real (autograd's convention)
    return t


def _owned(a: Any, mode: str) -> bool:
    """True if nothing but the sweep holds ``a`` (a cotangent, or a tangent held by one box): change it in place.

    ``mode`` names the call path ("vjp", "jvp"), whose references are counted
    once per process (:func:`_calibrate_owned`).
    """
    if type(a) is not _np.ndarray or a.base is not None or not (a.flags.writeable and a.flags.c_contiguous):
        return False
    if mode == "jvp" and a is not REBOUND.tangent:
        return False  # a tangent of a box that is not the one being rebound: someone may still read it
    count = sys.getrefcount(a)
    if _CALIBRATING:
        _SEEN[mode] = count
        return False
    expected = _OWNED.get(mode)
    if expected is None:
        expected = _calibrate_owned(mode)
    return count == expected


class _Rebound(thread_local):
    """The tangent of the box a write rebinds (forward mode): the only tangent a write may change in place."""

    tangent: Any = None


REBOUND = _Rebound()


_OWNED: dict = {}


_SEEN: dict = {}


_CALIBRATING = False


def _calibrate_owned(mode: str) -> int:
    """The references an array has on the path to :func:`_owned` when only the sweep holds it."""
    global _CALIBRATING

    def program(x: Any) -> Any:
        y = x * 1.0  # its cotangent / tangent is the sweep's own array
        if mode == "sum":
            return y[(0,)] + y * 2.0  # y's cotangent: y * 2's (the sweep's own), then y[0]'s added into it
        y[0] = x[1]
        return y * 2.0

    x = _np.ones(ElementReads.MIN_SIZE)
    _CALIBRATING = True
    try:
        if mode == "jvp":
            make_jvp(program, x)(_np.ones(x.shape))
        else:
            make_vjp(program, x)[0](_np.ones(x.shape))
    finally:
        _CALIBRATING = False
    _OWNED[mode] = _SEEN.get(mode, -1)
    return _OWNED[mode]


def _erased(g: Any, w: _Written, mode: str) -> Any:
    """``erase(g, ...)``, done in ``g`` itself where ``g`` is the sweep's own array."""
    if not _owned(g, mode):
        return erase(g, w.dst, w.component)
    flat = g.reshape(-1)
    if w.component == "real":
        flat[w.dst] = 1j * flat[w.dst].imag
    elif w.component == "imag":
        flat[w.dst] = flat[w.dst].real
    else:
        flat[w.dst] = 0
    return g


def _write_vjp(argnums: tuple, g: Any, ans: Any, vals: tuple, kwargs: dict) -> list:
    root, spec, idx, value = vals
    w = _written(spec, root, idx)
    t = _value_cotangent(g, w, value) if 3 in argnums else None  # read before the root's part erases it
    g_root = _erased(g, w, "vjp") if 0 in argnums else None
    return [g_root if a == 0 else t for a in argnums]


def _write_jvp(argnums: tuple, tangents: tuple, ans: Any, vals: tuple, kwargs: dict) -> Any:
    root, spec, idx, value = vals
    w = _written(spec, root, idx)
    out = value_dot = None
    for a, dot in zip(argnums, tangents):
        if a == 0:
            out = _erased(dot, w, "jvp")
        else:
            value_dot = dot
    if value_dot is None:
        return out
    t = _value_tangent(value_dot, w, ans)
    if type(out) is _np.ndarray and type(t) is _np.ndarray and out.flags.c_contiguous and out.flags.writeable:
        out.reshape(-1)[w.dst] += _lift(t, w.component)  # out is ours: erased in place, or a fresh copy
        return out
    added = scatter(t, w.dst, w.component, shape_of(ans), dtype_of(ans), True)
    return added if out is None else out + added


for _write in (write_into, write_in_place):
    def_rules(_write, vjp_joint=_write_vjp, jvp_joint=_write_jvp)



class ElementReads:
    """The ``kind`` of a ``core.containers.Partial`` of cotangents of single elements of a large array.

    ``x[i, j]`` read in a loop would otherwise give, per read, a cotangent of
    zeros the size of ``x``, added into the sweep's total: here each read adds
    its element into the total in place, when the sweep alone holds the total.
    """

    MIN_SIZE = 256  # smaller arrays: a dense cotangent is as cheap

    @staticmethod
    def dense(partial: Any) -> Any:
        shape, dtype = partial.container
        out = _np.zeros(shape, dtype)
        for idx, g in partial.parts.items():
            out[idx] += g
        return out

    @staticmethod
    def add_into(partial: Any, total: Any) -> Any:
        if not _owned(total, "sum"):
            total = _np.array(total, copy=True)
        for idx, g in partial.parts.items():
            total[idx] += g
        return total

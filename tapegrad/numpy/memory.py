"""NumPy's memory model for traced arrays: views, aliases and writes.

The values under traced arrays are real NumPy arrays laid out exactly as NumPy
lays them out for the same plain program. So whether a function returns a view
or a copy, whether a view is read-only, what a write casts to and which error
it raises are decided by NumPy itself, on the real values.

A traced array that is viewed or written to belongs to a :class:`Block`: the
*root* box, whose value spans the memory, and the boxes that view it (held
weakly). A view's place in its root is a :class:`Spec`, read off the real
arrays' addresses and strides.

The derivative bookkeeping is functional. A write records
``write_into(root, spec, idx, value)``: NumPy's own assignment, done on a copy
of the root's memory with the same layout, so no value kept by a tape ever
changes. The root box is rebound to the result, and every live view is re-read
from it with ``view_of(root, spec)``. The rules of these primitives work on
logical positions (:meth:`Spec.positions`: for each element of a view, its
C-order index in the root), so tangents and cotangents need not share the
values' memory layout.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any, Optional

import numpy as _np

from ..core import CONSTANT, STATE, Box, NonDifferentiableError, def_rules, getval, primitive
from ..core.reverse import release
from ._wrap import shape_of, unbroadcast


# ----- where a view sits in its root -----------------------------------------------


def _address(a: _np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class Spec:
    """A view's layout, relative to the root's first element, and how to find its elements there.

    ``component`` is ``"real"`` or ``"imag"`` for the float views NumPy makes of
    a complex root (``z.real``, ``z.imag``), else None.
    """

    __slots__ = ("offset", "shape", "strides", "dtype", "writeable", "component", "root_shape",
                 "root_strides", "_positions")

    def __init__(self, view: _np.ndarray, root: _np.ndarray) -> None:
        offset = _address(view) - _address(root)
        self.component: Optional[str] = None
        if view.dtype != root.dtype:
            half = root.itemsize // 2
            if root.dtype.kind != "c" or view.dtype != _np.empty(0, root.dtype).real.dtype:
                raise NonDifferentiableError(
                    f"a view of a traced {root.dtype} array as {view.dtype} (ndarray.view with another "
                    "dtype) reinterprets its memory, and has no derivative. Convert with "
                    "x.astype(dtype) instead."
                )
            self.component = "imag" if offset % root.itemsize == half else "real"
        self.offset = offset
        self.shape = view.shape
        self.strides = view.strides
        self.dtype = view.dtype
        self.writeable = bool(view.flags.writeable)
        self.root_shape = root.shape
        self.root_strides = root.strides
        self._positions: Optional[_np.ndarray] = None

    def positions(self) -> _np.ndarray:
        """For each element of the view, the C-order flat index of its element in the root."""
        if self._positions is None:
            self._positions = _positions(self)
        return self._positions

    def overlaps(self) -> bool:
        """True if two elements of the view are one element of the root (``broadcast_to``)."""
        return any(s == 0 and n > 1 for s, n in zip(self.strides, self.shape))


def _positions(spec: Spec) -> _np.ndarray:
    # Byte offsets of the view's elements from the root's first element ...
    d = _np.full(spec.shape, spec.offset, _np.intp)
    for axis, (n, s) in enumerate(zip(spec.shape, spec.strides)):
        d = d + (_np.arange(n, dtype=_np.intp) * s).reshape((n,) + (1,) * (len(spec.shape) - axis - 1))
    return _root_index(d, spec)


def _root_index(d: _np.ndarray, spec: Spec) -> _np.ndarray:
    """The C-order flat root indices at byte offsets ``d`` (a layout made by slicing and transposing)."""
    shape, strides = spec.root_shape, spec.root_strides
    itemsize = _np.dtype(spec.dtype).itemsize * (2 if spec.component else 1)
    if spec.component == "imag":
        d = d - itemsize // 2
    # Negative strides: count those axes from their other end.
    for n, s in zip(shape, strides):
        if s < 0:
            d = d - (n - 1) * s
    index = [None] * len(shape)
    rest = d
    for axis in sorted(range(len(shape)), key=lambda k: -abs(strides[k])):
        n, s = shape[axis], abs(strides[axis])
        if n == 1 or s == 0:
            index[axis] = _np.zeros_like(d)
            continue
        i = rest // s
        rest = rest - i * s
        index[axis] = (n - 1 - i) if strides[axis] < 0 else i
    if rest.size and (rest.any() or any(((i < 0) | (i >= n)).any() for i, n in zip(index, shape))):
        raise AssertionError(f"a view that is not a selection of its root's elements: {spec.shape}, {spec.strides}")
    if not shape:
        return _np.zeros(d.shape, _np.intp)
    return _np.ravel_multi_index(tuple(index), shape) if d.size else _np.zeros(d.shape, _np.intp)


# ----- the plain operations: NumPy's own views and assignment ---------------------------


class _Memory:
    """Hands NumPy a window into an array's memory (``numpy.asarray`` keeps this object as the base)."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, owner: _np.ndarray, interface: dict) -> None:
        self.owner = owner
        self.__array_interface__ = interface


class _Private(_np.ndarray):
    """The bytes under a root once it has been written to: memory that only its block's arrays view.

    Every array viewing it has it as ``.base`` (NumPy points views at the array
    that owns the data), so its reference count says whether anything outside
    the block still sees this memory: see :func:`_in_place`.
    """


def _on(mem: _np.ndarray, offset: int, shape: tuple, strides: tuple, dtype: Any, writeable: bool) -> _np.ndarray:
    out = _np.ndarray(shape, dtype, buffer=mem, offset=offset, strides=strides)
    if not writeable:
        out.flags.writeable = False
    return out


def _window(root: _np.ndarray, spec: Spec, dtype: Any = None) -> _np.ndarray:
    """The view ``spec`` describes, into ``root``'s memory (read as ``dtype``, of the same size, if given)."""
    writeable = spec.writeable and root.flags.writeable
    dtype = spec.dtype if dtype is None else _np.dtype(dtype)
    mem = root.base
    if type(mem) is _Private:
        offset = _address(root) - _address(mem) + spec.offset
        return _on(mem, offset, spec.shape, spec.strides, dtype, writeable)
    out = _np.asarray(_Memory(root, {
        "data": (_address(root) + spec.offset, False), "shape": spec.shape, "strides": spec.strides,
        "typestr": dtype.str, "descr": dtype.descr, "version": 3,
    }))
    if not writeable:
        out.flags.writeable = False
    return out


def _clone(a: _np.ndarray) -> _np.ndarray:
    """A copy of ``a`` in new private memory, with ``a``'s strides and read-only flag."""
    lo = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0) + a.itemsize
    mem = _np.ndarray.__new__(_Private, (max(hi - lo, 1) if a.size else 1,), _np.uint8)
    out = _on(mem, -lo if a.size else 0, a.shape, a.strides, a.dtype, True)
    out[...] = a
    if not a.flags.writeable:
        out.flags.writeable = False
    return out


def _view_of(root: _np.ndarray, spec: Spec) -> _np.ndarray:
    return _window(root, spec)


def _write_into(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any) -> _np.ndarray:
    new = _clone(root)
    target = new if spec is None else _window(new, spec)
    if type(value) is _np.ndarray and _np.may_share_memory(value, root):
        value = _window(new, Spec(value, root))  # the value read from the same memory, as in NumPy
    target[idx] = value  # NumPy's assignment: its casting, broadcasting and errors
    return new


def _write_in_place(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any) -> _np.ndarray:
    target = root if spec is None else _window(root, spec)
    target[idx] = value
    return root


view_of = primitive(_view_of, "view")
write_into = primitive(_write_into, "assignment")
write_in_place = primitive(_write_in_place, "assignment")


# ----- the logical operations the rules are written with ------------------------------


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
    vjp=lambda g, ans, a, positions, component: scatter(g, positions, component, shape_of(a), _dtype(a), False),
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
    if _dtype(g).kind == "c" and _dtype(x).kind != "c":
        from .ufuncs import real

        return real(g)
    return g


def _dtype(x: Any) -> Any:
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else _np.result_type(v)


_ARANGES: dict = {}


def _all_positions(spec: Optional[Spec], root: Any) -> _np.ndarray:
    if spec is not None:
        return spec.positions()
    shape = shape_of(root)
    out = _ARANGES.get(shape)
    if out is None:
        if len(_ARANGES) > 64:
            _ARANGES.clear()
        out = _ARANGES[shape] = _np.arange(int(_np.prod(shape)), dtype=_np.intp).reshape(shape)
        out.flags.writeable = False
    return out


def _view_vjp(g: Any, ans: Any, root: Any, spec: Spec) -> Any:
    return scatter(g, spec.positions(), spec.component, shape_of(root), _dtype(root), not spec.overlaps())


def_rules(
    view_of,
    vjp=(_view_vjp,),
    jvp=(lambda root_dot, ans, root, spec: gather(root_dot, spec.positions(), spec.component),),
    vjp_reads=(),
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
        if spec is None and _is_element(idx, len(root_shape)):  # x[i, j] = v: the hot case
            self.shape = ()
            parts = idx if type(idx) is tuple else (idx,)
            self.dst = _np.array([_np.ravel_multi_index(tuple(i % n for i, n in zip(parts, root_shape)), root_shape)])
            self.src = _ZERO
        else:
            selected = _all_positions(spec, root)[idx]
            self.shape = selected.shape
            flat = selected.reshape(-1)
            if _is_basic(idx):  # no element selected twice
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


def _is_element(idx: Any, ndim: int) -> bool:
    parts = idx if type(idx) is tuple else (idx,)
    return len(parts) == ndim and all(type(p) is int or isinstance(p, _np.integer) for p in parts)


def _is_basic(idx: Any) -> bool:
    """Indices that select no element twice: integers, slices, None, Ellipsis and boolean masks."""
    for p in idx if type(idx) is tuple else (idx,):
        if not (p is None or p is Ellipsis or isinstance(p, (int, slice, _np.integer))
                or (isinstance(p, _np.ndarray) and p.dtype == bool)):
            return False
    return True


def _value_cotangent(g: Any, w: _Written, value: Any) -> Any:
    t = gather(g, w.dst, w.component)
    if w.sign != 1.0:
        t = t * w.sign
    if w.shape != () or shape_of(value) != ():
        t = scatter(t, w.src, None, w.shape, _dtype(t), True)
        extra = len(shape_of(value)) - len(w.shape)
        if extra > 0:  # NumPy lets the value carry extra leading unit axes
            t = _reshape(t, (1,) * extra + w.shape)
        t = unbroadcast(t, value)
    else:
        t = _reshape(t, ())
    return _like(t, value)


def _value_tangent(v_dot: Any, w: _Written, ans: Any) -> Any:
    """The tangent of the written elements, in ``dst`` order, ready for the root's dtype."""
    t = gather(_broadcast_value(v_dot, w.shape), w.src, None)
    if _dtype(ans).kind != "c" and _dtype(t).kind == "c":
        from .ufuncs import real

        t = real(t)  # NumPy keeps the real part of a complex value written into a real array
    return t * w.sign if w.sign != 1.0 else t


def _broadcast_value(v: Any, shape: tuple) -> Any:
    from .shape import broadcast_to

    extra = len(shape_of(v)) - len(shape)
    if extra > 0:
        v = _reshape(v, shape_of(v)[extra:])
    return v if shape_of(v) == shape else broadcast_to(v, shape)


def _reshape(x: Any, shape: tuple) -> Any:
    from .shape import reshape

    return reshape(x, shape)


def _like(t: Any, value: Any) -> Any:
    """The cotangent ``t`` in the dtype of ``value`` (a float32 buffer's cotangent of a float64 value)."""
    vt, vv = _dtype(t), _dtype(value)
    if vt != vv and vv.kind in "fc" and vt.kind in "fc":
        from .creation import astype

        return astype(_real_if(t, value), vv)  # a real value's cotangent is real (autograd's convention)
    return t


def _owned(a: Any, mode: str) -> bool:
    """True if nothing but the sweep holds ``a`` (a cotangent, or a tangent held by one box): change it in place.

    ``mode`` names the call path ("vjp", "jvp"), whose references are counted
    once per process (:func:`_calibrate_owned`).
    """
    if type(a) is not _np.ndarray or a.base is not None or not (a.flags.writeable and a.flags.c_contiguous):
        return False
    if mode == "jvp" and a is not _REBOUND.tangent:
        return False  # a tangent of a box that is not the one being rebound: someone may still read it
    count = sys.getrefcount(a)
    if _CALIBRATING:
        _SEEN[mode] = count
        return False
    expected = _OWNED.get(mode)
    if expected is None:
        expected = _calibrate_owned(mode)
    return count == expected


class _Rebound(threading.local):
    """The tangent of the box a write rebinds (forward mode): the only tangent a write may change in place."""

    tangent: Any = None


_REBOUND = _Rebound()
_OWNED: dict = {}
_SEEN: dict = {}
_CALIBRATING = False


def _calibrate_owned(mode: str) -> int:
    """The references an array has on the path to :func:`_owned` when only the sweep holds it."""
    global _CALIBRATING
    from ..core import make_jvp, make_vjp

    def program(x: Any) -> Any:
        y = x * 1.0  # its cotangent / tangent is the sweep's own array
        y[0] = x[1]
        return y * 2.0

    x = _np.ones(3)
    _CALIBRATING = True
    try:
        if mode == "vjp":
            make_vjp(program, x)[0](_np.ones(3))
        else:
            make_jvp(program, x)(_np.ones(3))
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
    added = scatter(t, w.dst, w.component, shape_of(ans), _dtype(ans), True)
    return added if out is None else out + added


for _write in (write_into, write_in_place):
    # The rules read shapes and dtypes only: the tape may keep nothing else (see _in_place).
    def_rules(_write, vjp_joint=_write_vjp, jvp_joint=_write_jvp, vjp_reads=())


# ----- blocks: which boxes share memory ------------------------------------------------


class Block:
    """A root box and the boxes that view its memory (weakly held).

    ``marks``: how long each open tape was at the last write, so that the next
    one looks only at what was recorded since (see :func:`_in_place`).
    """

    __slots__ = ("root", "views", "marks")

    def __init__(self, root: Box) -> None:
        self.root = root
        self.views: list = []
        self.marks: list = []


def _in_turn(root: Box, spec: Optional[Spec], idx: Any, value: Any) -> Any:
    """The value a write really writes when it reads the memory it writes into.

    NumPy reads the value of ``x[mask] = v`` as it writes, sometimes after a
    copy (when its overlap check asks for one), sometimes element by element,
    so that where ``v`` views ``x`` a later element may read one already
    overwritten. Which, NumPy decides: the same assignment is done on an array
    of positions laid out like ``x``, and what lands where is a gather from
    ``x`` as it was, with no overlap left (the same values, and their
    derivative).
    """
    root_v, v = getval(root), getval(value)
    if type(v) is not _np.ndarray or not _np.may_share_memory(v, root_v):
        return value
    _refuse_parts(spec, Spec(v, root_v))
    landed = _positions_after(root_v, lambda p: _assign(p, spec, idx, _window(p, Spec(v, root_v), p.dtype)))
    written = _all_positions(spec, root)[idx]
    sources = landed.reshape(-1)[written.reshape(-1)]
    return _reshape(gather(root, sources, None), written.shape)


def _refuse_parts(*specs: Optional[Spec]) -> None:
    if any(spec is not None and spec.component for spec in specs):
        raise NonDifferentiableError(
            "an assignment into the real or imaginary part of a traced complex array from a view of the "
            "same array (or the reverse): assign a copy of the value (x.real[idx] = v.copy())."
        )


def write_overlapping(target: Box, values: Any, call: Any) -> bool:
    """A write function (``np.place``, ``np.put``...) whose values view the memory it writes into.

    ``call(target, values)`` is NumPy's function; it is done on arrays of
    positions (see :func:`_in_turn`), and what lands where is written as a
    gather from the array as it was. False (nothing done) where the values
    are not in the target's memory.
    """
    block = _block_of(target)
    root = block.root
    root_v, v = getval(root), getval(values)
    if type(v) is not _np.ndarray or not _np.may_share_memory(v, root_v):
        return False
    spec, read = _spec_of(target, block), Spec(v, root_v)
    _refuse_parts(spec, read)
    landed = _positions_after(root_v, lambda p: call(
        p if spec is None else _window(p, spec, p.dtype), _window(p, read, p.dtype)))
    changed = _np.flatnonzero(landed.reshape(-1) != _np.arange(landed.size))
    if changed.size:
        write(root, _np.unravel_index(changed, landed.shape), gather(root, landed.reshape(-1)[changed], None))
    return True


def _assign(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any) -> None:
    (root if spec is None else _window(root, spec, root.dtype))[idx] = value


def _positions_after(root: _np.ndarray, act: Any) -> _np.ndarray:
    """``act`` done by NumPy on an array of positions with ``root``'s layout: where each element's value came from."""
    kind = root.dtype if root.dtype.kind in "fc" and root.size < 2 ** 24 else {
        1: _np.int8, 2: _np.int16, 4: _np.int32, 8: _np.int64}.get(root.itemsize)  # positions, exactly
    if kind is None:
        raise NonDifferentiableError(
            f"an assignment into a traced {root.dtype} array from a view of the same array: assign a copy "
            "of the value (x[idx] = v.copy())."
        )
    positions = _clone(root).view(kind)  # the same strides, as numbers of the same size
    positions.flags.writeable = True
    positions[...] = _np.arange(root.size).reshape(root.shape)
    act(positions)
    return _np.array(_np.real(positions), dtype=_np.intp)


def _block_of(x: Box) -> Block:
    block = getattr(x, "_block", None)
    if block is None:
        block = x._block = Block(x)
        x._spec = None
    return block


def link(base: Any, out: Any) -> Any:
    """``out``, computed from the box ``base`` by a NumPy function: a view of ``base`` where NumPy made one.

    NumPy's own result decides: if it is ``base``'s value itself, ``base`` is
    returned (``np.asarray(x) is x``); if it shares ``base``'s memory, it joins
    ``base``'s block, so that writes through either are seen by both.
    """
    ov = getval(out)
    if type(ov) is not _np.ndarray:
        return out
    bv = getval(base)
    if ov is bv:
        return base
    if type(bv) is not _np.ndarray or not _np.may_share_memory(ov, bv):
        return out
    from .box import ArrayBox

    block = _block_of(base)
    if not isinstance(out, Box):
        out = ArrayBox(out, CONSTANT, None)
    out._block = block
    out._spec = None  # read off the addresses when first needed (see _spec_of)
    block.views.append(weakref.ref(out))
    return out


def numpy_views(np_fun: Any, a: Box, *args: Any, **kwargs: Any) -> Any:
    """``np_fun(a, ...)`` for a NumPy function whose results are views of ``a``: NumPy's own views.

    Each result is NumPy's array itself, made a view of ``a`` by
    :func:`view_of` (whose derivative follows from where its elements sit in
    ``a``), so layouts and read-only flags are NumPy's.
    """
    plain = np_fun(getval(a), *args, **kwargs)
    if type(plain) in (list, tuple):
        return type(plain)(_one_view(a, r) for r in plain)
    return _one_view(a, plain)


def _one_view(a: Box, r: Any) -> Any:
    value = getval(a)
    if r is value:
        return a
    if type(r) is not _np.ndarray or (r.size and not _np.may_share_memory(r, value)):
        raise AssertionError(f"expected a view of the argument, got {type(r).__name__}")
    return link(a, view_of(a, Spec(r, value)))


class FlatIndexer:
    """``x.flat`` of a traced array: reads copy, as NumPy's do; writes go into ``x``'s memory."""

    __slots__ = ("base",)

    def __init__(self, base: Box) -> None:
        self.base = base

    def _positions(self, idx: Any) -> Any:
        shape = shape_of(self.base)
        return _np.unravel_index(_all_positions(None, self.base).reshape(-1)[idx], shape)

    def __getitem__(self, idx: Any) -> Any:
        from .indexing import getitem

        return getitem(self.base, self._positions(idx))

    def __setitem__(self, idx: Any, value: Any) -> None:
        from .writes import _cycled, write_flat

        positions = _all_positions(None, self.base).reshape(-1)[idx]
        if _np.ndim(positions) == 0:
            write_flat(self.base, positions, value)
        else:  # NumPy repeats a short value along a flat write
            write_flat(self.base, positions.reshape(-1), _cycled(value, positions.size))

    def __iter__(self) -> Any:
        return (self[i] for i in range(int(_np.prod(shape_of(self.base)))))

    def __len__(self) -> int:
        return int(_np.prod(shape_of(self.base)))

    def copy(self) -> Any:
        from .shape import ravel

        return ravel(self.base) * 1


def _spec_of(x: Box, block: Block) -> Optional[Spec]:
    if x is block.root:
        return None
    if x._spec is None:
        x._spec = Spec(getval(x), getval(block.root))
    return x._spec


def write(target: Box, idx: Any, value: Any) -> None:
    """``target[idx] = value`` as NumPy does it, recorded as a derivative of the values written."""
    block = _block_of(target)
    root = block.root
    live = []
    for ref in block.views:  # every view's place, while its value still points into the root
        view = ref()
        if view is not None:
            _spec_of(view, block)
            live.append(view)
    spec = _spec_of(target, block)
    if _dtype(root).kind not in "fc":
        value = getval(value)  # an integer or boolean buffer truncates: no derivative reaches it
    else:
        value = _in_turn(root, spec, idx, value)
    assign = write_in_place if _in_place(block, live, value) else write_into
    block.marks = [(trace, len(trace.tape)) for trace in STATE.tapes]
    _REBOUND.tangent = root._node
    try:
        Box._assign(root, assign(root, spec, idx, value))
    finally:
        _REBOUND.tangent = None
    block.views = [weakref.ref(v) for v in live]
    for view in live:
        Box._assign(view, view_of(root, view._spec))


class _Held:
    __slots__ = ("value",)


def _calibrate() -> tuple[int, int]:
    """What ``sys.getrefcount`` says of an object held by one attribute, and by one local variable."""
    held = _Held()
    held.value = object()
    local = object()
    return sys.getrefcount(held.value), sys.getrefcount(local)


_BY_ATTRIBUTE, _BY_LOCAL = _calibrate()


def _in_place(block: Block, live: list, value: Any) -> bool:
    """True if a write may change the root's memory itself: nothing outside the block still sees it.

    First order only (values are plain arrays), and only memory of the block's
    own (``_Private``). What the open tapes hold of it is let go first (copied
    where a VJP reads it, else kept as a shape): then the reference counts tell
    whether anything else holds it (a closure, a plain view, a caller).
    """
    root_value = block.root._value
    mem = getattr(root_value, "base", None)
    if type(mem) is not _Private or (isinstance(value, Box) and isinstance(value._value, Box)):
        return False
    for view in live:
        if type(view._value) is not _np.ndarray:
            return False

    def owns(v: Any) -> bool:
        return type(v) is _np.ndarray and v.base is mem

    marks = block.marks
    for trace in STATE.tapes:
        start = next((m for t, m in marks if t is trace), 0)
        release(trace, start, owns, _clone)  # a copy in the same layout: some rules read it
    if sys.getrefcount(root_value) != _BY_ATTRIBUTE + 1:  # the root box, and this function
        return False
    if any(sys.getrefcount(view._value) != _BY_ATTRIBUTE for view in live):
        return False
    return sys.getrefcount(mem) == _BY_LOCAL + len(live) + 1  # the arrays that view it, and this function


class _Writeable:
    writeable = True


_WRITEABLE = _Writeable()


def check_cast(ufunc: Any, result: Any, target: Any, *others: Any) -> None:
    """Raise NumPy's error where a ufunc may not write ``result`` into ``target`` (``same_kind`` casting)."""
    rdt, tdt = _dtype(result), _dtype(target)
    if not getattr(getval(target), "flags", _WRITEABLE).writeable:
        out = _np.zeros((), tdt)
        out.flags.writeable = False
        ufunc(*[_np.zeros((), rdt)] * ufunc.nin, out=out)  # NumPy's own error
        raise ValueError("output array is read-only")
    if rdt != tdt and not _np.can_cast(rdt, tdt, "same_kind"):
        # NumPy's own error, from the same operation on 0-d arrays of these dtypes.
        inputs = [_np.zeros((), rdt)] + [_np.zeros((), _dtype(o)) for o in others][: ufunc.nin - 1]
        inputs += [_np.zeros((), rdt)] * (ufunc.nin - len(inputs))
        ufunc(*inputs, out=_np.zeros((), tdt))
        raise TypeError(f"Cannot cast ufunc {ufunc.__name__!r} output from {rdt!r} to {tdt!r} with casting rule 'same_kind'")


def _probe_cast(ufunc: Any, target: Any, other: Any) -> None:
    """NumPy's casting error for ``target op= other``, raised before anything is computed, as NumPy does."""
    tdt, odt = _dtype(target), _dtype(other)
    shape = (1, 1) if ufunc is _np.matmul else ()
    out = _np.zeros(shape, tdt)
    out.flags.writeable = bool(getattr(getval(target), "flags", _WRITEABLE).writeable)
    ufunc(_np.zeros(shape, tdt), _np.zeros(shape, odt), out=out)


def inplace(target: Box, op: Any, ufunc: Any, other: Any) -> Box:
    """``target op= other``: NumPy's in-place operator (the result cast back into ``target``)."""
    _probe_cast(ufunc, target, other)
    result = op(target, other)
    check_cast(ufunc, result, target, other)
    rs, ts = shape_of(result), shape_of(target)
    if rs != ts:
        raise ValueError(f"non-broadcastable output operand with shape {ts} doesn't match the broadcast shape {rs}")
    write(target, Ellipsis, result)
    return target

"""Where the elements of a view sit in memory: the layout side of NumPy's memory model.

Plain NumPy only, no tracing. A :class:`Spec` records a view's place in its
root (byte offset, shape, strides), read off the real arrays' addresses;
:func:`window` makes that view again into a root with the same layout, and
:func:`clone` copies a root into new memory (a :class:`Private` buffer) with
its strides kept. See :mod:`tapegrad.numpy.memory`.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as _np

from ..core import NonDifferentiableError
from ._wrap import shape_of


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


class _Memory:
    """Hands NumPy a window into an array's memory (``numpy.asarray`` keeps this object as the base)."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, owner: _np.ndarray, interface: dict) -> None:
        self.owner = owner
        self.__array_interface__ = interface


class Private(_np.ndarray):
    """The bytes under a root once it has been written to: memory that only its block's arrays view.

    Every array viewing it has it as ``.base`` (NumPy points views at the array
    that owns the data), so its reference count says whether anything outside
    the block still sees this memory: see :func:`_in_place`.
    """


def _on(mem: _np.ndarray, offset: int, shape: tuple, strides: tuple, dtype: Any, writeable: bool) -> _np.ndarray:
    if 0 in shape:
        offset = 0  # an empty view has no elements: any place in the buffer is its place
    out = _np.ndarray(shape, dtype, buffer=mem, offset=offset, strides=strides)
    if not writeable:
        out.flags.writeable = False
    return out


def window(root: _np.ndarray, spec: Spec, dtype: Any = None) -> _np.ndarray:
    """The view ``spec`` describes, into ``root``'s memory (read as ``dtype``, of the same size, if given)."""
    writeable = spec.writeable and root.flags.writeable
    dtype = spec.dtype if dtype is None else _np.dtype(dtype)
    mem = root.base
    if type(mem) is Private:
        offset = _address(root) - _address(mem) + spec.offset
        return _on(mem, offset, spec.shape, spec.strides, dtype, writeable)
    out = _np.asarray(_Memory(root, {
        "data": (_address(root) + spec.offset, False), "shape": spec.shape, "strides": spec.strides,
        "typestr": dtype.str, "descr": dtype.descr, "version": 3,
    }))
    if not writeable:
        out.flags.writeable = False
    return out


def clone(a: _np.ndarray) -> _np.ndarray:
    """A copy of ``a`` in new private memory, with ``a``'s strides and read-only flag."""
    lo = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0) + a.itemsize
    mem = _np.ndarray.__new__(Private, (max(hi - lo, 1) if a.size else 1,), _np.uint8)
    out = _on(mem, -lo if a.size else 0, a.shape, a.strides, a.dtype, True)
    out[...] = a
    if not a.flags.writeable:
        out.flags.writeable = False
    return out


_ARANGES: dict = {}


def all_positions(spec: Optional[Spec], root: Any) -> _np.ndarray:
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


def is_element(idx: Any, ndim: int) -> bool:
    parts = idx if type(idx) is tuple else (idx,)
    return len(parts) == ndim and all(type(p) is int or isinstance(p, _np.integer) for p in parts)


def is_basic(idx: Any) -> bool:
    """Indices that select no element twice: integers, slices, None, Ellipsis and boolean masks."""
    for p in idx if type(idx) is tuple else (idx,):
        if not (p is None or p is Ellipsis or isinstance(p, (int, slice, _np.integer))
                or (isinstance(p, _np.ndarray) and p.dtype == bool)):
            return False
    return True


def assign_at(root: _np.ndarray, spec: Optional[Spec], idx: Any, value: Any, dtype: Any = None) -> None:
    """``root``'s view ``spec`` (read as ``dtype``), assigned ``value`` at ``idx`` by NumPy."""
    (root if spec is None else window(root, spec, dtype))[idx] = value


def positions_after(root: _np.ndarray, act: Any) -> _np.ndarray:
    """``act(codes, dtype)`` done by NumPy on an array of codes laid out like ``root``: where each value came from.

    Element ``i`` of a real root holds ``i``; of a complex root, its real part
    ``2i + 1`` and its imaginary part ``2i + 2`` (so that a 0 is a zero NumPy
    wrote, as into the imaginary part of a real value). ``act`` gets the codes
    and the dtype to read views of them with (None: the views' own). Returns
    the codes after ``act``, C-ordered in ``root``'s shape.
    """
    n = root.size
    if root.dtype.kind == "c" and 2 * n + 2 < 2 ** (24 if root.dtype == _np.complex64 else 53):
        codes = clone(root)
        codes.flags.writeable = True
        ar = _np.arange(n).reshape(root.shape)
        codes.real[...] = 2 * ar + 1
        codes.imag[...] = 2 * ar + 2
        act(codes, None)
        return _np.array(codes)
    kind = root.dtype if root.dtype.kind == "f" and n < 2 ** 24 else {
        1: _np.int8, 2: _np.int16, 4: _np.int32, 8: _np.int64}.get(root.itemsize) if root.dtype.kind != "c" else None
    if kind is None:
        raise NonDifferentiableError(
            f"an assignment into a traced {root.dtype} array of {n} elements from a view of the same array: "
            "assign a copy of the value (x[idx] = v.copy())."
        )
    codes = clone(root).view(kind)  # the same strides, as numbers of the same size
    codes.flags.writeable = True
    codes[...] = _np.arange(n).reshape(root.shape)
    act(codes, codes.dtype)
    return _np.array(codes, dtype=_np.intp)


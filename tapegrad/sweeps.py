"""Whole Jacobians in one batched sweep: a VJP (or JVP) mapped over the rows of the identity.

``jacobian`` and ``hessian`` need the VJP (or JVP) of every basis vector. Run
one at a time, that is one sweep of the tape per output (or input) element;
mapped with :func:`tapegrad.vmap`, it is one sweep whose every operation
handles all the basis vectors at once (a matrix product instead of as many
vector products). Both return ``None`` where the sweep cannot be batched (an
operation whose batching raises), and the operators then loop as before:
the results are the same either way.

A sweep over many rows runs in chunks of rows, so that the batched values of
one chunk (its rows times the larger of the input and output sizes) stay under
:data:`CHUNK_ELEMENTS`: a Jacobian of 5,000 outputs by 5,000 inputs would
otherwise carry every intermediate value 5,000 times at once (200 MB each),
slower than one sweep per row once they leave the caches, and out of memory
where the loop is not.

Rules written for autograd's API by client libraries (``defvjp``, ``defjvp``:
``Primitive.foreign``) are code tapegrad has never run on batched values: a
tape holding one is swept row by row, and a batched pass that raises anything
falls back to the loop, which raises again if the error is real. Tests set
:data:`STRICT` to see the batched pass's own error instead (a wrong batching
rule would otherwise show only as slowness).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as _onp

from .core import make_jvp, vspace
from .core.batching import vmap

STRICT = False
"""True: a batched sweep that raises raises, instead of falling back to the loop (for tests)."""

CHUNK_ELEMENTS = 1 << 20
"""The most rows times elements that one batched chunk of a sweep carries (8 MB of float64 per value)."""


def identity(vs: Any, start: int = 0, stop: Optional[int] = None) -> _onp.ndarray:
    """Rows ``start:stop`` of the standard basis of the space ``vs`` (an array space), stacked:
    shape ``(rows,) + vs.shape``."""
    stop = vs.size if stop is None else stop
    rows = _onp.zeros((stop - start, vs.size), dtype=vs.dtype)
    rows[_onp.arange(stop - start), _onp.arange(start, stop)] = 1
    return rows.reshape((stop - start,) + tuple(vs.shape))


def _chunked(sweep: Callable[[Any], Any], vs: Any, width: int) -> Any:
    """``sweep`` of every basis vector of ``vs``, stacked along a new first axis, in chunks of rows:
    at most :data:`CHUNK_ELEMENTS` rows times the larger of ``width`` (the other side's size) and
    ``vs.size``."""
    step = max(1, CHUNK_ELEMENTS // max(width, vs.size, 1))
    if step >= vs.size:
        return sweep(identity(vs))
    parts = [sweep(identity(vs, i, min(i + step, vs.size))) for i in range(0, vs.size, step)]
    return _joined(parts)


def _joined(parts: list) -> Any:
    """The chunks' results joined along their first axis (each a tuple of arrays where there are several)."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_joined([p[k] for p in parts]) for k in range(len(first)))
    if all(type(p) is _onp.ndarray for p in parts):
        return _onp.concatenate(parts)
    from . import numpy as np  # traced chunks (a sweep inside another derivative): joined traced

    return np.concatenate(parts)


def vjp_rows(vjp: Callable[[Any], Any], out_vs: Any, in_size: int = 0) -> Optional[Any]:
    """``vjp`` of every basis vector of the output space, stacked along a new first axis (or None).

    The rows of the Jacobian, of shape ``(out size,) + x.shape`` each (a tuple
    of them for a tuple of inputs); ``in_size``, the elements of the inputs,
    sizes the chunks.
    """
    if getattr(out_vs, "dtype", None) is None:
        return None
    primitives = getattr(vjp, "primitives", None)
    if primitives is None or any(p.foreign for p in primitives()):
        return None
    try:
        return _chunked(vmap(vjp), out_vs, in_size)
    except Exception:  # noqa: BLE001 - the loop computes the same, or raises the real error
        if STRICT:
            raise
        return None


def jvp_columns(fun: Callable[[Any], Any], x: Any) -> Optional[Any]:
    """The JVP of ``fun`` at ``x`` along every basis vector of ``x``'s space, stacked along a new first axis.

    The columns of the Jacobian, of shape ``(x.size,) + out.shape``, by one
    batched forward pass; None where forward mode or its batching is not
    available for an operation of ``fun``, or for complex inputs or outputs
    (whose forward and reverse conventions differ: the reverse Jacobian is
    tapegrad's).
    """
    in_vs = vspace(x)
    if in_vs.iscomplex or getattr(in_vs, "dtype", None) is None:
        return None
    jvp = make_jvp(fun, x)
    try:
        columns = _chunked(vmap(lambda v: jvp(v)[1]), in_vs, 0)  # (the output's size is not known yet)
    except Exception:  # noqa: BLE001 - the loop computes the same, or raises the real error
        if STRICT:
            raise
        return None
    if vspace(columns).iscomplex:
        return None
    return columns

"""Whole Jacobians in one batched sweep: a VJP (or JVP) mapped over the rows of the identity.

``jacobian`` and ``hessian`` need the VJP (or JVP) of every basis vector. Run
one at a time, that is one sweep of the tape per output (or input) element;
mapped with :func:`tapegrad.vmap`, it is one sweep whose every operation
handles all the basis vectors at once (a matrix product instead of as many
vector products). Both return ``None`` where the sweep cannot be batched (an
operation whose batching raises), and the operators then loop as before:
the results are the same either way.

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


def identity(vs: Any) -> _onp.ndarray:
    """The standard basis of the space ``vs`` (an array space), stacked: shape ``(vs.size,) + vs.shape``."""
    return _onp.eye(vs.size, dtype=vs.dtype).reshape((vs.size,) + tuple(vs.shape))


def vjp_rows(vjp: Callable[[Any], Any], out_vs: Any) -> Optional[Any]:
    """``vjp`` of every basis vector of the output space, stacked along a new first axis (or None).

    The rows of the Jacobian, of shape ``(out size,) + x.shape`` each (a tuple
    of them for a tuple of inputs).
    """
    if getattr(out_vs, "dtype", None) is None:
        return None
    primitives = getattr(vjp, "primitives", None)
    if primitives is None or any(p.foreign for p in primitives()):
        return None
    try:
        return vmap(vjp)(identity(out_vs))
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
        columns = vmap(lambda v: jvp(v)[1])(identity(in_vs))
    except Exception:  # noqa: BLE001 - the loop computes the same, or raises the real error
        if STRICT:
            raise
        return None
    if vspace(columns).iscomplex:
        return None
    return columns

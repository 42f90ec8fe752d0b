"""Whole Jacobians in one batched sweep: a VJP (or JVP) mapped over the rows of the identity.

``jacobian`` and ``hessian`` need the VJP (or JVP) of every basis vector. Run
one at a time, that is one sweep of the tape per output (or input) element;
mapped with :func:`tapegrad.vmap`, it is one sweep whose every operation
handles all the basis vectors at once (a matrix product instead of as many
vector products). Both return ``None`` where the sweep cannot be batched (an
operation whose batching raises), and the operators then loop as before:
the results are the same either way.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as _onp

from .core import NonDifferentiableError, make_jvp, vspace
from .core.batching import BatchError, vmap


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
    try:
        return vmap(vjp)(identity(out_vs))
    except BatchError:
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
    except (BatchError, NonDifferentiableError):
        return None
    if vspace(columns).iscomplex:
        return None
    return columns

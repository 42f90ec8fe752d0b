"""The public extension API, compatible with ``autograd.extend``.

Define a new primitive and its derivatives the way autograd does::

    from tapegrad.extend import primitive, defvjp, defjvp

    @primitive
    def logsumexp(x):
        m = x.max()
        return m + onp.log(onp.sum(onp.exp(x - m)))

    defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))

>>> import numpy as onp
>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> @primitive
... def cube(x):
...     return x ** 3
>>> defvjp(cube, lambda ans, x: lambda g: 3 * g * x ** 2)
>>> defjvp(cube, lambda g, ans, x: 3 * g * x ** 2)
>>> float(grad(cube)(2.0)), float(grad(grad(cube))(2.0))
(12.0, 12.0)
"""

from __future__ import annotations

from .core import (
    Box, JVPNode, SequenceBox, SparseObject, VJPNode, VSpace, def_hints, def_linear, def_rules, defjvp, defjvp_argnum,
    defjvp_argnums, defvjp, defvjp_argnum, defvjp_argnums, notrace_primitive, register_notrace, register_vspace,
    vspace,
)
from .core.box import register_box
from .core.primitive import primitive

__all__ = [
    "primitive", "notrace_primitive", "def_rules", "def_hints", "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp",
    "defjvp_argnum", "defjvp_argnums", "def_linear", "vspace", "VSpace", "Box", "SequenceBox",
    "register_box", "register_vspace", "JVPNode", "VJPNode", "SparseObject", "register_notrace",
]

"""The engine: tracing, the tape, reverse and forward mode, vector spaces.

Nothing here knows about NumPy: array types, their boxes and their spaces are
registered by :mod:`tapegrad.numpy`.

This package is also autograd's ``autograd.core``: its rule tables
(``primitive_vjps``, ``primitive_jvps``), its ways of defining rules
(``defvjp``...), its node classes (``VJPNode``, ``JVPNode``) and its
``backward_pass`` over them. ``primitive`` here is autograd's
``autograd.core.primitive``: the engine's, plus autograd 1.1's deprecated
``defvjp``/``defgrad`` methods; ``tapegrad.extend.primitive`` is the plain one.

>>> from tapegrad.core import make_vjp, vspace
>>> vjp, ans = make_vjp(lambda x: x * x, 3.0)
>>> vjp(1.0), vspace(ans).size
(6.0, 1)
"""

from typing import Callable

from .box import CONSTANT, Box, getval, isbox, new_box, register_box
from .containers import DictBox, SequenceBox, add_cotangents, container_take, make_dict, make_sequence
from .errors import InputTypeError, NonDifferentiableError, NotScalarError, TapegradError, TraceLeakError
from .forward import ForwardTrace, make_jvp
from .nodes import (
    JVPNode, Node, NodeTrace, SparseBox, SparseObject, TraceStack, VJPNode, add_outgrads, backward_pass,
    notrace_primitives, register_notrace, sparse_add, sparse_object_types, sum_outgrads, toposort, trace,
    trace_stack,
)
from .primitive import Primitive, def_hints, def_rules, get_primitive, notrace_primitive
from .primitive import primitive as primitive_  # autograd.core's name of the plain one
from .reverse import ReverseTrace, make_vjp
from .rules import (
    def_linear, defjvp, defjvp_argnum, defjvp_argnums, defvjp, defvjp_argnum, defvjp_argnums,
    deprecated_defgrad, deprecated_defvjp, deprecated_defvjp_is_zero, deprecated_defvjp_message, identity_jvp,
    identity_vjp, primitive_jvps, primitive_vjps, primitive_with_deprecation_warnings, subval, subvals,
    translate_jvp, translate_vjp,
)
from .state import SCOPE, STATE, TraceScope, TraceState, tracing
from .vspace import VSpace, register_vspace, vspace

primitive = primitive_with_deprecation_warnings


def func(f: Callable) -> Callable:
    """``f`` itself (autograd's ``autograd.util.func``, also in ``autograd.core``).

    >>> func(len) is len
    True
    """
    return f


__all__ = [
    "CONSTANT", "Box", "getval", "isbox", "new_box", "register_box",
    "DictBox", "SequenceBox", "add_cotangents", "container_take", "make_dict", "make_sequence",
    "InputTypeError", "NonDifferentiableError", "NotScalarError", "TapegradError", "TraceLeakError",
    "ForwardTrace", "make_jvp",
    "Primitive", "def_hints", "def_rules", "get_primitive", "notrace_primitive", "primitive", "primitive_",
    "ReverseTrace", "backward_pass", "make_vjp",
    "SCOPE", "STATE", "TraceScope", "TraceState", "tracing",
    "VSpace", "register_vspace", "vspace",
    "Node", "NodeTrace", "VJPNode", "JVPNode", "TraceStack", "trace_stack", "trace", "toposort",
    "register_notrace", "notrace_primitives", "SparseObject", "SparseBox", "sparse_object_types", "sparse_add",
    "add_outgrads", "sum_outgrads", "func",
    "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp", "defjvp_argnum", "defjvp_argnums", "def_linear",
    "translate_vjp", "translate_jvp", "identity_vjp", "identity_jvp", "primitive_vjps", "primitive_jvps",
    "primitive_with_deprecation_warnings", "deprecated_defvjp", "deprecated_defvjp_is_zero", "deprecated_defgrad",
    "deprecated_defvjp_message", "subval", "subvals",
]

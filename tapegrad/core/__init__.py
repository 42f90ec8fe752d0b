"""The engine: tracing, the tape, reverse and forward mode, vector spaces.

Nothing here knows about NumPy: array types, their boxes and their spaces are
registered by :mod:`tapegrad.numpy`.
"""

from .box import CONSTANT, Box, getval, isbox, new_box, register_box
from .containers import DictBox, SequenceBox, add_cotangents, container_take, make_dict, make_sequence
from .errors import InputTypeError, NonDifferentiableError, NotScalarError, TapegradError, TraceLeakError
from .forward import ForwardTrace, make_jvp
from .primitive import Primitive, def_rules, get_primitive, notrace_primitive, primitive
from .reverse import ReverseTrace, backward_pass, make_vjp
from .state import SCOPE, STATE, TraceScope, TraceState, tracing
from .vspace import VSpace, register_vspace, vspace

__all__ = [
    "CONSTANT", "Box", "getval", "isbox", "new_box", "register_box",
    "DictBox", "SequenceBox", "add_cotangents", "container_take", "make_dict", "make_sequence",
    "InputTypeError", "NonDifferentiableError", "NotScalarError", "TapegradError", "TraceLeakError",
    "ForwardTrace", "make_jvp",
    "Primitive", "def_rules", "get_primitive", "notrace_primitive", "primitive",
    "ReverseTrace", "backward_pass", "make_vjp",
    "SCOPE", "STATE", "TraceScope", "TraceState", "tracing",
    "VSpace", "register_vspace", "vspace",
]

"""autograd's ``autograd.tracer`` names, for code that imports them from there.

>>> from tapegrad.tracer import getval, isbox
>>> isbox(1.0), getval(2.0)
(False, 2.0)
"""

from .core import Box, getval, isbox, notrace_primitive, primitive

__all__ = ["Box", "getval", "isbox", "notrace_primitive", "primitive"]

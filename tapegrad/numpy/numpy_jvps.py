"""autograd's ``autograd.numpy.numpy_jvps`` helpers, for code that writes JVPs with them.

>>> import tapegrad.numpy as np
>>> match_complex(np.zeros(2), np.array([1.0 + 2.0j, 3.0]))
array([1., 3.])
"""

from __future__ import annotations

from ..core import JVPNode, def_linear, defjvp, defjvp_argnum, register_notrace, vspace
from ..core import func  # noqa: F401 - autograd's name
from .box import ArrayBox
from .numpy_vjps import balanced_eq, match_complex, nograd_functions, replace_zero, untake

__all__ = [
    "balanced_eq", "match_complex", "nograd_functions", "replace_zero", "untake", "def_linear", "defjvp",
    "defjvp_argnum", "register_notrace", "vspace", "JVPNode", "ArrayBox", "func",
]

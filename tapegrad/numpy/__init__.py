"""``tapegrad.numpy``: NumPy, with derivatives.

Use it as ``import tapegrad.numpy as np``. Every NumPy name is available, as a
real attribute of this module (as in ``autograd.numpy``, whose names it holds
too): differentiable functions are tapegrad primitives or compositions of
them, functions with integer or boolean results run on plain values, functions
without rules yet refuse traced values with a clear error, and the rest
(constants, dtypes, classes) are NumPy's own. NumPy's submodules that NumPy
itself loads lazily (``numpy.testing``, ``numpy.ma``...) are not here: use them
from ``numpy``.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> float(grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.5]))[0])  # sin(2x)
0.8414709848078965
"""

from __future__ import annotations

import numpy as _np

from ..core import SCOPE as _SCOPE
from ._wrap import lazy_submodule as _lazy_submodule

# The submodules, as numpy.fft and friends: real module objects from the start, whose code runs when one
# of their names is first read, as NumPy loads numpy.fft and numpy.random (the latter costs about 13 ms).
fft = _lazy_submodule(__name__, "fft")
linalg = _lazy_submodule(__name__, "linalg")
random = _lazy_submodule(__name__, "random")

from . import box as _box  # noqa: F401 - registers ArrayBox
from . import vspace as _vspace  # noqa: F401 - registers ArrayVSpace
from .creation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .extras import *  # noqa: F403
from .indexing import getitem, setitem, where  # noqa: F401 - public names
from .nondiff import *  # noqa: F403
from .products import *  # noqa: F403
from .rearrange import *  # noqa: F403
from .reductions import *  # noqa: F403
from .selection import *  # noqa: F403
from .shaping import *  # noqa: F403
from .statistics import *  # noqa: F403
from .ufuncs import *  # noqa: F403
from .writes import *  # noqa: F403
from .views import *  # noqa: F403 - last: the public, view-linking forms win

from .compat import *  # noqa: F403, E402 - autograd.numpy's own names (r_, c_, make_diagonal, where...)

from . import batch_loader  # noqa: E402, F401 - vmap's batched arrays and rules, loaded at its first use
from .missing import is_function as _is_function  # noqa: E402
from .missing import lookup as _lookup  # noqa: E402
from .nondiff import UTILITIES as _UTILITIES  # noqa: E402
from .ufunc_methods import attach as _attach_ufunc_methods  # noqa: E402

# What only derivatives use, loaded as the first one begins: the array cache (arraycache.py) and the
# rules' speed hints (hints.py, with their C twins). Both are modules of this package from the start.
arraycache = _lazy_submodule(__name__, "arraycache")
hints = _lazy_submodule(__name__, "hints")


def _load_for_derivatives() -> None:
    getattr(arraycache, "EXT")  # runs its code: installs the cache around every trace (where built)
    getattr(hints, "ENABLED")  # declares the hints (unless TAPEGRAD_SPEED_HINTS=0)


_SCOPE.load_first(_load_for_derivatives)

__version__ = _np.__version__  # as autograd.numpy's: the version of NumPy underneath


def _fill_namespace(namespace: dict) -> None:
    """Every other public NumPy name, as a real attribute (no module ``__getattr__``: code that
    copies this module's ``vars()`` must find every name there, and nothing that computes them)."""

    for name, obj in list(vars(_np).items()):  # what NumPy has loaded; not its lazy submodules
        if name.startswith("_") or name in namespace:
            continue
        if name in _UTILITIES:
            namespace[name] = _UTILITIES[name]
        else:
            namespace[name] = _lookup(obj) if _is_function(obj) else obj


_fill_namespace(globals())
_attach_ufunc_methods(globals())  # np.add.at, np.add.reduce, ... (ufunc_methods.py)

# autograd's modules of these names: the vector spaces' registrations at once; the helpers that client code
# writes rules with autograd's way at first use, as the submodules above.
numpy_boxes = _lazy_submodule(__name__, "numpy_boxes")
numpy_jvps = _lazy_submodule(__name__, "numpy_jvps")
numpy_vjps = _lazy_submodule(__name__, "numpy_vjps")
numpy_wrapper = _lazy_submodule(__name__, "numpy_wrapper")
from . import numpy_vspaces  # noqa: E402, F401

# The other names of autograd.numpy's namespace (it imports them from its own modules).
from ..core import Box, notrace_primitive  # noqa: E402, F401
from ..core.primitive import primitive  # noqa: E402, F401

custom_where = where  # noqa: F405 - autograd's name of its where

"""``tapegrad.numpy``: NumPy, with derivatives.

Use it as ``import tapegrad.numpy as np``. Every NumPy name is available:
differentiable functions are tapegrad primitives or compositions of them,
functions with integer or boolean results run on plain values, and the rest
(constants, dtypes, classes) are NumPy's own.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> float(grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.5]))[0])  # sin(2x)
0.8414709848078965
"""

from __future__ import annotations

from typing import Any

import numpy as _np

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
from .shape import *  # noqa: F403
from .statistics import *  # noqa: F403
from .ufuncs import *  # noqa: F403
from .writes import *  # noqa: F403
from .views import *  # noqa: F403 - last: the public, view-linking forms win

from . import fft, linalg, random  # noqa: E402, F401 - the submodules, as numpy.fft and friends
from . import arraycache  # noqa: E402, F401 - installs the derivatives' array cache (arraycache.py)


def __getattr__(name: str) -> Any:
    """Any other NumPy name: constants and types as they are, functions guarded."""
    try:
        obj = getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'tapegrad.numpy' has no attribute {name!r}") from None
    from .missing import is_function, lookup
    from .nondiff import UTILITIES

    if name in UTILITIES:
        return UTILITIES[name]
    return lookup(obj) if is_function(obj) else obj

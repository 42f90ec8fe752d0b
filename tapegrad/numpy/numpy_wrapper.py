"""autograd's ``autograd.numpy.numpy_wrapper``: the wrapped NumPy namespace and its helpers.

It holds every name of :mod:`tapegrad.numpy` (the same objects), and
autograd's helpers for wrapping a namespace of functions as primitives.

>>> import tapegrad.numpy as np
>>> from tapegrad.numpy import numpy_wrapper
>>> numpy_wrapper.sin is np.sin
True
>>> ns = {}
>>> wrap_namespace({"hypot": __import__("numpy").hypot, "pi": 3.14}, ns)
>>> sorted(ns), float(ns["hypot"](3.0, 4.0))
(['hypot', 'pi'], 5.0)
"""

from __future__ import annotations

import importlib

from ..core import notrace_primitive  # noqa: F401 - autograd's names
from ..core.primitive import primitive  # noqa: F401
# autograd's helpers for wrapping a namespace (defined with autograd.numpy's other own names in compat.py)
from .compat import notrace_functions, wrap_if_boxes_inside, wrap_intdtype, wrap_namespace  # noqa: F401


def _copy_package_namespace() -> None:
    package = importlib.import_module(__package__)
    namespace = globals()
    for name, obj in vars(package).items():
        if not name.startswith("_") and name not in namespace and name != "numpy_wrapper":
            namespace[name] = obj


_copy_package_namespace()

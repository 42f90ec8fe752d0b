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
from typing import Any

import numpy as _np

from ..core import notrace_primitive
from ..core.primitive import primitive
from .compat import wrap_intdtype
from .shaping import as_array

# The functions autograd never traces (their results carry no derivative).
notrace_functions = [_np.ndim, _np.shape, _np.iscomplexobj, _np.result_type]

_UNCHANGED_TYPES = (float, int, type(None), type)
_INT_TYPES = (_np.int8, _np.int16, _np.int32, _np.int64)


def wrap_namespace(old: dict, new: dict) -> None:
    """Copy the namespace ``old`` into ``new``, functions made primitives (autograd's ``wrap_namespace``).

    Functions become :func:`primitive` (or ``notrace_primitive`` for those in
    ``notrace_functions``), each object once (aliases share the wrapper); the
    integer types see through traced values; numbers, ``None`` and classes are
    copied; anything else is left out.
    """
    wrapped: dict = {}
    for name, obj in old.items():
        key = id(obj)
        if key in wrapped:
            new[name] = wrapped[key]
            continue
        if any(obj is f for f in notrace_functions):
            out: Any = notrace_primitive(obj)
        elif type(obj) is type and obj in _INT_TYPES:
            out = wrap_intdtype(obj)
        elif callable(obj) and type(obj) is not type:
            out = primitive(obj)
        elif isinstance(obj, _UNCHANGED_TYPES) or obj is None:
            new[name] = obj
            continue
        else:
            continue
        wrapped[key] = out
        new[name] = out


def wrap_if_boxes_inside(raw_array: Any, slow_op_name: Any = None) -> Any:
    """``raw_array`` as it is, unless it is an object array of traced values: then one traced array."""
    if isinstance(raw_array, _np.ndarray) and raw_array.dtype == object:
        return as_array(raw_array.tolist())
    return raw_array


def _copy_package_namespace() -> None:
    package = importlib.import_module(__package__)
    namespace = globals()
    for name, obj in vars(package).items():
        if not name.startswith("_") and name not in namespace and name != "numpy_wrapper":
            namespace[name] = obj


_copy_package_namespace()

"""tapegrad: derivatives of ordinary Python and NumPy code.

A drop-in replacement for autograd: ``import tapegrad.numpy as np`` and
``from tapegrad import grad``; every module and name of autograd is here at the
same path. For code that imports autograd itself, ``install_as_autograd()``
makes those imports load tapegrad (docs/migration.md).

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> float(grad(np.tanh)(0.0))
1.0
"""

import os as _os

from . import numpy as _numpy  # noqa: F401 - registers array boxes and vector spaces
from . import builtins, core, extend, tracer, util, wrap_util  # noqa: F401 - autograd's submodules, loaded
from .builtins import dict, isinstance, list, tuple, type  # noqa: A004 - autograd's top-level names
from .core.rules import primitive_with_deprecation_warnings as primitive
from .core.batching import vmap
from .core.errors import InputTypeError, NonDifferentiableError, NotScalarError, TapegradError, TraceLeakError
from .differential_operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacfwd,
    jacobian,
    jacrev,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    stop_gradient,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)

__version__ = "0.1.0"

# Tools loaded on first use (import tapegrad stays as quick as before): name -> module.
_LAZY = {
    "debug_nans": "debug", "NonFiniteError": "debug",
    "install_as_autograd": "alias", "uninstall_autograd_alias": "alias",
    "graph": "graphs", "make_graph": "graphs", "plot_derivatives": "plotting",
}


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tapegrad' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


if _os.environ.get("TAPEGRAD_DEBUG_NANS", "").strip() not in ("", "0"):  # NaN hunting for the whole run
    from .debug import enable_from_environment as _enable_from_environment

    _enable_from_environment()

__all__ = [
    "InputTypeError", "NonDifferentiableError", "NotScalarError", "TapegradError", "TraceLeakError",
    "install_as_autograd", "uninstall_autograd_alias",
    # autograd's other top-level names (a star import shadows the builtins, as autograd's does)
    "dict", "isinstance", "list", "tuple", "type", "primitive",
    "checkpoint", "deriv", "elementwise_grad", "grad", "grad_and_aux", "grad_named", "hessian",
    "hessian_tensor_product", "hessian_vector_product", "holomorphic_grad", "jacobian",
    "make_ggnvp", "make_hvp", "make_jvp", "make_vjp", "multigrad_dict", "stop_gradient",
    "tensor_jacobian_product", "value_and_grad", "vector_jacobian_product",
]

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

from . import numpy as _numpy  # noqa: F401 - registers array boxes and vector spaces
from . import builtins, core, extend, tracer, util, wrap_util  # noqa: F401 - autograd's submodules, loaded
from .alias import install_as_autograd, uninstall_autograd_alias
from .builtins import dict, isinstance, list, tuple, type  # noqa: A004 - autograd's top-level names
from .core.rules import primitive_with_deprecation_warnings as primitive
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
    jacobian,
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

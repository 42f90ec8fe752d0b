"""autograd's ``autograd.numpy.numpy_boxes`` names: the traced array type.

Traced arrays and scalars are instances of ``ArrayBox``, which is registered
for ``numpy.ndarray`` and NumPy's and Python's numeric scalar types.

>>> import numpy
>>> from tapegrad.numpy.numpy_boxes import ArrayBox
>>> from tapegrad import grad
>>> seen = []
>>> g = grad(lambda x: seen.append(isinstance(x, ArrayBox)) or (x * x).sum())(numpy.ones(2))
>>> seen
[True]
"""

from ..core import Box, SequenceBox  # noqa: F401 - autograd's names
from ..core.primitive import primitive  # noqa: F401
from .box import ArrayBox, ScalarBox

# autograd's lists of the ndarray methods that are NumPy functions (ArrayBox has them all)
nondiff_methods = ["all", "any", "argmax", "argmin", "argpartition", "argsort", "nonzero", "searchsorted", "round"]
diff_methods = [
    "clip", "compress", "cumprod", "cumsum", "diagonal", "max", "mean", "min", "prod", "ptp", "ravel", "repeat",
    "reshape", "squeeze", "std", "sum", "swapaxes", "take", "trace", "transpose", "var",
]

__all__ = ["ArrayBox", "ScalarBox", "Box", "SequenceBox", "primitive", "nondiff_methods", "diff_methods"]

"""autograd's ``autograd.numpy.numpy_boxes`` names: the traced array types.

Arrays are traced as ``ArrayBox``; scalars as ``ScalarBox`` (not a sequence,
so that NumPy never mistakes one for a list).

>>> import numpy
>>> from tapegrad.numpy.numpy_boxes import ArrayBox
>>> from tapegrad import grad
>>> seen = []
>>> g = grad(lambda x: seen.append(isinstance(x, ArrayBox)) or (x * x).sum())(numpy.ones(2))
>>> seen
[True]
"""

from .box import ArrayBox, ScalarBox

__all__ = ["ArrayBox", "ScalarBox"]

"""autograd's ``autograd.numpy.numpy_vspaces`` names.

>>> from tapegrad.numpy.numpy_vspaces import ArrayVSpace
>>> ArrayVSpace(__import__("numpy").zeros((2, 3))).size
6
"""

from .vspace import ArrayVSpace

__all__ = ["ArrayVSpace"]

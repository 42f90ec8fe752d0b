"""autograd's ``autograd.numpy.numpy_vspaces`` names: the vector spaces of arrays.

``vspace`` of a real array or number is an ``ArrayVSpace``, of a complex one a
``ComplexArrayVSpace``. Client code registers its own array types with them,
as with autograd: ``VSpace.mappings[MyArray] = lambda x: ComplexArrayVSpace(x)
if numpy.iscomplexobj(x) else ArrayVSpace(x)``.

>>> import numpy
>>> from tapegrad.core import vspace
>>> ArrayVSpace(numpy.zeros((2, 3))).size, type(vspace(numpy.ones(2) * 1j)).__name__
(6, 'ComplexArrayVSpace')
"""

import numpy as _np

from ..core import VSpace  # noqa: F401 - autograd's name
from ..core.containers import NamedTupleVSpace
from .vspace import ArrayVSpace, ComplexArrayVSpace

_linalg = getattr(_np.linalg, "_linalg", None) or _np.linalg.linalg  # where NumPy defines its result types


class EigResultVSpace(NamedTupleVSpace):
    """The space of ``numpy.linalg.eig``'s result."""


class EighResultVSpace(NamedTupleVSpace):
    """The space of ``numpy.linalg.eigh``'s result."""


class QRResultVSpace(NamedTupleVSpace):
    """The space of ``numpy.linalg.qr``'s result."""


class SlogdetResultVSpace(NamedTupleVSpace):
    """The space of ``numpy.linalg.slogdet``'s result."""


class SVDResultVSpace(NamedTupleVSpace):
    """The space of ``numpy.linalg.svd``'s result."""


for _space, _name in ((EigResultVSpace, "EigResult"), (EighResultVSpace, "EighResult"), (QRResultVSpace, "QRResult"),
                      (SlogdetResultVSpace, "SlogdetResult"), (SVDResultVSpace, "SVDResult")):
    if hasattr(_linalg, _name):  # NumPy >= 1.25
        _space.register(getattr(_linalg, _name))

__all__ = [
    "ArrayVSpace", "ComplexArrayVSpace", "NamedTupleVSpace", "VSpace", "EigResultVSpace", "EighResultVSpace",
    "QRResultVSpace", "SlogdetResultVSpace", "SVDResultVSpace",
]

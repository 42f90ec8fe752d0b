"""Helpers built on tapegrad (``autograd.misc``): flattening, optimisers, fixed points.

>>> import tapegrad.numpy as np
>>> from tapegrad.misc import flatten
>>> vector, unflatten = flatten({"w": np.ones((2, 2)), "b": 0.5})
>>> vector
array([0.5, 1. , 1. , 1. , 1. ])
>>> unflatten(vector)["w"].shape
(2, 2)
"""

from .fixed_points import fixed_point
from .flatten import flatten, flatten_func
from .optimizers import adam, momentum, rmsprop, sgd, unflatten_optimizer
from .tracers import const_graph

__all__ = ["flatten", "flatten_func", "fixed_point", "sgd", "momentum", "rmsprop", "adam", "unflatten_optimizer", "const_graph"]

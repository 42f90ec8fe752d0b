"""Batching rules (``vmap``) of the special functions that are not SciPy ufuncs.

The ufuncs among them get the elementwise rule from the array layer; listed
here: the broadcasting functions written in Python (``polygamma``,
``multigammaln``) and ``logsumexp``, a reduction over its broadcast arguments.
"""

from __future__ import annotations

from typing import Any

from ...core import def_rules
from ...numpy.batching import axes_of, elementwise, example_ndim, front
from ._gammas import multigammaln, polygamma
from ._info import _lse

for _fun in (polygamma, multigammaln):
    def_rules(_fun, batch=elementwise(_fun))


def _lse_batch(args: tuple, dims: tuple, axis: Any = None, **kwargs: Any) -> Any:
    (a, b), (da, db) = args, dims
    nd = max(example_ndim(a, da), example_ndim(b, db) if b is not None else 0)
    a = front(a, da, nd) if da is not None else a
    b = front(b, db, nd) if db is not None else b
    return _lse(a, b, axis=axes_of(axis, nd), **kwargs), 0


def_rules(_lse, batch=_lse_batch)

"""vmap's array layer (``batching.py`` and the ``batch_*.py`` rule modules), loaded at its first use.

Importing ``tapegrad.numpy`` does not import those modules: most programs never
call ``vmap``, and they are a tenth of the import's time. Instead, a stand-in
batch space is registered for arrays and numbers, and the first ``vmap`` that
maps over one imports the array layer (which registers the real space, its box
types and every batching rule) and hands the call on. Looking up a
primitive's batching rule (``core.batching.batch_rule``) loads it too, so that
rules are complete whenever they are asked for.

>>> import numpy
>>> from tapegrad import vmap
>>> import tapegrad.numpy as np
>>> vmap(np.sum)(numpy.ones((2, 3)))
array([3., 3.])
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Optional

import numpy as _np

from ..core.batching import PLAIN_RULE_FINDERS, PLAIN_RULES, RULE_FINDERS, register_batch_space, space_of
from ..core.primitive import Primitive

_LOADED = False


def load() -> None:
    """Import vmap's array layer (once): ``tapegrad.numpy.batching`` and its rule modules."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for name in ("batching", "batch_elementwise", "batch_indexing", "batch_linalg", "batch_products",
                     "batch_reductions", "batch_shape"):
            importlib.import_module(f"{__package__}.{name}")


class _Pending:
    """Stands in for the batch space of arrays until the array layer is loaded, then hands each call on."""

    def __getattr__(self, name: str) -> Any:
        load()
        space = space_of(0.0)
        if space is self:
            raise RuntimeError("tapegrad.numpy.batching registered no batch space for arrays")
        return getattr(space, name)


def _find_rule(prim: Primitive) -> Optional[Callable]:
    # First in RULE_FINDERS: the array layer's rules are set on their primitives as it loads.
    load()
    return prim.batch


def _find_plain_rule(fun: Callable) -> Optional[Callable]:
    load()
    return PLAIN_RULES.get(fun)


_PENDING = _Pending()
for _t in (_np.ndarray, _np.generic, float, int, complex, bool):
    register_batch_space(_t, _PENDING)
RULE_FINDERS.insert(0, _find_rule)
PLAIN_RULE_FINDERS.insert(0, _find_plain_rule)

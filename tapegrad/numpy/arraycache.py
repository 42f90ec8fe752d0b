"""The memory of derivatives: a cache of array buffers, reused from call to call.

A gradient of big-array code allocates the same large buffers on every call
(each forward value, each cotangent). Through NumPy's own allocator each one
above glibc's mmap threshold is a fresh mapping whose every page faults on
first use; logistic regression on 20,000 x 200 spends about 8% of its
gradient there. While a derivative runs, tapegrad therefore allocates array
data from a cache (``_arraycache.c``, a NumPy memory handler): a freed block
of 64 kB or more waits on a free list for the next array of its size. Arrays
made outside derivatives keep NumPy's allocator, and every array is freed by
the allocator that made it. A fresh block of 4 MB or more is marked for
transparent huge pages, as NumPy marks its own big arrays (and only where
NumPy does): unmarked, the hundreds of megabytes of a batch of per-example
gradients faulted in 4 kB pages and took three times as long.

The cache holds at most :func:`set_limit` bytes (256 MiB to start with);
:func:`clear` gives them back to the system, and ``TAPEGRAD_ARRAY_CACHE=0``
in the environment (read when the first derivative loads this module) starts
with the cache off (a limit of 0); what it buys:
``python benchmarks/mechanisms.py array_cache``. It is part of
the C accelerators: without a compiler at install time, or with
``TAPEGRAD_PURE_PYTHON=1``, arrays use NumPy's allocator throughout and
:func:`info` says ``enabled: False``.

>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> from tapegrad.numpy import arraycache
>>> f = lambda w: np.sum(np.tanh(np.ones((100, 200)) @ w))
>>> g = grad(f)(np.zeros(200))
>>> hits = arraycache.info()["hits"]
>>> g = grad(f)(np.zeros(200))  # the second call reuses the first one's buffers
>>> info = arraycache.info()
>>> info["hits"] > hits or not info["enabled"]
True
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any, Optional

from ..core import SCOPE
from ..core.fastpath import ENABLED


def _load() -> Optional[ModuleType]:
    if not ENABLED:
        return None
    try:
        from . import _arraycache
    except ImportError:  # not built: NumPy's allocator
        return None
    if os.environ.get("TAPEGRAD_ARRAY_CACHE", "") == "0":
        _arraycache.set_limit(0)
    _arraycache.set_hugepages(_numpy_hugepages())
    SCOPE.set(_arraycache.enter, _arraycache.leave)
    return _arraycache


def _numpy_hugepages() -> bool:
    """Whether NumPy marks its big arrays for transparent huge pages (its default on Linux 4.6 and
    later): fresh blocks of the cache follow the same setting, read once, when the cache loads."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        getter = getattr(module, "_get_madvise_hugepage", None)
        return bool(getter()) if getter is not None else False
    return False


EXT: Optional[ModuleType] = _load()


def info() -> dict[str, Any]:
    """The cache's state: ``enabled``, ``cached_bytes``, ``limit``, ``hits``, ``misses``, ``min_block``.

    ``hits`` and ``misses`` count requests for blocks of at least ``min_block``
    bytes made while derivatives ran.

    >>> from tapegrad.numpy import arraycache
    >>> sorted(arraycache.info())
    ['cached_bytes', 'enabled', 'hits', 'limit', 'min_block', 'misses']
    """
    if EXT is None:
        return {"enabled": False, "cached_bytes": 0, "limit": 0, "hits": 0, "misses": 0, "min_block": 0}
    return {"enabled": True, **EXT.info()}


def set_limit(nbytes: int) -> int:
    """Cache at most ``nbytes`` of freed blocks; returns the previous limit.

    ``set_limit(0)`` turns the cache off: derivatives then allocate with
    NumPy's allocator, as everything else does. Lowering the limit below
    what is cached empties the cache.

    >>> from tapegrad.numpy import arraycache
    >>> old = arraycache.set_limit(64 << 20)
    >>> arraycache.set_limit(old) == (64 << 20 if arraycache.info()["enabled"] else 0)
    True
    """
    if nbytes < 0:
        raise ValueError(f"arraycache.set_limit: the limit is a number of bytes, not {nbytes}")
    return 0 if EXT is None else EXT.set_limit(int(nbytes))


def clear() -> int:
    """Free every cached block; returns how many bytes went back to the system.

    Arrays in use are untouched: the cache holds only blocks already freed.

    >>> from tapegrad.numpy import arraycache
    >>> freed = arraycache.clear()
    >>> arraycache.info()["cached_bytes"]
    0
    """
    return 0 if EXT is None else EXT.clear()


__all__ = ["info", "set_limit", "clear"]

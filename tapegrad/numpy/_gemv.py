"""Matrix-vector products with a matrix too large for the cache.

``A @ x`` and ``g @ A`` read each element of ``A`` once for two flops, so when
``A`` does not fit in the last-level cache their speed is memory bandwidth.
OpenBLAS's ``dgemv`` (which ``numpy.dot`` and ``numpy.matmul`` call) reaches
about half of it on some processors for rows of moderate length: measured on
an AMD EPYC (32 MiB L3) with a 20,000 x 200 matrix not in the cache, 14 GB/s,
where ``numpy.vecdot`` (one dot product per row) streams the same matrix at
31 GB/s and ``einsum("i,ij->j")`` (a scaled row added per row) at 30 GB/s.
In the cache ``dgemv`` is the faster, so these two take over only for a
C-contiguous float64 matrix whose rows are 64 to 1024 numbers long (shorter or
longer rows: ``dgemv`` is as fast or faster) and that is too large to stay in
the last-level cache from one pass over it to the next: from 3/4 of that cache
for ``A @ x`` and from 7/8 for ``g @ A``, where each first wins at every row
length in ``python benchmarks/gemv.py``'s measurements (run it to check them
on another machine).

The results agree with ``dgemv``'s up to rounding (the sums are taken in
another order), and depend only on the shapes, never on timing.
"""

from __future__ import annotations

import glob
import os
from typing import Any

import numpy as _np

from ._wrap import _F8

_MIN_ROW, _MAX_ROW = 64, 1024
_DEFAULT_CACHE = 32 << 20


_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _cache_size(text: str) -> int | None:
    """Bytes in a sysfs cache size ("32768K", "1M", "512"); None if it is not one."""
    text = text.strip()
    if text[-1:] in _UNITS and text[:-1].isdigit():
        return int(text[:-1]) * _UNITS[text[-1]]
    return int(text) if text.isdigit() else None


def last_level_cache_bytes() -> int:
    """The size of the largest CPU cache Linux reports (32 MiB where none is reported)."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(path) as f:
                size = _cache_size(f.read())
        except OSError:
            continue
        if size is not None:
            sizes.append(size)
    return max(sizes, default=_DEFAULT_CACHE)


# The sizes from which A @ x and g @ A stream A. TAPEGRAD_STREAM_MIN_BYTES sets
# both (0: always, on rows of the lengths above; a huge number: never).
_CACHE = last_level_cache_bytes()
_OVERRIDE = os.environ.get("TAPEGRAD_STREAM_MIN_BYTES")
MATVEC_MIN_BYTES = int(_OVERRIDE) if _OVERRIDE else _CACHE * 3 // 4
VECMAT_MIN_BYTES = int(_OVERRIDE) if _OVERRIDE else _CACHE * 7 // 8
_vecdot = getattr(_np, "vecdot", None)  # NumPy >= 2.0


def applies(a: Any, b: Any) -> bool:
    """Whether ``a @ b`` (a matrix times a vector, or a vector times a matrix) is streamed.

    >>> import numpy
    >>> applies(numpy.ones((8, 100)), numpy.ones(100))   # a small matrix: dgemv
    False
    """
    if type(a) is not _np.ndarray or type(b) is not _np.ndarray:
        return False
    if a.ndim == 2 and b.ndim == 1:
        matrix, vector, inner, min_bytes = a, b, 1, MATVEC_MIN_BYTES
    elif a.ndim == 1 and b.ndim == 2:
        matrix, vector, inner, min_bytes = b, a, 0, VECMAT_MIN_BYTES
    else:
        return False
    return (matrix.nbytes >= min_bytes and matrix.dtype is _F8 and vector.dtype is _F8
            and _MIN_ROW <= matrix.shape[1] <= _MAX_ROW and matrix.shape[inner] == vector.shape[0]
            and matrix.flags.c_contiguous)


def product(a: Any, b: Any) -> Any:
    """``a @ b`` by the streaming kernels, for operands where ``applies(a, b)``."""
    if a.ndim == 2:
        return _vecdot(a, b) if _vecdot is not None else _np.einsum("ij,j->i", a, b)
    return _np.einsum("i,ij->j", a, b)


def matvec_pair(a: Any, x: Any, x_dot: Any) -> tuple[Any, Any]:
    """``(a @ x, a @ x_dot)`` in one pass over ``a``, where ``applies(a, x)`` (forward mode)."""
    if _vecdot is None:
        return product(a, x), product(a, x_dot)
    both = _vecdot(a[:, None, :], _np.stack((x, x_dot)))  # row i: a[i] . x, a[i] . x_dot
    return both[:, 0], both[:, 1]


def vecmat_pair(g: Any, g_dot: Any, a: Any) -> tuple[Any, Any]:
    """``(g @ a, g_dot @ a)`` in one pass over ``a``, where ``applies(g, a)`` (forward mode)."""
    both = _np.einsum("ik,ij->kj", _np.stack((g, g_dot), axis=1), a)
    return both[0], both[1]


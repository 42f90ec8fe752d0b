"""``solve_banded`` for :mod:`tapegrad.scipy.linalg`.

The rules move between SciPy's band storage, ``ab[u + i - j, j] = a[i, j]``,
and dense matrices with static gather indices, so they stay differentiable.
They act on the last two axes (vmap's rule solves a stack of systems at once).
"""

from __future__ import annotations

from typing import Any

import numpy as _np
import scipy.linalg as _sl

from ..core import def_rules
from ..numpy import where
from ..numpy._wrap import shape_of, wrap
from ..numpy.products import matmul
from ..numpy.shaping import swapaxes

solve_banded = wrap(_sl.solve_banded, "scipy.linalg.solve_banded")


def _dense(ab: Any, l_and_u: tuple) -> Any:
    """The dense matrix stored in band form."""
    lo, up = l_and_u
    n = shape_of(ab)[-1]
    i, j = _np.indices((n, n))
    r = up + i - j
    valid = (r >= 0) & (r <= lo + up)
    return where(valid, ab[..., _np.clip(r, 0, lo + up), j], 0.0)


def _band(a: Any, l_and_u: tuple) -> Any:
    """The band form of (the bands of) a dense matrix."""
    lo, up = l_and_u
    n = shape_of(a)[-1]
    r, j = _np.indices((lo + up + 1, n))
    i = r - up + j
    valid = (i >= 0) & (i < n)
    return where(valid, a[..., _np.clip(i, 0, n - 1), j], 0.0)


def _transposed(ab: Any, l_and_u: tuple) -> Any:
    """Band storage of the transpose, whose bands are (u, l)."""
    lo, up = l_and_u
    return _band(swapaxes(_dense(ab, l_and_u), -1, -2), (up, lo))


def _col(x: Any) -> Any:
    return x[:, None] if len(shape_of(x)) == 1 else x


def _vjp_ab(g: Any, ans: Any, l_and_u: tuple, ab: Any, b: Any, **kw: Any) -> Any:
    b_bar = solve_banded(l_and_u[::-1], _transposed(ab, l_and_u), g)
    return _band(-matmul(_col(b_bar), swapaxes(_col(ans), -1, -2)), l_and_u)


def _jvp_ab(ab_dot: Any, ans: Any, l_and_u: tuple, ab: Any, b: Any, **kw: Any) -> Any:
    return -solve_banded(l_and_u, ab, matmul(_dense(ab_dot, l_and_u), ans))


def_rules(
    solve_banded,
    vjp={1: _vjp_ab, 2: lambda g, ans, l_and_u, ab, b, **kw: solve_banded(l_and_u[::-1], _transposed(ab, l_and_u), g)},
    jvp={1: _jvp_ab, 2: lambda b_dot, ans, l_and_u, ab, b, **kw: solve_banded(l_and_u, ab, b_dot)},
)

__all__ = ["solve_banded"]

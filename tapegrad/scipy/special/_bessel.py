"""Bessel functions, differentiable in their argument (the order is static).

Derivatives follow the recurrences C'_v = (C_{v-1} -+ C_{v+1}) / 2; the
exponentially scaled ones add the derivative of their scale exp(-|x|).
"""

from __future__ import annotations

import numpy as _np
import scipy.special as _sc

from ...core import getval
from ...numpy import sign
from ...numpy._wrap import def_elementwise, plain_array, wrap
from .._util import refuse


def _order(v):
    return plain_array(v)


j0 = wrap(_sc.j0, "scipy.special.j0")
def_elementwise(j0, lambda ans, x: -j1(x))
j1 = wrap(_sc.j1, "scipy.special.j1")
def_elementwise(j1, lambda ans, x: 0.5 * (j0(x) - jv(2, x)))
jv = wrap(_sc.jv, "scipy.special.jv")
jn = jv  # scipy.special.jn is jv
def_elementwise(jv, None, lambda ans, v, x: 0.5 * (jv(_order(v) - 1, x) - jv(_order(v) + 1, x)),
                refused={0: refuse("scipy.special.jv", "the order", "the order is a static parameter")})

y0 = wrap(_sc.y0, "scipy.special.y0")
def_elementwise(y0, lambda ans, x: -y1(x))
y1 = wrap(_sc.y1, "scipy.special.y1")
def_elementwise(y1, lambda ans, x: 0.5 * (y0(x) - yn(2, x)))
yn = wrap(_sc.yn, "scipy.special.yn")
def_elementwise(yn, None, lambda ans, n, x: 0.5 * (yn(_order(n) - 1, x) - yn(_order(n) + 1, x)))

i0 = wrap(_sc.i0, "scipy.special.i0")
def_elementwise(i0, lambda ans, x: i1(x))
i1 = wrap(_sc.i1, "scipy.special.i1")
def_elementwise(i1, lambda ans, x: 0.5 * (i0(x) + iv(2, x)))
iv = wrap(_sc.iv, "scipy.special.iv")
def_elementwise(iv, None, lambda ans, v, x: 0.5 * (iv(_order(v) - 1, x) + iv(_order(v) + 1, x)),
                refused={0: refuse("scipy.special.iv", "the order", "the order is a static parameter")})

# Scaled by exp(-|x|): subtract sign(x) times the function itself.
i0e = wrap(_sc.i0e, "scipy.special.i0e")
def_elementwise(i0e, lambda ans, x: i1e(x) - sign(x) * ans)
i1e = wrap(_sc.i1e, "scipy.special.i1e")
def_elementwise(i1e, lambda ans, x: 0.5 * (i0e(x) + ive(2, x)) - sign(x) * ans)
ive = wrap(_sc.ive, "scipy.special.ive")
def_elementwise(ive, None, lambda ans, v, x: 0.5 * (ive(_order(v) - 1, x) + ive(_order(v) + 1, x)) - sign(x) * ans,
                refused={0: refuse("scipy.special.ive", "the order", "the order is a static parameter")})

kv = wrap(_sc.kv, "scipy.special.kv")
def_elementwise(kv, None, lambda ans, v, x: -0.5 * (kv(_order(v) - 1, x) + kv(_order(v) + 1, x)),
                refused={0: refuse("scipy.special.kv", "the order", "the order is a static parameter")})

__all__ = ["j0", "j1", "jn", "jv", "y0", "y1", "yn", "i0", "i1", "i0e", "i1e", "iv", "ive", "kv"]

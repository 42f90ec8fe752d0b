"""Elementwise functions (NumPy ufuncs): arithmetic and mathematical functions.

Each primitive is followed by its rules. Binary rules undo broadcasting in
reverse mode and broadcast tangents in forward mode.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as _np

from ..core import def_rules
from ._wrap import UFUNCS, broadcast_tangent, def_elementwise, is_complex, unbroadcast, wrap

# ----- arithmetic -----------------------------------------------------------
# On scalars a ufunc call costs ten times Python's operator, and scalar code
# (Taylor series, ODE steps) is where per-operation cost matters most: the raw
# functions use the operator whenever it means the same thing.

_OPERANDS = frozenset({float, int, complex, _np.float64, _np.float32, _np.complex128, _np.ndarray})


def _fast(ufunc: _np.ufunc, op: Callable) -> Callable:
    def raw(x: Any, y: Any, **kwargs: Any) -> Any:
        if not kwargs and type(x) in _OPERANDS and type(y) in _OPERANDS and (type(x) is _np.ndarray or type(y) is not int or type(x) is not int):
            return op(x, y)
        return ufunc(x, y, **kwargs)

    raw.__name__ = ufunc.__name__
    raw.__doc__ = ufunc.__doc__
    return raw


def _wrap_fast(ufunc: _np.ufunc, op: Callable) -> Callable:
    ours = wrap(_fast(ufunc, op), ufunc.__name__)
    UFUNCS[ufunc] = ours
    return ours


add = _wrap_fast(_np.add, operator.add)
def_rules(
    add,
    vjp=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans), lambda y_dot, ans, x, y: broadcast_tangent(y_dot, ans)),
)

subtract = _wrap_fast(_np.subtract, operator.sub)
def_rules(
    subtract,
    vjp=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(-g, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans), lambda y_dot, ans, x, y: broadcast_tangent(-y_dot, ans)),
)

multiply = _wrap_fast(_np.multiply, operator.mul)
def_rules(
    multiply,
    vjp=(lambda g, ans, x, y: unbroadcast(g * y, x), lambda g, ans, x, y: unbroadcast(x * g, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot * y, ans), lambda y_dot, ans, x, y: broadcast_tangent(x * y_dot, ans)),
)

divide = _wrap_fast(_np.divide, operator.truediv)
true_divide = divide
def_rules(
    divide,
    vjp=(lambda g, ans, x, y: unbroadcast(g / y, x), lambda g, ans, x, y: unbroadcast(-g * ans / y, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot / y, ans), lambda y_dot, ans, x, y: broadcast_tangent(-y_dot * ans / y, ans)),
)

negative = wrap(_np.negative)
def_rules(negative, vjp=lambda g, ans, x: -g, jvp=lambda x_dot, ans, x: -x_dot)

positive = wrap(_np.positive)
def_rules(positive, vjp=lambda g, ans, x: g, jvp=lambda x_dot, ans, x: x_dot)

reciprocal = wrap(_np.reciprocal)
def_elementwise(reciprocal, lambda ans, x: -ans * ans)

square = wrap(_np.square)
def_elementwise(square, lambda ans, x: 2 * x)


def _pow_d_x(ans, x, y):
    # y * x**(y-1), written so that y == 0 gives 0 rather than 0 * inf at x == 0.
    return y * power(x, where(y == 0, 1, y - 1))


def _pow_d_y(ans, x, y):
    # x**y * log(x); the x == 0 entries are taken as 0 (autograd's convention).
    return ans * log(where(x == 0, 1, x))


power = _wrap_fast(_np.power, operator.pow)
def_rules(
    power,
    vjp=(
        lambda g, ans, x, y: unbroadcast(g * _pow_d_x(ans, x, y), x),
        lambda g, ans, x, y: unbroadcast(g * _pow_d_y(ans, x, y), y),
    ),
    jvp=(
        lambda x_dot, ans, x, y: broadcast_tangent(x_dot * _pow_d_x(ans, x, y), ans),
        lambda y_dot, ans, x, y: broadcast_tangent(y_dot * _pow_d_y(ans, x, y), ans),
    ),
)

# ----- complex parts ----------------------------------------------------------

real = wrap(_np.real)
imag = wrap(_np.imag)
conjugate = wrap(_np.conjugate)
conj = conjugate
def_rules(real, vjp=lambda g, ans, x: _match_complex(g, x), jvp=lambda x_dot, ans, x: real(x_dot))
def_rules(imag, vjp=lambda g, ans, x: _match_complex(-1j * g, x), jvp=lambda x_dot, ans, x: imag(x_dot))
def_rules(conjugate, vjp=lambda g, ans, x: conjugate(g), jvp=lambda x_dot, ans, x: conjugate(x_dot))


def _match_complex(g, x):
    """The cotangent ``g`` in the dtype family of ``x``."""
    if is_complex(x):
        return g if is_complex(g) else g + 0j
    return real(g) if is_complex(g) else g


# ----- exponentials, logarithms, powers ---------------------------------------

exp = wrap(_np.exp)
def_elementwise(exp, lambda ans, x: ans)
exp2 = wrap(_np.exp2)
def_elementwise(exp2, lambda ans, x: ans * _np.log(2.0))
expm1 = wrap(_np.expm1)
def_elementwise(expm1, lambda ans, x: ans + 1)
log = wrap(_np.log)
def_elementwise(log, lambda ans, x: 1.0 / x)
log2 = wrap(_np.log2)
def_elementwise(log2, lambda ans, x: 1.0 / (x * _np.log(2.0)))
log10 = wrap(_np.log10)
def_elementwise(log10, lambda ans, x: 1.0 / (x * _np.log(10.0)))
log1p = wrap(_np.log1p)
def_elementwise(log1p, lambda ans, x: 1.0 / (x + 1))
sqrt = wrap(_np.sqrt)
def_elementwise(sqrt, lambda ans, x: 0.5 / ans)

# ----- trigonometric and hyperbolic ------------------------------------------

sin = wrap(_np.sin)
def_elementwise(sin, lambda ans, x: cos(x))
cos = wrap(_np.cos)
def_elementwise(cos, lambda ans, x: -sin(x))
tan = wrap(_np.tan)
def_elementwise(tan, lambda ans, x: 1 + ans * ans)
sinh = wrap(_np.sinh)
def_elementwise(sinh, lambda ans, x: cosh(x))
cosh = wrap(_np.cosh)
def_elementwise(cosh, lambda ans, x: sinh(x))
tanh = wrap(_np.tanh)
def_elementwise(tanh, lambda ans, x: 1 - ans * ans)

# ----- absolute value and selection --------------------------------------------


def _abs_d(ans, x):
    # d|x| = sign(x) for real x, conj(x)/|x| for complex; 0 at x == 0 (a subgradient).
    return conjugate(x) / where(ans == 0, 1, ans) if is_complex(x) else sign(x)


absolute = wrap(_np.absolute)
abs = absolute  # noqa: A001 - NumPy's own name
def_rules(
    absolute,
    vjp=lambda g, ans, x: g * _abs_d(ans, x),
    jvp=lambda x_dot, ans, x: real(x_dot * _abs_d(ans, x)) if is_complex(x) else x_dot * _abs_d(ans, x),
)

# where, sign and comparisons are needed by the rules above.
from .indexing import where  # noqa: E402
from .nondiff import sign  # noqa: E402


__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "negative",
    "positive",
    "reciprocal",
    "square",
    "power",
    "real",
    "imag",
    "conjugate",
    "conj",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "absolute",
    "abs",
]

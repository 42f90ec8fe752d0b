"""Elementwise functions (NumPy ufuncs): arithmetic and mathematical functions.

Each primitive is followed by its rules. Binary rules undo broadcasting in
reverse mode and broadcast tangents in forward mode. The two-argument
mathematical functions, extrema, rounding remainders and special functions
live in :mod:`tapegrad.numpy.elementwise`.

Rules whose derivative can be infinite or NaN (square roots, logarithms,
quotients, powers, inverse trigonometric functions, exponentials that
overflow) multiply by it with :func:`safe_mul` / :func:`safe_div`, in which
zero times anything is zero. A zero cotangent or tangent, as sent by
``where`` to its unselected branch, then stays zero instead of becoming NaN::

    grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(np.array([-1.0, 4.0]))  # [0, 0.25]

Derivatives that are genuinely infinite stay so: ``grad(np.sqrt)(0.0)`` is ``inf``.
"""

from __future__ import annotations

import contextlib
import operator
from math import isfinite as _isfinite
from _thread import _local as thread_local  # threading.local, without importing threading (core/state.py)
from typing import Any, Callable, Iterator

import numpy as _np

from ..core import Box, def_rules, primitive
from ._wrap import _REAL_SCALARS, broadcast_tangent, def_elementwise, is_complex, provide, unbroadcast, wrap

# ----- products in which zero times anything is zero ----------------------------


def _nonzero_finite(c: Any) -> bool:
    """A plain real scalar that is finite and not zero: multiplying or dividing by it makes no new NaN."""
    return type(c) in _REAL_SCALARS and c != 0 and _isfinite(c)


class _Masking(thread_local):
    """Whether zero times an infinity or a NaN is zero here (the default), or NaN as IEEE arithmetic has it.

    The differential operators turn it off (:func:`ieee_products`) for the
    backward pass of a loss whose value is NaN or infinite: there the masked
    zeros would hide the NaN (``softmax`` of an overflowing input would get a
    zero gradient), and the gradient is what IEEE arithmetic gives, as in JAX
    and PyTorch.
    """

    on = True


MASKING = _Masking()


@contextlib.contextmanager
def ieee_products() -> Iterator[None]:
    """Within the block, on this thread, ``safe_mul`` and ``safe_div`` are plain ``*`` and ``/`` (0 * inf is NaN)."""
    saved, MASKING.on = MASKING.on, False
    try:
        yield
    finally:
        MASKING.on = saved


def _safe_mul(x: Any, y: Any) -> Any:
    p = x * y
    if isinstance(p, _np.ndarray):  # subclasses too: ``p != p`` below is for scalars
        if _nonzero_finite(y) or _nonzero_finite(x):
            return p  # a NaN here comes from the other factor itself, not from 0 * inf
        s = _np.add.reduce(p, axis=None)
        if s != s and MASKING.on:  # some product is NaN (or the sum is inf - inf): find the zeros
            p = _np.where(_np.isnan(p) & ((x == 0) | (y == 0)), 0, p)
        return p
    if p != p and (x == 0 or y == 0) and MASKING.on:
        return type(p)(0)
    return p


def _safe_div(x: Any, y: Any) -> Any:
    try:
        p = x / y
    except ZeroDivisionError:  # Python scalars; NumPy gives inf or NaN
        p = _np.divide(x, y)
    if isinstance(p, _np.ndarray):
        if _nonzero_finite(y):
            return p  # a NaN here comes from x itself, not from 0 / 0
        s = _np.add.reduce(p, axis=None)
        if s != s and MASKING.on:
            p = _np.where(_np.isnan(p) & (x == 0), 0, p)
        return p
    if p != p and x == 0 and MASKING.on:
        return type(p)(0)
    return p


_PLAIN_NUMBERS = (int, float)
_safe_mul_p = primitive(_safe_mul, "safe_mul")
_safe_div_p = primitive(_safe_div, "safe_div")


# Rules call these on plain values at first order: skip the generic primitive wrapper then,
# and use the plain operator when y is a finite nonzero Python number (no 0 * inf possible).
def safe_mul(x: Any, y: Any) -> Any:
    """``x * y``, except that it is 0 wherever ``x`` or ``y`` is 0, even if the other is inf or NaN."""
    if type(y) in _PLAIN_NUMBERS and y != 0 and _isfinite(y):
        return x * y
    if isinstance(x, Box) or isinstance(y, Box):
        return _safe_mul_p(x, y)
    return _safe_mul(x, y)


def safe_div(x: Any, y: Any) -> Any:
    """``x / y``, except that it is 0 wherever ``x`` is 0, even if ``y`` is 0, inf or NaN."""
    if type(y) in _PLAIN_NUMBERS and y != 0 and y == y:
        return x / y
    if isinstance(x, Box) or isinstance(y, Box):
        return _safe_div_p(x, y)
    return _safe_div(x, y)


def_rules(
    _safe_mul_p,
    vjp=(lambda g, ans, x, y: unbroadcast(safe_mul(g, y), x), lambda g, ans, x, y: unbroadcast(safe_mul(g, x), y)),
    jvp=(
        lambda x_dot, ans, x, y: broadcast_tangent(safe_mul(x_dot, y), ans),
        lambda y_dot, ans, x, y: broadcast_tangent(safe_mul(x, y_dot), ans),
    ),
)

# The quotient rules, shared by safe_div and divide (x / y: d/dx = 1/y, d/dy = -ans/y).
_QUOTIENT_VJP = (
    lambda g, ans, x, y: unbroadcast(safe_div(g, y), x),
    lambda g, ans, x, y: unbroadcast(-safe_div(safe_mul(g, ans), y), y),
)
_QUOTIENT_JVP = (
    lambda x_dot, ans, x, y: broadcast_tangent(safe_div(x_dot, y), ans),
    lambda y_dot, ans, x, y: broadcast_tangent(-safe_div(safe_mul(y_dot, ans), y), ans),
)
def_rules(
    _safe_div_p,
    vjp=_QUOTIENT_VJP,
    jvp=_QUOTIENT_JVP,
)


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
    # Not NumPy's docstring: its examples would run as this module's doctests.
    raw.__doc__ = f"``numpy.{ufunc.__name__}``, computed with Python's operator when that means the same."
    return raw


def _wrap_fast(ufunc: _np.ufunc, op: Callable) -> Callable:
    return wrap(ufunc, compute=_fast(ufunc, op))


def _passed_on(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # unbroadcast(g, x) with its commonest case inlined (a sum of two arrays of
    # one shape and dtype passes the cotangent on unchanged): the RNN's hot rule
    if type(g) is _np.ndarray and type(x) is _np.ndarray and g.shape == x.shape and g.dtype is x.dtype:
        return g
    return unbroadcast(g, x)


add = _wrap_fast(_np.add, operator.add)
def_rules(
    add,
    vjp=(_passed_on, lambda g, ans, x, y: _passed_on(g, ans, y, x)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans), lambda y_dot, ans, x, y: broadcast_tangent(y_dot, ans)),
)

subtract = _wrap_fast(_np.subtract, operator.sub)
def_rules(
    subtract,
    vjp=(_passed_on, lambda g, ans, x, y: unbroadcast(-g, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans), lambda y_dot, ans, x, y: broadcast_tangent(-y_dot, ans)),
)

multiply = _wrap_fast(_np.multiply, operator.mul)
def_rules(
    multiply,
    vjp=(lambda g, ans, x, y: unbroadcast(g * y, x), lambda g, ans, x, y: unbroadcast(x * g, y)),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot * y, ans), lambda y_dot, ans, x, y: broadcast_tangent(x * y_dot, ans)),
)

# A zero divisor in the unselected branch of a where must not poison the gradient.
divide = _wrap_fast(_np.divide, operator.truediv)
true_divide = divide
def_rules(
    divide,
    vjp=_QUOTIENT_VJP,
    jvp=_QUOTIENT_JVP,
)

negative = wrap(_np.negative)
def_rules(negative, vjp=lambda g, ans, x: -g, jvp=lambda x_dot, ans, x: -x_dot)

positive = wrap(_np.positive)
def_rules(positive, vjp=lambda g, ans, x: g, jvp=lambda x_dot, ans, x: x_dot)

reciprocal = wrap(_np.reciprocal)
def_rules(
    reciprocal,
    vjp=lambda g, ans, x: -safe_div(g, x * x),
    jvp=lambda x_dot, ans, x: -safe_div(x_dot, x * x),
)

square = wrap(_np.square)
def_elementwise(square, lambda ans, x: 2 * x)

def _power_rules(fun: Callable) -> None:
    """Rules of ``fun(x, y) = x ** y`` (power, float_power), written with ``fun`` itself."""

    def d_x(ans: Any, x: Any, y: Any) -> Any:
        # y * x**(y-1); y == 0 gives 0 rather than 0 * inf at x == 0.
        if type(y) in _PLAIN_NUMBERS and y != 0:
            return 2 * x if y == 2 else y * fun(x, y - 1)  # x**2 is the common case
        return safe_mul(y, fun(x, where(y == 0, 1, y - 1)))

    def times_d_x(t: Any, ans: Any, x: Any, y: Any) -> Any:
        # A plain integer exponent >= 1 has a finite derivative at every finite x: no need for safe_mul.
        if type(y) in _PLAIN_NUMBERS and y >= 1 and float(y).is_integer():
            if y == 2:
                return 2 * t * x  # (2 t) x: with t plain and x traced (an HVP), one traced product
            return t * d_x(ans, x, y)
        return safe_mul(t, d_x(ans, x, y))

    def d_y(ans: Any, x: Any, y: Any) -> Any:
        # x**y * log(x); the x == 0 entries are taken as 0 (autograd's convention).
        return safe_mul(ans, log(where(x == 0, 1, x)))

    def_rules(
        fun,
        vjp=(
            lambda g, ans, x, y: unbroadcast(times_d_x(g, ans, x, y), x),
            lambda g, ans, x, y: unbroadcast(safe_mul(g, d_y(ans, x, y)), y),
        ),
        jvp=(
            lambda x_dot, ans, x, y: broadcast_tangent(times_d_x(x_dot, ans, x, y), ans),
            lambda y_dot, ans, x, y: broadcast_tangent(safe_mul(y_dot, d_y(ans, x, y)), ans),
        ),
    )


power = _wrap_fast(_np.power, operator.pow)
pow = power  # noqa: A001 - NumPy's own name
_power_rules(power)
float_power = wrap(_np.float_power)
_power_rules(float_power)

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


# ----- exponentials, logarithms, roots ---------------------------------------------
# Exponentials overflow to inf in branches that a where discards: safe products.

_LN2 = float(_np.log(2.0))
_LN10 = float(_np.log(10.0))

exp = wrap(_np.exp)
def_elementwise(exp, lambda ans, x: ans, combine=safe_mul)
exp2 = wrap(_np.exp2)
def_elementwise(exp2, lambda ans, x: ans * _LN2, combine=safe_mul)
expm1 = wrap(_np.expm1)
def_elementwise(expm1, lambda ans, x: ans + 1, combine=safe_mul)
log = wrap(_np.log)
def_elementwise(log, lambda ans, x: x, combine=safe_div)
log2 = wrap(_np.log2)
def_elementwise(log2, lambda ans, x: x * _LN2, combine=safe_div)
log10 = wrap(_np.log10)
def_elementwise(log10, lambda ans, x: x * _LN10, combine=safe_div)
log1p = wrap(_np.log1p)
def_elementwise(log1p, lambda ans, x: x + 1, combine=safe_div)
sqrt = wrap(_np.sqrt)
def_elementwise(sqrt, lambda ans, x: 2 * ans, combine=safe_div)  # +inf at 0
cbrt = wrap(_np.cbrt)
def_elementwise(cbrt, lambda ans, x: 3 * ans * ans, combine=safe_div)  # +inf at 0

# ----- trigonometric and hyperbolic ------------------------------------------

sin = wrap(_np.sin)
def_elementwise(sin, lambda ans, x: cos(x))
cos = wrap(_np.cos)
def_elementwise(cos, lambda ans, x: -sin(x))
tan = wrap(_np.tan)
def_elementwise(tan, lambda ans, x: 1 + ans * ans)
sinh = wrap(_np.sinh)
def_elementwise(sinh, lambda ans, x: cosh(x), combine=safe_mul)
cosh = wrap(_np.cosh)
def_elementwise(cosh, lambda ans, x: sinh(x), combine=safe_mul)
def _one_minus_square(t: Any) -> Any:
    """``1 - t**2``: tanh's derivative from its output."""
    return 1 - t * t


# One primitive for tanh's derivative, so that differentiating tanh again (a
# Hessian, the n-th derivative) records one operation here instead of three.
one_minus_square = primitive(_one_minus_square, "one_minus_square")
def_rules(
    one_minus_square,
    vjp=lambda g, ans, t: -2 * (g * t),
    jvp=lambda t_dot, ans, t: -2 * (t_dot * t),
)


def _tanh_vjp(g: Any, ans: Any, x: Any) -> Any:
    # g * (1 - ans**2). On plain arrays of one dtype (first order, the common
    # case in networks) it is computed in one buffer instead of three.
    if type(g) is _np.ndarray and type(ans) is _np.ndarray and g.dtype == ans.dtype and g.shape == ans.shape:
        t = _np.multiply(ans, ans)
        _np.subtract(1.0, t, t)  # out positionally: keyword parsing costs more than the arithmetic on small arrays
        t *= g
        return t
    return g * one_minus_square(ans)


tanh = wrap(_np.tanh)
def_rules(tanh, vjp=_tanh_vjp, jvp=lambda x_dot, ans, x: x_dot * one_minus_square(ans))

arcsin = wrap(_np.arcsin)
def_elementwise(arcsin, lambda ans, x: sqrt(1 - x * x), combine=safe_div)
arccos = wrap(_np.arccos)
def_elementwise(arccos, lambda ans, x: -sqrt(1 - x * x), combine=safe_div)
arctan = wrap(_np.arctan)
def_rules(arctan, vjp=lambda g, ans, x: g / (1 + x * x), jvp=lambda x_dot, ans, x: x_dot / (1 + x * x))
arcsinh = wrap(_np.arcsinh)
def_rules(arcsinh, vjp=lambda g, ans, x: g / sqrt(x * x + 1), jvp=lambda x_dot, ans, x: x_dot / sqrt(x * x + 1))
# sqrt(x-1)*sqrt(x+1), not sqrt(x*x-1): the same for real x > 1, and right on both sides
# of the complex branch cut; a safe product, as sqrt(x-1) is NaN in a discarded x < 1.
arccosh = wrap(_np.arccosh)
def_elementwise(arccosh, lambda ans, x: safe_mul(sqrt(x - 1), sqrt(x + 1)), combine=safe_div)
arctanh = wrap(_np.arctanh)
def_elementwise(arctanh, lambda ans, x: 1 - x * x, combine=safe_div)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh

_RAD_PER_DEG = float(_np.pi / 180)
deg2rad = wrap(_np.deg2rad)
radians = wrap(_np.radians)
rad2deg = wrap(_np.rad2deg)
degrees = wrap(_np.degrees)
for _f, _c in ((deg2rad, _RAD_PER_DEG), (radians, _RAD_PER_DEG), (rad2deg, 1 / _RAD_PER_DEG), (degrees, 1 / _RAD_PER_DEG)):
    def_rules(_f, vjp=lambda g, ans, x, _c=_c: g * _c, jvp=lambda x_dot, ans, x, _c=_c: x_dot * _c)

# ----- absolute value ------------------------------------------------------------


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
fabs = wrap(_np.fabs)  # real only
def_elementwise(fabs, lambda ans, x: sign(x))

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
    "pow",
    "float_power",
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
    "cbrt",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "arcsinh",
    "arccosh",
    "arctanh",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "deg2rad",
    "radians",
    "rad2deg",
    "degrees",
    "absolute",
    "abs",
    "fabs",
]

provide(real=real)  # for the modules below (_wrap.ops)

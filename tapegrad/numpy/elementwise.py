"""More elementwise functions: two-argument mathematics, extrema, remainders, special functions.

The conventions of :mod:`tapegrad.numpy.ufuncs` apply: rules undo
broadcasting, and quotients that can vanish go through ``safe_div`` so that a
zero cotangent stays zero. Masks that only depend on the values (which
argument won a maximum, the integer quotient of a remainder) are computed with
plain NumPy from the unboxed values: they are piecewise constant.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import def_rules, getval, primitive
from ._wrap import broadcast_tangent, def_elementwise, dispatches, is_complex, unbroadcast, wrap
from .composite import composite
from .indexing import where
from .nondiff import floor_divide
from .ufuncs import cos, exp, exp2, imag, real, safe_div

_zero = lambda *args, **kwargs: None  # noqa: E731 - the rule of an argument with derivative 0 almost everywhere

# ----- two-argument mathematical functions --------------------------------------------

hypot = wrap(_np.hypot)
def_rules(  # d/dx = x / hypot(x, y); the subgradient 0 at the origin
    hypot,
    vjp=(
        lambda g, ans, x, y: unbroadcast(safe_div(g * x, ans), x),
        lambda g, ans, x, y: unbroadcast(safe_div(g * y, ans), y),
    ),
    jvp=(
        lambda x_dot, ans, x, y: broadcast_tangent(safe_div(x_dot * x, ans), ans),
        lambda y_dot, ans, x, y: broadcast_tangent(safe_div(y_dot * y, ans), ans),
    ),
)

arctan2 = wrap(_np.arctan2)
atan2 = arctan2
def_rules(  # arctan2(y, x): d/dy = x / r2, d/dx = -y / r2
    arctan2,
    vjp=(
        lambda g, ans, y, x: unbroadcast(safe_div(g * x, x * x + y * y), y),
        lambda g, ans, y, x: unbroadcast(-safe_div(g * y, x * x + y * y), x),
    ),
    jvp=(
        lambda y_dot, ans, y, x: broadcast_tangent(safe_div(y_dot * x, x * x + y * y), ans),
        lambda x_dot, ans, y, x: broadcast_tangent(-safe_div(x_dot * y, x * x + y * y), ans),
    ),
)

logaddexp = wrap(_np.logaddexp)
def_elementwise(logaddexp, lambda ans, x, y: exp(x - ans), lambda ans, x, y: exp(y - ans))

logaddexp2 = wrap(_np.logaddexp2)
def_elementwise(logaddexp2, lambda ans, x, y: exp2(x - ans), lambda ans, x, y: exp2(y - ans))


def _copysign_d(x: Any, y: Any) -> Any:
    """d copysign(x, y) / dx: +1 where the signs agree, -1 where the sign is flipped."""
    return _np.where(_np.signbit(getval(x)) == _np.signbit(getval(y)), 1.0, -1.0)


copysign = wrap(_np.copysign)
def_rules(
    copysign,
    vjp=(lambda g, ans, x, y: unbroadcast(g * _copysign_d(x, y), x), _zero),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot * _copysign_d(x, y), ans), _zero),
)

ldexp = wrap(_np.ldexp)  # x * 2**i, linear in x; i is an integer
def_rules(
    ldexp,
    vjp={0: lambda g, ans, x, i: unbroadcast(ldexp(g, i), x)},
    jvp={0: lambda x_dot, ans, x, i: broadcast_tangent(ldexp(x_dot, i), ans)},
)


def _quotient(ans: Any, x: Any, y: Any) -> Any:
    """The integer q with x = q*y + remainder, recovered from the result.

    ``trunc(x / y)`` can be off by one when ``x / y`` rounds to an integer;
    ``(x - ans) / y`` is within rounding of an integer. Where it is undefined
    (y == 0) it is taken as 0, so that a where discarding those entries stays clean.
    """
    with _np.errstate(invalid="ignore", divide="ignore"):
        q = _np.rint((getval(x) - getval(ans)) / getval(y))
    return _np.where(_np.isfinite(q), q, 0.0)


def _remainder_rules(fun: Any) -> None:
    def_rules(
        fun,
        vjp=(
            lambda g, ans, x, y: unbroadcast(g, x),
            lambda g, ans, x, y: unbroadcast(-g * _quotient(ans, x, y), y),
        ),
        jvp=(
            lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans),
            lambda y_dot, ans, x, y: broadcast_tangent(-y_dot * _quotient(ans, x, y), ans),
        ),
    )


fmod = wrap(_np.fmod)
_remainder_rules(fmod)
remainder = wrap(_np.remainder)
mod = remainder
_remainder_rules(remainder)


@dispatches(_np.divmod)
def divmod(x: Any, y: Any, **kwargs: Any) -> tuple:  # noqa: A001 - NumPy's own name
    """``numpy.divmod``: the floor quotient (no derivative) and the differentiable remainder."""
    return floor_divide(x, y, **kwargs), remainder(x, y, **kwargs)


heaviside = wrap(_np.heaviside)  # the step, with value h at x == 0: h matters only there
def_rules(
    heaviside,
    vjp=(_zero, lambda g, ans, x, h: unbroadcast(g * (getval(x) == 0), h)),
    jvp=(_zero, lambda h_dot, ans, x, h: broadcast_tangent(h_dot * (getval(x) == 0), ans)),
)

nextafter = wrap(_np.nextafter)  # x moved by one ulp: slope 1 in x, piecewise constant in y
def_rules(
    nextafter,
    vjp=(lambda g, ans, x, y: unbroadcast(g, x), _zero),
    jvp=(lambda x_dot, ans, x, y: broadcast_tangent(x_dot, ans), _zero),
)

# ----- extrema: ties share the derivative equally (as autograd does) -----------------


def _share(x: Any, ans: Any, y: Any) -> Any:
    """x's share of the derivative of an extremum of x and y: 1 if it won, 1/2 if tied, else 0."""
    vx, va, vy = getval(x), getval(ans), getval(y)
    return (vx == va) / (1.0 + (vx == vy))


def _extremum_rules(fun: Any) -> None:
    def_elementwise(fun, lambda ans, x, y: _share(x, ans, y), lambda ans, x, y: _share(y, ans, x))


maximum = wrap(_np.maximum)
minimum = wrap(_np.minimum)
fmax = wrap(_np.fmax)
fmin = wrap(_np.fmin)
for _f in (maximum, minimum, fmax, fmin):
    _extremum_rules(_f)


def _bound(v: Any) -> Any:
    return None if v is None or v is _np._NoValue else v


def _clip_shares(ans: Any, a: Any, a_min: Any, a_max: Any, kw: dict) -> tuple:
    """Shares of a, a_min and a_max in clip(a) = minimum(maximum(a, a_min), a_max), ties split."""
    lo = _bound(a_min) if _bound(a_min) is not None else _bound(kw.get("min"))
    hi = _bound(a_max) if _bound(a_max) is not None else _bound(kw.get("max"))
    va = getval(a)
    if lo is None:
        t, s_a, s_lo = va, 1.0, 0.0
    else:
        vlo = getval(lo)
        t = _np.maximum(va, vlo)
        s_a, s_lo = _share(va, t, vlo), _share(vlo, t, va)
    if hi is None:
        return s_a, s_lo, 0.0
    vhi = getval(hi)
    s_t, s_hi = _share(t, getval(ans), vhi), _share(vhi, getval(ans), t)
    return s_t * s_a, s_t * s_lo, s_hi


clip = wrap(_np.clip)
def_rules(
    clip,
    vjp=(
        lambda g, ans, a, a_min=None, a_max=None, **kw: unbroadcast(g * _clip_shares(ans, a, a_min, a_max, kw)[0], a),
        lambda g, ans, a, a_min=None, a_max=None, **kw: unbroadcast(g * _clip_shares(ans, a, a_min, a_max, kw)[1], a_min),
        lambda g, ans, a, a_min=None, a_max=None, **kw: unbroadcast(g * _clip_shares(ans, a, a_min, a_max, kw)[2], a_max),
    ),
    jvp=(
        lambda a_dot, ans, a, a_min=None, a_max=None, **kw: broadcast_tangent(a_dot * _clip_shares(ans, a, a_min, a_max, kw)[0], ans),
        lambda lo_dot, ans, a, a_min=None, a_max=None, **kw: broadcast_tangent(lo_dot * _clip_shares(ans, a, a_min, a_max, kw)[1], ans),
        lambda hi_dot, ans, a, a_min=None, a_max=None, **kw: broadcast_tangent(hi_dot * _clip_shares(ans, a, a_min, a_max, kw)[2], ans),
    ),
)

nan_to_num = wrap(_np.nan_to_num)  # identity on finite entries; replaced entries are constants
def_rules(
    nan_to_num,
    vjp=lambda g, ans, x, *args, **kw: g * _np.isfinite(getval(x)),
    jvp=lambda x_dot, ans, x, *args, **kw: x_dot * _np.isfinite(getval(x)),
)

# ----- splitting floats: mantissa/exponent, fractional/integral parts ----------------------

_modf_fraction = primitive(lambda x: _np.modf(x)[0], "modf_fraction")
def_rules(_modf_fraction, vjp=lambda g, ans, x: g, jvp=lambda x_dot, ans, x: x_dot)


@dispatches(_np.modf)
def modf(x: Any, **kwargs: Any) -> tuple:
    """``numpy.modf``: the fractional part (slope 1) and the integral part (no derivative)."""
    if kwargs:
        return _np.modf(getval(x), **kwargs)
    return _modf_fraction(x), _np.modf(getval(x))[1]


@dispatches(_np.frexp)
def frexp(x: Any, **kwargs: Any) -> tuple:
    """``numpy.frexp``: the mantissa ``x * 2**-e`` (differentiable) and the exponent ``e``."""
    e = _np.frexp(getval(x), **kwargs)[1]
    return ldexp(x, -e), e


# ----- complex argument -----------------------------------------------------------------


@composite(_np.angle)
def angle(z: Any, deg: bool = False) -> Any:
    """``numpy.angle``: ``arctan2(imag(z), real(z))``, in degrees if ``deg``."""
    a = arctan2(imag(z), real(z))
    return a * (180 / _np.pi) if deg else a


@dispatches(_np.real_if_close)
def real_if_close(a: Any, tol: float = 100) -> Any:
    """``numpy.real_if_close``: the real part when NumPy would drop the imaginary one, else ``a``."""
    kept = _np.real_if_close(getval(a), tol=tol)
    return real(a) if is_complex(a) and not _np.iscomplexobj(kept) else a


# ----- special functions ------------------------------------------------------------------

_PI = float(_np.pi)

sinc = wrap(_np.sinc)


def _sinc_d(ans: Any, x: Any) -> Any:
    """sinc'(x) = (cos(pi x) - sinc(x)) / x; its Taylor series near 0, where that cancels."""
    small = _np.abs(getval(x)) < 1e-3
    if not _np.any(small):
        return (cos(_PI * x) - ans) / x
    x_far = where(small, 1.0, x)  # no 0/0 in the discarded branch
    far = (cos(_PI * x_far) - ans) / x_far
    near = x * (-(_PI**2) / 3 + (_PI**4 / 30) * x * x)
    return where(small, near, far)


def_elementwise(sinc, _sinc_d)


def _i1_raw(x: Any) -> Any:
    """The modified Bessel function I1 (NumPy has only I0): power series, asymptotic series for |x| > 15."""
    x = _np.asarray(x, dtype=float)
    ax = _np.abs(x)
    out = _np.empty_like(x)
    small = ax <= 15.0
    xs = x[small]
    if xs.size:
        term = xs / 2
        total = term.copy()
        q = term * term
        for k in range(1, 80):  # sum (x/2)**(2k+1) / (k! (k+1)!)
            term = term * q / (k * (k + 1))
            total += term
            if not _np.any(_np.abs(term) > 1e-17 * _np.abs(total)):
                break
        out[small] = total
    xl = ax[~small]
    if xl.size:
        # e^x / sqrt(2 pi x) * sum_k (-1)^k prod_{j<=k} (4 - (2j-1)^2) / (k! (8x)^k)
        term = _np.ones_like(xl)
        total = term.copy()
        for k in range(1, 30):
            term = -term * (4.0 - (2 * k - 1) ** 2) / (k * 8.0 * xl)
            total += term
        with _np.errstate(over="ignore"):
            out[~small] = _np.sign(x[~small]) * _np.exp(xl) / _np.sqrt(2 * _PI * xl) * total
    return out[()] if out.ndim == 0 else out


_bessel_i1 = primitive(_i1_raw, "bessel_i1")


def _i1_d(ans: Any, x: Any) -> Any:
    # I1'(x) = I0(x) - I1(x)/x, which is 1/2 at 0.
    zero = getval(x) == 0
    if not _np.any(zero):
        return i0(x) - ans / x
    return where(zero, 0.5, i0(x) - ans / where(zero, 1.0, x))


def_elementwise(_bessel_i1, _i1_d)

i0 = wrap(_np.i0)  # real arguments only, as in NumPy
def_elementwise(i0, lambda ans, x: _bessel_i1(x))

__all__ = [
    "hypot",
    "arctan2",
    "atan2",
    "logaddexp",
    "logaddexp2",
    "copysign",
    "ldexp",
    "fmod",
    "remainder",
    "mod",
    "divmod",
    "heaviside",
    "nextafter",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "clip",
    "nan_to_num",
    "modf",
    "frexp",
    "angle",
    "real_if_close",
    "sinc",
    "i0",
]

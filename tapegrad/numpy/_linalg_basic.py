"""``numpy.linalg`` rules, part 1: inverses, solves, determinants, and shared helpers.

All functions accept stacks of matrices (leading batch axes). Cotangents follow
autograd's convention: they propagate with transposes, not conjugate
transposes. For a function that also depends on ``conj(dA)`` (``pinv``), the
VJP is ``J1^T g + conj(J2^T g)`` where the JVP is ``J1 dA + J2 conj(dA)``.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..core import Box, def_rules, primitive
from ._wrap import is_complex, shape_of, unbroadcast, wrap
from .composite import composite
from .products import einsum_args, matmul
from .shaping import expand_dims, swapaxes
from .ufuncs import conjugate, imag, real


# ----- helpers (tapegrad operations, so rules differentiate again) ---------------


def T(x: Any) -> Any:  # noqa: N802 - the usual name
    """Transpose of the last two axes."""
    return swapaxes(x, -1, -2)


def H(x: Any) -> Any:  # noqa: N802
    """Conjugate transpose of the last two axes."""

    return conjugate(swapaxes(x, -1, -2)) if is_complex(x) else swapaxes(x, -1, -2)


def conj(x: Any) -> Any:
    """Complex conjugate; the identity on real values (no operation recorded)."""

    return conjugate(x) if is_complex(x) else x


def diag_part(x: Any) -> Any:
    """The diagonals of a stack of matrices, shape ``(..., n)``."""
    return einsum_args("...ii->...i", x)


def diag_matrix(v: Any) -> Any:
    """Stack of diagonal matrices from ``(..., n)``."""
    return expand_dims(v, -1) * _np.eye(shape_of(v)[-1])


def is_zero(g: Any) -> bool:
    """True for a plain (untraced) cotangent that is exactly zero: an unused output."""
    return not isinstance(g, Box) and not _np.any(g)


def real_if(x: Any, like: Any) -> Any:
    """The real part of ``x`` when ``like`` is real (cotangent of a real input)."""

    return real(x) if is_complex(x) and not is_complex(like) else x


# ----- inv, solve ----------------------------------------------------------------

inv = wrap(_np.linalg.inv, "linalg.inv")
def_rules(
    inv,
    vjp=lambda g, ans, a: -matmul(T(ans), matmul(g, T(ans))),
    jvp=lambda a_dot, ans, a: -matmul(ans, matmul(a_dot, ans)),
)

solve = wrap(_np.linalg.solve, "linalg.solve")


def _is_vec(b: Any) -> bool:
    # NumPy 2: b is a vector exactly when it is one-dimensional.
    return len(shape_of(b)) == 1


def _solve_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    # One solve with A^T serves both cotangents.
    a, b = args
    vec = _is_vec(b)
    gb = solve(T(a), expand_dims(g, -1) if vec else g)
    out = []
    for i in argnums:
        if i == 0:
            x = expand_dims(ans, -1) if vec else ans
            out.append(unbroadcast(-matmul(gb, T(x)), a))
        else:
            out.append(unbroadcast(gb[..., 0] if vec else gb, b))
    return out


def _solve_jvp_a(a_dot: Any, ans: Any, a: Any, b: Any) -> Any:
    if _is_vec(b):
        return -solve(a, matmul(a_dot, expand_dims(ans, -1)))[..., 0]
    return -solve(a, matmul(a_dot, ans))


def_rules(
    solve,
    vjp_joint=_solve_vjp,
    jvp=(_solve_jvp_a, lambda b_dot, ans, a, b: solve(a, b_dot)),
)


# ----- det, slogdet --------------------------------------------------------------


def _trace_solve(a: Any, a_dot: Any) -> Any:
    """tr(a^{-1} a_dot), batched."""
    return einsum_args("...ii->...", solve(a, a_dot))


def _det_vjp(g: Any, ans: Any, a: Any) -> Any:
    return expand_dims(expand_dims(g * ans, -1), -1) * T(inv(a))


det = wrap(_np.linalg.det, "linalg.det")
def_rules(det, vjp=_det_vjp, jvp=lambda a_dot, ans, a: ans * _trace_solve(a, a_dot))


def _slogdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    g_sign, g_log = g[0], g[1]
    coef = g_log
    if is_complex(a) and not is_zero(g_sign):
        # sign = exp(i Im log det): its cotangent enters through i Im(g_sign * sign).
        coef = coef + 1j * imag(g_sign * ans[0])
    return expand_dims(expand_dims(coef, -1), -1) * T(inv(a))


def _slogdet_jvp(a_dot: Any, ans: Any, a: Any) -> tuple:
    t = _trace_solve(a, a_dot)
    if is_complex(a):
        return (ans[0] * (1j * imag(t)), real(t))
    return (_np.zeros(shape_of(ans[0])), t)


_slogdet = primitive(_np.linalg.slogdet, "linalg.slogdet")
def_rules(_slogdet, vjp=_slogdet_vjp, jvp=_slogdet_jvp)


def result_type(name: str, probe: Any) -> type:
    """The named tuple type that numpy.linalg returns (``SlogdetResult``...): NumPy's own class where it
    is found by name, else the type of ``probe()`` (a call on a 1x1 matrix costs more, at import)."""
    found = getattr(getattr(_np.linalg, "_linalg", None), name, None)
    return found if isinstance(found, type) else type(probe())


_SlogdetResult = result_type("SlogdetResult", lambda: _np.linalg.slogdet(_np.eye(1)))


@composite(_np.linalg.slogdet, "linalg.slogdet")
def slogdet(a: Any) -> Any:
    """``numpy.linalg.slogdet``: (sign, log|det|); the sign of a real matrix has no derivative."""
    return _SlogdetResult(*_slogdet(a))


# ----- pinv ----------------------------------------------------------------------


def _eye_like(n: int) -> Any:
    return _np.eye(n)


def _pinv_vjp(g: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    # dX = -X dA X + X X^H dA^H (I - A X) + (I - X A) dA^H X^H X   (constant rank)
    x = ans
    m, n = shape_of(a)[-2:]
    xxh = matmul(x, H(x))
    xhx = matmul(H(x), x)
    i_ax = _eye_like(m) - matmul(a, x)
    i_xa = _eye_like(n) - matmul(x, a)
    out = -matmul(T(x), matmul(g, T(x)))
    out = out + conj(matmul(i_ax, matmul(T(g), xxh)))
    out = out + conj(matmul(xhx, matmul(T(g), i_xa)))
    return real_if(out, a)


def _pinv_jvp(a_dot: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    x = ans
    m, n = shape_of(a)[-2:]
    a_dot_h = H(a_dot)
    out = -matmul(x, matmul(a_dot, x))
    out = out + matmul(matmul(x, H(x)), matmul(a_dot_h, _eye_like(m) - matmul(a, x)))
    out = out + matmul(_eye_like(n) - matmul(x, a), matmul(a_dot_h, matmul(H(x), x)))
    return out


pinv = wrap(_np.linalg.pinv, "linalg.pinv")
def_rules(pinv, vjp=_pinv_vjp, jvp=_pinv_jvp)


__all__ = ["inv", "solve", "det", "slogdet", "pinv"]

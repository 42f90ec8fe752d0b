"""Numerical checks of derivatives against central finite differences.

``check_grads(f, argnum, modes, order)(*args)`` checks forward mode (JVPs) and
reverse mode (VJPs) of ``f`` along random directions, then recursively the
derivatives of those derivatives up to ``order``.

>>> import tapegrad.numpy as np
>>> check_grads(np.sin, modes=["fwd", "rev"], order=2)(np.array([0.3, 1.2]))
"""

from __future__ import annotations

from itertools import product
from typing import Any, Callable, Sequence

from .core import make_jvp, make_vjp, vspace
from .differential_operators import _unary
from .core import make_jvp as _make_jvp
from .core import make_vjp as _make_vjp
from .wrap_util import get_name, unary_to_nary  # noqa: F401 - autograd.test_util's names

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-6
TOL = ATOL  # autograd's name of the absolute tolerance


class DerivativeMismatch(AssertionError):
    """A derivative disagreed with finite differences."""


def scalar_close(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True if two real scalars agree to within ``atol + rtol * max(|a|, |b|)``."""
    a, b = complex(a), complex(b)
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _name(f: Callable) -> str:
    return getattr(f, "__name__", repr(f))


def _named(f: Callable, name: str) -> Callable:
    f.__name__ = name
    return f


def numerical_jvp(f: Callable, x: Any, v: Any, eps: float = EPS) -> Any:
    """(f(x + eps/2 v) - f(x - eps/2 v)) / eps, in f's output space."""
    x_vs = vspace(x)
    plus = f(x_vs.add(x, x_vs.scalar_mul(v, eps / 2)))
    minus = f(x_vs.add(x, x_vs.scalar_mul(v, -eps / 2)))
    y_vs = vspace(plus)
    return y_vs.scalar_mul(y_vs.add(plus, y_vs.scalar_mul(minus, -1.0)), 1.0 / eps)


def make_numerical_jvp(f: Callable, x: Any) -> Callable[[Any], Any]:
    """``v -> numerical_jvp(f, x, v)``: finite differences of ``f`` at ``x`` along ``v``.

    >>> import tapegrad.numpy as np
    >>> round(float(make_numerical_jvp(np.sin, 0.0)(2.0)), 6)
    2.0
    """
    return lambda v: numerical_jvp(f, x, v)


def check_vjp(f: Callable, x: Any) -> None:
    """Check ``<u, J v>`` computed by reverse mode against finite differences."""
    vjp, y = _make_vjp(f, x)
    x_vs, y_vs = vspace(x), vspace(y)
    x_v, y_v = x_vs.randn(), y_vs.randn()
    vjp_y = x_vs.covector(vjp(y_vs.covector(y_v)))
    if vspace(vjp_y) != x_vs:
        raise DerivativeMismatch(
            f"VSpace mismatch:\nx: {vspace(vjp_y)}\ny: {x_vs}\n(the reverse-mode derivative of "
            f"{_name(f)} at arg {_arg(x)} is not in its argument's space: x is the VJP's, y the argument's)"
        )
    exact = x_vs.inner_prod(x_v, vjp_y)
    numeric = y_vs.inner_prod(y_v, numerical_jvp(f, x, x_v))
    if not scalar_close(exact, numeric):
        # autograd's message, line for line, then what it means
        raise DerivativeMismatch(
            f"Derivative (VJP) check of {_name(f)} failed with arg {_arg(x)}:\n"
            f"analytic: {exact}\nnumeric:  {numeric}\n"
            "(the reverse-mode derivative disagrees with finite differences; both are <u, J v> for random u and v)"
        )


def _arg(x: Any) -> str:
    """The argument as autograd's messages print it (``str``), cut short."""
    text = str(x)
    return text if len(text) <= 200 else text[:200] + "..."


def check_jvp(f: Callable, x: Any) -> None:
    """Check ``J v`` computed by forward mode against finite differences."""
    x_vs = vspace(x)
    v = x_vs.randn()
    _, exact = _make_jvp(f, x)(v)
    numeric = numerical_jvp(f, x, v)
    check_equivalent(exact, numeric, f"the forward-mode derivative (JVP) of {_name(f)} at arg {_arg(x)}")


def check_equivalent(a: Any, b: Any, what: str = "the two values") -> None:
    """Check that two vectors agree, by their inner products with a random vector.

    The failures are autograd's messages (``VSpace mismatch``, ``Value mismatch``,
    with ``x`` the first vector and ``y`` the second), then a line that says what was compared.

    >>> check_equivalent(1.0, 1.5, "a guess")
    Traceback (most recent call last):
        ...
    tapegrad.test_util.DerivativeMismatch: Value mismatch:
    x: 1.0
    y: 1.5
    (a guess disagrees with finite differences: x is the analytic value, y the numeric one)
    """
    a_vs, b_vs = vspace(a), vspace(b)
    if a_vs != b_vs:
        raise DerivativeMismatch(f"VSpace mismatch:\nx: {a_vs}\ny: {b_vs}\n({what}: the two are in different spaces)")
    u = a_vs.randn()
    ia, ib = a_vs.inner_prod(a, u), a_vs.inner_prod(b, u)
    if not scalar_close(ia, ib):
        raise DerivativeMismatch(
            f"Value mismatch:\nx: {a}\ny: {b}\n"
            f"({what} disagrees with finite differences: x is the analytic value, y the numeric one)"
        )


def check_grads(f: Callable, argnum: Any = 0, modes: Sequence[str] = ("fwd", "rev"), order: int = 2) -> Callable:
    """A function of ``f``'s arguments that checks ``f``'s derivatives there.

    ``modes`` holds ``"fwd"`` and/or ``"rev"``; ``order=2`` also checks the
    derivatives of the derivatives (forward-over-forward, reverse-over-reverse...).
    """
    if not all(m in ("fwd", "rev") for m in modes):
        raise ValueError(f"modes must be 'fwd' and/or 'rev', not {modes!r}")

    def checker(*args: Any, **kwargs: Any) -> None:
        unary, x = _unary(f, argnum, args, kwargs)
        unary.__name__ = _name(f)
        _check_unary(unary, x, tuple(modes), order)

    return checker


def _check_unary(f: Callable, x: Any, modes: tuple, order: int) -> None:
    if "fwd" in modes:
        check_jvp(f, x)
        if order > 1:
            def jvp_f(x: Any, v: Any) -> Any:
                return _make_jvp(f, x)(v)[1]

            jvp_f.__name__ = f"jvp_{_name(f)}"
            v = vspace(x).randn()
            _check_unary(_named(lambda xv: jvp_f(*xv), jvp_f.__name__), (x, v), modes, order - 1)
    if "rev" in modes:
        check_vjp(f, x)
        if order > 1:
            def vjp_f(x: Any, u: Any) -> Any:
                return _make_vjp(f, x)[0](u)

            vjp_f.__name__ = f"vjp_{_name(f)}"
            u = vspace(f(x)).randn()
            _check_unary(_named(lambda xu: vjp_f(*xu), vjp_f.__name__), (x, u), modes, order - 1)


def combo_check(fun: Callable, *check_args: Any, **check_kwargs: Any) -> Callable:
    """Check ``fun`` at every combination of the given argument and keyword values."""

    def run(*arg_choices: Any, **kwarg_choices: Any) -> None:
        kw_items = [[(k, v) for v in vs] for k, vs in kwarg_choices.items()]
        for args in product(*arg_choices):
            for kws in product(*kw_items):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(kws))

    return run

"""The public extension API, compatible with ``autograd.extend``.

Define a new primitive and its derivatives the way autograd does::

    from tapegrad.extend import primitive, defvjp, defjvp

    @primitive
    def logsumexp(x):
        m = x.max()
        return m + onp.log(onp.sum(onp.exp(x - m)))

    defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))

>>> import numpy as onp
>>> import tapegrad.numpy as np
>>> from tapegrad import grad
>>> @primitive
... def cube(x):
...     return x ** 3
>>> defvjp(cube, lambda ans, x: lambda g: 3 * g * x ** 2)
>>> defjvp(cube, lambda g, ans, x: 3 * g * x ** 2)
>>> float(grad(cube)(2.0)), float(grad(grad(cube))(2.0))
(12.0, 12.0)
"""

from __future__ import annotations

from itertools import count
from typing import Any, Callable

from .core import Box, SequenceBox, VSpace, def_rules, get_primitive, notrace_primitive, primitive, register_vspace, vspace
from .core.box import register_box

__all__ = [
    "primitive", "notrace_primitive", "def_rules", "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp",
    "defjvp_argnum", "defjvp_argnums", "def_linear", "vspace", "VSpace", "Box", "SequenceBox",
    "register_box", "register_vspace",
]


def _zero_vjp(argnum: int) -> Callable:
    return lambda g, ans, *args, **kwargs: vspace(args[argnum]).zeros()


def defvjp(fun: Callable, *vjpmakers: Any, argnums: Any = None) -> None:
    """autograd-style VJPs: ``vjpmaker(ans, *args, **kwargs)`` returns ``g -> cotangent``.

    One maker per positional argument, in order (or for ``argnums``); ``None``
    declares a zero derivative for that argument.
    """
    nums = count() if argnums is None else argnums
    rules = {}
    for argnum, maker in zip(nums, vjpmakers):
        if maker is None:
            rules[argnum] = _zero_vjp(argnum)
        elif callable(maker):
            rules[argnum] = (lambda m: lambda g, ans, *args, **kwargs: m(ans, *args, **kwargs)(g))(maker)
        else:
            raise TypeError(f"bad VJP {maker!r} for {getattr(fun, '__name__', fun)}")
    def_rules(fun, vjp=rules)


def defvjp_argnum(fun: Callable, vjpmaker: Callable) -> None:
    """``vjpmaker(argnum, ans, args, kwargs)`` returns ``g -> cotangent of args[argnum]``."""

    def joint(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
        return [vjpmaker(a, ans, args, kwargs)(g) for a in argnums]

    def_rules(fun, vjp_joint=joint)


def defvjp_argnums(fun: Callable, vjpmaker: Callable) -> None:
    """``vjpmaker(argnums, ans, args, kwargs)`` returns ``g -> cotangents of those arguments``."""

    def joint(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
        return list(vjpmaker(argnums, ans, args, kwargs)(g))

    def_rules(fun, vjp_joint=joint)


def _same_jvp(fun: Callable, argnum: int) -> Callable:
    def jvp(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        return fun(*args[:argnum], g, *args[argnum + 1:], **kwargs)

    return jvp


def defjvp(fun: Callable, *jvpfuns: Any, argnums: Any = None) -> None:
    """autograd-style JVPs: ``jvpfun(g, ans, *args, **kwargs)`` is the output tangent for
    tangent ``g`` of that argument; ``"same"`` means ``fun`` is linear in it; ``None`` zero."""
    nums = count() if argnums is None else argnums
    rules = {}
    for argnum, jf in zip(nums, jvpfuns):
        if jf is None:
            rules[argnum] = lambda g, ans, *args, **kwargs: vspace(ans).zeros()
        elif jf == "same":
            rules[argnum] = _same_jvp(fun, argnum)
        elif callable(jf):
            rules[argnum] = jf
        else:
            raise TypeError(f"bad JVP {jf!r} for {getattr(fun, '__name__', fun)}")
    def_rules(fun, jvp=rules)


def defjvp_argnum(fun: Callable, jvpmaker: Callable) -> None:
    """``jvpmaker(argnum, g, ans, args, kwargs)`` is the output tangent for tangent ``g`` of one argument."""

    def joint(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
        total = None
        for a, t in zip(argnums, tangents):
            c = jvpmaker(a, t, ans, args, kwargs)
            total = c if total is None else total + c
        return total

    def_rules(fun, jvp_joint=joint)


def defjvp_argnums(fun: Callable, jvpmaker: Callable) -> None:
    """``jvpmaker(argnums, gs, ans, args, kwargs)`` is the output tangent for tangents ``gs``."""
    def_rules(fun, jvp_joint=lambda argnums, tangents, ans, args, kwargs: jvpmaker(argnums, tangents, ans, args, kwargs))


def def_linear(fun: Callable) -> None:
    """Declare ``fun`` linear in each argument: its JVP is ``fun`` applied to the tangent."""
    defjvp_argnum(fun, lambda argnum, g, ans, args, kwargs: fun(*args[:argnum], g, *args[argnum + 1:], **kwargs))


_ = get_primitive

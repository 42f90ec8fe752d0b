"""autograd's ways of defining derivative rules, on tapegrad's rule records.

autograd writes a VJP as a *maker*: ``vjpmaker(ans, *args, **kwargs)``
returns ``g -> cotangent``; tapegrad's engine calls ``rule(g, ans, *args,
**kwargs)`` directly (no closure per call). The functions here translate, so
that code written for ``autograd.extend`` defines tapegrad rules unchanged:
``defvjp``, ``defvjp_argnum(s)``, ``defjvp``, ``defjvp_argnum(s)``,
``def_linear``; and ``primitive_vjps`` / ``primitive_jvps``, autograd's rule
tables, as views of the same records. As in autograd, each ``defvjp``
(``defjvp``) call replaces the function's reverse-mode (forward-mode) rules.

>>> from tapegrad.core import make_vjp, primitive
>>> @primitive
... def cube(x):
...     return x ** 3
>>> defvjp(cube, lambda ans, x: lambda g: 3 * g * x ** 2)
>>> vjp, ans = make_vjp(cube, 2.0)
>>> vjp(1.0)
12.0
>>> maker = primitive_vjps[cube]        # autograd's form of the same rule
>>> list(maker((0,), 8.0, (2.0,), {})(1.0))
[12.0]
"""

from __future__ import annotations

import warnings
from collections.abc import MutableMapping
from itertools import count
from types import MethodType
from typing import Any, Callable, Iterable, Iterator, Optional

from .containers import dense
from .primitive import ALL_PRIMITIVES, Primitive, def_rules, get_primitive, primitive
from .reverse import aligned_rules
from .vspace import vspace

__all__ = [
    "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp", "defjvp_argnum", "defjvp_argnums", "def_linear",
    "translate_vjp", "translate_jvp", "primitive_vjps", "primitive_jvps", "identity_vjp", "identity_jvp",
    "primitive_with_deprecation_warnings", "deprecated_defvjp", "deprecated_defvjp_is_zero",
    "deprecated_defgrad", "deprecated_defvjp_message", "subval", "subvals",
]


def subvals(x: Iterable, ivs: Iterable[tuple[int, Any]]) -> tuple:
    """``x`` as a tuple with the item at each index ``i`` replaced by ``v``, for ``(i, v)`` in ``ivs``.

    >>> subvals((1, 2, 3), [(0, "a"), (2, "c")])
    ('a', 2, 'c')
    """
    items = list(x)
    for i, v in ivs:
        items[i] = v
    return tuple(items)


def subval(x: Iterable, i: int, v: Any) -> tuple:
    """``x`` as a tuple with item ``i`` replaced by ``v``.

    >>> subval((1, 2, 3), 1, "b")
    (1, 'b', 3)
    """
    return subvals(x, [(i, v)])


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", repr(fun))


def _reset_reverse(prim: Primitive) -> None:
    prim.foreign = True
    prim.vjps = {}
    prim.vjp_joint = None
    prim.reads = None
    prim.vjp_cache.clear()


def _reset_forward(prim: Primitive) -> None:
    prim.foreign = True
    prim.jvps = {}
    prim.jvp_joint = None
    prim.value_and_jvp = {}
    prim.jvp_cache.clear()


# ----- reverse mode ---------------------------------------------------------------


def translate_vjp(vjpmaker: Any, fun: Callable, argnum: int) -> Callable:
    """autograd's VJP maker for one argument, with ``None`` meaning a zero derivative."""
    if vjpmaker is None:
        return lambda ans, *args, **kwargs: lambda g: vspace(args[argnum]).zeros()
    if callable(vjpmaker):
        return vjpmaker
    raise TypeError(f"bad VJP {vjpmaker!r} for {_name(fun)}")


def _engine_vjp(maker: Callable) -> Callable:
    def vjp(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        return maker(ans, *args, **kwargs)(g)

    return vjp


def defvjp(fun: Callable, *vjpmakers: Any, argnums: Optional[Iterable[int]] = None) -> None:
    """Define the VJPs of primitive ``fun``, autograd's way, replacing its reverse-mode rules.

    One maker per positional argument, in order (or for ``argnums``):
    ``vjpmaker(ans, *args, **kwargs)`` returns ``g -> cotangent of that argument``;
    ``None`` declares a zero derivative.

    >>> import tapegrad
    >>> from tapegrad.extend import primitive
    >>> @primitive
    ... def mul(x, y):
    ...     return x * y
    >>> defvjp(mul, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    >>> tapegrad.grad(mul, 1)(3.0, 4.0)
    3.0
    """
    nums = count() if argnums is None else argnums
    rules = {a: _engine_vjp(translate_vjp(maker, fun, a)) for a, maker in zip(nums, vjpmakers)}
    _reset_reverse(get_primitive(fun))
    def_rules(fun, vjp=rules)


def defvjp_argnums(fun: Callable, vjpmaker: Callable) -> None:
    """``vjpmaker(argnums, ans, args, kwargs)`` returns ``g -> cotangents of those arguments``."""

    def joint(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
        return list(vjpmaker(argnums, ans, args, kwargs)(g))

    _reset_reverse(get_primitive(fun))
    def_rules(fun, vjp_joint=joint)


def defvjp_argnum(fun: Callable, vjpmaker: Callable) -> None:
    """``vjpmaker(argnum, ans, args, kwargs)`` returns ``g -> cotangent of args[argnum]``."""

    def joint(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
        return [vjpmaker(a, ans, args, kwargs)(g) for a in argnums]

    _reset_reverse(get_primitive(fun))
    def_rules(fun, vjp_joint=joint)


# ----- forward mode ---------------------------------------------------------------


def translate_jvp(jvpfun: Any, fun: Callable, argnum: int) -> Callable:
    """autograd's JVP for one argument: ``None`` is zero, ``"same"`` means ``fun`` is linear in it."""
    if jvpfun is None:
        return lambda g, ans, *args, **kwargs: vspace(ans).zeros()
    if isinstance(jvpfun, str) and jvpfun == "same":
        return lambda g, ans, *args, **kwargs: fun(*subval(args, argnum, g), **kwargs)
    if callable(jvpfun):
        return jvpfun
    raise TypeError(f"bad JVP {jvpfun!r} for {_name(fun)}")


def defjvp(fun: Callable, *jvpfuns: Any, argnums: Optional[Iterable[int]] = None) -> None:
    """Define the JVPs of primitive ``fun``, autograd's way, replacing its forward-mode rules.

    ``jvpfun(g, ans, *args, **kwargs)`` is the output tangent for tangent ``g``
    of that argument; ``"same"`` means ``fun`` is linear in it; ``None`` zero.

    >>> import tapegrad
    >>> from tapegrad.extend import primitive
    >>> @primitive
    ... def triple(x):
    ...     return 3 * x
    >>> defjvp(triple, "same")
    >>> float(tapegrad.deriv(triple)(1.0))
    3.0
    """
    nums = count() if argnums is None else argnums
    rules = {a: translate_jvp(jf, fun, a) for a, jf in zip(nums, jvpfuns)}
    _reset_forward(get_primitive(fun))
    def_rules(fun, jvp=rules)


def _sum_tangents(tangents: Iterable[Any]) -> Any:
    total = None
    for t in tangents:
        if t is not None:
            total = t if total is None else total + t
    return total


def defjvp_argnums(fun: Callable, jvpmaker: Callable) -> None:
    """``jvpmaker(argnums, gs, ans, args, kwargs)`` is the output tangent for tangents ``gs``."""
    _reset_forward(get_primitive(fun))
    def_rules(fun, jvp_joint=lambda argnums, tangents, ans, args, kwargs: jvpmaker(argnums, tangents, ans, args, kwargs))


def defjvp_argnum(fun: Callable, jvpmaker: Callable) -> None:
    """``jvpmaker(argnum, g, ans, args, kwargs)`` is the output tangent for tangent ``g`` of one argument."""

    def joint(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
        return _sum_tangents(jvpmaker(a, t, ans, args, kwargs) for a, t in zip(argnums, tangents))

    _reset_forward(get_primitive(fun))
    def_rules(fun, jvp_joint=joint)


def def_linear(fun: Callable, *argnums: int) -> None:
    """Declare ``fun`` linear in each of ``argnums`` (autograd's form: every argument, when none
    is given): its JVP there is ``fun`` applied to the tangent.

    >>> import tapegrad
    >>> from tapegrad.extend import primitive
    >>> @primitive
    ... def scale(x, k):
    ...     return x * k
    >>> def_linear(scale)
    >>> float(tapegrad.deriv(scale)(1.0, 5.0))
    5.0
    """
    if not argnums:
        defjvp_argnum(fun, lambda argnum, g, ans, args, kwargs: fun(*subval(args, argnum, g), **kwargs))
        return

    def linear_in(argnum: int) -> Callable:
        def jvp(x_dot: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
            return fun(*args[:argnum], x_dot, *args[argnum + 1:], **kwargs)

        return jvp

    def_rules(fun, jvp={a: linear_in(a) for a in argnums})


identity_vjp = lambda argnums, *args: lambda g: g  # noqa: E731 - autograd's names
identity_jvp = lambda g, *args, **kwargs: g  # noqa: E731


# ----- autograd's rule tables, as views of the rule records --------------------------


class _RuleTable(MutableMapping):
    """``{primitive: rule maker}`` in autograd's form, reading and writing tapegrad's records.

    ``table[f]`` is a maker in autograd's form; ``table[f] = maker`` defines
    ``f``'s rules from one; ``del table[f]`` (or ``pop``) removes them, after
    which a traced value reaching ``f`` raises NonDifferentiableError. A maker
    taken from the table and put back restores the rules exactly.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def _has_rules(self, prim: Primitive) -> bool:
        if self.mode == "reverse":
            return bool(prim.vjps) or prim.vjp_joint is not None
        return bool(prim.jvps) or prim.jvp_joint is not None

    def _prim(self, fun: Any) -> Primitive:
        prim = getattr(fun, "_primitive", None)
        if not isinstance(prim, Primitive) or not self._has_rules(prim):
            raise KeyError(fun)
        return prim

    def __getitem__(self, fun: Any) -> Callable:
        prim = self._prim(fun)
        if self.mode == "reverse":
            saved = (dict(prim.vjps), prim.vjp_joint, prim.reads)
            table, joint = saved[0], saved[1]

            def vjpmaker(argnums: tuple, ans: Any, args: tuple, kwargs: dict) -> Callable:
                rules = aligned_rules(prim, joint, table, tuple(argnums), "reverse")
                if rules is None:
                    return lambda g: tuple(map(dense, joint(tuple(argnums), g, ans, tuple(args), kwargs)))
                return lambda g: tuple(dense(rule(g, ans, *args, **kwargs)) for rule in rules)

            vjpmaker.saved_rules = saved  # type: ignore[attr-defined]
            return vjpmaker
        saved = (dict(prim.jvps), prim.jvp_joint, dict(prim.value_and_jvp))
        table, joint = saved[0], saved[1]

        def jvpmaker(argnums: tuple, gs: Any, ans: Any, args: tuple, kwargs: dict) -> Any:
            rules = aligned_rules(prim, joint, table, tuple(argnums), "forward")
            if rules is None:
                return joint(tuple(argnums), tuple(gs), ans, tuple(args), kwargs)
            return _sum_tangents(rule(g, ans, *args, **kwargs) for rule, g in zip(rules, gs))

        jvpmaker.saved_rules = saved  # type: ignore[attr-defined]
        return jvpmaker

    def __setitem__(self, fun: Any, maker: Callable) -> None:
        prim = get_primitive(fun)
        saved = getattr(maker, "saved_rules", None)
        if self.mode == "reverse":
            _reset_reverse(prim)
            if saved is not None:
                prim.vjps, prim.vjp_joint, prim.reads = dict(saved[0]), saved[1], saved[2]
            else:
                defvjp_argnums(fun, maker)
        else:
            _reset_forward(prim)
            if saved is not None:
                prim.jvps, prim.jvp_joint, prim.value_and_jvp = dict(saved[0]), saved[1], dict(saved[2])
            else:
                defjvp_argnums(fun, maker)

    def __delitem__(self, fun: Any) -> None:
        prim = self._prim(fun)
        if self.mode == "reverse":
            _reset_reverse(prim)
        else:
            _reset_forward(prim)

    def __iter__(self) -> Iterator[Callable]:
        return iter([p.wrapper for p in list(ALL_PRIMITIVES) if self._has_rules(p)])

    def __len__(self) -> int:
        return sum(1 for p in list(ALL_PRIMITIVES) if self._has_rules(p))

    def __contains__(self, fun: object) -> bool:
        prim = getattr(fun, "_primitive", None)
        return isinstance(prim, Primitive) and self._has_rules(prim)

    def __repr__(self) -> str:
        return f"<tapegrad {self.mode}-mode rule table: {len(self)} primitives>"


primitive_vjps = _RuleTable("reverse")
primitive_jvps = _RuleTable("forward")


# ----- autograd's deprecated ways (they warn, and work) ---------------------------------

deprecated_defvjp_message = (
    "\nThe {} method is deprecated. See the update guide and tutorial:\n"
    "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md\n"
    "https://github.com/HIPS/autograd/blob/master/docs/tutorial.md"
)


# Each deprecated method is bound to its primitive with types.MethodType, its state kept on the
# primitive's wrapper once used: every primitive made by primitive_with_deprecation_warnings
# (tapegrad.numpy's too) carries three, so they cost one small object each, not closures.


def _state(fun: Callable, key: str, kind: type) -> Any:
    try:
        return fun.__dict__[key]
    except KeyError:
        value = fun.__dict__[key] = kind()
        return value


def _defvjp_unstaged(fun: Callable, vjpfun: Callable, argnum: int = 0) -> None:
    warnings.warn(deprecated_defvjp_message.format("defvjp"), stacklevel=2)

    def maker(ans: Any, *args: Any, **kwargs: Any) -> Callable:
        return lambda g: vjpfun(g, ans, vspace(args[argnum]), vspace(g), *args, **kwargs)

    makers = _state(fun, "_deprecated_vjps", dict)
    makers[argnum] = maker
    nums = sorted(makers)
    defvjp(fun, *[makers[a] for a in nums], argnums=nums)


def _defvjp_is_zero(fun: Callable, argnums: Iterable[int] = (0,)) -> None:
    warnings.warn(deprecated_defvjp_message.format("defvjp_is_zero"), stacklevel=2)
    zero = _state(fun, "_deprecated_zero", set)
    zero.update(argnums)
    nums = sorted(zero)
    defvjp(fun, *[None] * len(nums), argnums=nums)


def _defgrad(fun: Callable, gradfun: Callable, argnum: int = 0) -> None:
    warnings.warn(deprecated_defvjp_message.format("defgrad"), stacklevel=2)
    makers = _state(fun, "_deprecated_grads", dict)
    makers[argnum] = gradfun
    nums = sorted(makers)
    defvjp(fun, *[makers[a] for a in nums], argnums=nums)


def deprecated_defvjp(fun: Callable) -> Callable:
    """``fun.defvjp(vjpfun, argnum=0)`` of autograd 1.1: ``vjpfun(g, ans, vs, gvs, *args)``."""
    return MethodType(_defvjp_unstaged, fun)


def deprecated_defvjp_is_zero(fun: Callable) -> Callable:
    """``fun.defvjp_is_zero(argnums=(0,))`` of autograd 1.1: those arguments get zero derivatives."""
    return MethodType(_defvjp_is_zero, fun)


def deprecated_defgrad(fun: Callable) -> Callable:
    """``fun.defgrad(gradfun, argnum=0)`` of autograd 1.1: ``gradfun(ans, *args)`` returns ``g -> cotangent``."""
    return MethodType(_defgrad, fun)


def primitive_with_deprecation_warnings(f_raw: Callable, name: Optional[str] = None) -> Callable:
    """:func:`primitive`, with autograd 1.1's ``defvjp``/``defvjp_is_zero``/``defgrad`` methods (deprecated).

    ``autograd.primitive`` and ``autograd.core.primitive`` are this one.

    >>> import warnings
    >>> import tapegrad
    >>> @primitive_with_deprecation_warnings
    ... def double(x):
    ...     return 2 * x
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     double.defgrad(lambda ans, x: lambda g: 2 * g)
    >>> len(caught), tapegrad.grad(double)(1.0)
    (1, 2.0)
    """
    wrapped = primitive(f_raw, name)
    wrapped.defvjp = deprecated_defvjp(wrapped)  # type: ignore[attr-defined]
    wrapped.defvjp_is_zero = deprecated_defvjp_is_zero(wrapped)  # type: ignore[attr-defined]
    wrapped.defgrad = deprecated_defgrad(wrapped)  # type: ignore[attr-defined]
    return wrapped

"""Functions defined by composing primitives.

A composite runs NumPy's own implementation on plain values (fast, exact) and,
when a traced value is among its arguments, the tapegrad definition, whose
derivatives in every mode and order follow from its primitives. Results that
share the first argument's memory are its views, as NumPy's are.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..core import Box
from ._wrap import dispatches
from .memory import link


def _has_box(args: tuple, kwargs: dict) -> bool:
    return any(_holds_box(a) for a in args) or any(_holds_box(v) for v in kwargs.values())


def _holds_box(a: Any) -> bool:
    """A box, or a (nested) list or tuple holding one."""
    if isinstance(a, Box):
        return True
    return isinstance(a, (list, tuple)) and any(_holds_box(b) for b in a)


def _views_of(base: Box, out: Any) -> Any:
    """The results that NumPy made views of ``base`` (``atleast_2d``, ``split``...) linked as views."""
    if type(out) is list:
        return [link(base, o) for o in out]
    if type(out) is tuple:
        return tuple(link(base, o) for o in out)
    return link(base, out)


def composite(np_fun: Callable, name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator: ``np_fun`` on plain values, the decorated definition on traced ones."""

    def decorate(traced: Callable) -> Callable:
        @functools.wraps(traced)
        def fun(*args: Any, **kwargs: Any) -> Any:
            if _has_box(args, kwargs):
                out = traced(*args, **kwargs)
                return _views_of(args[0], out) if args and isinstance(args[0], Box) else out
            return np_fun(*args, **kwargs)

        fun.traced = traced  # type: ignore[attr-defined]
        return dispatches(np_fun, name)(fun)

    return decorate

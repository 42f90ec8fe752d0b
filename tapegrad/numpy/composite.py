"""Functions defined by composing primitives.

A composite runs NumPy's own implementation on plain values (fast, exact) and,
when a traced value is among its arguments, the tapegrad definition, whose
derivatives in every mode and order follow from its primitives. Results that
share the first argument's memory are its views, as NumPy's are.
"""

from __future__ import annotations

from collections.abc import Iterator, MappingView
from typing import Any, Callable

from ..core import Box
from ..core.primitive import take_identity
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


def _listed(arrays: Any) -> Any:
    """A first argument that is an iterator or a dict view (``d.values()``) as a list; others as they are."""
    return list(arrays) if isinstance(arrays, (Iterator, MappingView)) else arrays


def composite(np_fun: Callable, name: str | None = None, sequence: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: ``np_fun`` on plain values, the decorated definition on traced ones.

    ``sequence``: the first argument is a sequence of arrays, which may also be
    given as any iterable (a generator, ``d.values()``), as autograd's stacking
    functions take it.
    """

    def decorate(traced: Callable) -> Callable:
        def fun(*args: Any, **kwargs: Any) -> Any:
            if sequence and args:
                args = (_listed(args[0]),) + args[1:]
            if _has_box(args, kwargs):
                out = traced(*args, **kwargs)
                return _views_of(args[0], out) if args and isinstance(args[0], Box) else out
            return np_fun(*args, **kwargs)

        take_identity(fun, traced, traced.__name__)
        fun.traced = traced  # type: ignore[attr-defined]
        fun.__name__ = getattr(np_fun, "__name__", fun.__name__)  # NumPy's, as autograd's wrappers keep it
        return dispatches(np_fun, name)(fun)

    return decorate

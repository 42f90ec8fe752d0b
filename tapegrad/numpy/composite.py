"""Functions defined by composing primitives.

A composite runs NumPy's own implementation on plain values (fast, exact) and,
when a traced value is among its arguments, the tapegrad definition, whose
derivatives in every mode and order follow from its primitives.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..core import Box
from ._wrap import dispatches


def _has_box(args: tuple, kwargs: dict) -> bool:
    for a in args:
        if isinstance(a, Box):
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(b, Box) for b in a):
            return True
    return any(isinstance(v, Box) for v in kwargs.values())


def composite(np_fun: Callable, name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator: ``np_fun`` on plain values, the decorated definition on traced ones."""

    def decorate(traced: Callable) -> Callable:
        @functools.wraps(traced)
        def fun(*args: Any, **kwargs: Any) -> Any:
            if _has_box(args, kwargs):
                return traced(*args, **kwargs)
            return np_fun(*args, **kwargs)

        fun.traced = traced  # type: ignore[attr-defined]
        return dispatches(np_fun, name)(fun)

    return decorate

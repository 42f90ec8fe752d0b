"""NumPy functions that tapegrad has no rules for yet.

They work on plain values; a traced value reaching one raises an error naming
it. The coverage test lists them, so that the list only shrinks.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import Box, NonDifferentiableError
from ..core.primitive import take_identity

_CACHE: dict = {}


def _has_box(args: tuple, kwargs: dict) -> bool:
    def check(a: Any) -> bool:
        if isinstance(a, Box):
            return True
        if isinstance(a, (list, tuple)):
            return any(check(b) for b in a)
        return False

    return any(check(a) for a in args) or any(check(v) for v in kwargs.values())


def lookup(np_fun: Callable, qualname: str | None = None) -> Callable:
    """A stand-in for ``np_fun`` that refuses traced values with a clear message."""
    ours = _CACHE.get(np_fun)
    if ours is not None:
        return ours
    name = qualname or f"numpy.{getattr(np_fun, '__name__', np_fun)}"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        if _has_box(args, kwargs):
            raise NonDifferentiableError(
                f"{name} has no derivative rule in tapegrad, and a traced value reached it. "
                "Rewrite it with differentiable tapegrad.numpy functions, define its rules with "
                "tapegrad.extend.primitive/defvjp/defjvp, or pass tapegrad.stop_gradient(x) if no "
                "derivative should flow through it."
            )
        return np_fun(*args, **kwargs)

    take_identity(refuse, np_fun, name.rpartition(".")[2])
    refuse.missing = True  # type: ignore[attr-defined]
    _CACHE[np_fun] = refuse
    return refuse


def is_function(obj: Any) -> bool:
    return callable(obj) and not isinstance(obj, type) and not isinstance(obj, _np.dtype)

"""Helpers shared by the ``tapegrad.scipy`` modules."""

from __future__ import annotations

from typing import Any, Callable

import numpy as _np

from ..core import NonDifferentiableError, getval


def static(x: Any) -> Any:
    """The plain value under any boxes, as an array (for masks and shapes only)."""
    return _np.asarray(getval(x))


def safe(mask: Any, x: Any, fill: float) -> Any:
    """``x`` where ``mask`` holds, ``fill`` elsewhere: the inner half of the double-``where``.

    Evaluating a formula on ``safe(mask, x, fill)`` and selecting with the same
    mask keeps non-finite values of the unused branch out of the derivatives.
    """
    from ..numpy import where

    return where(mask, x, fill)


def refuse(name: str, arg: str, why: str) -> Callable:
    """A rule that raises a clear error: the derivative w.r.t. ``arg`` is not provided."""

    def rule(*args: Any, **kwargs: Any) -> Any:
        raise NonDifferentiableError(
            f"{name}: the derivative with respect to {arg} is not implemented ({why}). "
            f"Pass a constant {arg}, or wrap it with tapegrad.stop_gradient."
        )

    return rule

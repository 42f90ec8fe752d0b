"""Small helpers (autograd's ``autograd.util``), and its deprecated ``quick_grad_check``.

>>> subvals((1, 2, 3), [(1, "b")])
(1, 'b', 3)
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from .core import func
from .core.nodes import toposort
from .core.rules import subval, subvals

__all__ = ["subvals", "subval", "func", "toposort", "quick_grad_check", "deprecation_msg"]


deprecation_msg = (
    "\nThe quick_grad_check function is deprecated. See the update guide:\n"
    "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md"
)


def quick_grad_check(fun: Callable, arg0: Any, extra_args: tuple = (), kwargs: dict | None = None,
                     verbose: bool = True, eps: float = 1e-4, rtol: float = 1e-4, atol: float = 1e-6,
                     rs: Any = None) -> None:
    """Deprecated (as in autograd): check ``fun``'s reverse-mode gradient at ``arg0``; use ``check_grads``.

    >>> import warnings
    >>> import tapegrad.numpy as np
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     quick_grad_check(lambda x: np.sum(np.sin(x)), np.array([0.1, 0.2]))
    """
    warnings.warn(deprecation_msg, stacklevel=2)
    from .test_util import check_grads

    kwargs = {} if kwargs is None else kwargs
    check_grads(lambda x: fun(x, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)

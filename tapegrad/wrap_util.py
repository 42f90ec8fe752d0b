"""Building n-ary differential operators from unary ones (autograd's ``autograd.wrap_util``).

A unary operator takes a function of one value and that value
(``op(fun, x)``); :func:`unary_to_nary` makes it an operator on functions of
several arguments, differentiating with respect to ``argnum`` (an int, or a
tuple of ints for a tuple of arguments), as ``grad`` and ``jacobian`` do.

>>> from tapegrad.core import make_vjp
>>> @unary_to_nary
... def my_grad(fun, x):
...     vjp, ans = make_vjp(fun, x)
...     return vjp(1.0)
>>> def f(x, y):
...     return x * y * y
>>> my_grad(f, 1)(2.0, 3.0)
12.0
>>> my_grad(f, 1).__name__
'my_grad_of_f_wrt_argnum_1'
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Union

from .core.rules import subvals

__all__ = ["unary_to_nary", "wraps", "wrap_nary_f", "get_name", "get_doc", "subvals"]


def get_name(f: Any) -> str:
    """``f.__name__``, or ``"[unknown name]"``."""
    return getattr(f, "__name__", "[unknown name]")


def get_doc(f: Any) -> str:
    """``f.__doc__``, or ``""``."""
    return getattr(f, "__doc__", "")


def wraps(fun: Any, namestr: str = "{fun}", docstr: str = "{doc}", **kwargs: Any) -> Callable[[Callable], Callable]:
    """A decorator naming and documenting a function after ``fun``.

    ``namestr`` and ``docstr`` are format strings, given ``fun`` (its name),
    ``doc`` (its docstring) and ``kwargs``. Functions whose name cannot be set
    are returned unchanged.

    >>> def sin_twice(x):
    ...     "Twice the sine."
    >>> @wraps(sin_twice, "{fun}_{what}", "{doc} Or so.", what="copy")
    ... def other(x):
    ...     pass
    >>> other.__name__, other.__doc__
    ('sin_twice_copy', 'Twice the sine. Or so.')
    """

    def decorate(f: Callable) -> Callable:
        try:
            f.__name__ = namestr.format(fun=get_name(fun), **kwargs)
            f.__doc__ = docstr.format(fun=get_name(fun), doc=get_doc(fun), **kwargs)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError):
            pass
        return f

    return decorate


_NARY_DOC = """\
    {op} of function {fun} with respect to argument number {argnum}. Takes the
    same arguments as {fun} but returns the {op}.
    """


def wrap_nary_f(fun: Any, op: Any, argnum: Any) -> Callable[[Callable], Callable]:
    """Name and document ``op`` applied to ``fun`` (``grad_of_f_wrt_argnum_0``)."""
    return wraps(fun, "{op}_of_{fun}_wrt_argnum_{argnum}", _NARY_DOC, op=get_name(op), argnum=argnum)


def unary_to_nary(unary_operator: Callable) -> Callable:
    """Make ``unary_operator(fun, x, *op_args, **op_kwargs)`` an operator on n-ary functions.

    The result is ``nary_operator(fun, argnum=0, *op_args, **op_kwargs)``,
    which returns ``f(*args, **kwargs)``: ``unary_operator`` applied to ``fun``
    seen as a function of ``args[argnum]`` (a tuple of arguments for a tuple
    ``argnum``) alone, at its value.
    """

    @wraps(unary_operator)
    def nary_operator(fun: Callable, argnum: Union[int, Sequence[int]] = 0, *nary_op_args: Any,
                      **nary_op_kwargs: Any) -> Callable:
        if type(argnum) not in (int, tuple, list):
            raise TypeError(f"argnum must be an int, or a tuple or list of ints, not {argnum!r}")

        @wrap_nary_f(fun, unary_operator, argnum)
        def nary_f(*args: Any, **kwargs: Any) -> Any:
            @wraps(fun)
            def unary_f(x: Any) -> Any:
                full = list(args)
                if isinstance(argnum, int):
                    full[argnum] = x
                else:
                    for i, xi in zip(argnum, x):
                        full[i] = xi
                return fun(*full, **kwargs)

            x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            return unary_operator(unary_f, x, *nary_op_args, **nary_op_kwargs)

        return nary_f

    return nary_operator

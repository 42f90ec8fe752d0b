"""The differential operators: ``grad``, ``jacobian``, ``hessian`` and friends.

All are built on the two engine calls :func:`tapegrad.core.make_vjp` (reverse
mode) and :func:`tapegrad.core.make_jvp` (forward mode). ``argnum`` may be an
int or a tuple of ints everywhere, counted as Python indices are (``-1`` is the
last positional argument); with a tuple, results are tuples. Arguments that
are ``numpy.matrix`` are refused, and ``grad`` refuses complex outputs, as
autograd does.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
import warnings
from math import isfinite as _isfinite
from typing import Any, Callable, Optional, Sequence, Union

import numpy as _onp

from .core import (
    Box, InputTypeError, NotScalarError, TapegradError, TraceLeakError, def_rules, getval, primitive, vspace,
)
from .core import make_jvp as _make_jvp
from .core import make_vjp as _make_vjp
from .core.box import is_finished
from .core.batching import vmap
from .core.state import STATE
from .numpy.ufuncs import ieee_products
from .sweeps import jvp_columns, vjp_rows
from .wrap_util import _NARY_DOC, get_name

Argnum = Union[int, Sequence[int]]


class ArgnumError(TapegradError, IndexError):
    """An ``argnum`` that names no positional argument of the call."""


def _argnum_index(argnum: Any, nargs: int) -> int:
    """``argnum`` as an index into ``nargs`` positional arguments; negative counts from the end."""
    try:
        i = operator.index(argnum)
    except TypeError:
        raise TypeError(f"argnum must be an int or a tuple of ints, not {argnum!r}") from None
    if not -nargs <= i < nargs:
        raise ArgnumError(
            f"argnum={i} names no argument: the function was called with {nargs} positional "
            f"argument{'s' if nargs != 1 else ''}, so argnum must be in {-nargs}..{nargs - 1}"
            " (negative values count from the end, as Python indices do). Pass the argument to "
            "differentiate positionally, or choose another argnum."
            if nargs else
            f"argnum={i} names no argument: the function was called with no positional "
            "arguments. Pass the argument to differentiate positionally."
        )
    return i % nargs


def _is_int(argnum: Any) -> bool:
    return isinstance(argnum, (int, _onp.integer))


def _reject_matrices(values: Any, where: str) -> None:
    """``numpy.matrix`` arguments are refused: their operators are not the arrays' (``*`` multiplies matrices)."""
    if isinstance(values, _onp.matrix):
        raise InputTypeError(
            f"{where} is a numpy.matrix; tapegrad differentiates arrays, not numpy.matrix (whose * "
            "and ** are matrix products and powers, and which stays 2-D). Convert it with "
            "np.asarray(m) and use @ for matrix products."
        )
    if isinstance(values, (list, tuple)):
        for i, v in enumerate(values):
            _reject_matrices(v, f"{where}[{i}]")
    elif isinstance(values, dict):
        for k, v in values.items():
            _reject_matrices(v, f"{where}[{k!r}]")


def _check_inputs(args: tuple, kwargs: dict) -> None:
    for i, a in enumerate(args):
        if type(a) in _PLAIN_INPUTS:
            continue
        _reject_matrices(a, f"argument {i}")
    for k, v in kwargs.items():
        _reject_matrices(v, f"keyword argument {k!r}")


# Argument types that hold no numpy.matrix: skipped by the input check without a look inside.
_PLAIN_INPUTS = frozenset({float, int, complex, bool, str, type(None), _onp.ndarray, _onp.float64})


def _unary(fun: Callable, argnum: Argnum, args: tuple, kwargs: dict) -> tuple[Callable, Any]:
    """``fun`` as a function of the selected argument(s) only, and their values.

    ``argnum`` counts as Python indices do (``-1`` is the last positional argument).
    """
    _check_inputs(args, kwargs)
    if _is_int(argnum):
        i = _argnum_index(argnum, len(args))
        before, after = args[:i], args[i + 1:]

        def unary(x: Any) -> Any:
            try:
                return fun(*before, x, *after, **kwargs)
            except ValueError as e:
                raise _explained(e) from e

        return unary, args[i]
    if not isinstance(argnum, (tuple, list)):
        raise TypeError(f"argnum must be an int or a tuple of ints, not {argnum!r}")
    argnum = tuple(_argnum_index(a, len(args)) for a in argnum)

    def unary_tuple(xs: Any) -> Any:
        full = list(args)
        for i, x in zip(argnum, xs):
            full[i] = x
        try:
            return fun(*full, **kwargs)
        except ValueError as e:
            raise _explained(e) from e

    return unary_tuple, tuple(args[i] for i in argnum)


def _explained(e: ValueError) -> Exception:
    """NumPy's own message when a traced scalar is written into a plain array, made actionable.

    NumPy converts the element itself and replaces tapegrad's explanation with
    "setting an array element with a sequence"; inside a differentiated
    function that almost always means ``plain_array[i] = traced_scalar``.
    """
    if "setting an array element with a sequence" not in str(e):
        return e
    return TraceLeakError(
        f"{e} -- inside a differentiated function this usually means a traced value was written "
        "into an element of a plain NumPy array (plain[i] = x), where its derivative would be "
        "lost. Create the array with tapegrad.numpy (np.zeros, np.array, np.copy...) inside the "
        "function so that it can hold traced values, or build the result with np.stack."
    )


def _nary(op_name: str, fun: Callable, argnum: Argnum) -> Callable[[Callable], Callable]:
    """Name and document an operator's result as autograd does (``grad_of_f_wrt_argnum_0``)."""

    def decorate(f: Callable) -> Callable:
        functools.update_wrapper(f, fun, updated=())
        name = get_name(fun)
        f.__name__ = f"{op_name}_of_{name}_wrt_argnum_{argnum}"
        f.__qualname__ = f.__name__
        f.__doc__ = _NARY_DOC.format(op=op_name, fun=name, argnum=argnum)
        del f.__wrapped__  # the signature is the wrapped function's, but it is not that function
        return f

    return decorate


_SCALAR_ONES = {float: 1.0, _onp.float64: 1.0}
_BOOLS = (bool, _onp.bool_)


def _scalar_ones(ans: Any, op_name: str) -> Any:
    """The cotangent 1 of a real scalar output; anything else raises (autograd's ``TypeError``)."""
    one = _SCALAR_ONES.get(type(ans))
    if one is not None:
        return one
    value = getval(ans)
    if type(value) in _BOOLS or getattr(getattr(value, "dtype", None), "kind", None) == "b":
        # autograd has no vector space for a bool and raises a TypeError; promoting it would
        # return a gradient of zeros for what is a test (np.allclose, x > 0), not a quantity.
        name = "Grad" if op_name == "grad" else op_name
        raise NotScalarError(
            f"{name} only applies to real scalar-output functions. Try jacobian, elementwise_grad "
            f"or holomorphic_grad. (This function returned a boolean, {value!r:.60}: a comparison "
            "or test has no derivative. Differentiate the quantity it tests instead.)"
        )
    vs = _output_vspace(ans, op_name, "a real scalar (the loss)")
    if vs.size != 1 and isinstance(getval(ans), (tuple, list, dict)):
        raise NotScalarError(
            f"{op_name} needs a function that returns one real scalar, but this one returned a "
            f"{type(getval(ans)).__name__} of {len(getval(ans))} values. Return the loss alone; to get "
            "other values along with its gradient, return (loss, aux) and use tapegrad.grad_and_aux; "
            "for derivatives of several outputs, use tapegrad.jacobian on an array of them."
        )
    if vs.size != 1:
        raise NotScalarError(
            f"{op_name} only applies to functions with a scalar output, but this one returned a "
            f"value of shape {getattr(vs, 'shape', '?')}. Use tapegrad.elementwise_grad for the "
            "sum of the Jacobian's rows, tapegrad.jacobian for the full Jacobian, or reduce the "
            "output to a scalar (e.g. np.sum)."
        )
    if vs.iscomplex:
        # autograd counts a complex scalar as two real outputs and raises this TypeError.
        name = "Grad" if op_name == "grad" else op_name
        raise NotScalarError(
            f"{name} only applies to real scalar-output functions. Try jacobian, elementwise_grad "
            f"or holomorphic_grad. (This function returned a complex value, {ans!r:.60}: take "
            "np.real or np.abs of it for a real loss, or use holomorphic_grad if it is holomorphic.)"
        )
    return vs.ones()


def _output_vspace(ans: Any, op_name: str, wanted: str) -> Any:
    """The vector space of a function's output; an output that is no vector is named as the output."""
    try:
        return vspace(ans)
    except InputTypeError:
        pass
    what = "None (is a return statement missing?)" if ans is None else f"a {type(ans).__name__}, {ans!r:.40}"
    raise NotScalarError(
        f"{op_name} differentiates the output of the function, and needs {wanted}, but the function "
        f"returned {what}."
    ) from None


def make_vjp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``make_vjp(f)(*args)`` returns ``(vjp, f(*args))``; ``vjp(g)`` is ``g`` times the Jacobian.

    >>> import tapegrad.numpy as np
    >>> vjp, ans = make_vjp(np.sin)(0.0)
    >>> float(vjp(2.0))
    2.0
    """

    @_nary("make_vjp", fun, argnum)
    def vjp_maker(*args: Any, **kwargs: Any) -> tuple[Callable, Any]:
        return _make_vjp(*_unary(fun, argnum, args, kwargs))

    return vjp_maker


def make_jvp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``make_jvp(f)(*args)`` returns ``jvp``; ``jvp(v)`` is ``(f(*args), J @ v)`` by forward mode.

    >>> import tapegrad.numpy as np
    >>> ans, tangent = make_jvp(np.sin)(0.0)(3.0)
    >>> float(tangent)
    3.0
    """

    @_nary("make_jvp", fun, argnum)
    def jvp_maker(*args: Any, **kwargs: Any) -> Callable:
        return _make_jvp(*_unary(fun, argnum, args, kwargs))

    return jvp_maker


def _finite(value: Any) -> bool:
    """True unless ``value`` holds a NaN or an infinity."""
    if isinstance(value, float):
        return _isfinite(value)
    try:
        return bool(_onp.all(_onp.isfinite(value)))
    except TypeError:  # not a number: nothing to unmask
        return True


def _loss_gradient(vjp: Callable, ans: Any, op_name: str) -> Any:
    """The gradient of a scalar loss by its ``vjp``: as IEEE arithmetic gives it where the loss is NaN or infinite.

    Derivative rules make zero times an infinite or NaN local derivative zero,
    so that the branch ``np.where`` does not select cannot make a gradient NaN.
    Where the loss itself is NaN or infinite, that NaN reached the output, and
    masking it would give a finite gradient (even zero) for a loss that has
    none: the backward pass then multiplies as IEEE arithmetic does (JAX's and
    PyTorch's gradient).
    """
    one = _scalar_ones(ans, op_name)
    if type(ans) in _SCALAR_ONES:  # a float or a float64: the common case, without a call
        if _isfinite(ans):
            return vjp(one)
    elif _finite(getval(ans)):
        return vjp(one)
    with ieee_products():
        return vjp(one)


def grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The gradient of a scalar-valued ``fun`` with respect to argument ``argnum``.

    >>> import tapegrad.numpy as np
    >>> float(grad(lambda x: np.sin(x * 2) / x)(1.0))
    -1.7415910999199666
    """

    @_nary("grad", fun, argnum)
    def gradfun(*args: Any, **kwargs: Any) -> Any:
        vjp, ans = _make_vjp(*_unary(fun, argnum, args, kwargs))
        if type(ans) in _SCALAR_ONES and _isfinite(ans):  # a finite float loss: the common case, inline
            return vjp(1.0)
        return _loss_gradient(vjp, ans, "grad")

    return gradfun


def value_and_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """Both ``fun(*args)`` and its gradient, from one forward pass (handy for optimisers).

    >>> import tapegrad.numpy as np
    >>> value, g = value_and_grad(lambda x: x ** 2)(3.0)
    >>> float(value), float(g)
    (9.0, 6.0)
    """

    @_nary("value_and_grad", fun, argnum)
    def vg(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        vjp, ans = _make_vjp(*_unary(fun, argnum, args, kwargs))
        if type(ans) in _SCALAR_ONES and _isfinite(ans):
            return ans, vjp(1.0)
        return ans, _loss_gradient(vjp, ans, "value_and_grad")

    return vg


def _strip(x: Any, level: int) -> Any:
    """Remove the boxes of traces at ``level`` and above (a finished trace) from ``x``."""
    if isinstance(x, Box):
        while isinstance(x, Box) and (x._trace.level >= level or is_finished(x._trace)):
            x = x._value
        return x
    if isinstance(x, dict):
        return type(x)((k, _strip(v, level)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        items = [_strip(v, level) for v in x]
        return x._make(items) if hasattr(x, "_make") else type(x)(items)
    return x


def grad_and_aux(fun: Callable, argnum: Argnum = 0) -> Callable:
    """For ``fun`` returning ``(scalar, aux)``: the gradient of the scalar, and ``aux`` as is.

    >>> g, aux = grad_and_aux(lambda x: (x ** 3, "note"))(2.0)
    >>> float(g), aux
    (12.0, 'note')
    """

    @_nary("grad_and_aux", fun, argnum)
    def ga(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        level = STATE.last_level + 1  # the level the trace opened next gets
        saved: list = []

        def main_only(*a: Any, **k: Any) -> Any:
            out = fun(*a, **k)
            try:
                ans, aux = out
            except (TypeError, ValueError):
                what = f"{len(out)} values" if isinstance(out, (tuple, list)) else f"{getval(out)!r:.40}"
                raise TypeError(
                    f"grad_and_aux needs a function that returns a pair (loss, aux), but this one returned "
                    f"{what}. Return (loss, aux), or use tapegrad.grad for a function that returns the loss alone."
                ) from None
            saved.append(aux)
            return ans

        vjp, ans = _make_vjp(*_unary(main_only, argnum, args, kwargs))
        return _loss_gradient(vjp, ans, "grad_and_aux"), _strip(saved[-1], level)

    return ga


def elementwise_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The sum of the Jacobian's rows, in one reverse pass: the derivative of an elementwise function.

    >>> import tapegrad.numpy as np
    >>> elementwise_grad(np.tanh)(np.zeros(3))
    array([1., 1., 1.])
    """

    @_nary("elementwise_grad", fun, argnum)
    def eg(*args: Any, **kwargs: Any) -> Any:
        vjp, ans = _make_vjp(*_unary(fun, argnum, args, kwargs))
        vs = _output_vspace(ans, "elementwise_grad", "an array or a scalar")
        if vs.iscomplex:
            raise TypeError("elementwise_grad only applies to real-valued functions; use holomorphic_grad or jacobian.")
        return vjp(vs.ones())

    return eg


def deriv(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The derivative along the all-ones direction, by forward mode (for scalar inputs: f').

    >>> import tapegrad.numpy as np
    >>> float(deriv(np.sin)(0.0))
    1.0
    """

    @_nary("deriv", fun, argnum)
    def d(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary(fun, argnum, args, kwargs)
        return _make_jvp(unary, x)(vspace(x).ones())[1]

    return d


def _stack_rows(rows: list, out_shape: tuple, in_value: Any) -> Any:
    from . import numpy as np

    in_shape = vspace(in_value).shape
    if not rows:
        return np.zeros(out_shape + in_shape)
    return np.reshape(np.stack(rows), out_shape + in_shape)


def jacobian(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The full Jacobian, of shape ``out.shape + x.shape`` (a tuple of them for a tuple ``argnum``).

    >>> import tapegrad.numpy as np
    >>> jacobian(lambda x: np.array([2 * x[0] ** 2 + 3 * x[1], np.cos(x[0]) + np.sin(x[1])]))(np.array([2.0, 3.0]))
    array([[ 8.        ,  3.        ],
           [-0.90929743, -0.9899925 ]])
    """

    @_nary("jacobian", fun, argnum)
    def jac(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary(fun, argnum, args, kwargs)
        for value in (x,) if _is_int(argnum) else x:
            if getattr(vspace(value), "shape", None) is None:
                raise TypeError(
                    "jacobian and hessian differentiate with respect to an array or a number, not a "
                    f"{type(getval(value)).__name__}. Flatten the parameters into one vector first: "
                    "vector, unflatten = tapegrad.misc.flatten(params), then differentiate "
                    "lambda v: f(unflatten(v)) at vector."
                )
        vjp, ans = _make_vjp(unary, x)
        out_vs = _output_vspace(ans, "jacobian", "an array or a scalar")
        out_shape = getattr(out_vs, "shape", None)
        if out_shape is None:
            raise TypeError("jacobian needs an array (or scalar) output; flatten containers first.")
        return _jacobian_rows(vjp, out_vs, x, argnum)

    return jac


def _jacobian_rows(vjp: Callable, out_vs: Any, x: Any, argnum: Argnum) -> Any:
    """The Jacobian from its rows, ``vjp`` of each basis vector of the output: one batched sweep
    (``sweeps.vjp_rows``), or one sweep per row where that cannot batch."""
    from . import numpy as np

    out_shape = tuple(out_vs.shape)
    if out_vs.size == 1:  # one row: the gradient, in the Jacobian's shape
        row = vjp(next(iter(out_vs.standard_basis())))
        if _is_int(argnum):
            return _one_row(row, out_shape, x)
        return tuple(_one_row(r, out_shape, v) for r, v in zip(row, x))
    stacked = vjp_rows(vjp, out_vs, _size_of(x, argnum))
    if stacked is None:
        rows = [vjp(b) for b in out_vs.standard_basis()]
        if _is_int(argnum):
            return _stack_rows(rows, out_shape, x)
        return tuple(_stack_rows([r[i] for r in rows], out_shape, x[i]) for i in range(len(x)))
    if _is_int(argnum):
        return np.reshape(stacked, out_shape + tuple(vspace(x).shape))
    return tuple(np.reshape(s, out_shape + tuple(vspace(v).shape)) for s, v in zip(stacked, x))


def _size_of(x: Any, argnum: Argnum) -> int:
    """The number of elements of the argument (or arguments) differentiated."""
    return sum(getattr(vspace(v), "size", 0) for v in ((x,) if _is_int(argnum) else x))


def _one_row(row: Any, out_shape: tuple, in_value: Any) -> Any:
    """The Jacobian of a function with one output element, from its one row: a new array, as a stack of
    rows would be (no operation at all on a traced row already of the Jacobian's shape)."""
    from . import numpy as np

    shape = out_shape + tuple(vspace(in_value).shape)
    if not isinstance(row, Box):
        return _onp.array(row).reshape(shape)
    return row if tuple(vspace(row).shape) == shape else np.reshape(row, shape)


def jacrev(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The Jacobian by reverse mode: one forward pass, then one batched backward pass over its rows.

    The same as :func:`jacobian` (JAX's name); cheaper than :func:`jacfwd` when
    the output has fewer elements than the input.

    >>> import tapegrad.numpy as np
    >>> jacrev(lambda x: x[:2] * x[1:])(np.array([1.0, 2.0, 3.0]))
    array([[2., 1., 0.],
           [0., 3., 2.]])
    """
    rev = jacobian(fun, argnum)

    @_nary("jacrev", fun, argnum)
    def jac(*args: Any, **kwargs: Any) -> Any:
        return rev(*args, **kwargs)

    return jac


def jacfwd(fun: Callable, argnum: int = 0) -> Callable:
    """The Jacobian by forward mode: one batched forward pass over its columns (shape ``out.shape + x.shape``).

    Cheaper than :func:`jacobian` when the output has more elements than the
    input (JAX's ``jacfwd``). The function runs once with every tangent at once;
    where forward mode or its batching is not available (complex values, an
    operation without a forward rule), it is :func:`jacobian`'s result.

    >>> import tapegrad.numpy as np
    >>> jacfwd(lambda x: np.outer(x, x))(np.array([1.0, 2.0])).shape
    (2, 2, 2)
    """

    @_nary("jacfwd", fun, argnum)
    def jac(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary(fun, argnum, args, kwargs)
        in_vs = vspace(x)
        if not _is_int(argnum) or getattr(in_vs, "shape", None) is None or in_vs.size == 0:
            return jacobian(fun, argnum)(*args, **kwargs)  # tuples, containers (its error), empty inputs
        columns = jvp_columns(unary, x)
        if columns is None:
            return jacobian(fun, argnum)(*args, **kwargs)
        from . import numpy as np

        in_shape = tuple(vspace(x).shape)
        out_shape = tuple(vspace(columns).shape)[1:]
        return np.reshape(np.moveaxis(columns, 0, -1), out_shape + in_shape)

    return jac


def holomorphic_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The complex derivative of a holomorphic ``fun``.

    >>> import tapegrad.numpy as np
    >>> holomorphic_grad(lambda x: x[0] * 2 + x[1])(np.array([6.0j, 1.0j]))
    array([2.+0.j, 1.+0.j])
    """

    @_nary("holomorphic_grad", fun, argnum)
    def hg(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary(fun, argnum, args, kwargs)
        if not vspace(x).iscomplex:
            warnings.warn("Input to holomorphic_grad is not complex", stacklevel=2)
        from . import numpy as np

        def real_part(z: Any) -> Any:
            out = unary(z)
            _output_vspace(out, "holomorphic_grad", "a scalar")  # None is no output to differentiate
            return np.real(out)

        vjp, ans = _make_vjp(real_part, x)
        return vjp(_scalar_ones(ans, "holomorphic_grad"))

    return hg


def grad_named(fun: Callable, argname: str) -> Callable:
    """The gradient with respect to the argument called ``argname``, passed by position or by keyword.

    >>> float(grad_named(lambda a, b: a * b ** 2, "b")(3.0, 2.0))
    12.0
    >>> float(grad_named(lambda a, b: a * b ** 2, "b")(3.0, b=2.0))
    12.0
    """
    params = list(inspect.signature(fun).parameters)
    if argname not in params:
        raise ValueError(f"grad_named: {get_name(fun)} has no parameter named {argname!r} (its parameters: "
                         f"{', '.join(params)}).")
    index = params.index(argname)
    positional = grad(fun, index)

    def gradfun(*args: Any, **kwargs: Any) -> Any:
        if argname not in kwargs:
            if index >= len(args):
                raise TypeError(f"grad_named: argument {argname!r} of {get_name(fun)} was not passed; pass it, "
                                "by position or by keyword, to differentiate with respect to it.")
            return positional(*args, **kwargs)
        rest = {k: v for k, v in kwargs.items() if k != argname}  # passed by keyword: differentiate it there
        return grad(lambda value: fun(*args, **{argname: value}, **rest))(kwargs[argname])

    return gradfun


def hessian(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The Hessian: the Jacobian of the Jacobian (for a tuple ``argnum``, blocks ``H[i][j]``).

    >>> import tapegrad.numpy as np
    >>> hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    if _is_int(argnum):
        # forward over reverse, as JAX's hessian: one batched forward pass through the gradient's sweep
        twice = jacfwd(jacobian(fun, argnum), argnum)

        @_nary("hessian", fun, argnum)
        def h(*args: Any, **kwargs: Any) -> Any:
            return twice(*args, **kwargs)

        return h
    argnum = tuple(argnum)

    @_nary("hessian", fun, argnum)
    def blocks(*args: Any, **kwargs: Any) -> tuple:
        # H[i][j] = d/dx_j (d f / dx_i): one Jacobian of each gradient block.
        first = jacobian(fun, argnum)
        return tuple(
            jacobian(lambda *a, i=i: first(*a, **kwargs)[i], argnum)(*args)
            for i in range(len(argnum))
        )

    return blocks


def make_hvp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``make_hvp(f)(x)`` returns ``(hvp, grad_f(x))``; ``hvp(v)`` is the Hessian times ``v``.

    The gradient is traced once, so many products at one point are cheap.

    >>> import tapegrad.numpy as np
    >>> hvp, g = make_hvp(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    >>> hvp(np.array([1.0, 0.0]))
    array([6., 0.])
    """

    @_nary("make_hvp", fun, argnum)
    def maker(*args: Any, **kwargs: Any) -> tuple[Callable, Any]:
        unary, x = _unary(fun, argnum, args, kwargs)
        return _make_vjp(grad(unary), x)

    return maker


def hessian_tensor_product(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``f(*args, v)``: the Hessian of ``fun`` times ``v``, by forward-over-reverse mode.

    ``v`` has ``x``'s shape, or extra leading axes holding a batch of vectors:
    their products come from one batched pass, stacked along the same axes.

    >>> import tapegrad.numpy as np
    >>> hessian_tensor_product(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    array([ 0., 12.])
    """

    def htp(*args: Any, **kwargs: Any) -> Any:
        args, v = args[:-1], args[-1]
        unary, x = _unary(fun, argnum, args, kwargs)
        hvp = _make_jvp(grad(unary), x)
        x_shape = getattr(vspace(x), "shape", None) if _is_int(argnum) else None
        return _over_leading_axes(lambda u: hvp(u)[1], v, x_shape)

    return htp


def _over_leading_axes(product: Callable, v: Any, x_shape: Optional[tuple]) -> Any:
    """``product(v)`` for ``v`` of ``x_shape``; for ``v`` with extra leading axes (a batch of vectors),
    every product in one batched pass, stacked along those axes."""
    extra = 0 if x_shape is None else _onp.ndim(getval(v)) - len(x_shape)
    for _ in range(extra):
        product = vmap(product)
    return product(v)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``f(*args, v)``: ``v`` contracted with the Jacobian of ``fun``, ``np.tensordot(v, J, np.ndim(v))``.

    ``v`` has the output's shape (one reverse pass) or its leading axes (one
    reverse pass per entry of the remaining axes, which lead the result).

    >>> import tapegrad.numpy as np
    >>> tensor_jacobian_product(np.sin)(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    array([1., 2.])
    >>> tensor_jacobian_product(lambda x: np.outer(x, x))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([[2., 0.],
           [2., 1.]])
    """

    def tjp(*args: Any, **kwargs: Any) -> Any:
        args, v = args[:-1], args[-1]
        unary, x = _unary(fun, argnum, args, kwargs)
        vjp, ans = _make_vjp(unary, x)
        out_shape = getattr(vspace(ans), "shape", None)
        v_value = getval(v)
        v_shape = _onp.shape(v_value) if isinstance(v_value, _ARRAY_LIKE) else None
        if out_shape is None or v_shape is None or len(v_shape) >= len(out_shape):
            return vjp(v)
        return _contract_leading(vjp, v, tuple(v_shape), tuple(out_shape), ans, x, argnum)

    return tjp


vector_jacobian_product = tensor_jacobian_product
_ARRAY_LIKE = (_onp.ndarray, _onp.generic, float, int, complex)


def _contract_leading(vjp: Callable, v: Any, v_shape: tuple, out_shape: tuple, ans: Any, x: Any,
                      argnum: Argnum) -> Any:
    """``np.tensordot(v, J, v.ndim)`` for ``v`` with fewer axes than the output (as autograd's
    ``tensor_jacobian_product``): one batched reverse pass over the entries of the remaining output
    axes (``sweeps.vjp_rows``), or one pass per entry where that cannot batch."""
    from . import numpy as np

    if out_shape[:len(v_shape)] != v_shape:
        raise ValueError(
            f"tensor_jacobian_product: the vector's shape {v_shape} does not match the leading axes "
            f"of the output's shape {out_shape}; it is contracted with the Jacobian over its "
            f"{len(v_shape)} axes (np.tensordot(v, J, axes=np.ndim(v)))."
        )
    rest = out_shape[len(v_shape):]
    column = np.reshape(v, v_shape + (1,) * len(rest))  # v broadcast over the remaining axes
    rest_vs = vspace(_onp.zeros(rest, dtype=_onp.result_type(getval(ans))))

    def contracted(e: Any) -> Any:
        return vjp(column * e)

    contracted.primitives = getattr(vjp, "primitives", None)  # type: ignore[attr-defined]  # vjp_rows checks them
    width = max(math.prod(out_shape), _size_of(x, argnum))  # the values a row's sweep carries
    stacked = vjp_rows(contracted, rest_vs, width) if rest_vs.size > 1 else None
    if stacked is not None:
        if _is_int(argnum):
            return np.reshape(stacked, rest + tuple(vspace(x).shape))
        return tuple(np.reshape(s, rest + tuple(vspace(v).shape)) for s, v in zip(stacked, x))
    rows = [contracted(e) for e in rest_vs.standard_basis()]
    if _is_int(argnum):
        return _stack_rows(rows, rest, x)
    return tuple(_stack_rows([r[i] for r in rows], rest, x[i]) for i in range(len(x)))


def make_jvp_reversemode(fun: Callable, argnum: Argnum = 0) -> Callable:
    """``make_jvp_reversemode(f)(*args)`` returns ``jvp``; ``jvp(v)`` is ``J @ v``, by reverse mode twice.

    autograd's trick (j-towns.github.io/2017/06/12/A-new-trick.html): the VJP is
    linear in its cotangent, so the VJP of the VJP (taken at a zero cotangent)
    is the JVP. It needs only reverse-mode rules; :func:`make_jvp` (forward
    mode) returns ``(f(*args), J @ v)`` for less work.

    >>> import tapegrad.numpy as np
    >>> jvp = make_jvp_reversemode(lambda x: np.sin(x) * 2.0)(np.array([0.0, 0.0]))
    >>> jvp(np.array([1.0, 3.0]))
    array([2., 6.])
    """

    @_nary("make_jvp_reversemode", fun, argnum)
    def maker(*args: Any, **kwargs: Any) -> Callable:
        vjp, ans = _make_vjp(*_unary(fun, argnum, args, kwargs))
        vjp_vjp, _ = _make_vjp(vjp, vspace(ans).zeros())
        return vjp_vjp

    return maker


def make_ggnvp(f: Callable, g: Callable | None = None, f_argnum: int = 0) -> Callable:
    """Generalised Gauss-Newton products ``J^T H_g J v`` of ``g(f(x))``.

    ``g`` defaults to half the sum of squares over the last axis. ``v`` has
    ``x``'s shape, or extra leading axes holding a batch of vectors: their
    products come from one batched pass, stacked along the same axes.

    >>> import tapegrad.numpy as np
    >>> ggnvp = make_ggnvp(lambda x: 2.0 * x)(np.array([1.0, 2.0]))
    >>> ggnvp(np.array([1.0, 0.0]))
    array([4., 0.])
    >>> ggnvp(np.eye(2))  # both basis vectors at once: the whole matrix J^T H_g J
    array([[4., 0.],
           [0., 4.]])
    """
    from . import numpy as np

    g = g if g is not None else (lambda y: 0.5 * np.sum(y ** 2, axis=-1))

    def maker(*args: Any, **kwargs: Any) -> Callable:
        unary, x = _unary(f, f_argnum, args, kwargs)
        f_vjp, f_x = _make_vjp(unary, x)
        g_hvp, _ = _make_vjp(grad(g), f_x)
        f_jvp = _make_jvp(unary, x)

        x_shape = getattr(vspace(x), "shape", None)

        def ggnvp(v: Any) -> Any:
            return _over_leading_axes(lambda u: f_vjp(g_hvp(f_jvp(u)[1])), v, x_shape)

        return ggnvp

    return maker


def multigrad_dict(fun: Callable) -> Callable:
    """Gradients with respect to every argument, as a dict keyed by parameter name.

    >>> {k: float(v) for k, v in multigrad_dict(lambda a, b=2.0: a * b)(3.0).items()}
    {'a': 2.0, 'b': 3.0}
    """
    sig = inspect.signature(fun)

    def gradfun(*args: Any, **kwargs: Any) -> dict:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        names = list(bound.arguments)

        def of_dict(d: Any) -> Any:
            pos, kw = [], {}
            for name in names:
                p = sig.parameters[name]
                if p.kind is p.VAR_POSITIONAL:
                    pos.extend(d[name])
                elif p.kind is p.VAR_KEYWORD:
                    kw.update({k: d[name][k] for k in bound.arguments[name]})
                elif p.kind is p.KEYWORD_ONLY:
                    kw[name] = d[name]
                else:
                    pos.append(d[name])
            return fun(*pos, **kw)

        g = grad(of_dict)(dict(bound.arguments))
        return {name: g[name] for name in names}

    return gradfun


def _own_copy(x: Any) -> Any:
    """``x`` with each array in it (plain or traced, in lists, tuples and dicts) copied."""
    if isinstance(x, Box):
        if isinstance(getval(x), _onp.ndarray):
            from . import numpy as np

            return np.copy(x)
        return x
    if isinstance(x, _onp.ndarray):
        return _onp.copy(x)  # order 'K': the memory layout the caller's array has
    if isinstance(x, dict):
        return type(x)((k, _own_copy(v)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        items = [_own_copy(v) for v in x]
        return x._make(items) if hasattr(x, "_make") else type(x)(items)
    return x


def _on_copies(fun: Callable) -> Callable:
    """``fun`` called on its own copies of its arguments: its writes into them stay inside."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return fun(*_own_copy(args), **_own_copy(kwargs))

    return call


def checkpoint(fun: Callable) -> Callable:
    """``fun`` whose intermediate values are recomputed in the backward pass instead of stored.

    ``fun`` works on its own copies of its array arguments, both when it runs and
    when it is run again for the derivatives: writes into an argument
    (``a[0] = ...``) change neither the caller's array nor the values the
    recomputation starts from.

    >>> import tapegrad.numpy as np
    >>> float(grad(checkpoint(lambda x: np.sin(x) ** 2))(0.5))  # sin(2x)
    0.8414709848078965
    """
    private = _on_copies(fun)
    wrapped = primitive(private, getattr(fun, "__name__", "checkpoint"))

    def vjp_joint(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> Any:
        return make_vjp(private, argnums)(*args, **kwargs)[0](g)

    def jvp_joint(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
        return make_jvp(private, argnums)(*args, **kwargs)(tuple(tangents))[1]

    def_rules(wrapped, vjp_joint=vjp_joint, jvp_joint=jvp_joint)
    return wrapped


def stop_gradient(x: Any) -> Any:
    """``x`` with no derivative flowing through it, at any order.

    >>> float(grad(lambda x: x * stop_gradient(x))(3.0))
    3.0
    """
    return getval(x)

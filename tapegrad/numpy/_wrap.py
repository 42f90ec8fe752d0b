"""Shared machinery of the NumPy rule tables.

``wrap`` turns a NumPy function into a primitive and records it in the
dispatch tables that let traced values pass through plain ``numpy`` calls
(``__array_ufunc__`` and ``__array_function__``). The helpers below are what
most rules need: undoing broadcasting, and rules built from a derivative.
"""

from __future__ import annotations

import functools
import importlib.util
import operator
import sys
from _thread import RLock, get_ident
from types import ModuleType, SimpleNamespace
from typing import Any, Callable, Optional

import numpy as _np

from ..core import Box, NonDifferentiableError, def_linear, def_rules, getval, notrace_primitive
# The plain primitive: tapegrad.numpy's functions lack autograd 1.1's deprecated methods, as autograd.numpy's do.
from ..core.primitive import primitive

# NumPy callable -> tapegrad callable, for dispatch from plain NumPy.
UFUNCS: dict = {}
FUNCTIONS: dict = {}
# Names of wrapped functions, by kind, for the coverage test and the docs table.
DIFFERENTIABLE: dict[str, Callable] = {}
NONDIFFERENTIABLE: dict[str, Callable] = {}


# Functions of the families that the modules below them call when a rule runs:
# ``ops.sum(g, axis=0)``. The families' rules call one another (a sum's VJP
# broadcasts, a broadcast's VJP sums), so the modules cannot each import what
# they call. Imports go one way, from a module to this base and to the families
# below it; code below a family reaches its functions here, filled by the family
# with ``provide`` as it is imported (every name is there before any rule runs).
ops = SimpleNamespace()


# Public submodules loaded at first use (``lazy_submodule``), and the NumPy modules they stand for.
LAZY_SUBMODULES = {"fft": "numpy.fft", "linalg": "numpy.linalg", "random": "numpy.random"}


class _LazySubmodule(ModuleType):
    """A module whose code has not run yet: the first attribute read runs it (``lazy_submodule``).

    Other threads reading it meanwhile wait for the code to finish (importlib's
    ``LazyLoader`` lets them see a half-made module before Python 3.12); the
    thread running it reads what is there. Once run, the module is a plain
    module, and reads cost nothing more.
    """

    def __getattribute__(self, name: str) -> Any:
        if type(self) is _LazySubmodule and _LOADING.get(id(self)) != get_ident():
            with _LOAD_LOCK:
                if type(self) is _LazySubmodule and id(self) not in _LOADING:
                    _LOADING[id(self)] = get_ident()
                    try:
                        spec = ModuleType.__getattribute__(self, "__spec__")
                        spec.loader.exec_module(self)
                        self.__class__ = ModuleType
                    finally:
                        del _LOADING[id(self)]
        return ModuleType.__getattribute__(self, name)


_LOAD_LOCK = RLock()
_LOADING: dict = {}  # id of a lazy module -> the thread running its code


def lazy_submodule(package: str, name: str) -> ModuleType:
    """``package.name`` as a module object whose code runs when one of its names is first read.

    The module is in ``sys.modules`` and is the package's attribute from the start
    (code that copies the package's namespace copies it), as NumPy's own
    ``numpy.fft`` and ``numpy.random`` are loaded only when used.
    """
    fullname = f"{package}.{name}"
    if fullname in sys.modules:
        return sys.modules[fullname]
    spec = importlib.util.find_spec(fullname)
    assert spec is not None and spec.loader is not None, fullname
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _LazySubmodule
    sys.modules[fullname] = module
    return module


def load_lazy_rules(np_fun: Any) -> Optional[Callable]:
    """``FUNCTIONS[np_fun]`` for a function of ``numpy.fft`` (say), once the submodule that wraps it is loaded."""
    module = getattr(np_fun, "__module__", None) or ""
    for name, np_module in LAZY_SUBMODULES.items():
        if module == np_module or module.startswith(np_module + "."):
            getattr(sys.modules[f"{__package__}.{name}"], "__name__")  # runs a lazy module's code
    return FUNCTIONS.get(np_fun)


def provide(**functions: Callable) -> None:
    """Make a family's functions callable from the modules below it as ``ops.NAME``."""
    for name, fun in functions.items():
        setattr(ops, name, fun)


def _register(np_fun: Any, ours: Callable) -> None:
    if isinstance(np_fun, _np.ufunc):
        UFUNCS[np_fun] = ours
    else:
        FUNCTIONS[np_fun] = ours


def wrap(np_fun: Callable, name: Optional[str] = None, *, compute: Optional[Callable] = None) -> Callable:
    """Make ``np_fun`` a primitive and route plain-NumPy calls on boxes to it.

    ``compute``, if given, is what the primitive computes traced values with
    instead of ``np_fun``: a function that is quicker on the common case and
    returns the same values, bit for bit (``add`` of two Python floats with
    Python's ``+``, as the traced program's own ``x + 1.0`` would). Called on
    plain values, ``tapegrad.numpy.f`` is ``numpy.f`` itself.
    """
    ours = primitive(np_fun, name or np_fun.__name__)
    if compute is not None:
        ours._primitive.fun = compute  # what the binds call for traced values
    if isinstance(np_fun, _np.ufunc):
        ours._primitive.keywords = functools.partial(ufunc_keywords, np_fun)
    ours._primitive.sequences = pack_sequences
    _register(np_fun, ours)
    DIFFERENTIABLE[name or np_fun.__name__] = ours
    return ours


def pack_sequences(args: tuple, kwargs: dict) -> Optional[tuple[tuple, dict]]:
    """Lists and tuples holding traced values, among the arguments, made traced arrays (None if none).

    The ``sequences`` hook of every wrapped NumPy function: ``np.mean([x, y])``
    is ``np.mean(np.array([x, y]))``, as NumPy would convert the list itself.
    """

    changed = False

    def pack(a: Any) -> Any:
        nonlocal changed
        if type(a) in (list, tuple) and ops.contains_box(a):
            changed = True
            return ops.as_array(a)
        return a

    args = tuple(pack(a) for a in args)
    kwargs = {k: pack(v) for k, v in kwargs.items()}
    return (args, kwargs) if changed else None


# Ufunc keywords that do not change the values a differentiable ufunc computes.
_LAYOUT_KEYWORDS = frozenset({"casting", "order", "subok"})


def ufunc_keywords(ufunc: _np.ufunc, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """A traced ufunc call's keywords, for rules that take none (``Primitive.keywords``).

    ``dtype=`` casts the inputs first, as NumPy does; ``casting``, ``order`` and
    ``subok`` change no value; ``out=`` (with ``where=``) writes the result into
    ``out``; ``where=`` without ``out=`` and the rest are refused by name.
    """
    rest = {k: v for k, v in kwargs.items() if k not in _LAYOUT_KEYWORDS}
    dtype = rest.pop("dtype", None)
    out = rest.pop("out", None)
    where = rest.pop("where", True) if out is not None else True
    if "axes" in rest and ufunc is _np.matmul and out is not None:
        inplace_matmul_axes(args, out, rest.pop("axes"))
    if rest:
        raise NonDifferentiableError(
            f"{ufunc_name(ufunc)}(..., {', '.join(f'{k}=' for k in rest)}) on a traced value is not "
            "supported by tapegrad: instead of where=, compute everywhere and select with "
            "where(mask, result, other); instead of out=, assign the result (y[...] = result)."
        )
    if out is not None:
        target = getval(out[0] if isinstance(out, tuple) else out)
        if isinstance(target, _np.ndarray) and not target.flags.writeable:
            raise ValueError("output array is read-only")  # NumPy checks this before the operands' types
    if dtype is not None:
        args = tuple(x.astype(dtype) if isinstance(x, Box) else _np.asarray(x, dtype=dtype) for x in args)
    if out is not None:
        return args, {}, functools.partial(_into_out, ufunc, out, where)
    return args, {}


def inplace_matmul_axes(args: tuple, out: Any, axes: Any) -> None:
    """``plain @= y``: NumPy's ``matmul(plain, y, out=(plain,), axes=...)`` with the core axes of matmul itself
    (which keep the result the target's shape); NumPy's error, from zeros of the operands' shapes, where they
    do not fit; other axes are refused."""
    target = out[0] if isinstance(out, tuple) else out
    nd = len(_np.shape(getval(target))) if not isinstance(target, Box) else len(target.shape)
    if len(args) != 2 or axes != ([(-1,), (-2, -1), (-1,)] if nd == 1 else [(-2, -1)] * 3):
        raise NonDifferentiableError(
            "numpy.matmul(..., axes=) on a traced value is not supported by tapegrad: move the axes "
            "with np.moveaxis first."
        )
    shapes = [a.shape if isinstance(a, Box) else _np.shape(a) for a in (*args, target)]
    _np.matmul(_np.zeros(shapes[0]), _np.zeros(shapes[1]), out=_np.zeros(shapes[2]), axes=axes)


def ufunc_name(ufunc: Any) -> str:
    """The name users know a ufunc by: ``numpy.add``, ``scipy.special.struve`` (SciPy's named as SciPy's).

    >>> ufunc_name(_np.add)
    'numpy.add'
    """
    name = getattr(ufunc, "__name__", repr(ufunc))
    if getattr(_np, name, None) is ufunc:
        return f"numpy.{name}"
    # Another library's ufunc (SciPy's, mostly): the public module, already loaded, that holds it.
    modules = [m for m in ("scipy.special",) if m in sys.modules]
    modules += sorted(m for m in list(sys.modules) if "._" not in m and not m.startswith("_"))
    for module in modules:
        if getattr(sys.modules.get(module), name, None) is ufunc:
            return f"{module}.{name}"
    return f"the ufunc {name}"


def _into_out(ufunc: _np.ufunc, out: Any, where: Any, result: Any) -> Any:
    """A ufunc's ``out=`` (and ``where=``) on traced values: the result written into ``out``, which is returned."""

    target = out[0] if isinstance(out, tuple) else out
    if where is not True:
        mask = getval(where)
        if isinstance(mask, (_np.ndarray, Box)) and mask.dtype != bool:  # an array is cast safely; a list is read as booleans
            raise TypeError(f"Cannot cast array data from {mask.dtype!r} to dtype('bool') according to the rule 'safe'")
        if not isinstance(mask, Box):  # (a box: batched by vmap, each example's own mask)
            mask = _np.asarray(mask, dtype=bool)
        ops.check_cast(ufunc, result, target)  # NumPy's casting error comes before its broadcasting one
        result = ops.where(mask, result, target)
    return ops.write_out(ufunc.__name__, out, result)


def wrap_nondiff(np_fun: Callable, name: Optional[str] = None) -> Callable:
    """Wrap a function whose output carries no derivative (integer, boolean, shape)."""
    ours = notrace_primitive(np_fun)
    _register(np_fun, ours)
    NONDIFFERENTIABLE[name or np_fun.__name__] = ours
    return ours


def dispatches(np_fun: Callable, name: Optional[str] = None) -> Callable[[Callable], Callable]:
    """Decorator: a Python function (not a primitive) that stands in for ``np_fun``."""

    def register(ours: Callable) -> Callable:
        _register(np_fun, ours)
        DIFFERENTIABLE[name or np_fun.__name__] = ours
        return ours

    return register


_REAL_SCALARS = (float, int, _np.float64, _np.float32)
_PYTHON_SCALARS = frozenset({float, int, complex, bool})


def shape_of(x: Any) -> tuple:
    """The shape of an array, scalar or box, without tracing."""
    if type(x) in _PYTHON_SCALARS:
        return ()  # no exception to raise and catch for Python numbers
    return getattr(x, "shape", ())


def plain_array(x: Any) -> Any:
    """``x`` without derivatives, as a NumPy array, for static data that rules compute with NumPy.

    A value batched by ``vmap`` stays what it is (getval stops there): NumPy's
    functions on it map over its examples, where ``numpy.asarray`` could not.
    """
    v = getval(x)
    return v if isinstance(v, Box) else _np.asarray(v)


def is_complex(x: Any) -> bool:
    """True if ``x`` (an array, scalar or box) has a complex dtype."""
    t = type(x)
    if t in _REAL_SCALARS:
        return False
    if t is complex:
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind == "c"


def unbroadcast(g: Any, x: Any) -> Any:
    """Sum the cotangent ``g`` down to the shape of ``x`` (undo broadcasting)."""
    tg = type(g)
    if tg is _np.ndarray:
        g_shape = g.shape
        if type(x) is _np.ndarray:
            x_shape = x.shape
            if g_shape == x_shape and (g.dtype.kind != "c" or x.dtype.kind == "c"):
                return g  # the common case for arrays: nothing to undo
        else:
            x_shape = shape_of(x)
        if g.dtype.kind != "c" or is_complex(x):
            # First order: reduce with NumPy directly, not through the traced sum.
            if (len(g_shape) == 2 and len(x_shape) == 1 and g_shape[1:] == x_shape and g.dtype is _F8
                    and g_shape[0] <= MAX_ONES):
                # a bias added to every row of a float matrix: one BLAS
                # matrix-vector product, 2-5x quicker than the reduction
                return ones_vector(g_shape[0]).dot(g)
            g = _reduce_to(g, x_shape, _np.add.reduce)
            # a Python number's cotangent is float64, whatever precision NumPy's promotion gave the result
            return g.astype(_F8) if type(x) is float and g.dtype != _F8 and g.dtype.kind == "f" else g
    elif tg in _REAL_SCALARS and type(x) in _REAL_SCALARS:
        # scalar code: nothing to undo, but a Python number's cotangent is float64 (as above)
        return _F8.type(g) if tg is _np.float32 and type(x) is float else g
    elif isinstance(g, Box):  # higher order: the same test on the values underneath
        gv, xv = getval(g), getval(x)
        if type(gv) is _np.ndarray and type(xv) is _np.ndarray and gv.shape == xv.shape:
            if gv.dtype.kind != "c" or xv.dtype.kind == "c":
                return g
    if shape_of(g) != shape_of(x):
        g = _reduce_to(g, shape_of(x), ops.sum)
    if is_complex(g) and not is_complex(x):
        g = ops.real(g)
    return g


_F8 = _np.dtype(_np.float64)
MAX_ONES = 1 << 16
_ONES: dict = {}


def ones_vector(n: int) -> Any:
    """A read-only float64 vector of ``n`` ones (the few batch sizes in use are kept)."""
    ones = _ONES.get(n)
    if ones is None:
        if len(_ONES) >= 64:
            _ONES.clear()
        ones = _ONES[n] = _np.ones(n)
        ones.flags.writeable = False
    return ones


_LEADING_AXES = tuple(tuple(range(n)) for n in range(33))  # (), (0,), (0, 1), ...


def _reduce_to(g: Any, x_shape: tuple, add_reduce: Callable) -> Any:
    """``g`` summed over the axes along which ``x_shape`` was broadcast."""
    g_shape = shape_of(g)
    if g_shape == x_shape:
        return g
    extra = len(g_shape) - len(x_shape)
    if extra > 0:
        g = add_reduce(g, axis=_LEADING_AXES[extra])
        if g_shape[extra:] == x_shape:
            return g  # a bias added to every row: the common case
    axes = tuple(i for i, n in enumerate(x_shape) if n == 1 and g_shape[extra + i] != 1)
    if axes:
        g = add_reduce(g, axis=axes, keepdims=True)
    return g


def broadcast_tangent(x_dot: Any, ans: Any) -> Any:
    """Broadcast a tangent to the output's shape (forward mode of broadcasting ops)."""
    if type(x_dot) is _np.ndarray and type(ans) is _np.ndarray and x_dot.shape == ans.shape:
        if x_dot.dtype.kind == "c" or ans.dtype.kind != "c":
            return x_dot  # the common case for arrays: nothing to do
    a_shape = shape_of(ans)
    if shape_of(x_dot) != a_shape:
        x_dot = ops.broadcast_to(x_dot, a_shape)
    if is_complex(ans) and not is_complex(x_dot):
        x_dot = x_dot + 0j
    a_dtype = getattr(getval(ans), "dtype", None)
    if a_dtype is not None and a_dtype.kind in "fc" and type(getval(x_dot)) in _PYTHON_SCALARS:
        x_dot = ops.astype(x_dot, a_dtype)
    return x_dot


def def_elementwise(fun: Callable, *partials: Optional[Callable[..., Any]], combine: Optional[Callable] = None,
                    refused: Optional[dict] = None) -> None:
    """Both modes of an elementwise (broadcasting) function from its partial derivatives.

    ``partials[k](ans, *args)`` is the derivative in argument ``k``; ``None``
    where the function is not differentiable (an order, a shape parameter). The
    VJP multiplies the cotangent by the partial and sums it back to the
    argument's shape (``unbroadcast``); the JVP multiplies the tangent and
    broadcasts it to the output's. As in autograd, a holomorphic function's VJP
    multiplies by the derivative itself (no conjugate).

    ``combine(g, d)`` is how a partial meets a (co)tangent: ``g * d`` by
    default; ``ufuncs.safe_mul`` for a partial that can be infinite or NaN (a
    zero cotangent from ``where``'s other branch then stays zero);
    ``ufuncs.safe_div`` when the partials give the derivative's reciprocal (a
    denominator that can vanish: ``log``'s is ``x``). ``refused`` maps argument
    numbers to rules that raise a clear error there.

    >>> import numpy
    >>> from tapegrad import grad
    >>> from tapegrad.extend import primitive
    >>> softplus = primitive(lambda x: numpy.logaddexp(0.0, x), "softplus")
    >>> def_elementwise(softplus, lambda ans, x: 1.0 / (1.0 + numpy.exp(-x)))
    >>> float(grad(softplus)(0.0))
    0.5
    """
    vjps: dict = dict(refused or {})
    jvps: dict = dict(refused or {})
    if len(partials) == 1 and partials[0] is not None:  # one argument: no broadcasting to undo
        d = partials[0]
        if combine is None:
            vjps[0] = lambda g, ans, x, **kw: g * d(ans, x)
            jvps[0] = lambda x_dot, ans, x, **kw: x_dot * d(ans, x)
        else:
            vjps[0] = lambda g, ans, x, **kw: combine(g, d(ans, x))
            jvps[0] = lambda x_dot, ans, x, **kw: combine(x_dot, d(ans, x))
    else:
        for k, d in enumerate(partials):
            if d is not None:
                vjps[k], jvps[k] = _broadcasting_rules(k, d, combine or operator.mul)
    def_rules(fun, vjp=vjps, jvp=jvps)


def _broadcasting_rules(k: int, d: Callable, combine: Callable) -> tuple[Callable, Callable]:
    """The VJP and JVP in argument ``k`` of a broadcasting function with partial ``d``."""

    def vjp(g: Any, ans: Any, *args: Any, **kw: Any) -> Any:
        return unbroadcast(combine(g, d(ans, *args)), args[k])

    def jvp(x_dot: Any, ans: Any, *args: Any, **kw: Any) -> Any:
        return broadcast_tangent(combine(x_dot, d(ans, *args)), ans)

    return vjp, jvp



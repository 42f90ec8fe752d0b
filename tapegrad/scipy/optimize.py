"""``tapegrad.scipy.optimize``: SciPy's ``minimize``, ``least_squares`` and ``root`` with exact derivatives.

Each function has SciPy's signature and calls SciPy's solver; what it adds is
the derivatives, computed from ``fun`` by tapegrad, and parameters in any
container:

* **gradients** by reverse mode, the value and the gradient from one pass
  (SciPy's ``jac=True`` protocol), for every method that uses a gradient;
* **Hessian-vector products** by forward-over-reverse mode for the methods
  that take ``hessp`` (Newton-CG, trust-ncg, trust-krylov, trust-constr): no
  dense Hessian is ever built for them; a dense Hessian only for dogleg and
  trust-exact, which need one;
* **Jacobians** of constraints, residuals (``least_squares``) and equations
  (``root``): forward mode when a function has more outputs than inputs,
  reverse mode otherwise; trust-constr also gets the constraints' Hessians, as
  Hessian-vector products;
* **containers**: ``x0`` may be a dict, list or tuple of arrays (nested), or an
  array of any shape; ``fun``, constraints and callbacks receive ``x`` in that
  structure and the result's ``x`` (and its gradient ``jac``) has it too. The
  solver itself sees the flat vector of :func:`tapegrad.misc.flatten` (dict
  entries in sorted key order): bounds may be given per entry of the structure
  or in SciPy's flat form; ``LinearConstraint`` matrices and dense Hessians
  act on the flat vector.

A 1-D array, a number or a list of numbers is taken as SciPy takes it (``fun``
receives a 1-D array), so existing SciPy code runs unchanged with its
hand-written derivatives deleted. Derivatives you pass (``jac``, ``hess``,
``hessp``, a constraint's ``jac``) are used as given; ``jac=False`` asks for
SciPy's finite differences. ``fun`` must be written with ``tapegrad.numpy``
(or plain NumPy functions that dispatch to it); code that converts the traced
value (``numpy.asarray``) raises an error rather than returning a wrong
derivative.

>>> import tapegrad.numpy as np
>>> from tapegrad.scipy.optimize import minimize
>>> def loss(p):
...     return np.sum((p["w"] - np.array([1.0, 2.0])) ** 2) + (p["b"] + 3.0) ** 2
>>> res = minimize(loss, {"w": np.zeros(2), "b": 0.0}, method="Newton-CG")
>>> res.x["w"].round(6), round(float(res.x["b"]), 6)
(array([1., 2.]), -3.0)
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any, Callable, Optional, Sequence, Union

import numpy as _np
import scipy.optimize as _so
from scipy.sparse.linalg import LinearOperator as _LinearOperator

from .. import numpy as _tnp
from ..core import Box, TraceLeakError, getval
from ..core.box import unwrap_constant
from ..differential_operators import hessian, hessian_vector_product, make_jvp, make_vjp, value_and_grad
from ..misc.flatten import flatten

__all__ = ["minimize", "least_squares", "root"]

# What each of scipy.optimize.minimize's methods uses (SciPy's documentation of `jac`, `hess`, `hessp`).
_USES_GRADIENT = frozenset({"cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "slsqp", "trust-constr",
                            "dogleg", "trust-ncg", "trust-exact", "trust-krylov", "_custom"})
_DERIVATIVE_FREE = frozenset({"nelder-mead", "powell", "cobyla", "cobyqa"})
_TAKES_HESSP = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr", "_custom"})
_NEEDS_HESS = frozenset({"dogleg", "trust-exact", "_custom"})
_CONSTRAINT_DERIVATIVES = frozenset({"slsqp", "trust-constr", "_custom"})  # use constraint Jacobians
_ROOT_USES_JAC = frozenset({"hybr", "lm"})
# Fields of a result that are indexed like x (returned in x0's structure).
_LIKE_X = ("jac", "grad", "lagrangian_grad", "active_mask")

Bound = Union[None, _so.Bounds, Sequence, dict]


# ----- the layout of x: SciPy's own forms, or any container flattened -------------------------------


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Number, _np.number, _np.bool_)) and not isinstance(x, _np.ndarray)


def _is_native(x0: Any) -> bool:
    """Whether SciPy takes ``x0`` itself: a 0-d or 1-d array, a number, or a plain list/tuple of numbers."""
    if isinstance(x0, _np.ndarray):
        return x0.ndim <= 1
    if _is_number(x0):
        return True
    if type(x0) in (list, tuple):  # not namedtuples: their fields are a structure
        return all(_is_number(e) for e in x0)
    return False


def _plain(value: Any) -> Any:
    """A computed value as a plain array; a value still traced by an enclosing derivative is refused.

    SciPy's solvers run on plain numbers, so the solution has no derivative with
    respect to values that ``fun`` closes over: rather than drop it silently, say so.
    """
    value = unwrap_constant(value)  # constants made while an enclosing derivative runs are plain values
    if isinstance(value, Box):
        raise TraceLeakError(
            "scipy.optimize's solvers run on plain numbers, but this function's value depends on a value "
            "being differentiated by an enclosing grad/jacobian (x0, or a variable the function closes "
            "over), whose derivative would be lost. Differentiate the solution by the implicit function "
            "theorem instead, or wrap the closed-over value with tapegrad.stop_gradient if no derivative "
            "should flow through it."
        )
    return _np.asarray(value)


def _leaves_of(x: Any, entry: Any, path: str, convert: Callable[[Any, tuple, str], Any]) -> list:
    """``convert(entry_of_leaf, leaf_shape, path)`` for each leaf of ``x``, in flatten's order.

    ``entry`` has ``x``'s structure, except that a dict may leave keys out and
    any level may be ``None`` (passed down to the leaves).
    """
    if isinstance(x, dict):
        if entry is not None and not isinstance(entry, dict):
            raise TypeError(f"{path} must be a dict with x0's keys (or None), not {type(entry).__name__}")
        entry = entry or {}
        extra = [k for k in entry if k not in x]
        if extra:
            raise ValueError(f"{path} has keys that x0 lacks: {extra}")
        return [a for k in sorted(x) for a in _leaves_of(x[k], entry.get(k), f"{path}[{k!r}]", convert)]
    if isinstance(x, (list, tuple)):
        if entry is None:
            entry = [None] * len(x)
        if not isinstance(entry, (list, tuple)) or len(entry) != len(x):
            raise ValueError(f"{path} must be a list or tuple of {len(x)} entries, like x0 at that place")
        return [a for i, (xi, ei) in enumerate(zip(x, entry)) for a in _leaves_of(xi, ei, f"{path}[{i}]", convert)]
    return [convert(entry, _np.shape(getval(x)), path)]


def _bound_array(value: Any, shape: tuple, fill: float, path: str) -> Any:
    """A bound broadcast to a leaf's shape; ``None`` (also as an element) means no bound."""
    if value is None:
        return _np.full(shape, fill)
    arr = _np.array(value, dtype=object)
    arr = _np.asarray(_np.frompyfunc(lambda e: fill if e is None else e, 1, 1)(arr), dtype=object).astype(float)
    if arr.size == 1 and arr.ndim > len(shape):
        arr = arr.reshape(())  # a Bounds' (1,) arrays for a scalar entry
    try:
        return _np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise ValueError(f"{path}: a bound of shape {arr.shape} does not broadcast to the entry's shape "
                         f"{shape}") from None


class _Layout:
    """How ``x0`` maps to the flat vector SciPy works on, and back."""

    def __init__(self, x0: Any, who: str):
        self.who = who
        self.native = _is_native(x0)
        if self.native:
            self.x0 = x0
            self.tree = None
            return
        vector, self._unflatten = flatten(x0)
        vector = _plain(vector)
        if vector.dtype.kind == "c":
            raise TypeError(f"{who}: x0 holds complex numbers; SciPy's solvers work on real variables. "
                            "Optimise the real and imaginary parts as separate real arrays.")
        self.x0 = _np.asarray(vector, dtype=float)
        self.tree = x0
        self.size = self.x0.size
        self.single_array = isinstance(x0, _np.ndarray)

    def unpack(self, v: Any) -> Any:
        """``x`` in x0's structure from SciPy's flat vector (traced values stay traced)."""
        return v if self.native else self._unflatten(v)

    def unpack_copy(self, v: Any) -> Any:
        """``unpack`` of a copy of a plain vector (results and callbacks do not share SciPy's memory)."""
        return self._unflatten(_np.array(v))

    def pack(self, tree: Any, what: str) -> Any:
        """A user's value shaped like ``x`` (a gradient, a product ``H p``) as a flat vector."""
        if self.native:
            return tree
        if isinstance(tree, _np.ndarray) and tree.size == self.size and (tree.ndim == 1 or self.single_array):
            return tree.reshape(-1)
        _same_structure(self.tree, tree, what)
        return _plain(flatten(tree)[0])

    def result(self, res: Any) -> Any:
        """A copy of SciPy's result with ``x`` and the fields indexed like ``x`` in x0's structure."""
        if self.native:
            return res
        out = type(res)(res)
        if "x" in out:
            out["x"] = self.unpack_copy(res["x"])
        for key in _LIKE_X:
            value = res.get(key)
            if isinstance(value, _np.ndarray) and value.shape == (self.size,):
                out[key] = self.unpack_copy(value)
        if isinstance(res.get("allvecs"), list):
            out["allvecs"] = [self.unpack_copy(v) for v in res["allvecs"]]
        return out

    def leaf_bounds(self, bounds: Any) -> _so.Bounds:
        """``Bounds`` on the flat vector from bounds in x0's structure: ``(low, high)`` or ``None`` per entry."""

        def pair(entry: Any, shape: tuple, path: str) -> tuple:
            if entry is None:
                low = high = None
            elif isinstance(entry, _so.Bounds):
                low, high = entry.lb, entry.ub
            else:
                try:
                    low, high = entry
                except (TypeError, ValueError):
                    raise TypeError(f"{path} must be a pair (low, high) of numbers or arrays, None, or a "
                                    f"scipy.optimize.Bounds, not {entry!r:.60}") from None
            return (_bound_array(low, shape, -_np.inf, path), _bound_array(high, shape, _np.inf, path))

        pairs = _leaves_of(self.tree, bounds, "bounds", pair)
        lows = [p[0].ravel() for p in pairs]
        highs = [p[1].ravel() for p in pairs]
        return _so.Bounds(_np.concatenate(lows) if lows else _np.zeros(0),
                          _np.concatenate(highs) if highs else _np.zeros(0))

    def side_bound(self, value: Any, fill: float, name: str) -> Any:
        """One side of ``least_squares``'s ``(lb, ub)`` (or ``x_scale``): a number, flat, or in x0's structure."""
        if self.native or value is None or _is_number(value) or isinstance(value, str):
            return value
        if isinstance(value, _np.ndarray):
            if self.single_array and value.shape == self.tree.shape:
                return value.reshape(-1)
            return value
        if isinstance(value, dict) or (isinstance(value, (list, tuple)) and isinstance(self.tree, (list, tuple))
                                       and len(value) == len(self.tree) and len(value) != self.size):
            parts = _leaves_of(self.tree, value, name, lambda e, s, p: _bound_array(e, s, fill, p).ravel())
            return _np.concatenate(parts) if parts else _np.zeros(0)
        return value


def _same_structure(like: Any, value: Any, what: str, path: str = "") -> None:
    """Refuse a container whose structure differs from x0's: flattening it would misplace numbers."""
    if isinstance(like, dict):
        if not isinstance(value, dict) or set(value) != set(like):
            keys = f" with keys {sorted(value)}" if isinstance(value, dict) else ""
            raise ValueError(f"{what}{path} must have x0{path}'s structure (a dict with keys {sorted(like)}), "
                             f"got {type(value).__name__}{keys}")
        for k in like:
            _same_structure(like[k], value[k], what, f"{path}[{k!r}]")
    elif isinstance(like, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(like):
            raise ValueError(f"{what}{path} must have x0{path}'s structure (a sequence of {len(like)} entries)")
        for i, (a, b) in enumerate(zip(like, value)):
            _same_structure(a, b, what, f"{path}[{i}]")
    elif _np.size(getval(value)) != _np.size(getval(like)):
        raise ValueError(f"{what}{path} has {_np.size(getval(value))} numbers where x0{path} has "
                         f"{_np.size(getval(like))}")


# ----- callbacks -------------------------------------------------------------------------------------


def _takes_intermediate_result(callback: Callable) -> bool:
    try:
        return set(inspect.signature(callback).parameters) == {"intermediate_result"}
    except (TypeError, ValueError):
        return False


def _structured_callback(callback: Optional[Callable], layout: _Layout) -> Optional[Callable]:
    """``callback`` called with ``x`` in x0's structure, keeping SciPy's choice between its two signatures."""
    if callback is None or layout.native:
        return callback

    def convert(value: Any) -> Any:
        if isinstance(value, _so.OptimizeResult):
            return layout.result(value)
        if isinstance(value, _np.ndarray) and value.shape == (layout.size,):
            return layout.unpack_copy(value)
        return value

    if _takes_intermediate_result(callback):
        # (a method without SciPy's new-style callbacks passes x itself: converted all the same)
        def structured(intermediate_result: Any) -> Any:
            return callback(intermediate_result=convert(intermediate_result))
    else:
        def structured(x: Any, *rest: Any) -> Any:
            return callback(layout.unpack_copy(x), *(convert(r) if isinstance(r, _so.OptimizeResult) else r
                                                     for r in rest))
    return structured


# ----- the objective and vector-valued functions ----------------------------------------------------


def _scalar(value: Any, who: str) -> float:
    arr = _plain(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{who}: fun must return a real scalar, got {arr.dtype} of shape {arr.shape}")
    return float(arr.reshape(()))


class _Objective:
    """``fun`` as a function of SciPy's flat vector, with its derivatives."""

    def __init__(self, fun: Callable, args: tuple, layout: _Layout):
        self.fun, self.args, self.layout = fun, args, layout
        self._value_and_grad = value_and_grad(self.flat)

    def flat(self, v: Any) -> Any:
        return self.fun(self.layout.unpack(v), *self.args)

    def value_and_grad(self, v: Any) -> tuple[float, Any]:
        """``(f(x), grad f(x))`` from one forward and one backward pass (for ``jac=True``)."""
        value, g = self._value_and_grad(v)
        return _scalar(value, "minimize"), _plain(g).astype(float)

    def hessp(self, v: Any, p: Any) -> Any:
        """The Hessian at ``v`` times ``p``, by forward-over-reverse mode: no Hessian is formed."""
        return _plain(hessian_vector_product(self.flat)(v, _np.asarray(p, dtype=float))).astype(float)

    def hess(self, v: Any) -> Any:
        """The dense Hessian, for the methods that need one (dogleg, trust-exact)."""
        h = _plain(hessian(self.flat)(v)).astype(float)
        n = _np.size(v)
        return h.reshape(n, n)

    # Derivatives given by the user, on x in x0's structure.
    def user_value_and_grad(self, v: Any) -> tuple[Any, Any]:
        value, g = self.flat(v)
        return value, self.layout.pack(g, "the gradient returned by fun (jac=True)")

    def user_jac(self, jac: Callable) -> Callable:
        return lambda v: self.layout.pack(jac(self.layout.unpack(v), *self.args), "jac's result")

    def user_hess(self, hess: Callable) -> Callable:
        return lambda v: hess(self.layout.unpack(v), *self.args)

    def user_hessp(self, hessp: Callable) -> Callable:
        unpack = self.layout.unpack
        return lambda v, p: self.layout.pack(hessp(unpack(v), unpack(p), *self.args), "hessp's result")


class _VectorFunction:
    """A constraint, residual or equation function of SciPy's flat vector, and its Jacobian.

    A container output is flattened. The Jacobian has shape ``(m, n)`` (``(n,)``
    for a scalar output): forward mode (``n`` passes) when the output is
    larger than the input, reverse mode (``m`` passes) otherwise.
    """

    def __init__(self, fun: Callable, args: tuple, layout: _Layout, kwargs: Optional[dict] = None):
        self.fun, self.args, self.kwargs, self.layout = fun, tuple(args), kwargs or {}, layout
        self.out_size: Optional[int] = None
        self.out_unflatten: Optional[Callable] = None

    def flat(self, v: Any) -> Any:
        out = self.fun(self.layout.unpack(v), *self.args, **self.kwargs)
        if isinstance(out, (dict, list, tuple)) and not (type(out) in (list, tuple) and all(map(_is_number, out))):
            out, self.out_unflatten = flatten(out)
        return out

    def __call__(self, v: Any) -> Any:
        out = _plain(self.flat(v))
        self.out_size = out.size
        return out

    def jacobian(self, v: Any) -> Any:
        n = _np.size(v)
        if self.out_size is not None and self.out_size > n:
            return self._forward(v, n)
        return self._reverse(v, n)

    def _reverse(self, v: Any, n: int) -> Any:
        vjp, ans = make_vjp(self.flat)(v)
        shape = _np.shape(getval(ans))
        m = int(_np.prod(shape))
        self.out_size = m
        rows = []
        for k in range(m):
            e = _np.zeros(m)
            e[k] = 1.0
            rows.append(_plain(vjp(e.reshape(shape))).astype(float).reshape(n))
        jac = _np.stack(rows) if rows else _np.zeros((0, n))
        return jac.reshape(n) if shape == () else jac

    def _forward(self, v: Any, n: int) -> Any:
        jvp = make_jvp(self.flat)(v)
        columns, scalar = [], False
        for k in range(n):
            e = _np.zeros(n)
            e[k] = 1.0
            ans, tangent = jvp(e)
            scalar = _np.ndim(getval(ans)) == 0
            columns.append(_plain(tangent).astype(float).reshape(-1))
        jac = _np.stack(columns, axis=-1)
        return jac.reshape(n) if scalar else jac

    def hessian_operator(self, v: Any, weights: Any) -> _LinearOperator:
        """``sum_i weights[i] * Hessian(f_i)(v)`` as a LinearOperator of Hessian-vector products."""
        weights = _np.asarray(weights, dtype=float).reshape(-1)
        n = _np.size(v)

        def weighted(u: Any) -> Any:
            return _tnp.sum(weights * _tnp.ravel(self.flat(u)))

        hvp = hessian_vector_product(weighted)

        def matvec(p: Any) -> Any:
            return _plain(hvp(v, _np.asarray(p, dtype=float).reshape(n))).astype(float)

        return _LinearOperator((n, n), matvec=matvec, rmatvec=matvec, dtype=float)

    def user_jac(self, jac: Callable) -> Callable:
        return lambda v: jac(self.layout.unpack(v), *self.args, **self.kwargs)

    def output(self, value: Any) -> Any:
        """A result's residual vector in the structure ``fun`` returned it in."""
        if self.out_unflatten is not None and isinstance(value, _np.ndarray) and value.ndim == 1:
            return self.out_unflatten(_np.array(value, dtype=float))
        return value


# ----- constraints and bounds -----------------------------------------------------------------------


_DEFAULT_BFGS = {k: v for k, v in vars(_so.BFGS()).items()
                 if k in ("exception_strategy", "min_curvature", "init_scale")}


def _is_default_bfgs(strategy: Any) -> bool:
    """Whether a constraint's ``hess`` is configured as the ``BFGS()`` that ``NonlinearConstraint`` puts there
    by default (its state may have been initialised by an earlier run)."""
    return type(strategy) is _so.BFGS and all(getattr(strategy, k, None) == v for k, v in _DEFAULT_BFGS.items())


def _constraint(con: Any, layout: _Layout, meth: str) -> Any:
    derivatives = meth in _CONSTRAINT_DERIVATIVES
    if isinstance(con, dict):
        out = dict(con)
        cargs = out.pop("args", ())
        vf = _VectorFunction(out["fun"], cargs if isinstance(cargs, tuple) else (cargs,), layout)
        out["fun"] = vf
        if callable(out.get("jac")):
            out["jac"] = vf.user_jac(out["jac"])
        elif derivatives:
            out["jac"] = vf.jacobian
        if meth == "trust-constr":  # as SciPy converts it, but with the exact Hessian instead of BFGS
            kind = str(out.get("type", "")).lower()
            if kind not in ("eq", "ineq"):
                raise ValueError(f"a constraint's type must be 'eq' or 'ineq', not {out.get('type')!r}")
            return _so.NonlinearConstraint(vf, 0.0, 0.0 if kind == "eq" else _np.inf, jac=out["jac"],
                                           hess=vf.hessian_operator)
        return out
    if isinstance(con, _so.NonlinearConstraint):
        vf = _VectorFunction(con.fun, (), layout)
        jac, hess = con.jac, con.hess
        if callable(jac):
            jac = vf.user_jac(jac)
        elif derivatives and jac == "2-point":  # SciPy's default: replaced by the exact Jacobian
            jac = vf.jacobian
        if callable(hess):
            user_hess = hess
            hess = lambda v, w: user_hess(layout.unpack(v), w)  # noqa: E731
        elif meth in ("trust-constr", "_custom") and _is_default_bfgs(hess) and callable(jac):
            hess = vf.hessian_operator
        return _so.NonlinearConstraint(vf, con.lb, con.ub, jac=jac, hess=hess, keep_feasible=con.keep_feasible,
                                       finite_diff_rel_step=con.finite_diff_rel_step,
                                       finite_diff_jac_sparsity=con.finite_diff_jac_sparsity)
    return con  # LinearConstraint: a matrix on the flat vector


def _constraints(constraints: Any, layout: _Layout, meth: str) -> Any:
    if constraints is None or (isinstance(constraints, (list, tuple)) and len(constraints) == 0):
        return constraints
    if isinstance(constraints, (dict, _so.NonlinearConstraint, _so.LinearConstraint)):
        constraints = [constraints]
    return [_constraint(c, layout, meth) for c in constraints]


def _flat_pairs(bounds: Any, n: int) -> bool:
    """Whether ``bounds`` is SciPy's flat form: ``n`` pairs ``(low, high)`` of numbers or ``None``."""
    if not isinstance(bounds, (list, tuple)) or len(bounds) != n:
        return False
    for b in bounds:
        if not isinstance(b, (list, tuple)) or len(b) != 2:
            return False
        if not all(e is None or _is_number(e) for e in b):
            return False
    return True


def _minimize_bounds(bounds: Any, layout: _Layout) -> Any:
    if bounds is None or layout.native:
        return bounds
    if isinstance(bounds, _so.Bounds):
        if layout.single_array:
            shape = layout.tree.shape
            lb = _np.broadcast_to(bounds.lb, shape).reshape(-1) if _np.ndim(bounds.lb) > 1 else bounds.lb
            ub = _np.broadcast_to(bounds.ub, shape).reshape(-1) if _np.ndim(bounds.ub) > 1 else bounds.ub
            keep = bounds.keep_feasible
            keep = _np.broadcast_to(keep, shape).reshape(-1) if _np.ndim(keep) > 1 else keep
            return _so.Bounds(lb, ub, keep)
        return bounds
    if _flat_pairs(bounds, layout.size):
        return bounds
    return layout.leaf_bounds(bounds)


# ----- the public functions -------------------------------------------------------------------------


def minimize(fun: Callable[..., Any], x0: Any, args: tuple = (), method: Union[str, Callable, None] = None,
             jac: Union[Callable, bool, str, None] = None, hess: Any = None, hessp: Optional[Callable] = None,
             bounds: Bound = None, constraints: Any = (), tol: Optional[float] = None,
             callback: Optional[Callable] = None, options: Optional[dict] = None) -> _so.OptimizeResult:
    """``scipy.optimize.minimize`` with ``jac``, ``hess`` and ``hessp`` computed from ``fun``.

    Every SciPy method works; each gets the derivatives it uses, and only those:

    * Nelder-Mead, Powell, COBYLA, COBYQA: none (they use values only);
    * CG, BFGS, L-BFGS-B, TNC, SLSQP: the gradient, by reverse mode, together
      with the value (``jac=True``);
    * Newton-CG, trust-ncg, trust-krylov, trust-constr: the gradient and
      Hessian-vector products ``hessp`` (forward-over-reverse mode); no dense
      Hessian is formed;
    * dogleg, trust-exact: the gradient and the dense Hessian;
    * a callable ``method``: the gradient, ``hess`` and ``hessp`` (it calls what it uses).

    ``x0`` may be an array of any shape or a (nested) dict, list or tuple of
    arrays; ``fun(x, *args)`` then receives ``x`` in that structure, and so do
    ``callback`` and constraint functions; the result's ``x`` and ``jac`` have
    it too (other fields, like ``hess_inv``, are on the flat vector in
    :func:`tapegrad.misc.flatten`'s order). ``bounds`` for such an ``x0`` may
    be SciPy's (``Bounds`` or ``n`` pairs on the flat vector) or follow x0's
    structure, with a pair ``(low, high)`` (numbers, or arrays broadcast to
    the entry's shape; ``None`` for no bound) or ``None`` for each entry; a
    dict may leave entries out.

    Constraints (dicts, ``NonlinearConstraint``, ``LinearConstraint``) pass
    through, with their Jacobians supplied to SLSQP and trust-constr (a
    ``NonlinearConstraint``'s default ``jac='2-point'`` is replaced by the
    exact Jacobian, and for trust-constr its default ``BFGS()`` Hessian by
    exact Hessian-vector products). Derivatives you pass are used as given:
    ``jac`` (callable, ``True``, or a finite-difference scheme), ``hess``
    (callable returning the flat ``(n, n)`` matrix, a scheme or a
    ``HessianUpdateStrategy``), ``hessp``; ``jac=False`` selects SciPy's own
    finite differences.

    >>> import tapegrad.numpy as np
    >>> def rosen(x):
    ...     return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> res = minimize(rosen, np.array([1.3, 0.7, 0.8, 1.9, 1.2]), method="trust-ncg")
    >>> res.x.round(6), res.success
    (array([1., 1., 1., 1., 1.]), True)

    A constrained fit with a dict of parameters:

    >>> cons = {"type": "ineq", "fun": lambda p: 1.0 - p["a"] - p["b"]}  # a + b <= 1
    >>> res = minimize(lambda p: (p["a"] - 1.0) ** 2 + (p["b"] - 1.0) ** 2, {"a": 0.0, "b": 0.0},
    ...                method="SLSQP", constraints=cons, bounds={"a": (0, None)})
    >>> float(res.x["a"].round(6)), float(res.x["b"].round(6))
    (0.5, 0.5)
    """
    if not isinstance(args, tuple):
        args = (args,)
    if method is None:  # SciPy's automatic choice
        method = "SLSQP" if constraints else ("L-BFGS-B" if bounds is not None else "BFGS")
    meth = "_custom" if callable(method) else method.lower()
    layout = _Layout(x0, "minimize")
    objective = _Objective(fun, args, layout)

    fun_s: Callable = objective.flat
    if jac is None:
        if meth not in _DERIVATIVE_FREE:
            fun_s, jac = objective.value_and_grad, True
    elif jac is True:
        fun_s = objective.user_value_and_grad
    elif callable(jac):
        jac = objective.user_jac(jac)
    elif jac is False:
        jac = None

    if callable(hess) and not isinstance(hess, _so.HessianUpdateStrategy):
        hess = objective.user_hess(hess)
    if callable(hessp):
        hessp = objective.user_hessp(hessp)
    if hess is None and hessp is None:
        if meth in _NEEDS_HESS:
            hess = objective.hess
        if meth in _TAKES_HESSP:
            hessp = objective.hessp
    elif hess is None and meth in _NEEDS_HESS and meth not in _TAKES_HESSP:
        hess = objective.hess  # dogleg and trust-exact take no hessp

    res = _so.minimize(fun_s, layout.x0, args=(), method=method, jac=jac, hess=hess, hessp=hessp,
                       bounds=_minimize_bounds(bounds, layout), constraints=_constraints(constraints, layout, meth),
                       tol=tol, callback=_structured_callback(callback, layout), options=options)
    return layout.result(res)


def least_squares(fun: Callable[..., Any], x0: Any, jac: Union[Callable, str, None] = None,
                  bounds: Any = (-_np.inf, _np.inf), method: str = "trf", ftol: Optional[float] = 1e-8,
                  xtol: Optional[float] = 1e-8, gtol: Optional[float] = 1e-8, x_scale: Any = None,
                  loss: Union[str, Callable] = "linear", f_scale: float = 1.0, diff_step: Any = None,
                  tr_solver: Optional[str] = None, tr_options: Optional[dict] = None, jac_sparsity: Any = None,
                  max_nfev: Optional[int] = None, verbose: int = 0, args: tuple = (),
                  kwargs: Optional[dict] = None, callback: Optional[Callable] = None,
                  workers: Any = None) -> _so.OptimizeResult:
    """``scipy.optimize.least_squares`` with the residuals' Jacobian computed from ``fun``.

    The Jacobian is exact: forward mode (one pass per parameter) when there are
    more residuals than parameters, as in curve fitting, reverse mode otherwise.
    ``fun(x, *args, **kwargs)`` returns the residuals (an array, or a container
    of arrays, flattened); ``x0`` may be any container of arrays, as for
    :func:`minimize`, and the result's ``x``, ``grad`` and ``active_mask``
    follow its structure (``fun``, the residuals, follows that of ``fun``'s
    output; ``jac`` is the ``(m, n)`` matrix). ``bounds=(lb, ub)``: each side a
    number, a flat array, or x0's structure (numbers or arrays per entry,
    ``None`` for no bound); ``x_scale`` likewise. A ``jac`` you pass is used
    as given (``'2-point'`` and friends: SciPy's finite differences).
    Arguments left at ``None`` take SciPy's defaults.

    >>> import numpy as onp
    >>> import tapegrad.numpy as np
    >>> t = onp.linspace(0.0, 3.0, 20)
    >>> y = 2.5 * onp.exp(-1.3 * t) + 0.5
    >>> def residuals(p):
    ...     return p["a"] * np.exp(-p["k"] * t) + p["c"] - y
    >>> fit = least_squares(residuals, {"a": 1.0, "k": 1.0, "c": 0.0})
    >>> {k: round(float(v), 6) for k, v in fit.x.items()}
    {'a': 2.5, 'c': 0.5, 'k': 1.3}
    """
    layout = _Layout(x0, "least_squares")
    residuals = _VectorFunction(fun, args if isinstance(args, tuple) else (args,), layout, kwargs)
    if jac is None:
        jac = residuals.jacobian
    elif callable(jac):
        jac = residuals.user_jac(jac)
    if isinstance(bounds, _so.Bounds):
        if not layout.native and layout.single_array:
            bounds = _so.Bounds(layout.side_bound(_np.asarray(bounds.lb), -_np.inf, "bounds.lb"),
                                layout.side_bound(_np.asarray(bounds.ub), _np.inf, "bounds.ub"))
    elif not layout.native:
        try:
            lb, ub = bounds
        except (TypeError, ValueError):
            raise ValueError("least_squares: bounds must be a pair (lb, ub) or a scipy.optimize.Bounds") from None
        bounds = (layout.side_bound(lb, -_np.inf, "bounds[0]"), layout.side_bound(ub, _np.inf, "bounds[1]"))
    given = dict(x_scale=layout.side_bound(x_scale, 1.0, "x_scale"), diff_step=diff_step, tr_solver=tr_solver,
                 tr_options=tr_options, jac_sparsity=jac_sparsity, max_nfev=max_nfev,
                 callback=_structured_callback(callback, layout), workers=workers)
    res = _so.least_squares(residuals, layout.x0, jac=jac, bounds=bounds, method=method, ftol=ftol, xtol=xtol,
                            gtol=gtol, loss=loss, f_scale=f_scale, verbose=verbose,
                            **{k: v for k, v in given.items() if v is not None})
    res = layout.result(res)
    if "fun" in res:
        res["fun"] = residuals.output(res["fun"])
    return res


def root(fun: Callable[..., Any], x0: Any, args: tuple = (), method: str = "hybr",
         jac: Union[Callable, bool, None] = None, tol: Optional[float] = None, callback: Optional[Callable] = None,
         options: Optional[dict] = None) -> _so.OptimizeResult:
    """``scipy.optimize.root`` with the Jacobian computed from ``fun``.

    The methods that use a Jacobian (``hybr``, ``lm``) get the exact one
    (reverse mode, or forward mode when ``fun`` has more outputs than inputs);
    the quasi-Newton methods (``broyden1``, ``krylov``, ``df-sane``...) use
    none, as in SciPy. ``x0`` may be any container of arrays, as for
    :func:`minimize`; ``fun`` may return a container (flattened), and the
    result's ``x`` and ``fun`` come back in those structures. A callback
    (quasi-Newton methods) receives ``(x, f)`` with ``x`` structured. A ``jac``
    you pass is used as given; ``jac=False`` means none (MINPACK's finite
    differences).

    >>> import tapegrad.numpy as np
    >>> def equations(x):
    ...     return np.array([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]])
    >>> sol = root(equations, np.array([0.0, 0.0]))
    >>> sol.x.round(6), sol.success
    (array([0.841164, 0.158836]), True)
    """
    if not isinstance(args, tuple):
        args = (args,)
    layout = _Layout(x0, "root")
    equations = _VectorFunction(fun, args, layout)

    def with_jacobian(v: Any) -> tuple[Any, Any]:  # jac=True: fun returns (value, Jacobian)
        value, j = fun(layout.unpack(v), *args)
        if isinstance(value, (dict, list, tuple)):
            value = flatten(value)[0]
        return _plain(value), j

    fun_s: Callable = with_jacobian if jac is True else equations
    meth = method.lower()
    if jac is None:
        if meth in _ROOT_USES_JAC:
            jac = equations.jacobian
    elif callable(jac):
        jac = equations.user_jac(jac)
    elif jac is False:
        jac = None
    res = _so.root(fun_s, layout.x0, args=(), method=method, jac=jac, tol=tol,
                   callback=_structured_callback(callback, layout), options=options)
    res = layout.result(res)
    if "fun" in res:
        res["fun"] = equations.output(res["fun"])
    return res

"""autograd's internals that client code uses, on tapegrad: node tracing by hand, rule tables,
vector-space and box registries, the deprecated ways, and autograd.numpy's own names.

Derivatives are checked against finite differences (check_grads) or against the same
derivative computed by tapegrad's tape; values against NumPy and SciPy.
"""

import numpy as onp
import pytest
import scipy.stats

import tapegrad
import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.builtins import tuple as traced_tuple
from tapegrad.core import (
    JVPNode, Node, VJPNode, VSpace, backward_pass, primitive_jvps, primitive_vjps, register_notrace, trace,
    trace_stack, vspace,
)
from tapegrad.core.box import new_box
from tapegrad.extend import defjvp, defvjp, primitive
from tapegrad.misc import const_graph
from tapegrad.test_util import check_grads


def f_xy(x):
    return np.sum(np.tanh(x) * x[::-1] + np.exp(x) / (1.0 + x ** 2))


X = onp.array([0.3, -1.2, 0.7])


# ----- traces started by hand -------------------------------------------------------------


def test_vjp_nodes_give_the_tapes_gradient():
    end_value, end_node = trace(VJPNode.new_root(), f_xy, X)
    assert end_value == pytest.approx(f_xy(X))
    onp.testing.assert_allclose(backward_pass(1.0, end_node), grad(f_xy)(X), rtol=1e-12)


def test_jvp_nodes_give_the_forward_derivative():
    v = onp.array([1.0, -2.0, 0.5])
    _, end_node = trace(JVPNode.new_root(v), f_xy, X)
    assert end_node.g == pytest.approx(onp.dot(grad(f_xy)(X), v), rel=1e-12)


def test_a_client_node_class_records_the_graph():
    class Recorder(Node):
        __slots__ = ("name", "parents")

        def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
            self.name = getattr(fun, "__name__", "?")
            self.parents = parents

        def initialize_root(self):
            self.name, self.parents = "root", ()

    _, end = trace(Recorder.new_root(), lambda x: np.sin(x) * 2.0 + x, 0.5)
    names = []
    stack = [end]
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack.extend(node.parents)
    assert sorted(set(names)) == ["add", "multiply", "root", "sin"]


def test_output_independent_of_the_input_warns_and_has_no_node():
    with pytest.warns(UserWarning, match="independent"):
        value, node = trace(VJPNode.new_root(), lambda x: 3.0, 1.0)
    assert (value, node) == (3.0, None)


def test_trace_levels_nest_and_close():
    before = trace_stack.top
    with trace_stack.new_trace() as t1:
        assert trace_stack.top == t1.level > before
        with trace_stack.new_trace() as t2:
            assert trace_stack.top == t2.level == t1.level + 1
        assert trace_stack.top == t1.level
    assert trace_stack.top == before
    with trace_stack.new_trace() as t3:  # levels only increase: a later trace outranks finished ones
        assert t3.level > t2.level


def test_hand_trace_of_a_tuple_of_arguments():
    # the shape of PennyLane's independence check: new_box of the whole argument tuple
    with trace_stack.new_trace() as t:
        start = new_box((1.0, 2.0), t, VJPNode.new_root())
        x, y = start
        end = x * y + np.sin(x)
    assert backward_pass(1.0, end._node) == pytest.approx((2.0 + onp.cos(1.0), 1.0))


def test_const_graph_replays_without_running_python():
    calls = []

    def f(x, y):
        calls.append(1)
        return np.sin(x) * y + x

    g = const_graph(f)
    for x, y in [(0.1, 2.0), (1.3, -0.5), (2.0, 4.0)]:
        assert g(x, y) == pytest.approx(f(x, y))
    assert len(calls) == 4  # 3 direct calls, and one traced


# ----- rule tables and ways of defining rules ---------------------------------------------------


def test_rule_table_entries_round_trip():
    maker = primitive_vjps.pop(np.sin)
    try:
        assert np.sin not in primitive_vjps
        with pytest.raises(NotImplementedError):
            grad(np.sin)(0.3)
    finally:
        primitive_vjps[np.sin] = maker
    assert grad(np.sin)(0.3) == pytest.approx(onp.cos(0.3))
    assert list(primitive_vjps[np.sin]((0,), onp.sin(0.3), (0.3,), {})(2.0)) == [pytest.approx(2 * onp.cos(0.3))]
    assert primitive_jvps[np.sin]((0,), [2.0], onp.sin(0.3), (0.3,), {}) == pytest.approx(2 * onp.cos(0.3))


def test_a_maker_set_in_autograds_form_defines_the_rule():
    @primitive
    def cube(x):
        return x ** 3

    primitive_vjps[cube] = lambda argnums, ans, args, kwargs: lambda g: (3 * g * args[0] ** 2,)
    primitive_jvps[cube] = lambda argnums, gs, ans, args, kwargs: 3 * gs[0] * args[0] ** 2
    check_grads(cube, modes=["fwd", "rev"], order=1)(1.3)


def test_defvjp_replaces_the_previous_rules_as_in_autograd():
    @primitive
    def mul(x, y):
        return x * y

    defvjp(mul, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    defvjp(mul, None, lambda ans, x, y: lambda g: g * x, argnums=(0, 1))
    assert grad(mul, 0)(2.0, 3.0) == 0.0  # declared zero now
    defvjp(mul, lambda ans, x, y: lambda g: g * y)
    with pytest.raises(NotImplementedError):
        grad(mul, 1)(2.0, 3.0)  # no longer defined


def test_register_notrace_stops_derivatives_in_both_engines():
    @primitive
    def double(x):
        return 2.0 * x

    defvjp(double, lambda ans, x: lambda g: 2.0 * g)
    defjvp(double, lambda g, ans, x: 2.0 * g)
    register_notrace(VJPNode, double)
    register_notrace(JVPNode, double)
    assert grad(lambda x: double(x) + x)(1.0) == 1.0
    assert tapegrad.deriv(lambda x: double(x) + x)(1.0) == 1.0
    _, node = trace(VJPNode.new_root(), lambda x: double(x) + x, 1.0)
    assert backward_pass(1.0, node) == 1.0


def test_deprecated_methods_warn_and_define():
    @tapegrad.primitive
    def twice(x):
        return 2.0 * x

    with pytest.warns(UserWarning, match="deprecated"):
        twice.defvjp(lambda g, ans, vs, gvs, x: 2.0 * g)
    assert grad(twice)(1.0) == 2.0
    with pytest.warns(UserWarning, match="deprecated"):
        twice.defvjp_is_zero()
    assert grad(twice)(1.0) == 0.0


def test_quick_grad_check_warns_and_checks():
    from tapegrad.util import quick_grad_check

    with pytest.warns(UserWarning, match="deprecated"):
        quick_grad_check(f_xy, X)
    with pytest.warns(UserWarning), pytest.raises(AssertionError):
        quick_grad_check(primitive_with_a_wrong_vjp(), 0.5)


def primitive_with_a_wrong_vjp():
    @primitive
    def f(x):
        return x * x

    defvjp(f, lambda ans, x: lambda g: 3.0 * g * x)
    return f


def test_unary_to_nary_builds_an_operator():
    from tapegrad.core import make_vjp
    from tapegrad.wrap_util import unary_to_nary

    @unary_to_nary
    def my_grad(fun, x):
        return make_vjp(fun, x)[0](1.0)

    assert my_grad(lambda a, b: a * b ** 3, 1)(2.0, 3.0) == 54.0
    assert my_grad(lambda a, b: a * b ** 3, (0, 1))(2.0, 3.0) == (27.0, 54.0)


# ----- vector spaces and containers -------------------------------------------------------------


def test_vspace_registry_is_vspace_mappings():
    class Pair:
        def __init__(self, a):
            self.a = a

    class PairSpace(VSpace):
        def __init__(self, value):
            self.shape = onp.shape(value.a)

        def _inner_prod(self, x, y):
            return float(onp.sum(x.a * y.a))

    PairSpace.register(Pair)
    assert VSpace.mappings[Pair] is PairSpace
    space = vspace(Pair(onp.ones(2)))
    assert isinstance(space, PairSpace)
    assert space.inner_prod(Pair(onp.ones(2)), Pair(onp.arange(2.0))) == 1.0  # autograd's _inner_prod is used
    del VSpace.mappings[Pair]


def test_box_classes_register_autograds_way():
    from tapegrad.builtins import SequenceBox
    from tapegrad.core.box import Box
    from tapegrad.numpy.numpy_boxes import ArrayBox
    from tapegrad.tracer import box_type_mappings

    class Celsius(onp.ndarray):
        pass

    class CelsiusBox(ArrayBox):  # a client's box class for its own array type (PennyLane's way)
        __slots__ = ()

    assert Box.type_mappings is box_type_mappings and Box.type_mappings[onp.ndarray] is ArrayBox
    assert ArrayBox in Box.types and SequenceBox in Box.types and CelsiusBox not in Box.types
    CelsiusBox.register(Celsius)
    try:
        assert Box.type_mappings[Celsius] is CelsiusBox and CelsiusBox in Box.types
        seen = []

        def f(x):
            y = x * 2.0
            seen.append(type(y))
            return np.sum(y)

        assert grad(f)(onp.ones(2).view(Celsius)).tolist() == [2.0, 2.0]
        assert seen == [CelsiusBox]
    finally:
        del Box.type_mappings[Celsius], Box.type_mappings[CelsiusBox]
    assert CelsiusBox not in Box.types


def test_a_box_class_that_mixes_in_a_value_class_with_its_own_init():
    # autograd's rkhs example: `class FunBox(Box, Fun)` where Fun.__init__ takes other arguments
    from tapegrad.core.box import Box
    from tapegrad.extend import VSpace

    class Poly:  # a polynomial as a dict {power: coefficient}
        def __init__(self, coefs=None):
            self.coefs = dict(coefs or {})
            self.vs = PolySpace(self)

        def __add__(self, other):
            return Poly({k: self.coefs.get(k, 0.0) + other.coefs.get(k, 0.0)
                         for k in set(self.coefs) | set(other.coefs)})

        def __mul__(self, a):
            return Poly({k: c * a for k, c in self.coefs.items()})

    class PolyBox(Box, Poly):
        pass

    class PolySpace(VSpace):
        def __init__(self, value):
            self.size = 1

        def zeros(self):
            return Poly()

        def _add(self, f, g):
            return f + g

        def _scalar_mul(self, f, a):
            return f * a

        def _inner_prod(self, f, g):
            return sum(c * g.coefs.get(k, 0.0) for k, c in f.coefs.items())

    evaluate = primitive(lambda p, x: sum(c * x ** k for k, c in p.coefs.items()))
    defvjp(evaluate, lambda ans, p, x: lambda g: Poly({k: x ** k for k in p.coefs}) * g)
    PolyBox.register(Poly)
    PolySpace.register(Poly, lambda p: PolySpace(p))
    try:
        p = Poly({0: 1.0, 2: 3.0})
        box = new_box(p, None, None)
        assert type(box) is PolyBox and box._value is p  # Box's fields, not Poly.__init__'s
        dp = grad(lambda p: evaluate(p, 2.0) * 2.0)(p)
        assert dp.coefs == {0: 2.0, 2: 8.0}
    finally:
        for table in (Box.type_mappings, VSpace.mappings):
            for key in (Poly, PolyBox):
                table.pop(key, None)


def test_complex_values_have_the_complex_array_space():
    from tapegrad.numpy.numpy_vspaces import ArrayVSpace, ComplexArrayVSpace

    assert type(vspace(onp.ones(2) + 1j)) is ComplexArrayVSpace and vspace(1j).iscomplex
    assert type(vspace(onp.ones(2))) is ArrayVSpace
    assert vspace(onp.ones(2) + 1j) == ComplexArrayVSpace(onp.zeros(2, complex))


def test_traced_sequences_concatenate():
    def f(x):
        t = traced_tuple([x, 2.0 * x])
        u = t + (x ** 2,)  # SequenceBox + tuple
        v = (np.sin(x),) + t  # tuple + SequenceBox
        return u[2] * v[0] + u[0] * v[2] + v[1] * len(u)

    check_grads(f, modes=["fwd", "rev"], order=2)(0.7)


# ----- autograd.numpy's own names -------------------------------------------------------------


@pytest.mark.parametrize("grid", ["r_", "c_"])
def test_index_concatenation_with_traced_items(grid):
    c = onp.array([[1.0, onp.nan], [3.0, 4.0]])

    def f(x):
        return getattr(np, grid)[x, c, 2.0 * x]

    x = onp.array([[0.5, -1.0], [2.0, 0.25]])
    onp.testing.assert_array_equal(f(x), getattr(onp, grid)[x, c, 2.0 * x])
    check_grads(lambda x: np.nan_to_num(f(x)), modes=["fwd", "rev"], order=2)(x)


def test_r_with_slices_and_scalars():
    x = onp.array([0.5, -1.0])
    onp.testing.assert_array_equal(np.r_[x, 1:4, 7.0, -x], onp.r_[x, 1:4, 7.0, -x])
    check_grads(lambda x: np.r_[x, 1:4, 7.0, -x], modes=["fwd", "rev"])(x)


def test_make_diagonal():
    D = onp.random.randn(3, 4)
    out = np.make_diagonal(D, axis1=-1, axis2=-2)
    assert all(onp.array_equal(out[i], onp.diag(D[i])) for i in range(3))
    check_grads(lambda D: np.make_diagonal(D, axis1=-1, axis2=-2), modes=["fwd", "rev"], order=2)(D)
    with pytest.raises(NotImplementedError):
        np.make_diagonal(D)


def test_where_on_python_values_returns_python_values():
    assert np.where(True, 1, 2) == 1 and type(np.where(True, 1, 2)) is int
    assert np.where([True, False], [1, 2], [3, 4]) == [1, 4]
    assert isinstance(np.where(onp.array([True]), 1, 2), onp.ndarray)
    assert np.where(condition=[True, False], x=onp.ones(2), y=onp.zeros(2)).tolist() == [1.0, 0.0]


def test_integer_types_cast_traced_values_and_stay_numpys_for_everything_else():
    def f(w):
        idx = np.int64(w[:, -1])  # integers: no derivative through them
        assert idx.dtype == np.int64
        return np.sum(w[idx, 0] ** 2)

    w = onp.array([[1.0, 1.0], [2.0, 0.0]])
    onp.testing.assert_array_equal(grad(f)(w), [[2.0, 0.0], [4.0, 0.0]])  # rows 1 and 0, column 0
    assert onp.zeros(2, dtype=np.int32).dtype == onp.int32
    assert isinstance(onp.int64(3), np.int64) and issubclass(onp.int64, np.int64)
    assert np.issubdtype(onp.int64, np.int64) and np.int64(3) == 3


def test_lists_of_traced_values_reach_array_functions():
    assert grad(lambda x: np.linalg.norm([x, x + 2.0]))(0.0) == 1.0
    assert grad(lambda x: np.linalg.norm(traced_tuple((3.0 * x, 4.0 * x))))(1.0) == 5.0
    assert grad(lambda x: np.mean([x, x + 2.0]))(0.0) == 1.0
    assert grad(lambda x: np.sum((x, x * x)))(3.0) == 7.0
    assert grad(lambda x: np.prod([x, 2.0, x]))(3.0) == 12.0
    assert grad(lambda x: np.var([x, x + 2.0]))(0.0) == 0.0
    assert grad(lambda x: np.std([x, 3.0 * x]))(1.0) == pytest.approx(1.0)


def test_arrays_of_traced_tuples_hold_their_elements():
    def f(x):
        t = traced_tuple((x, 2.0 * x))
        u = grad(lambda y: y[0] * y[1])(t)  # a traced tuple at second order
        return np.sum(np.array(t) * np.asarray(u)) + np.sum(np.array([t, u]) ** 2)

    out = f(0.7)
    assert out == pytest.approx((0.7 * 1.4 + 1.4 * 0.7) + 2 * (0.7 ** 2 + 1.4 ** 2))
    check_grads(f, modes=["fwd", "rev"], order=2)(0.7)


def test_astype_cotangent_has_the_inputs_dtype():
    x32 = onp.array([0.5, 1.0, 2.0], dtype=onp.float32)
    g = grad(lambda x: np.sum(np.sin(x.astype(onp.float64))))(x32)
    assert g.dtype == onp.float32 and onp.allclose(g, onp.cos(x32))
    g = grad(lambda x: np.sum(np.abs(x.astype(complex) * (1.0 + 1.0j))))(X)  # real input, real cotangent
    assert g.dtype == onp.float64 and onp.allclose(g, onp.sqrt(2.0) * onp.sign(X))
    h = tapegrad.elementwise_grad(tapegrad.elementwise_grad(lambda x: x.astype(onp.float64) ** 3))(x32)
    assert h.dtype == onp.float32 and onp.allclose(h, 6.0 * x32)  # at second order too


def test_private_and_exception_names_of_linalg():
    a = onp.random.randn(2, 3, 4)
    onp.testing.assert_allclose(np.linalg._dot(a, np.linalg.T(a)), a @ a.transpose(0, 2, 1))
    check_grads(lambda a: np.linalg._dot(a, np.linalg.T(a)), modes=["fwd", "rev"])(a)
    assert np.linalg.LinAlgError is onp.linalg.LinAlgError
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(onp.zeros((2, 2)))


class Labelled:
    """A duck array that handles NumPy's ufuncs and operators itself (as xarray.DataArray does)."""

    def __init__(self, data):
        self.data = data

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [i.data if isinstance(i, Labelled) else i for i in inputs]
        return Labelled(getattr(ufunc, method)(*inputs, **kwargs))


def _labelled_op(op, reflected):
    def method(self, other):
        other = other.data if isinstance(other, Labelled) else other
        return Labelled(op(other, self.data) if reflected else op(self.data, other))

    return method


for _name in ("add", "sub", "mul", "truediv", "pow", "mod"):
    _op = getattr(__import__("operator"), _name)
    setattr(Labelled, f"__{_name}__", _labelled_op(_op, False))
    setattr(Labelled, f"__r{_name}__", _labelled_op(_op, True))


@pytest.mark.parametrize("op", [
    lambda x, w: x * w, lambda x, w: w * x, lambda x, w: x + w, lambda x, w: x - w, lambda x, w: w - x,
    lambda x, w: x / w, lambda x, w: w / x, lambda x, w: x ** w, lambda x, w: (x * 3.0) % w,
    lambda x, w: np.sin(w * x) * x,  # the ufunc reaches the box through the duck array's __array_ufunc__
])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_traced_values_leave_operators_to_duck_arrays_that_handle_ufuncs(op, shape):
    base = onp.array([0.5, 1.5, 2.0])

    def f(x):
        out = op(x, Labelled(base))
        assert type(out) is Labelled  # the duck array's own result, holding a traced array
        return np.sum(out.data)

    x0 = onp.full(shape, 0.7)
    expected = onp.sum(getattr(op(x0, Labelled(base)), "data"))
    assert f(x0) == pytest.approx(expected)
    check_grads(f, modes=["fwd", "rev"], order=2)(x0)


def test_operators_defer_as_numpys_do():
    class OptOut:  # NumPy's opt-out of ufuncs: binary operators defer to the reflected one
        __array_ufunc__ = None

        def __rmul__(self, other):
            return "OptOut.__rmul__"

    class Legacy:  # no __array_ufunc__, a higher __array_priority__ than arrays'
        __array_priority__ = 1000.0

        def __radd__(self, other):
            return "Legacy.__radd__"

    class Tensor(onp.ndarray):  # an ndarray subclass with its own __array_ufunc__: computed, not deferred
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            inputs = [i.view(onp.ndarray) if isinstance(i, Tensor) else i for i in inputs]
            return getattr(ufunc, method)(*inputs, **kwargs).view(Tensor)

    def f(x):
        assert x * OptOut() == "OptOut.__rmul__" and x + Legacy() == "Legacy.__radd__"
        return np.sum(x * onp.arange(3.0).view(Tensor) + x * [1.0, 2.0, 3.0])

    assert grad(f)(onp.ones(3)).tolist() == [1.0, 3.0, 5.0]


def test_std_of_single_entries_has_zero_derivative():
    assert grad(np.std)(3.5) == 0.0
    g = grad(lambda x: np.sum(np.std(x, axis=0)))(onp.random.randn(1, 3))
    onp.testing.assert_array_equal(g, onp.zeros((1, 3)))
    check_grads(lambda x: np.std(x, axis=1), modes=["fwd", "rev"])(onp.random.randn(1, 3))


@pytest.mark.parametrize("fun", [np.dot, np.matmul, np.outer, lambda a, b: np.tensordot(a, b, 1)])
def test_real_operands_get_real_cotangents_from_complex_products(fun):
    a, b = onp.random.randn(3), onp.random.randn(3) + 1j * onp.random.randn(3)
    g = grad(lambda a: np.real(np.sum(fun(a, b))))(a)
    assert not onp.iscomplexobj(g)
    check_grads(lambda a: fun(a, b), modes=["rev"])(a)


# ----- scipy ---------------------------------------------------------------------------------


def test_singular_multivariate_normal_as_scipy():
    from tapegrad.scipy.stats import multivariate_normal as mvn

    cov = onp.diag([1.0, 2.0, 0.0])
    mean = onp.array([0.1, 0.2, 0.3])
    on = onp.array([0.5, -0.4, 0.3])
    off = onp.array([0.5, -0.4, 0.4])
    for x in (on, off, onp.stack([on, off])):
        expected = scipy.stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
        onp.testing.assert_allclose(mvn.logpdf(x, mean, cov, allow_singular=True), expected, rtol=1e-12)
    check_grads(lambda x: mvn.logpdf(np.concatenate([x, mean[2:]]), mean, cov, allow_singular=True),
                modes=["fwd", "rev"])(on[:2])
    with pytest.raises(NotImplementedError):
        grad(lambda c: mvn.logpdf(on, mean, c, allow_singular=True))(cov)


def test_odeint_with_a_traced_tuple_of_arguments():
    from tapegrad.scipy.integrate import odeint

    def func(y, t, a, b):
        return -y * a + b

    t = onp.linspace(0.0, 0.5, 3)
    check_grads(lambda args: odeint(func, onp.ones(2), t, args), modes=["rev"], order=1)((0.7, 0.2))


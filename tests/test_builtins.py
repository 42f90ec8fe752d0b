"""tapegrad.builtins: container constructors that carry derivatives, type tests through boxes."""

import builtins
from collections import namedtuple

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import builtins as tb
from tapegrad import grad, jacobian, make_jvp
from tapegrad.core import Box, DictBox, SequenceBox
from tapegrad.extend import defvjp, primitive
from tapegrad.test_util import check_grads


def test_plain_elements_give_plain_containers():
    assert builtins.type(tb.tuple([1, 2])) is builtins.tuple and tb.tuple([1, 2]) == (1, 2)
    assert builtins.type(tb.list((1, 2))) is builtins.list and tb.list((1, 2)) == [1, 2]
    assert builtins.type(tb.dict(a=1, b=2)) is builtins.dict and tb.dict([("a", 1)], b=2) == {"a": 1, "b": 2}
    assert tb.tuple() == () and tb.list() == [] and tb.dict() == {}


@pytest.mark.parametrize("ctor,kind", [(tb.tuple, SequenceBox), (tb.list, SequenceBox), (tb.dict, DictBox)])
def test_traced_elements_give_traced_containers(ctor, kind):
    seen = []

    def f(x):
        c = ctor({"a": x, "b": 2.0}) if ctor is tb.dict else ctor([x, 2.0])
        seen.append(c)
        return c["a"] * c["b"] if ctor is tb.dict else c[0] * c[1]

    assert grad(f)(1.5) == 2.0
    assert builtins.isinstance(seen[-1], kind)
    assert builtins.type(seen[-1]._value) is ctor._builtin


# A primitive taking one container argument: gradients reach its elements only if
# the container itself is traced, which is what the constructors are for. Its
# implementation needs plain numbers (float() of a box is refused).
def _weighted(pair):
    return float(pair[0]) * 2.0 + float(pair[1]) * 3.0


weighted = primitive(_weighted)
defvjp(weighted, lambda ans, pair: lambda g: builtins.type(pair)([2.0 * g, 3.0 * g]))


@pytest.mark.parametrize("ctor", [tb.tuple, tb.list])
def test_gradient_flows_through_a_primitive_taking_the_container(ctor):
    def f(x, y):
        return weighted(ctor([np.sin(x), y * y]))

    gx, gy = grad(f, (0, 1))(0.3, 2.0)
    assert gx == pytest.approx(2.0 * onp.cos(0.3))
    assert gy == pytest.approx(3.0 * 4.0)


def test_plain_container_of_traced_values_is_not_traced():
    with pytest.raises(TypeError):  # the boxes reach float(): TraceLeakError
        grad(lambda x: weighted([x, x]))(1.0)


def test_dict_through_primitive_and_nested_plain_containers():
    @primitive
    def total(d):
        return d["a"][0] + d["a"][1] * d["b"]

    defvjp(total, lambda ans, d: lambda g: {"a": [g, g * d["b"]], "b": g * d["a"][1]})

    def f(x):
        # the nested plain list holding x is packed too
        return total(tb.dict(a=[x, 2.0 * x], b=3.0))

    assert grad(f)(1.0) == pytest.approx(1.0 + 2.0 * 3.0)


def test_array_rows_to_tuple_and_second_order():
    def f(x):
        rows = tb.tuple(x)
        return np.sum(rows[0] * rows[1] ** 2)

    x = onp.array([[1.0, 2.0], [0.5, -1.0]])
    check_grads(f, modes=["fwd", "rev"], order=2)(x)
    onp.testing.assert_allclose(grad(f)(x), onp.array([x[1] ** 2, 2 * x[0] * x[1]]))


def test_forward_mode_through_containers():
    def f(x):
        d = tb.dict(p=x, q=tb.list([x, x * x]))
        return d["q"][1] + d["p"]

    ans, tangent = make_jvp(f)(3.0)(1.0)
    assert ans == 12.0 and tangent == 7.0


def test_returned_container_jacobian():
    jac = jacobian(lambda x: np.stack(tb.list([x, 2 * x])))(onp.array([1.0, 2.0]))
    assert jac.shape == (2, 2, 2)


def test_existing_traced_container_is_returned_unchanged():
    seen = []

    def f(t, d):
        seen.append((tb.tuple(t) is t, tb.dict(d) is d, builtins.type(tb.list(t)._value)))
        return t[0] * d["k"]

    assert grad(f, (0, 1))((2.0, 5.0), {"k": 3.0}) == ((3.0, 0.0), {"k": 2.0})
    assert seen[-1] == (True, True, list)


def test_isinstance_sees_through_boxes():
    checks = []

    def f(x, t):
        checks.append((
            tb.isinstance(x, onp.ndarray),
            builtins.isinstance(x, onp.ndarray),
            tb.isinstance(t, tuple),
            tb.isinstance(t, tb.tuple),
            tb.isinstance(t, tb.list),
            tb.isinstance(t, (dict, tuple)),
            tb.type(x) is onp.ndarray,
            tb.type(t) is tuple,
            builtins.isinstance(x, Box),
        ))
        return np.sum(x) * t[0]

    grad(f, (0, 1))(onp.ones(3), (2.0, 1.0))
    assert checks[-1] == (True, False, True, True, False, True, True, True, True)


def test_isinstance_on_plain_values_and_subclasses():
    Point = namedtuple("Point", "x y")
    assert tb.isinstance(Point(1, 2), tb.tuple)
    assert builtins.isinstance((1,), tb.tuple) and not builtins.isinstance([1], tb.tuple)
    assert builtins.issubclass(Point, tb.tuple) and not builtins.issubclass(list, tb.dict)
    assert tb.isinstance({}, tb.dict) and tb.isinstance([], tb.list)
    assert tb.type(3.0) is float


def test_type_with_three_arguments_makes_a_class():
    cls = tb.type("C", (), {"v": 1})
    assert cls().v == 1


def test_nested_differentiation_levels():
    def inner(x, y):
        return tb.tuple([x * y, y])[0]

    # d/dy of (d/dx (x*y)) = 1
    assert grad(lambda y: grad(inner)(2.0, y))(3.0) == 1.0

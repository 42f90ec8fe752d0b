"""Ufunc methods on traced values (at, reduce, accumulate, reduceat, outer): NumPy's values, exact derivatives.

Each program runs three ways: on plain NumPy arrays (the oracle for values),
on traced arrays through plain ``numpy`` (``numpy.add.at(box, ...)``, the
``__array_ufunc__`` path), and with ``tapegrad.numpy``'s own ufuncs
(``tapegrad.numpy.add.at``). Derivatives are checked against finite
differences in both modes, to second order.
"""

import numpy as onp
import pytest

import tapegrad.numpy as tnp
from tapegrad import NonDifferentiableError, TraceLeakError, grad
from tapegrad.test_util import check_grads

RNG = onp.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (3, 4))  # positive, no ties: every ufunc below is smooth here
B = RNG.uniform(0.5, 2.0, (4,))


def _same(program, *args, exact=True):
    """The program's value with plain NumPy, through ``numpy`` on traced arrays, with ``tapegrad.numpy``."""
    expected = program(onp, *args)
    for np in (onp, tnp):
        seen = []

        def f(*xs):
            out = program(np, *xs)
            seen.append(out)
            return tnp.sum(tnp.sin(out))

        grad(f, tuple(range(len(args))))(*args)
        got = seen[0]._value if hasattr(seen[0], "_value") else seen[0]
        assert onp.shape(got) == onp.shape(expected) and onp.result_type(got) == onp.result_type(expected)
        if exact:
            onp.testing.assert_array_equal(got, expected)
        else:
            onp.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
        check_grads(lambda *xs: program(np, *xs), argnum=tuple(range(len(args))), modes=["fwd", "rev"])(*args)


# ----- at: in place, unbuffered, repeated indices applied in turn --------------------------------

def at_add_repeated(np, x, v):
    y = x * 1.0
    np.add.at(y, [0, 2, 0, 0], v.reshape(4, 1) * x[0])  # a row added three times
    return y


def at_add_2d_tuple_index(np, x, v):
    y = x * 0.0
    np.add.at(y, ([0, 1, 0, 2], [3, 3, 3, 0]), v)
    return y * x


def at_add_slice_and_scalar(np, x, v):
    y = x * 1.0
    np.add.at(y, (slice(None), 1), v[0])
    return y


def at_subtract(np, x, v):
    y = x[0] * 1.0
    np.subtract.at(y, [1, 1, 3], v[:3])
    return y


def at_multiply_repeated(np, x, v):
    y = x[1] * 1.0
    np.multiply.at(y, [2, 0, 2, 2], v)
    return y


def at_maximum(np, x, v):
    y = x[2] * 1.0
    np.maximum.at(y, [0, 1, 0], v[:3] * 1.5)
    return y


def at_power_mixed_index(np, x, v):
    y = x * 1.0
    np.power.at(y, (1, [0, 3, 0]), v[:3])
    return y


def at_unary_negative(np, x, v):
    y = x * v
    np.negative.at(y, ([0, 0, 2], [1, 1, 3]))  # twice at (0, 1): unchanged
    return y


def at_through_a_view(np, x, v):
    y = x * 1.0
    row = y[1]
    np.add.at(row, [0, 0], v[:2])  # the write reaches y
    return y + row[0]


def at_values_read_from_the_target(np, x, v):
    y = x[0] * v
    np.add.at(y, [0, 1, 1], y[1:])  # the values are read before any is written (NumPy copies on overlap)
    return y


def at_negative_and_boolean_index(np, x, v):
    y = x * 1.0
    np.add.at(y, -1, v)
    np.multiply.at(y, onp.array([[True, False, True, False]] * 3), 2.0)
    return y


AT = [at_add_repeated, at_add_2d_tuple_index, at_add_slice_and_scalar, at_subtract, at_multiply_repeated,
      at_maximum, at_power_mixed_index, at_unary_negative, at_through_a_view, at_values_read_from_the_target,
      at_negative_and_boolean_index]


@pytest.mark.parametrize("program", AT, ids=lambda p: p.__name__)
def test_at(program):
    _same(program, A, B)


def test_add_at_with_many_repeats():
    # One scatter-add whatever the number of repeats, in NumPy's order of additions.
    from tapegrad import make_vjp

    index = RNG.integers(0, 3, 1000)

    def f(x):
        y = tnp.ones(3)
        tnp.add.at(y, index, x)
        return y

    x = RNG.normal(size=1000)
    vjp, ans = make_vjp(f)(x)
    expected = onp.ones(3)
    onp.add.at(expected, index, x)
    onp.testing.assert_array_equal(ans, expected)
    onp.testing.assert_array_equal(vjp(onp.array([2.0, 0.0, -1.0])), onp.array([2.0, 0.0, -1.0])[index])


def test_at_refuses_to_write_traced_values_into_a_plain_array():
    def f(x):
        y = onp.zeros(3)
        onp.add.at(y, [0, 0], x[:2])
        return tnp.sum(y)

    with pytest.raises(TraceLeakError, match=r"numpy\.add\.at would write traced values into a plain ndarray.*"
                                             r"tapegrad\.numpy \(np\.zeros"):
        grad(f)(B)


def test_at_keeps_numpys_errors():
    def f(x, index):
        y = tnp.zeros(4)
        onp.add.at(y, index, x)
        return tnp.sum(y)

    for index, x in (([5], 1.5), ([0, 1], B[:3])):  # out of bounds; values not broadcastable to the index
        with pytest.raises(Exception) as ours:
            grad(f)(x, index)
        with pytest.raises(Exception) as theirs:
            onp.add.at(onp.zeros(4), index, x)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_at_into_a_read_only_view_raises():
    # NumPy 2.x's ufunc.at writes through a read-only broadcast view (its own assignment refuses);
    # tapegrad raises as assignment does.
    def f(x):
        y = tnp.broadcast_to(x[:1], (3,))
        onp.add.at(y, [0], 1.0)
        return tnp.sum(y)

    with pytest.raises(ValueError, match="read-only"):
        grad(f)(B)


def test_traced_index_only_is_plain():
    y = onp.zeros(3)

    def f(x):
        onp.add.at(y, tnp.array([0, 0]) + 0 * x[:2].astype(int), 1.0)  # no traced value is written
        return tnp.sum(x)

    grad(f)(B[:3])
    onp.testing.assert_array_equal(y, [2.0, 0.0, 0.0])


# ----- reduce, accumulate, reduceat, outer -------------------------------------------------------

def reduce_add(np, x, v):
    return np.add.reduce(x) + np.add.reduce(x, axis=1) @ np.ones(3)


def reduce_multiply_keepdims(np, x, v):
    return np.multiply.reduce(x, axis=1, keepdims=True)


def reduce_maximum_minimum(np, x, v):
    return np.maximum.reduce(x, axis=None) + np.minimum.reduce(x * v, axis=-1)


def reduce_add_where_initial(np, x, v):
    return np.add.reduce(x, axis=0, where=onp.array([True, False, True, True]), initial=1.0)


def reduce_subtract_fold(np, x, v):
    return np.subtract.reduce(x, axis=1)


def reduce_divide_initial(np, x, v):
    return np.divide.reduce(v, initial=3.0)


def reduce_logaddexp_all(np, x, v):
    return np.logaddexp.reduce(x, axis=None)


def reduce_hypot_where(np, x, v):
    return np.hypot.reduce(x, axis=0, where=onp.array([[True], [False], [True]]))


def reduce_power_dtype(np, x, v):
    return np.real(np.power.reduce(x[:, :2], axis=1, dtype=np.complex128))


def accumulate_add_multiply(np, x, v):
    return np.add.accumulate(x, axis=1) * np.multiply.accumulate(x)


def accumulate_maximum_fold(np, x, v):
    return np.maximum.accumulate(x * v, axis=1) + np.subtract.accumulate(v)


def accumulate_reduceat_axis_none(np, x, v):
    return np.subtract.accumulate(v, axis=None) + np.divide.reduceat(v, [0, 2, 3], axis=None)[[0, 1, 2, 2]]


def reduceat_add(np, x, v):
    return np.add.reduceat(x, [0, 2, 1, 3], axis=1)  # 1 < 2: a segment of one element, x[:, 2]


def reduceat_multiply_axis0(np, x, v):
    return np.multiply.reduceat(x, [0, 2])


def reduceat_maximum_fold(np, x, v):
    return np.logaddexp.reduceat(v, [1, 3])


def outer_multiply(np, x, v):
    return np.multiply.outer(v, x)


def outer_power_arctan2(np, x, v):
    return np.power.outer(x[0], v[:2]) + np.arctan2.outer(x[1], v[:2])


REDUCTIONS = [reduce_add, reduce_multiply_keepdims, reduce_maximum_minimum, reduce_add_where_initial,
              reduce_subtract_fold, reduce_divide_initial, reduce_logaddexp_all, reduce_hypot_where,
              reduce_power_dtype, accumulate_add_multiply, accumulate_maximum_fold, accumulate_reduceat_axis_none,
              reduceat_add,
              reduceat_multiply_axis0, reduceat_maximum_fold, outer_multiply, outer_power_arctan2]


@pytest.mark.parametrize("program", REDUCTIONS, ids=lambda p: p.__name__)
def test_reductions_and_outer(program):
    # add and multiply reduce in NumPy's own way (pairwise sums): equal to rounding
    _same(program, A, B, exact=not program.__name__.startswith(("reduceat_add", "reduceat_multiply")))


def test_float32_values_are_numpys():
    def program(np, x, v):
        y = (x * 1.0).astype(np.float32)
        np.add.at(y, [0, 0], v[:2].reshape(2, 1))  # float64 values, cast back to float32 as NumPy does
        np.maximum.at(y, ([1, 1], [0, 0]), v[:2])
        return np.logaddexp.accumulate(y, axis=1) + np.power.reduce(y, axis=0, keepdims=True)

    expected = program(onp, A, B)
    for np in (onp, tnp):
        seen = []
        grad(lambda x, v: tnp.sum(seen.append(program(np, x, v)) or seen[0]), (0, 1))(A, B)
        assert seen[0].dtype == onp.float32
        onp.testing.assert_array_equal(seen[0]._value, expected)


def test_nondifferentiable_ufunc_methods_give_numpys_plain_results():
    def f(x):
        ands = onp.logical_and.reduce(x > 1.0, axis=1)
        counts = tnp.equal.outer(x[0], x[0])
        y = x * 1.0
        onp.floor.at(y, [0, 0])  # no derivative where it floors
        assert type(ands) is onp.ndarray and type(counts) is onp.ndarray
        onp.testing.assert_array_equal(ands, onp.logical_and.reduce(A > 1.0, axis=1))
        return tnp.sum(y ** 2)

    g = grad(f)(A)
    expected = 2 * A
    expected[0] = 0.0
    onp.testing.assert_allclose(g, expected)


def test_methods_on_plain_values_are_numpys():
    x = A.copy()
    tnp.add.at(x, [0, 0], 1.0)
    y = A.copy()
    onp.add.at(y, [0, 0], 1.0)
    onp.testing.assert_array_equal(x, y)
    onp.testing.assert_array_equal(tnp.logaddexp.reduce(A, axis=1), onp.logaddexp.reduce(A, axis=1))
    assert tnp.add.outer.__qualname__ == "add.outer" and tnp.absolute.at.__name__ == "at"


def test_lists_of_traced_values_are_packed():
    g = grad(lambda a, b: tnp.multiply.reduce([a, b, a]))(2.0, 3.0)
    assert float(g) == 12.0


def test_gufunc_and_arity_errors_are_numpys():
    for call in (lambda x: onp.matmul.reduce(x), lambda x: onp.sin.reduce(x), lambda x: onp.add.outer(x)):
        with pytest.raises((ValueError, TypeError, RuntimeError)) as ours:
            grad(lambda x: tnp.sum(call(x)))(A)
        with pytest.raises((ValueError, TypeError, RuntimeError)) as theirs:
            call(A)
        assert str(ours.value) == str(theirs.value)


def test_ufunc_without_rules_is_refused_by_its_scipy_name():
    special = pytest.importorskip("scipy.special")
    with pytest.raises(NonDifferentiableError, match=r"^scipy\.special\.struve\.outer received a traced value, "
                                                     r"and scipy\.special\.struve has no derivative rule"):
        grad(lambda x: tnp.sum(special.struve.outer(x, x)))(B)

"""Numerical checks of the selection family: take, choose, sort, interp, polyval..."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.core import TraceLeakError

from .harness import Row, check_traced_value, expand, run

C = ("float64", "complex128")
V = ((4,),)
M = ((3, 4),)

ALONG = onp.array([[3, 0], [1, 1], [0, 2]])  # indices along axis 1 of a (3, 4) array, one repeat
MASK = onp.array([[True, False, False, True], [False, False, True, False], [True, True, False, False]])
CHOICE = onp.array([[0, 2, 1, 1], [2, 2, 0, 1], [1, 0, 0, 2]])
XP = onp.array([-1.5, -0.4, 0.1, 0.7, 1.6])
XP_PERIODIC = onp.array([2.5, 0.3, 1.1, 4.0, -0.6])  # unsorted, outside [0, period)


def _copy_then(op):
    """A function of (x, v) that writes v into a copy of x with ``op`` and returns the copy."""

    def fun(x, v):
        y = np.copy(x)
        op(y, v)
        return y

    return fun


ROWS = [
    # taking by index
    Row("take", lambda x: np.take(x, [0, 2, 2, 1]), [V, M], dtypes=C),
    Row("take axis", lambda x: np.take(x, [[3, 0], [3, 3]], axis=1), [M], dtypes=C),
    Row("take scalar", lambda x: np.take(x, 2, axis=-1), [V, M]),
    Row("take wrap", lambda x: np.take(x, [-5, 7, 1], mode="wrap"), [V]),
    Row("take clip", lambda x: np.take(x, [-5, 7, 1], axis=0, mode="clip"), [M]),
    Row("take_along_axis", lambda x: np.take_along_axis(x, ALONG, axis=1), [M], dtypes=C),
    Row("take_along_axis axis0", lambda x: np.take_along_axis(x, onp.array([[2, 0, 1, 1], [2, 2, 0, 0]]), axis=0), [M]),
    Row("take_along_axis broadcast", lambda x: np.take_along_axis(x, onp.array([[3, 1, 1]]).T, axis=1), [M]),
    Row("take_along_axis none", lambda x: np.take_along_axis(x, onp.array([5, 5, 0]), axis=None), [M]),
    Row("put_along_axis none", _copy_then(lambda y, v: np.put_along_axis(y, onp.array([7, 0, 7]), v, axis=None)),
        [((3, 4), (3,))]),
    Row("put_along_axis", _copy_then(lambda y, v: np.put_along_axis(y, ALONG, v, axis=1)),
        [((3, 4), (3, 2)), ((3, 4), ())], dtypes=C),
    Row("put_along_axis numpy", _copy_then(lambda y, v: onp.put_along_axis(y, ALONG[:, :1], v, 1)), [((3, 4), (3, 1))]),
    Row("put", _copy_then(lambda y, v: np.put(y, [0, 5, 5, 2], v)), [((3, 4), (4,)), ((3, 4), (2,)), ((3, 4), ())], dtypes=C),
    Row("put wrap", _copy_then(lambda y, v: onp.put(y, [-1, 13], v, mode="wrap")), [((3, 4), (2,))]),
    Row("place", _copy_then(lambda y, v: np.place(y, MASK, v)), [((3, 4), (5,)), ((3, 4), (2,)), ((3, 4), ())], dtypes=C),
    Row("putmask", _copy_then(lambda y, v: np.putmask(y, MASK, v)), [((3, 4), (3, 4)), ((3, 4), (5,)), ((3, 4), ())], dtypes=C),
    Row("copyto", _copy_then(lambda y, v: np.copyto(y, v)), [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), ())], dtypes=C),
    Row("copyto where", _copy_then(lambda y, v: onp.copyto(y, v, where=MASK)), [((3, 4), (3, 4)), ((3, 4), (3, 1))], dtypes=C),
    Row("fill_diagonal", _copy_then(lambda y, v: np.fill_diagonal(y, v)), [((3, 4), ()), ((4, 3), (3,)), ((3, 4), (2,))], dtypes=C),
    Row("fill_diagonal wrap", _copy_then(lambda y, v: onp.fill_diagonal(y, v, wrap=True)), [((7, 3), (2,))]),
    Row("fill_diagonal cube", _copy_then(lambda y, v: np.fill_diagonal(y, v)), [((3, 3, 3), (3,))]),
    Row("compress", lambda x: np.compress([True, False, True], x, axis=0), [M], dtypes=C),
    Row("compress flat", lambda x: np.compress([False, True, True], x), [V, M]),
    Row("extract", lambda x: np.extract(MASK, x), [M], dtypes=C),
    Row("extract flat", lambda x: np.extract(MASK.ravel()[:4], x), [V]),
    # choosing by condition
    Row("select", lambda x, y: np.select([MASK, ~MASK[0]], [x, y]), [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (3, 4))], dtypes=C),
    Row("select default", lambda x, y, d: np.select([MASK[0], MASK], [x, y], d), [((4,), (3, 4), ()), ((4,), (3, 4), (3, 1))]),
    Row("choose", lambda x, y, z: np.choose(CHOICE, [x, y, z]), [((3, 4), (3, 4), (3, 4)), ((4,), (), (3, 1))], dtypes=C),
    Row("choose stacked", lambda c: np.choose(CHOICE, c), [((3, 3, 4),), ((3, 4),)]),
    Row("choose wrap", lambda x, y: np.choose(CHOICE + 4, (x, y), mode="wrap"), [((3, 4), (4,))]),
    Row("choose clip", lambda x, y: np.choose(CHOICE - 1, [x, y], mode="clip"), [((3, 4), (3, 4))]),
    # sorting
    Row("sort", np.sort, [V, M, ((2, 3, 4),)], dtypes=C),
    Row("sort axis", lambda x: np.sort(x, axis=0), [M]),
    Row("sort none", lambda x: np.sort(x, axis=None), [M]),
    Row("sort stable", lambda x: np.sort(x, kind="stable"), [M]),
    Row("partition", lambda x: np.partition(x, 2), [((6,),), ((3, 6),)], dtypes=C),
    Row("partition kths", lambda x: np.partition(x, [0, 3], axis=0), [((6, 3),)]),
    Row("partition none", lambda x: np.partition(x, -2, axis=None), [M]),
    Row("sort_complex", np.sort_complex, [V, M], dtypes=C),
    Row("unique", np.unique, [V, M], dtypes=C),
    Row("unique repeats", lambda x: np.unique(np.concatenate([x, x[1:3], x[:1]])), [V]),
    Row("unique counts", lambda x: np.unique(np.append(x, x[0]), return_index=True, return_counts=True)[0], [V, M]),
    Row("unique axis", lambda x: np.unique(np.concatenate([x, x[1:2]]), axis=0), [M]),
    # interpolation and polynomials
    Row("interp", lambda x, fp: np.interp(x, XP, fp), [((), (5,)), ((6,), (5,)), ((2, 3), (5,))]),
    Row("interp x", lambda x: np.interp(x, XP, onp.array([1.0, -2.0, 0.5, 3.0, 2.0])), [((7,),)]),
    Row("interp fp", lambda fp: np.interp(onp.array([-3.0, -0.4, 0.3, 1.0, 1.6, 2.0]), XP, fp), [((5,),)]),
    Row("interp complex fp", lambda x, a, b: np.interp(x, XP, a + 1j * b), [((6,), (5,), (5,))]),
    Row("interp left right", lambda x, fp, lo, hi: np.interp(2.5 * x, XP, fp, left=lo, right=hi),
        [((8,), (5,), (), ())]),
    Row("interp period", lambda x, fp: np.interp(4 * x, XP_PERIODIC, fp, period=4.5), [((7,), (5,))]),
    Row("interp one point", lambda x, fp: np.interp(x, XP[:1], fp), [((4,), (1,))]),
    Row("polyval", np.polyval, [((4,), ()), ((4,), (3,)), ((1,), (3, 2)), ((3,), (2, 3))], dtypes=C),
    Row("polyval 2d coefficients", np.polyval, [((3, 4), (4,))]),
    Row("piecewise", lambda x: np.piecewise(x, [np.real(x) < 0, np.real(x) > 1], [lambda t: t ** 2, lambda t: 3 * t, lambda t: -t]),
        [V, M], dtypes=C),
    Row("piecewise constants", lambda x: np.piecewise(x, [MASK, ~MASK], [2.0, np.sin]), [M]),
    Row("piecewise scalar", lambda x: np.piecewise(x, np.real(x) > 0, [np.exp, 0.5]), [((),), V]),
    Row("piecewise args", lambda x: np.piecewise(x, [MASK[0]], [lambda t, a: a * t, lambda t, a: t - a], 2.0), [V]),
    Row("trim_zeros", lambda x: np.trim_zeros(np.where(onp.array([0, 1, 1, 0]) == 1, x, 0.0)), [V], dtypes=C),
    Row("trim_zeros front", lambda x: np.trim_zeros(np.concatenate([onp.zeros(2), x, onp.zeros(1)]), "f"), [V]),
    Row("trim_zeros back", lambda x: np.trim_zeros(np.concatenate([onp.zeros(2), x, onp.zeros(1)]), trim="b"), [V]),
    # repairing values
    Row("unwrap", lambda x: np.unwrap(4 * x), [((8,),), M]),
    Row("unwrap axis", lambda x: np.unwrap(4 * x, axis=0, period=3.0), [M]),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


VALUE_CASES = [
    (lambda m, x: m.take(x, [[1, 0], [2, 2]], axis=0), (3, 4)),
    (lambda m, x: m.take_along_axis(x, m.argsort(x, axis=0), axis=0), (3, 4)),
    (lambda m, x: m.choose(CHOICE, [x, x ** 2, -x[0]]), (3, 4)),
    (lambda m, x: m.select([x > 0, x < -1], [x, 2 * x], -1.0), (3, 4)),
    (lambda m, x: m.sort(x, axis=0), (5, 3)),
    (lambda m, x: m.partition(x, (1, 4)), (3, 7)),
    (lambda m, x: m.sort_complex(x), (6,)),
    (lambda m, x: m.unique(m.concatenate([x[3:], x[:5], x[1:2]])), (20,)),
    (lambda m, x: m.interp(x * 2, XP, XP ** 2), (9,)),
    (lambda m, x: m.interp(x * 3, XP_PERIODIC, XP ** 2 + 1, period=4.5), (9,)),
    (lambda m, x: m.interp(x * 3, XP, XP ** 2, left=-1.0, right=5.0), (9,)),
    (lambda m, x: m.polyval(x[:3], x), (5,)),
    (lambda m, x: m.unwrap(5 * x), (9,)),
    (lambda m, x: m.compress([True, False, True], x, axis=1), (2, 3)),
    (lambda m, x: _w(m, x, lambda y: m.put(y, [0, 5, 5, -1], x[0, :3], mode="wrap")), (3, 4)),
    (lambda m, x: _w(m, x, lambda y: m.put_along_axis(y, ALONG, x[:, :2] * 2, axis=1)), (3, 4)),
    (lambda m, x: _w(m, x, lambda y: m.place(y, MASK, x[0, :3])), (3, 4)),
    (lambda m, x: _w(m, x, lambda y: m.putmask(y, MASK, x[0] * 3)), (3, 4)),
    (lambda m, x: _w(m, x, lambda y: m.copyto(y, x[1] + 1, where=MASK)), (3, 4)),
    (lambda m, x: _w(m, x, lambda y: m.fill_diagonal(y, x[0, :2], wrap=True)), (7, 3)),
    (lambda m, x: m.piecewise(x, [x < 0, x > 1], [lambda t: t ** 2, 7.0, lambda t: -t]), (3, 4)),
    (lambda m, x: m.trim_zeros(m.where(abs(x) < 1, 0.0, x), "b"), (9,)),
]


def _w(m, x, op):
    """A copy of x changed in place by op, with NumPy (m=numpy) or tapegrad (m=tapegrad.numpy)."""
    y = m.copy(x)
    op(y)
    return y


@pytest.mark.parametrize("case", range(len(VALUE_CASES)))
def test_traced_value_matches_numpy(case):
    f, shape = VALUE_CASES[case]
    check_traced_value(f, shape, case, rtol=1e-13, atol=1e-13)


def test_sort_gradient_goes_to_the_source_element():
    x = onp.array([0.3, -1.2, 2.0, 0.1])
    onp.testing.assert_array_equal(grad(lambda x: np.sort(x)[0])(x), [0.0, 1.0, 0.0, 0.0])
    onp.testing.assert_array_equal(grad(lambda x: np.sort(x)[-1] * 3)(x), [0.0, 0.0, 3.0, 0.0])


def test_interp_slope():
    # On a segment, d interp / dx is the segment's slope.
    g = grad(lambda x: np.interp(x, [0.0, 1.0, 3.0], [0.0, 2.0, 3.0]))
    assert g(0.5) == pytest.approx(2.0)
    assert g(2.0) == pytest.approx(0.5)
    assert g(4.0) == 0.0


def test_interp_refuses_traced_xp():
    with pytest.raises(Exception, match="xp"):
        grad(lambda xp: np.sum(np.interp(0.5, xp, onp.array([1.0, 2.0]))))(onp.array([0.0, 1.0]))


def test_put_along_axis_into_plain_array_refuses_traced_values():
    def f(v):
        y = onp.zeros((2, 2))
        onp.put_along_axis(y, onp.array([[0], [1]]), v, axis=1)
        return onp.sum(y)

    with pytest.raises(TraceLeakError):
        grad(f)(onp.ones((2, 1)))


@pytest.mark.parametrize("write", [
    lambda y, v: onp.put(y, [0], v),
    lambda y, v: onp.place(y, onp.array([True, False]), v),
    lambda y, v: onp.putmask(y, onp.array([True, False]), v),
    lambda y, v: onp.copyto(y, v),
    lambda y, v: onp.fill_diagonal(y.reshape(1, 2), v),
])
def test_writes_into_plain_arrays_refuse_traced_values(write):
    def f(v):
        y = onp.zeros(2)
        write(y, v)
        return onp.sum(y)

    with pytest.raises(TraceLeakError):
        grad(f)(onp.ones(1))


def test_writes_do_not_mutate_values_on_the_tape():
    def f(x):
        y = x * 1.0
        z = y * y  # y's current value is on the tape
        np.put(y, [0, 2], 5.0)
        np.fill_diagonal(y, 7.0)
        np.place(y, onp.array([[False, True], [True, False]]), 9.0)
        np.copyto(y, 4.0, where=onp.array([[False, True], [False, False]]))
        return np.sum(z) + np.sum(y * x)

    x = onp.array([[1.0, 2.0], [3.0, 4.0]])
    onp.testing.assert_array_equal(grad(f)(x), 2 * x + onp.array([[7.0, 4.0], [9.0, 7.0]]))


def test_index_results_accept_traced_values():
    def f(x):
        assert onp.array_equal(np.isin(x, x[:2]), [True, True, False, False])
        assert onp.array_equal(np.unravel_index(np.argmax(x), (2, 2)), (1, 0))
        assert onp.array_equal(np.tril_indices_from(np.reshape(x, (2, 2)))[1], [0, 0, 1])
        assert onp.array_equal(np.argpartition(x, 1), onp.argpartition(x._value, 1))
        assert onp.array_equal(np.lexsort((x, -x)), onp.lexsort((x._value, -x._value)))
        assert onp.array_equal(onp.argpartition(x, 2), onp.argpartition(x._value, 2))
        return np.sum(x)

    grad(f)(onp.array([0.4, -1.0, 3.0, 0.2]))

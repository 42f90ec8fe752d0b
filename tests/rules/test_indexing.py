"""Numerical checks of indexing: getitem (x[idx]), setitem (x[idx] = v), untake and where."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.numpy.assignment import erase, gather, scatter
from tapegrad.numpy.indexing import untake

from .harness import BINARY_SHAPES, Row, expand, run

C = ("float64", "complex128")
V = ((4,),)
M = ((3, 4),)
T3 = ((2, 3, 4),)

_P = onp.array([0, 5, 6, 11, 3])  # C-order positions in a (3, 4) array
_P2 = onp.array([1, 7, 1, 10])  # with a repeat: scatter adds
MASK = onp.array([[True, False, False, True], [False, False, True, False], [True, True, False, False]])
ROWS_MASK = onp.array([True, False, True])


def _set(idx):
    """x with x[idx] = v, written into a copy the way user code does it."""

    def fun(x, v):
        y = np.array(x)
        y[idx] = v
        return y

    return fun


def _set_copy(idx):
    def fun(x, v):
        y = np.copy(x)  # x traced here: the copy is traced too
        y[idx] = v
        return y

    return fun


def _set_into_zeros(shape, idx):
    def fun(v):
        y = np.zeros(shape)
        y[idx] = v
        return y

    return fun


def _iadd(idx):
    def fun(x, v):
        y = np.copy(x)
        y[idx] += v
        return y

    return fun


ROWS = [
    # getitem: basic indices
    Row("getitem int", lambda x: x[1], [V, M, T3], dtypes=C),
    Row("getitem negative int", lambda x: x[-1, -2], [M]),
    Row("getitem slice", lambda x: x[1:3], [V, M], dtypes=C),
    Row("getitem negative step", lambda x: x[::-1], [V, M], dtypes=C),
    Row("getitem negative step range", lambda x: x[3:0:-2], [V]),
    Row("getitem 2d slices", lambda x: x[1:, ::-2], [M, T3]),
    Row("getitem ellipsis", lambda x: x[..., 1], [M, T3], dtypes=C),
    Row("getitem ellipsis middle", lambda x: x[0, ..., ::2], [T3]),
    Row("getitem newaxis", lambda x: x[None, :, None], [V, M], dtypes=C),
    Row("getitem newaxis ellipsis", lambda x: x[np.newaxis, ..., 1:2, None], [M]),
    Row("getitem empty tuple", lambda x: x[()], [((),), V]),
    Row("getitem scalar of vector", lambda x: x[2] * x[0], [V]),
    # getitem: integer arrays (repeats accumulate in the cotangent)
    Row("getitem fancy", lambda x: x[[2, 0, 3]], [V, ((4, 3),)], dtypes=C),
    Row("getitem fancy-repeat", lambda x: x[[0, 0, 2]], [V, M], dtypes=C),
    Row("getitem fancy negative", lambda x: x[[-1, -1, 1, -4]], [V]),
    Row("getitem fancy 2d index", lambda x: x[onp.array([[1, 1], [0, 3]])], [V]),
    Row("getitem fancy pairs", lambda x: x[[0, 2, 0], [1, 1, 1]], [M], dtypes=C),
    Row("getitem fancy and slice", lambda x: x[[0, 0], 1:3], [M, T3]),
    Row("getitem slice and fancy", lambda x: x[:, [3, 3, 0]], [M, ((2, 4, 3),)], dtypes=C),
    Row("getitem separated fancy", lambda x: x[[1, 1], :, [0, 3]], [T3]),
    Row("getitem fancy newaxis", lambda x: x[None, [2, 2]], [M]),
    # getitem: boolean masks
    Row("getitem mask", lambda x: x[MASK], [M], dtypes=C),
    Row("getitem mask rows", lambda x: x[ROWS_MASK], [M, ((3, 2, 2),)], dtypes=C),
    Row("getitem mask axis 1", lambda x: x[:, MASK[0]], [M]),
    Row("getitem mask from values", lambda x: x[np.abs(x) > 0.3], [V, M]),
    Row("getitem mask scalar", lambda x: x[True], [((),), V]),
    # setitem: basic indices
    Row("setitem int", _set(1), [(V[0], ()), (M[0], (4,)), (M[0], ())], dtypes=C),
    Row("setitem slice", _set(slice(1, 3)), [((4,), (2,)), ((3, 4), (2, 4)), ((3, 4), (4,)), ((3, 4), ())], dtypes=C),
    Row("setitem negative step", _set(slice(None, None, -2)), [((4,), (2,)), ((3, 4), (2, 1))]),
    Row("setitem ellipsis", _set((Ellipsis, 0)), [((3, 4), (3,)), ((2, 3, 4), (3,))], dtypes=C),
    Row("setitem newaxis", _set((None, 1)), [((3, 4), (1, 4)), ((3, 4), (4,))]),
    Row("setitem leading ones", _set(0), [((3, 4), (1, 4)), ((3, 4), (1, 1, 4))]),
    Row("setitem all", _set(Ellipsis), [((3, 4), (3, 4)), ((3, 4), (4,))]),
    # setitem: integer arrays (with repeats the last write wins)
    Row("setitem fancy", _set([1, 1]), [((4,), (2,)), ((3, 4), (2, 4)), ((3, 4), (4,)), ((4,), ())], dtypes=C),
    Row("setitem fancy distinct", _set([3, 0]), [((4,), (2,)), ((4, 3), (2, 1))]),
    Row("setitem fancy pairs", _set(([0, 2, 0], [1, 1, 1])), [((3, 4), (3,)), ((3, 4), ())], dtypes=C),
    Row("setitem fancy and slice", _set(([2, 0, 2], slice(1, 3))), [((3, 4), (3, 2)), ((3, 4), (2,))]),
    Row("setitem fancy negative", _set([-1, 3, 1]), [((4,), (3,))]),
    Row("setitem fancy copy", _set_copy([2, 0, 2]), [((4,), (3,)), ((3, 4), (4,))], dtypes=C),
    Row("setitem fancy into zeros", _set_into_zeros((3, 4), ([1, 1, 0], [2, 2, 3])), [((3,),)]),
    # setitem: boolean masks
    Row("setitem mask", _set(MASK), [((3, 4), (5,)), ((3, 4), ())], dtypes=C),
    Row("setitem mask rows", _set(ROWS_MASK), [((3, 4), (2, 4)), ((3, 4), (4,)), ((3, 4), ())], dtypes=C),
    Row("setitem mask into zeros", _set_into_zeros((3, 4), MASK), [((5,),), ((),)]),
    # setitem: only one side traced
    Row("setitem value only", _set([0, 2, 0]), [((4,), (3,))], argnums=(1,), dtypes=C),
    Row("setitem target only", _set(slice(0, 2)), [((4,), (2,))], argnums=(0,), dtypes=C),
    # in-place arithmetic through indexing
    Row("setitem iadd", _iadd(slice(1, 3)), [((4,), (2,)), ((3, 4), (4,))], dtypes=C),
    Row("setitem iadd fancy repeat", _iadd([0, 0, 2]), [((4,), (3,)), ((4,), ())]),
    # untake: the adjoint of getitem
    Row("untake", lambda g: untake(g, [1, 1, 3], (4,), onp.float64), [((3,),)]),
    Row("untake basic", lambda g: untake(g, (slice(0, 2),), (3, 4), g.dtype), [((2, 4),)], dtypes=C),
    Row("untake mask", lambda g: untake(g, MASK, (3, 4), g.dtype), [((5,),)], dtypes=C),
    # where
    Row("where", lambda x, y: np.where(np.real(x) > 0, x, y), BINARY_SHAPES, dtypes=C),
    Row("where fixed", lambda x, y: np.where(MASK, x, y), [((3, 4), (3, 4)), ((4,), ()), ((3, 1), (1, 4))], dtypes=C),
    Row("where constant", lambda x: np.where(MASK, x, 2.0), [V, M]),
    Row("where constant first", lambda y: np.where(MASK, 1.5, y), [((3, 4),), ((4,),)]),
    # the logical operations behind views and writes (tapegrad.numpy.assignment), on C-order positions
    Row("assignment.gather", lambda a: gather(a, _P, None), [((3, 4),)], dtypes=C),
    Row("assignment.gather real part", lambda a: gather(a, _P, "real"), [((3, 4),)], dtypes=("complex128",)),
    Row("assignment.gather imaginary part", lambda a: gather(a, _P, "imag"), [((3, 4),)], dtypes=("complex128",)),
    Row("assignment.scatter", lambda t: scatter(t, _P, None, (3, 4), onp.float64, True), [((5,),)]),
    Row("assignment.scatter repeated", lambda t: scatter(t, _P2, None, (3, 4), onp.float64, False), [((4,),)]),
    Row("assignment.erase", lambda g: erase(g, _P, None), [((3, 4),)], dtypes=C),
    Row("assignment.erase real part", lambda g: erase(g, _P, "real"), [((3, 4),)], dtypes=("complex128",)),
    Row("assignment.erase imaginary part", lambda g: erase(g, _P, "imag"), [((3, 4),)], dtypes=("complex128",)),
    Row("item", lambda a: a.item(2) * a, [((2, 3),)]),
]


@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


def test_repeated_getitem_accumulates():
    x = onp.array([1.0, 2.0, 3.0, 4.0])
    onp.testing.assert_array_equal(grad(lambda x: np.sum(x[[0, 0, 2, 0]]))(x), [3.0, 0.0, 1.0, 0.0])
    onp.testing.assert_array_equal(grad(lambda x: np.sum(x[[-1, 3]] * 2.0))(x), [0.0, 0.0, 0.0, 4.0])


def test_repeated_setitem_last_write_wins():
    def f(v):
        y = np.zeros(3)
        y[[1, 1, 2, 1]] = v
        return np.sum(y * onp.array([1.0, 10.0, 100.0]))

    v = onp.array([1.0, 2.0, 3.0, 4.0])
    onp.testing.assert_array_equal(f(v), 4.0 * 10 + 3.0 * 100)
    onp.testing.assert_array_equal(grad(f)(v), [0.0, 0.0, 100.0, 10.0])


def test_setitem_overwritten_target_gets_no_gradient():
    def f(x):
        y = x * 1.0
        y[1:3] = 7.0
        return np.sum(y * y)

    x = onp.array([1.0, 2.0, 3.0, 4.0])
    onp.testing.assert_array_equal(grad(f)(x), [2.0, 0.0, 0.0, 8.0])


def test_setitem_does_not_alias_the_input():
    x = onp.array([1.0, 2.0, 3.0])

    def f(x):
        y = x
        y[0] = 5.0 * x[1]  # rebinds the box; the caller's array is untouched
        return np.sum(y)

    onp.testing.assert_array_equal(grad(f)(x), [0.0, 6.0, 1.0])
    onp.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_where_one_argument_gives_indices():
    def f(x):
        (idx,) = np.where(x > 0)
        onp.testing.assert_array_equal(idx, [0, 2])
        return np.sum(x[idx])

    onp.testing.assert_array_equal(grad(f)(onp.array([1.0, -1.0, 2.0])), [1.0, 0.0, 1.0])


def test_traced_index_is_used_as_plain_value():
    def f(x):
        i = np.argmax(x)
        return x[i] * 2.0

    onp.testing.assert_array_equal(grad(f)(onp.array([1.0, 5.0, 2.0])), [0.0, 2.0, 0.0])

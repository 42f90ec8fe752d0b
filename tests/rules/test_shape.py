"""Numerical checks of the shape family: reshaping, joining, flipping, padding, splitting."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad

from .harness import Row, check_traced_value, expand, run

C = ("float64", "complex128")
M = ((3, 4),)
T3 = ((2, 3, 4),)

ROWS = [
    # reshaping and axes
    Row("reshape", lambda x: np.reshape(x, (4, 3)), [M], dtypes=C),
    Row("reshape -1", lambda x: np.reshape(x, (-1,)), [((4,),), M, T3]),
    Row("ravel", np.ravel, [((),), ((4,),), M, T3], dtypes=C),
    Row("ravel F", lambda x: np.ravel(x, order="F"), [M]),
    # memory orders: 'A' and 'K' read the input's layout (harness LAYOUTS), never the cotangent's
    Row("ravel A", lambda x: np.ravel(x, order="A"), [M, T3], dtypes=C),
    Row("ravel A F-input", lambda x: np.ravel(x, order="A"), [M, T3], dtypes=C, layout="F"),
    Row("ravel A reversed", lambda x: np.ravel(x, "A"), [M], layout="reversed"),
    Row("ravel A strided", lambda x: np.ravel(x, "a"), [M], layout="strided"),
    Row("ravel K", lambda x: np.ravel(x, order="K"), [((),), ((4,),), M, T3], dtypes=C),
    Row("ravel K F-input", lambda x: np.ravel(x, order="K"), [M, T3], dtypes=C, layout="F"),
    Row("ravel K reversed", lambda x: np.ravel(x, order="K"), [((4,),), M, T3], dtypes=C, layout="reversed"),
    Row("ravel K strided", lambda x: np.ravel(x, "K"), [M, T3], layout="strided"),
    Row("ravel K swapped", lambda x: np.ravel(x, order="k"), [T3], layout="swapped"),
    Row("ravel K broadcast", lambda x: np.ravel(x, order="K"), [M, T3], layout="broadcast"),
    Row("ravel F F-input", lambda x: np.ravel(x, order="F"), [M], layout="F"),
    Row("ravel C F-input", np.ravel, [M, T3], layout="F"),
    Row("reshape A", lambda x: np.reshape(x, (2, 6), order="A"), [M], dtypes=C),
    Row("reshape A F-input", lambda x: np.reshape(x, (2, 6), order="A"), [M], dtypes=C, layout="F"),
    Row("reshape A positional", lambda x: np.reshape(x, (6, -1), "A"), [M, T3], layout="F"),
    Row("reshape A swapped", lambda x: np.reshape(x, (4, 6), order="A"), [T3], layout="swapped"),
    Row("reshape F F-input", lambda x: np.reshape(x, (6, 2), order="F"), [M], layout="F"),
    Row("reshape A method", lambda x: x.reshape((2, 6), order="A"), [M], layout="F"),
    Row("ravel A method", lambda x: x.ravel("A"), [M], layout="F"),
    Row("ravel K method", lambda x: x.ravel(order="K"), [T3], layout="swapped"),
    Row("flatten A method", lambda x: x.flatten("A"), [M], layout="F"),
    Row("flatten K method", lambda x: x.flatten("K"), [M], layout="reversed"),
    Row("squeeze", np.squeeze, [((1, 4, 1),), ((3, 1),)], dtypes=C),
    Row("squeeze axis", lambda x: np.squeeze(x, axis=0), [((1, 4, 1),)]),
    Row("expand_dims", lambda x: np.expand_dims(x, 1), [((4,),), M], dtypes=C),
    Row("expand_dims tuple", lambda x: np.expand_dims(x, (0, -1)), [M]),
    Row("transpose", np.transpose, [((4,),), M, T3], dtypes=C),
    Row("transpose axes", lambda x: np.transpose(x, (2, 0, 1)), [T3]),
    Row("transpose negative axes", lambda x: np.transpose(x, (-1, 0, -2)), [T3]),
    Row("swapaxes", lambda x: np.swapaxes(x, 0, 2), [T3], dtypes=C),
    Row("moveaxis", lambda x: np.moveaxis(x, 0, -1), [T3], dtypes=C),
    Row("moveaxis tuple", lambda x: np.moveaxis(x, (0, 1), (2, 0)), [T3]),
    Row("rollaxis", lambda x: np.rollaxis(x, 2), [T3], dtypes=C),
    Row("rollaxis start", lambda x: np.rollaxis(x, 0, 2), [T3]),
    Row("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), [((),), ((4,),), ((3, 1),)], dtypes=C),
    Row("broadcast_arrays", lambda x, y: np.broadcast_arrays(x, y), [((3, 1), (1, 4)), ((), (4,))], dtypes=C),
    # joining
    Row("concatenate", lambda x, y: np.concatenate([x, y]), [((4,), (2,)), ((3, 4), (1, 4))], dtypes=C),
    Row("concatenate axis", lambda x, y: np.concatenate((x, y), axis=-1), [((3, 4), (3, 2))]),
    Row("concatenate none", lambda x, y: np.concatenate([x, y], axis=None), [((3, 4), (2,))]),
    Row("concatenate const", lambda x: np.concatenate([onp.ones(2), x, onp.zeros(3)]), [((4,),)]),
    Row("stack", lambda x, y: np.stack([x, y]), [((), ()), ((4,), (4,)), ((3, 4), (3, 4))], dtypes=C),
    Row("stack axis", lambda x, y: np.stack([x, y], axis=-1), [((3, 4), (3, 4))]),
    Row("atleast_1d", np.atleast_1d, [((),), ((4,),)], dtypes=C),
    Row("atleast_1d many", lambda x, y: np.atleast_1d(x, y), [((), (4,))]),
    Row("atleast_2d", np.atleast_2d, [((),), ((4,),), M], dtypes=C),
    Row("atleast_3d", np.atleast_3d, [((),), ((4,),), M, T3], dtypes=C),
    Row("atleast_3d many", lambda x, y: np.atleast_3d(x, y), [((), (3, 4))]),
    Row("hstack", lambda x, y: np.hstack([x, y]), [((), ()), ((4,), (2,)), ((3, 4), (3, 1))], dtypes=C),
    Row("vstack", lambda x, y: np.vstack([x, y]), [((4,), (4,)), ((3, 4), (4,))], dtypes=C),
    Row("dstack", lambda x, y: np.dstack([x, y]), [((4,), (4,)), ((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 1))], dtypes=C),
    Row("column_stack", lambda x, y: np.column_stack([x, y]), [((4,), (4,)), ((4, 2), (4,))], dtypes=C),
    Row("block", lambda x, y: np.block([x, y]), [((3,), (2,)), ((3, 4), (3, 1))], dtypes=C),
    Row("block 2d", lambda x, y, z: np.block([[x, y], [z]]), [((2, 2), (2, 3), (1, 5))], dtypes=C),
    Row("block promote", lambda x, y: np.block([[x], [y]]), [((), ()), ((4,), (4,))]),
    Row("block 3d", lambda x, y: np.block([[[x, y]]]), [((2, 3), (2, 1))]),
    # flips, rolls, rotations
    Row("flip", np.flip, [((4,),), M, T3], dtypes=C),
    Row("flip axis", lambda x: np.flip(x, 1), [M, T3]),
    Row("flip axes", lambda x: np.flip(x, axis=(0, 2)), [T3]),
    Row("fliplr", np.fliplr, [M, T3], dtypes=C),
    Row("flipud", np.flipud, [((4,),), M], dtypes=C),
    Row("roll", lambda x: np.roll(x, 2), [((4,),), M], dtypes=C),
    Row("roll axis", lambda x: np.roll(x, -1, axis=1), [M, T3]),
    Row("roll tuple", lambda x: np.roll(x, (1, 3), axis=(0, 2)), [T3]),
    Row("rot90", np.rot90, [M, T3], dtypes=C),
    Row("rot90 k", lambda x: np.rot90(x, 3, axes=(1, 2)), [T3]),
    Row("rot90 k2", lambda x: np.rot90(x, -2), [M]),
    # tiling and repetition
    Row("tile", lambda x: np.tile(x, 2), [((),), ((4,),), M], dtypes=C),
    Row("tile tuple", lambda x: np.tile(x, (2, 1, 3)), [((4,),), M]),
    Row("tile short reps", lambda x: np.tile(x, (2,)), [T3]),
    Row("repeat", lambda x: np.repeat(x, 3), [((),), ((4,),), M], dtypes=C),
    Row("repeat axis", lambda x: np.repeat(x, 2, axis=1), [M, T3]),
    Row("repeat counts", lambda x: np.repeat(x, [2, 0, 1], axis=0), [M]),
    Row("repeat counts flat", lambda x: np.repeat(x, [1, 3, 0, 2]), [((4,),), ((2, 2),)]),
    Row("repeat one count", lambda x: np.repeat(x, [2], axis=-1), [M]),
    # padding
    Row("pad", lambda x: np.pad(x, 2), [((4,),), M], dtypes=C),
    Row("pad widths", lambda x: np.pad(x, ((1, 0), (2, 3))), [M]),
    Row("pad constant_values", lambda x: np.pad(x, (1, 2), constant_values=3.5), [M]),
    Row("pad edge", lambda x: np.pad(x, ((2, 1), (0, 3)), mode="edge"), [M], dtypes=C),
    Row("pad reflect", lambda x: np.pad(x, (2, 3), mode="reflect"), [((4,),), M], dtypes=C),
    Row("pad reflect long", lambda x: np.pad(x, 7, "reflect"), [((4,),)]),
    Row("pad symmetric", lambda x: np.pad(x, ((1, 2), (3, 1)), mode="symmetric"), [M]),
    Row("pad wrap", lambda x: np.pad(x, ((1, 2), (5, 1)), mode="wrap"), [M]),
    # splitting: lists of traced arrays
    Row("split", lambda x: np.split(x, 2), [((4,),), ((4, 3),)], dtypes=C),
    Row("split indices", lambda x: np.split(x, [1, 3], axis=1), [M, T3]),
    Row("split odd indices", lambda x: np.split(x, [3, 1, 9]), [((4,),)]),
    Row("array_split", lambda x: np.array_split(x, 3), [((4,),), ((4, 3),)], dtypes=C),
    Row("array_split axis", lambda x: np.array_split(x, 3, axis=-1), [M]),
    Row("hsplit", lambda x: np.hsplit(x, 2), [((4,),), M], dtypes=C),
    Row("hsplit indices", lambda x: np.hsplit(x, [2]), [T3]),
    Row("vsplit", lambda x: np.vsplit(x, [1]), [M, T3], dtypes=C),
    Row("dsplit", lambda x: np.dsplit(x, 2), [T3], dtypes=C),
    # resizing, appending, inserting, deleting
    Row("resize", lambda x: np.resize(x, (3, 5)), [((),), ((4,),), M], dtypes=C),
    Row("resize smaller", lambda x: np.resize(x, 5), [M]),
    Row("append", np.append, [((4,), (2,)), ((3, 4), ()), ((), (3, 4))], dtypes=C),
    Row("append axis", lambda x, y: np.append(x, y, axis=0), [((3, 4), (2, 4))]),
    Row("insert", lambda x, v: np.insert(x, 2, v), [((4,), ()), ((3, 4), (2,))], dtypes=C),
    Row("insert axis", lambda x, v: np.insert(x, [1, 1, 3], v, axis=1), [((3, 4), (3, 1)), ((3, 4), (3,))]),
    Row("insert scalar axis", lambda x, v: np.insert(x, 1, v, axis=0), [((3, 4), (4,)), ((3, 4), ())]),
    Row("insert slice", lambda x, v: np.insert(x, slice(0, 4, 2), v), [((4,), (2,))]),
    Row("delete", lambda x: np.delete(x, [0, 2]), [((4,),), M], dtypes=C),
    Row("delete axis", lambda x: np.delete(x, 1, axis=-1), [M, T3]),
    Row("delete slice mask", lambda x: np.delete(x, onp.array([True, False, True]), axis=0), [M]),
    Row("meshgrid", lambda x, y: np.meshgrid(x, y), [((3,), (4,))], dtypes=C),
    Row("meshgrid ij", lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"), [((3,), (2,), (4,))]),
    Row("meshgrid sparse", lambda x, y: np.meshgrid(x, y, sparse=True), [((3,), (4,))]),
    Row("meshgrid one", lambda x: np.meshgrid(x), [((4,),)]),
    # diagonals and triangles
    Row("diag", np.diag, [((4,),), M, ((4, 4),)], dtypes=C),
    Row("diag k", lambda x: np.diag(x, 1), [((4,),), M]),
    Row("diag -k", lambda x: np.diag(x, k=-2), [((4,),), M]),
    Row("diagflat", np.diagflat, [((4,),), ((2, 2),)], dtypes=C),
    Row("diagflat k", lambda x: np.diagflat(x, -1), [((2, 2),)]),
    Row("diagonal", np.diagonal, [M, T3], dtypes=C),
    Row("diagonal offset", lambda x: np.diagonal(x, -1, 2, 1), [T3]),
    Row("diagonal offset", lambda x: np.diagonal(x, offset=2), [M]),
    Row("tril", np.tril, [((4,),), M, T3], dtypes=C),
    Row("tril k", lambda x: np.tril(x, -1), [M]),
    Row("triu", np.triu, [((4,),), M, T3], dtypes=C),
    Row("triu k", lambda x: np.triu(x, k=2), [M]),
]
if hasattr(onp, "row_stack"):
    ROWS.append(Row("row_stack", lambda x, y: np.row_stack([x, y]), [((4,), (4,))]))
if hasattr(onp, "matrix_transpose"):
    ROWS.append(Row("matrix_transpose", np.matrix_transpose, [M, T3], dtypes=C))
if hasattr(onp, "unstack"):
    ROWS.append(Row("unstack", np.unstack, [((4,),), M], dtypes=C))
    ROWS.append(Row("unstack axis", lambda x: np.unstack(x, axis=-1), [T3]))


@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
@pytest.mark.parametrize("row,shapes,dtype", expand(ROWS))
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


# Values on traced inputs must be NumPy's, whichever path computed them.
VALUE_CASES = [
    (lambda m, x: m.block([[x[:2, :2], x[:2, 2:]], [x[2:]]]), (3, 4)),
    (lambda m, x: m.pad(x, ((1, 2), (3, 0)), mode="symmetric"), (3, 4)),
    (lambda m, x: m.pad(x, 5, mode="reflect"), (3,)),
    (lambda m, x: m.insert(x, [0, 2, 2], [[7.0], [8.0], [9.0]], axis=1), (3, 4)),
    (lambda m, x: m.insert(x, 1, [7.0, 8.0, 9.0, 10.0], axis=0), (3, 4)),
    (lambda m, x: m.delete(x, slice(1, None, 2), axis=1), (3, 4)),
    (lambda m, x: m.resize(x, (5, 3)), (3, 2)),
    (lambda m, x: m.diagonal(x, 1, 0, 2), (3, 4, 5)),
    (lambda m, x: m.diag(x, -1), (3, 4)),
    (lambda m, x: m.diag(x, 2), (3,)),
    (lambda m, x: m.tile(x, (2, 1, 3)), (3, 4)),
    (lambda m, x: m.repeat(x, [1, 0, 2], axis=0), (3, 4)),
    (lambda m, x: m.rollaxis(x, 2, 1), (2, 3, 4)),
    (lambda m, x: m.triu(x, -1), (2, 3, 4)),
    (lambda m, x: m.column_stack([x[0], x[1:].T]), (3, 4)),
    (lambda m, x: m.stack(m.array_split(x, 3, axis=1)[0]), (3, 4)),
    (lambda m, x: m.dstack(m.meshgrid(x[0], x[1, :2], indexing="xy")), (3, 4)),
]


@pytest.mark.parametrize("case", range(len(VALUE_CASES)))
def test_traced_value_matches_numpy(case):
    f, shape = VALUE_CASES[case]
    check_traced_value(f, shape, case, rtol=0, atol=0)


# ravel/reshape with the memory orders: NumPy's values, from traced inputs of every layout.
ORDER_CASES = [
    (lambda x, o=o: np.ravel(x, order=o), o) for o in ("C", "F", "A", "K", "a", "k", None)
] + [
    (lambda x, o=o: np.reshape(x, (-1, 2), order=o), o) for o in ("C", "F", "A", "a")
] + [
    (lambda x, o=o: x.flatten(o), o) for o in ("A", "K")
]
ORDER_LAYOUTS = [
    ("C", (2, 3, 4)), ("F", (2, 3, 4)), ("F", (3, 4)), ("reversed", (2, 3, 4)), ("strided", (2, 3, 4)),
    ("swapped", (2, 3, 4)), ("broadcast", (2, 3, 4)), ("F", (1, 4)), ("reversed", (4,)),
]


@pytest.mark.parametrize("layout,shape", ORDER_LAYOUTS)
@pytest.mark.parametrize("case", range(len(ORDER_CASES)))
def test_memory_order_values_and_gradient_match_numpy(case, layout, shape):
    """The traced value is NumPy's, and the gradient routes each output weight to the element read."""
    from tapegrad import make_jvp

    from .harness import LAYOUTS

    f, order = ORDER_CASES[case]
    drawn, make = LAYOUTS[layout]
    size = int(onp.prod(drawn(shape)))
    x = onp.arange(1.0, size + 1).reshape(drawn(shape))
    plain = make(x, shape)
    expected = f(plain)  # NumPy on the plain array: each value says which element of x was read
    w = onp.random.default_rng(case).standard_normal(onp.shape(expected))
    seen = []

    def loss(x):
        y = f(make(x, shape))
        seen.append(getattr(y, "_value", y))
        return np.sum(y * w)

    g = grad(loss)(x)
    onp.testing.assert_array_equal(seen[0], expected)
    want = onp.zeros(size)
    onp.add.at(want, expected.astype(int).ravel() - 1, w.ravel())
    onp.testing.assert_array_equal(g, want.reshape(x.shape))
    # forward mode: the tangent of x = arange is read exactly as x is
    _, t = make_jvp(lambda x: f(make(x, shape)))(x)(x)
    onp.testing.assert_array_equal(t, expected)


def test_layouts_are_what_they_say():
    """The harness layouts give the strides their names promise, traced and plain."""
    from .harness import LAYOUTS

    shape = (2, 3, 4)

    def flags(v):
        return v.flags.c_contiguous, v.flags.f_contiguous, min(v.strides) < 0, 0 in v.strides

    expected = {
        "C": (True, False, False, False), "F": (False, True, False, False), "reversed": (False, False, True, False),
        "strided": (False, False, False, False), "swapped": (False, False, False, False),
        "broadcast": (False, False, False, True),
    }
    for name, (drawn, make) in LAYOUTS.items():
        x = onp.ones(drawn(shape))
        assert flags(make(x, shape)) == expected[name], name
        seen = []
        grad(lambda x: np.sum(seen.append(make(x, shape)._value) or make(x, shape)))(x)
        assert flags(seen[0]) == expected[name], name


def test_split_returns_list_of_traced_arrays():
    def f(x):
        parts = np.split(x, 3)
        assert isinstance(parts, list) and len(parts) == 3
        return np.sum(parts[0]) + 2 * np.sum(parts[2] ** 2)

    x = onp.arange(6.0)
    onp.testing.assert_allclose(grad(f)(x), [1, 1, 0, 0, 4 * 4, 4 * 5])


def test_pad_unsupported_mode_raises():
    with pytest.raises(Exception, match="mode='mean'"):
        grad(lambda x: np.sum(np.pad(x, 1, mode="mean")))(onp.ones(3))


def test_plain_numpy_calls_reach_rules():
    def f(x):
        return onp.sum(onp.flip(onp.pad(onp.tile(x, 2), 1, mode="edge")) * onp.arange(10.0))

    x = onp.array([1.0, 2.0, 3.0, 4.0])
    w = onp.arange(10.0)[::-1]  # weights on the padded, tiled array
    expected = onp.zeros(4)
    src = onp.pad(onp.tile(onp.arange(4), 2), 1, mode="edge")
    onp.add.at(expected, src, w)
    onp.testing.assert_allclose(grad(f)(x), expected)

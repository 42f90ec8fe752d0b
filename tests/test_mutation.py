"""NumPy's mutation model on traced arrays: the regression tests of issue 13's cases.

Each program runs twice, on plain NumPy arrays (``import numpy``) and traced
(``tapegrad.numpy``); NumPy's values, dtypes and aliasing are the oracle, and
finite differences (``check_grads``, both modes, second order) check the
derivatives.
"""

import warnings

import numpy as onp
import pytest

import tapegrad.numpy as tnp
from tapegrad import grad, make_jvp, value_and_grad
from tapegrad.test_util import check_grads

X = onp.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def same_as_numpy(program, x=X):
    """``program(np, x)`` traced and on plain arrays: equal values and dtypes; derivatives checked too."""
    plain = program(onp, x.copy())
    traced = value_and_grad(lambda x: program(tnp, x))(x)[0]
    assert onp.asarray(traced).dtype == onp.asarray(plain).dtype
    onp.testing.assert_allclose(traced, plain, rtol=1e-12)
    check_grads(lambda x: program(tnp, x), modes=["fwd", "rev"], order=2)(x)


def test_scalars_are_immutable_under_in_place_operators():
    def alias(x):
        y = x
        y += 1.0
        return x * y

    assert value_and_grad(alias)(2.0) == (6.0, 5.0)  # autograd and Python: x is left alone

    def history(np, x):
        hist = []
        s = x[0] * 1.0  # a NumPy scalar: immutable
        hist.append(s)
        s += x[1]
        return hist[0] * 3 + s

    same_as_numpy(history, X[0])


def test_boolean_mask_indexing_copies():
    def program(np, x):
        y = x * 1.0
        m = y[y > 0.4]
        m[0] = 10.0  # a copy in NumPy: y is unchanged
        return np.sum(y ** 2) + np.sum(m)

    same_as_numpy(program)


def test_zero_d_views_share_writes():
    def program(np, x):
        y = x * 1.0
        v = y[..., 1]  # shape (2,): a view
        e = v[0, ...]  # 0-d: a view too
        e += x[1, 2] ** 2
        return np.sum(y * y)

    same_as_numpy(program)


def test_view_or_copy_follows_numpys_layout_after_writes():
    def program(np, x):
        b = np.zeros(4)
        np.copyto(b, x[0, 0])
        r = b.ravel()  # b is contiguous: a view
        r[1] = x[0, 1]
        t = x.T * 1.0
        flat = t.reshape(-1)  # not contiguous: a copy
        flat[0] = 100.0
        return np.sum(b * b) + np.sum(t) + flat[0]

    same_as_numpy(program)


@pytest.mark.parametrize("make", ["ascontiguousarray", "asfortranarray"])
def test_as_contiguous_returns_the_array_itself_or_a_copy(make):
    def program(np, x):
        y = x * 1.0
        z = getattr(np, make)(y.T)  # y.T is F-contiguous: a view for asfortranarray, a copy for C
        z[0, 0] = 7.0
        return np.sum(y * x) + np.sum(z)

    same_as_numpy(program)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**=", "%=", "//="])
def test_every_in_place_operator_is_in_place_through_a_view(op):
    def program(np, x):
        y = x * 1.0 + 3.0
        v = y[:, 1:]
        exec(f"v {op} (x[:, :2] ** 2 + 1.4)", {}, {"v": v, "x": x})
        return np.sum(y * x)

    plain = program(onp, X.copy())
    traced = value_and_grad(lambda x: program(tnp, x))(X)[0]
    onp.testing.assert_allclose(traced, plain)
    if op != "//=":  # floor division is flat: nothing for finite differences to see
        check_grads(lambda x: program(tnp, x), modes=["fwd", "rev"], order=2)(X)


def test_in_place_matmul_and_casting_errors_as_numpy():
    def program(np, x):
        y = x[:, :2] * 1.0
        y @= np.array([[1.0, 2.0], [3.0, 4.0]])
        return np.sum(y ** 2)

    same_as_numpy(program)
    for np in (onp, tnp):
        def cast(x, np=np):
            b = np.zeros(3, dtype=int)
            b += x  # NumPy refuses: float into int with same_kind casting
            return b

        with pytest.raises(TypeError):
            value_and_grad(cast)(onp.ones(3)) if np is tnp else cast(onp.ones(3))


@pytest.mark.parametrize("make", [
    lambda np, y: np.broadcast_to(y, (2, 2, 3)),
    lambda np, y: np.diagonal(y),
    lambda np, y: y.imag,
])
def test_a_write_that_raises_changes_nothing(make):
    def program(np, x):
        y = x * 1.0
        v = make(np, y)
        try:
            v[0] = 5.0
        except ValueError:
            pass
        return np.sum(y ** 2) + np.sum(v)

    same_as_numpy(program)


def test_buffer_dtypes_are_numpys():
    def into_int(np, x):
        b = np.zeros(3, dtype=int)
        b[:2] = x[0, :2] * 1.7  # truncated: no derivative
        return np.sum(b * x[1])

    same_as_numpy(into_int)

    def into_float32(np, x):
        b = np.zeros((2, 3), dtype=np.float32)
        b[0] = x[0]
        b += x * 2
        return b

    out = make_jvp(lambda x: into_float32(tnp, x))(X)(onp.ones_like(X))
    assert out[0].dtype == onp.float32 and out[1].dtype == onp.float32
    onp.testing.assert_allclose(out[0], into_float32(onp, X))

    def into_complex(np, x):
        b = np.zeros(3, dtype=complex)
        np.copyto(b, x[0])
        b.imag[1:] = x[1, :2]
        return np.sum(np.abs(b) ** 2)

    same_as_numpy(into_complex)


def test_values_from_a_finished_differentiation_are_constants():
    kept = []

    def first(x):
        y = tnp.sin(x)
        kept.append(y)
        return y

    grad(first)(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, g = value_and_grad(lambda x: x * kept[0])(2.0)
        assert (value, g) == (pytest.approx(2 * onp.sin(1.0)), pytest.approx(onp.sin(1.0)))
        value, g = value_and_grad(lambda x: kept[0])(2.0)
    assert type(value) is onp.float64 and g == 0.0


def test_buffers_made_by_tapegrad_keep_accepting_traced_values():
    def program(np, x):
        b = np.zeros(3)
        b[[0, 2]] += x[0, :2]
        c = b * 2
        c[1] = x[1, 1]
        d = np.take(c, [0, 1])
        d[0] = x[1, 0] ** 2
        e = np.asarray(np.ones(2), dtype=float)
        e[1] = x[0, 2]
        return np.sum(b) + np.sum(c * c) + np.sum(d) + np.sum(e)

    same_as_numpy(program)


def test_views_of_views_and_negative_strides():
    def program(np, x):
        y = x[::-1, ::-2] * 1.0
        z = y[:, ::-1]
        z[0, 0] = x[0, 0] ** 3
        w = y.T
        w[1] *= x[1, :2]
        s = np.split(np.zeros(6), 3)
        s[1][:] = x[0, :2]
        return np.sum(y ** 2) + np.sum(w) + np.sum(s[1]) + np.sum(s[0])

    same_as_numpy(program)


def test_the_callers_array_is_never_written():
    x = X.copy()

    def writes_its_argument(x):
        x[0, 0] = 5.0
        x[1] *= 2.0
        return tnp.sum(x * x)

    grad(writes_its_argument)(x)
    make_jvp(writes_its_argument)(x)(onp.ones_like(x))
    assert (x == X).all()


def test_element_writes_in_a_loop_do_not_copy_the_array():
    from tapegrad.core import getval

    addresses = []

    def simulate(x, v):
        y = x * 1.0
        for i in range(len(y)):
            y[i] += 0.1 * v[i] * y[i - 1]
            addresses.append(getval(y).__array_interface__["data"][0])
        return tnp.sum(y * y)

    x, v = onp.linspace(0.1, 1.0, 50), onp.linspace(1.0, 2.0, 50)
    check_grads(simulate, modes=["rev", "fwd"], order=1)(x, v)
    for run in (lambda: grad(simulate)(x, v), lambda: make_jvp(simulate)(x, v)(x)):
        addresses.clear()
        run()
        # the first write makes the memory the array's own; every later one writes into it
        assert len(set(addresses[1:])) == 1, len(set(addresses))


def test_a_read_kept_by_the_tape_survives_later_writes():
    def program(np, x):
        y = x * 1.0
        s = np.sin(y)  # sin's derivative reads y as it is now
        y[0, 0] = 10.0
        y[1] += 1.0
        return np.sum(s) + np.sum(y ** 2)

    same_as_numpy(program)


def test_writes_into_parts_of_a_complex_array_from_the_same_memory():
    def program(np, x):
        z = x[0] * (1.0 + 2.0j)
        z.imag[[0, 1]] = z.real[[1, 0]] * 1.0
        z.real[np.array([True, False, True])] = z.imag[:2]  # reads what it writes, as NumPy orders it
        z[::2] = z.imag[1:]
        w = np.zeros(4)
        w[::3] = w[:2]
        b = x.ravel() * 1.0
        b[::2] = b[:3]  # NumPy does not buffer this overlap: later elements read earlier writes
        return np.sum(np.abs(z) ** 2) + np.sum(b * np.arange(6.0))

    same_as_numpy(program)


def test_unsupported_array_attributes_are_named():
    from tapegrad import NonDifferentiableError

    def probe(x):
        y = x * 1.0
        assert not hasattr(y, "tobytes") and not hasattr(y, "__array_interface__")
        with pytest.raises(NonDifferentiableError, match="ndarray.tobytes"):
            y.tobytes()
        with pytest.raises(NonDifferentiableError, match="x.astype"):
            y.view(onp.int64)
        with pytest.raises(ValueError, match="np.resize"):
            y.resize((6,))
        with pytest.raises(AttributeError, match="'numpy.ndarray' object has no attribute 'nope'"):
            y.nope
        assert (y.strides, y.T.strides, y.nbytes, y.itemsize) == ((24, 8), (8, 24), 48, 8)
        assert y.T.base is y and y.base is None and y.flags.c_contiguous
        return tnp.sum(y)

    grad(probe)(X)


def test_array_methods_that_write_as_numpy():
    import copy

    def program(np, x):
        y = x * 1.0
        v = y.view()
        v[0, 0] = x[1, 1] ** 2
        y.flat[[1, 4]] = x[0, :2] * 3
        y.flat[5] = 7.0
        z = copy.copy(y)
        z[1, 1] = 100.0
        y.partition(1, axis=1)
        y.put([0, 2], x[1, ::2])
        return np.sum(np.sin(y)) + np.sum(z) + y.T[0, 1] + x[0, 1].item() * 2

    same_as_numpy(program)


def test_element_reads_of_a_large_array_stay_sparse_in_the_backward_pass(monkeypatch):
    from tapegrad.numpy.assignment import ElementReads

    added = []
    original = ElementReads.add_into
    monkeypatch.setattr(ElementReads, "add_into", staticmethod(lambda p, t: added.append(1) or original(p, t)))

    def simulate(x, v):
        y = x * 1.0
        for i in range(1, len(y)):
            y[i] += 0.1 * v[i] * y[i - 1]  # two element reads a write
        return tnp.sum(y * y)

    n = ElementReads.MIN_SIZE + 44
    x, v = onp.linspace(0.1, 1.0, n), onp.linspace(1.0, 2.0, n)
    check_grads(simulate, modes=["rev", "fwd"], order=1)(x, v)
    added.clear()
    grad(simulate)(x, v)
    assert len(added) >= n - 1  # each read's cotangent added into the array's, not a dense array of zeros


def test_a_finished_trace_keeps_wrapping_what_its_boxes_compute():
    # PennyLane's rules strip one box layer from g * cos(p), p a box of the finished inner
    # differentiation around a live outer one: autograd keeps the finished layer, and so must we
    from tapegrad.extend import defvjp, primitive

    class Tape:
        pass

    @primitive
    def execute(p, tape):
        return tnp.sin(p)

    def vjp(ans, p, tape):
        def rule(g):
            out = g * tnp.cos(tape.p)
            return getattr(out, "_value", out)

        return rule

    defvjp(execute, vjp)

    def f(x):
        tape = Tape()
        tape.p = x
        return execute(x, tape)

    assert grad(grad(f))(0.6) == pytest.approx(-onp.sin(0.6))

"""Programs the differential fuzzer once found wrong, shrunk: each must now match NumPy and finite differences.

Inputs are the fuzzer's fixed ``x`` (3 x 4) and ``y`` (4,) of ``tests/test_fuzz.py``; a
statement NumPy refuses is wrapped in ``try``/``except`` and the exception kind compared.
"""

import pytest

from tests.fuzz import check
from tests.test_fuzz import program


def _guarded(stmt: str) -> str:
    return f"try:\n    {stmt}\nexcept Exception as err:\n    probe(err)"


REGRESSIONS = {
    "np.real of a real array is a view": ["a = np.real(y)", "y -= y", "probe(a)"],
    "writes through np.real reach the array": ["np.real(y)[...] = 2.0"],
    "np.asarray of the same dtype is the array itself": ["c = np.asarray(y, dtype=float)", "c -= c",
                                                         "probe(np.shares_memory(np.asarray(x, dtype=float).ravel(), x))"],
    "np.imag of a complex array is a writable view": ["b = np.empty_like(y, dtype=complex)", "b[...] = y",
                                                      "np.imag(b)[True] -= 3"],
    "a masked write reading the memory it writes": ["x[x < 0.5] = x.ravel()[:4]", "y[y > 0.0] = y[::-1][:3]"],
    "np.place reading the array it writes": ["np.place(y, y < 0.2122, y)"],
    "a fancy write into .real reading the array": ["np.real(y)[[0, 1, -1, -1]] += x.ravel()[:4]"],
    "ufunc out= a view": ["np.add(y, 2.0, out=y[:])"],
    "view() and put()": ["b = y.view()", "b.put([0, -1], x[0, :2])"],
    "item() is a Python number in NumPy's promotion": ["a = x.item(9)", "a *= np.float32(2.0)",
                                                       "b = x.astype(np.float32).item(0)"],
    "an empty diagonal": ["b = np.diagonal(np.full((1, 4), 2.0), -1, 0, 1)"],
    "traced values into an integer buffer": ["c = y.astype(int) * (1 + 2.0j)", "c -= y[0]"],
    "np.put into an array held twice": ["L0 = [y, y]", "np.put(L0[1], [1, 1], 2.0, mode='wrap')"],
    "ravel(order='K') of a view, then writes": ["y = np.swapaxes(x, 0, 1)", "y /= (2.0 + x[2, 1] ** 2)",
                                                 "b = np.ravel(y, order='K')", "b *= y.ravel()[:12]"],
    "a real input through a complex reduction": ["b = np.sum(y, dtype=complex)"],
    "negative element indices": ["y[-1] = 3.0", "y[-2] += 2.0"],
    "write functions raise NumPy's errors": [_guarded("np.place(x, [True] * 4, y[-2])"),
                                             _guarded("np.putmask(np.diag(x), [False] * 3, y)"),
                                             _guarded("np.add(2.0, 1.0, out=x[1, 0])")],
    "in-place matmul checks casting first": ["e = np.eye(3, dtype=bool)", _guarded("e @= 3")],
    "copyto onto its own memory": ["L0 = x.diagonal()", "np.copyto(L0, L0)", "np.copyto(x, x, where=[False, True, True, True])"],
    "a scalar's copy is a scalar": ["c = np.sum(x).copy()", "d = c", "d += 1.0", "probe(c)"],
    "in-place arithmetic on part of a complex array": ["c = x + 1j", "c.real[0] += 2.0", "c.imag[1:] *= 2.0"],
    "ufunc out= of the wrong shape": ["c = y[None]", _guarded("np.add(c, 2.0, out=c[0])")],
    "where= must be boolean": [_guarded("np.multiply(x, 2.0, out=x, where=x * 1.0)")],
    "a Python float stays weakly typed through % and //": ["s = np.sum(y).item()", "s %= 2", "s //= 0.5",
                                                          "s -= np.sum(np.eye(2, dtype=np.float32))"],
    "an empty view of a written array": ["z = x[None] * np.ones((2, 1, 1))", "z[[False, True]] -= 2.0",
                                         "c = np.diagonal(np.diagonal(z, 1, 1, 0), -1, 1, 0)"],
    "copyto onto a read-only unit diagonal from its own memory": ["a = np.atleast_2d(y)",
                                                                   "np.copyto(np.diag(a), a.ravel()[:1].reshape(1,))"],
    "a Python float's cotangent through a float32 sum": ["a = np.full((3, 1), 2.0, dtype=np.float32)",
                                                         "t = np.sum(x).item()", "b = a.real", "b[b > 1.0] += t"],
    "atleast_2d's unit axis has NumPy's stride, which copyto's same-memory check reads":
        [_guarded("np.copyto(np.broadcast_to(y, (1, 4)), y.ravel()[:4].reshape(1, 4))"),
         "a = np.atleast_2d(y)", _guarded("np.copyto(a[:, ::-1][:, ::-1], y.reshape(1, 4))"),
         "probe(np.atleast_3d(y).strides, np.atleast_2d(y).T.strides)"],
    "a read-only out= is refused before the operands' types": ["c = np.imag(np.ones((2, 3), dtype=bool))",
                                                               _guarded("np.negative(c, out=c)")],
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_shrunk_program_matches_numpy(name):
    src = program(*REGRESSIONS[name])
    assert check(src, second_order=True) == []


def test_a_python_float_written_into_a_float32_buffer_has_a_float64_gradient():
    # fuzzer seed 518052: the subtraction runs in float32 (a Python number is weak in NumPy's
    # promotion), and the scalar path of unbroadcast kept that precision for the float input
    import numpy as onp

    import tapegrad
    import tapegrad.numpy as tnp

    def f(y):
        b = tnp.arange(4, dtype=tnp.float32)[..., 1]
        b[...] -= y
        return tnp.real(b) * 0.3

    g = tapegrad.grad(f)(-0.69)
    assert onp.asarray(g).dtype == onp.float64 and g == pytest.approx(-0.3)


@pytest.mark.parametrize("op", ["//", "%", "divmod", "abs"])
def test_operators_of_two_traced_python_floats_give_python_floats(op):
    # fuzzer seed 663291: y %= (2.0 + y ** 2) of a traced float gave NumPy's float64, which then
    # promoted a float32 sum to float64 where Python's float (weak in NumPy's promotion) does not
    import tapegrad
    from tapegrad.core import getval

    run = {"//": lambda a, b: a // b, "%": lambda a, b: a % b, "divmod": lambda a, b: divmod(a, b)[1],
           "abs": lambda a, b: abs(a - b)}[op]
    seen = []

    def f(y, z):
        r = run(y, 2.0 + z ** 2)
        seen.append(type(getval(r)))
        return r * 1.0

    tapegrad.grad(f, (0, 1))(1.61, 0.5)
    assert seen == [type(run(1.61, 2.25))] == [float]

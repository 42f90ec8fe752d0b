"""Code written against plain ``import numpy as np`` differentiates through dispatch."""

import numpy as onp
import pytest
import scipy.special

from tapegrad import TraceLeakError, grad
from tapegrad.test_util import check_grads

X = onp.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [0.2, 0.9, 1.1]])

PLAIN = {
    "ufuncs": lambda x: onp.sin(x) * onp.exp(x) + onp.tanh(x) ** 2 - onp.arctan2(x, 2.0),
    "reductions": lambda x: onp.sum(x**2, axis=0) + onp.mean(x) + onp.max(x, axis=1) + onp.std(x),
    "ufunc reduce": lambda x: onp.add.reduce(x**2, axis=1),
    "linalg": lambda x: onp.linalg.inv(x + 3 * onp.eye(3)) @ onp.linalg.solve(x + 3 * onp.eye(3), x),
    "det/slogdet": lambda x: onp.linalg.det(x + 3 * onp.eye(3)) + onp.linalg.slogdet(x + 3 * onp.eye(3))[1],
    "eigh": lambda x: onp.linalg.eigh(x @ x.T + onp.eye(3))[0],
    "norm": lambda x: onp.linalg.norm(x) + onp.linalg.norm(x, axis=1),
    "fft": lambda x: onp.abs(onp.fft.fft(x, axis=1)) ** 2 + onp.fft.irfft(onp.fft.rfft(x), n=3),
    "einsum": lambda x: onp.einsum("ij,jk->ik", x, x) + onp.einsum("ii->i", x)[:, None],
    "stacking": lambda x: onp.concatenate([x, onp.stack([x[0], x[1]])]) ** 2,
    "sorting": lambda x: onp.sort(x, axis=1) * onp.arange(3.0),
    "where/clip": lambda x: onp.where(x > 0, x**2, -x) + onp.clip(x, -1, 1),
    "methods": lambda x: x.sum(axis=1) * x.dot(x).mean() + x.T.ravel()[:3],
    "matmul operator": lambda x: (onp.ones((3, 3)) @ x) * x,
    "scipy.special ufunc": lambda x: scipy.special.gammaln(x**2 + 1.0) + scipy.special.expit(x),
    "cumsum/diff": lambda x: onp.diff(onp.cumsum(x, axis=1) ** 2, axis=0),
    "take_along_axis": lambda x: onp.take_along_axis(x, onp.argsort(x, axis=1), axis=1) ** 2,
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_numpy_function(name):
    check_grads(PLAIN[name], modes=["fwd", "rev"], order=2)(X)


def test_plain_and_wrapped_give_the_same_gradient():
    import tapegrad.numpy as tnp

    plain = grad(lambda x: onp.sum(onp.sin(x) @ x))(X)
    wrapped = grad(lambda x: tnp.sum(tnp.sin(x) @ x))(X)
    assert onp.allclose(plain, wrapped)


def test_asarray_in_third_party_code_raises_a_named_error():
    def third_party(a):
        return onp.asarray(a).sum()

    with pytest.raises(TraceLeakError, match="numpy.asarray"):
        grad(third_party)(X)


def test_writing_into_plain_array_raises_a_named_error():
    def f(x):
        out = onp.zeros(3)
        out[0] = x[0, 0]
        return out.sum()

    with pytest.raises(TraceLeakError, match="plain NumPy array"):
        grad(f)(X)

    def g(x):
        out = onp.zeros((3, 3))
        out += x
        return out.sum()

    with pytest.raises(TraceLeakError, match="out="):
        grad(g)(X)


def test_float_of_traced_value_raises():
    with pytest.raises(TraceLeakError, match="float"):
        grad(lambda x: float(x) * 2.0)(1.0)


def test_ufunc_calls_off_the_dispatch_fast_path():
    # Keywords, out= into a traced array, ufunc methods and ufuncs without rules leave
    # the hot path of __array_ufunc__ (in C with the accelerator) for the general one.
    import tapegrad.numpy as tnp
    from tapegrad import NonDifferentiableError

    def f(x):
        y = tnp.zeros(3)
        onp.multiply(x[0], 2.0, out=y)  # out= a traced array: recorded as a write
        return onp.sum(onp.add(y, x[1], dtype=float) ** 2) + onp.maximum.reduce(x[2])

    expected = 2 * (2 * X[0] + X[1]) * 2, 2 * (2 * X[0] + X[1]), (X[2] == X[2].max()).astype(float)
    onp.testing.assert_allclose(grad(f)(X), onp.stack(expected))
    # other ufunc methods are differentiated too (tests/test_ufunc_methods.py): add.accumulate is cumsum
    onp.testing.assert_array_equal(grad(lambda x: onp.sum(onp.add.accumulate(x) ** 2))(X),
                                   grad(lambda x: tnp.sum(tnp.cumsum(x, axis=0) ** 2))(X))
    with pytest.raises(NonDifferentiableError, match=r"numpy.add\(\.\.\., where=\)"):
        grad(lambda x: onp.sum(onp.add(x, 1.0, where=x > 0)))(X)
    # tapegrad.numpy's ufuncs take the same keywords the same way
    onp.testing.assert_allclose(grad(lambda x: tnp.sum(tnp.multiply(x, x, dtype=float, casting="same_kind")))(X), 2 * X)
    with pytest.raises(NonDifferentiableError, match=r"numpy.subtract\(\.\.\., where=\)"):
        grad(lambda x: tnp.sum(tnp.subtract(x, 1.0, where=x > 0)))(X)
    # comparisons carry no derivative and take every keyword
    assert grad(lambda x: onp.sum(x * onp.greater(x, 0, casting="same_kind", where=True)))(X).shape == X.shape

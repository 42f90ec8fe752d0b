"""Array methods and properties of traced values, in both modes and to second order."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.test_util import check_grads

M = onp.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
B = onp.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.2]])

METHODS = {
    "dot": lambda x: x.dot(B),
    "sum": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(),
    "prod": lambda x: x.prod(axis=1),
    "max": lambda x: x.max(axis=1),
    "min": lambda x: x.min(),
    "std": lambda x: x.std(axis=0),
    "var": lambda x: x.var(),
    "cumsum": lambda x: x.cumsum(axis=1),
    "cumprod": lambda x: x.cumprod(),
    "reshape": lambda x: x.reshape(3, 2) * x.reshape((3, 2)),
    "ravel": lambda x: x.ravel() ** 2,
    "flatten": lambda x: x.flatten() ** 2,
    "transpose": lambda x: x.transpose() * x.transpose(1, 0),
    "swapaxes": lambda x: x.swapaxes(0, 1) ** 2,
    "squeeze": lambda x: x[None].squeeze(0) ** 2,
    "repeat": lambda x: x.repeat(2, axis=0) ** 2,
    "clip": lambda x: x.clip(-1.0, 1.0) * x,
    "round": lambda x: (x * 0.9).round() * x,
    "conj": lambda x: x.conj() * x,
    "conjugate": lambda x: x.conjugate() * x,
    "astype": lambda x: x.astype(onp.float64) ** 2,
    "copy": lambda x: x.copy() ** 2,
    "diagonal": lambda x: x.diagonal() ** 2,
    "trace": lambda x: x.trace() ** 2,
    "take": lambda x: x.take([0, 0, 4]) ** 2,
    "sort": lambda x: _sorted(x),
    "argmax/argmin": lambda x: x.ravel()[x.argmax()] * x.ravel()[x.argmin()],
    "nonzero": lambda x: x[(x > 0).nonzero()] ** 2,
    "all/any": lambda x: x * float((x > -5).all()) * float((x > 1.9).any()),
    "item": lambda x: x[0:1, 0:1].item() * x,
    "tolist": lambda x: x.tolist()[1][2] * x,
    "T": lambda x: x.T ** 2,
    "mT": lambda x: x.mT ** 2,
    "real/imag": lambda x: x.real * 2 + x.imag,
    "shape/ndim/size/dtype/len": lambda x: x * (x.shape[0] + x.ndim + x.size + len(x) + (x.dtype == onp.float64)),
    "iteration": lambda x: np.stack([row * i for i, row in enumerate(x)]),
}


def _sorted(x):
    y = x * 1.0
    y.sort(axis=1)
    return y * onp.arange(3.0)


@pytest.mark.parametrize("name", list(METHODS))
def test_method(name):
    check_grads(METHODS[name], modes=["fwd", "rev"], order=2)(M)


OPERATORS = [
    lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
    lambda x, y: x ** y, lambda x, y: x @ y.T, lambda x, y: -x + (+y) + abs(x),
    lambda x, y: 2.0 + x, lambda x, y: 2.0 - x, lambda x, y: 2.0 * x, lambda x, y: 2.0 / x,
    lambda x, y: 2.0 ** x, lambda x, y: onp.ones((3, 3)) @ y, lambda x, y: x % 0.7 + x // 0.7,
    lambda x, y: divmod(x, 0.7)[1],
]


@pytest.mark.parametrize("i", range(len(OPERATORS)))
def test_operator(i):
    x = onp.abs(M.T) + 0.5
    check_grads(OPERATORS[i], argnum=(0, 1), modes=["fwd", "rev"], order=2)(x, x[::-1] * 0.5)


def test_in_place_and_reflected_operators_on_plain_left_operand():
    def f(x):
        y = onp.ones(3) + x  # ndarray + box goes through __array_ufunc__
        y = onp.float64(2.0) * y
        y += x
        y -= 1.0
        y *= x
        y /= 2.0
        y **= 2
        return y.sum()

    check_grads(f, modes=["fwd", "rev"], order=2)(onp.array([0.3, 0.4, 0.5]))
    assert grad(f)(onp.array([0.3, 0.4, 0.5])).shape == (3,)

"""The benchmark workloads compute what they claim, at tiny sizes (no timing here).

Each workload's tapegrad result is checked against finite differences of its
plain NumPy forward pass (always), and against autograd's and PyTorch's
versions when those are installed, so the benchmark compares equal work.
"""

from __future__ import annotations

import os
import sys

import numpy as onp
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.workloads import ORDER, WORKLOADS, Skip, to_numpy  # noqa: E402

GRADIENTS = ("chain", "chain1m", "taylor", "rnn", "logreg", "mlp")  # results are gradients of a scalar


def _tree_map(f, *trees):  # noqa: ANN001, ANN202
    if isinstance(trees[0], (tuple, list)):
        return type(trees[0])(_tree_map(f, *parts) for parts in zip(*trees))
    return f(*trees)


def _forward(key: str, data: dict, **changes: object) -> onp.ndarray:
    return to_numpy(WORKLOADS[key].build("numpy", {**data, **changes})())


def _input_key(data: dict) -> str:
    return "params" if "params" in data else "x"


@pytest.mark.parametrize("key", ORDER)
def test_tapegrad_matches_finite_differences(key: str) -> None:
    data = WORKLOADS[key].data("tiny")
    result = to_numpy(WORKLOADS[key].build("tapegrad", data)())
    rng = onp.random.RandomState(7)
    name = _input_key(data)
    direction = _tree_map(lambda a: rng.randn(*onp.shape(a)), data[name])
    eps = 1e-6

    def moved(step: float) -> onp.ndarray:
        return _forward(key, data, **{name: _tree_map(lambda a, d: a + step * d, data[name], direction)})

    if key in GRADIENTS:
        expected = (moved(eps) - moved(-eps)) / (2 * eps)
        onp.testing.assert_allclose(result @ to_numpy(direction), expected[0], rtol=1e-5, atol=1e-8)
    elif key == "jacobian":
        n = data["x"].size
        expected = (moved(eps) - moved(-eps)) / (2 * eps)
        onp.testing.assert_allclose(result.reshape(n, n) @ direction, expected, rtol=1e-5, atol=1e-8)
    elif key == "hvp":  # v . (H v) against a second difference of f along v
        h, v = 1e-4, data["v"]
        second = (_forward(key, data, x=data["x"] + h * v) - 2 * _forward(key, data)
                  + _forward(key, data, x=data["x"] - h * v)) / h ** 2
        onp.testing.assert_allclose(result @ v, second[0], rtol=1e-5)
    elif key == "tanh4":
        t = onp.tanh(data["x"])
        onp.testing.assert_allclose(result, 8 * t * (1 - t ** 2) * (2 - 3 * t ** 2), rtol=1e-10, atol=1e-12)
    else:
        pytest.fail(f"no finite-difference check written for workload {key!r}")


@pytest.mark.parametrize("lib", ["autograd", "torch", "by_hand"])
@pytest.mark.parametrize("key", ORDER)
def test_libraries_compute_the_same_derivative(key: str, lib: str) -> None:
    if lib != "by_hand":  # the hand-written NumPy derivatives need only NumPy
        pytest.importorskip(lib)
    data = WORKLOADS[key].data("tiny")
    ours = to_numpy(WORKLOADS[key].build("tapegrad", data)())
    try:
        theirs = to_numpy(WORKLOADS[key].build(lib, data)())
    except Skip as e:
        pytest.skip(str(e))
    onp.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_floor_products_are_the_gradients_products() -> None:
    # benchmarks/floor.py times these products as the big-array floor: they must run on
    # the workloads' own data and give the shapes of the products the gradients compute.
    from benchmarks import floor

    d = WORKLOADS["logreg"].data("tiny")
    assert floor._logreg_products(d)().shape == d["params"].shape
    d = WORKLOADS["mlp"].data("tiny")
    assert floor._mlp_products(d)().shape == d["params"][0][0].shape

"""The benchmark workloads compute what they claim, at tiny sizes (no timing here).

Each workload's tapegrad result is checked against finite differences of its
plain NumPy forward pass (always), and against autograd's and PyTorch's
versions when those are installed, so the benchmark compares equal work.
The runner itself runs once on the writes workloads at tiny size (issue 13's
targets, CPU times, the hand-written reference where autograd cannot run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as onp
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import report  # noqa: E402
from benchmarks.workloads import ORDER, WORKLOADS, Skip, to_numpy  # noqa: E402
from benchmarks.writes import FAMILY as WRITES  # noqa: E402

# results are gradients of a scalar
GRADIENTS = ("chain", "chain1m", "taylor", "rnn", "logreg", "mlp", "mlp_batch") + WRITES


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
    elif key == "hessian":  # u . H v against a mixed second difference of f along u and v
        n, h, u = data["x"].size, 1e-4, rng.randn(data["x"].size)
        at = lambda step_u, step_v: _forward(key, data, x=data["x"] + step_u * u + step_v * direction)[0]  # noqa: E731
        mixed = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
        onp.testing.assert_allclose(u @ result.reshape(n, n) @ direction, mixed, rtol=1e-5)
    elif key == "perexample":  # each example's gradient along one direction, against its loss's difference
        grads = WORKLOADS[key].build("tapegrad", data)()
        along = sum((g * d).reshape(len(g), -1).sum(axis=1) for layer, dl in zip(grads, direction) for g, d in zip(layer, dl))
        onp.testing.assert_allclose(along, (moved(eps) - moved(-eps)) / (2 * eps), rtol=1e-5, atol=1e-8)
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


def _has_autograd() -> bool:
    import importlib.util

    return importlib.util.find_spec("autograd") is not None


def test_writes_workload_is_in_the_suite() -> None:
    assert set(WRITES) <= set(ORDER)
    assert [WORKLOADS[k].sizes["full"]["n"] for k in WRITES] == [1_000, 10_000, 100_000]
    # autograd (a bench extra) cannot write into arrays: its turn is skipped, saying so when it is installed
    with pytest.raises(Skip, match="assign" if _has_autograd() else "not importable"):
        WORKLOADS["writes1k"].build("autograd", WORKLOADS["writes1k"].data("tiny"))


def test_writes_by_hand_is_the_gradient() -> None:
    # The hand-written gradient is the writes' reference in the runner (autograd cannot run
    # them): check it against finite differences too, component by component.
    data = WORKLOADS["writes1k"].data("tiny")
    g_y0, g_v = WORKLOADS["writes1k"].build("by_hand", data)()
    eps = 1e-6
    for which, g in ((0, g_y0), (1, g_v)):
        for i in (0, 3, len(g) - 1):
            params = [p.copy() for p in data["params"]]
            params[which][i] += eps
            up = _forward("writes1k", data, params=tuple(params))
            params[which][i] -= 2 * eps
            down = _forward("writes1k", data, params=tuple(params))
            onp.testing.assert_allclose(g[i], (up - down)[0] / (2 * eps), rtol=1e-6, atol=1e-8)


def _entry(n: int, tg: float, torch: float) -> dict:
    libs = {"tapegrad": {"median": tg, "cpu_median": tg}, "torch": {"median": torch, "cpu_median": torch}}
    e = {"key": f"w{n}", "title": "", "group": "writes", "size": {"n": n}, "libs": libs}
    e["ratios"] = report.ratios(e)
    e["checks"] = report.checks(e)
    return e


def test_writes_targets() -> None:
    # time per write: 10 us at 10^3; at 10^5 within 1.5x (passes) or not (fails); tg/torch <= 1
    # (the targets read CPU time: wall and CPU are equal here)
    results = [_entry(1_000, 0.01, 0.01), _entry(100_000, 1.5, 3.0)]
    report.add_family_checks(results)
    assert [c["status"] for e in results for c in e["checks"]] == ["PASS", "PASS", "PASS"]
    assert results[-1]["checks"][-1]["value"] == pytest.approx(1.5)
    results = [_entry(1_000, 0.01, 0.009), _entry(100_000, 1.6, 3.0)]
    report.add_family_checks(results)
    assert [c["status"] for e in results for c in e["checks"]] == ["FAIL", "PASS", "FAIL"]
    assert "10.0 us / 10.0 us" in report.writes_table(results)


def test_runner_on_the_writes_workloads(tmp_path) -> None:  # noqa: ANN001
    # The whole runner at tiny size (one timed call each, a second or two): CPU and wall
    # times, agreement with the hand-written gradient, issue 13's targets and the table.
    out = tmp_path / "writes.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--tiny", "--only", "writes",
         "--libs", "tapegrad,autograd,numpy,by_hand", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Time per write" in proc.stdout and "WARNING" not in proc.stdout
    results = json.loads(out.read_text())["results"]
    assert [e["key"] for e in results] == list(WRITES)
    for e in results:
        assert e["reference"] == "by_hand" and e["agrees"] == {"tapegrad": True}
        assert ("assign" if _has_autograd() else "not importable") in e["libs"]["autograd"]["skip"]
        for lib in ("tapegrad", "numpy", "by_hand"):
            assert e["libs"][lib]["cpu_median"] > 0 and e["libs"][lib]["median"] > 0
    assert results[-1]["checks"][-1]["metric"] == "flat tg CPU"

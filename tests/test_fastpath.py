"""The C fast path (tapegrad/core/_fastpath.c) and its pure-Python twin agree.

``make test`` runs the whole suite with the C path and the engine's tests again
with ``TAPEGRAD_PURE_PYTHON=1``; here the two are also compared directly, value
for value, on gradients that take every branch of the fast path.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import weakref

import numpy
import pytest

import tapegrad.numpy as np
from tapegrad import grad, hessian, jacobian, make_hvp
from tapegrad.core import Box, fastpath, reverse
from tapegrad.core.errors import NonDifferentiableError
from tapegrad.extend import defvjp, primitive

PURE = os.environ.get("TAPEGRAD_PURE_PYTHON", "") not in ("", "0")
FAST_RULES_OFF = os.environ.get("TAPEGRAD_FAST_RULES", "") == "0"

# Each case: a name and a zero-argument function returning an array or a list of arrays.
CASE_SOURCE = '''
import numpy
import tapegrad.numpy as np
from tapegrad import grad, hessian, jacobian, make_hvp, elementwise_grad

rng = numpy.random.RandomState(0)
A, B, C, v = rng.randn(4, 3), rng.randn(3), rng.randn(4), rng.randn(3)
M, u = rng.randn(130, 130) / 12, rng.randn(130)  # large enough for matmul's value_and_jvp

def plain(x):  # NumPy's own functions on traced values: the ufunc dispatch hook
    y = numpy.sin(x) * numpy.exp(-x) + (A @ x) @ A
    return numpy.add.reduce(numpy.maximum(y, 0.1)) + numpy.sum(numpy.multiply(x, x, out=None))

def rnn(params, xs):
    w_x, w_h, b = params
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h + b)
    return np.sum(h ** 2)

def assign(x):
    y = np.zeros(5)
    y[1:4] = x * 2.0
    y += x[0]
    return np.sum(np.sin(y) * y)

CASES = {
    "scalar chain": lambda: grad(lambda x: x + np.sin(x) * 0.01 - 3.0 / x)(0.7),
    "broadcast": lambda: grad(lambda b: np.sum(np.tanh(A * b + C[:, None]) ** 2))(B),
    "reflected": lambda: grad(lambda x: np.sum(2.0 - x / 3.0 + 1.0 * x) - C @ (A @ x))(B),
    "kwargs": lambda: grad(lambda x: np.sum(np.mean(A * x, axis=0, keepdims=True) ** 2))(B),
    "rnn": lambda: grad(rnn)((rng.randn(2, 3) * 0.5, rng.randn(3, 3) * 0.5, rng.randn(3)), rng.randn(4, 5, 2)),
    "assign": lambda: grad(assign)(numpy.array([0.3, -0.2, 0.9])),
    "hessian": lambda: hessian(lambda x: np.sum(np.tanh(A @ x) ** 2 * x[0]))(B),
    "hvp": lambda: make_hvp(lambda x: np.sum(np.sin(x) * x ** 3))(B)[0](v),
    "jacobian": lambda: jacobian(lambda x: np.tanh(A @ x) * np.sum(x))(B),
    "plain numpy": lambda: grad(plain)(B),
    "fused hvp": lambda: make_hvp(lambda x: np.sum(np.tanh(M @ x) ** 2) + np.sum(np.cos(x @ M)))(u)[0](u[::-1]),
    "fourth": lambda: elementwise_grad(elementwise_grad(elementwise_grad(elementwise_grad(np.tanh))))(B),
}

def results():
    out = {}
    for name, case in CASES.items():
        r = case()
        parts = r if isinstance(r, (tuple, list)) else [r]
        out[name] = [numpy.asarray(p, dtype=float).ravel().tolist() for p in parts]
    return out
'''


def _results_here() -> dict:
    namespace: dict = {}
    exec(compile(CASE_SOURCE, "<fastpath cases>", "exec"), namespace)
    return namespace["results"]()


def _results_in_subprocess(pure: bool) -> dict:
    env = dict(os.environ)
    env.pop("TAPEGRAD_PURE_PYTHON", None)
    if pure:
        env["TAPEGRAD_PURE_PYTHON"] = "1"
    script = CASE_SOURCE + "\nimport json, tapegrad.core.fastpath as f\nprint(json.dumps([f.ENABLED, results()]))\n"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    enabled, res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert enabled is not pure or not fastpath.ENABLED
    return res


def _compiler_available() -> bool:
    """A C compiler and the Python headers: what building the extension needs."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which(cc) is not None and os.path.exists(headers)


def test_accelerator_state_matches_environment() -> None:
    if PURE:
        assert not fastpath.ENABLED
        assert Box.__mro__[1].__module__ == "tapegrad.core.box"
    elif _compiler_available():
        # a machine that can compile must have built it: a silent fallback would hide a slow install
        assert fastpath.ENABLED, "the C fast path was not built; reinstall with a C compiler available"
        assert reverse.backward_pass is fastpath.EXT.backward_pass


def test_c_and_python_paths_give_identical_results() -> None:
    here = _results_here()
    other = _results_in_subprocess(pure=not PURE)
    assert here.keys() == other.keys()
    for name in here:
        assert len(here[name]) == len(other[name]), name
        for a, b in zip(here[name], other[name]):
            numpy.testing.assert_array_equal(a, b, err_msg=name)


def test_box_fields_and_rebinding() -> None:
    seen = {}

    def f(x):
        y = x * 2.0
        seen["box"] = y
        y += 1.0  # rebinds the box in place
        seen["value"] = y._value
        return np.sum(y)

    assert numpy.allclose(grad(f)(numpy.array([1.0, 2.0])), [2.0, 2.0])
    assert isinstance(seen["box"], Box)
    numpy.testing.assert_array_equal(seen["value"], [3.0, 5.0])
    b = seen["box"]
    b._value = 7.0
    assert b._value == 7.0
    del b._node
    with pytest.raises(AttributeError):
        b._node  # noqa: B018


def test_boxes_are_weakly_referenceable_and_collected() -> None:
    refs = []

    def f(x):
        y = np.sin(x)
        refs.append(weakref.ref(y))
        cycle = [y]
        cycle.append(cycle)  # a reference cycle through a list
        return np.sum(y)

    grad(f)(numpy.ones(3))
    gc.collect()
    assert refs[0]() is None


def test_errors_in_rules_propagate_from_the_backward_pass() -> None:
    @primitive
    def broken(x):
        return x * 1.0

    def bad_vjp(ans, x):
        def vjp(g):
            raise ValueError("rule failed on purpose")

        return vjp

    defvjp(broken, bad_vjp)
    with pytest.raises(ValueError, match="on purpose"):
        grad(lambda x: np.sum(broken(x) * 2.0))(numpy.ones(2))


def test_missing_rule_is_reported_when_recorded() -> None:
    @primitive
    def no_rules(x, y):
        return x + y

    with pytest.raises(NonDifferentiableError, match="no_rules"):
        grad(lambda x: no_rules(x, x))(1.0)


def test_slim_threshold_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from tapegrad.core.reverse import ShapeOnly

    tapes = []

    def f(x):
        y = x * 3.0
        tapes.append(y._trace.tape)
        return np.sum(y)

    monkeypatch.setattr(reverse, "SLIM_MIN_SIZE", 1)
    grad(f)(numpy.ones(4))
    assert any(isinstance(entry[4], ShapeOnly) for entry in tapes[-1] if entry[5] is not None)
    monkeypatch.setattr(reverse, "SLIM_MIN_SIZE", 10**9)
    grad(f)(numpy.ones(4))
    assert not any(isinstance(entry[4], ShapeOnly) for entry in tapes[-1] if entry[5] is not None)


def test_hessian_and_jacobian_smoke() -> None:
    A = numpy.arange(6.0).reshape(2, 3) / 10
    numpy.testing.assert_allclose(jacobian(lambda x: A @ x)(numpy.ones(3)), A)
    numpy.testing.assert_allclose(hessian(lambda x: np.sum(x ** 3))(numpy.array([1.0, 2.0])), [[6.0, 0.0], [0.0, 12.0]])
    hvp, _ = make_hvp(lambda x: np.sum(x ** 3))(numpy.array([1.0, 2.0]))
    numpy.testing.assert_allclose(hvp(numpy.array([1.0, 1.0])), [6.0, 12.0])


def test_rule_twins_match_their_python_rules() -> None:
    # Each C twin computes its rule's fast branch and hands every other call to
    # the Python rule it wraps: both must give the same bits either way.
    from tapegrad.numpy import fastrules, products, ufuncs

    if fastrules.EXT is None:
        assert PURE or FAST_RULES_OFF or not _compiler_available()
        return
    rng = numpy.random.RandomState(3)
    g, h, w, b = rng.randn(8, 5), rng.randn(8, 5), rng.randn(5, 5), rng.randn(5)
    f32 = h.astype(numpy.float32)
    rules = {
        "add": ufuncs.add._primitive.vjps,
        "matmul": products.matmul._primitive.vjps,
        "tanh": ufuncs.tanh._primitive.vjps,
    }
    calls = [
        ("add", 0, (g, None, h, b)), ("add", 1, (g, None, h, b)), ("add", 0, (g, None, f32, h)),
        ("add", 1, (g, None, 2.0, h)), ("add", 1, (g[:, :1], None, h, b[:1])), ("add", 0, (3.0, None, 1.0, 2.0)),
        ("matmul", 0, (g, None, h, w)), ("matmul", 1, (g, None, h, w)), ("matmul", 1, (g[0], None, h[0], w)),
        ("matmul", 0, (g.astype(complex), None, h, w)), ("tanh", 0, (g, numpy.tanh(h), h)),
        ("tanh", 0, (g, numpy.tanh(f32), f32)),
    ]
    for name, argnum, args in calls:
        rule = rules[name][argnum]
        assert type(rule).__name__ == "Rule", rule
        fast, reference = rule(*args), rule.fallback(*args)
        numpy.testing.assert_array_equal(fast, reference, err_msg=f"{name} {argnum}")
        assert numpy.asarray(fast).dtype == numpy.asarray(reference).dtype
    with pytest.raises(ValueError, match="no C twin"):
        fastrules.EXT.rule("nonesuch", len)


def test_environment_variable_turns_the_rule_twins_off() -> None:
    # TAPEGRAD_FAST_RULES=0: every rule is its Python function; the gradients are the same bits.
    code = ("import numpy, tapegrad.numpy as np; from tapegrad import grad; from tapegrad.numpy import fastrules, ufuncs\n"
            "w = numpy.random.RandomState(0).randn(5, 5)\n"
            "g = grad(lambda x: np.sum(np.tanh(x @ w + x) ** 2))(numpy.linspace(-1, 1, 10).reshape(2, 5))\n"
            "print(fastrules.EXT is None, type(ufuncs.tanh._primitive.vjps[0]).__name__, g.tobytes().hex())")
    outs = [subprocess.run([sys.executable, "-c", code], env={**os.environ, "TAPEGRAD_FAST_RULES": value},
                           capture_output=True, text=True, check=True).stdout.split() for value in ("0", "1")]
    assert outs[0][:2] == ["True", "function"]
    assert outs[1][0] == str(PURE or not _compiler_available())
    assert outs[0][2] == outs[1][2]

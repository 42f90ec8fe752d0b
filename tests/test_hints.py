"""The speed hints (tapegrad/numpy/hints.py) change no result: derivatives with and without them are the same bits.

Each hinted primitive is differentiated in both modes and at second order, on
shapes that take the hints' fast branches (large float64 arrays, a matrix above
the fused-product size) and on ones that do not; then the same with the whole
table taken back (``hints.removed()``), and the two are compared exactly. The
one exception is forward mode through matmul with a large constant matrix: its
fused rule is one matrix-matrix product, which BLAS rounds differently from two
matrix-vector products (within a few units in the last place).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad, hessian_vector_product, make_jvp
from tapegrad.numpy import hints
from tapegrad.core import get_primitive

rng = onp.random.default_rng(7)
BIG = rng.standard_normal(5000)  # above the tape's size for keeping a shape only
M = rng.standard_normal((150, 150)) / 12  # above the fused product's size
v150 = rng.standard_normal(150)

# name, f(x), x: every primitive of the table reached at least once; "fused": the exception above
CASES = [
    ("add/subtract/negative", lambda x: np.sum((x + 1.0) - (-x) * x), BIG),
    ("multiply/divide", lambda x: np.sum(x * x / (2.0 + x * x)), BIG),
    ("exp/log", lambda x: np.mean(np.log(1.0 + np.exp(x))), BIG),
    ("tanh", lambda x: np.sum(np.tanh(x) * x), BIG),
    ("tanh(small)", lambda x: np.sum(np.tanh(x) * x), BIG[:7]),
    ("dot", lambda x: np.dot(np.tanh(x), np.dot(M, x)), v150),
    ("fused: matmul(matrix, vector)", lambda x: np.sum(np.tanh(M @ x) @ M), v150),
    ("fused: matmul(vector, matrix)", lambda x: np.sum(np.sin(x @ M)), v150),
    ("matmul(small)", lambda x: np.sum(np.sin(M[:4, :4] @ x[:4])), v150),
    ("getitem", lambda x: x[3] * x[-1] + np.sum(x[::2] ** 2), BIG),
    ("writes and views", lambda x: _writes(x), BIG[:300]),
]


def _writes(x):
    y = x.copy()
    for i in range(1, 30):
        y[i] += 0.5 * x[i] * y[i - 1]
    w = y[::3]
    w *= 2.0
    return np.sum(y * y)


def _derivatives(f, x):
    g = grad(f)(x)
    _, t = make_jvp(f)(x)(onp.cos(onp.arange(x.size)))
    h = hessian_vector_product(f)(x, onp.sin(onp.arange(x.size)))
    return g, t, h


@pytest.mark.parametrize("name,f,x", CASES, ids=[c[0] for c in CASES])
def test_same_bits_without_the_hints(name, f, x):
    if not hints._BEFORE:
        pytest.skip("the hints are off (TAPEGRAD_SPEED_HINTS=0)")
    with_hints = _derivatives(f, x)
    with hints.removed():
        without = _derivatives(f, x)
    for a, b in zip(with_hints, without):
        if name.startswith("fused"):
            onp.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
        else:
            onp.testing.assert_array_equal(a, b)


def test_removed_takes_back_every_hint_and_apply_restores_them():
    if not hints._BEFORE:
        pytest.skip("the hints are off (TAPEGRAD_SPEED_HINTS=0)")
    prims = {get_primitive(f) for f, _ in hints.READS + hints.FUSED + hints.TWINS}
    def rules():  # a twin is made again on apply(): compared by what it wraps (its repr)
        return {p: (p.reads, dict(p.value_and_jvp), repr(p.vjps)) for p in prims}

    on = rules()
    with hints.removed():
        assert all(get_primitive(f).reads is None for f, _ in hints.READS)
        assert all(not get_primitive(f).value_and_jvp for f, _ in hints.FUSED)
        assert "twin" not in repr([get_primitive(f).vjps for f, _ in hints.TWINS])
    assert rules() == on


def test_the_library_runs_with_the_hints_off():
    code = (
        "import numpy as onp, tapegrad, tapegrad.numpy as np\n"
        "from tapegrad.numpy import hints\n"
        "assert not hints.ENABLED and np.add._primitive.reads is None\n"
        "x = onp.linspace(-1, 1, 5000)\n"
        "print(repr(float(onp.sum(tapegrad.grad(lambda x: np.sum(np.tanh(x) * x))(x)))))\n"
    )
    env = dict(os.environ, TAPEGRAD_SPEED_HINTS="0")
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    x = onp.linspace(-1, 1, 5000)
    assert float(off.stdout) == float(onp.sum(grad(lambda x: np.sum(np.tanh(x) * x))(x)))

"""The derivatives' array cache (tapegrad/numpy/arraycache.py, _arraycache.c).

Inside a derivative, array data comes from the cache; outside, from NumPy's
allocator; results never depend on which. Without the C accelerators (or with
TAPEGRAD_PURE_PYTHON=1) the cache is off and NumPy's allocator is used throughout.
"""

from __future__ import annotations

import os
import threading

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad, hessian, make_jvp
from tapegrad.numpy import arraycache

ENABLED = arraycache.info()["enabled"]
BIG = 20_000  # float64 entries: 160 kB, above the cache's smallest block
needs_cache = pytest.mark.skipif(not ENABLED, reason="the array cache is not built or is off (TAPEGRAD_PURE_PYTHON)")


def handler(a: onp.ndarray) -> str:
    core = getattr(onp, "_core", None) or onp.core  # NumPy 2, NumPy 1.26
    return core.multiarray.get_handler_name(a)


def loss(x):
    return np.sum(np.tanh(x * 0.5) ** 2 + np.sin(x) * x)


def numpy_grad(x):
    t = onp.tanh(x * 0.5)
    return t * (1 - t ** 2) + onp.cos(x) * x + onp.sin(x)


def recording_handlers(seen: list):
    """A function whose traced intermediate's allocator is appended to ``seen``."""

    def f(x):
        y = x * 2.0
        seen.append(handler(y._value))
        return np.sum(y)

    return f


def test_handler_inside_and_outside_derivatives():
    seen: list = []
    f = recording_handlers(seen)
    grad(f)(onp.ones(BIG))
    make_jvp(f)(onp.ones(BIG))(onp.ones(BIG))
    expected = "tapegrad_arraycache" if ENABLED else "default_allocator"
    assert seen == [expected, expected]
    assert handler(onp.ones(BIG)) == "default_allocator"  # outside: NumPy's own


@needs_cache
def test_repeated_gradients_reuse_blocks_and_agree():
    x = onp.random.RandomState(0).randn(BIG)
    first = grad(loss)(x)
    before = arraycache.info()
    second = grad(loss)(x)
    after = arraycache.info()
    assert after["hits"] > before["hits"]
    assert onp.array_equal(first, second)
    onp.testing.assert_allclose(first, numpy_grad(x), rtol=1e-12)


@needs_cache
def test_zeros_from_a_reused_block_are_zero():
    x = onp.random.RandomState(1).randn(BIG) + 3.0
    grad(loss)(x)  # leaves blocks with nonzero data in the cache
    made = []

    def f(v):
        z = np.zeros(BIG)  # a box (so that z[i] = ... can be traced): keep its array
        made.append(getattr(z, "_value", z))
        return np.sum(v * z) + np.sum(v)

    g = grad(f)(x)
    assert handler(made[0]) == "tapegrad_arraycache"
    assert not made[0].any()
    assert onp.array_equal(g, onp.ones(BIG))


def test_resize_keeps_data_inside_a_derivative():
    kept = []

    def f(x):
        a = onp.arange(float(BIG))
        a.resize(2 * BIG, refcheck=False)  # grows: a new block
        b = onp.arange(10.0)
        b.resize(BIG, refcheck=False)  # a small block grows into a large one
        c = onp.arange(float(BIG))
        c.resize(BIG // 4, refcheck=False)  # shrinks below half: a smaller block
        kept.extend([a, b, c])
        return np.sum(x)

    grad(f)(onp.ones(3))
    a, b, c = kept
    assert onp.array_equal(a[:BIG], onp.arange(float(BIG))) and not a[BIG:].any()
    assert onp.array_equal(b[:10], onp.arange(10.0)) and not b[10:].any()
    assert onp.array_equal(c, onp.arange(float(BIG // 4)))


@needs_cache
def test_arrays_freed_after_the_derivative_return_to_the_cache():
    arraycache.clear()
    g = grad(loss)(onp.ones(BIG))
    before = arraycache.info()["cached_bytes"]
    del g
    assert arraycache.info()["cached_bytes"] > before


@needs_cache
def test_limit_zero_turns_the_cache_off_and_clear_empties_it():
    grad(loss)(onp.ones(BIG))
    assert arraycache.info()["cached_bytes"] > 0
    old = arraycache.set_limit(0)
    try:
        assert arraycache.info()["cached_bytes"] == 0  # lowering the limit drains
        seen: list = []
        grad(recording_handlers(seen))(onp.ones(BIG))
        assert seen == ["default_allocator"]
    finally:
        arraycache.set_limit(old)
    grad(loss)(onp.ones(BIG))
    cached = arraycache.info()["cached_bytes"]
    assert cached > 0 and arraycache.clear() == cached
    assert arraycache.info()["cached_bytes"] == 0


def test_negative_limit_is_refused():
    with pytest.raises(ValueError, match="number of bytes"):
        arraycache.set_limit(-1)


def test_nested_derivatives_and_errors_restore_the_allocator():
    h = hessian(lambda x: np.sum(np.sin(x) * x))(onp.linspace(0, 1, 300))
    x = onp.linspace(0, 1, 300)
    onp.testing.assert_allclose(onp.diag(h), 2 * onp.cos(x) - x * onp.sin(x), rtol=1e-12)
    assert handler(onp.ones(BIG)) == "default_allocator"

    def bad(x):
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        grad(bad)(onp.ones(BIG))
    assert handler(onp.ones(BIG)) == "default_allocator"


def test_gradients_in_threads_agree():
    xs = [onp.random.RandomState(s).randn(BIG) for s in range(4)]
    results: dict = {}

    def work(i):
        for _ in range(5):
            results[i] = grad(loss)(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, x in enumerate(xs):
        onp.testing.assert_allclose(results[i], numpy_grad(x), rtol=1e-12)


@needs_cache
def test_environment_variable_turns_the_cache_off():
    import os
    import subprocess
    import sys

    code = ("import numpy, tapegrad.numpy as np; from tapegrad import grad; from tapegrad.numpy import arraycache\n"
            "seen = []\n"
            "def f(x):\n"
            "    core = getattr(numpy, '_core', None) or numpy.core\n"
            "    y = x * 2.0; seen.append(core.multiarray.get_handler_name(y._value)); return np.sum(y)\n"
            "grad(f)(numpy.ones(20000)); print(arraycache.info()['limit'], seen[0])")
    env = {**os.environ, "TAPEGRAD_ARRAY_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "default_allocator"]


def test_random_allocations_keep_their_contents():
    """Many arrays of sizes around the size classes' edges, resized and freed in random order."""
    rng = onp.random.RandomState(7)
    sizes = [int(s) for s in rng.randint(1, 80_000, 150)] + [8192 - 4, 8192 - 3, 8192, 16_384 - 4, 16_384, 40_960]
    ok = []

    def f(x):
        live = []
        for i, n in enumerate(sizes):
            a = onp.full(n, float(i))
            if i % 3 == 0:
                a.resize(int(rng.randint(1, 2 * n + 2)), refcheck=False)
                a[:] = float(i)
            live.append((i, a))
            if rng.rand() < 0.4:
                j = int(rng.randint(len(live)))
                k, b = live.pop(j)
                ok.append(bool((b == k).all()))
        ok.extend(bool((b == k).all()) for k, b in live)
        return np.sum(x)

    for _ in range(3):  # the later rounds run on reused blocks
        grad(f)(onp.ones(3))
    assert ok and all(ok)


def _thp_eligible(address: int) -> bool:
    """Whether the kernel may back the mapping holding ``address`` with huge pages (/proc/self/smaps)."""
    inside = False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                lo, hi = (int(h, 16) for h in head.split("-"))
                inside = lo <= address < hi
            elif inside and head == "THPeligible:":
                return line.split()[1] == "1"
    pytest.skip("this kernel's /proc/self/smaps does not say which mappings may use huge pages")


def _numpy_marks_hugepages() -> bool:
    core = getattr(onp, "_core", None) or onp.core
    getter = getattr(core.multiarray, "_get_madvise_hugepage", None)
    return bool(getter and getter())


@needs_cache
@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc/self/smaps")
def test_big_fresh_blocks_may_use_huge_pages_as_numpys_do():
    """A block too big to cache is marked for huge pages as NumPy marks its own big arrays: without
    the mark, each of its 4 kB pages faulted on its own (per-example gradients ran 3x slower)."""
    size = (300 << 20) // 8  # 300 MB: over the cache's 256 MiB limit, always a fresh block
    seen: list = []

    def middle(a: onp.ndarray) -> int:  # the first page holds the allocator's header: look inside
        return a.__array_interface__["data"][0] + a.nbytes // 2

    def f(x):
        y = x * 2.0
        seen.append((handler(y._value), _thp_eligible(middle(y._value))))
        return np.sum(y)

    big = onp.ones(size)
    numpy_eligible = _thp_eligible(middle(big))  # what the kernel does for NumPy's own array
    grad(f)(big)
    assert seen == [("tapegrad_arraycache", numpy_eligible)]

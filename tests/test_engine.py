"""The engine: deep chains, threads, memory, nesting, containers, layering."""

import gc
import threading
import tracemalloc
from collections import namedtuple

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import deriv, grad, jacobian, make_jvp, make_vjp


def test_million_operation_chain_has_no_recursion_limit():
    n = 1_000_000

    def f(x):
        for _ in range(n):
            x = x * 1.0000001
        return x

    assert grad(f)(1.0) == pytest.approx(1.0000001**n, rel=1e-9)


def test_memory_is_proportional_to_chain_length():
    def peak(n):
        def f(x):
            for _ in range(n):
                x = x * 1.0000001
            return x

        gc.collect()
        tracemalloc.start()
        grad(f)(1.0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(20_000), peak(80_000)
    assert 2.5 < large / small < 5.5  # linear, not quadratic


def test_no_memory_retained_between_calls():
    g = grad(lambda x: np.sum(np.tanh(x) ** 2))
    x = onp.random.randn(50)
    for _ in range(50):
        g(x)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(2000):
        g(x)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 100_000


def test_threads_compute_independent_gradients():
    def f(x, a):
        return np.sum(np.sin(a * x) ** 2)

    second = grad(grad(lambda x, a: f(x, a)))
    expected = {a: (grad(lambda x: f(x, a))(0.7), second(0.7, a)) for a in range(1, 9)}
    results = {}
    errors = []

    def work(a):
        try:
            for _ in range(30):
                results[a] = (grad(lambda x: f(x, a))(0.7), second(0.7, a))
                assert onp.allclose(results[a], expected[a])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(a,)) for a in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for a in range(1, 9):
        assert onp.allclose(results[a], expected[a])


def test_nested_modes_mix_in_any_order():
    f = lambda x: np.sin(x) * x**2  # noqa: E731
    d2 = lambda x: 2 * np.cos(x) * x * 2 - np.sin(x) * x**2 + 2 * np.sin(x)  # noqa: E731
    x = 0.9
    rev_rev = grad(grad(f))(x)
    fwd_rev = deriv(grad(f))(x)
    rev_fwd = grad(deriv(f))(x)
    fwd_fwd = deriv(deriv(f))(x)
    for v in (rev_rev, fwd_rev, rev_fwd, fwd_fwd):
        assert v == pytest.approx(d2(x))


def test_closure_over_outer_variable_is_not_confused():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0) == pytest.approx(6.0)
    assert deriv(lambda x: x * deriv(lambda y: x * y)(2.0))(3.0) == pytest.approx(6.0)


def test_containers_as_inputs_and_outputs():
    Params = namedtuple("Params", "w b")
    p = Params(onp.array([1.0, 2.0]), 0.5)
    g = grad(lambda p: np.sum(p.w**2) + p.b**3)(p)
    assert isinstance(g, Params)
    assert onp.allclose(g.w, [2.0, 4.0]) and g.b == pytest.approx(0.75)
    g = grad(lambda d: d["a"] * d["b"][0])({"a": 2.0, "b": [3.0, 4.0]})
    assert g["a"] == 3.0 and g["b"][0] == 2.0 and g["b"][1] == 0.0
    vjp, ans = make_vjp(lambda x: (x, [x**2, {"k": x**3}]))(2.0)
    assert vjp((1.0, [1.0, {"k": 1.0}])) == pytest.approx(1 + 4 + 12)
    ans, t = make_jvp(lambda x: (x, x**2))(2.0)(1.0)
    assert t == (1.0, 4.0)


def test_jacobian_of_tuple_output_is_rejected_cleanly():
    with pytest.raises(TypeError):
        jacobian(lambda x: (x, x))(1.0)


def test_core_imports_nothing_from_numpy():
    import ast
    import pathlib

    core = pathlib.Path(__file__).resolve().parents[1] / "tapegrad" / "core"
    for path in core.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert not name.startswith(("numpy", "scipy", "tapegrad.numpy", "..numpy", "..scipy")), (path.name, name)


def test_sparse_container_cotangents_with_slices_and_negative_indices():
    params = [(onp.array([1.0, 2.0]), 0.5), (onp.array([3.0]), -1.0), (onp.array([0.5]), 2.0)]

    def f(p):
        total = 0.0
        for w, b in p[:-1]:
            total = total + np.sum(w**2) * b
        w, b = p[-1]
        return total + np.sum(w) * b**2 + p[0][1] ** 3

    g = grad(f)(params)
    assert onp.allclose(g[0][0], 2 * params[0][0] * 0.5) and g[0][1] == pytest.approx(5.0 + 3 * 0.25)
    assert onp.allclose(g[1][0], 2 * 3.0 * -1.0) and g[1][1] == pytest.approx(9.0)
    assert onp.allclose(g[2][0], [4.0]) and g[2][1] == pytest.approx(2 * 0.5 * 2.0)


@pytest.mark.parametrize("idx", [slice(1, None), slice(None, None, -2), slice(-3, -1), slice(0, 0)])
def test_slice_of_container_sends_cotangents_to_the_right_elements(idx):
    params = [onp.array([1.0, 2.0]), onp.array([3.0, -1.0]), onp.array([0.5, 4.0]), onp.array([2.0, 2.0])]

    def f(p):
        part = p[idx]
        dense_use = np.sum(np.stack(part) ** 2) if len(part) else 0.0  # a whole-list cotangent
        sparse_use = sum(np.sum(q) * k for k, q in enumerate(part, start=1))  # per-element takes
        return dense_use + sparse_use + np.sum(p[0] ** 3)

    g = grad(f)(params)
    positions = list(range(len(params)))[idx]
    for i, (gi, pi) in enumerate(zip(g, params)):
        expected = 3 * pi**2 if i == 0 else onp.zeros(2)
        if i in positions:
            expected = expected + 2 * pi + (positions.index(i) + 1)
        assert onp.allclose(gi, expected), (idx, i)

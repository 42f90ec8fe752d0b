"""The workloads of vectorised derivatives (issue 16): a Hessian, and per-example gradients.

``hessian``: the Hessian of a scalar function of 100 inputs; tapegrad takes it
by forward over reverse mode in one batched sweep (``tapegrad.hessian``),
autograd by reverse over reverse mode one row at a time.

``perexample``: the gradient of each example's loss, for the MLP of the ``mlp``
workload: ``vmap(grad(loss), in_axes=(None, 0, 0))`` where the library has a
``vmap`` (tapegrad, torch.func, JAX), a loop over the examples where it does
not (autograd). Its target compares it with ``mlp_batch``, one gradient of the
whole batch's loss (``report.add_family_checks``). The result is one gradient
per example, 128 times the parameters (0.7 GB in float64): writing it bounds
every library's time from below (the ``by_hand`` column).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy

from .libs import load
from .workloads import _jax_call, _jit, _mlp_data, _np_of, _register_loss, _tensor, _torch, _workload, mlp_loss
from .workloads import mlp_loss_torch


# ----- Hessian of a scalar function of 100 inputs ------------------------------------------


def hess_fun(np: Any, x: Any, a: Any) -> Any:
    """A smooth non-quadratic scalar function of a vector (the ``hvp`` workload's, at 100 inputs)."""
    return np.sum(np.tanh(a @ x) ** 2) + np.sum(np.sin(x) * x)


def _hess_data(n: int, seed: int) -> dict:
    rng = numpy.random.RandomState(seed)
    return {"x": rng.randn(n), "a": rng.randn(n, n) / math.sqrt(n)}


hess = _workload("hessian", "Hessian of a scalar function, 100 inputs", "hessian",
                 {"full": dict(n=100, seed=5), "quick": dict(n=100, seed=5), "tiny": dict(n=4, seed=5)},
                 _hess_data)


@hess.builder("numpy")
def _(d: dict) -> Callable:
    return lambda: hess_fun(numpy, d["x"], d["a"])


for _lib in ("tapegrad", "autograd"):
    @hess.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        np, a = _np_of(lib), d["a"]
        h = load(lib).hessian(lambda x: hess_fun(np, x, a))
        return lambda: h(d["x"])


@hess.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()
    x, a = _tensor(d["x"]), _tensor(d["a"])
    return lambda: torch.autograd.functional.hessian(lambda y: hess_fun(torch, y, a), x, vectorize=True)


for _lib in ("jax", "jax_jit"):
    @hess.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax, jnp = load("jax"), _np_of(lib)
        return _jax_call(_jit(lib, jax.hessian(lambda x, a: hess_fun(jnp, x, a))), d["x"], d["a"])


# ----- per-example gradients of an MLP --------------------------------------------------------


def example_loss(np: Any, params: Any, x: Any, onehot: Any) -> Any:
    """One example's softmax cross-entropy through the ``mlp`` workload's tanh MLP."""
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    m = np.max(logits)
    return -np.sum(onehot * (logits - m - np.log(np.sum(np.exp(logits - m)))))


def _perexample_data(layers: tuple, batch: int) -> dict:
    rng = numpy.random.RandomState(2)  # the mlp workload's parameters and inputs
    params = [(rng.randn(m, n) / math.sqrt(m), rng.randn(n) * 0.1) for m, n in zip(layers[:-1], layers[1:])]
    inputs = rng.randn(batch, layers[0])
    onehot = numpy.eye(layers[-1])[rng.randint(0, layers[-1], batch)]
    return {"params": params, "inputs": inputs, "onehot": onehot}


# Batch 128: the result alone is 0.7 GB in float64, and the runner holds one per library at once
# (batch 512's 2.7 GB each exhaust the memory of a 24 GB machine). ``mlp_batch`` is one gradient of
# the same batch's loss, the reference of the "<= 3x one batch gradient" target.
_PER_EXAMPLE_SIZES = {"full": dict(layers=(784, 512, 512, 10), batch=128),
                      "quick": dict(layers=(784, 512, 512, 10), batch=64),
                      "tiny": dict(layers=(5, 4, 4, 3), batch=6)}
perexample = _workload("perexample", "per-example gradients, MLP 784-512-512-10", "perexample",
                       _PER_EXAMPLE_SIZES, _perexample_data)
mlp_batch = _workload("mlp_batch", "tanh MLP 784-512-512-10, the per-example workload's batch", "batchgrad",
                      _PER_EXAMPLE_SIZES, _mlp_data)
_register_loss(mlp_batch, mlp_loss, mlp_loss_torch)


@perexample.builder("numpy")
def _(d: dict) -> Callable:
    params, inputs, onehot = d["params"], d["inputs"], d["onehot"]

    def losses() -> Any:  # every example's loss, in one forward pass of the batch
        h = inputs
        for w, b in params[:-1]:
            h = numpy.tanh(h @ w + b)
        logits = h @ params[-1][0] + params[-1][1]
        m = logits.max(axis=1, keepdims=True)
        return -numpy.sum(onehot * (logits - m - numpy.log(numpy.exp(logits - m).sum(axis=1, keepdims=True))), axis=1)

    return losses


@perexample.builder("tapegrad")
def _(d: dict) -> Callable:
    import tapegrad
    import tapegrad.numpy as np

    g = tapegrad.vmap(tapegrad.grad(lambda p, x, y: example_loss(np, p, x, y)), in_axes=(None, 0, 0))
    return lambda: g(d["params"], d["inputs"], d["onehot"])


@perexample.builder("autograd")
def _(d: dict) -> Callable:
    autograd = load("autograd")
    import autograd.numpy as np

    g = autograd.grad(lambda p, x, y: example_loss(np, p, x, y))
    params, inputs, onehot = d["params"], d["inputs"], d["onehot"]

    def run() -> Any:  # no vmap: one gradient per example, stacked
        grads = [g(params, x, y) for x, y in zip(inputs, onehot)]
        return [(numpy.stack([gr[k][0] for gr in grads]), numpy.stack([gr[k][1] for gr in grads]))
                for k in range(len(params))]

    return run


@perexample.builder("by_hand")
def _(d: dict) -> Callable:
    params, inputs, onehot = d["params"], d["inputs"], d["onehot"]

    def grads() -> Any:
        hs = [inputs]
        for w, b in params[:-1]:
            hs.append(numpy.tanh(hs[-1] @ w + b))
        logits = hs[-1] @ params[-1][0] + params[-1][1]
        p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        delta = p * onehot.sum(axis=1, keepdims=True) - onehot  # d loss_i / d logits_i
        out = []
        for k in range(len(params) - 1, -1, -1):
            out.append((numpy.einsum("bi,bj->bij", hs[k], delta), delta))
            if k:
                delta = (delta @ params[k][0].T) * (1 - hs[k] ** 2)
        return out[::-1]

    return grads


@perexample.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()
    func = getattr(torch, "func", None)
    if func is None:
        from .workloads import Skip

        raise Skip("torch.func is not available")
    params = [(_tensor(w), _tensor(b)) for w, b in d["params"]]
    inputs, onehot = _tensor(d["inputs"]), _tensor(d["onehot"])

    def loss(p: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in p[:-1]:
            h = torch.tanh(h @ w + b)
        w, b = p[-1]
        logits = h @ w + b
        return -torch.sum(y * (logits - torch.logsumexp(logits, dim=0)))

    g = func.vmap(func.grad(loss), in_dims=(None, 0, 0))
    return lambda: g(params, inputs, onehot)


for _lib in ("jax", "jax_jit"):
    @perexample.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax, jnp = load("jax"), _np_of(lib)
        g = _jit(lib, jax.vmap(jax.grad(lambda p, x, y: example_loss(jnp, p, x, y)), in_axes=(None, 0, 0)))
        return _jax_call(g, d["params"], d["inputs"], d["onehot"])

"""The benchmark workloads, each written once per library.

Every workload is a derivative of a plain NumPy-style function. The NumPy-style
source is shared by the libraries whose API *is* NumPy's (NumPy itself for the
forward pass, autograd, tapegrad and ``jax.numpy``) and, where PyTorch spells
the same thing the same way, by PyTorch too; otherwise PyTorch gets its own
idiomatic version next to it.

A builder ``build(data)`` does the set-up (arrays, tensors, ``jit``) outside the
timed region and returns a zero-argument callable: one timed gradient
evaluation, returning the result. Builders raise :class:`Skip` when a library
cannot run a workload in its natural style (e.g. ``jit`` of a Python ``while``
loop on traced values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from .libs import load


class Skip(Exception):
    """This library does not run this workload (the message says why)."""


@dataclass
class Workload:
    """One benchmark: sizes, data, the target group and one builder per library."""

    key: str
    title: str
    group: str  # which target of issue 5 applies: overhead, array, hvp, jacobian, tanh4, chain1m
    sizes: dict  # "full" / "quick" / "tiny" -> parameters of make_data
    make_data: Callable[..., dict]
    builders: dict = field(default_factory=dict)

    def builder(self, lib: str) -> Callable[[Callable[[dict], Callable]], Callable]:
        def register(fn: Callable[[dict], Callable]) -> Callable:
            self.builders[lib] = fn
            return fn

        return register

    def data(self, size: str) -> dict:
        return self.make_data(**self.sizes[size])

    def build(self, lib: str, data: dict) -> Callable[[], Any]:
        """The timed callable of ``lib`` (raises :class:`Skip` if none)."""
        if lib not in self.builders:
            raise Skip("not written for this library")
        if load(lib) is None:
            raise Skip("not importable")
        return self.builders[lib](data)


WORKLOADS: dict[str, Workload] = {}


def _workload(*args: Any, **kwargs: Any) -> Workload:
    w = Workload(*args, **kwargs)
    WORKLOADS[w.key] = w
    return w


# ----- helpers --------------------------------------------------------------------


def _np_of(lib: str) -> Any:
    """The NumPy-like module of a NumPy-style library."""
    if lib == "tapegrad":
        import tapegrad.numpy as np
    elif lib == "autograd":
        import autograd.numpy as np
    elif lib in ("jax", "jax_jit"):
        import jax.numpy as np
    else:
        np = numpy
    return np


def _torch() -> Any:
    torch = load("torch")
    torch.set_default_dtype(torch.float64)  # same arithmetic as the NumPy-based libraries
    return torch


def _tensor(x: Any, grad: bool = False) -> Any:
    torch = _torch()
    return torch.tensor(numpy.asarray(x, dtype=numpy.float64), requires_grad=grad)


def _jax_call(fn: Callable, *args: Any) -> Callable[[], Any]:
    """A callable that waits for JAX's asynchronous dispatch to finish."""
    jax = load("jax")
    jargs = [jax.tree_util.tree_map(jax.numpy.asarray, a) for a in args]
    return lambda: jax.block_until_ready(fn(*jargs))


def _jit(lib: str, fn: Callable) -> Callable:
    return load("jax").jit(fn) if lib == "jax_jit" else fn


def to_numpy(result: Any) -> numpy.ndarray:
    """Flatten a result (array, scalar, tensor, nested tuple/list) into one float64 vector."""
    if isinstance(result, (tuple, list)):
        parts = [to_numpy(r) for r in result]
        return numpy.concatenate(parts) if parts else numpy.zeros(0)
    if hasattr(result, "detach"):  # torch
        result = result.detach().numpy()
    return numpy.ravel(numpy.asarray(result, dtype=numpy.float64))


def _ad(lib: str) -> Any:
    return load(lib)


# ----- scalar chains: per-operation overhead -----------------------------------------


def chain(np: Any, x: Any, steps: int) -> Any:
    """``steps`` steps of sin, multiply and add (three operations each) on a scalar."""
    for _ in range(steps):
        x = x + np.sin(x) * 0.01
    return x


def _chain_data(ops: int) -> dict:
    return {"x": 0.5, "steps": max(1, ops // 3)}


def _register_chain(w: Workload) -> None:
    @w.builder("numpy")
    def _(d: dict) -> Callable:
        return lambda: chain(numpy, d["x"], d["steps"])

    for lib in ("tapegrad", "autograd"):
        @w.builder(lib)
        def _(d: dict, lib: str = lib) -> Callable:
            np, steps = _np_of(lib), d["steps"]
            g = _ad(lib).grad(lambda x: chain(np, x, steps))
            return lambda: g(d["x"])

    @w.builder("torch")
    def _(d: dict) -> Callable:
        torch, steps = _torch(), d["steps"]

        def run() -> Any:
            x = torch.tensor(d["x"], requires_grad=True)
            return torch.autograd.grad(chain(torch, x, steps), x)[0]

        return run


chain1k = _workload("chain", "chain: 1,000 scalar sin/mul/add steps", "overhead",
                    {"full": {"ops": 3000}, "quick": {"ops": 3000}, "tiny": {"ops": 60}}, _chain_data)
_register_chain(chain1k)

for _lib in ("jax", "jax_jit"):
    @chain1k.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax, steps = load("jax"), d["steps"]
        jnp = _np_of(lib)
        return _jax_call(_jit(lib, jax.grad(lambda x: chain(jnp, x, steps))), d["x"])

chain1m = _workload("chain1m", "chain: 1,000,000 scalar operations", "chain1m",
                    {"full": {"ops": 1_000_000}, "quick": {"ops": 100_000}, "tiny": {"ops": 300}}, _chain_data)
_register_chain(chain1m)  # JAX is left out: tracing a million eager operations takes minutes


# ----- Taylor series of sine (autograd's README example) -----------------------------


def taylor_sine(np: Any, x: Any) -> Any:
    """sin(x) by its Taylor series, stopping when a term drops below 1e-3."""
    ans = currterm = x
    i = 0
    while np.abs(currterm) > 0.001:
        currterm = -currterm * x ** 2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + currterm
        i += 1
    return ans


taylor = _workload("taylor", "Taylor-series sine at pi", "overhead",
                   {"full": {}, "quick": {}, "tiny": {}}, lambda: {"x": math.pi})


@taylor.builder("numpy")
def _(d: dict) -> Callable:
    return lambda: taylor_sine(numpy, d["x"])


for _lib in ("tapegrad", "autograd"):
    @taylor.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        np = _np_of(lib)
        g = _ad(lib).grad(lambda x: taylor_sine(np, x))
        return lambda: g(d["x"])


@taylor.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()

    def run() -> Any:
        x = torch.tensor(d["x"], requires_grad=True)
        return torch.autograd.grad(taylor_sine(torch, x), x)[0]

    return run


@taylor.builder("jax")
def _(d: dict) -> Callable:
    jax = load("jax")
    return _jax_call(jax.grad(lambda x: taylor_sine(jax.numpy, x)), d["x"])


@taylor.builder("jax_jit")
def _(d: dict) -> Callable:
    raise Skip("Python while loop on a traced value: jit needs lax.while_loop")


# ----- recurrent network ---------------------------------------------------------------


def rnn_loss(np: Any, params: Any, xs: Any) -> Any:
    """Sum of squares of the final state of a tanh RNN run over ``xs`` (time, batch, input)."""
    w_x, w_h, b = params
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h + b)
    return np.sum(h ** 2)


def _rnn_data(steps: int, batch: int, hidden: int, inputs: int) -> dict:
    rng = numpy.random.RandomState(0)
    params = (rng.randn(inputs, hidden) / math.sqrt(inputs),
              rng.randn(hidden, hidden) * (0.9 / math.sqrt(hidden)),
              rng.randn(hidden) * 0.1)
    return {"params": params, "xs": rng.randn(steps, batch, inputs)}


rnn = _workload("rnn", "RNN: 100 steps, batch 8, hidden 32", "overhead",
                {"full": dict(steps=100, batch=8, hidden=32, inputs=16),
                 "quick": dict(steps=100, batch=8, hidden=32, inputs=16),
                 "tiny": dict(steps=4, batch=2, hidden=3, inputs=2)}, _rnn_data)


# ----- logistic regression (autograd's README example) ---------------------------------


def logreg_loss(np: Any, w: Any, inputs: Any, targets: Any) -> Any:
    """Negative log-likelihood of a logistic model (sigmoid written with tanh)."""
    preds = 0.5 * (np.tanh((inputs @ w) / 2.0) + 1.0)
    label_probabilities = preds * targets + (1.0 - preds) * (1.0 - targets)
    return -np.sum(np.log(label_probabilities))


def _logreg_data(n: int, d: int) -> dict:
    rng = numpy.random.RandomState(1)
    inputs = rng.randn(n, d)
    targets = (inputs @ rng.randn(d) + rng.randn(n) > 0).astype(numpy.float64)
    return {"params": rng.randn(d) * 0.05, "args": (inputs, targets)}


logreg = _workload("logreg", "logistic regression 20,000 x 200", "array",
                   {"full": dict(n=20_000, d=200), "quick": dict(n=20_000, d=200),
                    "tiny": dict(n=30, d=4)}, _logreg_data)


# ----- tanh MLP with softmax cross-entropy ---------------------------------------------------


def mlp_loss(np: Any, params: Any, inputs: Any, onehot: Any) -> Any:
    """Mean softmax cross-entropy of a tanh MLP; ``params`` is a list of (W, b)."""
    h = inputs
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    m = np.max(logits, axis=1, keepdims=True)
    log_norm = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.sum(onehot * (logits - log_norm)) / inputs.shape[0]


def mlp_loss_torch(torch: Any, params: Any, inputs: Any, onehot: Any) -> Any:
    """The same loss as PyTorch users write it (fused log-sum-exp)."""
    h = inputs
    for w, b in params[:-1]:
        h = torch.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return -torch.sum(onehot * (logits - torch.logsumexp(logits, dim=1, keepdim=True))) / inputs.shape[0]


def _mlp_data(layers: tuple, batch: int) -> dict:
    rng = numpy.random.RandomState(2)
    params = [(rng.randn(m, n) / math.sqrt(m), rng.randn(n) * 0.1) for m, n in zip(layers[:-1], layers[1:])]
    inputs = rng.randn(batch, layers[0])
    onehot = numpy.eye(layers[-1])[rng.randint(0, layers[-1], batch)]
    return {"params": params, "args": (inputs, onehot)}


mlp = _workload("mlp", "tanh MLP 784-512-512-10, batch 512", "array",
                {"full": dict(layers=(784, 512, 512, 10), batch=512),
                 "quick": dict(layers=(784, 512, 512, 10), batch=512),
                 "tiny": dict(layers=(5, 4, 4, 3), batch=6)}, _mlp_data)


def _register_loss(w: Workload, loss: Callable, torch_loss: Callable, data_key: str = "args") -> None:
    """Builders for a scalar loss of ``params`` (an array or a container of arrays)."""

    def args_of(d: dict) -> tuple:
        return (d["xs"],) if "xs" in d else d[data_key]

    @w.builder("numpy")
    def _(d: dict) -> Callable:
        params, args = d["params"], args_of(d)
        return lambda: loss(numpy, params, *args)

    for lib in ("tapegrad", "autograd"):
        @w.builder(lib)
        def _(d: dict, lib: str = lib) -> Callable:
            np, params, args = _np_of(lib), d["params"], args_of(d)
            g = _ad(lib).grad(lambda p: loss(np, p, *args))
            return lambda: g(params)

    @w.builder("torch")
    def _(d: dict) -> Callable:
        torch = _torch()
        params = _map(lambda a: _tensor(a, grad=True), d["params"])
        leaves = _leaves(params)
        args = tuple(_tensor(a) for a in args_of(d))
        return lambda: torch.autograd.grad(torch_loss(torch, params, *args), leaves)

    for lib in ("jax", "jax_jit"):
        @w.builder(lib)
        def _(d: dict, lib: str = lib) -> Callable:
            jax, jnp = load("jax"), _np_of(lib)
            g = _jit(lib, jax.grad(lambda p, *a: loss(jnp, p, *a)))
            return _jax_call(g, d["params"], *args_of(d))


def _map(f: Callable, tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(f, t) for t in tree)
    return f(tree)


def _leaves(tree: Any) -> list:
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [tree]


_register_loss(rnn, rnn_loss, rnn_loss)
_register_loss(logreg, logreg_loss, logreg_loss)
_register_loss(mlp, mlp_loss, mlp_loss_torch)


# ----- Hessian-vector product ------------------------------------------------------------


def hvp_fun(np: Any, x: Any, a: Any) -> Any:
    """A smooth non-quadratic function of a vector, so the Hessian depends on ``x``."""
    return np.sum(np.tanh(a @ x) ** 2) + np.sum(np.sin(x) * x)


def _vec_data(n: int, seed: int) -> dict:
    rng = numpy.random.RandomState(seed)
    return {"x": rng.randn(n), "v": rng.randn(n), "a": rng.randn(n, n) / math.sqrt(n)}


hvp = _workload("hvp", "Hessian-vector product, 500-dim", "hvp",
                {"full": dict(n=500, seed=3), "quick": dict(n=500, seed=3), "tiny": dict(n=5, seed=3)},
                _vec_data)


@hvp.builder("numpy")
def _(d: dict) -> Callable:
    return lambda: hvp_fun(numpy, d["x"], d["a"])


for _lib in ("tapegrad", "autograd"):
    @hvp.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        np, a = _np_of(lib), d["a"]
        h = _ad(lib).hessian_vector_product(lambda x: hvp_fun(np, x, a))
        return lambda: h(d["x"], d["v"])


@hvp.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()
    x, v, a = _tensor(d["x"], grad=True), _tensor(d["v"]), _tensor(d["a"])

    def run() -> Any:
        (g,) = torch.autograd.grad(hvp_fun(torch, x, a), x, create_graph=True)
        return torch.autograd.grad(g, x, grad_outputs=v)[0]

    return run


for _lib in ("jax", "jax_jit"):
    @hvp.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax, jnp = load("jax"), _np_of(lib)
        grad_f = jax.grad(lambda x, a: hvp_fun(jnp, x, a))
        fwd_over_rev = _jit(lib, lambda x, v, a: jax.jvp(lambda y: grad_f(y, a), (x,), (v,))[1])
        return _jax_call(fwd_over_rev, d["x"], d["v"], d["a"])


# ----- full Jacobian ---------------------------------------------------------------------------


def jac_fun(np: Any, x: Any, a: Any) -> Any:
    """A map from R^n to R^n mixing a matrix product with elementwise functions."""
    return np.tanh(a @ x) * np.sin(x)


jac = _workload("jacobian", "Jacobian R^200 -> R^200", "jacobian",
                {"full": dict(n=200, seed=4), "quick": dict(n=200, seed=4), "tiny": dict(n=4, seed=4)},
                _vec_data)


@jac.builder("numpy")
def _(d: dict) -> Callable:
    return lambda: jac_fun(numpy, d["x"], d["a"])


for _lib in ("tapegrad", "autograd"):
    @jac.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        np, a = _np_of(lib), d["a"]
        j = _ad(lib).jacobian(lambda x: jac_fun(np, x, a))
        return lambda: j(d["x"])


@jac.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()
    x, a = _tensor(d["x"]), _tensor(d["a"])
    return lambda: torch.autograd.functional.jacobian(lambda y: jac_fun(torch, y, a), x)


for _lib in ("jax", "jax_jit"):
    @jac.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax, jnp = load("jax"), _np_of(lib)
        return _jax_call(_jit(lib, jax.jacrev(lambda x, a: jac_fun(jnp, x, a))), d["x"], d["a"])


# ----- fourth derivative of tanh, elementwise -------------------------------------------------------

tanh4 = _workload("tanh4", "4th derivative of tanh, 700 points", "tanh4",
                  {"full": dict(n=700), "quick": dict(n=700), "tiny": dict(n=7)},
                  lambda n: {"x": numpy.linspace(-7.0, 7.0, n)})


@tanh4.builder("numpy")
def _(d: dict) -> Callable:
    return lambda: numpy.tanh(d["x"])


for _lib in ("tapegrad", "autograd"):
    @tanh4.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        egrad, f = _ad(lib).elementwise_grad, _np_of(lib).tanh
        d4 = egrad(egrad(egrad(egrad(f))))
        return lambda: d4(d["x"])


@tanh4.builder("torch")
def _(d: dict) -> Callable:
    torch = _torch()

    def run() -> Any:
        x = _tensor(d["x"], grad=True)
        y = torch.tanh(x)
        for k in range(4):
            (y,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=k < 3)
        return y

    return run


for _lib in ("jax", "jax_jit"):
    @tanh4.builder(_lib)
    def _(d: dict, lib: str = _lib) -> Callable:
        jax = load("jax")
        g = jax.grad(jax.grad(jax.grad(jax.grad(jax.numpy.tanh))))
        return _jax_call(_jit(lib, jax.vmap(g)), d["x"])


ORDER = ("chain", "taylor", "rnn", "logreg", "mlp", "hvp", "jacobian", "hessian", "mlp_batch", "perexample", "tanh4", "chain1m",
         "writes1k", "writes10k", "writes100k")

from . import by_hand  # noqa: E402,F401 - registers the hand-written derivatives on the workloads above
from . import writes  # noqa: E402,F401 - registers the writes workloads (benchmarks/writes.py)
from . import batched  # noqa: E402,F401 - registers the vectorised workloads (benchmarks/batched.py)

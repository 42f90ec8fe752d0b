"""The derivatives of the array workloads written out in NumPy by hand.

An engine that calls NumPy cannot do less NumPy work than this, so the column
shows what a target leaves for the engine's own bookkeeping: where by-hand code
is itself above a target, no tracing engine can meet it. Each function is the
straightforward expert version (the backward pass reuses the forward's values;
no fusion that NumPy cannot express).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from .workloads import hvp, logreg, mlp, rnn


@rnn.builder("by_hand")
def _(d: dict) -> Callable:
    (w_x, w_h, b), xs = d["params"], d["xs"]

    def grad() -> Any:
        h = numpy.zeros((xs.shape[1], w_h.shape[0]))
        hs = [h]
        for t in range(xs.shape[0]):
            h = numpy.tanh(xs[t] @ w_x + h @ w_h + b)
            hs.append(h)
        g = 2 * h  # d sum(h**2) / dh
        g_wx, g_wh, g_b = numpy.zeros_like(w_x), numpy.zeros_like(w_h), numpy.zeros_like(b)
        for t in range(xs.shape[0] - 1, -1, -1):
            a = g * (1 - hs[t + 1] ** 2)
            g_b = g_b + a.sum(axis=0)
            g_wx = g_wx + xs[t].T @ a
            g_wh = g_wh + hs[t].T @ a
            g = a @ w_h.T
        return g_wx, g_wh, g_b

    return grad


@logreg.builder("by_hand")
def _(d: dict) -> Callable:
    w, (inputs, targets) = d["params"], d["args"]

    def grad() -> Any:
        t = numpy.tanh((inputs @ w) / 2.0)
        preds = 0.5 * (t + 1.0)
        label_probabilities = preds * targets + (1.0 - preds) * (1.0 - targets)
        # -d log(p)/dp * dp/dpreds * dpreds/dz, with dpreds/dz = (1 - t^2) / 4
        g_z = -(2.0 * targets - 1.0) / label_probabilities * 0.25 * (1.0 - t * t)
        return g_z @ inputs

    return grad


@mlp.builder("by_hand")
def _(d: dict) -> Callable:
    params, (inputs, onehot) = d["params"], d["args"]

    def grad() -> Any:
        hs = [inputs]
        for w, b in params[:-1]:
            hs.append(numpy.tanh(hs[-1] @ w + b))
        w, b = params[-1]
        logits = hs[-1] @ w + b
        e = numpy.exp(logits - numpy.max(logits, axis=1, keepdims=True))
        softmax = e / numpy.sum(e, axis=1, keepdims=True)
        g = (softmax * numpy.sum(onehot, axis=1, keepdims=True) - onehot) / inputs.shape[0]
        grads = []
        for i in range(len(params) - 1, -1, -1):
            w, _b = params[i]
            grads.append((hs[i].T @ g, g.sum(axis=0)))
            if i:
                g = (g @ w.T) * (1 - hs[i] ** 2)
        return grads[::-1]

    return grad


@hvp.builder("by_hand")
def _(d: dict) -> Callable:
    x, v, a = d["x"], d["v"], d["a"]

    def hessian_times_v() -> Any:
        # f = sum(tanh(a x)^2) + sum(sin(x) x); forward-over-reverse written out:
        # the gradient's pieces and their tangents along v.
        t = numpy.tanh(a @ x)
        t_dot = (1 - t * t) * (a @ v)
        s = 1 - t * t
        g_z_dot = 2 * (t_dot * s - 2 * t * t * t_dot)  # d/dv of 2 t (1 - t^2)
        sin, cos = numpy.sin(x), numpy.cos(x)
        return g_z_dot @ a + (2 * cos - x * sin) * v

    return hessian_times_v

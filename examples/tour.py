"""A tour of tapegrad: the classic autograd examples, and what autograd could not do (vmap among it).

Run with ``make demo`` (or ``python tour.py`` with tapegrad and matplotlib installed).
Writes ``tanh.png``: tanh and its first four derivatives.
"""

from __future__ import annotations

import numpy as onp

import tapegrad.numpy as np
from tapegrad import grad, hessian, jacfwd, jacobian, jacrev, value_and_grad, vmap
from tapegrad.misc.optimizers import adam


def finite_difference(f, x, eps=1e-6):
    x = onp.asarray(x, dtype=float)
    g = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        e = onp.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def show(name, f, x):
    g = grad(f)(x)
    fd = finite_difference(f, x)
    print(f"  {name:<38} grad = {onp.array2string(onp.asarray(g), precision=6):<28} finite diff = {onp.array2string(fd, precision=6)}")


def taylor_sine(x):
    ans = currterm = x
    i = 0
    while np.abs(currterm) > 0.001:
        currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + currterm
        i += 1
    return ans


def control_flow(x):
    if x < 0.0:
        return control_flow(-x)
    while x > 10:
        x /= 10
    return np.power(x, 1.5)


def with_assignment(x):
    # autograd cannot do this: assignment into an array created in the function
    B = np.zeros((3, 3))
    B[0] = x
    B[1:, 1:] = np.outer(x[:2], x[1:])
    B[2, 0] += x[0] ** 2
    return np.sum(B**2)


def with_methods(x):
    # autograd cannot do this either: array methods
    return x.dot(x) + x.sum() * x.max() + x.reshape(3, 1).T.mean()


def plain_numpy(x):
    # written against plain NumPy, not tapegrad.numpy
    return onp.sum(onp.tanh(x) @ onp.linalg.inv(onp.eye(3) + onp.outer(x, x)))


def classics():
    print("Gradients of the classic examples, beside central finite differences:")
    show("sin(2x)/x at 1.0", lambda x: np.sin(x * 2) / x, 1.0)
    show("Taylor-series sine at pi", taylor_sine, onp.pi)
    show("recursion and while loops at -10003", control_flow, -10003.0)
    x = onp.array([0.5, -1.0, 2.0])
    show("assignment into np.zeros buffer", with_assignment, x)
    show("array methods", with_methods, x)
    show("plain `import numpy` code", plain_numpy, x)
    print("  integer input: grad(lambda x: x**3 + 1)(2) =", grad(lambda x: x**3 + 1)(2))
    f = lambda x: np.array([2 * x[0] ** 2 + 3 * x[1], np.cos(x[0]) + np.sin(x[1])])  # noqa: E731
    print("  Jacobian of [2x0^2 + 3x1, cos x0 + sin x1] at [2, 3]:\n", jacobian(f)(onp.array([2.0, 3.0])))
    print("  Hessian of sum(x^3) at [1, 2]:\n", hessian(lambda x: np.sum(x**3))(onp.array([1.0, 2.0])))


def logistic_regression():
    print("\nLogistic regression, trained by gradient descent:")

    def sigmoid(x):
        return 0.5 * (np.tanh(x / 2.0) + 1)

    inputs = onp.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
    targets = onp.array([True, True, False, True])

    def training_loss(weights):
        preds = sigmoid(np.dot(inputs, weights))
        label_probabilities = preds * targets + (1 - preds) * (1 - targets)
        return -np.sum(np.log(label_probabilities))

    weights = onp.zeros(3)
    step = value_and_grad(training_loss)
    for i in range(101):
        loss, g = step(weights)
        weights = weights - 0.1 * g
        if i % 20 == 0:
            print(f"  iteration {i:3d}  loss {loss:.4f}")


def neural_network():
    print("\nA small tanh network fitting sin(x), trained with Adam:")
    rng = onp.random.default_rng(0)
    x = onp.linspace(-3, 3, 64)[:, None]
    y = onp.sin(x)
    params = {
        "W1": 0.5 * rng.standard_normal((1, 16)), "b1": onp.zeros(16),
        "W2": 0.5 * rng.standard_normal((16, 1)), "b2": onp.zeros(1),
    }

    def predict(p, x):
        return np.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    def loss(p, i=0):
        return np.mean((predict(p, x) - y) ** 2)

    def report(p, i, g):
        if i % 100 == 0:
            print(f"  iteration {i:4d}  loss {loss(p):.5f}")

    trained = adam(grad(loss), params, step_size=0.02, num_iters=501, callback=report)
    print(f"  final loss {loss(trained):.5f}")


def vectorised():
    print("\nvmap: a function mapped over a batch, and per-example gradients in one call:")
    rng = onp.random.default_rng(1)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    w = onp.array([0.5, -1.0, 2.0])

    def loss(w, x, t):  # one example's squared error
        return (np.dot(x, w) - t) ** 2

    per_example = vmap(grad(loss), in_axes=(None, 0, 0))(w, X, y)  # (5, 3): one gradient per row of X
    looped = onp.stack([grad(loss)(w, X[i], y[i]) for i in range(5)])
    print("  per-example gradients, shape", per_example.shape, "max |difference from a Python loop|",
          onp.abs(per_example - looped).max())
    print("  their mean is the batch gradient:",
          onp.allclose(per_example.mean(0), grad(lambda w: np.mean(vmap(loss, (None, 0, 0))(w, X, y)))(w)))
    f = lambda x: np.tanh(np.outer(x, x)).sum(axis=0)
    print("  jacfwd and jacrev agree (one batched sweep each):",
          onp.allclose(jacfwd(f)(w), jacrev(f)(w)))


def tanh_derivatives(path="tanh.png"):
    import matplotlib

    matplotlib.use("Agg")
    from tapegrad import plot_derivatives

    # elementwise_grad(np.tanh), then of that, and so on: four derivatives in one call
    ax = plot_derivatives(np.tanh, onp.linspace(-7, 7, 700), order=4)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=100)
    print(f"\nWrote {path}: tanh and its first four derivatives.")


if __name__ == "__main__":
    classics()
    logistic_regression()
    neural_network()
    vectorised()
    tanh_derivatives()

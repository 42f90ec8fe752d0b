"""tapegrad.misc.optimizers: autograd's signatures, losses reported without a second pass, progress output."""

import sys
import types

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.misc.optimizers import adam, momentum, rmsprop, sgd, unflatten_optimizer
from tapegrad.test_util import check_grads

TARGET = {"w": onp.array([[1.0, -2.0], [0.5, 3.0]]), "b": (onp.array([0.25]), -1.5)}


def loss(p):
    return (np.sum((p["w"] - TARGET["w"]) ** 2) + np.sum((p["b"][0] - TARGET["b"][0]) ** 2)
            + (p["b"][1] - TARGET["b"][1]) ** 2 + 0.1 * np.sum(p["w"] ** 4))


def start():
    return {"w": onp.zeros((2, 2)), "b": (onp.zeros(1), 0.0)}


# autograd 1.9.1's optimisers on flat vectors, written out: the reference for the updates.
def autograd_sgd(grad, x, num_iters=200, step_size=0.1, mass=0.9):
    velocity = onp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


def autograd_rmsprop(grad, x, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    avg_sq_grad = onp.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (onp.sqrt(avg_sq_grad) + eps)
    return x


def autograd_adam(grad, x, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10**-8):
    m = onp.zeros(len(x))
    v = onp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (onp.sqrt(vhat) + eps)
    return x


def flat(p):
    return onp.concatenate([onp.ravel(p["b"][0]), [p["b"][1]], onp.ravel(p["w"])])  # flatten's order


def unflat(v):
    return {"b": (v[0:1], v[1]), "w": v[2:].reshape(2, 2)}


OPTIMIZERS = [
    (sgd, autograd_sgd, (40, 0.05, 0.8)),
    (rmsprop, autograd_rmsprop, (40, 0.05, 0.8, 1e-8)),
    (adam, autograd_adam, (40, 0.05, 0.85, 0.99, 1e-8)),
]


@pytest.mark.parametrize("opt,reference,args", OPTIMIZERS, ids=["sgd", "rmsprop", "adam"])
def test_autograd_signature_and_updates(opt, reference, args):
    g = grad(loss)
    seen = []

    def callback(x, i, gx):  # autograd's three-parameter callback
        seen.append((i, type(x), type(gx)))

    got = opt(lambda p, i: g(p), start(), callback, *args)  # all positional, as in autograd
    ref = reference(lambda v, i: flat(g(unflat(v))), flat(start()), *args)
    onp.testing.assert_allclose(flat(got), ref, rtol=1e-12, atol=1e-14)
    assert type(got) is dict and type(got["b"]) is tuple and got["w"].shape == (2, 2)
    assert seen == [(i, dict, dict) for i in range(args[0])]


@pytest.mark.parametrize("opt", [sgd, momentum, rmsprop, adam])
def test_loss_keyword_follows_the_same_path_as_grad(opt):
    by_grad = opt(lambda p, i: grad(loss)(p), start(), num_iters=30, step_size=0.02)
    by_loss = opt(loss=lambda p, i: loss(p), x0=start(), num_iters=30, step_size=0.02)
    one_arg = opt(loss=loss, x0=start(), num_iters=30, step_size=0.02)
    from tapegrad import value_and_grad
    both = opt(loss_and_grad=value_and_grad(loss), x0=start(), num_iters=30, step_size=0.02)
    for other in (by_loss, one_arg, both):
        onp.testing.assert_allclose(flat(other), flat(by_grad), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("opt", [sgd, momentum, rmsprop, adam])
def test_callback_receives_the_loss_at_x_from_one_forward_pass(opt):
    calls = []

    def counted(p, i):
        calls.append(i)
        return loss(p)

    reported = []

    def callback(x, i, g, value):
        reported.append((i, float(value), float(loss(x))))  # loss(x) here is the test's own check
        assert type(x) is dict and type(g) is dict and g["w"].shape == (2, 2)

    opt(loss=counted, x0=start(), callback=callback, num_iters=25, step_size=0.01)
    assert calls == list(range(25))  # exactly one call of the loss a step
    assert [r[0] for r in reported] == list(range(25))
    for _, value, expected in reported:
        assert value == expected


def test_four_parameter_callback_without_a_loss_gets_none_and_three_parameter_ones_still_work():
    got = []
    adam(lambda p, i: grad(loss)(p), start(), lambda x, i, g, value: got.append(value), num_iters=3)
    assert got == [None, None, None]
    got = []
    adam(loss=loss, x0=start(), callback=lambda x, i, g: got.append(i), num_iters=3)
    assert got == [0, 1, 2]

    class Recorder:  # a bound method: self does not count
        def __init__(self):
            self.values = []

        def __call__(self, x, i, g, value=None):
            self.values.append(value)

    rec = Recorder()
    sgd(loss=loss, x0=start(), callback=rec, num_iters=2)
    assert len(rec.values) == 2 and rec.values[0] == pytest.approx(float(loss(start())))


def test_loss_with_iteration_number_gets_it():
    seen = []

    def batch_loss(p, i):
        seen.append(i)
        return np.sum((p - i) ** 2)

    rmsprop(loss=batch_loss, x0=onp.zeros(2), num_iters=4)
    assert seen == [0, 1, 2, 3]


def test_exactly_one_source_of_gradients():
    with pytest.raises(TypeError, match="exactly one"):
        adam(x0=onp.zeros(2))
    with pytest.raises(TypeError, match="exactly one"):
        adam(lambda x, i: x, onp.zeros(2), loss=lambda x: np.sum(x))
    with pytest.raises(TypeError, match="x0"):
        adam(loss=lambda x: np.sum(x))


def test_momentum_steps_match_their_definition():
    g = onp.array([2.0, -4.0])
    x = momentum(lambda x, i: g, onp.array([1.0, 1.0]), num_iters=2, step_size=0.5, mass=0.8)
    v1 = -0.5 * g
    v2 = 0.8 * v1 - 0.5 * g
    onp.testing.assert_allclose(x, [1.0, 1.0] + v1 + v2)
    x = momentum(lambda x, i: g, onp.array([1.0, 1.0]), num_iters=2, step_size=0.5, mass=0.8, nesterov=True)
    onp.testing.assert_allclose(x, [1.0, 1.0] + (0.8 * v1 - 0.5 * g) + (0.8 * v2 - 0.5 * g))


def test_unflatten_optimizer_still_wraps_flat_optimizers():
    @unflatten_optimizer
    def plain(grad, x, callback=None, num_iters=3):
        for i in range(num_iters):
            g = grad(x, i)
            if callback:
                callback(x, i, g)
            x = x - 0.1 * g
        return x

    seen = []
    out = plain(lambda p, i: grad(loss)(p), start(), lambda x, i, g: seen.append(type(x)))
    assert type(out) is dict and seen == [dict] * 3


def test_optimizer_with_a_loss_is_differentiable_in_step_size():
    def final_loss(step):
        x = adam(loss=lambda x: np.sum((x - 1.0) ** 2), x0=onp.array([0.0, 2.0]), num_iters=5, step_size=step)
        return np.sum(x ** 2)

    check_grads(final_loss, modes=["fwd", "rev"], order=1)(0.1)


# ----- progress ---------------------------------------------------------------------------------------


class FakeTqdm:
    instances = []

    def __init__(self, total=None, desc=None, **kwargs):
        self.total, self.desc, self.n, self.postfix, self.closed = total, desc, 0, [], False
        FakeTqdm.instances.append(self)

    def update(self, n=1):
        self.n += n

    def set_postfix(self, refresh=True, **kwargs):
        self.postfix.append(kwargs)

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    package = types.ModuleType("tqdm")
    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm
    package.auto = auto
    monkeypatch.setitem(sys.modules, "tqdm", package)
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    FakeTqdm.instances = []
    return FakeTqdm


@pytest.fixture
def no_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


def test_progress_bar_with_tqdm_shows_the_loss(fake_tqdm, capsys):
    values = []
    adam(loss=loss, x0=start(), num_iters=12, step_size=0.05, progress=True,
         callback=lambda x, i, g, value: values.append(float(value)))
    (bar,) = fake_tqdm.instances
    assert bar.total == 12 and bar.desc == "adam" and bar.n == 12 and bar.closed
    assert [float(p["loss"]) for p in bar.postfix] == pytest.approx(values, rel=1e-5)
    assert capsys.readouterr().err == ""  # all output is tqdm's


def test_progress_bar_without_a_loss_counts_steps(fake_tqdm):
    sgd(lambda p, i: grad(loss)(p), start(), num_iters=5, progress=True)
    (bar,) = fake_tqdm.instances
    assert bar.n == 5 and bar.postfix == [] and bar.closed


def test_progress_bar_is_closed_when_the_loss_raises(fake_tqdm):
    def failing(x, i):
        if i == 3:
            raise FloatingPointError("diverged")
        return np.sum(x ** 2)

    with pytest.raises(FloatingPointError):
        adam(loss=failing, x0=onp.ones(2), num_iters=10, progress=True)
    (bar,) = fake_tqdm.instances
    assert bar.n == 3 and bar.closed


def test_progress_without_tqdm_prints_lines(no_tqdm, capsys):
    values = []
    rmsprop(loss=loss, x0=start(), num_iters=20, step_size=0.05, progress=True,
            callback=lambda x, i, g, value: values.append(float(value)))
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 10  # every tenth of the run
    assert lines[0].startswith("rmsprop: step  2/20") and lines[-1].startswith("rmsprop: step 20/20")
    assert float(lines[-1].split("loss")[1]) == pytest.approx(values[-1], rel=1e-5)


def test_no_progress_output_by_default(no_tqdm, capsys):
    adam(loss=loss, x0=start(), num_iters=5)
    assert capsys.readouterr().err == ""


def test_a_loss_and_grad_of_unknown_arity_is_called_as_it_accepts():
    from tapegrad import value_and_grad

    one = adam(loss_and_grad=value_and_grad(loss), x0=start(), num_iters=3)  # value_and_grad(f): (*args)
    two = adam(loss_and_grad=value_and_grad(lambda p, i: loss(p)), x0=start(), num_iters=3)
    onp.testing.assert_allclose(flat(one), flat(two))

    def broken(*args):
        raise TypeError("a bug inside the loss")

    with pytest.raises(TypeError, match="a bug inside the loss"):
        adam(loss_and_grad=broken, x0=start(), num_iters=3)

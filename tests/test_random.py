"""tapegrad.numpy.random: NumPy's samplers on plain values, refusal of traced parameters."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad
from tapegrad.core import NonDifferentiableError
from tapegrad.test_util import check_grads


@pytest.mark.parametrize(
    "name,args",
    [
        ("rand", (2, 3)), ("randn", (4,)), ("normal", (1.0, 2.0, 5)), ("uniform", (-1.0, 1.0, 3)),
        ("standard_normal", ((2, 2),)), ("randint", (0, 10, 6)), ("choice", (5, 3)), ("permutation", (6,)),
        ("random", (3,)), ("exponential", (2.0, 4)), ("gamma", (2.0, 1.0, 3)), ("beta", (2.0, 3.0, 2)),
        ("poisson", (3.0, 4)), ("binomial", (10, 0.3, 4)), ("multivariate_normal", ([0.0, 1.0], onp.eye(2))),
    ],
)
def test_samplers_match_numpy_with_the_same_seed(name, args):
    np.random.seed(7)
    ours = getattr(np.random, name)(*args)
    onp.random.seed(7)
    theirs = getattr(onp.random, name)(*args)
    onp.testing.assert_array_equal(ours, theirs)
    assert type(ours) is type(theirs)


def test_listed_names_are_all_available():
    for name in np.random.__all__:
        assert getattr(np.random, name) is not None
        assert hasattr(onp.random, name)


def test_unlisted_names_forward_to_numpy():
    assert np.random.mtrand is onp.random.mtrand


def test_generators_are_numpys():
    rng = np.random.default_rng(3)
    assert isinstance(rng, np.random.Generator) and isinstance(rng, onp.random.Generator)
    onp.testing.assert_array_equal(rng.standard_normal(3), onp.random.default_rng(3).standard_normal(3))
    assert np.random.RandomState is onp.random.RandomState


def test_shuffle_in_place():
    x = onp.arange(10)
    np.random.seed(2)
    np.random.shuffle(x)
    y = onp.arange(10)
    onp.random.seed(2)
    onp.random.shuffle(y)
    onp.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: np.random.normal(loc=t),
        lambda t: np.random.normal(0.0, t, size=3),
        lambda t: np.random.uniform(t, 2.0),
        lambda t: np.random.exponential(t),
        lambda t: np.random.choice(3, p=[t, 0.5, 0.5 - t]),
    ],
)
def test_traced_parameter_is_refused(call):
    with pytest.raises(NotImplementedError, match="numpy.random"):
        grad(lambda t: np.sum(call(t)))(0.25)
    with pytest.raises(NonDifferentiableError):
        grad(lambda t: np.sum(call(t)))(0.25)


def test_reparameterised_sample_is_differentiable():
    def f(loc, scale):
        onp.random.seed(0)
        return np.sum(loc + scale * np.random.standard_normal(4))

    check_grads(f, argnum=(0, 1))(0.3, 1.2)
    onp.random.seed(0)
    expected = onp.sum(onp.random.standard_normal(4))
    assert grad(f, 1)(0.3, 1.2) == pytest.approx(expected)


def test_permutation_and_choice_of_traced_population():
    x = onp.array([1.0, 2.0, 3.0, 4.0, 5.0])
    w = onp.arange(1.0, 6.0)

    def perm(x):
        np.random.seed(5)
        return np.sum(np.random.permutation(x) * w)

    def pick(x):
        np.random.seed(5)
        return np.sum(np.random.choice(x, 4, replace=True) * w[:4])

    onp.random.seed(5)
    expected_value = onp.sum(onp.random.permutation(x) * w)
    assert perm(x) == pytest.approx(expected_value)
    check_grads(perm, modes=["fwd", "rev"])(x)
    check_grads(pick, modes=["fwd", "rev"])(x)
    # choice with replacement may pick one element several times: its gradient adds up.
    onp.random.seed(5)
    idx = onp.random.choice(5, 4, replace=True)
    expected = onp.zeros(5)
    onp.add.at(expected, idx, w[:4])
    onp.testing.assert_allclose(grad(pick)(x), expected)

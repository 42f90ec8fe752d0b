"""The numerical checker catches wrong rules (so a passing rule table means something)."""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad.extend import defjvp, defvjp, primitive
from tapegrad.test_util import DerivativeMismatch, check_grads

from tests.rules.harness import Row, run


def _sin_with(vjp_scale=1.0, jvp_scale=1.0, raw_second_order=False):
    f = primitive(lambda x: onp.sin(x))
    if raw_second_order:
        # Right at first order, but written with raw NumPy: the second order is lost.
        defvjp(f, lambda ans, x: lambda g: g * onp.cos(getattr(x, "_value", x)))
    else:
        defvjp(f, lambda ans, x: lambda g: vjp_scale * g * np.cos(x))
    defjvp(f, lambda g, ans, x: jvp_scale * g * np.cos(x))
    return f


X = onp.array([0.3, -0.8, 1.4])


def test_correct_rule_passes():
    check_grads(_sin_with(), modes=["fwd", "rev"], order=2)(X)


def test_wrong_reverse_rule_is_caught():
    with pytest.raises(DerivativeMismatch, match="reverse-mode"):
        check_grads(_sin_with(vjp_scale=1.01), modes=["rev"], order=1)(X)


def test_wrong_forward_rule_is_caught():
    with pytest.raises(DerivativeMismatch, match="forward-mode"):
        check_grads(_sin_with(jvp_scale=0.99), modes=["fwd"], order=1)(X)


def test_rule_that_is_not_differentiable_again_is_caught_at_second_order():
    f = _sin_with(raw_second_order=True)
    check_grads(f, modes=["rev"], order=1)(X)
    with pytest.raises(Exception):
        check_grads(f, modes=["rev"], order=2)(X)


def test_table_harness_catches_a_wrong_rule():
    row = Row("wrong sin", _sin_with(vjp_scale=-1.0), [((3,),)])
    with pytest.raises(DerivativeMismatch):
        run(row, ((3,),), "float64")

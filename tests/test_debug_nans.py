"""NaN and infinity hunting (tapegrad.debug_nans), and the gradient of a loss whose value is NaN.

The debug mode must stop at the primitive where a NaN or an infinity is born,
in the forward pass, the backward pass (VJP) and forward mode (JVP), naming
it and the line of this file that called it; raise nothing on programs that
are merely given infinities or NaNs; and change no result.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import warnings

import numpy as onp
import pytest

import tapegrad
import tapegrad.numpy as np
from tapegrad import NonFiniteError, debug_nans, deriv, grad, hessian, jacobian, make_jvp, make_vjp, value_and_grad
from tapegrad.core.state import STATE

ROOT = pathlib.Path(__file__).resolve().parents[1]
HERE = pathlib.Path(__file__).resolve()


def line_of(marker: str) -> int:
    """The line of this file that carries ``marker`` in a comment."""
    for number, text in enumerate(HERE.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(marker)


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own "invalid value" warnings
        yield


def log_loss(x):
    y = np.log(x)  # LOG
    return np.sum(y * 2.0)


def sqrt_loss(x):
    return np.sum(np.sqrt(x))  # SQRT


def raised(thunk) -> NonFiniteError:
    with debug_nans():
        with pytest.raises(NonFiniteError) as info:
            thunk()
    return info.value


# ----- where a NaN or an infinity is born -------------------------------------------


def test_forward_nan_names_primitive_line_and_inputs():
    e = raised(lambda: grad(log_loss)(np.array([1.0, -1.0, 2.0])))
    assert e.primitive == "numpy.log" and e.phase == "value"
    assert e.site[0] == str(HERE) and e.site[1] == line_of("LOG") and e.site[2] == "log_loss"
    text = str(e)
    assert text.startswith("numpy.log returned NaN at 1 of 3 elements (the first at index (1,))")
    assert f"{HERE}, line {line_of('LOG')}, in log_loss" in text
    assert "y = np.log(x)  # LOG" in text  # the source line itself
    assert "argument 0 (traced): float64 array of shape (3,), min -1, max 2" in text
    assert isinstance(e, FloatingPointError) and isinstance(e, tapegrad.TapegradError)


def test_infinity_from_finite_inputs():
    e = raised(lambda: grad(log_loss)(np.array([1.0, 0.0])))
    assert e.primitive == "numpy.log" and "returned infinite at 1 of 2 elements" in str(e)


def test_backward_pass_names_primitive_and_line():
    # sqrt(0) is 0, but its derivative is infinite: only the VJP can tell.
    e = raised(lambda: grad(sqrt_loss)(np.array([4.0, 0.0])))
    assert e.phase == "vjp" and e.primitive == "numpy.sqrt"
    assert e.site[1] == line_of("SQRT") and e.site[2] == "sqrt_loss"
    text = str(e)
    assert "The derivative of numpy.sqrt in the backward pass (its VJP for argument 0) is infinite" in text
    assert "cotangent of its result: float64 array of shape (2,), min 1, max 1" in text


def test_forward_mode_checks_tangents():
    e = raised(lambda: deriv(sqrt_loss)(np.array([4.0, 0.0])))
    assert e.phase == "jvp" and e.primitive == "numpy.sqrt" and e.site[1] == line_of("SQRT")
    e = raised(lambda: make_jvp(log_loss)(np.array([1.0, -1.0]))(np.ones(2)))
    assert e.phase == "value" and e.site[1] == line_of("LOG")


def test_operators_methods_and_plain_numpy_calls_are_named():
    def f(x):
        return (x ** 0.5).sum()  # POWER

    e = raised(lambda: grad(f)(np.array([1.0, 0.0])))
    assert e.primitive == "numpy.power" and "(or the ** operator)" in str(e) and e.site[1] == line_of("POWER")

    def g(x):
        return onp.sum(onp.log(x))  # PLAIN

    e = raised(lambda: grad(g)(np.array([1.0, -2.0])))
    assert e.primitive == "numpy.log" and e.site[1] == line_of("PLAIN")

    def h(x):
        return np.sum(x / (x - 1.0))  # DIVIDE

    e = raised(lambda: grad(h)(np.array([1.0, 2.0])))
    assert e.primitive == "numpy.divide" and e.site[1] == line_of("DIVIDE")


def test_first_primitive_is_reported():
    def f(x):
        a = np.exp(x)  # OVERFLOW
        b = a / np.sum(a)  # inf / inf: a NaN, but born of an infinity reported first
        return np.sum(b)

    e = raised(lambda: grad(f)(np.array([1000.0, 1.0])))
    assert e.primitive == "numpy.exp" and e.site[1] == line_of("OVERFLOW")


def test_higher_derivative_names_the_rule_it_came_from():
    # (x ** 1.5)'' = 0.75 / sqrt(x): infinite at 0, in a step of sqrt's own derivative rule
    e = raised(lambda: grad(grad(lambda x: np.sqrt(x) ** 3))(0.0))
    assert e.phase == "vjp" and "this is a higher derivative" in str(e) and "VJP of numpy.sqrt" in str(e)
    e = raised(lambda: hessian(lambda x: np.sum(np.sqrt(x) ** 3))(np.array([1.0, 0.0])))
    assert "numpy.sqrt" in str(e)


def test_containers_jacobian_and_scalars():
    e = raised(lambda: grad(lambda p: np.sum(np.log(p["a"]) * p["b"]))({"a": np.array([1.0, -2.0]), "b": np.ones(2)}))
    assert e.primitive == "numpy.log"
    e = raised(lambda: jacobian(np.sqrt)(np.array([1.0, 0.0])))
    assert e.phase == "vjp"
    e = raised(lambda: grad(np.log)(-1.0))
    assert "argument 0 (traced): Python float -1.0" in str(e)


def test_nan_only_mode_lets_infinities_pass():
    with debug_nans(infs=False):
        assert grad(lambda x: np.sum(np.exp(x)))(np.array([1000.0])) == onp.inf
        with pytest.raises(NonFiniteError):
            grad(log_loss)(np.array([-1.0]))


def test_a_tape_recorded_outside_the_mode_is_checked_when_swept_inside():
    vjp, _ = make_vjp(sqrt_loss)(np.array([0.0, 1.0]))
    with debug_nans(), pytest.raises(NonFiniteError) as info:
        vjp(1.0)
    assert info.value.site is None and "recorded outside this mode" in str(info.value)


# ----- no false alarms, and no change to any result ------------------------------------


LEGITIMATE = [
    # a masked log-sum-exp: -inf where a mask is off
    (lambda x: np.sum(x - np.log(np.sum(np.exp(np.where(x > 0, x, -np.inf))))), [1.0, -1.0, 2.0]),
    # infinite bounds and initial values
    (lambda x: np.sum(np.clip(x, -np.inf, 1.5) + np.minimum(x, np.inf) + np.max(x, initial=-np.inf)), [1.0, 2.0]),
    # data with infinities, used through exp(-data)
    (lambda x: np.sum(x * np.exp(-np.array([np.inf, 1.0, 0.0])) + np.arctan(x * 1e300)), [1.0, 2.0, 3.0]),
    # the unselected branch of a where, in reverse mode (sqrt(0) is finite; its derivative is masked)
    (lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)), [4.0, 0.0]),
    # a NaN the caller passes in is carried on, not born here
    (lambda x: np.sum(x * 2.0 + np.tanh(x)), [1.0, np.nan]),
]


@pytest.mark.parametrize("case", range(len(LEGITIMATE)))
def test_no_false_alarms_and_same_gradients(case):
    fun, x = LEGITIMATE[case]
    x = onp.array(x)
    plain = grad(fun)(x)
    with debug_nans():
        checked = grad(fun)(x)
    onp.testing.assert_array_equal(checked, plain)


def test_legitimate_infinities_in_forward_mode():
    fun, x = LEGITIMATE[1]
    plain = make_jvp(fun)(onp.array(x))(onp.ones(2))
    with debug_nans():
        checked = make_jvp(fun)(onp.array(x))(onp.ones(2))
    assert checked == plain


def test_writes_give_the_same_gradient_in_the_mode():
    # Element writes into a large array change the memory in place when nothing else sees it;
    # the checking sweep must not make that decision differently.
    def program(x):
        y = x * 1.0
        for i in range(1, 40):
            y[i] = y[i - 1] * 0.5 + x[i]
        return np.sum(y * y)

    x = onp.linspace(0.0, 1.0, 5000)
    plain = grad(program)(x)
    with debug_nans():
        checked = grad(program)(x)
    onp.testing.assert_array_equal(checked, plain)
    onp.testing.assert_array_equal(grad(program)(x), plain)  # and after it


def test_off_by_default_and_restored():
    assert STATE.checks is None
    value, g = value_and_grad(log_loss)(np.array([-1.0, 1.0]))  # no error: NaN as NumPy gives it
    assert onp.isnan(value)
    with pytest.raises(NonFiniteError):
        with debug_nans():
            grad(log_loss)(np.array([-1.0]))
    assert STATE.checks is None
    with debug_nans():
        with debug_nans(False):
            grad(log_loss)(np.array([-1.0]))  # off inside
        with pytest.raises(NonFiniteError):
            grad(log_loss)(np.array([-1.0]))


def test_the_mode_is_per_thread():
    seen = []
    with debug_nans():
        t = threading.Thread(target=lambda: seen.append(STATE.checks))
        t.start()
        t.join()
    assert seen == [None]


def test_as_a_decorator():
    @debug_nans()
    def fit(x):
        return grad(log_loss)(x)

    with pytest.raises(NonFiniteError):
        fit(np.array([-1.0]))
    assert STATE.checks is None


@pytest.mark.parametrize("value, raises", [("1", True), ("nan", True), ("0", False)])
def test_environment_variable(value, raises):
    code = (
        "import threading, numpy\n"
        "import tapegrad, tapegrad.numpy as np\n"
        "def run():\n"
        "    try:\n"
        "        tapegrad.grad(lambda x: np.sum(np.log(x)))(numpy.array([-1.0]))\n"
        "    except tapegrad.NonFiniteError as e:\n"
        "        print('raised', e.primitive)\n"
        "    else:\n"
        "        print('no error')\n"
        "run()\n"
        "t = threading.Thread(target=run); t.start(); t.join()\n"  # other threads too
    )
    env = dict(os.environ, TAPEGRAD_DEBUG_NANS=value, PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    expected = "raised numpy.log" if raises else "no error"
    assert out.stdout.split("\n")[:2] == [expected, expected]


# ----- the gradient of a loss whose value is NaN or infinite ------------------------------


def test_nan_loss_has_no_finite_gradient_from_masked_zeros():
    # softmax of an overflowing input: the loss is NaN. Masking 0 * inf gave a zero gradient,
    # a stationary point; the gradient IEEE arithmetic gives is NaN (NumPy's formula as oracle).
    x = onp.array([1000.0, 1.0])
    w = onp.array([0.0, 1.0])

    def loss(x):
        s = np.exp(x) / np.sum(np.exp(x))
        return np.sum(s * w)

    value, g = value_and_grad(loss)(x)
    s = onp.exp(x) / onp.sum(onp.exp(x))
    expected = s * (w - onp.sum(s * w))
    assert onp.isnan(value)
    onp.testing.assert_allclose(g, expected, rtol=1e-15)  # NaN where NumPy's formula is NaN


def test_nan_loss_gradient_is_ieee_elementwise():
    x = onp.array([-1.0, 4.0])
    value, g = value_and_grad(lambda x: np.sum(np.sqrt(x) * 0.0 + x))(x)
    assert onp.isnan(value)
    onp.testing.assert_array_equal(g, 0.0 * (0.5 / onp.sqrt(x)) + 1.0)  # [nan, 1]


def test_infinite_loss_gradient():
    x = onp.array([1000.0, 1.0])
    value, g = value_and_grad(lambda x: np.sum(np.log(1.0 + np.exp(x))))(x)
    assert value == onp.inf
    expected = onp.exp(x) / (1.0 + onp.exp(x))  # inf / inf at 1000: NaN, as the chain rule gives
    onp.testing.assert_allclose(g, expected, rtol=1e-15)  # NaN where expected is NaN


def test_finite_loss_keeps_the_where_gradient():
    x = onp.array([-1.0, 0.0, 4.0])
    g = grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(x)
    onp.testing.assert_array_equal(g, onp.where(x > 0, 0.5 / onp.sqrt(onp.where(x > 0, x, 1.0)), 0.0))
    # and a NaN value whose NaN does not come from a masked product keeps the rules' gradient (as JAX's)
    value, g = value_and_grad(lambda x: np.log(x))(-2.0)
    assert onp.isnan(value) and g == -0.5


def test_nan_loss_gradients_match_autograd():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    cases = [
        (lambda m: lambda x: m.sum(m.exp(x) / m.sum(m.exp(x)) * m.array([0.0, 1.0])), [1000.0, 1.0]),
        (lambda m: lambda x: m.sum(m.sqrt(x) * 0.0 + x), [-1.0, 1.0]),
        (lambda m: lambda x: m.sum(x * m.log(x)), [0.0, 1.0]),
        (lambda m: lambda x: m.sum(m.log(1.0 + m.exp(x))), [1000.0, 1.0]),
    ]
    for make, x in cases:
        ours = grad(make(np))(onp.array(x))
        theirs = autograd.grad(make(anp))(onp.array(x))
        onp.testing.assert_array_equal(ours, theirs)

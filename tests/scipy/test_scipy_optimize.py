"""tapegrad.scipy.optimize against SciPy given hand-written derivatives: same solutions, same evaluation counts."""

import warnings

import numpy as onp
import pytest
import scipy.optimize as so
from scipy.sparse.linalg import LinearOperator

import tapegrad.numpy as np
import tapegrad.scipy.optimize as to
from tapegrad import TraceLeakError

SCIPY_METHODS = {m.lower() for m in getattr(so._minimize, "MINIMIZE_METHODS", [])}

# method: (derivatives SciPy is given by hand, options, solution tolerance)
# "hess": the dense Hessian (the method needs it); "hessp": Hessian-vector products.
# The gradients agree with rosen_der to the last bit or two; CG's path from X0 is so sensitive
# to that rounding that its evaluation counts differ, so only its solution is compared.
UNSTABLE_COUNTS = {"cg"}
METHODS = {
    "nelder-mead": ((), {"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-12}, 1e-6),
    "powell": ((), None, 1e-6),
    "cg": (("jac",), None, 1e-4),
    "bfgs": (("jac",), None, 1e-6),
    "newton-cg": (("jac", "hessp"), None, 1e-6),
    "l-bfgs-b": (("jac",), None, 1e-5),
    "tnc": (("jac",), None, 1e-4),
    "cobyla": ((), {"maxiter": 20000, "rhoend": 1e-8}, 1e-5),
    "cobyqa": ((), None, 1e-5),
    "slsqp": (("jac",), None, 1e-5),
    "trust-constr": (("jac", "hessp"), None, 1e-6),
    "dogleg": (("jac", "hess"), None, 1e-6),
    "trust-ncg": (("jac", "hessp"), None, 1e-6),
    "trust-exact": (("jac", "hess"), None, 1e-6),
    "trust-krylov": (("jac", "hessp"), None, 1e-6),
}
HAND = {"jac": so.rosen_der, "hess": so.rosen_hess, "hessp": so.rosen_hess_prod}
X0 = onp.array([1.2, 1.1, 1.0, 1.05, 1.1])  # the Hessian is positive definite here (dogleg needs it)
COUNTS = ("nfev", "njev", "nhev", "nit")


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def method_param(names):
    return [pytest.param(m, marks=pytest.mark.skipif(m not in SCIPY_METHODS, reason=f"SciPy lacks {m}"))
            for m in names]


def quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SciPy's notes on unused options
        warnings.simplefilter("ignore", so.OptimizeWarning)
        return call(*args, **kwargs)


def assert_same_run(got, ref, tol, counts=COUNTS):
    assert got.success == ref.success
    onp.testing.assert_allclose(got.x, ref.x, atol=tol, rtol=0)
    assert abs(float(got.fun) - float(ref.fun)) <= max(tol, 1e-12)
    for key in counts:
        assert got.get(key) == ref.get(key), key


# ----- every method on the Rosenbrock function ------------------------------------------------------


@pytest.mark.parametrize("method", method_param(METHODS))
def test_rosenbrock_matches_scipy_with_hand_written_derivatives(method):
    uses, options, tol = METHODS[method]
    ref = quiet(so.minimize, so.rosen, X0, method=method, options=options, **{k: HAND[k] for k in uses})
    got = quiet(to.minimize, rosen, X0, method=method, options=options)
    assert ref.success
    assert_same_run(got, ref, tol, counts=() if method in UNSTABLE_COUNTS else COUNTS)
    onp.testing.assert_allclose(got.x, onp.ones(5), atol=5e-2)


@pytest.mark.parametrize("method", method_param(METHODS))
def test_each_method_gets_only_the_derivatives_it_uses(method, monkeypatch):
    counts = {"hessian": 0, "hessian_vector_product": 0}
    for name in counts:
        real = getattr(to, name)

        def counted(*a, _real=real, _name=name, **k):
            counts[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(to, name, counted)
    calls = []

    def f(x):
        calls.append(1)
        return rosen(x)

    hand = {"hess": 0, "hessp": 0}

    def counting(name):
        def call(*a):
            hand[name] += 1
            return HAND[name](*a)
        return call

    uses, options, _ = METHODS[method]
    res = quiet(to.minimize, f, X0, method=method, options=options)
    quiet(so.minimize, so.rosen, X0, method=method, options=options,
          **{k: (counting(k) if k in hand else HAND[k]) for k in uses})
    # a dense Hessian only where the method needs one; as many products as with hand-written ones
    assert counts["hessian"] == hand["hess"] and (counts["hessian"] > 0) == ("hess" in uses)
    assert counts["hessian_vector_product"] == hand["hessp"] and (hand["hessp"] > 0) == ("hessp" in uses)
    if uses == ("jac",) or not uses:
        assert len(calls) == res.nfev  # value and gradient from the same pass: no extra calls


def test_hessp_methods_never_form_a_dense_hessian_on_a_large_problem(monkeypatch):
    monkeypatch.setattr(to, "hessian", lambda *a, **k: pytest.fail("a dense Hessian was built"))
    x0 = onp.full(200, 1.1)
    for method in ["newton-cg", "trust-ncg", "trust-krylov", "trust-constr"]:
        res = quiet(to.minimize, rosen, x0, method=method)
        ref = quiet(so.minimize, so.rosen, x0, method=method, jac=so.rosen_der, hessp=so.rosen_hess_prod)
        assert_same_run(res, ref, 1e-5)


def test_args_are_passed_and_method_chosen_as_scipy_chooses():
    def f(x, a, b):
        return np.sum((x - a) ** 2) * b

    got = to.minimize(f, onp.zeros(3), args=(onp.array([1.0, 2.0, 3.0]), 2.0))
    ref = so.minimize(lambda x, a, b: onp.sum((x - a) ** 2) * b, onp.zeros(3), args=(onp.array([1.0, 2.0, 3.0]), 2.0),
                      jac=lambda x, a, b: 2 * b * (x - a))
    assert_same_run(got, ref, 1e-8)
    assert "BFGS" in str(type(got.hess_inv)) or got.hess_inv.shape == (3, 3)
    bounded = to.minimize(f, onp.zeros(3), args=(onp.array([1.0, 2.0, 3.0]), 2.0), bounds=[(0, 1.5)] * 3)
    onp.testing.assert_allclose(bounded.x, [1.0, 1.5, 1.5], atol=1e-6)
    assert "L-BFGS-B" in bounded.message.upper() or bounded.success  # L-BFGS-B, as SciPy picks


def test_derivatives_given_by_hand_are_used_as_given():
    calls = []

    def jac(x):
        calls.append(1)
        return so.rosen_der(x)

    got = to.minimize(rosen, X0, method="BFGS", jac=jac)
    ref = so.minimize(so.rosen, X0, method="BFGS", jac=so.rosen_der)
    assert_same_run(got, ref, 1e-8)
    assert len(calls) == got.njev
    # jac=False: SciPy's finite differences, as with no jac in SciPy
    fd = quiet(to.minimize, rosen, X0, method="BFGS", jac=False)
    ref = quiet(so.minimize, so.rosen, X0, method="BFGS")
    assert_same_run(fd, ref, 1e-8)
    # a hand-written hessp with the automatic gradient
    got = to.minimize(rosen, X0, method="trust-ncg", hessp=so.rosen_hess_prod)
    ref = so.minimize(so.rosen, X0, method="trust-ncg", jac=so.rosen_der, hessp=so.rosen_hess_prod)
    assert_same_run(got, ref, 1e-8)


def test_a_custom_method_receives_the_derivatives():
    seen = {}

    def newton(fun, x0, args=(), jac=None, hess=None, hessp=None, callback=None, **options):
        x = onp.asarray(x0, dtype=float)
        seen["jac"], seen["hess"], seen["hessp"] = jac, hess, hessp
        for _ in range(20):
            x = x - onp.linalg.solve(hess(x), jac(x))
        return so.OptimizeResult(x=x, fun=fun(x), success=True)

    res = to.minimize(lambda x: np.sum(np.exp(x) - 2.0 * x), onp.zeros(3), method=newton)
    onp.testing.assert_allclose(res.x, onp.log(2.0) * onp.ones(3))
    assert callable(seen["hessp"])
    onp.testing.assert_allclose(seen["hessp"](onp.zeros(3), onp.ones(3)), onp.ones(3))


def test_a_function_that_loses_the_derivative_raises():
    with pytest.raises(TraceLeakError):
        to.minimize(so.rosen, X0, method="BFGS")  # SciPy's rosen converts x with numpy.asarray
    with pytest.raises(TypeError, match="complex"):
        to.minimize(lambda p: np.sum(np.abs(p["z"]) ** 2), {"z": onp.array([1.0 + 1.0j])})


# ----- a constrained problem ------------------------------------------------------------------------


def rosen2(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen2_der(x):
    return onp.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def rosen2_hess(x):
    return onp.array([[2 - 400 * x[1] + 1200 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]])


def disc(x):  # inside the unit disc: disc(x) >= 0
    return 1.0 - x[0] ** 2 - x[1] ** 2


def disc_jac(x):
    return onp.array([-2 * x[0], -2 * x[1]])


def two(x):  # x0^2 + x1^2 <= 1 and -0.5 <= x0 - x1 <= 0.5
    return np.array([x[0] ** 2 + x[1] ** 2, x[0] - x[1]])


def two_jac(x):
    return onp.array([[2 * x[0], 2 * x[1]], [1.0, -1.0]])


def two_hess(x, v):
    return 2.0 * v[0] * onp.eye(2)


CONSTRAINED = ["slsqp", "trust-constr", "cobyla", "cobyqa"]
X2 = onp.array([0.1, 0.1])


def hand_objective(method):
    kw = {"jac": rosen2_der} if method in ("slsqp", "trust-constr") else {}
    if method == "trust-constr":
        kw["hess"] = rosen2_hess
    return kw


@pytest.mark.parametrize("method", method_param(CONSTRAINED))
def test_dict_constraint_gets_its_jacobian(method):
    derivative = method in ("slsqp", "trust-constr")
    hand = {"type": "ineq", "fun": disc, **({"jac": disc_jac} if derivative else {})}
    if method == "trust-constr":  # which gets the constraint's Hessian too (SciPy would use BFGS for a dict)
        hand = so.NonlinearConstraint(disc, 0.0, onp.inf, jac=disc_jac, hess=lambda x, v: -2.0 * v[0] * onp.eye(2))
    ref = quiet(so.minimize, rosen2, X2, method=method, constraints=hand, **hand_objective(method))
    got = quiet(to.minimize, rosen2, X2, method=method, constraints=[{"type": "ineq", "fun": disc}])
    assert ref.success
    assert_same_run(got, ref, 1e-7, counts=("nfev", "njev", "nit"))
    onp.testing.assert_allclose(got.x, [0.7864, 0.6177], atol=2e-3)


@pytest.mark.parametrize("method", method_param(CONSTRAINED))
def test_nonlinear_constraint_gets_its_jacobian_and_hessian(method):
    hess = two_hess if method == "trust-constr" else None
    hand = so.NonlinearConstraint(lambda x: onp.array([x[0] ** 2 + x[1] ** 2, x[0] - x[1]]), [-onp.inf, -0.5],
                                  [1.0, 0.5], jac=two_jac, hess=hess)
    bounds = [(0, 0.8), (None, None)]
    ref = quiet(so.minimize, rosen2, X2, method=method, constraints=hand, bounds=bounds, **hand_objective(method))
    got = quiet(to.minimize, rosen2, X2, method=method, bounds=bounds,
                constraints=so.NonlinearConstraint(two, [-onp.inf, -0.5], [1.0, 0.5]))
    assert ref.success
    assert_same_run(got, ref, 1e-7, counts=("nfev", "njev", "nit"))


def test_trust_constr_constraint_hessian_is_products_not_a_matrix(monkeypatch):
    monkeypatch.setattr(to, "hessian", lambda *a, **k: pytest.fail("a dense Hessian was built"))
    seen = []
    real = to._VectorFunction.hessian_operator

    def spy(self, v, w):
        op = real(self, v, w)
        seen.append(type(op))
        return op

    monkeypatch.setattr(to._VectorFunction, "hessian_operator", spy)
    res = quiet(to.minimize, rosen2, X2, method="trust-constr",
                constraints=so.NonlinearConstraint(two, [-onp.inf, -0.5], [1.0, 0.5]))
    assert res.success and seen
    assert all(issubclass(t, LinearOperator) for t in seen)


def test_linear_constraints_and_bounds_pass_through():
    lin = so.LinearConstraint([[1.0, 1.0]], -onp.inf, 1.0)
    ref = quiet(so.minimize, rosen2, X2, method="trust-constr", jac=rosen2_der, hess=rosen2_hess,
                constraints=[lin], bounds=so.Bounds([0.0, 0.0], [1.0, 1.0]))
    got = quiet(to.minimize, rosen2, X2, method="trust-constr", constraints=[lin],
                bounds=so.Bounds([0.0, 0.0], [1.0, 1.0]))
    assert_same_run(got, ref, 1e-7, counts=("nfev", "njev", "nit"))


# ----- parameters in containers ---------------------------------------------------------------------


def structured_rosen(p):
    x = np.concatenate([np.reshape(p["a"], (-1,)), np.reshape(p["b"][0], (-1,)), np.reshape(p["b"][1], (-1,))])
    return rosen(x)


def structured_start():
    # flat order: a (2x1), b[0] (scalar), b[1] (2,)  ->  the vector X0
    return {"b": (X0[2], X0[3:]), "a": X0[:2].reshape(2, 1)}


@pytest.mark.parametrize("method", method_param(["bfgs", "l-bfgs-b", "newton-cg", "trust-exact", "trust-constr",
                                                 "nelder-mead"]))
def test_dict_x0_matches_the_flat_problem(method):
    uses, options, tol = METHODS[method]
    p0 = structured_start()
    ref = quiet(so.minimize, so.rosen, X0, method=method, options=options, **{k: HAND[k] for k in uses})
    got = quiet(to.minimize, structured_rosen, p0, method=method, options=options)
    assert type(got.x) is dict and type(got.x["b"]) is tuple
    assert got.x["a"].shape == (2, 1) and got.x["b"][0].shape == () and got.x["b"][1].shape == (2,)
    flat = onp.concatenate([got.x["a"].ravel(), [got.x["b"][0]], got.x["b"][1]])
    onp.testing.assert_allclose(flat, ref.x, atol=tol)
    for key in COUNTS:
        assert got.get(key) == ref.get(key), key
    if "jac" in uses and method != "trust-constr":
        assert type(got.jac) is dict and got.jac["a"].shape == (2, 1)
        onp.testing.assert_allclose(got.jac["a"].ravel(), ref.jac[:2], atol=1e-8)
    assert p0["a"].ravel().tolist() == X0[:2].tolist()  # the start value is not modified


@pytest.mark.parametrize("new_style", [False, True])
@pytest.mark.parametrize("method", method_param(["bfgs", "trust-constr", "slsqp", "tnc", "cobyla", "cobyqa"]))
def test_callbacks_receive_the_structured_x(method, new_style):
    if new_style and method not in {m.lower() for m in getattr(so._minimize, "MINIMIZE_METHODS_NEW_CB", [])}:
        pytest.skip(f"SciPy's {method} has no intermediate_result callbacks")
    seen = []
    if new_style:
        def callback(intermediate_result):
            seen.append(intermediate_result.x)
    elif method == "trust-constr":
        def callback(x, state):
            seen.append(x)
    else:
        def callback(x):
            seen.append(x)

    res = quiet(to.minimize, structured_rosen, structured_start(), method=method, callback=callback,
                options={"maxiter": 20})
    assert seen, "the callback was not called"
    for x in seen:
        assert type(x) is dict and set(x) == {"a", "b"} and x["a"].shape == (2, 1)
    assert type(res.x) is dict


def test_callback_can_stop_the_run():
    def callback(intermediate_result):
        raise StopIteration

    res = to.minimize(structured_rosen, structured_start(), method="BFGS", callback=callback)
    assert res.nit == 1 and type(res.x) is dict


def test_nested_lists_tuples_and_arrays_of_any_shape():
    target = onp.arange(6.0).reshape(2, 3)

    def f(x):
        return np.sum((x - target) ** 2)

    res = to.minimize(f, onp.zeros((2, 3)), method="L-BFGS-B", bounds=(None, 3.5))
    assert res.x.shape == (2, 3) and res.jac.shape == (2, 3)
    onp.testing.assert_allclose(res.x, onp.minimum(target, 3.5), atol=1e-6)

    def g(p):
        (u, [v]), w = p
        return np.sum((u - 1.0) ** 2) + (v + 2.0) ** 2 + np.sum((w - 0.5) ** 2)

    res = to.minimize(g, [(onp.zeros(2), [0.0]), onp.ones((1, 2))], method="Newton-CG")
    (u, [v]), w = res.x
    onp.testing.assert_allclose(u, [1.0, 1.0], atol=1e-6)
    onp.testing.assert_allclose(v, -2.0, atol=1e-6)
    assert w.shape == (1, 2)
    onp.testing.assert_allclose(w, [[0.5, 0.5]], atol=1e-6)


def test_plain_sequences_of_numbers_are_vectors_as_in_scipy():
    seen = []

    def f(x):
        seen.append(onp.shape(x))
        return np.sum((x - 2.0) ** 2)

    res = to.minimize(f, [0.0, 0.0, 0.0])
    assert seen[0] == (3,) and res.x.shape == (3,)
    res = to.minimize(lambda x: (x[0] - 2.0) ** 2, 0.0)  # a number: x has shape (1,), as in SciPy
    assert res.x.shape == (1,)


def test_bounds_in_the_structure_of_x0():
    target = {"w": onp.array([3.0, -3.0, 0.5]), "c": -2.0}

    def f(p):
        return np.sum((p["w"] - target["w"]) ** 2) + (p["c"] - target["c"]) ** 2

    p0 = {"w": onp.zeros(3), "c": 0.0}
    expected_w, expected_c = [1.0, -1.0, 0.5], -1.0
    forms = [
        {"w": (-1.0, 1.0), "c": (-1.0, None)},                                  # per entry, broadcast
        {"w": ([-1.0, -1.0, None], [1.0, 1.0, None]), "c": so.Bounds(-1.0, 1.0)},  # arrays with None; Bounds
        [(-1.0, None)] + [(-1.0, 1.0)] * 2 + [(None, None)],                    # SciPy's flat form (c, w0, w1, w2)
        so.Bounds([-1.0, -1.0, -1.0, -onp.inf], [onp.inf, 1.0, 1.0, onp.inf]),
    ]
    for bounds in forms:
        for method in ["L-BFGS-B", "trust-constr", "SLSQP"]:
            res = quiet(to.minimize, f, p0, method=method, bounds=bounds, tol=1e-12)
            onp.testing.assert_allclose(res.x["w"], expected_w, atol=1e-5, err_msg=f"{method} {bounds}")
            onp.testing.assert_allclose(res.x["c"], expected_c, atol=1e-5)
    res = to.minimize(f, p0, method="L-BFGS-B", bounds={"w": (-1.0, 1.0)})  # entries left out: unbounded
    onp.testing.assert_allclose(res.x["c"], -2.0, atol=1e-5)


def test_wrong_structures_are_refused_not_misread():
    p0 = {"w": onp.zeros(3), "c": 0.0}

    def f(p):
        return np.sum(p["w"] ** 2) + p["c"] ** 2

    with pytest.raises(ValueError, match="keys that x0 lacks"):
        to.minimize(f, p0, method="L-BFGS-B", bounds={"v": (0, 1)})
    with pytest.raises(ValueError, match="broadcast"):
        to.minimize(f, p0, method="L-BFGS-B", bounds={"w": ([0, 0], [1, 1])})
    with pytest.raises(ValueError, match="structure"):
        to.minimize(f, p0, method="BFGS", jac=lambda p: {"w": 2 * p["w"]})


def test_structured_constraints():
    def f(p):
        return (p["a"] - 1.0) ** 2 + (p["b"] - 1.0) ** 2

    for cons in [{"type": "ineq", "fun": lambda p: 1.0 - p["a"] - p["b"]},
                 so.NonlinearConstraint(lambda p: p["a"] + p["b"], -onp.inf, 1.0),
                 so.NonlinearConstraint(lambda p: {"s": p["a"] + p["b"], "d": p["a"] - p["b"]},
                                        [-0.1, -onp.inf], [0.1, 1.0])]:  # a dict output: flattened, sorted keys
        for method in ["SLSQP", "trust-constr"]:
            res = quiet(to.minimize, f, {"a": 0.0, "b": 0.0}, method=method, constraints=cons, tol=1e-12)
            tol = 1e-4 if method == "trust-constr" else 1e-6  # its barrier stops 2e-5 short, as in SciPy alone
            onp.testing.assert_allclose(float(res.x["a"]), 0.5, atol=tol)
            onp.testing.assert_allclose(float(res.x["b"]), 0.5, atol=tol)


# ----- least squares: a curve fit --------------------------------------------------------------------


T = onp.linspace(0.0, 4.0, 40)
Y = 2.5 * onp.exp(-1.3 * T) + 0.5 + 0.01 * onp.sin(7 * T)


def decay(p):
    return p[0] * np.exp(-p[1] * T) + p[2] - Y


def decay_jac(p):
    e = onp.exp(-p[1] * T)
    return onp.stack([e, -p[0] * T * e, onp.ones_like(T)], axis=1)


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
@pytest.mark.parametrize("loss", ["linear", "soft_l1"])
def test_least_squares_matches_scipy(method, loss):
    if method == "lm" and loss != "linear":
        pytest.skip("lm takes only the linear loss")
    p0 = onp.array([1.0, 1.0, 0.0])
    ref = so.least_squares(lambda p: onp.asarray(decay(p)), p0, jac=decay_jac, method=method, loss=loss)
    got = to.least_squares(decay, p0, method=method, loss=loss)
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-9)
    onp.testing.assert_allclose(got.jac, ref.jac, rtol=1e-9, atol=1e-12)
    assert got.nfev == ref.nfev and got.njev == ref.njev
    onp.testing.assert_allclose(got.cost, ref.cost, rtol=1e-9)


def test_least_squares_uses_forward_mode_for_tall_jacobians_and_reverse_for_wide():
    fun = to._VectorFunction(decay, (), to._Layout(onp.zeros(3), "test"))
    p = onp.array([1.0, 0.5, 0.2])
    onp.testing.assert_allclose(fun.jacobian(p), decay_jac(p), rtol=1e-12)  # first call: reverse
    fun(p)
    onp.testing.assert_allclose(fun._forward(p, 3), decay_jac(p), rtol=1e-12)
    onp.testing.assert_allclose(fun.jacobian(p), decay_jac(p), rtol=1e-12)


def test_least_squares_structured_parameters_bounds_and_residuals():
    def residuals(p, t, y, scale=1.0):
        return {"fit": scale * (p["amp"] * np.exp(-p["rate"] * t) + p["base"] - y), "prior": 0.01 * p["rate"]}

    p0 = {"amp": 1.0, "rate": 1.0, "base": 1.0}
    res = to.least_squares(residuals, p0, args=(T, Y), kwargs={"scale": 2.0},
                           bounds=({"base": 0.6}, {"rate": 1.2}), x_scale={"amp": 2.0})
    assert set(res.x) == {"amp", "rate", "base"} and set(res.grad) == set(res.x)
    assert res.fun["fit"].shape == T.shape and res.fun["prior"].shape == ()
    assert float(res.x["base"]) >= 0.6 - 1e-12 and float(res.x["rate"]) <= 1.2 + 1e-12
    flat = to.least_squares(lambda v: onp.concatenate([2.0 * (v[0] * onp.exp(-v[2] * T) + v[1] - Y),
                                                       [0.01 * v[2]]]),
                            onp.array([1.0, 1.0, 1.0]),
                            jac="3-point", bounds=([-onp.inf, 0.6, -onp.inf], [onp.inf, onp.inf, 1.2]),
                            x_scale=onp.array([2.0, 1.0, 1.0]))
    onp.testing.assert_allclose([res.x["amp"], res.x["base"], res.x["rate"]], flat.x, rtol=1e-6)


# ----- root ------------------------------------------------------------------------------------------


def equations(x):
    return np.array([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]])


def equations_jac(x):
    d = 1.5 * (x[0] - x[1]) ** 2
    return onp.array([[1 + d, -d], [-d, 1 + d]])


ROOT_METHODS = ["hybr", "lm", "broyden1", "broyden2", "anderson", "df-sane"]


@pytest.mark.parametrize("method", ROOT_METHODS)
def test_root_matches_scipy(method):
    x0 = onp.array([0.0, 0.0])
    hand = {"jac": equations_jac} if method in ("hybr", "lm") else {}
    ref = so.root(lambda x: onp.asarray(equations(x)), x0, method=method, **hand)
    got = to.root(equations, x0, method=method)
    assert ref.success and got.success
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-9, atol=1e-12)
    assert got.nfev == ref.nfev
    onp.testing.assert_allclose(got.x, [0.8411639, 0.1588361], atol=1e-5)


def test_root_structured_with_callback():
    def eqs(p):
        x = np.stack([p["u"], p["v"]])
        r = equations(x)
        return {"first": r[0], "second": r[1]}

    seen = []
    sol = to.root(eqs, {"u": 0.0, "v": 0.0}, method="broyden1", callback=lambda x, f: seen.append(x))
    assert seen and all(set(x) == {"u", "v"} for x in seen)
    onp.testing.assert_allclose([sol.x["u"], sol.x["v"]], [0.8411639, 0.1588361], atol=1e-5)
    sol = to.root(eqs, {"u": 0.0, "v": 0.0})
    assert set(sol.fun) == {"first", "second"}
    onp.testing.assert_allclose([sol.x["u"], sol.x["v"]], [0.8411639, 0.1588361], atol=1e-8)


def test_a_solution_depending_on_a_differentiated_value_is_refused_not_zero():
    from tapegrad import grad

    def solution(a):
        return to.minimize(lambda x: np.sum((x - a) ** 2), onp.zeros(2), method="BFGS").fun

    with pytest.raises(TraceLeakError, match="implicit function theorem"):
        grad(solution)(1.0)

    def independent(a):  # solvers inside a derivative, on plain values (np.array makes constants there): fine
        fit = to.least_squares(lambda x: np.array([x[0] - 1.0, 2.0 * x[1]]), onp.zeros(2))
        res = to.minimize(lambda x: np.sum((x - np.array([1.0, 2.0])) ** 2) + 1.0, onp.zeros(2), method="trust-ncg")
        return a * np.sum(fit.x) + a * res.fun

    assert float(grad(independent)(3.0)) == pytest.approx(2.0)


def test_hessp_given_for_a_method_that_needs_the_hessian_gets_the_hessian():
    res = quiet(to.minimize, rosen, X0, method="trust-exact", hessp=so.rosen_hess_prod)  # SciPy notes hessp unused
    ref = so.minimize(so.rosen, X0, method="trust-exact", jac=so.rosen_der, hess=so.rosen_hess)
    assert_same_run(res, ref, 1e-8)


def test_the_module_is_reached_from_tapegrad_scipy():
    import tapegrad.scipy

    assert tapegrad.scipy.optimize.minimize is to.minimize


def test_root_and_least_squares_take_hand_written_jacobians():
    x0 = onp.array([0.0, 0.0])
    ref = so.root(lambda x: onp.asarray(equations(x)), x0, jac=equations_jac)
    got = to.root(lambda x: (equations(x), equations_jac(x)), x0, jac=True)
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-12)
    assert got.nfev == ref.nfev
    got = to.root(equations, x0, jac=equations_jac)
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-12)
    p0 = onp.array([1.0, 1.0, 0.0])
    ref = so.least_squares(lambda p: onp.asarray(decay(p)), p0, jac=decay_jac)
    got = to.least_squares(decay, p0, jac=decay_jac)
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-12)
    assert got.nfev == ref.nfev and got.njev == ref.njev

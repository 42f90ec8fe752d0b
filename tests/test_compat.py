"""autograd's public module paths exist under tapegrad, so imports change by name only."""

import importlib

import pytest

MODULES = {
    "tapegrad": ["grad", "elementwise_grad", "value_and_grad", "grad_and_aux", "deriv", "jacobian",
                 "hessian", "holomorphic_grad", "grad_named", "make_vjp", "make_jvp", "make_hvp",
                 "make_ggnvp", "hessian_tensor_product", "hessian_vector_product",
                 "tensor_jacobian_product", "vector_jacobian_product", "multigrad_dict", "checkpoint"],
    "tapegrad.numpy": ["sin", "dot", "linalg", "fft", "random", "float64", "pi", "newaxis"],
    "tapegrad.numpy.linalg": ["inv", "solve", "det", "slogdet", "cholesky", "eigh", "svd", "norm"],
    "tapegrad.numpy.fft": ["fft", "ifft", "rfft", "irfft"],
    "tapegrad.numpy.random": ["randn", "seed", "normal"],
    "tapegrad.numpy.numpy_boxes": ["ArrayBox"],
    "tapegrad.numpy.numpy_vspaces": ["ArrayVSpace"],
    "tapegrad.extend": ["primitive", "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp",
                        "defjvp_argnum", "defjvp_argnums", "def_linear", "vspace", "VSpace", "Box",
                        "notrace_primitive"],
    "tapegrad.test_util": ["check_grads", "check_vjp", "check_jvp", "combo_check", "scalar_close"],
    "tapegrad.builtins": ["list", "tuple", "dict", "isinstance", "type"],
    "tapegrad.misc": ["flatten"],
    "tapegrad.misc.flatten": ["flatten", "flatten_func"],
    "tapegrad.misc.optimizers": ["sgd", "rmsprop", "adam"],
    "tapegrad.misc.fixed_points": ["fixed_point"],
    "tapegrad.tracer": ["getval", "isbox", "Box", "primitive", "notrace_primitive"],
    "tapegrad.core": ["make_vjp", "make_jvp", "vspace", "VSpace", "primitive"],
    "tapegrad.differential_operators": ["grad", "jacobian"],
    "tapegrad.scipy.special": ["gammaln", "logsumexp", "expit"],
    "tapegrad.scipy.stats": ["norm", "t", "multivariate_normal"],
    "tapegrad.scipy.stats.norm": ["logpdf", "cdf"],
    "tapegrad.scipy.linalg": ["solve_triangular", "cholesky", "expm"],
    "tapegrad.scipy.signal": ["convolve"],
    "tapegrad.scipy.integrate": ["odeint"],
}


@pytest.mark.parametrize("module", list(MODULES))
def test_module_and_names_exist(module):
    mod = importlib.import_module(module)
    missing = [name for name in MODULES[module] if not hasattr(mod, name)]
    assert not missing, f"{module} lacks {missing}"

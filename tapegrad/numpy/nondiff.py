"""Functions whose result carries no derivative: integer, boolean or shape results.

They run on the plain values under any boxes and return plain values. This is
the explicit non-differentiable list that the coverage test consults.
"""

from __future__ import annotations

import numpy as _np

from ._wrap import wrap_nondiff

# ----- comparisons and logic (ufuncs) ------------------------------------------
equal = wrap_nondiff(_np.equal)
not_equal = wrap_nondiff(_np.not_equal)
less = wrap_nondiff(_np.less)
less_equal = wrap_nondiff(_np.less_equal)
greater = wrap_nondiff(_np.greater)
greater_equal = wrap_nondiff(_np.greater_equal)
logical_and = wrap_nondiff(_np.logical_and)
logical_or = wrap_nondiff(_np.logical_or)
logical_not = wrap_nondiff(_np.logical_not)
logical_xor = wrap_nondiff(_np.logical_xor)
isfinite = wrap_nondiff(_np.isfinite)
isinf = wrap_nondiff(_np.isinf)
isnan = wrap_nondiff(_np.isnan)
signbit = wrap_nondiff(_np.signbit)
isposinf = wrap_nondiff(_np.isposinf)
isneginf = wrap_nondiff(_np.isneginf)
isnat = wrap_nondiff(_np.isnat)

# ----- integer arithmetic and bits (ufuncs) ----------------------------------------
bitwise_and = wrap_nondiff(_np.bitwise_and)
bitwise_or = wrap_nondiff(_np.bitwise_or)
bitwise_xor = wrap_nondiff(_np.bitwise_xor)
invert = wrap_nondiff(_np.invert)
bitwise_not = invert
bitwise_invert = invert
left_shift = wrap_nondiff(_np.left_shift)
bitwise_left_shift = left_shift
right_shift = wrap_nondiff(_np.right_shift)
bitwise_right_shift = right_shift
if hasattr(_np, "bitwise_count"):  # NumPy 2
    bitwise_count = wrap_nondiff(_np.bitwise_count)
    _NUMPY2 = ["bitwise_count"]
else:
    _NUMPY2 = []
gcd = wrap_nondiff(_np.gcd)
lcm = wrap_nondiff(_np.lcm)

# ----- piecewise-constant elementwise functions (derivative 0 almost everywhere) -
sign = wrap_nondiff(_np.sign)
floor = wrap_nondiff(_np.floor)
ceil = wrap_nondiff(_np.ceil)
trunc = wrap_nondiff(_np.trunc)
rint = wrap_nondiff(_np.rint)
floor_divide = wrap_nondiff(_np.floor_divide)
fix = wrap_nondiff(_np.fix)
round = wrap_nondiff(_np.round)  # noqa: A001 - NumPy's own name
around = wrap_nondiff(_np.around)
spacing = wrap_nondiff(_np.spacing)  # the ulp of x: piecewise constant

# ----- index-valued and shape queries ----------------------------------------------
argmax = wrap_nondiff(_np.argmax)
argmin = wrap_nondiff(_np.argmin)
argsort = wrap_nondiff(_np.argsort)
nonzero = wrap_nondiff(_np.nonzero)
flatnonzero = wrap_nondiff(_np.flatnonzero)
argwhere = wrap_nondiff(_np.argwhere)
shape = wrap_nondiff(_np.shape)
ndim = wrap_nondiff(_np.ndim)
size = wrap_nondiff(_np.size)
iscomplexobj = wrap_nondiff(_np.iscomplexobj)
isrealobj = wrap_nondiff(_np.isrealobj)
iscomplex = wrap_nondiff(_np.iscomplex)
isreal = wrap_nondiff(_np.isreal)
isscalar = wrap_nondiff(_np.isscalar)
result_type = wrap_nondiff(_np.result_type)
allclose = wrap_nondiff(_np.allclose)
isclose = wrap_nondiff(_np.isclose)
array_equal = wrap_nondiff(_np.array_equal)
all = wrap_nondiff(_np.all)  # noqa: A001 - NumPy's own name
any = wrap_nondiff(_np.any)  # noqa: A001 - NumPy's own name
count_nonzero = wrap_nondiff(_np.count_nonzero)
searchsorted = wrap_nondiff(_np.searchsorted)

__all__ = [
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "isfinite",
    "isinf",
    "isnan",
    "signbit",
    "isposinf",
    "isneginf",
    "isnat",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "invert",
    "bitwise_not",
    "bitwise_invert",
    "left_shift",
    "bitwise_left_shift",
    "right_shift",
    "bitwise_right_shift",
    "gcd",
    "lcm",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "floor_divide",
    "fix",
    "round",
    "around",
    "spacing",
    "argmax",
    "argmin",
    "argsort",
    "nonzero",
    "flatnonzero",
    "argwhere",
    "shape",
    "ndim",
    "size",
    "iscomplexobj",
    "isrealobj",
    "iscomplex",
    "isreal",
    "isscalar",
    "result_type",
    "allclose",
    "isclose",
    "array_equal",
    "all",
    "any",
    "count_nonzero",
    "searchsorted",
] + _NUMPY2

# ----- utilities: printing, I/O, dtype and memory queries, error state ------------------
# They inspect or store values but compute nothing to differentiate; traced
# arguments are seen through (saving or printing a traced array saves its value).
_UTILITY_NAMES = (
    "array2string", "array_repr", "array_str", "array_equiv", "base_repr", "binary_repr",
    "broadcast_shapes", "busday_count", "busday_offset", "can_cast", "common_type",
    "datetime_as_string", "datetime_data", "format_float_positional", "format_float_scientific",
    "from_dlpack", "frombuffer", "fromfile", "fromiter", "frompyfunc", "fromregex", "fromstring",
    "genfromtxt", "get_include", "get_printoptions", "getbufsize", "geterr", "geterrcall", "info",
    "is_busday", "isdtype", "isfortran", "issubdtype", "iterable", "load", "loadtxt",
    "may_share_memory", "min_scalar_type", "mintypecode", "nested_iters", "packbits",
    "printoptions", "promote_types", "save", "savetxt", "savez", "savez_compressed",
    "set_printoptions", "setbufsize", "seterr", "seterrcall", "shares_memory", "show_config",
    "show_runtime", "typename", "unpackbits", "bartlett", "blackman", "hamming", "hanning", "kaiser",
)
UTILITIES = {name: wrap_nondiff(getattr(_np, name)) for name in _UTILITY_NAMES if hasattr(_np, name)}

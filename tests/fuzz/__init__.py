"""A differential fuzzer for tapegrad's views, aliases and writes (issue 13, "How it is proven").

Random short NumPy programs (``programs.generate(seed)`` gives one as Python source) are run
twice: with ``np`` bound to plain ``numpy`` (the oracle) and to ``tapegrad.numpy`` under
reverse mode, forward mode and (for a subset) second order. ``check.check(source)`` lists the
discrepancies: values, shapes, dtypes, aliasing and exceptions different from NumPy's,
derivatives different from central finite differences of the plain-NumPy program, forward
mode different from reverse mode, and inputs modified by the traced run.
``shrink.shrink(source)`` reduces a failing program to a minimal one with the same failure.

Command line: ``python -m tests.fuzz [--n N] [--seed S] [--shrink]``.
"""

from .check import Discrepancy, check
from .programs import generate
from .shrink import shrink

__all__ = ["Discrepancy", "check", "generate", "shrink"]

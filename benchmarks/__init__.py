"""Side-by-side benchmarks: tapegrad against autograd, plain NumPy, PyTorch and JAX.

``python benchmarks/run.py`` (or ``make bench``) runs the suite; the workloads
live in :mod:`benchmarks.workloads`, one function per library each.
"""

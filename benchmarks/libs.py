"""The libraries under comparison: single-threaded set-up and lazy, optional imports.

:func:`pin_threads` must run before NumPy, PyTorch or JAX is imported: the
BLAS pools read their thread count from the environment when they load. Every
library then runs on one core, so the ratios compare the engines rather than
how well each one parallelises a matrix product on this machine.
"""

from __future__ import annotations

import os
from typing import Any, Optional

# Library keys, in table order. "numpy" is the forward pass alone; "by_hand" is
# the derivative written out in NumPy by hand, the floor for an engine that calls NumPy.
LIBRARIES = ("tapegrad", "autograd", "numpy", "by_hand", "torch", "jax", "jax_jit")
LABELS = {
    "tapegrad": "tapegrad",
    "autograd": "autograd",
    "numpy": "NumPy fwd",
    "by_hand": "NumPy by hand",
    "torch": "torch eager",
    "jax": "JAX eager",
    "jax_jit": "JAX jit",
}

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")
_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

_limiter: Any = None


def pin_threads() -> None:
    """Give every library one core (call before importing them).

    The BLAS pools are asked for one thread. JAX 0.10's CPU runtime ignores
    ``XLA_FLAGS``' thread options (its gradients took twice their wall time in
    CPU time on 2 cores); its maintainers' way to limit it is the process's CPU
    affinity, from which it sizes its thread pool. So the process (and the
    subprocesses it starts) is pinned to one CPU, where Linux allows it.
    """
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " " + _XLA_FLAGS).strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("JAX_ENABLE_X64", "1")


def limit_loaded_pools() -> list:
    """Cap the thread pools already loaded (threadpoolctl) and report them."""
    global _limiter
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return []
    _limiter = threadpool_limits(limits=1)  # kept alive for the whole run
    return [{k: p.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
            for p in threadpool_info()]


_CACHE: dict[str, Any] = {}


def load(key: str) -> Optional[Any]:  # noqa: C901 - one branch per library
    """The module for library ``key`` (set up single-threaded), or None if not importable."""
    if key in _CACHE:
        return _CACHE[key]
    mod: Any = None
    try:
        if key == "tapegrad":
            import tapegrad as mod
        elif key == "autograd":
            import autograd as mod
        elif key in ("numpy", "by_hand"):
            import numpy as mod
        elif key == "torch":
            import torch as mod

            mod.set_num_threads(1)
            try:
                mod.set_num_interop_threads(1)
            except RuntimeError:  # only allowed before the first parallel op
                pass
        elif key in ("jax", "jax_jit"):
            import jax as mod

            mod.config.update("jax_enable_x64", True)
            mod.config.update("jax_platforms", "cpu")
        else:
            raise KeyError(key)
    except Exception as e:  # ImportError, or a broken install: report it, compare the rest
        mod = None
        ERRORS[key] = f"{type(e).__name__}: {e}"
    _CACHE[key] = mod
    return mod


ERRORS: dict[str, str] = {}


def version(key: str) -> Optional[str]:
    """The installed version of library ``key``, or None if it does not import."""
    if load(key) is None:
        return None
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version({"jax_jit": "jax", "by_hand": "numpy"}.get(key, key))
    except PackageNotFoundError:
        return getattr(load(key), "__version__", "?")

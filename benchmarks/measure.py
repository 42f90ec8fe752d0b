"""Timing (warm-up, then repeats until a time budget; the median is reported) and peak memory.

Peak memory is measured in a fresh subprocess per library (see
:func:`measure_in_subprocess`), with the kernel's peak resident set size
(``VmHWM`` in ``/proc/self/status``) reset just before the measured call by
writing ``5`` to ``/proc/self/clear_refs``. The reported figure is the peak
RSS during the call minus the RSS just before it: memory the gradient
computation needed on top of the loaded interpreter and libraries, including
what C libraries (PyTorch's allocator) take, which ``tracemalloc`` would miss.
Where the reset is unavailable, ``ru_maxrss`` is used instead (then the figure
is a lower bound, marked in the JSON).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable


def time_callable(fn: Callable[[], Any], min_repeats: int, max_repeats: int, budget: float) -> dict:
    """Warm up once, then time ``fn`` at least ``min_repeats`` times or until ``budget`` seconds."""
    t0 = time.perf_counter()
    result = fn()  # warm-up: caches, jit compilation, lazy imports
    warm = time.perf_counter() - t0
    times: list[float] = []
    spent = 0.0
    gc.collect()  # once: later collections are part of each library's own cost
    while len(times) < max_repeats and (len(times) < min_repeats or spent < budget):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "repeats": len(times), "warmup": warm, "result": result}


# ----- peak memory ----------------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_once_with_memory(fn: Callable[[], Any]) -> tuple[float, float, str, Any]:
    """One timed call of ``fn``; returns (seconds, peak extra MiB, method, result)."""
    import resource

    gc.collect()
    exact = _reset_peak()
    before = _status_kb("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    peak = _status_kb("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    method = "VmHWM-after-reset minus VmRSS-before" if exact else "ru_maxrss delta (lower bound)"
    return dt, max(0, peak - before) / 1024.0, method, result


def _child(workload: str, lib: str, size: str, repeats: int) -> dict:
    """Run in the subprocess: warm up small, measure memory on the first big call, then time repeats."""
    from .workloads import WORKLOADS, to_numpy

    w = WORKLOADS[workload]
    w.build(lib, w.data("tiny"))()  # imports and first-call caches, outside the measurement
    fn = w.build(lib, w.data(size))
    dt, peak_mib, method, result = measure_once_with_memory(fn)
    times = [dt]
    for _ in range(repeats - 1):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"times": times, "peak_mib": peak_mib, "memory_method": method,
            "result": to_numpy(result).tolist()}


def measure_in_subprocess(workload: str, lib: str, size: str, repeats: int, timeout: float = 900) -> dict:
    """Time and peak memory of ``lib`` on ``workload`` in a fresh interpreter."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "benchmarks.measure", workload, lib, size, str(repeats)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} subprocess failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    times = out["times"]
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "repeats": len(times), "peak_mib": out["peak_mib"], "memory_method": out["memory_method"],
            "result": out["result"]}


if __name__ == "__main__":
    from .libs import limit_loaded_pools, pin_threads

    pin_threads()
    import numpy  # noqa: F401 - loaded before the thread pools are capped

    limit_loaded_pools()
    name, library, size_name, n = sys.argv[1:5]
    print(json.dumps(_child(name, library, size_name, int(n))))

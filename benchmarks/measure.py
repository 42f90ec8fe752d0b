"""Timing (warm-up, then interleaved repeats until a time budget; medians) and peak memory.

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
import random
import statistics
import subprocess
import sys
import time
from typing import Any, Callable


BURST_TIME = 0.005  # seconds of timed calls per turn for fast libraries
MAX_BURST = 10
ORDER_SEED = 5  # the turns' order is shuffled each round, the same way in every run


def time_round_robin(fns: dict[str, Callable[[], Any]], min_repeats: int, max_repeats: int,
                     budget: float, alternate: bool = False) -> dict[str, dict]:
    """Time several libraries' callables on one workload, in paired rounds.

    Each callable is warmed up once (caches, jit compilation), then every
    round gives each library a turn, so a change in the machine's background
    load hits them all alike. The order of the turns is shuffled each round
    (seeded): in a fixed order one library would always follow the same
    other one, and a library that works on its own copy of the data (PyTorch,
    JAX) evicts the shared arrays from the caches for whoever comes next. A
    turn is one untimed call, then timed calls filling about ``BURST_TIME``
    (at least one, at most ``MAX_BURST``). Calls
    are thus timed as they run in a user's loop, right after the same
    gradient, not right after another library has filled the caches with its
    own code and data (which charges a short gradient for the eviction: see
    ``alternate``). Rounds go on until there are at least ``min_repeats`` and
    the slowest library has ``budget`` seconds of timed calls, or
    ``max_repeats`` rounds. The median over all timed calls is reported.

    ``alternate=True`` is the stricter schedule: one timed call per turn and
    no untimed call, every call right after another library's.
    """
    stats: dict[str, dict] = {}
    failed: dict[str, dict] = {}
    for lib, fn in fns.items():
        t0 = time.perf_counter()
        try:
            result = fn()
        except Exception as e:  # one library failing a workload must not stop the others
            failed[lib] = {"skip": f"error: {type(e).__name__}: {e}"[:300]}
            continue
        stats[lib] = {"result": result, "warmup": time.perf_counter() - t0, "times": []}
    bursts = {lib: 1 if alternate else min(MAX_BURST, max(1, int(BURST_TIME / max(s["warmup"], 1e-9))))
              for lib, s in stats.items()}
    gc.collect()  # once: later collections are part of each library's own cost
    rounds, slowest = 0, 0.0
    order, shuffle = list(stats), random.Random(ORDER_SEED).shuffle
    while stats and rounds < max_repeats and (rounds < min_repeats or slowest < budget):
        shuffle(order)
        for lib in order:
            fn, times = fns[lib], stats[lib]["times"]
            if not alternate:
                fn()  # untimed: this library's code and data back in the caches
            for _ in range(bursts[lib]):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        rounds += 1
        slowest = max(sum(s["times"]) for s in stats.values())
    for lib, s in stats.items():
        times = s.pop("times")
        s.update(median=statistics.median(times), min=min(times), max=max(times), repeats=len(times),
                 burst=bursts[lib])
    return {**stats, **failed}


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


def _subprocess_once(workload: str, lib: str, size: str, timeout: float) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "benchmarks.measure", workload, lib, size, "1"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} subprocess failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_in_subprocesses(workload: str, libs: list[str], size: str, repeats: int,
                            timeout: float = 900) -> dict[str, dict]:
    """Time and peak memory of each library, each call in a fresh interpreter.

    Libraries take turns (one fresh process each per round), so background
    load hits them alike; time and peak memory are medians over the rounds.
    """
    runs: dict[str, list] = {lib: [] for lib in libs}
    failed: dict[str, dict] = {}
    for _ in range(repeats):
        for lib in libs:
            if lib in failed:
                continue
            try:
                runs[lib].append(_subprocess_once(workload, lib, size, timeout))
            except Exception as e:  # noqa: BLE001 - reported in the table, the others go on
                failed[lib] = {"skip": f"error: {type(e).__name__}: {e}"[:300]}
    out: dict[str, dict] = dict(failed)
    for lib, rs in runs.items():
        if lib in failed or not rs:
            continue
        times = [r["times"][0] for r in rs]
        out[lib] = {"median": statistics.median(times), "min": min(times), "max": max(times),
                    "repeats": len(times), "peak_mib": statistics.median(r["peak_mib"] for r in rs),
                    "memory_method": rs[0]["memory_method"], "result": rs[0]["result"]}
    return out


if __name__ == "__main__":
    from .libs import limit_loaded_pools, pin_threads

    pin_threads()
    import numpy  # noqa: F401 - loaded before the thread pools are capped

    limit_loaded_pools()
    name, library, size_name, n = sys.argv[1:5]
    print(json.dumps(_child(name, library, size_name, int(n))))

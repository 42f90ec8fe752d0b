"""Import time: ``import tapegrad.numpy`` beside ``import autograd.numpy``, over NumPy's own import.

    python benchmarks/import_time.py                 # 30 rounds
    python benchmarks/import_time.py --rounds 60 --modules numpy,autograd.numpy,tapegrad.numpy,tapegrad

Each round starts one fresh interpreter per module (``python -c "import M"``),
in an order shuffled each round, so that the machine's load hits each alike.
A child's CPU time (user + system) comes from the operating system
(``os.wait4``), its wall time from the parent's clock. Byte code is cached
for every library alike, and BLAS has one thread (see ``main``). The table gives the
median of each, and the median cost over NumPy's import (the module's time
minus NumPy's in the same round); the last lines give tapegrad's cost over
NumPy's as a ratio of autograd's (issue 17: at most 1).

A module entry may join several with ``+`` (``numpy.random+tapegrad.numpy``
imports both). ``autograd.numpy`` imports ``numpy.random`` (about half its
cost), ``tapegrad.numpy`` only at first use, as NumPy does; the last line
compares the two libraries' own modules, each over ``numpy.random``'s import.

``python -X importtime -c "import tapegrad.numpy"`` shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import shutil
import sys
import tempfile
import time

BASE = "numpy"
RANDOM = "numpy.random"


def time_import(module: str, env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter that imports ``module``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", f"import {module.replace('+', ', ')}"], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"python -c 'import {module}' failed with exit code {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--modules", default=f"numpy,autograd.numpy,tapegrad.numpy,{RANDOM},{RANDOM}+tapegrad.numpy")
    args = parser.parse_args()
    modules = args.modules.split(",")
    if BASE not in modules:
        modules.insert(0, BASE)
    rng = random.Random(0)
    wall: dict = {m: [] for m in modules}
    cpu: dict = {m: [] for m in modules}
    # Every module's byte code is cached alike, as after ``pip install``: in a
    # directory of our own, so that PYTHONDONTWRITEBYTECODE (or a source tree
    # without __pycache__) does not make one library compile its sources on each run.
    cache = tempfile.mkdtemp(prefix="import_time_pycache_")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    # One BLAS thread: OpenBLAS's pool, started by NumPy's import, spins for a while on the other
    # cores, and its CPU time would grow with the import's wall time rather than with its work.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    for module in modules:  # write the byte code and warm the file-system cache, untimed
        time_import(module, env)
    for _ in range(args.rounds):
        order = modules[:]
        rng.shuffle(order)
        for module in order:
            w, c = time_import(module, env)
            wall[module].append(w)
            cpu[module].append(c)

    shutil.rmtree(cache, ignore_errors=True)

    def over(series: dict, module: str) -> float:
        return statistics.median(a - b for a, b in zip(series[module], series[BASE]))

    print(f"{args.rounds} rounds, Python {sys.version.split()[0]}, load average "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"{'module':<28} {'wall':>8} {'CPU':>8} {'wall over numpy':>16} {'CPU over numpy':>15}")
    for module in modules:
        print(f"{module:<28} {statistics.median(wall[module]):8.3f} {statistics.median(cpu[module]):8.3f} "
              f"{over(wall, module):16.3f} {over(cpu, module):15.3f}")
    if "autograd.numpy" in modules and "tapegrad.numpy" in modules:
        for name, series in (("wall", wall), ("CPU", cpu)):
            ratio = over(series, "tapegrad.numpy") / over(series, "autograd.numpy")
            print(f"tapegrad.numpy / autograd.numpy over numpy, {name}: {ratio:.2f}x "
                  f"({'PASS' if ratio <= 1 else 'FAIL'}: target <= 1)")
    both = f"{RANDOM}+tapegrad.numpy"
    if {"autograd.numpy", RANDOM, both} <= set(modules):
        ours = statistics.median(a - b for a, b in zip(cpu[both], cpu[RANDOM]))
        theirs = statistics.median(a - b for a, b in zip(cpu["autograd.numpy"], cpu[RANDOM]))
        print(f"own modules, over numpy.random, CPU: tapegrad.numpy {ours:.3f}, autograd.numpy {theirs:.3f} "
              f"({ours / theirs:.2f}x)")


if __name__ == "__main__":
    main()

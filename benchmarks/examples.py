"""autograd's own examples, run unchanged on autograd and on tapegrad: CPU time side by side.

    python benchmarks/examples.py                        # every example that runs here, 1 round
    python benchmarks/examples.py --only rnn,lstm --rounds 3
    python benchmarks/examples.py --plots                # with matplotlib drawing (Agg), not a stand-in
    python benchmarks/examples.py --only gmm --preload try.py   # try.py runs first in tapegrad's runs
    python benchmarks/examples.py --check --only rkhs,gmm        # tapegrad alone; exit 1 if one fails (make test)

The examples come from autograd 1.9.1's source distribution (downloaded with
pip and checked as ``tests/autograd_suite/run.py`` does, into ``.cache/``,
outside git); each run works in a fresh copy of them. Each example is run to
the end in a fresh interpreter, once on the real autograd and once on
tapegrad through ``tapegrad.install_as_autograd()``, in turns, with one
BLAS/OpenMP thread. Its CPU time (user + system, from ``getrusage``, start-up
and imports included) and its wall time are compared as tapegrad / autograd;
the total is the sum over the examples that ran both ways. NumPy's global
generator is seeded alike in both, and how far the two printed the same
(numbers to a relative 1e-6) is shown, as a check that both did the same
work: "all N" lines, or "K/N" where a long stochastic optimisation drifts
apart by rounding after K lines. Byte code is cached for both alike, as after an install.

By default matplotlib is replaced by a stand-in that accepts every call and
draws nothing (``plt.imread`` stays real): the examples plot in their
callbacks, and drawing would be most of the time of some of them, the same
for both libraries. SciPy's ``minimize``, which several examples run to
convergence (minutes each), is given ``maxiter=100`` unless the example sets
it (``--maxiter``). ``--plots`` draws for real, with the Agg backend
(``plt.pause`` is then a no-op wait). Examples that need a download (MNIST)
are left out, with the reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import random
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / ".cache" / "autograd-1.9.1" / "examples"

# example -> why it is not run here
LEFT_OUT = {
    "convnet": "downloads MNIST",
    "generative_adversarial_net": "downloads MNIST",
    "neural_net": "downloads MNIST",
    "variational_autoencoder": "downloads MNIST",
    "data": "a helper module of the others (MNIST)",
    "data_mnist": "a helper module of the others (MNIST download)",
    "dot_graph": "writes a Graphviz file of a traced graph through autograd's tracer internals; prints no result",
}

# What the child runs: the library chosen, matplotlib replaced (unless --plots), the example as __main__.
_CHILD = r"""
import os, runpy, sys, types
lib, path, plots, maxiter, preload = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), sys.argv[5]
if maxiter:  # a bound on SciPy's optimisers, which otherwise run to convergence (minutes for some)
    import scipy.optimize
    unbounded = scipy.optimize.minimize
    def minimize(*args, **kwargs):
        kwargs["options"] = {"maxiter": maxiter, **(kwargs.get("options") or {})}
        return unbounded(*args, **kwargs)
    scipy.optimize.minimize = minimize
if lib == "tapegrad":
    import tapegrad
    tapegrad.install_as_autograd()
    if preload:
        exec(compile(open(preload).read(), preload, "exec"), {"__name__": "__preload__"})
if plots:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.pause = lambda interval: None
    plt.show = lambda *a, **k: None
else:
    def imread(*args, **kwargs):  # the real one: fluidsim reads its pictures
        sys.meta_path.remove(Finder)
        stand = {m: sys.modules.pop(m) for m in list(sys.modules) if m.split(".")[0] == "matplotlib"}
        import matplotlib.image
        sys.modules.update(stand)
        sys.meta_path.insert(0, Finder)
        return matplotlib.image.imread(*args, **kwargs)

    class Stand(types.ModuleType):
        # accepts every attribute, call and index; draws nothing
        def __init__(self, name="stand-in"):
            super().__init__(name)
            self.__path__ = []
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return imread if name == "imread" else Stand(name)
        def __call__(self, *args, **kwargs):
            return Stand()
        def __getitem__(self, key):
            return Stand()
        def __iter__(self):
            return iter(())

    class Loader:
        @staticmethod
        def create_module(spec):
            return Stand(spec.name)
        @staticmethod
        def exec_module(module):
            pass

    class Finder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.split(".")[0] in ("matplotlib", "mpl_toolkits"):
                import importlib.machinery
                return importlib.machinery.ModuleSpec(name, Loader())
            return None

    sys.meta_path.insert(0, Finder)
import random, numpy
random.seed(0)
numpy.random.seed(0)  # the examples that draw from the global generator draw the same numbers both ways
sys.argv = [path]
sys.path.insert(0, os.path.dirname(path))
runpy.run_path(path, run_name="__main__")
"""


def _examples_dir() -> pathlib.Path:
    """autograd's examples, extracted from its source distribution into .cache/ (downloaded if needed)."""
    if EXAMPLES.is_dir():
        return EXAMPLES
    spec = importlib.util.spec_from_file_location("autograd_suite_run", ROOT / "tests" / "autograd_suite" / "run.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    sdist = runner._download(runner.CACHE.parent / "downloads")
    if sdist is None:
        raise SystemExit("autograd's source distribution cannot be downloaded (offline?)")
    top = f"autograd-{runner.VERSION}/examples/"
    with tempfile.TemporaryDirectory(dir=EXAMPLES.parent.parent) as tmp, tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(top) and ".." not in m.name]
        try:
            tar.extractall(tmp, members=members, filter="data")
        except TypeError:  # a Python without extraction filters: the members are checked above
            tar.extractall(tmp, members=members)
        EXAMPLES.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(pathlib.Path(tmp) / top), str(EXAMPLES))
    return EXAMPLES


def _all_examples(folder: pathlib.Path) -> dict:
    found = {}
    for path in sorted(folder.rglob("*.py")):
        name = path.stem
        if name == "__init__":
            continue
        found[name] = path.relative_to(folder)
    return found


def _env(pycache: str) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    # Byte code cached for both libraries alike, as after an install: in a directory of this run's own.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def run_one(lib: str, folder: pathlib.Path, example: pathlib.Path, plots: bool, timeout: float, pycache: str,
            maxiter: int, preload: str = "") -> dict:
    """Run one example to its end in a fresh interpreter: CPU and wall seconds, exit status, output."""
    with tempfile.TemporaryDirectory() as tmp:  # a fresh copy: examples write files beside them
        work = pathlib.Path(tmp) / "examples"
        shutil.copytree(folder, work)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        bound = maxiter if "minimize" in (work / example).read_text() else 0
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, lib, str(work / example), "1" if plots else "0",
                                 str(bound), preload],
                                cwd=work / example.parent, env=_env(pycache), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return {"ok": False, "why": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child alone: runs are one at a time
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"exit code {proc.returncode}"
        return {"ok": False, "why": last}
    return {"ok": True, "cpu": cpu, "wall": wall, "out": out}


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _agreement(a: str, b: str) -> str:
    """How far two outputs agree: "all N" lines, or "K/N" (the lines before the first that differs),
    numbers compared to a relative 1e-6 (chaotic optimisations drift apart by rounding over many steps)."""
    lines_a, lines_b = a.splitlines(), b.splitlines()
    agree = 0
    for x, y in zip(lines_a, lines_b):
        if _NUMBER.sub("#", x) != _NUMBER.sub("#", y):
            break
        nx, ny = [float(v) for v in _NUMBER.findall(x)], [float(v) for v in _NUMBER.findall(y)]
        if any(abs(u - v) > 1e-6 * max(abs(u), abs(v)) for u, v in zip(nx, ny)):
            break
        agree += 1
    total = max(len(lines_a), len(lines_b))
    return f"all {total}" if agree == total else f"{agree}/{total}"


def _chosen(only: str, examples: dict) -> list:
    """The examples named in ``only`` (comma-separated), or every one not left out."""
    names = [n for n in only.split(",") if n] or [n for n in examples if n not in LEFT_OUT]
    for name in names:
        if name not in examples:
            raise SystemExit(f"no example {name!r}; examples: {', '.join(sorted(examples))}")
    return names


def check(args: argparse.Namespace) -> int:
    """Run the examples on tapegrad alone: 0 when every one runs to its end, else 1 (with the failures).

    Offline, with nothing cached, there is nothing to run: skipped, as autograd's suite is.
    """
    try:
        folder = _examples_dir()
    except SystemExit as e:
        print(f"autograd's examples skipped: {e}")
        return 0
    examples = _all_examples(folder)
    names = _chosen(args.only, examples)
    pycache = tempfile.mkdtemp(prefix="examples_pycache_")
    failures = []
    for name in names:
        result = run_one("tapegrad", folder, examples[name], False, args.timeout, pycache, args.maxiter)
        print(f"{name:<36} {'%.2f s' % result['cpu'] if result['ok'] else 'FAILED: ' + result['why'][:200]}", flush=True)
        if not result["ok"]:
            failures.append(name)
    shutil.rmtree(pycache, ignore_errors=True)
    print(f"autograd's examples on tapegrad: {len(names) - len(failures)} of {len(names)} ran to their end")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated example names")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each example on each library (medians)")
    parser.add_argument("--plots", action="store_true", help="draw with matplotlib (Agg) instead of a stand-in")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--maxiter", type=int, default=100,
                        help="iterations of each scipy.optimize.minimize call (0: as the example says)")
    parser.add_argument("--preload", default="", help="a Python file run in tapegrad's runs first (to try a change)")
    parser.add_argument("--check", action="store_true",
                        help="run on tapegrad only and exit 1 if an example fails (make test's smoke run)")
    args = parser.parse_args()
    if args.check:
        raise SystemExit(check(args))
    folder = _examples_dir()
    examples = _all_examples(folder)
    names = _chosen(args.only, examples)
    libs = ("autograd", "tapegrad")
    pycache = tempfile.mkdtemp(prefix="examples_pycache_")
    for module in ("autograd.numpy", "tapegrad.numpy", "scipy.special", "scipy.stats", "scipy.optimize",
                   "scipy.integrate", "scipy.linalg", "matplotlib.pyplot"):  # writes their byte code, untimed
        subprocess.run([sys.executable, "-c", f"import {module}"], env=_env(pycache), check=False)
    rng = random.Random(0)
    rows = []
    print(f"autograd's examples ({folder}), {'drawing with Agg' if args.plots else 'matplotlib stood in'}, "
          f"minimize's maxiter {args.maxiter or 'as given'}, {args.rounds} round(s), load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'example':<36} {'CPU ag':>8} {'CPU tg':>8} {'tg/ag':>6} {'wall tg/ag':>10}  output lines agreeing")
    for name in names:
        runs: dict = {lib: [] for lib in libs}
        failed = None
        for _ in range(args.rounds):
            order = list(libs)
            rng.shuffle(order)
            for lib in order:
                result = run_one(lib, folder, examples[name], args.plots, args.timeout, pycache, args.maxiter,
                                 os.path.abspath(args.preload) if args.preload else "")
                if not result["ok"]:
                    failed = f"{lib}: {result['why']}"
                    break
                runs[lib].append(result)
            if failed:
                break
        if failed:
            print(f"{name:<36} not compared ({failed[:120]})")
            continue

        def med(lib: str, key: str) -> float:
            values = sorted(r[key] for r in runs[lib])
            return values[len(values) // 2]

        row = {lib: {"cpu": med(lib, "cpu"), "wall": med(lib, "wall")} for lib in libs}
        same = _agreement(runs["autograd"][0]["out"], runs["tapegrad"][0]["out"])
        rows.append((name, row, same))
        print(f"{name:<36} {row['autograd']['cpu']:8.2f} {row['tapegrad']['cpu']:8.2f} "
              f"{row['tapegrad']['cpu'] / row['autograd']['cpu']:6.2f} "
              f"{row['tapegrad']['wall'] / row['autograd']['wall']:10.2f}  {same}", flush=True)
    if rows:
        total = {lib: sum(r[1][lib]["cpu"] for r in rows) for lib in libs}
        wall = {lib: sum(r[1][lib]["wall"] for r in rows) for lib in libs}
        print(f"{'total (' + str(len(rows)) + ' examples)':<36} {total['autograd']:8.2f} {total['tapegrad']:8.2f} "
              f"{total['tapegrad'] / total['autograd']:6.2f} {wall['tapegrad'] / wall['autograd']:10.2f}")
    shutil.rmtree(pycache, ignore_errors=True)
    for name in sorted(set(examples) - set(names)):
        if name in LEFT_OUT and not args.only:
            print(f"left out: {name} ({LEFT_OUT[name]})")


if __name__ == "__main__":
    main()

"""The libraries built on autograd, their own test suites, on autograd and on tapegrad.

    python tools/clients.py [CLIENT ...] [--src SUITE=DIR] [--no-install] [--install-only]
                            [--test-timeout S] [--run-timeout S] [--json PATH] [--reuse-autograd]
                            [--preload FILE] [--pytest-args "..."]
    make clients [CLIENTS_ARGS="..."]

(``.venv/bin/python tools/clients.py --help`` for the options.)

For each client library (``lifelines`` with autograd-gamma, ``pymanopt``'s
autograd backend, ``pennylane``'s autograd interface) this script

1. creates the client's own virtual environment under ``.cache/clients/NAME/venv``
   (outside git) with the Python that runs this script, and installs there, with
   pip, the pinned versions below: the client, its dependencies, pytest, and
   the autograd version the client is compared with (1.9.1, or 1.8.0 for
   PennyLane, which requires autograd < 1.9);
2. puts tapegrad in that environment by path: a ``.pth`` file naming a folder
   that holds only a link to this work tree's ``tapegrad/`` package (its C
   accelerators, built by the project's own install, are used when they were
   built for this Python);
3. obtains the client's test suite: its source distribution, downloaded from
   the package index with ``pip download --no-binary :all: --no-deps`` and
   checked against its SHA-256; where a test suite is published only in the
   client's source repository (PennyLane, autograd-gamma), nothing is downloaded
   from there: the script says what it needs (a checkout of a given tag, given
   with ``--src NAME=DIR``), and runs the rest;
4. runs the chosen test files twice with pytest (tools/clients_runner.py):
   once on the real autograd, once on tapegrad through
   ``tapegrad.install_as_autograd()``, called before pytest and the tests are
   imported; each run is bounded (``--test-timeout`` per test, with
   pytest-timeout; ``--run-timeout`` per run);
5. prints, per client, the pass/fail/error/skip counts both ways, the CPU time
   of each test run (user + system time of the pytest process and its
   children, from ``resource.getrusage(RUSAGE_CHILDREN)``) and their ratio
   tapegrad / autograd, and lists the tests that pass on autograd but not on
   tapegrad, with the first line of each failure.

Both runs use the same environment variables, with one BLAS/OpenMP thread so
that the CPU times compare the libraries, not the thread pools, and the same
random data (the runner seeds Python's and NumPy's global generators before
each test). Each run's per-test outcomes, messages and traceback frames are
kept in ``.cache/clients/NAME/results/SUITE-MODE.json`` (and its log beside
it), the summary in ``.cache/clients/summary.json``.

The test subsets (``Suite.tests``, and ``Suite.why`` for the reason) keep each
client's pair of runs within a few minutes of CPU on a 2-core machine.

``--preload FILE`` runs FILE in the test process first (on tapegrad's runs): a
way to try a proposed fix of tapegrad on the clients' suites without editing it.

The exit status is 0 when every client that ran has no test passing on
autograd and failing on tapegrad, 1 otherwise (2 for a usage error). A suite
whose tests cannot be obtained here is reported as NOT RUN, with what it needs,
and does not change the exit status.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pathlib
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from typing import Callable, Optional

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "clients"
DOWNLOADS = CACHE / "downloads"
RUNNER = pathlib.Path(__file__).resolve().with_name("clients_runner.py")
MODES = ("autograd", "tapegrad")

# Test tooling shared by every client environment.
TEST_TOOLS = ["pytest==8.4.2", "pytest-timeout==2.4.0"]


@dataclasses.dataclass
class Sdist:
    """A source distribution on the package index: the test suite's source."""

    name: str
    version: str
    sha256: str
    members: tuple  # the parts of it to extract, relative to its top folder

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclasses.dataclass
class RepoTests:
    """A test suite published only in the client's source repository."""

    repository: str  # owner/name
    tag: str  # the tag (or commit) whose tests are run
    members: tuple  # the folders and files of the checkout that the run needs
    check: Callable[[pathlib.Path], Optional[str]]  # None, or what is wrong with a given checkout
    checkout: str = ""  # how to get it (shell), with DIR for the destination; default: a shallow clone of the tag


@dataclasses.dataclass
class Suite:
    """One pytest run of a client: where its tests come from and which of them run."""

    label: str
    source: object  # Sdist or RepoTests
    tests: list  # pytest arguments: test files, -k/--deselect
    rundir: str = "."  # relative to the extracted source
    ini: Optional[str] = None  # the client's own pytest settings file, relative to the source
    prepare: Optional[Callable[[pathlib.Path], None]] = None  # adjusts the extracted source
    why: str = ""


@dataclasses.dataclass
class Client:
    name: str
    autograd: str
    requirements: list
    suites: list
    note: str = ""


# ---------------------------------------------------------------------------------------------
# The clients


def _pymanopt_conftest(src: pathlib.Path) -> None:
    """pymanopt's tests/conftest.py imports TensorFlow and PyTorch only to seed them: the same
    fixture without those two (neither is installed; the autograd tests never use them)."""
    conftest = src / "tests" / "conftest.py"
    text = conftest.read_text()
    if "import tensorflow" not in text:
        return
    conftest.write_text(textwrap.dedent('''\
        # tools/clients.py: pymanopt 2.2.1's conftest.py without its TensorFlow and PyTorch seeding
        # (neither is installed in this environment; the autograd tests do not use them).
        import random

        import autograd.numpy as anp
        import matplotlib
        import numpy as np
        import pytest


        matplotlib.use("Agg")


        @pytest.fixture(autouse=True)
        def initialize_test_state():
            seed = 42
            random.seed(seed)
            anp.random.seed(seed)
            np.random.seed(seed)
        '''))


def _version_file_check(relative: str, version: str) -> Callable[[pathlib.Path], Optional[str]]:
    def check(src: pathlib.Path) -> Optional[str]:
        path = src / relative
        if not path.exists():
            return f"{path} is missing (not a checkout of the tag?)"
        if f'"{version}"' not in path.read_text() and f"'{version}'" not in path.read_text():
            return f"{path} does not say version {version}"
        return None
    return check


LIFELINES_SDIST = Sdist("lifelines", "0.30.3",
                        "acd1e0ecada4280c7bb2948f39c760a0f9158a57d752c8ca29f984a86c698b7f", ("lifelines",))
PYMANOPT_SDIST = Sdist("pymanopt", "2.2.1",
                       "c784929a436eb06d73371b53ae5db3cdc19c5e60280f8131553bc805cbf7a1da", ("tests",))

LIFELINES_SLOW = [  # each over 6 s here (measured on autograd); the suite's time is dominated by them
    "TestAFTFitters::test_log_likelihood_is_maximized_for_data_generating_model",
    "TestAFTFitters::test_weights_col_and_start_col_is_not_included_in_the_output",
    "TestCustomRegressionModel::test_custom_regression_model_accepts_infs_in_interval_censoring",
    "TestCustomRegressionModel::test_formulas_can_be_used_for_regressors",
    "TestCustomRegressionModel::test_score_works_for_interval_censoring",
    "TestGeneralizedGammaFitter::test_exponential_data_inference",
    "TestGeneralizedGammaFitter::test_gamma_data_inference",
    "TestGeneralizedGammaFitter::test_inverse_gamma_inference",
    "TestGeneralizedGammaFitter::test_inverse_weibull_inference",
    "TestGeneralizedGammaFitter::test_lognormal_data_inference",
    "TestLogNormalFitter::test_lnf_inference",
    "TestLogNormalFitter::test_lnf_inference_no_censorship",
    "TestLogNormalFitter::test_lnf_inference_with_large_sigma",
    "TestLogNormalFitter::test_lnf_inference_with_really_small_sigma",
    "TestMixtureCureFitter::test_exponential_data_produces_correct_inference_for_both_cure_and_non_cure_fractions",
    "TestParametricUnivariateFitters::test_models_can_handle_really_large_duration_values",
    "TestParametricUnivariateFitters::test_parametric_univariate_fitters_has_confidence_intervals",
    "TestPiecewiseExponentialFitter::test_fit_on_simulated_data",
    "TestPiecewiseExponentialRegressionFitter::test_inference",
    "TestRegressionFitters::test_all_models_have_censoring_type",
    "TestRegressionFitters::test_all_models_have_regressors_property",
    "TestRegressionFitters::test_dill_serialization",
    "TestRegressionFitters::test_no_observations",
    "TestRegressionFitters::test_pickle_serialization",
    "TestRegressionFitters::test_predict_methods_in_regression_return_same_index",
    "TestRegressionFitters::test_predict_methods_in_regression_return_same_types",
    "TestRegressionFitters::test_print_summary",
    "TestRegressionFitters::test_regression_models_will_not_fail_when_provided_int_times_on_prediction",
    "TestUnivariateFitters::test_all_models_have_censoring_type",
    "TestUnivariateFitters::test_allow_dataframes",
    "TestUnivariateFitters::test_cumulative_density_ci_is_ordered_correctly",
    "TestUnivariateFitters::test_custom_timeline_can_be_list_or_array",
    "TestUnivariateFitters::test_dill_serialization",
    "TestUnivariateFitters::test_divide_function",
    "TestUnivariateFitters::test_divide_function_with_labelled_data",
    "TestUnivariateFitters::test_joblib_serialization",
    "TestUnivariateFitters::test_lists_and_tuples_as_input",
    "TestUnivariateFitters::test_pickle_serialization",
    "TestUnivariateFitters::test_subtract_function_with_labelled_data",
    "TestUnivariateFitters::test_subtraction_function",
    "TestUnivariateFitters::test_univariate_fitters_accepts_fit_options",
    "TestUnivariateFitters::test_univariate_fitters_allows_one_to_change_alpha_at_fit_time",
    "TestUnivariateFitters::test_univariate_fitters_with_survival_function_have_conditional_time_to_",
]

CLIENTS = {
    "lifelines": Client(
        name="lifelines",
        autograd="1.9.1",
        requirements=[
            "lifelines==0.30.3", "autograd-gamma==0.5.0", "numpy==2.3.5", "scipy==1.16.3", "pandas==2.3.3",
            "matplotlib==3.10.8", "formulaic==1.2.1", "flaky==3.8.1", "dill==0.4.0", "joblib==1.5.2", "Jinja2==3.1.6",
        ],
        suites=[
            Suite(
                label="lifelines",
                source=LIFELINES_SDIST,
                tests=["lifelines/tests/test_estimation.py", "-k", "not TestCoxPHFitter and not TestCoxTimeVarying"
                       " and not TestAalenAdditive and not TestKaplanMeier and not TestNelsonAalen"
                       " and not TestBreslowFlemingHarrington and not TestAalenJohansen",
                       *[f"--deselect=lifelines/tests/test_estimation.py::{t}" for t in LIFELINES_SLOW]],
                why="test_estimation.py, the classes of the fitters that lifelines differentiates with autograd "
                    "(parametric univariate and regression, AFT, piecewise, spline, custom and cure models, "
                    "generalized gamma through autograd-gamma), without their 43 slowest tests (each over 6 s: "
                    "they took 70% of the time; LIFELINES_SLOW); left out: the Cox, Aalen, Kaplan-Meier, "
                    "Nelson-Aalen and Aalen-Johansen classes (plain NumPy and SciPy, no autograd, most of the "
                    "suite's time), and the plotting, statistics and utils modules (no autograd)",
            ),
            Suite(
                label="autograd-gamma",
                source=RepoTests("CamDavidsonPilon/autograd-gamma", "commit 5876e03 (the merge of 0.5.0, untagged)",
                                 ("tests",), _version_file_check("setup.py", "0.5.0"),
                                 checkout="git clone https://github.com/CamDavidsonPilon/autograd-gamma DIR && "
                                          "git -C DIR checkout 5876e03"),
                tests=["tests/test_autograd_gamma.py"],
                why="autograd-gamma's whole test module (its sdist has no tests: they are in its repository only)",
            ),
        ],
    ),
    "pymanopt": Client(
        name="pymanopt",
        autograd="1.9.1",
        requirements=["pymanopt==2.2.1", "numpy==2.3.5", "scipy==1.16.3", "matplotlib==3.10.8"],
        suites=[
            Suite(
                label="pymanopt",
                source=PYMANOPT_SDIST,
                prepare=_pymanopt_conftest,
                tests=["tests/backends/test_autograd.py", "tests/backends/test_backend_tools.py",
                       "tests/test_problem_backend_interface.py", "tests/manifolds", "tests/optimizers"],
                why="everything that runs on the autograd backend: the backend's tests (gradients, Hessians "
                    "of unary, n-ary, complex and vararg costs), the problem interface, the manifolds "
                    "(written with autograd.numpy) and the optimizers; left out: the JAX, PyTorch and "
                    "TensorFlow backend tests, test_problem.py and test_examples.py (they import "
                    "TensorFlow/PyTorch/JAX at module level), and test_multi_tools.py (plain NumPy)",
            ),
        ],
    ),
    "pennylane": Client(
        name="pennylane",
        autograd="1.8.0",
        requirements=[
            "pennylane==0.45.1", "pennylane-lightning==0.45.0", "numpy==2.3.5", "scipy==1.16.3",
            "pytest-mock==3.15.1", "pytest-rng==1.0.0", "flaky==3.8.1",
        ],
        suites=[
            Suite(
                label="pennylane",
                source=RepoTests("PennyLaneAI/pennylane", "v0.45.1", ("tests", "pennylane/_version.py"),
                                 _version_file_check("pennylane/_version.py", "0.45.1")),
                ini="tests/pytest.ini",
                rundir="tests",
                tests=["numpy",
                       "workflow/interfaces/execute/test_autograd.py",
                       "workflow/interfaces/qnode/test_autograd_qnode.py",
                       "workflow/interfaces/run/test_autograd_run.py",
                       "gradients/parameter_shift/test_parameter_shift.py",
                       "gradients/parameter_shift/test_parameter_shift_hessian.py",
                       "-m", "not slow and not jax and not torch and not tf"],
                why="tests/numpy (pennylane.numpy, the ndarray subclass over autograd), the autograd "
                    "interface (execute, QNode, run) and the parameter-shift gradient and Hessian tests, "
                    "without the `slow` marker and the JAX/PyTorch interfaces (not installed); left "
                    "out: the shot-vector variants (the same code paths with sampling, several times the "
                    "time)",
            ),
        ],
        note="PennyLane publishes no source distribution since 0.30.0 (and that one has no tests/), "
             "and its wheels have no tests: the test suite comes from its repository's tag",
    ),
}


# ---------------------------------------------------------------------------------------------
# Environments


def _venv_python(name: str) -> pathlib.Path:
    return CACHE / name / "venv" / "bin" / "python"


def _base_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


def _site_packages(python: pathlib.Path) -> pathlib.Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return pathlib.Path(out)


def _tapegrad_path() -> pathlib.Path:
    """A folder holding only a link to this work tree's tapegrad package (not its tests/ or tools/,
    which would shadow the clients' own ``tests`` packages)."""
    folder = CACHE / "tapegrad-path"
    link = folder / "tapegrad"
    folder.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != (ROOT / "tapegrad").resolve():
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(ROOT / "tapegrad", target_is_directory=True)
    return folder


def _requirements(client: Client) -> list:
    return [*client.requirements, f"autograd=={client.autograd}", *TEST_TOOLS]


def install(client: Client, log) -> pathlib.Path:
    """The client's environment, created and filled unless it already holds these requirements."""
    python = _venv_python(client.name)
    stamp = CACHE / client.name / "installed.json"
    wanted = {"python": sys.version.split()[0], "requirements": _requirements(client)}
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        _link_tapegrad(python)
        return python
    venv = python.parent.parent
    if venv.exists():
        shutil.rmtree(venv)
    log(f"  creating {venv.relative_to(ROOT)} and installing: {' '.join(wanted['requirements'])}")
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted["requirements"]],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {client.name}'s environment:\n{done.stderr.strip()[-3000:]}")
    _link_tapegrad(python)
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    (CACHE / client.name / "pip-freeze.txt").write_text(freeze)
    stamp.write_text(json.dumps(wanted))
    return python


def _link_tapegrad(python: pathlib.Path) -> None:
    pth = _site_packages(python) / "tapegrad_worktree.pth"
    pth.write_text(str(_tapegrad_path()) + "\n")


# ---------------------------------------------------------------------------------------------
# Test sources


def _download(sdist: Sdist, python: pathlib.Path, log) -> pathlib.Path:
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    found = [p for p in DOWNLOADS.glob("*.tar.gz")
             if p.name.lower().replace("_", "-") == f"{sdist.name}-{sdist.version}.tar.gz"]
    if not found:
        log(f"  downloading the source distribution of {sdist.requirement}")
        cmd = [str(python), "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
               sdist.requirement, "-d", str(DOWNLOADS)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        found = [p for p in DOWNLOADS.glob("*.tar.gz")
                 if p.name.lower().replace("_", "-") == f"{sdist.name}-{sdist.version}.tar.gz"]
        if done.returncode != 0 and not found:
            raise RuntimeError(f"pip could not download {sdist.requirement}:\n{done.stderr.strip()[-2000:]}")
    path = found[0]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sdist.sha256:
        path.unlink()
        raise RuntimeError(f"{path.name}: SHA-256 {digest} is not the expected {sdist.sha256}; removed it")
    return path


def _extract(sdist_path: pathlib.Path, members: tuple, dest: pathlib.Path) -> None:
    with tarfile.open(sdist_path) as tar, tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        names = tar.getmembers()
        top = names[0].name.split("/")[0] + "/"
        chosen = [m for m in names if m.isfile() and ".." not in m.name.split("/")
                  and any(m.name.startswith(top + part + "/") or m.name == top + part for part in members)]
        try:
            tar.extractall(tmp, members=chosen, filter="data")
        except TypeError:  # no extraction filters in this Python: the members are checked above
            tar.extractall(tmp, members=chosen)
        shutil.move(str(pathlib.Path(tmp) / top), str(dest))


def test_source(client: Client, suite: Suite, python: pathlib.Path, given: dict, log) -> tuple:
    """(the folder holding the suite's tests, None) or (None, what is needed to run it)."""
    source = suite.source
    if isinstance(source, Sdist):
        dest = CACHE / client.name / f"src-{source.name}-{source.version}"
        if not dest.exists():
            _extract(_download(source, python, log), source.members, dest)
        if suite.prepare is not None:
            suite.prepare(dest)
        return dest, None
    assert isinstance(source, RepoTests)
    env_name = "CLIENTS_SRC_" + suite.label.upper().replace("-", "_")
    default = CACHE / client.name / f"repo-{suite.label}"
    where = given.get(suite.label) or os.environ.get(env_name) or (str(default) if default.exists() else None)
    checkout = source.checkout or (f"git clone --depth 1 --branch {source.tag} "
                                   f"https://github.com/{source.repository} DIR")
    need = (f"{suite.label}'s tests are published only in its source repository ({source.repository}, "
            f"{source.tag}: {', '.join(source.members)}); this script downloads nothing from there. "
            f"Check it out (e.g. `{checkout}`) and give it with --src {suite.label}=DIR, "
            f"or {env_name}=DIR, or put it at {default.relative_to(ROOT)}")
    if where is None:
        return None, need
    src = pathlib.Path(where).resolve()
    problem = source.check(src)
    missing = [m for m in source.members if not (src / m).exists()]
    if problem or missing:
        return None, f"{src}: {problem or 'missing ' + ', '.join(missing)}. {need}"
    if suite.prepare is not None:
        suite.prepare(src)
    return src, None


# ---------------------------------------------------------------------------------------------
# Runs


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(client: Client, suite: Suite, python: pathlib.Path, src: pathlib.Path, mode: str,
              args: argparse.Namespace, log) -> dict:
    results = CACHE / client.name / "results"
    results.mkdir(parents=True, exist_ok=True)
    tag = mode + ("-preload" if mode == "tapegrad" and args.preload else "")
    out = results / f"{suite.label}-{tag}.json"
    out_log = results / f"{suite.label}-{tag}.log"
    stamp = {"requirements": _requirements(client), "tests": suite.tests, "pytest_args": args.pytest_args}
    if mode == "autograd" and args.reuse_autograd and out.exists():
        previous = json.loads(out.read_text())
        if previous.get("stamp") == stamp and "crash" not in previous:
            log(f"    autograd  (the result of {time.ctime(out.stat().st_mtime)}, --reuse-autograd)")
            return previous
    if out.exists():
        out.unlink()
    pytest_args = ["-p", "no:cacheprovider", "-q", "-rN", "--no-header", "-W", "ignore::pytest.PytestUnraisableExceptionWarning",
                   "--timeout", str(args.test_timeout), "--rootdir", str(src)]
    if suite.ini:
        pytest_args += ["-c", str(src / suite.ini)]
    else:  # no settings file of the client's: none from a parent folder either
        ini = CACHE / client.name / "pytest.ini"
        ini.write_text("[pytest]\n")
        pytest_args += ["-c", str(ini)]
    pytest_args += [*suite.tests, *args.pytest_args]
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = "1"
    env.update({"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("PYTHONPATH", None)
    env.pop("CLIENTS_PRELOAD", None)
    if mode == "tapegrad" and args.preload:
        env["CLIENTS_PRELOAD"] = str(pathlib.Path(args.preload).resolve())
    env.pop("VIRTUAL_ENV", None)
    cmd = [str(python), str(RUNNER), mode, str(out), "--", *pytest_args]
    before, wall = _child_cpu(), time.perf_counter()
    timed_out = False
    with open(out_log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=src / suite.rundir, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout=args.run_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    cpu, wall = _child_cpu() - before, time.perf_counter() - wall
    data = json.loads(out.read_text()) if out.exists() else {"tests": {}, "collect_errors": {}}
    data.update({"cpu": cpu, "wall": wall, "returncode": proc.returncode, "timed_out": timed_out,
                 "log": str(out_log), "result": str(out), "stamp": stamp})
    if not out.exists():
        tail = out_log.read_text()[-3000:]
        data["crash"] = f"the run {'timed out' if timed_out else 'ended'} without a result; its log ends with:\n{tail}"
    out.write_text(json.dumps(data, indent=1, sort_keys=True))
    return data


OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def counts(data: dict) -> dict:
    found = {k: 0 for k in OUTCOMES}
    for entry in data["tests"].values():
        found[entry["outcome"] or "error"] = found.get(entry["outcome"] or "error", 0) + 1
    found["error"] += len(data.get("collect_errors", {}))
    return found


def regressions(auto: dict, tape: dict) -> list:
    """Tests that pass on autograd and do not on tapegrad (missing counts too: e.g. a collection error)."""
    lost = []
    for nodeid, entry in sorted(auto["tests"].items()):
        if entry["outcome"] != "passed":
            continue
        other = tape["tests"].get(nodeid)
        if other is None:
            module = nodeid.split("::")[0]
            message = next((m for k, m in tape.get("collect_errors", {}).items() if k.split("::")[0] == module),
                           tape.get("crash", "not run on tapegrad"))
            lost.append((nodeid, "not run", message))
        elif other["outcome"] != "passed":
            lost.append((nodeid, other["outcome"], other["message"]))
    return lost


def other_differences(auto: dict, tape: dict) -> list:
    """Tests whose outcome differs otherwise (an xfail that passes strictly, a skip that fails...)."""
    lost = {t for t, _, _ in regressions(auto, tape)}
    found = []
    for nodeid, entry in sorted(tape["tests"].items()):
        before = auto["tests"].get(nodeid, {}).get("outcome")
        if nodeid not in lost and before != entry["outcome"] and not (
                entry["outcome"] == "passed" and before in ("failed", "error")):
            found.append((nodeid, before, entry["outcome"], entry["message"]))
    return found


def gains(auto: dict, tape: dict) -> list:
    return sorted(n for n, e in tape["tests"].items()
                  if e["outcome"] == "passed" and auto["tests"].get(n, {}).get("outcome") in ("failed", "error"))


def _first_line(message: str) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:220]


# ---------------------------------------------------------------------------------------------


def _tapegrad_state() -> str:
    """The commit of the work tree, and how many files under tapegrad/ differ from it (read-only git)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "tapegrad"],
                                 capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}" + (f" with {len(changed)} changed file(s) under tapegrad/" if changed else "")


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clients", nargs="*", help=f"which clients (default: all of {', '.join(CLIENTS)})")
    parser.add_argument("--src", action="append", default=[], metavar="SUITE=DIR",
                        help="a checkout of a suite published only in its repository (autograd-gamma, pennylane)")
    parser.add_argument("--no-install", action="store_true", help="use the environments as they are")
    parser.add_argument("--install-only", action="store_true", help="create the environments, run nothing")
    parser.add_argument("--modes", default="autograd,tapegrad", help="which runs (default: both)")
    parser.add_argument("--test-timeout", type=int, default=300, help="seconds for one test (pytest-timeout)")
    parser.add_argument("--run-timeout", type=int, default=1800, help="seconds for one pytest run")
    parser.add_argument("--json", default=str(CACHE / "summary.json"), help="where to write the summary")
    parser.add_argument("--reuse-autograd", action="store_true",
                        help="reuse a previous autograd run of the same tests instead of running it again "
                             "(the CPU ratio then compares runs made at different times)")
    parser.add_argument("--preload", metavar="FILE",
                        help="a Python file that the tapegrad runs execute after installing the alias "
                             "(to try a proposed fix without editing tapegrad/); not used by default")
    parser.add_argument("--pytest-args", default="", metavar="ARGS",
                        help="more pytest arguments for every run, one shell-quoted string "
                             "(--pytest-args='-k \"TestQNode and not slow\" -x')")
    args = parser.parse_args(argv)
    args.pytest_args = shlex.split(args.pytest_args)
    unknown = [c for c in args.clients if c not in CLIENTS]
    if unknown:
        parser.error(f"unknown client(s) {unknown}; known: {', '.join(CLIENTS)}")
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        parser.error(f"--modes takes {', '.join(MODES)}")
    given = {}
    for item in args.src:
        label, _, where = item.partition("=")
        given[label] = where
    CACHE.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, flush=True)

    summary = {}
    state = _tapegrad_state()
    log(f"tapegrad: {ROOT} at {state}")
    if args.preload:
        log(f"NOTE: the tapegrad runs execute {args.preload} after installing the alias (--preload): "
            "they measure tapegrad with those patches, not tapegrad as it is")
    for name in args.clients or list(CLIENTS):
        client = CLIENTS[name]
        log(f"== {name} (autograd {client.autograd})" + (f"\n  note: {client.note}" if client.note else ""))
        try:
            python = _venv_python(name) if args.no_install else install(client, log)
        except (RuntimeError, subprocess.CalledProcessError) as err:
            log(f"  cannot install: {err}")
            summary[name] = {"error": str(err)}
            continue
        if args.install_only:
            continue
        for suite in client.suites:
            src, need = test_source(client, suite, python, given, log)
            if src is None:
                log(f"  {suite.label}: NOT RUN: {need}")
                summary[suite.label] = {"client": name, "not_run": need}
                continue
            shown = [t for t in suite.tests if not t.startswith("--deselect")]
            hidden = len(suite.tests) - len(shown)
            log(f"  {suite.label}: {' '.join(shown)}" + (f" (and {hidden} --deselect)" if hidden else ""))
            runs = {}
            for mode in modes:
                runs[mode] = run_suite(client, suite, python, src, mode, args, log)
                c = counts(runs[mode])
                log(f"    {mode:9s} {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
                    f"{c['skipped']} skipped, {c['xfailed']} xfailed, {c['xpassed']} xpassed; "
                    f"CPU {runs[mode]['cpu']:.1f} s (start-up {runs[mode].get('cpu_startup', 0):.1f} s), "
                    f"wall {runs[mode]['wall']:.1f} s"
                    + (" TIMED OUT" if runs[mode]["timed_out"] else "")
                    + (f"  [{runs[mode]['crash'][:300]}]" if "crash" in runs[mode] else ""))
            entry = {"client": name, "autograd_version": client.autograd, "tests": suite.tests, "why": suite.why,
                     "preload": args.preload,
                     **{m: {"counts": counts(r), "cpu": r["cpu"], "wall": r["wall"],
                            "cpu_startup": r.get("cpu_startup"), "timed_out": r["timed_out"],
                            "result": r["result"]}
                        for m, r in runs.items()}}
            if set(modes) == set(MODES):
                auto, tape = runs["autograd"], runs["tapegrad"]
                entry["cpu_ratio"] = tape["cpu"] / auto["cpu"] if auto["cpu"] else None
                lost = regressions(auto, tape)
                entry["regressions"] = [{"test": t, "outcome": o, "message": m} for t, o, m in lost]
                entry["gains"] = gains(auto, tape)
                log(f"    CPU ratio tapegrad/autograd: {entry['cpu_ratio']:.2f}")
                if lost:
                    log(f"    {len(lost)} test(s) pass on autograd but not on tapegrad:")
                    for test, outcome, message in lost:
                        log(f"      {outcome:7s} {test}\n                {_first_line(message)}")
                others = other_differences(auto, tape)
                entry["other_differences"] = [{"test": t, "autograd": a, "tapegrad": b, "message": m}
                                              for t, a, b, m in others]
                if others:
                    log(f"    {len(others)} other difference(s) of outcome (autograd -> tapegrad):")
                    for test, before, after, message in others[:20]:
                        log(f"      {before} -> {after}: {test}\n                {_first_line(message)}")
                if entry["gains"]:
                    log(f"    {len(entry['gains'])} test(s) fail on autograd and pass on tapegrad: "
                        + ", ".join(entry["gains"][:10]))
            summary[suite.label] = entry

    if args.install_only:
        return 0
    _print_table(summary, log)
    pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.json).write_text(json.dumps({"tapegrad": state, "preload": args.preload,
                                                   "suites": summary}, indent=1))
    log(f"(details: {args.json}, and the per-run logs and results under {CACHE.relative_to(ROOT)}/NAME/results/)")
    bad = any(e.get("regressions") or "error" in e for e in summary.values())
    return 1 if bad else 0


def _print_table(summary: dict, log) -> None:
    log("")
    log(f"{'suite':16s} {'autograd':>8s}  {'on autograd: pass/fail/err/skip':>32s}  "
        f"{'on tapegrad: pass/fail/err/skip':>32s}  {'CPU s (ag / tg)':>16s}  {'ratio':>5s}  lost")
    for label, e in summary.items():
        if "not_run" in e or "error" in e:
            log(f"{label:16s} {'':8s}  NOT RUN: {(e.get('not_run') or e.get('error'))[:150]}")
            continue
        cells = []
        for mode in MODES:
            if mode in e:
                c = e[mode]["counts"]
                cells.append(f"{c['passed']}/{c['failed']}/{c['error']}/{c['skipped'] + c['xfailed']}")
            else:
                cells.append("-")
        cpu = "/".join(f"{e[m]['cpu']:.0f}" if m in e else "-" for m in MODES)
        ratio = f"{e['cpu_ratio']:.2f}" if e.get("cpu_ratio") else "-"
        lost = len(e.get("regressions", [])) if "regressions" in e else "-"
        log(f"{label:16s} {e['autograd_version']:>8s}  {cells[0]:>32s}  {cells[1]:>32s}  {cpu:>16s}  {ratio:>5s}  {lost}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

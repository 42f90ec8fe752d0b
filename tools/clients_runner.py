"""Runs one client's tests with pytest, on the real autograd or on tapegrad through the alias.

Started by tools/clients.py with the client's own virtual environment's
Python, in the directory of the client's tests:

    python clients_runner.py autograd|tapegrad RESULT.json -- PYTEST_ARGS...

With ``CLIENTS_PRELOAD=FILE`` in the environment, the tapegrad run executes
FILE (Python) right after installing the alias: a way to try a proposed fix
of tapegrad on a client's suite without editing tapegrad (tools/clients.py
``--preload``). Not used by default.

With ``tapegrad``, ``tapegrad.install_as_autograd()`` is called before pytest
is even imported, so that every ``import autograd...`` of the client, of its
conftest files and of its tests loads tapegrad. With ``autograd``, the real
autograd is imported first and checked to be the installed one.

Before each test, Python's and NumPy's global random generators are seeded
(0) in both runs, so that tests drawing unseeded random data (lifelines'
inference tests) see the same data on both; a client's own seeding fixtures
run after that and still apply.

Every test's outcome (passed, failed, error, skipped, xfailed, xpassed), its
failure message and its duration are written to RESULT.json, with the CPU
time of this process split into start-up (interpreter, the alias, pytest,
conftest and test modules: up to the end of collection) and the tests.
"""

from __future__ import annotations

import json
import os
import sys
import time

MODES = ("autograd", "tapegrad")


def _install(mode: str) -> dict:
    """The library under ``autograd``'s name for this run, and what it is."""
    if mode == "tapegrad":
        import tapegrad

        tapegrad.install_as_autograd()
        preload = os.environ.get("CLIENTS_PRELOAD")
        if preload:
            with open(preload) as fh:
                exec(compile(fh.read(), preload, "exec"), {"__name__": "clients_preload"})
        import autograd

        try:
            from tapegrad.core import fastpath
            fast = bool(fastpath.ENABLED)
        except Exception:  # an engine without that module: report it as unknown
            fast = None
        if not getattr(autograd, "__name__", "").startswith("tapegrad"):
            raise SystemExit(f"clients_runner: `import autograd` gave {autograd!r}, not tapegrad")
        return {"autograd_module": autograd.__name__, "autograd_file": autograd.__file__,
                "tapegrad_c_fastpath": fast, "preload": preload or None}
    import autograd

    if "tapegrad" in sys.modules or not autograd.__name__ == "autograd":
        raise SystemExit("clients_runner: the real autograd was asked for, but tapegrad is loaded")
    try:
        from importlib.metadata import version
        autograd_version = version("autograd")
    except Exception:
        autograd_version = None
    return {"autograd_module": autograd.__name__, "autograd_file": autograd.__file__,
            "autograd_version": autograd_version}


def _message(report) -> str:
    """The short failure message of a report: its crash line, or the end of its text."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return crash.message[:2000]
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2])[:2000]
    text = str(longrepr)
    return text[-2000:]


def _frames(report) -> list:
    """The traceback's frames of a failure, innermost last, as ``path:line`` (its last exception's)."""
    longrepr = report.longrepr
    chain = getattr(longrepr, "chain", None)
    traceback = chain[-1][0] if chain else getattr(longrepr, "reprtraceback", None)
    frames = []
    for entry in getattr(traceback, "reprentries", None) or []:
        loc = getattr(entry, "reprfileloc", None)
        if loc is not None:
            frames.append(f"{loc.path}:{loc.lineno}")
    return frames[-12:]


class Recorder:
    """pytest plugin: one outcome per test id, from its setup, call and teardown reports."""

    def __init__(self) -> None:
        self.tests: dict = {}
        self.collect_errors: dict = {}
        self.cpu_collected: float | None = None

    def pytest_runtest_setup(self, item) -> None:
        # The same data both ways for the tests that draw unseeded random numbers (the client's own
        # seeding fixtures, run after this, still apply).
        import random

        import numpy

        random.seed(0)
        numpy.random.seed(0)

    def pytest_collection_finish(self, session) -> None:
        self.cpu_collected = time.process_time()

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors[report.nodeid or "<session>"] = _message(report)

    def pytest_runtest_logreport(self, report) -> None:
        entry = self.tests.setdefault(report.nodeid, {"outcome": None, "message": "", "duration": 0.0})
        entry["duration"] += float(getattr(report, "duration", 0.0) or 0.0)
        wasxfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if wasxfail:
                outcome = "xfailed" if report.skipped else "xpassed"
            else:
                outcome = report.outcome  # passed, failed, skipped
            if entry["outcome"] != "error":
                entry["outcome"] = outcome
            if report.failed or report.skipped:
                entry["message"] = _message(report)
            if report.failed:
                entry["frames"] = _frames(report)
        elif report.failed:  # setup or teardown
            entry["outcome"] = "error"
            entry["message"] = f"[{report.when}] " + _message(report)
            entry["frames"] = _frames(report)
        elif report.skipped and report.when == "setup":
            entry["outcome"] = "xfailed" if wasxfail else "skipped"
            entry["message"] = _message(report)


def main(argv: list) -> int:
    if len(argv) < 3 or argv[0] not in MODES or argv[2] != "--":
        print(__doc__)
        return 2
    mode, out, pytest_args = argv[0], argv[1], argv[3:]
    started = time.process_time()
    info = _install(mode)
    import pytest

    recorder = Recorder()
    status = pytest.main(pytest_args, plugins=[recorder])
    ended = time.process_time()
    data = {
        "mode": mode,
        **info,
        "exitstatus": int(status),
        "cpu_startup": (recorder.cpu_collected if recorder.cpu_collected is not None else ended) - started,
        "cpu_tests": ended - (recorder.cpu_collected if recorder.cpu_collected is not None else ended),
        "cwd": os.getcwd(),
        "tests": recorder.tests,
        "collect_errors": recorder.collect_errors,
    }
    with open(out, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run autograd's own test suite against tapegrad, through the import alias.

    .venv/bin/python tests/autograd_suite/run.py [pytest arguments]

autograd 1.9.1's source distribution is downloaded from PyPI with pip (once,
into ``.cache/``, outside git; its SHA-256 is checked) and its ``tests/``
directory is run with pytest after ``tapegrad.install_as_autograd()``, so that
every ``import autograd...`` in those tests loads tapegrad. No file of autograd
is kept in this repository.

Every test must pass, except:

* ``DIFFERENCES``: deliberate differences, where tapegrad does more than
  autograd (each one documented in docs/compat.md). They are strict xfails:
  if one starts to pass, the run fails, and the entry (and the page) must go.
* ``PENDING``: failures whose fix belongs to a module being reworked
  elsewhere. They are non-strict xfails; the run's summary lists those that
  pass by now, so that their entries can be removed.

Without network access (the download fails and nothing is cached) the run is
skipped with a message, and exits 0.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Any

VERSION = "1.9.1"
SDIST = f"autograd-{VERSION}.tar.gz"
SDIST_SHA256 = "7818c5c69ddf9efb7da74097bd741a4c7920133f41966f68537223a15ef798bc"
ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / f"autograd-{VERSION}"

# test id -> why tapegrad deliberately differs (docs/compat.md, "Deliberate differences").
DIFFERENCES = {
    "tests/test_graphs.py::test_assignment_raises_error":
        "tapegrad supports assignment into arrays (x[i] = y, x += y) while differentiating; "
        "autograd raises there",
    "tests/test_fft.py::test_rfftn_odd_not_implemented":
        "tapegrad differentiates rfftn/irfftn with an odd last length; autograd raises NotImplementedError",
    "tests/test_wrappers.py::test_wrapped_name_and_docs":
        "grad.__doc__ (and the other operators' docstrings) are tapegrad's own, with tested examples, "
        "not autograd's text; the functions the operators return are named and documented as autograd's",
}

# test id -> the cause, and the module whose fix it waits for (not deliberate: to be fixed).
# Empty: every known gap is fixed. A new one goes here, with docs/compat.md's "Known gaps".
PENDING: dict = {}


def _download(dest: pathlib.Path) -> pathlib.Path | None:
    """The sdist, downloaded with pip into ``dest`` unless already there; None if it cannot be."""
    sdist = dest / SDIST
    if not sdist.exists():
        dest.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
               f"autograd=={VERSION}", "-d", str(dest)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not sdist.exists():
            print(f"autograd suite: could not download {SDIST} with pip:\n{done.stderr.strip()[-2000:]}")
            return None
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        sdist.unlink()
        raise RuntimeError(f"{SDIST}: SHA-256 {digest} is not the expected {SDIST_SHA256}; removed it")
    return sdist


def autograd_source() -> pathlib.Path | None:
    """The cache directory holding autograd's package (``autograd/``) and its ``tests/``,
    extracted from the source distribution (None when it cannot be downloaded)."""
    parts = ("autograd", "tests")
    if all((CACHE / part).is_dir() for part in parts):
        return CACHE
    sdist = _download(CACHE.parent / "downloads")
    if sdist is None:
        return None
    top = f"autograd-{VERSION}/"
    with tempfile.TemporaryDirectory(dir=CACHE.parent) as tmp, tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and any(m.name.startswith(top + part + "/") for part in parts)
                   and ".." not in m.name.split("/")]
        try:
            tar.extractall(tmp, members=members, filter="data")
        except TypeError:  # a Python without extraction filters: the members are checked above
            tar.extractall(tmp, members=members)
        CACHE.mkdir(parents=True, exist_ok=True)
        for part in parts:
            if not (CACHE / part).is_dir():
                shutil.move(str(pathlib.Path(tmp) / top / part), str(CACHE / part))
    return CACHE


class ExpectedFailures:
    """pytest plugin: marks ``DIFFERENCES`` (strict) and ``PENDING`` (non-strict) as xfail."""

    def __init__(self) -> None:
        self.seen: set = set()
        self.passing_pending: list = []

    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list) -> None:
        import pytest

        for item in items:
            nodeid = item.nodeid
            if nodeid in DIFFERENCES:
                item.add_marker(pytest.mark.xfail(reason="deliberate: " + DIFFERENCES[nodeid], strict=True))
                self.seen.add(nodeid)
            elif nodeid in PENDING:
                item.add_marker(pytest.mark.xfail(reason="pending: " + PENDING[nodeid], strict=False))
                self.seen.add(nodeid)
        unknown = sorted((set(DIFFERENCES) | set(PENDING)) - self.seen)
        if unknown and not config.getoption("keyword") and not config.getoption("markexpr"):
            raise pytest.UsageError(f"listed tests that autograd's suite does not have: {unknown}")

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" and report.nodeid in PENDING and report.passed:
            self.passing_pending.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.passing_pending:
            terminalreporter.write_line(
                "autograd suite: these PENDING tests pass now; remove them from tests/autograd_suite/run.py: "
                + ", ".join(self.passing_pending)
            )


def main(argv: list) -> int:
    source = autograd_source()
    if source is None:
        print("autograd suite: SKIPPED (autograd's source distribution is not available offline)")
        return 0
    tests = source / "tests"
    import pytest

    import tapegrad

    tapegrad.install_as_autograd()
    ini = CACHE / "pytest.ini"  # autograd's own settings need pytest-cov and xdist: none here
    ini.write_text("[pytest]\n")
    args = [str(tests), "-c", str(ini), "--rootdir", str(CACHE), "-p", "no:cacheprovider", "-q"] + argv
    return int(pytest.main(args, plugins=[ExpectedFailures()]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

import warnings

import numpy as onp
import pytest


@pytest.fixture(autouse=True)
def _quiet_independence_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Output seems independent of input")
        yield


@pytest.fixture(autouse=True)
def _seed():
    onp.random.seed(0)

# The repository root, so that tests can import shared helpers as ``tests.rules.harness``.
import pathlib as _pathlib  # noqa: E402
import sys as _sys  # noqa: E402

_sys.path.insert(0, str(_pathlib.Path(__file__).resolve().parents[1]))

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

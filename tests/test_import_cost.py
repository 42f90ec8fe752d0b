"""What ``import tapegrad.numpy`` loads, and the scripts that measure its cost (no timing here).

The import stays below ``import autograd.numpy``'s cost by leaving out what
most programs never use until they use it: SciPy (``tapegrad.scipy``), vmap's
array layer (``numpy/batch_loader.py``), the submodules ``random``, ``fft`` and
``linalg`` (with NumPy's own ``numpy.random`` and ``numpy.fft``), the speed hints
and the array cache (until the first derivative). Each is loaded when first
needed; these tests check that the import does not load them, and that they
work once it does.
``benchmarks/import_time.py`` measures the import against autograd's.
"""

import json
import os
import subprocess
import sys

import numpy as onp
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_leaves_out_what_is_loaded_on_first_use():
    loaded = set(json.loads(_fresh("import json, sys, tapegrad.numpy; print(json.dumps(sorted(sys.modules)))")))
    deferred = {"scipy", "tapegrad.scipy", "tapegrad.numpy.batching", "tapegrad.numpy.batch_elementwise",
                "tapegrad.numpy.batch_indexing", "tapegrad.numpy.batch_linalg", "tapegrad.numpy.batch_products",
                "tapegrad.numpy.batch_reductions", "tapegrad.numpy.batch_shape", "string",
                # numpy.random (with hashlib, secrets...) is half of autograd.numpy's import: loaded at first
                # use, as by NumPy itself; so is numpy.fft; callsite.py only when an error is raised
                "numpy.random", "numpy.fft", "tapegrad.numpy._linalg_decomp", "tapegrad.numpy.callsite",
                "tapegrad.numpy.fastrules", "tapegrad.numpy._arraycache", "tapegrad.debug", "tapegrad.graphs",
                "threading",  # (the thread-local state takes _thread's class itself)
                "tapegrad.plotting", "tapegrad.misc"}
    assert not deferred & loaded


def test_the_first_derivative_loads_the_speed_hints_and_the_array_cache():
    out = _fresh(
        "import sys, numpy, tapegrad.numpy as np\n"
        "from tapegrad import grad, make_jvp\n"
        "print(np.add._primitive.reads, 'tapegrad.numpy.fastrules' in sys.modules)\n"
        "make_jvp(np.tanh)(1.0)(1.0)  # forward mode begins with them too\n"
        "print(np.add._primitive.reads is not None, 'tapegrad.numpy.fastrules' in sys.modules)\n"
        "print(grad(lambda x: np.sum(np.tanh(x)))(numpy.zeros(2)).tolist(), np.arraycache.info()['enabled'])\n"
    )
    enabled = str(os.environ.get("TAPEGRAD_PURE_PYTHON", "") in ("", "0"))
    assert out.split("\n")[:3] == ["None False", "True True", f"[1.0, 1.0] {enabled}"]


def test_first_derivatives_in_several_threads_at_once():
    out = _fresh(
        "import threading, numpy, tapegrad.numpy as np\n"
        "from tapegrad import grad\n"
        "barrier, results = threading.Barrier(4), []\n"
        "def run():\n"
        "    barrier.wait()\n"
        "    results.append(grad(lambda x: np.sum(np.tanh(x) * x))(numpy.linspace(0, 1, 50)).tolist())\n"
        "threads = [threading.Thread(target=run) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(len(results), all(r == results[0] for r in results), np.add._primitive.reads is not None)\n"
        "print(results[0] == grad(lambda x: np.sum(np.tanh(x) * x))(numpy.linspace(0, 1, 50)).tolist())\n"
    )
    assert out.split("\n")[:2] == ["4 True True", "True"]


def test_a_submodule_read_first_by_several_threads_at_once():
    # the threads that did not run its code wait for it to finish (none sees a half-made module)
    code = (
        "import threading, numpy, tapegrad.numpy as np\n"
        "barrier, out = threading.Barrier(8), []\n"
        "def run():\n"
        "    barrier.wait()\n"
        "    out.append(float(np.linalg.inv(numpy.eye(2) * 2.0)[0, 0]))\n"
        "threads = [threading.Thread(target=run) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(out == [0.5] * 8)\n"
    )
    for _ in range(3):
        assert _fresh(code).strip() == "True"


def test_random_fft_and_linalg_are_real_modules_that_load_at_first_use():
    out = _fresh(
        "import sys, types, numpy, tapegrad.numpy as np\n"
        "from tapegrad import grad\n"
        "names = dict(vars(np))  # a copy of the namespace holds the submodules themselves\n"
        "print(isinstance(names['random'], types.ModuleType), names['fft'] is sys.modules['tapegrad.numpy.fft'])\n"
        "print('numpy.fft' in sys.modules, 'numpy.random' in sys.modules)\n"
        "# numpy.fft's own function on a traced array finds tapegrad's rule, np.fft never read\n"
        "print(grad(lambda x: numpy.sum(numpy.abs(numpy.fft.fft(x)) ** 2))(numpy.ones(3)).tolist(),\n"
        "      grad(lambda a: numpy.linalg.det(a))(numpy.eye(2)).tolist())\n"
        "from tapegrad.numpy.random import normal\n"
        "import tapegrad.numpy.fft as fft\n"
        "np.random.seed(0); ours = normal(size=3)\n"
        "numpy.random.seed(0); print((ours == numpy.random.normal(size=3)).all(), fft.rfft is np.fft.rfft)\n"
    )
    assert out.split("\n")[:4] == ["True True", "False False", "[6.0, 6.0, 6.0] [[1.0, 0.0], [0.0, 1.0]]",
                                    "True True"]


def test_vmap_loads_its_rules_at_first_use():
    out = _fresh(
        "import sys, numpy, tapegrad.numpy as np\n"
        "from tapegrad import vmap, grad\n"
        "print(vmap(grad(lambda x: np.sum(np.tanh(x) ** 2)))(numpy.ones((3, 2))).tolist())\n"
        "print(all(m in sys.modules for m in ('tapegrad.numpy.batch_reductions', 'tapegrad.numpy.batch_shape')))\n"
    )
    values, loaded = out.split("\n")[:2]
    expected = 2 * onp.tanh(1.0) * (1 - onp.tanh(1.0) ** 2)
    onp.testing.assert_allclose(json.loads(values), onp.full((3, 2), expected))
    assert loaded == "True"


_RULED = (
    "import tapegrad.numpy\n"
    "tapegrad.numpy.fft.fft, tapegrad.numpy.linalg.inv  # submodules loaded at first use: listed in both runs\n"
    "{first}"
    "from tapegrad.core.batching import batch_rule\n"
    "from tapegrad.core.primitive import ALL_PRIMITIVES\n"
    "print(sorted(p.name for p in list(ALL_PRIMITIVES) if batch_rule(p) is not None))\n"
)


def test_batching_rules_complete_when_asked_before_any_vmap():
    # a rule looked up without vmap (a table check) finds the array layer's rules, as after loading it
    asked = _fresh(_RULED.format(first=""))
    loaded = _fresh(_RULED.format(first="import tapegrad.numpy.batch_shape, tapegrad.numpy.batch_reductions\n"))
    assert asked == loaded and "reshape" in asked


def test_scipy_loads_the_whole_array_layer():
    # tapegrad.scipy.special imports numpy/batching.py directly: every rule module comes with it
    out = _fresh(
        "import sys, tapegrad.numpy, tapegrad.scipy.special\n"
        "print(all(f'tapegrad.numpy.batch_{m}' in sys.modules for m in "
        "('elementwise', 'indexing', 'linalg', 'products', 'reductions', 'shape')))\n"
    )
    assert out.strip() == "True"


def test_conversion_errors_still_name_the_call_site(tmp_path):
    script = tmp_path / "convert.py"  # a file: the call site is read from the source
    script.write_text(
        "import math, numpy, tapegrad.numpy as np\n"
        "from tapegrad import grad\n"
        "try:\n"
        "    grad(lambda x: math.sin(x[0]))(numpy.ones(2))\n"
        "except Exception as e:\n"
        "    print(str(e).splitlines()[0])\n"
    )
    out = _fresh(f"import runpy; runpy.run_path({str(script)!r})")
    assert "math.sin" in out and "np.sin" in out


def test_import_time_script_runs():
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "import_time.py"), "--rounds", "1",
         "--modules", "numpy,tapegrad.numpy"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0] for line in done.stdout.splitlines()[2:]}
    assert {"numpy", "tapegrad.numpy"} <= rows


@pytest.mark.parametrize("a, b, expected", [
    ("loss 1.0\nloss 0.5\n", "loss 1.0000000001\nloss 0.5\n", "all 2"),
    ("loss 1.0\nloss 0.5\n", "loss 1.0\nloss 0.6\n", "1/2"),
    ("x 1\n", "y 1\n", "0/1"),
])
def test_examples_agreement(a, b, expected):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import examples
    finally:
        sys.path.pop(0)
    assert examples._agreement(a, b) == expected

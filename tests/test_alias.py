"""tapegrad.install_as_autograd(): ``import autograd...`` loads tapegrad's modules.

Each test runs in a fresh interpreter, so that the alias never leaks into this
process (other tests import the real autograd, when it is installed, to compare).
"""

import subprocess
import sys
import textwrap


def run(script: str, *paths: str) -> str:
    prefix = f"import sys; sys.path[:0] = {list(paths)!r}\n" if paths else ""
    code = prefix + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_autograd_modules_are_tapegrads_own_module_objects():
    out = run("""
        import sys, tapegrad
        tapegrad.install_as_autograd()
        tapegrad.install_as_autograd()  # idempotent
        import autograd, autograd.numpy, autograd.numpy.linalg, autograd.scipy.special, autograd.core
        from autograd.numpy.numpy_boxes import ArrayBox
        from autograd.builtins import SequenceBox
        import tapegrad.numpy.linalg, tapegrad.scipy.special
        assert autograd is tapegrad and autograd.numpy is tapegrad.numpy
        assert autograd.numpy.linalg is tapegrad.numpy.linalg and autograd.scipy.special is tapegrad.scipy.special
        assert ArrayBox is tapegrad.numpy.numpy_boxes.ArrayBox and SequenceBox is tapegrad.core.SequenceBox
        assert sys.modules["autograd.numpy"] is tapegrad.numpy
        assert autograd.numpy.__name__ == "tapegrad.numpy"  # the module keeps its own name and spec
        assert autograd.numpy.__spec__.name == "tapegrad.numpy"
        assert sys.meta_path.count(sys.meta_path[0]) == 1
        try:
            import autograd.no_such_module
        except ModuleNotFoundError as e:
            print("missing:", e.name)
    """)
    assert out == "missing: autograd.no_such_module"


def test_boxes_report_autograds_module_names_while_installed():
    out = run("""
        import tapegrad
        tapegrad.install_as_autograd()
        from autograd import grad
        import autograd.numpy as np
        from autograd.numpy.numpy_boxes import ArrayBox
        seen = []
        def f(x):
            seen.append((type(x).__module__, isinstance(x, ArrayBox)))
            return np.sum(x ** 2)
        print(grad(f)(np.array([1.0, 2.0])), seen)
        tapegrad.uninstall_autograd_alias()
        import sys
        print("autograd" in sys.modules, ArrayBox.__module__)
    """)
    assert out.splitlines() == ["[2. 4.] [('autograd.numpy.numpy_boxes', True)]", "False tapegrad.numpy.box"]


def test_refused_after_the_real_autograd(tmp_path):
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    out = run("""
        import autograd, tapegrad
        assert autograd.REAL
        try:
            tapegrad.install_as_autograd()
        except tapegrad.alias.AutogradAlreadyImported as e:
            print("refused:", "already imported" in str(e))
        import sys
        print(tapegrad.alias.AliasFinder not in map(type, sys.meta_path))
    """, str(tmp_path))
    assert out.splitlines() == ["refused: True", "True"]


def test_client_code_written_against_autograds_internals():
    # the ways libraries built on autograd use its internals (PennyLane, lifelines, autograd-gamma)
    out = run("""
        import numpy as onp
        import tapegrad
        tapegrad.install_as_autograd()
        import autograd.numpy as np
        from autograd import grad
        from autograd.core import VJPNode, VSpace
        from autograd.tracer import isbox, new_box, trace_stack
        from autograd.numpy.numpy_vspaces import ArrayVSpace, ComplexArrayVSpace
        from autograd.numpy.numpy_vjps import unbroadcast_f
        from autograd.extend import primitive, defvjp

        # does a function depend on its arguments? (a trace started by hand)
        def independent(func, *args):
            with trace_stack.new_trace() as t:
                start = new_box(args, t, VJPNode.new_root())
                end = func(*start)
            return not (isbox(end) and end._trace == start._trace)
        print(independent(lambda x, y: np.sin(x) * y, 1.0, 2.0), independent(lambda x, y: 3.0, 1.0, 2.0))

        # an ndarray subclass given the array vector spaces
        class Tensor(onp.ndarray):
            pass
        VSpace.mappings[Tensor] = lambda x: ComplexArrayVSpace(x) if onp.iscomplexobj(x) else ArrayVSpace(x)
        print(type(tapegrad.core.vspace(onp.ones(2).view(Tensor))).__name__)

        # a rule written with autograd's unbroadcast_f
        @primitive
        def scale(x, k):
            return x * k
        defvjp(scale, lambda ans, x, k: unbroadcast_f(x, lambda g: g * k))
        print(grad(lambda x: np.sum(scale(x, np.ones((2, 3)))))(np.ones(3)))
    """)
    assert out.splitlines() == ["False True", "ArrayVSpace", "[2. 2. 2.]"]

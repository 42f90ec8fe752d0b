"""``install_as_autograd()``: make ``import autograd`` load tapegrad.

For code you do not control (a library built on autograd, a notebook, a test
suite), one call before that code is imported makes every later
``import autograd``, ``import autograd.numpy as np``,
``from autograd.numpy.numpy_boxes import ArrayBox``... give tapegrad's
modules: the very same module objects as ``tapegrad``, ``tapegrad.numpy``,
``tapegrad.numpy.numpy_boxes``..., so that ``isinstance`` checks, box-type and
vector-space registrations and module-level state are shared between the two
names. While it is installed, tapegrad's box classes also report autograd's
module names (``type(box).__module__`` is ``"autograd.numpy.numpy_boxes"``),
for code that recognises autograd's arrays by their module.

In a fresh interpreter (the real autograd must not have been imported):

>>> import subprocess, sys
>>> script = '''
... import tapegrad
... tapegrad.install_as_autograd()
... import autograd.numpy as np
... from autograd import grad
... from autograd.numpy.numpy_boxes import ArrayBox
... print(np is tapegrad.numpy, ArrayBox is tapegrad.numpy.numpy_boxes.ArrayBox, grad(np.tanh)(0.0))
... '''
>>> print(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.strip())
True True 1.0
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from types import ModuleType
from typing import Optional, Sequence

__all__ = ["install_as_autograd", "uninstall_autograd_alias", "AliasFinder", "AutogradAlreadyImported"]

ALIAS = "autograd"
TARGET = "tapegrad"


class AutogradAlreadyImported(ImportError):
    """The real autograd was imported in this process before the alias was installed."""


def _target_name(fullname: str) -> Optional[str]:
    """``autograd.X.Y`` -> ``tapegrad.X.Y``; None for any other module name."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS):]
    return None


class _AliasLoader:
    """Hands the import system tapegrad's already imported module (a loader, by the import protocol)."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.original_spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        # The import system has just stamped the alias's spec on the module: the
        # module stays tapegrad's (its spec, so that it reloads by its own name).
        module.__spec__ = self.original_spec


class AliasFinder:
    """A ``sys.meta_path`` finder that maps ``autograd`` and ``autograd.X`` to ``tapegrad`` and ``tapegrad.X``."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType] = None
                  ) -> Optional[importlib.machinery.ModuleSpec]:
        name = _target_name(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:
                return None  # no such module in tapegrad: the import fails under autograd's name
            raise
        is_package = hasattr(module, "__path__")
        spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_package)
        if is_package:
            spec.submodule_search_locations = list(module.__path__)
        return spec


_FINDER = AliasFinder()


def _autograd_homes() -> dict:
    """tapegrad's box classes -> the autograd module that defines the class of the same role."""
    from .core import Box, DictBox, SequenceBox, SparseBox
    from .core.box import _BOX_TYPES

    homes = {Box: "autograd.tracer", SequenceBox: "autograd.builtins", DictBox: "autograd.builtins",
             SparseBox: "autograd.core"}
    for cls in set(_BOX_TYPES.values()):  # the array boxes, and any other registered box class
        module = getattr(cls, "__module__", "")
        if not isinstance(cls, type) or cls in homes or not (module == TARGET or module.startswith(TARGET + ".")):
            continue
        if module.startswith(TARGET + ".numpy."):
            homes[cls] = "autograd.numpy.numpy_boxes"
        else:
            homes[cls] = ALIAS + module[len(TARGET):]
    return homes


_RENAMED: dict = {}  # class -> its own __module__, while the alias is installed


def _real_autograd_modules() -> list:
    return [
        name for name, module in list(sys.modules.items())
        if _target_name(name) is not None and getattr(module, "__name__", None) == name
    ]


def install_as_autograd() -> None:
    """Make every later ``import autograd...`` load the same-named tapegrad module.

    Call it once, before the code that imports autograd is imported (at the top
    of your main script, or in a ``conftest.py``). Calling it again does
    nothing. Raises :class:`AutogradAlreadyImported` if the real autograd was
    imported first: two autograds in one process would not share their box
    types, and derivatives would be lost between them.

    >>> import subprocess, sys
    >>> script = '''
    ... import tapegrad
    ... tapegrad.install_as_autograd(); tapegrad.install_as_autograd()
    ... from autograd import grad
    ... import autograd.numpy as np
    ... box_modules = []
    ... grad(lambda x: box_modules.append(type(x).__module__) or np.sum(x * x))(np.ones(2))
    ... print(box_modules)
    ... '''
    >>> print(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.strip())
    ['autograd.numpy.numpy_boxes']
    """
    if _FINDER in sys.meta_path:
        return
    real = _real_autograd_modules()
    if real:
        raise AutogradAlreadyImported(
            f"the real autograd is already imported in this process ({', '.join(sorted(real)[:3])}); "
            "call tapegrad.install_as_autograd() before anything imports autograd (for instance at "
            "the top of your main script, or in a conftest.py), or change the imports to tapegrad."
        )
    importlib.import_module(TARGET)
    for cls, home in _autograd_homes().items():
        _RENAMED[cls] = cls.__module__
        cls.__module__ = home
    sys.meta_path.insert(0, _FINDER)


def uninstall_autograd_alias() -> None:
    """Undo :func:`install_as_autograd`: later ``import autograd`` finds the real one again.

    The ``autograd`` names are removed from ``sys.modules`` (code that already
    holds one of those modules keeps using tapegrad), and the box classes
    report their own module names again.

    >>> import subprocess, sys
    >>> script = '''
    ... import sys, tapegrad
    ... tapegrad.install_as_autograd()
    ... import autograd.numpy
    ... tapegrad.uninstall_autograd_alias()
    ... print("autograd" in sys.modules, tapegrad.numpy.numpy_boxes.ArrayBox.__module__)
    ... '''
    >>> print(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.strip())
    False tapegrad.numpy.box
    """
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in list(sys.modules) if _target_name(n) is not None]:
        if getattr(sys.modules[name], "__name__", None) != name:  # ours, under the alias
            del sys.modules[name]
    for cls, module in _RENAMED.items():
        cls.__module__ = module
    _RENAMED.clear()

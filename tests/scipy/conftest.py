"""Make the repository root importable, so that ``tests.rules.harness`` is found under plain ``pytest``.

(This directory has no ``__init__.py`` on purpose: as a package it would be
imported as ``scipy`` and shadow SciPy itself.)
"""

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

"""Build script for the optional C accelerators (the engine's and the hottest rules'); the metadata is in pyproject.toml.

``optional=True``: without a C compiler the install still succeeds, and
tapegrad runs its pure-Python engine (see tapegrad/core/fastpath.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tapegrad.core._fastpath",
            [f"tapegrad/core/{name}.c" for name in ("_fastpath", "_fp_bind", "_fp_operators", "_fp_sweep")],
            depends=["tapegrad/core/_fastpath.h"],
            optional=True,
        ),
        Extension("tapegrad.numpy._fastrules", ["tapegrad/numpy/_fastrules.c"], optional=True),
    ]
)

"""Build script for the optional C accelerators (the engine's, the hottest rules' and the array cache); the metadata is in pyproject.toml.

``optional=True``: without a C compiler the install still succeeds, and
tapegrad runs its pure-Python engine (see tapegrad/core/fastpath.py).
"""

from setuptools import Extension, setup


def _numpy_extensions() -> list:
    """The extensions that need NumPy's C headers (pyproject.toml lists NumPy as a build requirement)."""
    try:
        import numpy
    except ImportError:  # a build without NumPy: those run without their C part
        return []
    return [
        Extension("tapegrad.numpy._arraycache", ["tapegrad/numpy/_arraycache.c"],
                  include_dirs=[numpy.get_include()], optional=True),
    ]


setup(
    ext_modules=[
        Extension(
            "tapegrad.core._fastpath",
            [f"tapegrad/core/{name}.c" for name in ("_fastpath", "_fp_bind", "_fp_operators", "_fp_sweep")],
            depends=["tapegrad/core/_fastpath.h"],
            optional=True,
        ),
        Extension("tapegrad.numpy._fastrules", ["tapegrad/numpy/_fastrules.c"], optional=True),
        *_numpy_extensions(),
    ]
)

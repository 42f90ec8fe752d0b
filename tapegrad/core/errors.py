"""Exceptions raised where a gradient cannot be computed.

Each message names the operation and says what to do instead, so that a
gradient is never silently wrong.
"""

from __future__ import annotations


class TapegradError(Exception):
    """Base class of tapegrad's own errors."""


class NonDifferentiableError(TapegradError, NotImplementedError):
    """A traced value reached a function that has no derivative rule."""


class UnsupportedAttributeError(NonDifferentiableError, AttributeError):
    """An ndarray attribute or method that a traced array does not support (``hasattr`` says False)."""


class TraceLeakError(TapegradError, TypeError):
    """A traced value was turned into a plain Python or NumPy value."""


class NotScalarError(TapegradError, TypeError):
    """``grad`` was asked to differentiate a function whose output is not a scalar."""


class InputTypeError(TapegradError, TypeError):
    """An argument to differentiate with respect to is not numeric."""

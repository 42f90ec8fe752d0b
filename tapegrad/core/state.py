"""The per-thread trace state: one explicit object, never module globals.

Every thread sees its own nesting depth, so gradients computed concurrently in
several threads never share levels or tapes.
"""

from __future__ import annotations

import threading


class TraceState(threading.local):
    """How many traces are open on this thread.

    ``depth`` numbers trace levels: a trace opened inside another one gets a
    higher level, which is how an operation decides which trace it belongs to
    when it sees boxes of several nested differentiations.
    """

    def __init__(self) -> None:
        self.depth = 0


STATE = TraceState()


def tracing() -> bool:
    """True while any differentiation is running on this thread."""
    return STATE.depth > 0

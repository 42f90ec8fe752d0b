"""The per-thread trace state: one explicit object, never module globals.

Every thread sees its own nesting depth, so gradients computed concurrently in
several threads never share levels or tapes.
"""

from __future__ import annotations

# threading.local and threading.RLock are these (threading imports them from _thread); importing
# threading itself would add a millisecond to every import of tapegrad.
from _thread import RLock, _local as thread_local
from typing import Any, Callable


class _Checks:
    """The debugging mode a thread starts with (None: none).

    An object with ``reverse_trace(level)``, ``forward_trace(level)`` and
    ``backward_pass(tape, end_node, g)``: ``make_vjp`` and ``make_jvp`` open its
    traces and sweep with its backward pass while ``STATE.checks`` is set, so the
    plain traces carry no test for it. The engine defines none; an integration
    layer does (``tapegrad.debug``), and sets this default from its environment
    variable.
    """

    default: Any = None
    # Set once any thread has had a mode: until then the traces do not even read
    # STATE.checks (a plain attribute costs less than a thread-local one).
    used: bool = False


CHECKS = _Checks()


class TraceState(thread_local):
    """How many traces are open on this thread.

    ``depth`` numbers trace levels: a trace opened inside another one gets a
    higher level, which is how an operation decides which trace it belongs to
    when it sees boxes of several nested differentiations.
    """

    def __init__(self) -> None:
        self.depth = 0
        # Trace levels only increase, as autograd's trace ids do: a trace opened
        # later outranks every box made before it, finished traces' included.
        self.last_level = 0
        self.open_levels: list = []  # of the traces opened by hand (autograd's trace_stack)
        # The reverse traces open on this thread, innermost last: their tapes
        # are what an array layer must look through before it writes in place.
        self.tapes: list = []
        # A debugging mode (tapegrad/debug.py): the traces to open and the backward
        # pass to run instead of the plain ones, or None (see CHECKS).
        self.checks: Any = CHECKS.default


STATE = TraceState()


def new_level() -> int:
    """The level of a trace opening now: above every trace opened before on this thread."""
    STATE.last_level += 1
    return STATE.last_level


def tracing() -> bool:
    """True while any differentiation is running on this thread."""
    return STATE.depth > 0


class TraceScope:
    """What runs around every trace and every backward pass (process-wide).

    The engine needs nothing here; an array layer may: ``tapegrad.numpy``
    installs its caching allocator for the arrays that derivatives make (see
    ``tapegrad/numpy/arraycache.py``). ``enter()`` returns a token that
    ``leave(token)`` gets back, so nested scopes restore what they replaced.
    """

    def __init__(self) -> None:
        self.enter: Callable[[], Any] = _nothing
        self.leave: Callable[[Any], Any] = _ignore
        self._enter: Callable[[], Any] = _nothing  # the installed enter, while ``enter`` loads first
        self._loaders: list = []
        self._lock = RLock()

    def set(self, enter: Callable[[], Any], leave: Callable[[Any], Any]) -> None:
        """Install a scope's two halves (replacing the previous ones)."""
        with self._lock:
            self._enter, self.leave = enter, leave
            if not self._loaders:
                self.enter = enter

    def load_first(self, loader: Callable[[], Any]) -> None:
        """Call ``loader()`` once, as the first trace or backward pass begins (it may ``set`` the scope).

        For what only derivatives use (an array layer's allocator, its rules'
        speed hints): importing the layer then costs less, and programs that
        never differentiate never load it.
        """
        with self._lock:
            self._loaders.append(loader)
            self.enter = self._load_then_enter

    def _load_then_enter(self) -> Any:
        with self._lock:  # another thread's first trace waits until everything is loaded
            while self._loaders:
                self._loaders.pop(0)()
            self.enter = self._enter
        return self.enter()


def _nothing() -> None:
    return None


def _ignore(token: Any) -> None:
    return None


SCOPE = TraceScope()

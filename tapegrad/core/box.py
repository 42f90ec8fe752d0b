"""Boxes: the traced stand-ins for values while a function is differentiated.

A box holds a value, the trace it belongs to and its node in that trace (an
index into the tape in reverse mode, the tangent in forward mode). Boxes are
mutable on purpose: an in-place operation such as ``x[i] = y`` records a new
node and rebinds the box to it, so every name that refers to ``x`` sees the
write, as in NumPy.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, Iterator

from .errors import InputTypeError
from .fastpath import EXT


if EXT is not None:
    _BoxLayout: type = EXT.BoxBase  # the same three fields, made without a Python frame
else:

    class _BoxLayout:  # type: ignore[no-redef]
        """The fields of a box: value, trace and node."""

        __slots__ = ("_value", "_trace", "_node")

        def __init__(self, value: Any, trace: Any, node: Any) -> None:
            self._value = value
            self._trace = trace
            self._node = node


class Box(_BoxLayout):
    """A value being traced. Subclasses add the operators of their value type.

    ``Box(value, trace, node)``: subclasses must not define ``__new__`` or
    ``__init__`` (the C path makes boxes without calling them).

    autograd's registry interface: ``BoxClass.register(value_type)`` makes
    ``BoxClass`` trace values of that type; ``Box.type_mappings`` is the registry
    (``{value type: box class}``) and ``Box.types`` the set of registered box classes.
    """

    __slots__ = ()
    type_mappings: dict  # set below: the box-type registry that new_box reads
    types: "Set[type]"  # set below: a live view of the box classes in it
    # True for the boxes of a batch trace (vmap, core/batching.py): their value is
    # a stack of examples, so getval stops at them (they stand for one example).
    batched = False

    @classmethod
    def register(cls, value_type: type) -> None:
        """Make this box class the one that traces values of ``value_type`` (autograd's way).

        >>> class Celsius(float):
        ...     pass
        >>> class CelsiusBox(Box):
        ...     __slots__ = ()
        >>> CelsiusBox.register(Celsius)
        >>> Box.type_mappings[Celsius] is CelsiusBox, CelsiusBox in Box.types
        (True, True)
        >>> del Box.type_mappings[Celsius], Box.type_mappings[CelsiusBox]  # unregistered again
        """
        register_box(value_type, cls)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r}, level={self._trace.level})"

    def _assign(self, result: object) -> None:
        """Make this box stand for ``result`` (an in-place write rebinds, never mutates).

        A constant written a traced value becomes a box of its traced form
        (``register_mutable``): from then on it is a traced value for ``isinstance`` too.
        """
        if isinstance(result, Box):
            self._value = result._value
            self._trace = result._trace
            self._node = result._node
            if result.batched or self.batched:  # a batch of examples (vmap) now, or no longer: its box class
                self.__class__ = type(result)
            elif result._trace is not CONSTANT:
                traced = _TRACED_FORMS.get(type(self))
                if traced is not None:
                    self.__class__ = traced
        else:
            self._value = result
            self._trace = CONSTANT
            self._node = None


if EXT is not None:

    class OperatorBox(Box, EXT.OperatorBase):
        """A box whose ``+ - * / ** @`` (and reflected forms) are C number slots.

        The array layer binds them to its primitives (``configure_operators``);
        without the C fast path this is ``Box`` and the operators are Python methods.
        """

        __slots__ = ()

else:
    OperatorBox = Box


class ConstantTrace:
    """The trace of values that are not being differentiated.

    An array created by ``tapegrad.numpy.zeros`` (and friends) while a function
    is being differentiated is boxed at this level, so that assigning a traced
    value into it later is recorded. Operations on constant boxes alone give
    constant boxes where the result is mutable (``b * 2``, ``b[[0, 2]]`` can be
    written into too), plain values otherwise.
    """

    __slots__ = ()
    level = 0
    fuses = False  # never asked to record_fused (see Primitive.value_and_jvp)
    computes = False  # the binds compute values (see primitive.py; a batch trace computes its own)

    def record(self, prim, argnums, parents, vals, kwargs, ans):  # noqa: ANN001, ANN201
        return constant(ans)

    def record_one(self, prim, argnums, node, vals, ans):  # noqa: ANN001, ANN201
        return constant(ans)

    def record2(self, prim, node0, node1, v0, v1, ans):  # noqa: ANN001, ANN201
        return constant(ans)


def finish(trace: Any) -> None:
    """End a differentiation: its boxes then stand for their values and record nothing.

    As in autograd, operations on a finished trace's boxes alone still wrap
    their results in boxes of it (code that strips one box layer, as PennyLane's
    rules do, finds the live box under it), and met together with the boxes of
    a trace opened later, they are constants there (``primitive._frozen``).
    """
    cls = type(trace)
    finished = _FINISHED.get(cls)
    if finished is None:
        finished = _FINISHED[cls] = type(f"Finished{cls.__name__}", (cls,), {
            "__slots__": (), "fuses": False, "finished": True,
            "record": lambda self, prim, argnums, parents, vals, kwargs, ans: _wrapped(self, ans),
            "record_one": lambda self, prim, argnums, node, vals, ans: _wrapped(self, ans),
            "record2": lambda self, prim, node0, node1, v0, v1, ans: _wrapped(self, ans),
        })
    trace.__class__ = finished


def _wrapped(trace: Any, ans: Any) -> Any:
    cls = _BOX_TYPES.get(type(ans))
    return ans if cls is None else cls(ans, trace, None)


_FINISHED: dict = {}


def is_finished(trace: Any) -> bool:
    """True for the constant trace and for finished differentiations."""
    return trace.level == 0 or getattr(trace, "finished", False)


def unwrap_constant(x: Any) -> Any:
    """``x`` without the boxes of constants and finished differentiations around it."""
    while isinstance(x, Box) and is_finished(x._trace):
        x = x._value
    return x


# Value types that can be written into (arrays) -> the box class of their constants: a constant
# of such a type stays boxed while tracing, so that a traced value written into it is recorded.
MUTABLE_TYPES: dict = {}
# That box class -> the box class it becomes once a traced value is written into it.
_TRACED_FORMS: dict = {}


def register_mutable(value_type: type, constant_box: type[Box], traced_box: type[Box]) -> None:
    """Constants of ``value_type`` made while tracing are ``constant_box``es; one written a traced
    value becomes a ``traced_box`` in place (the two classes must have one layout).

    The array layer keeps the two apart so that code written for autograd, which asks
    ``isinstance(x, ArrayBox)`` to find traced values, does not take constants for them.
    """
    MUTABLE_TYPES[value_type] = constant_box
    _TRACED_FORMS[constant_box] = traced_box


def constant(value: Any) -> Any:
    """``value`` as a box of the constant trace where its type can be written into, else ``value``."""
    cls = MUTABLE_TYPES.get(type(value))
    return value if cls is None else cls(value, CONSTANT, None)


CONSTANT = ConstantTrace()


class TypeRegistry(dict):
    """A registry by value type (``Box.type_mappings``, ``VSpace.mappings``) that tells its
    ``watchers`` of each type entered, however it is entered: through ``register``, or by item
    assignment, as libraries written for autograd register their array types."""

    __slots__ = ("watchers",)

    def __init__(self) -> None:
        super().__init__()
        self.watchers: list = []

    def __setitem__(self, value_type: Any, entry: Any) -> None:
        dict.__setitem__(self, value_type, entry)
        for watcher in self.watchers:
            watcher(value_type)


_BOX_TYPES: dict[type, type[Box]] = TypeRegistry()


def register_box(value_type: type, box_type: type[Box]) -> None:
    """Declare which box class traces values of ``value_type``."""
    _BOX_TYPES[value_type] = box_type
    _BOX_TYPES[box_type] = box_type


class _RegisteredBoxTypes(Set):
    """The box classes in the registry (autograd's ``Box.types``): a live view of ``_BOX_TYPES``."""

    def __contains__(self, cls: object) -> bool:
        return isinstance(cls, type) and issubclass(cls, Box) and _BOX_TYPES.get(cls) is cls

    def __iter__(self) -> Iterator[type]:
        return iter({cls for cls in _BOX_TYPES.values() if isinstance(cls, type)})

    def __len__(self) -> int:
        return len({cls for cls in _BOX_TYPES.values() if isinstance(cls, type)})

    def add(self, cls: type) -> None:
        """Register a box class (as the box of its own instances, as autograd's ``register`` does)."""
        register_box(cls, cls)


Box.type_mappings = _BOX_TYPES
Box.types = _RegisteredBoxTypes()


def new_box(value: Any, trace: Any, node: Any) -> Box:
    """Wrap ``value`` in the box class registered for its type."""
    cls = _BOX_TYPES.get(type(value))
    if cls is None:
        cls = _box_type_of(value)
    return cls(value, trace, node)


def registered_for(table: Any, value_type: type) -> Any:
    """``table``'s entry for ``value_type`` or for the nearest of its bases; None if there is none."""
    for base in value_type.__mro__:
        entry = table.get(base)
        if entry is not None:
            return entry
    return None


def _box_type_of(value: Any) -> type[Box]:
    cls = registered_for(_BOX_TYPES, type(value))
    if cls is not None:
        _BOX_TYPES[type(value)] = cls  # remember subclasses
        return cls
    raise InputTypeError(
        f"tapegrad cannot trace a value of type {type(value).__name__!r} ({value!r:.60}). "
        "Differentiate with respect to floats, complex numbers, NumPy arrays, or "
        "tuples, lists and dicts of them; pass other values as non-differentiated arguments."
    )


def getval(x: Any) -> Any:
    """The plain value under any number of boxes.

    A box of a batch trace (``vmap``) stays: its value stacks the values of every
    example, and the box is what stands for one of them (its ``shape`` is an
    example's). The boxes of differentiations under it are removed.
    """
    while isinstance(x, Box):
        if x.batched:
            inner = getval(x._value)
            return x if inner is x._value else type(x)(inner, x._trace, x._node)
        x = x._value
    return x


def plain_values(args: tuple) -> Any:
    """``[getval(a) for a in args]``, or None if one of them is batched (``vmap``): its trace maps the call."""
    vals = [getval(a) for a in args]
    for v in vals:
        if isinstance(v, Box):
            return None
    return vals


if EXT is not None:  # the same steps in C: rules call them on every argument
    getval = EXT.getval  # noqa: F811
    plain_values = EXT.plain_values  # noqa: F811


def isbox(x: Any) -> bool:
    """True if ``x`` is being traced."""
    return isinstance(x, Box)

"""Tuples, lists and dicts (and namedtuples) as traced values.

A container of values is one node on the tape; indexing it is the primitive
``container_take``. Functions that return a plain tuple or dict of traced
values are packed into one node by :func:`pack_output`, so their VJP is exact.
"""

from __future__ import annotations

from typing import Any, Iterator

from .box import Box, getval, register_box
from .primitive import def_rules, primitive
from .vspace import VSpace, register_vspace, vspace

_SEQUENCES = (tuple, list)


def _rebuild(seq_type: type, items: list) -> Any:
    make = getattr(seq_type, "_make", None)  # namedtuples take fields positionally
    return make(items) if make is not None else seq_type(items)


def _add_raw(a: Any, b: Any) -> Any:
    if isinstance(a, dict):
        return {k: add_cotangents(a[k], b[k]) for k in a}
    return _rebuild(type(a), [add_cotangents(x, y) for x, y in zip(a, b)])


container_add = primitive(_add_raw, "container_add")
def_rules(
    container_add,
    vjp=(lambda g, ans, a, b: g, lambda g, ans, a, b: g),
    jvp=(lambda a_dot, ans, a, b: a_dot, lambda b_dot, ans, a, b: b_dot),
)

_CONTAINER_TYPES: set = {tuple, list, dict}
# Types seen as cotangents that are summed with ``+`` (arrays, numbers, their
# boxes): the backward pass adds these inline, without the checks below.
LEAF_TYPES: set = set()


def add_cotangents(a: Any, b: Any) -> Any:
    """Sum two cotangents (or tangents) of the same value; containers add by element."""
    ta = type(a)
    if ta in LEAF_TYPES:
        return a + b
    if ta is Partial:
        if type(b) is Partial:
            return a.merge(b)
        return a.dense() + b if a.kind is not None else container_add(a.dense(), b)
    if type(b) is Partial:
        return a + b if b.kind is not None else container_add(a, b.dense())
    if ta in _CONTAINER_TYPES or isinstance(a, (tuple, list, dict, SequenceBox, DictBox)):
        return container_add(a, b)
    LEAF_TYPES.add(ta)
    return a + b


def _take(c: Any, idx: Any) -> Any:
    return c[idx]


def _untake(x: Any, idx: Any, vs: "ContainerVSpace") -> Any:
    zeros = vs.zeros()
    if isinstance(zeros, dict):
        zeros[idx] = x
        return zeros
    items = list(zeros)
    items[idx] = list(x) if isinstance(idx, slice) else x
    return _rebuild(vs.seq_type, items)


class Partial:
    """First-order cotangents of some elements of a container, kept sparse.

    Taking ``params[i]`` from a large container would otherwise give a full
    container of zeros per take, to be added together: here contributions are
    collected by index and zeros are made once, only for elements never used.
    At higher order (boxed cotangents) the traced ``container_untake`` is used.

    An array layer makes Partials of elements of an array (``x[i, j]`` reads)
    with a ``kind`` that knows arrays: ``kind.dense(partial)``, and
    ``kind.add_into(partial, total)`` that adds the parts into a dense cotangent
    (``total + partial`` in the sweep).
    """

    __slots__ = ("container", "parts", "kind")
    __array_ufunc__ = None  # array + Partial: NumPy leaves the sum to __radd__

    def __init__(self, container: Any, parts: dict, kind: Any = None) -> None:
        self.container = container
        self.parts = parts
        self.kind = kind

    def __radd__(self, total: Any) -> Any:
        if self.kind is not None:
            return self.kind.add_into(self, total)
        return container_add(total, self.dense())

    def merge(self, other: "Partial") -> "Partial":
        parts = self.parts
        for k, v in other.parts.items():
            parts[k] = add_cotangents(parts[k], v) if k in parts else v
        return self

    def dense(self) -> Any:
        if self.kind is not None:
            return self.kind.dense(self)
        c = getval(self.container)
        keys = list(c) if isinstance(c, dict) else range(len(c))
        items = [self.parts[k] if k in self.parts else vspace(c[k]).zeros() for k in keys]
        if isinstance(c, dict):
            return type(c)(zip(keys, items))
        return _rebuild(type(c), items)


def dense(ct: Any) -> Any:
    """A cotangent in its ordinary form (a :class:`Partial` becomes a full container)."""
    return ct.dense() if type(ct) is Partial else ct


def _take_vjp(g: Any, ans: Any, c: Any, idx: Any) -> Any:
    if isinstance(g, Box) and not g.batched:  # a batch of cotangents (vmap) stays sparse: no batched zeros
        return container_untake(g, idx, vspace(c))
    if isinstance(idx, slice):
        # params[:-1] in a loop over layers: map the slice's positions back to
        # the container's, without zeros for (and additions of) the rest.
        positions = range(*idx.indices(len(getval(c))))
        return Partial(c, {positions[k]: v for k, v in enumerate(g)})
    if isinstance(idx, int) and idx < 0:
        idx += len(getval(c))  # one key per element: params[-1] is params[n - 1]
    return Partial(c, {idx: g})


container_take = primitive(_take, "container_take")
container_untake = primitive(_untake, "container_untake")
def_rules(
    container_take,
    vjp=_take_vjp,
    jvp=lambda c_dot, ans, c, idx: container_take(c_dot, idx),
)
def_rules(
    container_untake,
    vjp=lambda g, ans, x, idx, vs: container_take(g, idx),
    jvp=lambda x_dot, ans, x, idx, vs: container_untake(x_dot, idx, vs),
)


def _make_sequence(seq_type: type, *items: Any) -> Any:
    return _rebuild(seq_type, list(items))


def _make_dict(keys: tuple, *values: Any) -> dict:
    return dict(zip(keys, values))


make_sequence = primitive(_make_sequence, "make_sequence")
make_dict = primitive(_make_dict, "make_dict")


def _sequence_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    return [g[a - 1] for a in argnums]


def _dict_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    keys = args[0]  # make_dict(keys, *values)
    return [g[keys[a - 1]] for a in argnums]


def _pack_tangent(pack: Any) -> Any:
    def jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
        items = [vspace(v).zeros() for v in args[1:]]
        for a, t in zip(argnums, tangents):
            items[a - 1] = t
        return pack(args[0], *items)

    return jvp


# The output may itself be traced at higher order: the rules read the
# structure from the static first argument (the type, or the keys), not from it.
def_rules(make_sequence, vjp_joint=_sequence_vjp, jvp_joint=_pack_tangent(make_sequence))
def_rules(make_dict, vjp_joint=_dict_vjp, jvp_joint=_pack_tangent(make_dict))


def _extend_right(seq: Any, *items: Any) -> Any:
    return _rebuild(type(seq), list(seq) + list(items))


def _extend_left(seq: Any, *items: Any) -> Any:
    return _rebuild(type(seq), list(items) + list(seq))


sequence_extend_right = primitive(_extend_right, "sequence_extend_right")  # seq + (items...)
sequence_extend_left = primitive(_extend_left, "sequence_extend_left")  # (items...) + seq


def _extend_vjp(right: bool) -> Any:
    def vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
        n_seq, n_items = len(getval(args[0])), len(args) - 1
        seq_at = slice(0, n_seq) if right else slice(n_items, n_items + n_seq)
        item_at = n_seq - 1 if right else -1  # position of item a is item_at + a
        return [container_take(g, seq_at) if a == 0 else container_take(g, item_at + a) for a in argnums]

    return vjp


def _extend_jvp(extend: Any) -> Any:
    def jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
        parts = [vspace(v).zeros() for v in args]
        for a, t in zip(argnums, tangents):
            parts[a] = t
        return extend(*parts)

    return jvp


def_rules(sequence_extend_right, vjp_joint=_extend_vjp(True), jvp_joint=_extend_jvp(sequence_extend_right))
def_rules(sequence_extend_left, vjp_joint=_extend_vjp(False), jvp_joint=_extend_jvp(sequence_extend_left))


def _holds_box(x: Any, trace: Any) -> bool:
    if isinstance(x, Box):
        return x._trace is trace
    if isinstance(x, dict):
        return any(_holds_box(v, trace) for v in x.values())
    if isinstance(x, _SEQUENCES):
        return any(_holds_box(v, trace) for v in x)
    return False


def pack_output(out: Any, trace: Any) -> Any:
    """Turn a plain container holding boxes of ``trace`` into one traced container."""
    if isinstance(out, Box) or not _holds_box(out, trace):
        return out
    if isinstance(out, dict):
        return make_dict(tuple(out), *[pack_output(v, trace) for v in out.values()])
    return make_sequence(type(out), *[pack_output(v, trace) for v in out])


def _holds_any_box(x: Any) -> bool:
    if isinstance(x, Box):
        return True
    if type(x) is dict:
        return any(_holds_any_box(v) for v in x.values())
    if type(x) in (tuple, list):
        return any(_holds_any_box(v) for v in x)
    return False


def pack(x: Any) -> Any:
    """A plain (nested) tuple, list or dict holding boxes, as one traced container; anything else as it is."""
    if isinstance(x, Box) or not _holds_any_box(x):
        return x
    if type(x) is dict:
        return make_dict(tuple(x), *[pack(v) for v in x.values()])
    return make_sequence(type(x), *[pack(v) for v in x])


class SequenceBox(Box):
    """A traced tuple or list: indexing and iteration are recorded."""

    __slots__ = ()

    def __getitem__(self, idx: Any) -> Any:
        return container_take(self, idx)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return (container_take(self, i) for i in range(len(self._value)))

    def __contains__(self, item: Any) -> bool:
        return item in self._value

    def index(self, item: Any) -> int:
        return self._value.index(item)

    def __add__(self, other: Any) -> Any:
        return sequence_extend_right(self, *other)

    def __radd__(self, other: Any) -> Any:
        return sequence_extend_left(self, *other)

    def __getattr__(self, name: str) -> Any:
        # namedtuple fields: p.w is p[index of "w"]
        fields = getattr(type(getval(self._value)), "_fields", ())
        if name in fields:
            return container_take(self, fields.index(name))
        raise AttributeError(f"traced {type(self._value).__name__} has no attribute {name!r}")


class DictBox(Box):
    """A traced dict: item access is recorded."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return container_take(self, key)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._value)

    def __contains__(self, key: Any) -> bool:
        return key in self._value

    def keys(self) -> Any:
        return self._value.keys()

    def values(self) -> list:
        return [self[k] for k in self._value]

    def items(self) -> list:
        return [(k, self[k]) for k in self._value]

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self._value else default

    def iterkeys(self) -> Iterator[Any]:
        return iter(self._value)

    def itervalues(self) -> Iterator[Any]:
        return (self[k] for k in self._value)

    def iteritems(self) -> Iterator[tuple]:
        return ((k, self[k]) for k in self._value)


_CONTAINER_TYPES.update({SequenceBox, DictBox})
for _t in (tuple, list):
    register_box(_t, SequenceBox)
register_box(dict, DictBox)


class ContainerVSpace(VSpace):
    """The product of its elements' spaces."""

    shape = None  # containers have no array shape

    def __init__(self, value: Any) -> None:
        self.seq_type = type(value)
        self.is_dict = isinstance(value, dict)
        self.keys = list(value) if self.is_dict else list(range(len(value)))
        self.spaces = [vspace(value[k]) for k in self.keys]
        self.size = sum(s.size for s in self.spaces)
        self.iscomplex = any(s.iscomplex for s in self.spaces)

    def _build(self, items: list) -> Any:
        if self.is_dict:
            return self.seq_type(zip(self.keys, items))
        return _rebuild(self.seq_type, items)

    def zeros(self) -> Any:
        return self._build([s.zeros() for s in self.spaces])

    def ones(self) -> Any:
        return self._build([s.ones() for s in self.spaces])

    def randn(self, rng: Any = None) -> Any:
        return self._build([s.randn() if rng is None else s.randn(rng) for s in self.spaces])

    def standard_basis(self) -> Iterator[Any]:
        for i, s in enumerate(self.spaces):
            for b in s.standard_basis():
                items = [t.zeros() for t in self.spaces]
                items[i] = b
                yield self._build(items)

    def _add(self, x: Any, y: Any) -> Any:
        return container_add(x, y)

    def _mut_add(self, x: Any, y: Any) -> Any:
        return container_add(x, y)

    def _scalar_mul(self, x: Any, a: Any) -> Any:
        return self._build([s.scalar_mul(x[k], a) for s, k in zip(self.spaces, self.keys)])

    def _covector(self, x: Any) -> Any:
        return self._build([s.covector(x[k]) for s, k in zip(self.spaces, self.keys)])

    def _inner_prod(self, x: Any, y: Any) -> Any:
        total = 0.0
        for s, k in zip(self.spaces, self.keys):
            total = total + s.inner_prod(x[k], y[k])
        return total

    def promote(self, x: Any) -> Any:
        return self._build([s.promote(x[k]) for s, k in zip(self.spaces, self.keys)])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ContainerVSpace)
            and self.seq_type is other.seq_type
            and self.keys == other.keys
            and self.spaces == other.spaces
        )


class SequenceVSpace(ContainerVSpace):
    """The space of a tuple or list (autograd's name)."""


class ListVSpace(SequenceVSpace):
    """The space of a list."""


class TupleVSpace(SequenceVSpace):
    """The space of a tuple (and, through it, of a namedtuple)."""


class NamedTupleVSpace(SequenceVSpace):
    """The space of a namedtuple: subclass it and ``register`` a namedtuple type, as in autograd."""


class DictVSpace(ContainerVSpace):
    """The space of a dict."""


register_vspace(tuple, TupleVSpace)
register_vspace(list, ListVSpace)
register_vspace(dict, DictVSpace)

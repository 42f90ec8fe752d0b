"""``einsum`` with derivatives for any subscripts.

The value is always NumPy's own ``einsum`` on the subscripts as given. The
rules work on a normalised form of the subscripts: ellipses replaced by fresh
letters, the implicit output made explicit. The cotangent of an operand is an
``einsum`` of ``g`` with the other operands, then adjusted for what that
operand alone did: labels only it carries were summed (broadcast back),
size-1 labels were broadcast (summed down), and repeated labels took a
diagonal (written back onto the diagonal).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as _np

from ..core import Box, def_rules, primitive
from ._wrap import dispatches, is_complex, shape_of
from .ufuncs import real
from .shaping import broadcast_to, reshape
from .reductions import sum as _sum

# NumPy's order for sublist labels (written out: the string module costs a regex compile at import)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    return _np.einsum(subscripts, *operands, **kwargs)


einsum_args = primitive(_einsum, "einsum")


@functools.lru_cache(maxsize=1024)
def _normalize(subscripts: str, shapes: tuple) -> tuple[tuple, str, dict]:
    """Explicit labels per operand, the output labels, and each label's broadcast size."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    parts = lhs.split(",")
    if len(parts) != len(shapes):
        raise ValueError(f"einsum: {len(parts)} subscripts for {len(shapes)} operands")
    used = set(subscripts)
    fresh = [c for c in _LETTERS if c not in used]
    ell_dims = [len(s) - (len(p) - 3) if "..." in p else 0 for p, s in zip(parts, shapes)]
    n_ell = max(ell_dims, default=0)
    ell = "".join(fresh[:n_ell])
    ins = tuple(p.replace("...", ell[n_ell - d:]) for p, d in zip(parts, ell_dims))
    if out is None:
        counts: dict = {}
        for p in ins:
            for c in p:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    sizes: dict = {}
    for p, s in zip(ins, shapes):
        for c, n in zip(p, s):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    return ins, out, sizes


@functools.lru_cache(maxsize=1024)
def _vjp_plan(ins: tuple, out: str, k: int, sizes: tuple) -> tuple:
    """Static recipe for the cotangent of operand ``k`` (see the module docstring)."""
    sizes_d = dict(sizes)
    mine = ins[k]
    uniq = "".join(dict.fromkeys(mine))
    others = "".join(p for j, p in enumerate(ins) if j != k)
    keep = "".join(c for c in uniq if c in out or c in others)
    spec = ",".join([out] + [p for j, p in enumerate(ins) if j != k]) + "->" + keep
    trivial = len(ins) == 1 and keep == out  # the cotangent itself, no einsum needed
    full_shape = tuple(sizes_d[c] for c in uniq)
    # Repeated labels: write onto the diagonal with one identity per extra occurrence.
    diag_spec = None
    eyes: list = []
    if len(uniq) != len(mine):
        used = set("".join(ins) + out)
        fresh = iter(c for c in _LETTERS if c not in used)
        seen: set = set()
        labels = []
        for c in mine:
            if c in seen:
                d = next(fresh)
                eyes.append((c + d, sizes_d[c]))
                labels.append(d)
            else:
                seen.add(c)
                labels.append(c)
        diag_spec = ",".join([uniq] + [e for e, _ in eyes]) + "->" + "".join(labels)
    return spec, trivial, uniq, keep, full_shape, diag_spec, tuple(eyes)


def _insert_ones(shape: tuple, uniq: str, keep: str) -> tuple:
    it = iter(shape)
    return tuple(next(it) if c in keep else 1 for c in uniq)


def _operand_cotangent(g: Any, k: int, args: tuple, ins: tuple, out: str, sizes: dict, kwargs: dict) -> Any:
    operands = args[1:]
    spec, trivial, uniq, keep, full_shape, diag_spec, eyes = _vjp_plan(
        ins, out, k, tuple(sorted(sizes.items()))
    )
    others = [op for j, op in enumerate(operands) if j != k]
    r = g if trivial else einsum_args(spec, g, *others, **kwargs)
    if len(keep) != len(uniq):
        r = reshape(r, _insert_ones(shape_of(r), uniq, keep))
    if shape_of(r) != full_shape:  # labels summed away, or broadcast from size 1 by the others
        r = broadcast_to(r, full_shape)
    x = operands[k]
    x_shape = shape_of(x)
    if diag_spec is None:
        small = tuple(i for i, (n, m) in enumerate(zip(x_shape, full_shape)) if n == 1 and m != 1)
    else:
        first = {c: x_shape[ins[k].index(c)] for c in uniq}
        small = tuple(i for i, c in enumerate(uniq) if first[c] == 1 and full_shape[i] != 1)
    if small:
        r = _sum(r, axis=small, keepdims=True)
    if diag_spec is not None:
        n_of = {c: x_shape[ins[k].index(c)] for c in uniq}
        mats = [_np.eye(n_of[e[0]]) for e, _ in eyes]
        r = einsum_args(diag_spec, r, *mats)
    if is_complex(r) and not is_complex(x):
        r = real(r)
    return r


def _einsum_vjp(argnums: tuple, g: Any, ans: Any, args: tuple, kwargs: dict) -> list:
    ins, out, sizes = _normalize(args[0], tuple(shape_of(a) for a in args[1:]))
    opt = {"optimize": kwargs["optimize"]} if "optimize" in kwargs else {}
    return [_operand_cotangent(g, a - 1, args, ins, out, sizes, opt) for a in argnums]


def _einsum_jvp(argnums: tuple, tangents: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    opt = {"optimize": kwargs["optimize"]} if "optimize" in kwargs else {}
    total = None
    for a, t in zip(argnums, tangents):
        ops = args[:a] + (t,) + args[a + 1:]
        term = einsum_args(*ops, **opt)
        total = term if total is None else total + term
    return total


def_rules(einsum_args, vjp_joint=_einsum_vjp, jvp_joint=_einsum_jvp)


def _sublist_to_string(args: tuple) -> tuple[str, tuple]:
    """Translate ``einsum(op0, sub0, op1, sub1, ..., [out])`` to a subscript string."""

    def labels(sub: Any) -> str:
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    ops = args[0::2]
    subs = args[1::2]
    if len(args) % 2:  # an explicit output sublist comes last
        ops, out = ops[:-1], "->" + labels(args[-1])
    else:
        out = ""
    return ",".join(labels(s) for s in subs) + out, tuple(ops)


@dispatches(_np.einsum)
def einsum(*operands: Any, **kwargs: Any) -> Any:
    """``numpy.einsum`` (string or sublist form), differentiable in every operand.

    Keyword arguments other than ``optimize`` apply to the value only.
    """
    if not any(isinstance(a, Box) for a in operands):
        return _np.einsum(*operands, **kwargs)
    if "out" in kwargs and kwargs["out"] is not None:
        raise ValueError("numpy.einsum: out= cannot hold a traced result; use the return value")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], operands[1:]
    else:
        subscripts, ops = _sublist_to_string(operands)
    return einsum_args(subscripts, *ops, **{k: v for k, v in kwargs.items() if k != "out"})


__all__ = ["einsum", "einsum_args"]

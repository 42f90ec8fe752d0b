"""Statement templates for ``programs.build``: each writes one candidate statement (or None).

A template reads the program's current plain-NumPy state (``b.ns``, through ``pool``) and
writes Python text that is valid for those shapes and dtypes most of the time; ``Builder.add``
runs it and decides. ``WEIGHTS`` sets how often each family is tried.
"""

from __future__ import annotations

import numpy as onp

from .programs import live, shape_text

WEIGHTS = {"create": 10, "view": 22, "copy": 6, "scalar": 8, "alias": 8,
           "inplace": 16, "setitem": 16, "writefn": 10, "probe": 4}
SHAPES = [(), (3,), (4,), (2, 3), (3, 4), (4, 4), (1, 4), (3, 1), (2, 3, 4)]
DTYPES = ["", "", "", "float", "np.float32", "int", "complex", "bool"]
CONSTS = ["0.5", "-1.25", "2.0", "3", "0.75", "-0.3"]


# --- what the program holds ------------------------------------------------------------

def pool(b, kind="array", pred=lambda v: True) -> list:
    """(expression, value) of live arrays (kind "array") or scalars ("scalar") passing ``pred``."""
    want = onp.ndarray if kind == "array" else (onp.generic, int, float, complex)
    return [(e, v) for e, v in live(b.ns) if isinstance(v, want) and pred(v)]


def pick(b, items):
    """One item, the recent ones (defined later) more likely."""
    return b.r.choices(items, weights=range(1, len(items) + 1))[0] if items else None


def real(v) -> bool:
    return onp.asarray(v).dtype.kind in "biuf"


def floaty(v) -> bool:
    return onp.asarray(v).dtype.kind in "fc"


def target(b) -> str:
    """The name to assign: usually new, sometimes an existing one (shadowing, even x or y)."""
    if b.r.random() < 0.1:
        return b.r.choice([k for k in b.ns if k not in ("np", "probe", "__builtins__")])
    return b.fresh()


# --- indices -----------------------------------------------------------------------------

def slice_text(r, n: int) -> str:
    start = r.choice([None, None, r.randint(-n, n)])
    stop = r.choice([None, None, r.randint(-n, n)])
    step = r.choice([None, None, 2, -1, -1, -2, 3])
    s = f"{'' if start is None else start}:{'' if stop is None else stop}"
    return s + ("" if step is None else f":{step}")


def basic_index(r, shape) -> str:
    """Ints, slices with steps, ``...`` and ``None``: always a view (or a scalar)."""
    nd = len(shape)
    if nd == 0:
        return r.choice(["...", "()", "None"])
    k1 = r.randint(0, nd)
    ell = r.random() < 0.3
    k2 = r.randint(0, nd - k1) if ell else 0

    def item(n):
        return str(r.randint(-n, n - 1)) if n and r.random() < 0.35 else slice_text(r, n)

    parts = [item(n) for n in shape[:k1]] + (["..."] if ell else []) + [item(n) for n in shape[nd - k2:]]
    if r.random() < 0.2:
        parts.insert(r.randint(0, len(parts)), "None")
    return ", ".join(parts) or ":"


def int_list(r, n: int, k: int) -> str:
    return "[" + ", ".join(str(r.randint(-n, n - 1)) for _ in range(k)) + "]"


def fancy_index(r, shape) -> str | None:
    """Integer-array indices, repeated entries included: always a copy."""
    if not shape or 0 in shape:
        return None
    k = r.randint(1, 4)
    opts = [int_list(r, shape[0], k), int_list(r, shape[0], k) + ", ::-1",
            f"np.array([[0, {shape[0] - 1}], [{shape[0] - 1}, 0]])"]
    if len(shape) >= 2:
        opts += [":, " + int_list(r, shape[1], k), int_list(r, shape[0], k) + ", " + int_list(r, shape[1], k),
                 f"{r.randint(0, shape[0] - 1)}, " + int_list(r, shape[1], k), "..., " + int_list(r, shape[-1], k)]
    return r.choice(opts)


def threshold(v) -> float | None:
    """A cut in the widest gap of ``v``'s values: the mask stays put under small perturbations."""
    vals = sorted(set(onp.real(v).ravel().tolist()))
    if len(vals) < 2:
        return round(vals[0] + 0.5, 3) if vals else 0.0
    gap, mid = max((hi - lo, (hi + lo) / 2) for lo, hi in zip(vals, vals[1:]))
    return round(mid, 4) if gap > 0.05 else None


def mask_index(b, shape) -> str | None:
    """A boolean index: constant, or a comparison of a live array (its values) with a cut."""
    r = b.r
    if not shape:
        return r.choice(["True", "False"])
    same = pool(b, "array", lambda v: v.shape == tuple(shape) and real(v) and v.dtype != bool)
    e, v = pick(b, same) or (None, None)
    t = threshold(v) if e is not None else None
    if t is not None and r.random() < 0.6:
        return f"{e} {r.choice(['>', '<'])} {t}"
    if r.random() < 0.5:
        return "[" + ", ".join(r.choice(["True", "False"]) for _ in range(shape[0])) + "]"
    return f"np.array({onp.array([r.random() < 0.5 for _ in range(int(onp.prod(shape)))]).reshape(shape).tolist()})"


def any_index(b, shape) -> str | None:
    k = b.r.random()
    if k < 0.55:
        return basic_index(b.r, shape)
    return fancy_index(b.r, shape) if k < 0.8 else mask_index(b, shape)


# --- right-hand sides ----------------------------------------------------------------------

def scalar_expr(b) -> str:
    """A scalar that (usually) depends on the inputs."""
    r = b.r
    arrays = pool(b, "array", lambda v: v.size > 0 and floaty(v))
    opts = [r.choice(CONSTS)]
    opts += [e for e, _ in pool(b, "scalar")][-3:]
    if arrays:
        e, v = pick(b, arrays)
        idx = ", ".join(str(r.randint(-n, n - 1)) for n in v.shape)
        opts += [f"{e}[{idx}]" if v.ndim else f"{e}[()]", f"{e}[{idx}] * {r.choice(CONSTS)}" if v.ndim else e,
                 f"np.sum({e}) * 0.1"]
    return r.choice(opts)


def rhs(b, shape) -> str:
    """An expression whose value broadcasts to ``shape``."""
    r, shape = b.r, tuple(shape)
    n = int(onp.prod(shape))
    k = r.random()
    if k < 0.15:
        return r.choice(CONSTS)
    if k < 0.35 or not shape:
        return scalar_expr(b)
    fits = pool(b, "array", lambda v: _bc(v.shape, shape) and onp.broadcast_shapes(v.shape, shape) == shape)
    if fits and k < 0.7:
        e, v = pick(b, fits)
        return r.choice([e, e, f"{e} * {r.choice(CONSTS)}", f"np.sin({e})", f"({e} + 1.0) ** 2"])
    big = pool(b, "array", lambda v: v.size >= n and floaty(v))
    if big and k < 0.85:
        e, _ = pick(b, big)
        return f"{e}.ravel()[:{n}].reshape{shape_text(shape)}"
    return f"np.cos(np.arange({n}) * 0.7).reshape{shape_text(shape)} * {scalar_expr(b)}"


def _bc(a, s) -> bool:
    try:
        onp.broadcast_shapes(a, s)
        return True
    except ValueError:
        return False


# --- statement families --------------------------------------------------------------------

def create(b) -> str:
    """Creation functions, with dtype and order arguments."""
    r, name, new = b.r, target(b), b.fresh()
    S = r.choice(SHAPES)
    dt = r.choice(DTYPES)
    dts = f", dtype={dt}" if dt else ""
    order = r.choice(["", "", ", order='F'"])
    e, v = pick(b, pool(b)) or ("x", None)
    opts = [
        f"{name} = np.{r.choice(['zeros', 'ones'])}({shape_text(S)}{dts}{order})",
        f"{name} = np.full({shape_text(S)}, {r.choice(CONSTS)}{dts})",
        # empty: filled in the same statement (shrinking must not separate them), under a new name
        # (the fill must not read a value the assignment just shadowed)
        f"{new} = np.empty({shape_text(S)}{dts}{order}); {new}[...] = {rhs(b, S)}",
        f"{new} = np.empty({shape_text(S)}{dts}); {new}.fill({r.choice(CONSTS)})",
        f"{name} = np.{r.choice(['zeros_like', 'ones_like'])}({e}{dts})",
        f"{new} = np.empty_like({e}{dts}); {new}[...] = {e}",
        f"{name} = np.array([{', '.join(scalar_expr(b) for _ in range(r.randint(1, 4)))}]{dts})",
        f"{name} = np.array({e}{dts}{order})",
        f"{name} = np.copy({e}{order})",
        f"{name} = {e}.copy({r.choice(['', repr('F'), repr('K'), repr('A')])})",
        f"{name} = np.arange({r.randint(1, 6)}, dtype={r.choice(['float', 'np.float32', 'complex'])})",
        f"{name} = np.arange(0.5, {r.choice(['1.5', '2.0', '2.5'])}, 0.25)",
        f"{name} = np.linspace(-1.0, 1.0, {r.randint(2, 6)})",
        f"{name} = np.eye({r.randint(2, 4)}{dts})",
        f"{name} = {e} * (1 + 0.5j)",
        f"{name} = {e} + 1j * {rhs(b, v.shape) if v is not None else '1.0'}",
        f"{name} = np.sin({e}) * {scalar_expr(b)}",
    ]
    return r.choice(opts)


def _reshape_target(r, size: int) -> str:
    divs = [d for d in range(2, size) if size % d == 0]
    opts = [f"({size},)", "(-1,)", f"(1, {size})", f"({size}, 1)"]
    if divs:
        d = r.choice(divs)
        opts += [f"({d}, {size // d})", f"({d}, -1)", f"({d}, 1, {size // d})"]
    return r.choice(opts)


def view(b) -> str | None:
    """Every view-making function and method (NumPy decides what actually is a view)."""
    r = b.r
    e, v = pick(b, pool(b)) or (None, None)
    if e is None:
        return None
    nd, sh = v.ndim, v.shape
    ax = lambda: r.randint(-nd, nd - 1)  # noqa: E731
    order = r.choice(["", "'C'", "'F'", "'A'", "'K'"])
    rorder = r.choice(["", ", order='C'", ", order='F'", ", order='A'"])
    newshape = _reshape_target(r, v.size)
    opts = [f"{e}[{basic_index(r, sh)}]"] * 4 + [
        f"{e}.reshape({newshape[1:-1].rstrip(',')}{rorder})",
        f"np.reshape({e}, {newshape}{rorder})", f"{e}.ravel({order})",
        f"np.ravel({e}{', order=' + order if order else ''})",
        f"{e}.T", f"np.transpose({e})", f"np.ascontiguousarray({e})", f"np.asfortranarray({e})",
        f"np.asarray({e})", f"{e}.view()", f"{e}[...]", f"np.atleast_2d({e})",
        f"{e}.real", f"{e}.imag", f"np.real({e})", f"np.imag({e})",
        f"np.broadcast_to({e}, {shape_text((r.randint(1, 3),) + sh)})",
        f"np.expand_dims({e}, {r.randint(-nd - 1, nd)})", f"{e}[None]",
        f"np.asarray({e}, dtype={r.choice(['float', 'np.float32', 'complex'])})",
    ]
    opts.append(f"np.squeeze({e})")
    if 1 in sh:
        opts.append(f"{e}.squeeze({sh.index(1)})")
    if nd >= 1:
        opts += [f"np.flip({e})", f"np.flip({e}, {ax()})", f"np.flipud({e})", f"{e}[:, None]",
                 f"{e}[..., {r.randint(-sh[-1], sh[-1] - 1)}]" if sh[-1] else f"{e}[..., :]"]
    if nd >= 2:
        i, j = r.sample(range(nd), 2)
        perm = list(range(nd))
        r.shuffle(perm)
        opts += [f"{e}.mT", f"np.transpose({e}, {tuple(perm)})", f"{e}.transpose({', '.join(map(str, perm))})",
                 f"np.swapaxes({e}, {i}, {j})", f"{e}.swapaxes({i}, {j})", f"np.moveaxis({e}, {i}, {j})",
                 f"np.fliplr({e})", f"np.rot90({e}, {r.randint(-1, 3)})", f"np.rot90({e}, 1, axes=({i}, {j}))",
                 f"np.diagonal({e}, {r.randint(-1, 1)}, {i}, {j})", f"{e}.diagonal()", f"np.diag({e})"]
    return f"{target(b)} = {r.choice(opts)}"


def copy(b) -> str | None:
    """Indexing and functions that always copy, and ordinary arithmetic."""
    r = b.r
    e, v = pick(b, pool(b)) or (None, None)
    if e is None:
        return None
    e2, v2 = pick(b, pool(b))
    opts = [f"{e}[{fancy_index(r, v.shape) or '...'}]", f"{e}[{mask_index(b, v.shape)}]", f"{e}.copy()",
            f"np.array({e})", f"{e}.flatten({r.choice(['', repr('F'), repr('A'), repr('K')])})",
            f"{e}.astype({r.choice(['float', 'np.float32', 'complex', 'int'])})", f"{e} * 1.0", f"np.sin({e})",
            f"{e} @ {e2}", f"{e} * {e2}", f"np.concatenate([{e}, {e2}])", f"np.sum({e}, axis=0)",
            f"np.multiply({e}, {e2}, dtype={r.choice(['np.float32', 'complex', 'float'])})",
            f"np.sum({e}, dtype={r.choice(['np.float32', 'complex'])})",
            f"np.cumsum({e})", f"np.take({e}, {int_list(r, max(v.size, 1), 3)})"]
    return f"{target(b)} = {r.choice(opts)}"


def scalar(b) -> str | None:
    """NumPy scalars and Python floats (immutable) beside 0-d arrays and 0-d views (mutable)."""
    r = b.r
    e, v = pick(b, pool(b, "array", lambda v: v.size > 0)) or (None, None)
    if e is None:
        return None
    full = ", ".join(str(r.randint(-n, n - 1)) for n in v.shape)
    opts = [f"{e}[{full}]" if v.ndim else f"{e}[()]", f"np.sum({e})", f"{e}.sum()", f"{e}.mean()",
            f"{e}.item({r.randint(0, v.size - 1)})", f"np.array({scalar_expr(b)})", f"np.float64({r.choice(CONSTS)})",
            r.choice(CONSTS)]
    if v.ndim == 1:
        opts += [f"{e}[..., {r.randint(-v.shape[0], v.shape[0] - 1)}]", f"{e}[{r.randint(0, v.shape[0] - 1)}, ...]"]
    return f"{target(b)} = {r.choice(opts)}"


def alias(b) -> str | None:
    """Second names for values, and lists that hold them."""
    r = b.r
    values = [e for e, _ in pool(b) + pool(b, "scalar")]
    lists = [k for k, v in b.ns.items() if isinstance(v, list)]
    if not values:
        return None
    e = pick(b, values)
    opts = [f"{b.fresh()} = {e}", f"{b.fresh('L')} = [{e}, {pick(b, values)}]"]
    if lists:
        name = r.choice(lists)
        i = r.randint(0, len(b.ns[name]) - 1)
        opts += [f"{name}.append({e})", f"{b.fresh()} = {name}[{i}]", f"{name}[{i}] = {name}[{i}] * 2.0"]
    return r.choice(opts)


OPS = ["+=", "-=", "*=", "/=", "**=", "//=", "%=", "@="]


def inplace(b) -> str | None:
    """Every in-place operator, on arrays, views, scalars, aliases and list elements."""
    r = b.r
    items = pool(b) + pool(b, "scalar")
    e, v = pick(b, items) or (None, None)
    if e is None:
        return None
    shape = onp.shape(v)
    op = r.choice(OPS)
    if op == "@=":
        if not shape:
            return None
        n = shape[-1]
        return f"{e} @= {rhs(b, (n, n))}" if r.random() < 0.5 else f"{e} @= np.eye({n}) * 0.5 + {rhs(b, (n, n))}"
    val = rhs(b, shape) if shape else scalar_expr(b)
    if op == "/=":
        val = r.choice(["1.5", "-2.0", f"(1.5 + ({val}) ** 2)"])
    elif op == "**=":
        val = r.choice(["2", "3", "2.0"])
    elif op in ("//=", "%="):
        val = r.choice(["0.7", "1.3", "-0.9", "2", f"(1.2 + ({val}) ** 2)"])
    return f"{e} {op} {val}"


def setitem(b) -> str | None:
    """``v[idx] = value`` and ``v[idx] op= value`` with every kind of index."""
    r = b.r
    e, v = pick(b, pool(b)) or (None, None)
    if e is None:
        return None
    idx = any_index(b, v.shape) or "..."
    try:
        sub = onp.shape(eval(f"({e})[{idx}]", b.ns))
    except Exception:
        return None
    op = r.choice(["=", "=", "=", "+=", "-=", "*="])
    return f"{e}[{idx}] {op} {rhs(b, sub)}"


def unary_in_place(v) -> list[str]:
    """Unary ufuncs for ``f(e, out=e)``. NumPy 2.4's ``negative`` reads the wrong elements when its
    operand and ``out`` are the same strided float32 view (``np.negative(a[:, 1], out=a[:, 1])``), so the
    oracle itself is wrong there and such programs are not generated."""
    if v.dtype == onp.float32 and not v.flags.c_contiguous:
        return ["sin", "square"]
    return ["sin", "negative", "square"]


def writefn(b) -> str | None:
    """Functions that write into an argument: copyto, put, place, putmask, fill_diagonal,
    put_along_axis, ufuncs' ``out=`` (and ``where=``), ``fill``."""
    r = b.r
    e, v = pick(b, pool(b)) or (None, None)
    if e is None:
        return None
    sh, n = v.shape, max(v.size, 1)
    vals = f"{rhs(b, (r.randint(1, 3),))}"
    mask = mask_index(b, sh) if sh else "True"
    opts = [f"np.copyto({e}, {rhs(b, sh)})", f"np.copyto({e}, {rhs(b, sh)}, where={mask})",
            f"np.copyto({e}, {rhs(b, sh)}, casting='unsafe')",
            f"np.put({e}, {int_list(r, n, r.randint(1, 3))}, {vals})", f"{e}.put([0, -1], {vals})",
            f"np.put({e}, [{n}, 1], {vals}, mode='{r.choice(['wrap', 'clip'])}')",
            f"{e}.fill({scalar_expr(b)})"]
    if sh:
        opts += [f"np.place({e}, {mask}, {vals})", f"np.putmask({e}, {mask}, {rhs(b, sh)})",
                 f"np.putmask({e}, {mask}, {vals})"]
        uf = r.choice(["add", "subtract", "multiply"])
        opts += [f"np.{uf}({rhs(b, sh)}, {rhs(b, sh)}, out={e})",
                 f"{b.fresh()} = np.{uf}({e}, {rhs(b, sh)}, out={e})",  # the result is the out array itself
                 f"np.{r.choice(unary_in_place(v))}({e}, out={e})",
                 f"np.multiply({e}, {rhs(b, sh)}, out={e}, where={mask})",
                 f"np.add({rhs(b, sh)}, 1.0, out={e}[{basic_index(r, sh)}])" if sh[0] else f"{e}.fill(1.0)"]
    if v.ndim >= 2:
        opts += [f"np.fill_diagonal({e}, {scalar_expr(b)})", f"np.fill_diagonal({e}, {vals}, wrap=True)"]
        ax = r.randint(0, v.ndim - 1)
        ish = list(sh)
        ish[ax] = r.randint(1, 2)
        ind = onp.array([r.randint(0, max(sh[ax] - 1, 0)) for _ in range(int(onp.prod(ish)))]).reshape(ish)
        opts.append(f"np.put_along_axis({e}, np.array({ind.tolist()}), {rhs(b, tuple(ish))}, axis={ax})")
    return r.choice(opts)


def probe(b) -> str | None:
    """Observe aliasing (does NumPy share memory here?) and intermediate values."""
    items = pool(b)
    if not items:
        return None
    e1, e2 = pick(b, items)[0], pick(b, items)[0]
    return b.r.choice([f"probe(np.shares_memory({e1}, {e2}))", f"probe(np.may_share_memory({e1}, {e2}))",
                       f"probe({e1})"])

"""``python -m tests.fuzz [--n N] [--seed S] [--shrink] [--vmap] [--file PATH]``: run N programs, print the failures.

Each failure is printed as its discrepancies and its program (shrunk to a minimal one with
``--shrink``; a repro already printed is not printed again). The last line is
``N passed, M failed``; programs on which NumPy raises are discarded and counted apart.
``--vmap`` checks each program mapped over a batch of examples instead (``vmapcheck.py``; the
plan of seed S is ``Plan.of_seed(S)``), and lists vmap's refusals (BatchErrors) by message.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from .check import Discarded, check
from .programs import EPILOGUE, generate
from .shrink import shrink
from .vmapcheck import REFUSALS, Plan, check_vmap


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="number of programs")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--shrink", action="store_true", help="shrink each failure to a minimal repro")
    ap.add_argument("--second-every", type=int, default=4, metavar="K",
                    help="check second order on every K-th program (0: never)")
    ap.add_argument("--exclude", metavar="REGEX", help="skip programs whose body matches (triage)")
    ap.add_argument("--quiet", action="store_true", help="print only the summary")
    ap.add_argument("--file", metavar="PATH", help="check (and with --shrink, shrink) one saved program instead")
    ap.add_argument("--vmap", action="store_true", help="check the programs under vmap (vmapcheck.py)")
    ap.add_argument("--plan-seed", type=int, metavar="S", help="with --vmap --file: the plan of seed S")
    args = ap.parse_args(argv)
    if args.file:
        return _one(open(args.file).read(), args)

    passed = failed = discarded = skipped = 0
    shown: set = set()
    classes: dict = {}
    start = time.perf_counter()
    for seed in range(args.seed, args.seed + args.n):
        second = bool(args.second_every) and seed % args.second_every == 0
        src = generate(seed)
        if args.exclude and re.search(args.exclude, src.split(EPILOGUE)[0]):
            skipped += 1
            continue
        checker = _checker(args, seed, second)
        try:
            found = checker(src)
        except Discarded:
            discarded += 1
            continue
        if not found:
            passed += 1
            continue
        failed += 1
        classes[found[0].key()] = classes.get(found[0].key(), 0) + 1
        if args.quiet:
            continue
        if args.shrink:
            src = shrink(src, second_order=second, checker=checker)
            found = checker(src) or found
        print(f"--- seed {seed}{f' {Plan.of_seed(seed)}' if args.vmap else ''}: " + "\n    ".join(map(str, found)))
        if src not in shown:
            shown.add(src)
            print(src)
        sys.stdout.flush()
    elapsed = time.perf_counter() - start
    if args.vmap and not args.quiet:
        print(f"vmap refused {sum(REFUSALS.values())} runs:")
        for (mode, msg), count in REFUSALS.most_common(15):
            print(f"  {count:6d}  [{mode}] {msg}")
    for (kind, mode), count in sorted(classes.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  [{mode}] {kind}")
    print(f"{args.n} programs in {elapsed:.1f} s ({args.n / elapsed:.0f}/s), "
          f"{discarded} discarded (NumPy raised), {skipped} excluded")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _checker(args, seed: int, second: bool):
    """check(source) of the mode asked for (the vmap mode's plan comes from the seed)."""
    if args.vmap:
        plan = Plan.of_seed(seed)
        return lambda src: check_vmap(src, plan)
    return lambda src: check(src, second_order=second)


def _one(src: str, args) -> int:
    """Check a saved program (a repro): its discrepancies, and its shrunk form if asked."""
    check1 = _checker(args, args.plan_seed or 0, True)
    try:
        found = check1(src)
    except Discarded as e:
        print(f"discarded: {e}")
        return 0
    if found and args.shrink:
        src = shrink(src, second_order=True, checker=check1)
        print(src)
        found = check1(src) or found
    print("\n".join(map(str, found)) or "no discrepancy")
    print(f"{int(not found)} passed, {int(bool(found))} failed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

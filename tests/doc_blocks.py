"""Run the ```python blocks of a documentation page, as tests/test_docs.py does for every page.

A page's blocks run in order in one namespace, so a block can use the names of
the blocks before it. A block of ``>>>`` examples runs as a doctest: its shown
outputs are compared (whitespace normalised, ``...`` matches anything). Any
other block runs as a script and passes if it raises nothing (write an
``assert`` for what it should compute). A block that only illustrates (a
fragment of a larger file, a command to copy) is marked with the comment
``<!-- no-test -->`` on the line before its fence; tests/test_docs.py lists
those blocks by page, so that they stay few.

Run one page by hand: ``python tests/doc_blocks.py docs/tutorial.md``.
"""

from __future__ import annotations

import dataclasses
import doctest
import io
import pathlib
import re
import sys
import textwrap
import traceback

NO_TEST = "<!-- no-test -->"
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>[^`]*)$")
# Languages that would look like Python to a reader but escape this runner: refused by the test.
UNTESTED_PYTHON = {"py", "pycon", "python3", "ipython", "py3"}


@dataclasses.dataclass
class Block:
    lineno: int  # of the first line of code (1-based)
    language: str
    code: str
    no_test: bool


def blocks(path: pathlib.Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order, with their language and no-test mark."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks = m["indent"], m["ticks"]
        language = m["info"].strip().split()[0].lower() if m["info"].strip() else ""
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        end = i + 1
        while end < len(lines) and lines[end].strip() != ticks:
            end += 1
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[i + 1:end]]
        found.append(Block(i + 2, language, textwrap.dedent("\n".join(body)) + "\n", previous == NO_TEST))
        i = end + 1
    return found


def run_page(path: pathlib.Path) -> tuple[int, int, list[str]]:
    """Run the page's python blocks, up to the first that fails: (blocks run, skipped, failure reports)."""
    namespace: dict = {"__name__": "__docs__", "__file__": str(path)}
    ran = skipped = 0
    failures: list[str] = []
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    for block in blocks(path):
        if block.language != "python":
            continue
        if block.no_test:
            skipped += 1
            continue
        ran += 1
        if re.search(r"^>>> ", block.code, re.MULTILINE):
            test = doctest.DocTestParser().get_doctest(block.code, namespace, f"{path.name}:{block.lineno}",
                                                       str(path), block.lineno - 1)
            test.globs = namespace  # DocTest copies the names it is given: share the page's own
            report = io.StringIO()
            result = doctest.DocTestRunner(optionflags=flags).run(test, out=report.write, clear_globs=False)
            if result.failed:
                failures.append(report.getvalue())
                break  # the blocks after it would fail on the names it did not define
        else:
            # Padded with blank lines so that a traceback gives the line numbers of the page.
            code = compile("\n" * (block.lineno - 1) + block.code, str(path), "exec")
            try:
                exec(code, namespace)
            except Exception:
                failures.append(f"{path}, block at line {block.lineno}:\n{traceback.format_exc()}")
                break
    return ran, skipped, failures


if __name__ == "__main__":
    page = pathlib.Path(sys.argv[1])
    ran, skipped, failures = run_page(page)
    print(f"{page}: {ran} blocks run, {skipped} skipped, {len(failures)} failed")
    for failure in failures:
        print(failure)
    sys.exit(1 if failures else 0)

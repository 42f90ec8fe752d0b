"""The documentation: generated pages are current, and every page's code runs."""

import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

from tests.doc_blocks import UNTESTED_PYTHON, blocks

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_coverage_table_is_current():
    spec = importlib.util.spec_from_file_location("coverage_table", ROOT / "tools" / "coverage_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "coverage.md").read_text()
    if module.versions() not in page:  # generated with other versions: other functions exist
        pytest.skip(f"docs/coverage.md lists the functions of other versions than {module.versions()}")
    assert page == module.render(), (
        "docs/coverage.md is stale: run python tools/coverage_table.py"
    )


# Every documentation page whose ```python blocks run as a test (tests/doc_blocks.py says how).
PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if any(b.language == "python" for b in blocks(p)))
# The blocks that only illustrate, by page: fragments of the library's own files. Keep this short.
NO_TEST = {"design.md": 2}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_page_code_runs(page):
    # Each page in its own interpreter: a page may install the autograd alias or change global settings.
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "doc_blocks.py"), str(page)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout


def test_illustrative_blocks_are_listed():
    skipped = {str(p.relative_to(ROOT / "docs")): sum(b.no_test for b in blocks(p) if b.language == "python")
               for p in PAGES}
    assert {page: n for page, n in skipped.items() if n} == NO_TEST


def test_python_blocks_are_marked_python():
    # A block fenced as py, pycon... would escape the runner: the pages use ```python for Python.
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for block in blocks(page):
            assert block.language not in UNTESTED_PYTHON, f"{page}:{block.lineno}: fence it as ```python"


def test_pages_are_in_the_site_navigation():
    # mkdocs.yml's nav names every page (mkdocs --strict itself fails on a nav entry with no page).
    nav = re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert sorted(pages - set(nav)) == [], "add these pages to the nav of mkdocs.yml"
    assert sorted(set(nav) - pages) == [], "the nav of mkdocs.yml names pages that do not exist"

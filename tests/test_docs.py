"""Generated documentation is current."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_coverage_table_is_current():
    spec = importlib.util.spec_from_file_location("coverage_table", ROOT / "tools" / "coverage_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "coverage.md").read_text() == module.render(), (
        "docs/coverage.md is stale: run python tools/coverage_table.py"
    )
def test_howto_optimize_page_runs():
    import doctest

    result = doctest.testfile(str(ROOT / "docs" / "howto-optimize.md"), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0

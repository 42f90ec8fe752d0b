"""Docstrings as Markdown for the documentation site's API pages (a griffe extension, named in mkdocs.yml).

tapegrad's docstrings are written for ``help()`` and doctest: examples as
``>>>`` sessions, code in double backticks, a few Sphinx roles. Markdown would
read a ``>>>`` line as three nested quotes, so each session is fenced as a
``pycon`` block; ``:func:`name``` becomes ``name`` in code; a paragraph ending
in ``::`` (reST's literal block) ends in ``:``, its indented block already
being a Markdown code block. Only the rendering changes: the docstrings
themselves stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


def to_markdown(text: str) -> str:
    """``text`` with its doctest sessions fenced and its Sphinx roles as code spans."""
    out: list[str] = []
    in_session = in_fence = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```") and not in_session:  # a fence of its own: left as it is
            in_fence = not in_fence
        if in_fence or stripped.startswith("```"):
            out.append(line)
            continue
        if not in_session and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}```pycon")
            in_session = True
        elif in_session and not stripped:  # a blank line ends a doctest session
            out.append(f"{indent}```")
            in_session = False
        if not in_session:
            line = _ROLE.sub(r"`\1`", line)
            if line.endswith("::") and not line.endswith(" ::"):
                line = line[:-1]
        out.append(line)
    if in_session:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Rewrite each docstring with :func:`to_markdown` once the object tree is loaded."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:  # the top package gets no on_object
        self.on_object(obj=pkg)

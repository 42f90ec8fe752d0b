"""Statistics functions (rules to be added)."""

from __future__ import annotations

__all__: list[str] = []

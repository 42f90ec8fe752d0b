"""Remaining NumPy functions (rules being added)."""

from __future__ import annotations

__all__: list[str] = []

"""A one-line Static that rebuilds its text for its width (parts are left out whole instead of being cut)."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static


class FittedLine(Static):
    """One line whose content comes from ``build(width)``, rebuilt whenever the width changes."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__("", markup=False, classes=classes)
        self._build: Callable[[int | None], Content] | None = None

    def set_builder(self, build: Callable[[int | None], Content]) -> None:
        """Show ``build(width)`` from now on (called again on every resize)."""
        self._build = build
        self._refit()

    def on_resize(self) -> None:
        self._refit()

    def _refit(self) -> None:
        if self._build is None:
            return
        width = self.content_region.width if self.is_mounted and self.size.width else None
        self.update(self._build(width))

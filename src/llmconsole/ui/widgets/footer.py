"""The footer with F1 (help) always first, so a narrow terminal that cuts the footer never hides it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # noqa: PLC2701 - the footer's own key widget, to reorder them

FIRST_ACTIONS = ("app.help", "help")
"""Actions whose keys lead the footer."""


class ConsoleFooter(Footer):
    """Textual's footer, with the help key moved to the front (the app's bindings otherwise come last)."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action in FIRST_ACTIONS]
        yield from first
        yield from (w for w in widgets if w not in first)

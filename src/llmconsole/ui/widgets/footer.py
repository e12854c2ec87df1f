"""The footer with F1 (help) always first, so a narrow terminal that cuts the footer never hides it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # noqa: PLC2701 - the footer's own key widget, to reorder them

FIRST_ACTIONS = ("app.help", "help")
"""Actions whose keys lead the footer."""


class ConsoleFooter(Footer):
    """Textual's footer, with the help key moved to the front (the app's bindings otherwise come last)."""

    def on_mount(self) -> None:
        # Mounted after the screen's bindings were announced (see FooterRow): list them now, not at the next change.
        self.bindings_changed(self.screen)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action in FIRST_ACTIONS]
        yield from first
        yield from (w for w in widgets if w not in first)


class FooterRow(Vertical):
    """The footer's row (docked at the bottom, in the footer's colours). The footer mounts into it just after
    the first frame: its keys never showed in that frame anyway (Textual's footer lists them one refresh
    later), so the first frame does not build it."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_footer)

    def _mount_footer(self) -> None:
        if self.is_attached:  # (not when the app quits at once)
            self.mount(ConsoleFooter())

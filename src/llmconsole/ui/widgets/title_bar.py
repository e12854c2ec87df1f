"""The one-line bar at the top of a screen: an icon, then "title — subtitle" centred.

It shows what Textual's ``Header`` shows, drawn by one widget instead of four (icon, title, clock space and
the header around them): every widget costs styling, layout and messages before the first frame.
"""

from __future__ import annotations

from textual.content import Content
from textual.events import Click
from textual.widget import Widget

ICON_WIDTH = 8
"""Columns of the icon at the left (clicking there opens the command palette)."""
RIGHT_SPACE = 10
"""Columns kept empty at the right, where Textual's header keeps its clock."""


def title_line(icon: str, title: Content, width: int) -> Content:
    """The bar's line ``width`` columns wide: `` icon``, then ``title`` centred in what is left (cut with
    "…" when it does not fit), then :data:`RIGHT_SPACE` blank columns."""
    icon_part = Content(f" {icon}").truncate(ICON_WIDTH, pad=True)
    middle = max(0, width - ICON_WIDTH - RIGHT_SPACE)
    shown = title.rstrip().truncate(middle, ellipsis=True)
    left = (middle - shown.cell_length) // 2
    right = width - ICON_WIDTH - left - shown.cell_length
    return Content.assemble(icon_part, " " * left, shown, " " * max(0, right)).truncate(width)


class TitleBar(Widget):
    """The screen's title and subtitle (falling back to the app's), kept current as either changes."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, icon: str = "◆", *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.icon = icon

    def on_mount(self) -> None:
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self._retitle, init=False)
            self.watch(owner, "sub_title", self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    @property
    def text(self) -> Content:
        """Title and subtitle as shown (the app's ``format_title``)."""
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        return title_line(self.icon, self.text, self.size.width)

    async def on_click(self, event: Click) -> None:
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")

"""The approval dialog: a tool call is shown (server, tool, arguments as indented JSON) before anything runs.

The tool-round flow in ``llmconsole.core.chat`` asks through an approval callback; :func:`ask_approval` is the
console's: it opens :class:`ToolApprovalModal` and returns the choice (``once``, ``always``, ``decline`` or
``cancel``). Focus starts on the arguments, never on a button: an Enter typed a moment too late runs nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from llmconsole.ui.styles import TOOLS_CSS

if TYPE_CHECKING:
    from textual.app import App

    from llmconsole.core.tools.events import ApprovalChoice, ToolApprovalRequest

MAX_SHOWN_CHARS = 200_000
"""Arguments longer than this are shown cut (the tool still gets all of them): the dialog opens at once."""

MAX_ARGUMENT_ROWS = 20
"""The arguments' view is at most this tall; less where the terminal is short (the buttons stay on screen)."""
MIN_ARGUMENT_ROWS = 3

CHOICES: dict[str, ApprovalChoice] = {
    "tool-once": "once",
    "tool-always": "always",
    "tool-decline": "decline",
    "tool-cancel": "cancel",
}
"""Button id -> the choice it makes."""


def shown_arguments(pretty: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """The arguments as the dialog shows them: whole, or cut at ``limit`` characters with a line saying so."""
    if len(pretty) <= limit:
        return pretty
    return f"{pretty[:limit]}\n… ({len(pretty) - limit:,} more characters not shown; the tool gets them all)"


class ToolApprovalModal(ModalScreen["ApprovalChoice"]):
    """Run this tool call? The server, the tool, what it does and the arguments (scroll them with the keys
    of a text view: up/down, page up/down).

    | Key | Action |
    | :- | :- |
    | y | Run this call once. |
    | a | Run it, and every later call of this tool in this conversation, without asking. |
    | n | Decline: nothing runs, the model is told the user declined. |
    | escape | Cancel the turn: nothing more runs or is sent. |
    """

    CSS_PATH = TOOLS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('once')", "Run once", tooltip="Tool approval: run this call once", id="tool-once"),
        Binding(
            "a",
            "choose('always')",
            "Always",
            tooltip="Tool approval: run this tool without asking again in this conversation",
            id="tool-always",
        ),
        Binding(
            "n", "choose('decline')", "Decline", tooltip="Tool approval: decline (the model is told)", id="tool-decline"
        ),
        Binding(
            "escape", "choose('cancel')", "Cancel turn", tooltip="Tool approval: cancel the turn", id="tool-cancel"
        ),
    ]

    def __init__(self, request: ToolApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        request = self.request
        spec = request.spec
        with Vertical(id="tool-dialog"):
            yield Static(Content.styled("Run a tool?", "bold $warning"), id="tool-title")
            if spec is not None:
                where = "the proxy's MCP gateway" if spec.source == "proxy" else "a local MCP server"
                server = spec.server_name or "(no server name)"
                yield Static(
                    Content.assemble(
                        ("server ", "$text-muted"),
                        (server, "bold"),
                        (f"  ({where})", "$text-muted"),
                        "\n",
                        ("tool   ", "$text-muted"),
                        (spec.name, "bold $accent"),
                    ),
                    id="tool-who",
                )
                summary = spec.summary(200)
                if summary:
                    yield Static(Content(summary), id="tool-summary", markup=False)
            else:
                yield Static(
                    Content.assemble(
                        ("tool   ", "$text-muted"),
                        (request.call.name, "bold $accent"),
                        ("\nThe model asked for a tool it was not offered: it will not run.", "$error"),
                    ),
                    id="tool-who",
                )
            yield Static(Content.styled("arguments", "$text-muted"), id="tool-args-label")
            yield TextArea(
                shown_arguments(request.pretty_arguments),
                id="tool-args",
                read_only=True,
                soft_wrap=True,
                show_cursor=False,
                compact=True,
            )
            with Horizontal(id="tool-buttons"):
                yield Button("Run once (y)", id="tool-once", variant="primary")
                yield Button("Always this tool (a)", id="tool-always")
                yield Button("Decline (n)", id="tool-decline")
                yield Button("Cancel turn (esc)", id="tool-cancel")

    def on_mount(self) -> None:
        for args in self.query("#tool-args"):  # (none when the app quits as the dialog opens)
            args.focus()
        self.call_after_refresh(self._fit_arguments)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_arguments)

    def _fit_arguments(self) -> None:
        """As tall as the arguments need, up to :data:`MAX_ARGUMENT_ROWS`, and no taller than the screen leaves
        once every other part of the dialog (its buttons too) is shown."""
        if not self.is_attached or not self.query("#tool-args"):
            return  # answered (or the app quit) before the first layout
        dialog = self.query_one("#tool-dialog")
        args = self.query_one("#tool-args", TextArea)
        others = sum(
            child.outer_size.height + child.styles.margin.top + child.styles.margin.bottom
            for child in dialog.children
            if child is not args
        )
        frame = dialog.styles.gutter.height + args.styles.margin.top + args.styles.margin.bottom
        room = int(self.size.height * 0.95) - others - frame
        rows = max(MIN_ARGUMENT_ROWS, min(MAX_ARGUMENT_ROWS, room))
        if args.styles.max_height is None or args.styles.max_height.value != rows:
            args.styles.max_height = rows

    def action_choose(self, choice: ApprovalChoice) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(CHOICES.get(event.button.id or "", "cancel"))


async def ask_approval(app: App[object], request: ToolApprovalRequest) -> ApprovalChoice:
    """Open the dialog over whatever screen is showing and wait for the choice (the flow's approval callback).

    When the waiting turn is cancelled (the conversation closed under it), the dialog closes too."""
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[ApprovalChoice] = loop.create_future()

    def chosen(choice: ApprovalChoice | None) -> None:
        if not answered.done():
            answered.set_result(choice if choice is not None else "cancel")

    modal = ToolApprovalModal(request)
    app.push_screen(modal, chosen)
    try:
        return await answered
    except asyncio.CancelledError:
        if modal.is_current:
            modal.dismiss("cancel")
        raise

"""The offer when a conversation does not fit the model's context window (before sending, or after the proxy
refused it): compact, drop the oldest turns into a new branch, send anyway, or cancel."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

OverflowChoice = Literal["compact", "drop", "send", "cancel"]


class ContextOverflowModal(ModalScreen[OverflowChoice]):
    """What does not fit, and the ways on that can help (compact only with older turns, drop only with
    something to leave out; send anyway and cancel always).

    | Key | Action |
    | :- | :- |
    | c | Compact: a model summarises the older turns into a new branch (the original stays). |
    | d | Drop the oldest turns into a new branch (the original stays). |
    | s | Send anyway. |
    | escape | Cancel (the prompt stays in the input). |
    """

    DEFAULT_CSS = """
    ContextOverflowModal { align: center middle; }
    ContextOverflowModal > #ov-dialog {
        width: 80; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $panel;
    }
    ContextOverflowModal #ov-buttons { height: auto; margin-top: 1; }
    ContextOverflowModal Button { margin-right: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c", "choose('compact')", "Compact", tooltip="Summarise the older turns (a new branch)", id="ov-compact"
        ),
        Binding(
            "d", "choose('drop')", "Drop oldest", tooltip="Leave the oldest turns out (a new branch)", id="ov-drop"
        ),
        Binding("s", "choose('send')", "Send anyway", tooltip="Send as it is", id="ov-send"),
        Binding("escape", "choose('cancel')", "Cancel", tooltip="Keep the prompt in the input", id="ov-cancel"),
    ]

    def __init__(
        self,
        headline: str,
        detail: str,
        *,
        summariser: str,
        choices: Collection[OverflowChoice] = ("compact", "drop"),
    ) -> None:
        """``choices``: which of compact and drop can help (only those are offered; send and cancel always)."""
        super().__init__()
        self.headline = headline
        self.detail = detail
        self.summariser = summariser
        self.choices = frozenset(choices) | {"send", "cancel"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters:
            return parameters[0] in self.choices
        return True

    def _help(self) -> str:
        can = self.choices
        if "compact" not in can and "drop" not in can:
            return (
                "Nothing older is in the way: the prompt alone is larger than the window. Shorten it, or pick a "
                "model with a larger window (ctrl+l); sending anyway will most likely be refused."
            )
        parts = []
        if "compact" in can:
            parts.append(
                f"Compact: {self.summariser} summarises the older turns; the summary and the latest turns start a "
                "new branch."
            )
        if "drop" in can:
            parts.append("Drop: only the latest turns that fit, in a new branch.")
        parts.append("The original conversation stays whole (left/right on its first message switches back).")
        return " ".join(parts)

    def compose(self) -> ComposeResult:
        with Vertical(id="ov-dialog"):
            yield Static(Content.styled(self.headline, "bold $warning"), id="ov-title")
            yield Static(Content(self.detail), id="ov-detail", markup=False)
            yield Static(Content(self._help()), id="ov-help", markup=False)
            with Horizontal(id="ov-buttons"):
                if "compact" in self.choices:
                    yield Button("Compact (c)", id="ov-compact", variant="primary")
                if "drop" in self.choices:
                    yield Button("Drop oldest (d)", id="ov-drop")
                yield Button("Send anyway (s)", id="ov-send")
                yield Button("Cancel (esc)", id="ov-cancel")

    def action_choose(self, choice: OverflowChoice) -> None:
        if choice in self.choices:
            self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = (event.button.id or "ov-cancel").removeprefix("ov-")
        if choice in ("compact", "drop", "send", "cancel"):
            self.dismiss(choice)  # type: ignore[arg-type]

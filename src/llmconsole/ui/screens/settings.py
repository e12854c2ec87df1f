"""A small modal for the current conversation's system prompt and reasoning effort."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, get_args

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, RadioButton, RadioSet, Static, TextArea

from llmconsole.core.config import ReasoningEffort
from llmconsole.ui.styles import MODALS_CSS

EFFORTS: tuple[ReasoningEffort, ...] = get_args(ReasoningEffort)


@dataclass(frozen=True)
class ChatSettings:
    """What the modal edits."""

    system_prompt: str | None
    reasoning_effort: ReasoningEffort


class SettingsModal(ModalScreen[ChatSettings | None]):
    """Edit the system prompt and the reasoning effort; ctrl+s saves, Escape cancels."""

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving", id="settings-cancel"),
        Binding("ctrl+s", "save", "Save", tooltip="Save and close", id="settings-save", priority=True),
    ]

    def __init__(self, current: ChatSettings) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-dialog"):
            yield Static(
                "System prompt (from now on, new conversations too; config.toml sets the default)",
                classes="settings-label",
            )
            yield TextArea(self.current.system_prompt or "", id="settings-system", soft_wrap=True, compact=True)
            yield Static("Reasoning effort (reasoning models)", classes="settings-label")
            with RadioSet(id="settings-effort"):
                for effort in EFFORTS:
                    yield RadioButton(effort, value=effort == self.current.reasoning_effort, id=f"effort-{effort}")
            with Horizontal(id="settings-buttons"):
                yield Button("Save (ctrl+s)", id="settings-save", variant="primary")
                yield Button("Cancel (esc)", id="settings-cancel")

    def on_mount(self) -> None:
        self.query_one("#settings-system", TextArea).focus()

    def result(self) -> ChatSettings:
        text = self.query_one("#settings-system", TextArea).text.strip()
        pressed = self.query_one("#settings-effort", RadioSet).pressed_button
        effort = self.current.reasoning_effort
        if pressed is not None and pressed.id is not None:
            effort = next((e for e in EFFORTS if pressed.id == f"effort-{e}"), effort)
        return ChatSettings(system_prompt=text or None, reasoning_effort=effort)

    @on(Button.Pressed, "#settings-save")
    def action_save(self) -> None:
        self.dismiss(self.result())

    @on(Button.Pressed, "#settings-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

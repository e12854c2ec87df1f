"""The help screen (F1): every key of the main screen, generated from the bindings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Send the prompt"),
    ("ctrl+j / shift+enter", "Newline in the prompt"),
    ("up / down", "Recall earlier prompts (at the first / last line of the prompt)"),
    ("tab / shift+tab", "Move focus (prompt, sidebar, conversation)"),
    ("ctrl+p", "Command palette (every action, and model: <id>)"),
    ("ctrl+c", "Copy the selected text"),
)


def key_table(bindings: Iterable[Binding]) -> Content:
    """Two aligned columns: keys and what they do (with the tooltip when there is one)."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if not binding.description:
            continue
        keys = " / ".join(key.strip() for key in binding.key.split(","))
        rows.append((keys, binding.tooltip or binding.description))
    rows.extend(EXTRA_KEYS)
    width = max(len(keys) for keys, _ in rows)
    lines = [Content.assemble((keys.ljust(width), "bold $accent"), "  ", text) for keys, text in rows]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """The keys, in one place. Escape, F1 or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close", tooltip="Close the help", id="help-close"),
    ]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__()
        self._table = key_table(bindings)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Content.styled("llmconsole keys", "bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._table, id="help-keys")
            yield Static("esc closes", id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)

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

from llmconsole.ui.styles import MODALS_CSS

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Send the prompt"),
    ("up / down", "Recall earlier prompts (at the first / last line of the prompt)"),
    ("tab / shift+tab", "Move focus (prompt, sidebar, conversation)"),
    ("ctrl+p", "Command palette (every action, and model: <id>)"),
    ("ctrl+c", "Copy the selected text"),
)


def key_table(bindings: Iterable[Binding]) -> Content:
    """Aligned columns: keys, what they do (the tooltip when there is one) and the binding id that
    ``[keys]`` in config.toml remaps. One line per key: a narrow screen cuts it with "…", never wraps it."""
    rows: list[tuple[str, str, str]] = []
    for binding in bindings:
        if not binding.description:
            continue
        keys = " / ".join(key.strip() for key in binding.key.split(","))
        rows.append((keys, binding.tooltip or binding.description, binding.id or ""))
    rows.extend((keys, text, "") for keys, text in EXTRA_KEYS)
    width = max(len(keys) for keys, _, _ in rows)
    lines = [
        Content.assemble(
            (keys.ljust(width), "bold $accent"), "  ", text, (f"  [{binding_id}]" if binding_id else "", "$text-muted")
        )
        for keys, text, binding_id in rows
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """The keys, in one place. Escape, F1 or q closes."""

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close", tooltip="Close the help", id="help-close"),
    ]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__()
        self._table = key_table(bindings)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(
                Content.assemble(
                    ("llmconsole keys", "bold"), ("  · remap any in config.toml [keys] by its id", "$text-muted")
                ),
                id="help-title",
            )
            with VerticalScroll(id="help-body"):
                yield Static(self._table, id="help-keys")
            yield Static("esc closes", id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)

"""The tool picker: which of the discovered tools are offered to models, for this session.

One row per tool (``server · name`` and the first line of its description), checked when it is offered.
``space`` checks or unchecks the row, ``a`` checks all, ``n`` none, ``enter`` applies, ``escape`` leaves the
selection as it was. The picker returns the tools to offer, in listing order (None when cancelled).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from llmconsole.core.tools.values import ToolSpec
from llmconsole.ui.styles import TOOLS_CSS


def tool_row(spec: ToolSpec) -> Content:
    """``server · name  summary`` (where the tool lives in muted text; never markup)."""
    where = "local " if spec.source == "local" else ""
    server = f"{where}{spec.server_name} · " if spec.server_name else where
    summary = spec.summary(120)
    return Content.assemble(
        (server, "$text-muted"), (spec.name, "bold"), (f"  {summary}" if summary else "", "$text-muted")
    )


class ToolPickerModal(ModalScreen[tuple[ToolSpec, ...] | None]):
    """Check the tools models may call (offered only to models that can call functions).

    | Key | Action |
    | :- | :- |
    | space | Offer the tool or stop offering it. |
    | a / n | All tools / none. |
    | enter | Apply (for this session). |
    | escape | Close without changing anything. |
    """

    CSS_PATH = TOOLS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "apply", "Apply", tooltip="Tool picker: offer the checked tools", id="tools-apply", priority=True
        ),
        Binding("a", "check_all", "All", tooltip="Tool picker: check every tool", id="tools-all"),
        Binding("n", "check_none", "None", tooltip="Tool picker: uncheck every tool", id="tools-none"),
        Binding("escape", "cancel", "Cancel", tooltip="Tool picker: close, nothing changes", id="tools-cancel"),
    ]

    def __init__(self, tools: Sequence[ToolSpec], offered: Sequence[ToolSpec], *, note: str | None = None) -> None:
        """``tools``: every tool discovered; ``offered``: those offered now; ``note``: why some are missing
        (no gateway, a local server that failed), shown under the list."""
        super().__init__()
        self.tools = tuple(tools)
        self.offered = {t.qualified_name for t in offered}
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="tools-dialog"):
            yield Static(self._title(len(self.offered)), id="tools-title")
            yield SelectionList[str](
                *(Selection(tool_row(t), t.qualified_name, t.qualified_name in self.offered) for t in self.tools),
                id="tools-list",
            )
            hint = "space checks · a all · n none · enter applies for this session · esc cancels"
            if not self.tools:
                hint = (
                    "No tools found: the proxy has no MCP gateway or gives this key none, and config.toml has no "
                    "[mcp.servers]. esc closes"
                )
            if self.note:
                hint = f"{self.note}\n{hint}"
            yield Static(Content(hint), id="tools-hint", markup=False)

    def _title(self, count: int) -> str:
        total = len(self.tools)
        offered = "none" if count == 0 else "all" if count == total else f"{count} of {total}"
        return f"Tools offered to models: {offered}"

    @on(SelectionList.SelectedChanged)
    def _checked(self, event: SelectionList.SelectedChanged[str]) -> None:
        for title in self.query("#tools-title").results(Static):  # (none once the picker is closing)
            title.update(self._title(len(event.selection_list.selected)))

    @property
    def selection_list(self) -> SelectionList[str]:
        return self.query_one("#tools-list", SelectionList)

    def on_mount(self) -> None:
        for selection in self.query("#tools-list"):  # (none when the app quits as the picker opens)
            selection.focus()

    def chosen(self) -> tuple[ToolSpec, ...]:
        """The checked tools, in listing order."""
        checked = set(self.selection_list.selected)
        return tuple(t for t in self.tools if t.qualified_name in checked)

    def action_check_all(self) -> None:
        self.selection_list.select_all()

    def action_check_none(self) -> None:
        self.selection_list.deselect_all()

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)

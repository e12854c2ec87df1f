"""The model picker (ctrl+l): type to filter (fuzzy, as the command palette: ``gpt5`` finds ``gpt-5.2``), Enter
selects, Escape closes. Like pi's selector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from llmconsole.ui.matching import rank
from llmconsole.ui.styles import MODALS_CSS
from llmconsole.ui.widgets.formatting import model_option_prompt

if TYPE_CHECKING:
    from textual import events

    from llmconsole.core.proxy.models import ModelInfo

HINT = "enter selects · esc closes"


class ModelPickerModal(ModalScreen[str | None]):
    """Choose a model. Dismisses with the model id, or None on Escape.

    | Key | Action |
    | :- | :- |
    | letters | Filter the list (fuzzy: the letters in order, best matches first). |
    | up/down | Move the highlight. |
    | enter | Choose the highlighted model. |
    | escape | Close without choosing. |
    """

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close the picker without changing the model", id="picker-close"),
    ]

    def __init__(
        self,
        models: Sequence[ModelInfo],
        *,
        current_id: str | None = None,
        preselect_id: str | None = None,
        title: str = "Pick a model",
        first: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.models = list(models)
        self.first = list(first)
        """Model ids listed first while nothing is typed (the smaller siblings after a rate limit)."""
        self.current_id = current_id
        self.preselect_id = preselect_id or current_id
        self.title_text = title
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog"):
            yield Static(self.title_text, id="picker-title", markup=False)
            yield Input(placeholder="type to filter", id="picker-filter")
            yield OptionList(id="picker-list")
            yield Static(HINT, id="picker-hint", markup=False)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#picker-filter", Input)

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    @property
    def highlighted_id(self) -> str | None:
        option = self.option_list.highlighted_option
        return option.id if option is not None else None

    def on_mount(self) -> None:
        self._refresh("")
        self.filter_input.focus()

    def _refresh(self, query: str) -> None:
        shown = rank(self.models, query, lambda model: model.id)
        if self.first and not query.strip():
            order = {model_id: index for index, model_id in enumerate(self.first)}
            shown.sort(key=lambda model: order.get(model.id, len(order)))  # (stable: the rest keep their order)
        self._shown = [m.id for m in shown]
        hint = self.query_one("#picker-hint", Static)
        hint.update(f"no model matches {query.strip()!r} · esc closes" if not shown else HINT)
        hint.set_class(not shown, "-none")
        option_list = self.option_list
        option_list.set_options(Option(model_option_prompt(m, current=m.id == self.current_id), id=m.id) for m in shown)
        if self.preselect_id in self._shown:
            option_list.highlighted = self._shown.index(self.preselect_id)
        elif self._shown:
            option_list.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._refresh(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _filter_submitted(self) -> None:
        if self.highlighted_id is not None:  # (with no match, Enter leaves the picker open: the line says why)
            self.dismiss(self.highlighted_id)

    @on(OptionList.OptionSelected, "#picker-list")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if event.key in ("up", "down") and self.filter_input.has_focus:
            event.stop()
            event.prevent_default()
            option_list = self.option_list
            if event.key == "up":
                option_list.action_cursor_up()
            else:
                option_list.action_cursor_down()

    def action_close(self) -> None:
        self.dismiss(None)

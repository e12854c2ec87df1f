"""The model picker (ctrl+l): type to filter (fuzzy, as the command palette: ``gpt5`` finds ``gpt-5.2``), Enter
selects, Escape closes. Like pi's selector."""

from __future__ import annotations

import re
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

_SMALL = ("haiku", "mini", "nano", "flash", "lite", "small", "tiny", "instant", "8b", "7b", "3b", "1b")
_MEDIUM = ("sonnet", "medium", "turbo", "13b", "32b")


def size_tier(model_id: str) -> int:
    """0 small (haiku, mini, flash...), 1 medium (sonnet...), 2 large or unmarked (opus, pro, gpt-5...)."""
    tokens = set(re.split(r"[^a-z0-9]+", model_id.lower()))
    lowered = model_id.lower()
    if any(word in tokens for word in _SMALL) or any(word in lowered for word in ("haiku", "mini", "flash")):
        return 0
    if any(word in tokens for word in _MEDIUM) or "sonnet" in lowered:
        return 1
    return 2


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for left, right in zip(a.lower(), b.lower(), strict=False):
        if left != right:
            break
        count += 1
    return count


def smaller_model(current: ModelInfo, models: Sequence[ModelInfo]) -> ModelInfo | None:
    """A smaller model of the same family to switch to after a rate limit (haiku for opus, gpt-5-mini for gpt-5).

    Candidates share the family; a smaller size tier wins (the smallest first, as the seed suggests haiku
    rather than sonnet for opus), then the longest shared prefix with the current id, then a smaller
    context window / max output. None when the family has nothing smaller.
    """
    family = current.family
    if family is None:
        return None
    tier = size_tier(current.id)
    candidates: list[tuple[tuple[int, int, int, int], ModelInfo]] = []
    for model in models:
        if model.id == current.id or model.family != family:
            continue
        model_tier = size_tier(model.id)
        smaller_limits = (model.context_window, model.max_output_tokens) < (
            current.context_window,
            current.max_output_tokens,
        )
        if model_tier > tier or (model_tier == tier and not smaller_limits):
            continue
        key = (model_tier, -_common_prefix(model.id, current.id), -model.context_window, -model.max_output_tokens)
        candidates.append((key, model))
    if not candidates:
        return None
    return min(candidates, key=lambda pair: pair[0])[1]


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
    ) -> None:
        super().__init__()
        self.models = list(models)
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

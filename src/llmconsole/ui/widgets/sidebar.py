"""The model sidebar: a filter input above an :class:`OptionList` of models with capability badges.

States: loading (discovery running and nothing cached), loaded (possibly refreshing in the background),
and failed (a one-line error and the retry key; a cached list stays visible under the error).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from llmconsole.ui.widgets.first_frame import replace_drawing
from llmconsole.ui.widgets.formatting import filter_models, model_option_prompt

if TYPE_CHECKING:
    from textual import events

    from llmconsole.core.proxy.models import ModelInfo


FILTER_PLACEHOLDER = "filter models"


class ModelOptionList(OptionList):
    """The list of models; option ids are the model ids."""


class ModelSidebar(Vertical):
    """Models served by the proxy. Type to filter; arrows and Enter pick one."""

    @dataclass
    class ModelSelected(Message):
        """The user chose a model in the sidebar."""

        sidebar: ModelSidebar
        model_id: str

        @property
        def control(self) -> ModelSidebar:
            return self.sidebar

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(id=id)
        self.models: list[ModelInfo] = []
        self.current_id: str | None = None
        self._options: dict[str, Option] = {}
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        # The first frame draws the empty filter; the Input replaces the drawing just after that frame (its
        # styles and widgets are the sidebar's largest cost before then; nothing can be typed there yet).
        yield Static(FILTER_PLACEHOLDER, id="model-filter-drawing", markup=False)
        yield Static("", id="models-state", markup=False)
        yield ModelOptionList(id="model-list")

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_filter)

    async def _mount_filter(self) -> None:
        for drawing in self.query("#model-filter-drawing"):
            await replace_drawing(drawing, Input(placeholder=FILTER_PLACEHOLDER, id="model-filter", compact=True))

    @property
    def filter_input(self) -> Input:
        """The filter (mounted just after the first frame)."""
        return self.query_one("#model-filter", Input)

    @property
    def query_text(self) -> str:
        """The filter's text ("" before the filter is mounted)."""
        inputs = self.query("#model-filter").results(Input)
        return next((field.value for field in inputs), "")

    def focus_filter(self) -> None:
        for field in self.query("#model-filter"):
            field.focus()

    @property
    def option_list(self) -> ModelOptionList:
        return self.query_one("#model-list", ModelOptionList)

    @property
    def state_line(self) -> Static:
        return self.query_one("#models-state", Static)

    @property
    def shown_ids(self) -> list[str]:
        """The model ids currently listed (after the filter)."""
        return list(self._shown)

    # -- states ---------------------------------------------------------------------------------------

    def show_loading(self) -> None:
        """Discovery is running: say so (the cached list, if any, stays)."""
        text = "refreshing models…" if self.models else "discovering models…"
        self._set_state(Content.styled(text, "$text-muted"), "-loading")

    def show_error(self, message: str) -> None:
        """Discovery failed: one line and the retry key."""
        self._set_state(Content.assemble((message, "$error"), "\n", ("f5 retries", "$text-muted")), "-error")

    def _set_state(self, content: Content | None, state: str) -> None:
        line = self.state_line
        line.set_classes(state)
        line.update(content or "")
        line.display = content is not None

    def set_models(self, models: Sequence[ModelInfo], *, current_id: str | None = None) -> None:
        """Replace the list (keeps the filter)."""
        self.models = list(models)
        if current_id is not None:
            self.current_id = current_id
        self._options = {m.id: Option(model_option_prompt(m, current=m.id == self.current_id), id=m.id) for m in models}
        self._set_state(None if models else Content.styled("no chat models", "$warning"), "")
        self.apply_filter(self.query_text)

    def set_current(self, model_id: str) -> None:
        """Mark ``model_id`` as the current model; a filter that would hide it is cleared."""
        previous, self.current_id = self.current_id, model_id
        query = self.query_text
        if query and model_id not in {m.id for m in filter_models(self.models, query)}:
            self.clear_filter()
        for changed in (previous, model_id):
            if changed is None:
                continue
            model = next((m for m in self.models if m.id == changed), None)
            if model is None:
                continue
            option = Option(model_option_prompt(model, current=changed == model_id), id=changed)
            self._options[changed] = option
            if changed in self._shown:
                self.option_list.replace_option_prompt(changed, option.prompt)
        self._highlight_current()

    def clear_filter(self) -> None:
        """Empty the filter: every model is listed again."""
        for field in self.query("#model-filter").results(Input):
            with field.prevent(Input.Changed):
                field.value = ""
        self.apply_filter("")

    def apply_filter(self, query: str) -> None:
        """Show the models whose id contains every term of ``query``."""
        shown = filter_models(self.models, query)
        self._shown = [m.id for m in shown]
        option_list = self.option_list
        option_list.set_options([self._options[model_id] for model_id in self._shown])
        self._highlight_current()

    def _highlight_current(self) -> None:
        option_list = self.option_list
        if self.current_id in self._shown:
            option_list.highlighted = self._shown.index(self.current_id)
        elif self._shown:
            option_list.highlighted = 0

    # -- events ---------------------------------------------------------------------------------------

    @on(Input.Changed, "#model-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply_filter(event.value)

    @on(Input.Submitted, "#model-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.option_list.highlighted_option
        if option is not None and option.id is not None:
            self.post_message(self.ModelSelected(self, option.id))
            self.clear_filter()  # picked: the filter's job is done (it would hide the current model later)

    @on(OptionList.OptionSelected, "#model-list")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.ModelSelected(self, event.option.id))
            if self.query_text:
                self.clear_filter()

    def on_key(self, event: events.Key) -> None:
        """Up/down in the filter move the list's highlight."""
        if event.key in ("up", "down") and any(field.has_focus for field in self.query("#model-filter")):
            event.stop()
            event.prevent_default()
            if event.key == "up":
                self.option_list.action_cursor_up()
            else:
                self.option_list.action_cursor_down()

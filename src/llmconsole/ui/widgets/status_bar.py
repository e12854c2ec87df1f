"""The line above the footer: model and badges, rate-limit state, context use and the last reply's usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from llmconsole.ui.widgets.formatting import model_badges

if TYPE_CHECKING:
    from llmconsole.core.events import Usage
    from llmconsole.core.models import ModelInfo


class StatusBar(Static):
    """One line of state, rebuilt only when a part changes (the countdown changes it once a second)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__("", id=id, markup=False)
        self.model: ModelInfo | None = None
        self.usage: Usage | None = None
        self.context_percent: float | None = None
        self.rate_limit: Content | None = None
        self.activity: str = ""

    def set_model(self, model: ModelInfo | None) -> None:
        self.model = model
        self._rebuild()

    def set_usage(self, usage: Usage | None) -> None:
        self.usage = usage
        self._rebuild()

    def set_context(self, percent: float | None) -> None:
        self.context_percent = percent
        self._rebuild()

    def set_rate_limit(self, state: Content | None) -> None:
        """The rate-limit part (None hides it)."""
        if state != self.rate_limit:
            self.rate_limit = state
            self._rebuild()

    def set_activity(self, activity: str) -> None:
        """``streaming…`` while a reply arrives, else empty."""
        if activity != self.activity:
            self.activity = activity
            self._rebuild()

    @property
    def plain(self) -> str:
        """The status line as plain text (tests and screen readers)."""
        return self.build().plain

    def build(self) -> Content:
        parts: list[Content] = []
        if self.model is None:
            parts.append(Content.styled("no model", "$text-muted"))
        else:
            parts.append(Content.assemble((self.model.id, "bold"), " ", model_badges(self.model)))
        if self.rate_limit is not None:
            parts.append(self.rate_limit)
        if self.activity:
            parts.append(Content.styled(self.activity, "$accent"))
        if self.context_percent is not None:
            style = "$error" if self.context_percent >= 90 else "$warning" if self.context_percent >= 70 else ""
            parts.append(Content.styled(f"ctx {self.context_percent:.0f}%", style))
        if self.usage is not None:
            usage = self.usage
            text = f"last: in {usage.input_tokens:,}"
            if usage.cached_tokens:
                text += f" ({usage.cached_tokens:,} cached)"
            text += f" out {usage.output_tokens:,}"
            if usage.cost is not None:
                text += f" ${usage.cost:.4f}"
            parts.append(Content.styled(text, "$text-muted"))
        return Content(" │ ").join(parts)

    def _rebuild(self) -> None:
        self.update(self.build())

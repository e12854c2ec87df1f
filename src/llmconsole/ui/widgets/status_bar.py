"""The line above the footer: model and badges, rate-limit state, quota gauge, context use, the last reply's
usage and the conversation's cost."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from llmconsole.ui.widgets.formatting import format_cost, model_badges, quota_text

if TYPE_CHECKING:
    from textual.timer import Timer

    from llmconsole.core.events import Quota, Usage
    from llmconsole.core.proxy.models import ModelInfo

QUOTA_TICK_S = 1.0
"""How often a quota's reset countdown re-reads the clock."""

DROP_ORDER: tuple[str, ...] = ("usage", "cost", "quota", "context", "ending", "activity", "badges", "rate-limit")
"""Parts of the status line left out first when it does not fit (the model id always stays)."""


class StatusBar(Static):
    """One line of state, rebuilt only when a part changes (the countdowns change it once a second)."""

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self.model: ModelInfo | None = None
        self.usage: Usage | None = None
        self.context_percent: float | None = None
        self.context_text: str | None = None
        self.rate_limit: Content | None = None
        self.activity: str = ""
        self.ending: str | None = None
        """How the last reply ended when it was not a plain success (``refused``, ``truncated at …``)."""
        self.quota: Quota | None = None
        """What the last successful reply of the current model said is left (None: nothing said)."""
        self.quota_at: float = 0.0
        """``clock()`` when :attr:`quota` arrived (its reset counts down from there)."""
        self.total_cost: str | None = None
        """``total $0.0123`` / ``total ≥ $0.0123`` / ``total unknown`` for the conversation."""
        self.clock: Callable[[], float] | None = clock
        self._quota_timer: Timer | None = None

    def set_model(self, model: ModelInfo | None) -> None:
        if (model.id if model else None) != (self.model.id if self.model else None):
            self.usage = None  # the last reply's figures belong to the previous model
        self.model = model
        self._rebuild()

    def set_usage(self, usage: Usage | None) -> None:
        self.usage = usage
        self._rebuild()

    def set_context(self, percent: float | None, text: str | None = None) -> None:
        """Context use: ``text`` (the gauge, ``ctx 12.3K/200K · 6%``) or ``ctx N%``; warning colours at 75/90 %."""
        if percent == self.context_percent and text == self.context_text:
            return
        self.context_percent = percent
        self.context_text = text
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
            if activity:
                self.ending = None  # a new reply: the last one's ending no longer applies
            self._rebuild()

    def set_ending(self, ending: str | None) -> None:
        """How the last reply ended, when worth a word (refused, truncated and why); None hides it."""
        if ending != self.ending:
            self.ending = ending
            self._rebuild()

    def set_quota(self, quota: Quota | None, received_at: float = 0.0) -> None:
        """The quota gauge of the current model (None hides it); its reset counts down from ``received_at``."""
        self.quota, self.quota_at = quota, received_at
        counting = quota is not None and (quota.reset_tokens_s is not None or quota.reset_requests_s is not None)
        if counting and self._quota_timer is None and self.clock is not None and self.is_mounted:
            self._quota_timer = self.set_interval(QUOTA_TICK_S, self._rebuild, name="quota-countdown")
        elif not counting and self._quota_timer is not None:
            self._quota_timer.stop()
            self._quota_timer = None
        self._rebuild()

    def set_total_cost(self, text: str | None) -> None:
        """The conversation's cost (None hides it)."""
        if text != self.total_cost:
            self.total_cost = text
            self._rebuild()

    @property
    def quota_part(self) -> Content | None:
        """The gauge as it reads now (the reset counted down from the clock)."""
        if self.quota is None:
            return None
        elapsed = self.clock() - self.quota_at if self.clock is not None else 0.0
        return quota_text(self.quota, elapsed)

    @property
    def plain(self) -> str:
        """The status line as plain text (tests and screen readers)."""
        return self.build().plain

    def parts(self) -> list[tuple[str, Content]]:
        """The named parts of the line, in display order (see :data:`DROP_ORDER` for the names)."""
        parts: list[tuple[str, Content]] = []
        if self.model is None:
            parts.append(("model", Content.styled("no model", "$text-muted")))
        else:
            parts.append(("model", Content.styled(self.model.id, "bold")))
            parts.append(("badges", model_badges(self.model)))
        if self.rate_limit is not None:
            parts.append(("rate-limit", self.rate_limit))
        if self.activity:
            parts.append(("activity", Content.styled(self.activity, "$accent")))
        if self.ending:
            parts.append(("ending", Content.styled(self.ending, "$warning")))
        quota = self.quota_part
        if quota is not None:
            parts.append(("quota", quota))
        if self.context_percent is not None:
            style = "$error" if self.context_percent >= 90 else "$warning" if self.context_percent >= 75 else ""
            text = self.context_text or f"ctx {self.context_percent:.0f}%"
            parts.append(("context", Content.styled(text, style)))
        if self.total_cost is not None:
            parts.append(("cost", Content.styled(self.total_cost, "$text-muted")))
        if self.usage is not None:
            usage = self.usage
            text = f"last: in {usage.input_tokens:,}"
            if usage.cached_tokens:
                text += f" ({usage.cached_tokens:,} cached)"
            text += f" out {usage.output_tokens:,}"
            if usage.cost is not None:
                text += f" {format_cost(usage.cost)}"
            parts.append(("usage", Content.styled(text, "$text-muted")))
        return parts

    def build(self, width: int | None = None) -> Content:
        """The line; with ``width``, the least useful parts (:data:`DROP_ORDER`) are left out until it fits,
        so no part is ever cut in the middle (the model id is never left out)."""
        parts = self.parts()

        def join(kept: list[tuple[str, Content]]) -> Content:
            pieces: list[Content] = []
            for index, (name, content) in enumerate(kept):
                if index:
                    pieces.append(Content(" " if name == "badges" else " │ "))
                pieces.append(content)
            return Content.assemble(*pieces)

        line = join(parts)
        for name in DROP_ORDER:
            if width is None or line.cell_length <= width:
                break
            if any(part == name for part, _ in parts):
                parts = [(part, content) for part, content in parts if part != name]
                line = join(parts)
        return line

    def on_resize(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        width = self.content_region.width if self.is_mounted and self.size.width else None
        self.update(self.build(width))

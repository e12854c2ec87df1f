"""The rate-limit modal and the countdown it shares with the status bar.

The countdown and its resend policy are the core's (``llmconsole.core.chat.resend``); here is how they are
shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from llmconsole.core.chat.resend import MAX_AUTO_RESENDS, ResendCountdown
from llmconsole.ui.styles import MODALS_CSS
from llmconsole.ui.widgets.formatting import countdown_text

if TYPE_CHECKING:
    from llmconsole.core.proxy.ratelimit import RateLimitInfo

RateLimitChoice = Literal["switch", "close"]


def limit_type_words(limit_type: str | None) -> str:
    """``input_tokens_per_minute`` -> ``input tokens per minute`` (the core's wording when it has one)."""
    if not limit_type:
        return "unknown limit"
    try:
        from llmconsole.core.proxy.ratelimit import describe_limit_type
    except ImportError:  # pragma: no cover - the core module lands separately
        return limit_type.replace("_", " ")
    return describe_limit_type(limit_type)


def what_to_do(info: RateLimitInfo, model_id: str, *, databricks: bool) -> list[str]:
    """The seed's "What to do" lines for this limit (the Databricks one only for Databricks models)."""
    from llmconsole.core.proxy.ratelimit import format_rate_limit

    text = format_rate_limit(info, model_id, databricks=databricks)
    _, _, tail = text.partition("What to do:")
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return [line if line.startswith("•") else f"• {line}" for line in lines]


class RateLimitCountdown(ResendCountdown):
    """The countdown (``llmconsole.core.chat.resend``) as the dialog and the status bar show it."""

    def limit_words(self) -> str:
        return limit_type_words(self.info.limit_type)

    def limit_current(self) -> str | None:
        """``Limit: 200000 | Current: 250000`` when the proxy said."""
        limit, current = self.info.limit, self.info.current
        if limit is None and current is None:
            return None
        return f"Limit: {_number(limit)} | Current: {_number(current)}"

    def status(self, now: float) -> Content:
        """The status-bar part: ``rate limit: input tokens per minute 250000 of 200000 · 14s · auto-resend
        (ctrl+x cancels)`` (current of limit, as the providers' messages say it)."""
        remaining = self.remaining(now)
        pieces: list[str | tuple[str, str]] = [("rate limit", "$error bold"), f": {self.limit_words()}"]
        if self.info.limit is not None or self.info.current is not None:
            pieces.append(f" {_number(self.info.current)} of {_number(self.info.limit)}")
        countdown = countdown_text(remaining)
        if self.estimate and remaining > 0:
            countdown += " (est.)"
        pieces += [" · ", (countdown, "$warning bold" if remaining > 0 else "$success bold")]
        if remaining > 0 and self.can_auto_resend:
            pieces.append(" · auto-resend (ctrl+x cancels)")
        elif self.resends_done >= MAX_AUTO_RESENDS and remaining > 0:
            pieces.append(" · no more auto-resends")
        elif remaining <= 0 and not self.can_auto_resend:
            pieces.append(" · ctrl+r resends")
        return Content.assemble(*pieces)


def _number(value: object) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


class RateLimitModal(ModalScreen[RateLimitChoice]):
    """What was hit, a live countdown, what to do, and the actions.

    | Key | Action |
    | :- | :- |
    | s | Switch to a smaller model now. |
    | a | Toggle the automatic resend at zero. |
    | ctrl+x | Cancel the automatic resend (as on the main screen). |
    | escape | Close (the countdown and the pending resend stay in the status bar). |
    """

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close; the countdown stays in the status bar", id="rl-close"),
        Binding("s", "switch", "Switch model", tooltip="Pick a smaller model of the same family", id="rl-switch"),
        Binding("a", "toggle_auto", "Auto-resend", tooltip="Resend automatically at zero", id="rl-auto"),
        Binding(
            "ctrl+x",
            "cancel_resend",
            "Cancel resend",
            tooltip="Cancel the automatic resend (the dialog stays)",
            id="rl-cancel-resend",
            priority=True,
        ),
    ]

    def __init__(self, countdown: RateLimitCountdown, clock: Callable[[], float]) -> None:
        super().__init__()
        self.countdown = countdown
        self.clock = clock

    def compose(self) -> ComposeResult:
        state = self.countdown
        info = state.info
        with Vertical(id="rl-dialog"):
            yield Static(Content.assemble(("Rate limit exceeded", "bold"), " — model: ", state.model_id), id="rl-title")
            if info.message:
                yield Static(Content(info.message), id="rl-message", markup=False)
            yield Static(Content.assemble("Limit type: ", (state.limit_words(), "bold")), id="rl-type")
            limits = state.limit_current()
            if limits is not None:
                yield Static(Content(limits), id="rl-limits", markup=False)
            yield Static("", id="rl-countdown", markup=False)
            yield Static(Content.styled("What to do:", "bold"), id="rl-todo-title")
            todo = self._todo_lines()
            yield Static(Content("\n".join(todo)), id="rl-todo", markup=False)
            yield Checkbox(
                f"Resend automatically at zero ({state.resends_done}/3 used)",
                value=state.can_auto_resend,
                disabled=state.resends_done >= 3,
                id="rl-auto",
            )
            with Horizontal(id="rl-buttons"):
                yield Button("Switch model now (s)", id="rl-switch", variant="primary")
                yield Button("Close (esc)", id="rl-close")

    def _todo_lines(self) -> list[str]:
        state = self.countdown
        try:
            return what_to_do(state.info, state.model_id, databricks=state.databricks)
        except ImportError:  # pragma: no cover - the core module lands separately
            return [f"• Wait {state.wait_s:.0f} seconds before retrying"]

    def on_mount(self) -> None:
        self.update_countdown()

    @property
    def countdown_line(self) -> Static:
        return self.query_one("#rl-countdown", Static)

    def update_countdown(self) -> None:
        """Re-read the clock (called by the app's tick; cheap). A tick may come before the dialog is composed."""
        lines = self.query("#rl-countdown").results(Static)
        line = next(lines, None)
        if line is None:
            return
        state = self.countdown
        remaining = state.remaining(self.clock())
        text = countdown_text(remaining)
        if remaining > 0:
            label = f"Retry in {text}" + (" (estimate: the proxy gave no retry-after)" if state.estimate else "")
        else:
            label = "Ready to retry"
        line.update(Content.styled(label, "$warning bold" if remaining > 0 else "$success bold"))

    @on(Checkbox.Changed, "#rl-auto")
    def _auto_changed(self, event: Checkbox.Changed) -> None:
        self.countdown.auto_resend = event.value

    @on(Button.Pressed, "#rl-switch")
    def action_switch(self) -> None:
        self.dismiss("switch")

    @on(Button.Pressed, "#rl-close")
    def action_close(self) -> None:
        self.dismiss("close")

    def action_cancel_resend(self) -> None:
        """ctrl+x: no resend at zero (the main screen's own action: status bar, prompt and notice)."""
        checkbox = self.query_one("#rl-auto", Checkbox)
        with checkbox.prevent(Checkbox.Changed):
            checkbox.value = False
        self.countdown.auto_resend = False
        main = getattr(self.app, "main_screen", None)
        cancel = getattr(main, "action_cancel_resend", None)
        if callable(cancel):
            cancel()

    def action_toggle_auto(self) -> None:
        checkbox = self.query_one("#rl-auto", Checkbox)
        if not checkbox.disabled:
            checkbox.toggle()

"""The rate-limit modal and the countdown it shares with the status bar.

The countdown and its resend policy are the core's (``llmconsole.core.chat.resend``); here is how they are
shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from llmconsole.core.chat.resend import MAX_AUTO_RESENDS, ResendCountdown
from llmconsole.core.proxy.ratelimit import limit_numbers, limit_words, what_to_do
from llmconsole.ui.styles import MODALS_CSS
from llmconsole.ui.widgets.formatting import countdown_text

RateLimitChoice = Literal["switch", "close"]


class RateLimitCountdown(ResendCountdown):
    """The countdown (``llmconsole.core.chat.resend``) as the dialog and the status bar show it."""

    def limit_words(self) -> str:
        """What was hit, in words (``input tokens per minute``), or ``unknown limit`` when nothing says."""
        return limit_words(self.info) or "unknown limit"

    def limit_current(self) -> str | None:
        """``Limit: 200000 | Current: 250000 | Requested: 2000``: the numbers the proxy stated (None: none)."""
        return limit_numbers(self.info)

    def status(self, now: float) -> Content:
        """The status-bar part: ``rate limit: input tokens per minute 250000 of 200000 · 14s · auto-resend
        (ctrl+x cancels)`` (current of limit, as the providers' messages say it)."""
        remaining = self.remaining(now)
        pieces: list[str | tuple[str, str]] = [("rate limit", "$error bold"), f": {self.limit_words()}"]
        if self.info.limit is not None and self.info.current is not None:
            pieces.append(f" {_number(self.info.current)} of {_number(self.info.limit)}")
        elif self.info.limit is not None:
            pieces.append(f" (limit {_number(self.info.limit)})")
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

    def __init__(
        self, countdown: RateLimitCountdown, clock: Callable[[], float], *, smaller: str | None = None
    ) -> None:
        super().__init__()
        self.countdown = countdown
        self.clock = clock
        self.smaller = smaller
        """A smaller model of the same family the proxy serves (the advice names it; ``s`` preselects it)."""

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
        advice = what_to_do(state.info, state.model_id, databricks=state.databricks, smaller=self.smaller)
        return [f"• {line}" for line in advice]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+x is offered only while a resend is pending; ``a`` only while resends are left."""
        if action == "cancel_resend":
            return self.countdown.pending
        if action == "toggle_auto":
            return self.countdown.resends_done < MAX_AUTO_RESENDS and not self.countdown.fired
        return True

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
        self.refresh_bindings()
        actions = getattr(getattr(self.app, "main_screen", None), "rate_limits", None)
        show = getattr(actions, "show", None)
        if callable(show):
            show()  # the status bar says at once whether a resend is pending

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
        self.refresh_bindings()
        main = getattr(self.app, "main_screen", None)
        cancel = getattr(main, "action_cancel_resend", None)
        if callable(cancel):
            cancel()

    def action_toggle_auto(self) -> None:
        checkbox = self.query_one("#rl-auto", Checkbox)
        if not checkbox.disabled:
            checkbox.toggle()

"""The main screen's rate limits: the countdown, its dialog and the automatic resend (decided by the session)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmconsole.core.errors import RateLimitError
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.screens.rate_limit import RateLimitChoice

TICK_S = 0.25
"""How often the rate-limit countdown re-reads the clock."""


class RateLimitActions:
    """A rate limit on screen: the dialog, the countdown in the status bar, the automatic resend at zero (its
    policy is the session's)."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def rate_limited(self, error: RateLimitError, model: ModelInfo) -> None:
        from llmconsole.ui.screens.rate_limit import RateLimitCountdown, RateLimitModal  # (its buttons) when needed

        self.screen.countdown = RateLimitCountdown.start(
            model.id,
            error.info,
            self.screen.clock(),
            databricks=model.is_databricks,
            resends_done=self.screen.session.auto_resends,
        )
        self.start_ticking()
        self.tick()
        if self.screen._rate_limit_modal is not None and self.screen._rate_limit_modal.is_active:
            self.screen._rate_limit_modal.dismiss("close")
        from llmconsole.core.proxy.siblings import smaller_models

        smaller = smaller_models(model, self.screen.models)
        modal = RateLimitModal(self.screen.countdown, self.screen.clock, smaller=smaller[0].id if smaller else None)
        self.screen._rate_limit_modal = modal
        self.screen.app.push_screen(modal, self.choice)

    def choice(self, choice: RateLimitChoice | None) -> None:
        self.screen._rate_limit_modal = None
        self.screen.focus_prompt()
        if choice == "switch" and self.screen.model is not None:
            from llmconsole.core.proxy.siblings import smaller_models

            smaller = [m.id for m in smaller_models(self.screen.model, self.screen.models)]
            self.screen.action_pick_model(smaller[0] if smaller else None, then_resend=True, first=smaller)

    def show(self) -> None:
        """Show the countdown as it is now (after the dialog turned the automatic resend on or off)."""
        if self.screen.countdown is not None:
            self.screen.status_bar.set_rate_limit(self.screen.countdown.status(self.screen.clock()))
            self.screen.refresh_bindings()

    def start_ticking(self) -> None:
        if self.screen._tick_timer is None:
            self.screen._tick_timer = self.screen.set_interval(TICK_S, self.tick, name="rate-limit-countdown")

    def stop_ticking(self) -> None:
        if self.screen._tick_timer is not None:
            self.screen._tick_timer.stop()
            self.screen._tick_timer = None

    def clear(self) -> None:
        self.screen.countdown = None
        self.stop_ticking()
        self.screen.status_bar.set_rate_limit(None)
        self.screen.refresh_bindings()  # ctrl+x leaves the key bar with the countdown

    def tick(self) -> None:
        """Re-read the clock: update the countdowns, and resend at zero when that is on."""
        countdown = self.screen.countdown
        if countdown is None:
            self.stop_ticking()
            return
        now = self.screen.clock()
        modal = self.screen._rate_limit_modal
        if modal is not None and modal.is_attached:
            modal.update_countdown()
        if countdown.remaining(now) > 0 or countdown.fired:  # (the session's resend_step would say "wait")
            self.screen.status_bar.set_rate_limit(countdown.status(now))
            return
        self.stop_ticking()
        self.screen.refresh_bindings()  # zero: nothing left for ctrl+x to cancel
        if self.screen.session.resend_step(countdown, now) == "resend":
            if modal is not None and modal.is_active:
                modal.dismiss("close")
            session = self.screen.session
            self.screen.pane.add_notice(f"Resending automatically ({session.auto_resends}/{session.max_auto_resends}).")
            self.screen._retry_last()
        self.screen.status_bar.set_rate_limit(countdown.status(now))

    def cancel_resend(self) -> None:
        """Cancel the pending automatic resend (the prompt stays in the conversation: ctrl+r sends it)."""
        if self.screen.countdown is None:
            return
        self.screen.countdown.auto_resend = False
        self.screen.status_bar.set_rate_limit(self.screen.countdown.status(self.screen.clock()))
        self.screen.refresh_bindings()  # ctrl+x leaves the key bar, also the one under the rate-limit dialog
        self.screen.notify("Automatic resend cancelled: ctrl+r sends the prompt again.")

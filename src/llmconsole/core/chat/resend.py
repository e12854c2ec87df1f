"""Waiting out a rate limit: :class:`ResendCountdown`, the policy of the automatic resend.

The countdown is computed from an injected monotonic clock (``deadline - clock()``), never from counted
ticks, so it stays right however late a timer fires. Without a ``retry_after`` the seed's 60 seconds are
counted down and marked as an estimate. What is shown of it (the status bar, the dialog) is the UI's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Self

from llmconsole.core.errors import MAX_RETRY_AFTER_S
from llmconsole.core.proxy.ratelimit import waiting_helps

if TYPE_CHECKING:
    from llmconsole.core.proxy.ratelimit import RateLimitInfo

ESTIMATED_WAIT_S = 60.0
"""The wait when the proxy gives no retry-after (the seed's default)."""
MAX_AUTO_RESENDS = 3
"""Automatic resends of one prompt after rate limits, at most."""

ResendStep = Literal["wait", "resend", "stopped"]
"""What a countdown means now: time is left (or it ended already), resend now, or zero was reached and
nothing is resent (resend off, the limit of resends reached, the conversation busy or nothing unanswered)."""


@dataclass
class ResendCountdown:
    """A rate limit being waited out: what was hit, until when, and whether to resend at zero."""

    model_id: str
    info: RateLimitInfo
    started_at: float
    """``clock()`` when the limit was hit."""
    wait_s: float
    estimate: bool
    """True when the proxy gave no retry-after (``wait_s`` is the seed's 60 s)."""
    databricks: bool = False
    auto_resend: bool = True
    """Resend the prompt when the countdown reaches zero."""
    resends_done: int = 0
    """Automatic resends of this prompt so far (at most :data:`MAX_AUTO_RESENDS`)."""
    fired: bool = False
    """Zero was reached (and the automatic resend happened, or there was nothing to do)."""

    @classmethod
    def start(
        cls, model_id: str, info: RateLimitInfo, now: float, *, databricks: bool = False, resends_done: int = 0
    ) -> Self:
        retry = info.retry_after
        estimate = retry is None or retry <= 0
        return cls(
            model_id=model_id,
            info=info,
            started_at=now,
            wait_s=ESTIMATED_WAIT_S if estimate or retry is None else float(retry),
            estimate=estimate,
            databricks=databricks,
            # Nobody waits by the screen for a day: beyond the cap there is no automatic resend; nor when the
            # answer says waiting does not help (a quota, a request larger than the limit).
            auto_resend=resends_done < MAX_AUTO_RESENDS
            and not (retry is not None and retry > MAX_RETRY_AFTER_S)
            and waiting_helps(info),
            resends_done=resends_done,
        )

    def remaining(self, now: float) -> float:
        return max(0.0, self.started_at + self.wait_s - now)

    @property
    def can_auto_resend(self) -> bool:
        return self.auto_resend and self.resends_done < MAX_AUTO_RESENDS

    @property
    def pending(self) -> bool:
        """An automatic resend will happen at zero (what ctrl+x cancels)."""
        return self.can_auto_resend and not self.fired

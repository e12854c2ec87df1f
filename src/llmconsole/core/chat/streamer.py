"""What streams a reply (:class:`Streamer`, the client as the session sees it) and what a reply cost.

Shared by the session and compaction, which would otherwise import each other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from llmconsole.core.events import StreamEvent, Usage
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.proxy.request import RequestInput


class Streamer(Protocol):
    """What streams a reply (``ProxyClient``)."""

    def stream_response(
        self,
        model: ModelInfo,
        request: RequestInput,
        *,
        reasoning_effort: str | None = None,
        system_prompt: str | None = None,
    ) -> AsyncIterator[StreamEvent]: ...


def reply_cost(header_cost: float | None, usage: Usage | None, model: ModelInfo | None = None) -> float | None:
    """The cost of one reply: the proxy's ``x-litellm-response-cost`` when > 0, else the usage's cost when > 0,
    else the estimate from the model's prices (None when a price is unknown)."""
    if header_cost is not None and header_cost > 0:
        return header_cost
    if usage is None:
        return None
    if usage.cost is not None and usage.cost > 0:
        return usage.cost
    if model is not None:
        from llmconsole.core.proxy.client import estimate_cost  # httpx: only once a reply has arrived

        return estimate_cost(usage, model)
    return usage.cost

"""What the console shows for a spent budget, a context overflow with numbers and a content filter (issue 18
§3-§5), from real corpus bodies answered by the demo proxy."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from textual.widgets import Static

from llmconsole.core.demo import make_demo_transport
from llmconsole.ui.screens.budget import BudgetModal
from llmconsole.ui.screens.overflow import ContextOverflowModal
from llmconsole.ui.screens.rate_limit import RateLimitModal
from tests.core.error_corpus import entries
from tests.ui.helpers import FakeClock, demo_app, send, wait_ready, wait_until

pytestmark = pytest.mark.anyio
SIZE = (100, 30)


class Answering(httpx.AsyncBaseTransport):
    """The demo proxy, except that every ``POST /v1/responses`` gets one corpus entry's answer."""

    def __init__(self, entry_id: str) -> None:
        self.demo = make_demo_transport(delta_delay=0)
        self.entry = next(e for e in entries() if e.id == entry_id)
        self.posts: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            self.posts.append(json.loads(request.content))
            return httpx.Response(self.entry.status, content=self.entry.http_body().encode())
        return await self.demo.handle_async_request(request)


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_spent_budget_opens_the_budget_dialog_without_countdown() -> None:
    clock = FakeClock()
    transport = Answering("litellm-budget-user-body-7")
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, BudgetModal))
        dialog = app.screen
        assert "Your user budget (ca782d54-4d17-4894-978e-df4bec1b99e6) is spent." in text_of(dialog, "#budget-whose")
        assert "Spent $0.05183585 of $0.05." in text_of(dialog, "#budget-numbers")
        assert "Waiting does not help: the proxy's admin can raise" in text_of(dialog, "#budget-raise")
        assert main.countdown is None and "rate limit" not in main.status_bar.plain
        clock.advance(120)
        main.tick()
        await pilot.pause()
        assert len(transport.posts) == 1  # nothing resent automatically
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert not any(isinstance(s, RateLimitModal) for s in app.screen_stack)


async def test_the_overflow_offer_shows_the_proxys_numbers() -> None:
    app = demo_app(Answering("llamacpp-exceed-context-1"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
        assert "(14,429 tokens, the window is 8,192)" in text_of(app.screen, "#ov-title")
        assert "14,429 tokens, the window is 8,192" in text_of(app.screen, "#ov-detail")


async def test_a_content_filter_is_one_line_and_never_retried() -> None:
    transport = Answering("azure-content-filter-body-1")
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: main.pane.replies and main.pane.replies[-1].message.status == "error")
        error = main.pane.replies[-1].message.error or ""
        assert error.startswith("blocked by the provider's content filter")
        assert "\n" not in error
        assert len(transport.posts) == 1

"""Issue 6 in the app against a real LiteLLM proxy (1.99.4) in front of the fake upstream.

The upstream sends OpenAI-style ``x-ratelimit-*`` headers for gpt-5.2 (LiteLLM passes them through, also as
``llm_provider-x-ratelimit-*``); the prices come from the proxy's config (``/model/info``); streamed replies carry
no cost header, so the cost is computed from those prices. The proxy has no database: ``/key/info`` is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.proxy.fake_upstream import RATELIMIT_HEADERS, Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import PRICES, LiteLLMProxy
from tests.ui.helpers import FakeClock, send, wait_ready, wait_until

from llmconsole.core.config import Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.compare import CompareScreen
from llmconsole.ui.widgets.formatting import format_cost

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

SIZE = (150, 40)


def _app(proxy: LiteLLMProxy) -> LLMConsoleApp:
    settings = Settings(base_url=proxy.base_url, api_key=proxy.master_key, default_model="gpt-5.2")
    return make_app(settings, client=ProxyClient(settings), clock=FakeClock())


def _gpt_cost(usage: Any) -> float:
    prices = PRICES["gpt-5.2"]
    cached = usage.cached_tokens
    return (
        (usage.input_tokens - cached) * prices["input_cost_per_token"]
        + cached * prices["cache_read_input_token_cost"]
        + usage.output_tokens * prices["output_cost_per_token"]
    )


async def test_compare_three_models_one_rate_limited(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.reply("GPT says **hi**.", headers=RATELIMIT_HEADERS))
    upstream.script("claude-opus-4-6", Behaviour.reply("Claude says *hello*.", deltas=3))
    upstream.script("ratelimited-model", Behaviour.rate_limit(retry_after=15))
    app = _app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.start("Say hi", ["gpt-5.2", "claude-opus-4-6", "ratelimited-model"])
        await wait_until(pilot, lambda: len(screen.columns) == 3 and all(c.finished for c in screen.columns))
        await pilot.pause()
        gpt, claude, limited = screen.columns
        assert (gpt.message.status, claude.message.status) == ("completed", "completed")
        assert gpt.text == "GPT says **hi**."
        assert claude.text == "Claude says *hello*."
        assert gpt.message.usage is not None
        gpt_line = str(gpt.telemetry.render())
        assert format_cost(_gpt_cost(gpt.message.usage)) in gpt_line  # from the config's prices
        assert "TTFT" in gpt_line and "completed" in gpt_line
        assert "$" in str(claude.telemetry.render())
        assert limited.message.status == "rate_limited"
        assert limited.text == ""
        error = str(limited.error_line.render())
        assert error.startswith("Rate limited:") and "retry after 15 seconds" in error
        assert "rate limited" in str(limited.telemetry.render())
        # gpt-5.2's headers reached the gauge store; the bridged Databricks model sends none
        assert "gpt-5.2" in main.quotas and "claude-opus-4-6" not in main.quotas
        await pilot.press("1")
        await wait_until(pilot, lambda: app.screen is main)
        assert [m.text for m in main.conversation.messages] == ["Say hi", "GPT says **hi**."]
        assert "tokens 42% left · resets 37s" in main.status_bar.plain


async def test_quota_gauge_and_reply_cost_from_prices(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.reply("Fine, thanks.", headers=RATELIMIT_HEADERS))
    clock = FakeClock()
    settings = Settings(base_url=proxy.base_url, api_key=proxy.master_key, default_model="gpt-5.2")
    app = make_app(settings, client=ProxyClient(settings), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.model is not None and main.model.id == "gpt-5.2"
        assert "left" not in main.status_bar.plain
        await send(pilot, app, "How are you?")
        reply = main.pane.replies[-1]
        assert reply.message.status == "completed"
        usage = reply.message.usage
        assert usage is not None and usage.cost is not None
        assert usage.cost == pytest.approx(_gpt_cost(usage))
        assert format_cost(usage.cost) in str(reply.telemetry.render())
        assert "tokens 42% left · resets 37s" in main.status_bar.plain  # 84000 of 200000
        assert f"total {format_cost(usage.cost)}" in main.status_bar.plain
        clock.advance(30)
        assert "tokens 42% left · resets 7s" in main.status_bar.plain
        # a model whose prices the proxy does not know: unknown, never $0
        main.select_model("acme-large")
        assert "left" not in main.status_bar.plain  # no reply from it yet
        await send(pilot, app, "And you?")
        line = str(main.pane.replies[-1].telemetry.render())
        assert "cost unknown" in line
        assert f"total ≥ {format_cost(usage.cost)}" in main.status_bar.plain


async def test_key_info_refused_without_database_shows_nothing(proxy: LiteLLMProxy) -> None:
    app = _app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.key_info is None
        assert main.title == "llmconsole"
        await send(pilot, app, "hi")  # x-litellm-key-spend is 0.0 on a streamed reply: still nothing
        assert main.key_info is None
        assert main.title == "llmconsole"


async def test_image_attached_in_the_app_reaches_the_upstream(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Any
) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    upstream.script("gpt-5.2", Behaviour.reply("One black pixel."))
    app = _app(proxy)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt(f"what is this @{image}")
        await pilot.pause()
        assert "@pixel.png" in main.attachments.plain
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.pane.replies[-1].text == "One black pixel."
        assert main.conversation.messages[0].attachments
    (request,) = upstream.requests_for("gpt-5.2")
    assert "data:image/png;base64,iVBORw0KGgo" in request.raw.decode()

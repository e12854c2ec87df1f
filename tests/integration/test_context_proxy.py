"""The context gauge against a real LiteLLM proxy: exact counts from POST /utils/token_counter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from tests.proxy.litellm_proxy import MASTER_KEY, LiteLLMProxy

from llmconsole.core.chat.context import ContextMeter, ProxyTokenCounter, available_window
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]


@pytest.fixture
async def client(proxy: LiteLLMProxy, tmp_path: Path) -> AsyncIterator[ProxyClient]:
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY))
    async with ProxyClient(settings, learned=LearnedParams(tmp_path / "learned.json")) as c:
        with anyio.fail_after(20):
            await c.discover()
        yield c


async def test_the_proxy_counts_each_message_once_and_the_gauge_is_exact(client: ProxyClient) -> None:
    model = client.find_model("gpt-5.2")
    counter = ProxyTokenCounter(client)
    meter = ContextMeter(counter)
    conv = Conversation(system_prompt="You are terse.")
    conv.add_user("Count the tokens of this sentence, please. " * 20)
    reply = conv.add_assistant(model.id)
    reply.text, reply.status = "Sure: it has some tokens.", "completed"
    local = meter.gauge(model, conv.system_prompt, conv.messages, prompt="and this prompt")
    assert not local.exact and local.text().startswith("ctx ≈")
    with anyio.fail_after(30):
        assert await meter.refine(model, conv.system_prompt, conv.messages, prompt="and this prompt")
    assert counter.available is True
    exact = meter.gauge(model, conv.system_prompt, conv.messages, prompt="and this prompt")
    assert exact.exact and not exact.text().startswith("ctx ≈")
    assert exact.window == available_window(model)
    # The proxy's tokenizer: about 9 tokens per repeated sentence (not the 4-characters rule's 11).
    user_tokens = meter.exact[(model.id, conv.messages[0].id)]
    assert 150 <= user_tokens <= 230
    assert abs(exact.tokens - local.tokens) < local.tokens  # the same order of magnitude

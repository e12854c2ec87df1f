"""Rejected request fields through the real LiteLLM proxy: each provider's wording and shape, counted upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, LiteLLMProxy

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.errors import BadRequestError
from llmconsole.core.events import Completed, ResponseStarted, StreamEvent
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

STYLES = ["openai", "azure_legacy", "anthropic", "google", "bedrock", "mistral", "vllm", "databricks"]


@pytest.fixture
async def client(proxy: LiteLLMProxy, tmp_path: Path) -> AsyncIterator[ProxyClient]:
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY), system_prompt="Be brief")
    async with ProxyClient(settings, learned=LearnedParams(tmp_path / "learned.json")) as c:
        with anyio.fail_after(20):
            await c.discover()
        yield c


async def send(client: ProxyClient, model: str, **kw: Any) -> list[StreamEvent]:
    conversation = Conversation(model=model)
    conversation.add_user("Say hello")
    with anyio.fail_after(30):
        return [e async for e in client.stream_response(client.find_model(model), conversation.to_request(), **kw)]


@pytest.mark.parametrize("style", STYLES)
async def test_two_rejected_fields_succeed_on_the_first_turn(
    client: ProxyClient, upstream: FakeUpstream, style: Any
) -> None:
    upstream.script("acme-large", Behaviour.reject("prompt_cache_key,store", style=style))
    events = await send(client, "acme-large")
    assert isinstance(events[-1], Completed)
    sent = upstream.requests_for("acme-large")
    assert len(sent) == 3
    assert [("prompt_cache_key" in r.body, "store" in r.body) for r in sent] == [
        (True, True),
        (False, True),
        (False, False),
    ]
    assert sent[-1].body["max_output_tokens"] and sent[-1].body["instructions"] == "Be brief"  # the rest kept
    assert isinstance(events[0], ResponseStarted) and set(events[0].dropped_params) == {"prompt_cache_key", "store"}
    assert client.learned.rejected(client.proxy_key, "acme-large") == {"prompt_cache_key", "store"}
    # the next turn sends neither at once
    await send(client, "acme-large")
    assert len(upstream.requests_for("acme-large")) == 4


async def test_unverified_organisation_keeps_the_effort_and_drops_the_summary(
    client: ProxyClient, upstream: FakeUpstream
) -> None:
    upstream.script("gpt-5.2", Behaviour.reject("reasoning.summary", style="openai_unverified"))
    events = await send(client, "gpt-5.2", reasoning_effort="high")
    assert isinstance(events[-1], Completed)
    sent = upstream.requests_for("gpt-5.2")
    assert [r.body["reasoning"] for r in sent] == [{"effort": "high", "summary": "auto"}, {"effort": "high"}]
    assert client.learned.rejected(client.proxy_key, "gpt-5.2") == {"reasoning_summary"}
    await send(client, "gpt-5.2", reasoning_effort="high")
    assert [r.body["reasoning"] for r in upstream.requests_for("gpt-5.2")][2:] == [{"effort": "high"}]
    models = {m.id: m for m in await client.discover()}
    assert models["gpt-5.2"].sources["reasoning_summary"] == "learned"


@pytest.mark.parametrize(
    "answer",
    [
        # a bad value of a required field
        {
            "error": {
                "message": "Invalid 'input[0].content': string too long.",
                "type": "invalid_request_error",
                "param": "input[0].content",
                "code": "string_above_max_length",
            }
        },
        # the content policy, whatever field it names
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
            }
        },
    ],
)
async def test_a_400_not_about_a_field_is_not_retried(
    client: ProxyClient, upstream: FakeUpstream, answer: dict[str, Any]
) -> None:
    upstream.script("acme-large", Behaviour(status=400, body=answer))
    with pytest.raises(BadRequestError):
        await send(client, "acme-large")
    assert len(upstream.requests_for("acme-large")) == 1
    assert client.learned.rejected(client.proxy_key, "acme-large") == frozenset()

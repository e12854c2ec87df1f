"""Refusals and incomplete replies through the real LiteLLM proxy: the core client, ``-p`` and the console.

What LiteLLM 1.99.4 passes through (asserted below):

* native Responses route (``openai/gpt-5.2``): ``response.refusal.delta``/``.done`` and the refusal content part
  pass unchanged; ``response.incomplete`` keeps ``incomplete_details.reason`` (``max_output_tokens``,
  ``content_filter``), and so does a ``response.completed`` whose status is ``incomplete``; a stream without
  ``response.output_text.delta`` keeps ``response.output_text.done`` and the final output text.
* chat bridge (``databricks/…``): ``finish_reason`` ``length`` and ``content_filter`` both become
  ``response.completed`` with status ``incomplete`` and ``incomplete_details: null`` (the reason is lost: the
  client infers ``max_output_tokens`` when the output reached the cap, else says no reason was given);
  ``delta.refusal`` chunks are dropped (the reply arrives empty and completed).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.faultserver import assert_no_secret, cli_env, history_show_last, run_cli
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy
from tests.ui.helpers import FakeClock, send, wait_ready

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.events import Completed, Incomplete, RefusalDelta, StreamEvent, TextDelta
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret
from llmconsole.ui.app import make_app

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

REFUSAL = "I'm sorry, but I can't help with that."
TEXT = "Hello there my friend"


@pytest.fixture
async def client(proxy: LiteLLMProxy, tmp_path: Path) -> AsyncIterator[ProxyClient]:
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY))
    async with ProxyClient(settings, learned=LearnedParams(tmp_path / "learned.json")) as c:
        with anyio.fail_after(20):
            await c.discover()
        yield c


async def stream(client: ProxyClient, model_id: str) -> list[StreamEvent]:
    model = client.find_model(model_id)
    conversation = Conversation(model=model.id)
    conversation.add_user("Say hello")
    with anyio.fail_after(30):
        return [e async for e in client.stream_response(model, conversation.to_request())]


def joined(events: list[StreamEvent], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))  # type: ignore[attr-defined]


# -- the core client ------------------------------------------------------------------------------------------


async def test_refusal_passes_through_the_native_route(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.refuse(REFUSAL, deltas=3))
    events = await stream(client, "gpt-5.2")
    assert joined(events, RefusalDelta) == REFUSAL and joined(events, TextDelta) == ""
    assert isinstance(events[-1], Completed) and events[-1].refused


@pytest.mark.parametrize("via", ["response.incomplete", "response.completed"])
@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
async def test_incomplete_reason_passes_through_the_native_route(
    client: ProxyClient, upstream: FakeUpstream, reason: str, via: Any
) -> None:
    upstream.script("gpt-5.2", Behaviour.truncated(reason, text=TEXT, deltas=2, output_tokens=6, incomplete_via=via))
    events = await stream(client, "gpt-5.2")
    last = events[-1]
    assert isinstance(last, Incomplete) and last.reason == reason
    assert joined(events, TextDelta) == TEXT
    words = "truncated at 6 output tokens" if reason == "max_output_tokens" else "stopped by the content filter"
    assert last.describe() == words


async def test_text_without_deltas_arrives(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour(text=TEXT, text_deltas=False))
    events = await stream(client, "gpt-5.2")
    assert joined(events, TextDelta) == TEXT and isinstance(events[-1], Completed)


async def test_chat_bridge_truncation_at_the_cap_is_max_output_tokens(
    client: ProxyClient, upstream: FakeUpstream
) -> None:
    cap = client.find_model("claude-opus-4-6").max_output_tokens
    upstream.script("claude-opus-4-6", Behaviour.truncated("max_output_tokens", text=TEXT, output_tokens=cap))
    events = await stream(client, "claude-opus-4-6")
    last = events[-1]
    assert isinstance(last, Incomplete) and last.reason == "max_output_tokens"
    assert last.describe() == f"truncated at {cap:,} output tokens"
    assert upstream.last_for("claude-opus-4-6").body["max_tokens"] == cap  # the cap did reach the upstream


async def test_chat_bridge_loses_the_content_filter_reason(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("claude-opus-4-6", Behaviour.truncated("content_filter", text=TEXT, output_tokens=6))
    events = await stream(client, "claude-opus-4-6")
    last = events[-1]
    assert isinstance(last, Incomplete) and last.reason == ""  # LiteLLM sends incomplete_details: null
    assert last.describe() == "stopped early (no reason given)"
    assert joined(events, TextDelta) == TEXT


async def test_chat_bridge_drops_a_chat_refusal(client: ProxyClient, upstream: FakeUpstream) -> None:
    upstream.script("claude-opus-4-6", Behaviour.refuse(REFUSAL))
    events = await stream(client, "claude-opus-4-6")
    assert joined(events, RefusalDelta) == joined(events, TextDelta) == ""
    assert isinstance(events[-1], Completed) and not events[-1].refused


# -- -p -------------------------------------------------------------------------------------------------------


@pytest.fixture
def env(proxy: LiteLLMProxy, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, proxy.base_url, proxy.master_key)


def ask(env: dict[str, str]) -> Any:
    result = run_cli("-p", "Say hello", "--model", "gpt-5.2", env=env)
    assert "Traceback" not in result.stderr
    assert_no_secret((result.stdout, result.stderr), (MASTER_KEY, UPSTREAM_KEY))
    return result


def test_p_prints_a_refusal_and_says_so_once(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.refuse(REFUSAL))
    result = ask(env)
    assert result.returncode == 0
    assert result.stdout == REFUSAL + "\n"
    assert result.stderr.splitlines() == ["llmconsole: the model refused (its refusal is the reply)"]
    shown = history_show_last(env)
    assert REFUSAL in shown and "_(the model refused)_" in shown


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("content_filter", "stopped by the content filter"),
        ("max_output_tokens", "truncated at 6 output tokens"),
        ("recitation", "stopped early: recitation"),
    ],
)
def test_p_names_the_incomplete_reason_everywhere(
    env: dict[str, str], upstream: FakeUpstream, reason: str, words: str
) -> None:
    upstream.script("gpt-5.2", Behaviour.truncated(reason, text=TEXT, output_tokens=6))
    result = ask(env)
    assert result.returncode == 0 and result.stdout == TEXT + "\n"
    assert result.stderr.splitlines() == [f"llmconsole: reply {words}"]
    shown = history_show_last(env)
    assert f"_({words})_" in shown
    if reason != "max_output_tokens":
        assert "output tokens" not in shown.replace("_Usage", "")  # never "truncated at 6" for another reason
    export = Path(env["LLMCONSOLE_DATA_DIR"]).parent / "out.md"
    exported = run_cli("history", "export", "last", "-o", str(export), env=env)
    assert exported.returncode == 0 and f"_({words})_" in export.read_text(encoding="utf-8")


# -- the console ----------------------------------------------------------------------------------------------


async def test_console_marks_refusal_and_content_filter(proxy: LiteLLMProxy, upstream: FakeUpstream) -> None:
    upstream.script(
        "gpt-5.2",
        Behaviour.refuse(REFUSAL, times=1),
        Behaviour.truncated("content_filter", text=TEXT, output_tokens=6, times=1),
    )
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY), default_model="gpt-5.2")
    app = make_app(settings, client=ProxyClient(settings), clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "first")
        refused = main.pane.replies[0]
        assert (refused.message.status, refused.text) == ("refused", REFUSAL)
        assert str(refused.telemetry.render()).endswith("· refused")
        assert "last reply refused" in main.status_bar.plain
        await send(pilot, app, "second")
        filtered = main.pane.replies[1]
        assert (filtered.message.status, filtered.message.end_reason) == ("truncated", "content_filter")
        assert str(filtered.telemetry.render()).endswith("· stopped by the content filter")
        assert "last reply stopped by the content filter" in main.status_bar.plain


def test_p_caps_a_huge_retry_after_honestly(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("claude-opus-4-6", Behaviour.rate_limit(retry_after=10**12, retry_after_header=10**12))
    result = run_cli("-p", "Say hello", "--model", "claude-opus-4-6", env=env)
    assert result.returncode == 3, result.stderr
    assert "Retry After: more than 24 hours" in result.stderr
    assert "Wait more than 24 hours before retrying" in result.stderr
    assert "1000000000000" not in result.stderr and "Traceback" not in result.stderr


def chat_stream(proxy: LiteLLMProxy, model: str) -> list[tuple[dict[str, Any], str | None]]:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with proxy.client() as http:
        response = http.post("/v1/chat/completions", json=body, headers=proxy.auth_headers)
    chunks = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
    choices = [(chunk.get("choices") or [{}])[0] for chunk in chunks]
    return [(choice.get("delta") or {}, choice.get("finish_reason")) for choice in choices]


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
def test_chat_route_keeps_the_finish_reason_but_drops_a_refusal(
    proxy: LiteLLMProxy, upstream: FakeUpstream, model: str
) -> None:
    """Through ``/v1/chat/completions`` LiteLLM keeps ``finish_reason`` (``content_filter``, ``length``), so the
    chat path can name the reason; a chat ``delta.refusal`` is dropped there too."""
    upstream.script(model, Behaviour.truncated("content_filter", text=TEXT, times=1), Behaviour.refuse(REFUSAL))
    filtered = chat_stream(proxy, model)
    assert filtered[-1][1] == "content_filter"
    assert "".join(d.get("content") or "" for d, _ in filtered) == TEXT
    refused = chat_stream(proxy, model)
    assert not any(d.get("refusal") or d.get("content") for d, _ in refused)
    assert refused[-1][1] == "stop"


@pytest.mark.parametrize("endpoint", ["responses", "chat"])
@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
async def test_a_cut_upstream_is_an_interrupted_reply_on_both_endpoints(
    client: ProxyClient, upstream: FakeUpstream, model: str, endpoint: str
) -> None:
    """The upstream closes mid-reply: LiteLLM 1.99.4 then sends ``data: {"error": {..., "code": "500"}}`` and no
    ``[DONE]`` on both routes (seen in captures); both endpoints end it the same way: interrupted, with the text
    that arrived (``core.proxy.endings``; every ending on both endpoints: tests/core/test_stream_endings.py)."""
    from dataclasses import replace

    from llmconsole.core.events import Failed

    upstream.script(model, Behaviour.cut(after=3, text=TEXT, deltas=6, delay=0.05))  # LiteLLM has answered 200
    info = replace(client.find_model(model), endpoint=endpoint, sources={"endpoint": "config"})
    conversation = Conversation(model=info.id)
    conversation.add_user("Say hello")
    with anyio.fail_after(30):
        events = [e async for e in client.stream_response(info, conversation.to_request())]
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted, last
    assert last.partial_text == joined(events, TextDelta) and TEXT.startswith(last.partial_text)
    assert len(last.partial_text) < len(TEXT)

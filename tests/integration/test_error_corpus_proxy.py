"""The corpus's real error bodies through the real LiteLLM proxy: the fake upstream answers with each body (its
status and headers as the thread gave them), LiteLLM relays it in its own words, and the client must still read
what the body states (every body-shaped entry from an upstream provider: each category is among them). Then what
``-p`` says per category, an error body sent as a stream, and LiteLLM's own budget stop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from tests.core.error_corpus import Entry, category_of, entries, matches, read_params, reading
from tests.faultserver import assert_one_clean_line, cli_env, run_cli
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, LiteLLMProxy, start_proxy

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.errors import BudgetError, ProxyError
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

MODEL = "acme-large"  # openai/ provider: LiteLLM calls the fake upstream's /v1/responses
UPSTREAM_BODIES = [e for e in entries() if e.data.get("shape") == "body" and e.data.get("provider") != "litellm"]


@pytest.fixture
async def client(proxy: LiteLLMProxy, tmp_path: Path) -> AsyncIterator[ProxyClient]:
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY))
    async with ProxyClient(settings, learned=LearnedParams(tmp_path / "learned.json")) as c:
        with anyio.fail_after(20):
            await c.discover()
        yield c


async def error_through_proxy(client: ProxyClient, upstream: FakeUpstream, entry: Entry) -> ProxyError:
    headers = {k: v for k, v in (entry.data.get("headers") or {}).items() if k.lower() != "content-length"}
    upstream.script(MODEL, Behaviour(status=entry.status, body=entry.data["body"], headers=headers))
    conversation = Conversation(model=MODEL)
    conversation.add_user("Say hello")
    with anyio.fail_after(30), pytest.raises(ProxyError) as caught:
        async for _event in client.stream_response(client.find_model(MODEL), conversation.to_request()):
            pass
    return caught.value


@pytest.mark.parametrize("entry", read_params(UPSTREAM_BODIES))
async def test_all_bodies(client: ProxyClient, upstream: FakeUpstream, entry: Entry) -> None:
    error = await error_through_proxy(client, upstream, entry)
    expect = dict(entry.data["expect"])
    got = reading(error, expect)
    wrong = {k: (w, got.get(k)) for k, w in expect.items() if not matches(k, w, got.get(k))}
    assert wrong == {}, f"{category_of(error, expect)}: {error}"


# -- what -p says, per category, through the proxy --------------------------------------------------


def corpus_entry(entry_id: str) -> Entry:
    return next(e for e in entries() if e.id == entry_id)


@pytest.mark.parametrize(
    ("entry_id", "code", "line"),
    [
        ("anthropic-credit-balance-1", 3, "Budget exceeded: the provider account's balance is spent"),
        ("llamacpp-exceed-context-1", 4, "(14,429 tokens, the window is 8,192)"),
        ("azure-content-filter-violence-1", 4, "blocked by the provider's content filter (violence)"),
    ],
)
def test_prompt_says_it_in_one_line(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path, entry_id: str, code: int, line: str
) -> None:
    entry = corpus_entry(entry_id)
    upstream.script(MODEL, Behaviour(status=entry.status, body=entry.data["body"]))
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = run_cli("-p", "Say hello", "--model", MODEL, "--no-history", env=env, timeout=60)
    assert line in assert_one_clean_line(result, code)
    assert len(upstream.requests_for(MODEL)) == 1  # never retried, never a field dropped


def test_an_error_sent_as_a_stream_is_read_like_json(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """Issue 20 item 2: an HTTP 500 whose body is SSE framing says its message, not ``data: {...}``."""
    framed = 'data: {"error": {"message": "Error processing stream start", "type": "server_error"}}\n\ndata: [DONE]\n\n'
    upstream.script(MODEL, Behaviour(status=500, body=framed, content_type="text/event-stream"))
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = run_cli("-p", "Say hello", "--model", MODEL, "--no-history", env=env, timeout=60)
    line = assert_one_clean_line(result, 4)
    assert "Error processing stream start" in line and "data:" not in line


# -- LiteLLM's own budget: a proxy with a tiny max_budget ---------------------------------------------


@pytest.fixture(scope="module")
def budget_proxy(fake_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    """A proxy over budget from the start: LiteLLM checks ``litellm_settings.max_budget`` against what it spent
    before each call and raises its ``BudgetExceededError``. Streamed replies are not added to that spend, so a
    positive budget is never reached here; -1 makes the first call over budget (spent 0, budget -1)."""
    workdir = tmp_path_factory.mktemp("budget-proxy")
    proxy = start_proxy(fake_upstream, workdir, litellm_settings={"max_budget": -1})
    try:
        yield proxy
    finally:
        proxy.stop()


def test_litellm_budget_is_a_budget_stop_with_exit_3(
    budget_proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, budget_proxy.base_url, budget_proxy.master_key)
    result = run_cli("-p", "Say hello", "--model", "gpt-5.2", "--no-history", env=env, timeout=60)
    line = assert_one_clean_line(result, 3)
    assert line.startswith("llmconsole: HTTP ") and "Budget exceeded" in line and "spent $0" in line, line
    assert "waiting does not help" in line and "Rate Limit" not in result.stderr
    assert upstream.requests_for("gpt-5.2") == []  # the proxy stopped it: nothing reached the upstream


async def test_litellm_budget_is_a_typed_budget_error(budget_proxy: LiteLLMProxy, tmp_path: Path) -> None:
    settings = Settings(base_url=budget_proxy.base_url, api_key=Secret(MASTER_KEY))
    async with ProxyClient(settings, learned=LearnedParams(tmp_path / "learned.json")) as client:
        with anyio.fail_after(20):
            await client.discover()
        conversation = Conversation(model="gpt-5.2")
        conversation.add_user("Say hello")
        with anyio.fail_after(30), pytest.raises(BudgetError) as caught:
            async for _event in client.stream_response(client.find_model("gpt-5.2"), conversation.to_request()):
                pass
    assert caught.value.spent == 0 and caught.value.exit_code == 3 and caught.value.rejected == ()


def test_doctor_probe_reads_an_error_sent_as_a_stream(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """Issue 20 item 2 in ``doctor --probe``: the message, not the SSE framing."""
    framed = 'data: {"error": {"message": "Error processing stream start", "type": "server_error"}}\n\ndata: [DONE]\n\n'
    upstream.script(MODEL, Behaviour(status=500, body=framed, content_type="text/event-stream"))
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = run_cli("doctor", "--probe", MODEL, env=env, timeout=90)
    line = next(line for line in result.stdout.splitlines() if f"{MODEL}:" in line)
    assert "Error processing stream start" in line and "data:" not in line, result.stdout

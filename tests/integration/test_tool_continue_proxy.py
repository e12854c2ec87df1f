"""Continuing a stored conversation that has a tool turn (``-p ... -c``), through the real LiteLLM proxy: the
history rebuilds the call and its result in each API's shape (Responses ``function_call`` +
``function_call_output`` items; Chat ``assistant.tool_calls`` + ``role: tool``), for a model served directly and
one LiteLLM bridges, with and without tools offered on the next prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.faultserver import run_cli
from tests.integration.test_tool_rounds_proxy import env_for, secrets_kept_out, sent_back
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import LiteLLMProxy

pytestmark = pytest.mark.proxy


def calls_sent(request: Any) -> list[str]:
    """The names of the tool calls a request carries back to the model (either API's shape)."""
    body = request.body
    if request.api == "responses" and isinstance(body.get("input"), list):
        return [i["name"] for i in body["input"] if i.get("type") == "function_call"]
    return [c["function"]["name"] for m in body.get("messages", []) for c in m.get("tool_calls") or []]


@pytest.mark.parametrize("offer", [True, False], ids=["tools", "no-tools"])
@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
@pytest.mark.parametrize("endpoint", [None, "chat"])
def test_continuing_after_a_tool_turn_sends_the_call_and_its_result(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path, model: str, endpoint: str | None, offer: bool
) -> None:
    upstream.script(
        model,
        Behaviour.call_tools(("add", {"a": 2, "b": 40}), text="Let me add.", times=1),
        Behaviour.reply("The sum is 42.", times=1),
        Behaviour.reply("You asked for 2+40.", times=1),
    )
    env = env_for(proxy, tmp_path, endpoint, model)
    tools = ["--tools", "testtools/add", "--yes"]
    first = run_cli("-p", "What is 2+40?", "-m", model, *tools, env=env, stdin="", timeout=120)
    assert first.returncode == 0, first.stderr
    more = tools if offer else []
    second = run_cli("-p", "What did I ask?", "-c", *more, env=env, stdin="", timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "You asked for 2+40.\n"
    request = upstream.requests_for(model)[-1]
    assert calls_sent(request) == ["add"]
    assert [output for _, output in sent_back(request)] == ["42"]
    if request.api == "chat":
        roles = [m["role"] for m in request.body["messages"]]
        assert roles[roles.index("tool") - 1] == "assistant"  # the call right before its result
    secrets_kept_out(tmp_path, upstream, first.stdout, first.stderr, second.stdout, second.stderr)

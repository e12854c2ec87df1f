"""Tool rounds through the real LiteLLM proxy: the fake upstream asks for a call of the gateway's ``add`` (on the
MCP server behind the proxy, see conftest.MCP_SERVERS), ``llmconsole -p --tools ... --yes`` runs it and sends the
result back, on both endpoints, for a model served directly (gpt-5.2) and one LiteLLM bridges to Chat
Completions (claude-opus-4-6)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.faultserver import assert_no_secret, cli_env, run_cli
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

from llmconsole.core.store.history import DB_FILENAME

pytestmark = pytest.mark.proxy
SECRETS = (MASTER_KEY, UPSTREAM_KEY)


def env_for(proxy: LiteLLMProxy, home: Path, endpoint: str | None, model: str) -> dict[str, str]:
    env = cli_env(home, proxy.base_url, proxy.master_key)
    if endpoint is not None:
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "config.toml").write_text(f'[models."{model}"]\nendpoint = "{endpoint}"\n')
    return env


def sent_back(request: Any) -> list[tuple[str, str]]:
    """(call id, output) of every tool result a request to the upstream carries (either API's shape)."""
    body = request.body
    if request.api == "responses" and isinstance(body.get("input"), list):
        return [(i["call_id"], i["output"]) for i in body["input"] if i.get("type") == "function_call_output"]
    return [(m["tool_call_id"], m["content"]) for m in body.get("messages", []) if m.get("role") == "tool"]


def offered(request: Any) -> list[str]:
    tools = request.body.get("tools") or []
    return [t.get("name") or t.get("function", {}).get("name") for t in tools]


def secrets_kept_out(home: Path, upstream: FakeUpstream, *texts: str) -> None:
    db = home / "data" / DB_FILENAME
    assert db.exists()
    assert_no_secret((*texts, db.read_bytes().decode("utf-8", "replace")), SECRETS)
    for request in upstream.received:
        assert MASTER_KEY.encode() not in request.raw


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
@pytest.mark.parametrize("endpoint", [None, "chat"])
def test_a_gateway_tool_round_on_both_endpoints(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path, model: str, endpoint: str | None
) -> None:
    upstream.script(
        model,
        Behaviour.call_tools(("add", {"a": 2, "b": 40}), text="Let me add.", times=1),
        Behaviour.reply("The sum is 42.", times=1),
    )
    env = env_for(proxy, tmp_path, endpoint, model)
    result = run_cli(
        "-p", "What is 2+40?", "-m", model, "--tools", "testtools/add", "--yes", env=env, stdin="", timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Let me add.\nThe sum is 42.\n"
    (line,) = result.stderr.splitlines()
    assert line.startswith('llmconsole: tool testtools/add {"a":2,"b":40} → ok in ') and line.endswith(" s: 42")
    first, second = upstream.requests_for(model)[-2:]
    assert offered(first) == ["add"] and offered(second) == ["add"]
    assert [output for _, output in sent_back(second)] == ["42"]
    assert sent_back(first) == []
    if endpoint == "chat" or model.startswith("claude"):
        assert second.api == "chat"  # LiteLLM bridges claude to the upstream's chat completions
    shown = run_cli("history", "show", "last", env=env, timeout=60).stdout
    assert "**Tool call** `testtools · add` — ran" in shown and "The sum is 42." in shown
    secrets_kept_out(tmp_path, upstream, result.stdout, result.stderr, shown)


def test_an_mcp_error_goes_back_as_an_error_and_two_calls_run_in_order(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    upstream.script(
        "gpt-5.2",
        Behaviour.call_tools(("fail", {"message": "disk on fire"}), ("echo", {"text": "still here"}), times=1),
        Behaviour.reply("Noted.", times=1),
    )
    env = env_for(proxy, tmp_path, None, "gpt-5.2")
    result = run_cli("-p", "Go", "-m", "gpt-5.2", "--tools", "testtools", "--yes", env=env, stdin="", timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(" → ")[1].split(" ")[0] for line in lines] == ["error", "ok"]
    assert "disk on fire" in lines[0] and lines[1].endswith(": still here")
    outputs = [output for _, output in sent_back(upstream.requests_for("gpt-5.2")[-1])]
    assert "disk on fire" in outputs[0] and outputs[1] == "still here"
    with sqlite3.connect(tmp_path / "data" / DB_FILENAME) as db:
        rows = db.execute("SELECT name, status, is_error, output FROM tool_calls ORDER BY seq").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("fail", "ran", 1), ("echo", "ran", 0)]
    secrets_kept_out(tmp_path, upstream, result.stdout, result.stderr, json.dumps(rows))


def test_the_round_limit_stops_a_model_that_keeps_calling(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    upstream.script("gpt-5.2", Behaviour.call_tools(("add", {"a": 1, "b": 1}), times=3))
    env = env_for(proxy, tmp_path, None, "gpt-5.2")
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("max_tool_rounds = 2\n")
    result = run_cli("-p", "Loop", "-m", "gpt-5.2", "--tools", "testtools/add", "--yes", env=env, stdin="", timeout=120)
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and lines[-1] == "llmconsole: stopped after 2 tool rounds (max_tool_rounds in config.toml)"
    assert len(upstream.requests_for("gpt-5.2")) == 3


def test_debug_logs_of_a_round_hold_no_key(proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.script(
        "gpt-5.2",
        Behaviour.call_tools(("env_has", {"name": "OPENAI_API_KEY"}), times=1),
        Behaviour.reply("Checked.", times=1),
    )
    env = env_for(proxy, tmp_path, None, "gpt-5.2")
    result = run_cli(
        "-p", "Check", "-m", "gpt-5.2", "--tools", "testtools/env_has", "--yes", "--debug", env=env, stdin="",
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "env_has" in result.stderr and "OPENAI_API_KEY is not set" in result.stderr
    secrets_kept_out(tmp_path, upstream, result.stdout, result.stderr)


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
def test_a_backend_refusing_tools_is_learned_with_one_line(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path, model: str
) -> None:
    upstream.script(model, Behaviour.reject("tools", style="openai", text="No tools here."))
    env = env_for(proxy, tmp_path, None, model)
    args = ("-p", "Hi", "-m", model, "--tools", "testtools/add", "--yes")
    result = run_cli(*args, env=env, stdin="", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No tools here.\n"
    (line,) = result.stderr.splitlines()
    assert line == (
        f"llmconsole: {model} does not accept tools (learned; `llmconsole --forget-learned {model}` offers them again)"
    )
    first, second = upstream.requests_for(model)[-2:]
    assert offered(first) == ["add"] and offered(second) == []
    again = run_cli(*args, env=env, stdin="", timeout=120)  # learned: not offered at all the next time
    assert again.returncode == 0 and offered(upstream.requests_for(model)[-1]) == []
    assert len(upstream.requests_for(model)) == 3

"""Issue 2's "Done when", as a new user would try it: ``python -m llmconsole`` against a real LiteLLM proxy.

Every run goes through :func:`cli`, which also asserts that neither the master key, the wrong key nor the
proxy's upstream key appears in stdout or stderr.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.faultserver import (
    assert_no_secret,
    assert_one_clean_line,
    cli_env,
    closed_port,
    run_cli,
    stream_cli,
)
from tests.proxy.fake_upstream import DEFAULT_TEXT, Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

from llmconsole.core.store.history import DB_FILENAME, HistoryStore

pytestmark = pytest.mark.proxy

WRONG_KEY = "sk-not-the-master-key-5566778899"
SECRETS = (MASTER_KEY, UPSTREAM_KEY, WRONG_KEY)
CHAT_MODELS = [
    "gpt-5.2",
    "claude-opus-4-6",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "gemini-2-5-pro",
    "acme-large",
    "gpt-balanced",
    "ratelimited-model",
]
DATABRICKS = ["claude-opus-4-6", "claude-haiku-4-5", "gemini-2-5-pro", "ratelimited-model"]
REPLY = "Exactly this reply — with ünïcode, `code` and\ntwo lines.\n"


@pytest.fixture
def env(proxy: LiteLLMProxy, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, proxy.base_url, proxy.master_key)


def cli(*args: str, env: dict[str, str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args, env=env, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    assert_no_secret((result.stdout, result.stderr), SECRETS)
    return result


def ask(env: dict[str, str], model: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("-p", "Say hello", "--model", model, *extra, env=env)


def conversation_ids(env: dict[str, str]) -> list[str]:
    store = HistoryStore(Path(env["LLMCONSOLE_DATA_DIR"]) / DB_FILENAME)
    try:
        return [s.id for s in store.list_conversations(limit=-1)]
    finally:
        store.close()


# -- --list-models ----------------------------------------------------------------------------------------------


def test_list_models_json(env: dict[str, str]) -> None:
    result = cli("--list-models", "--json", env=env)
    assert result.returncode == 0 and result.stderr == ""
    models = {m["id"]: m for m in json.loads(result.stdout)}
    assert list(models) == CHAT_MODELS  # every chat model, in the proxy's order; not the embedding model
    for m in models.values():
        assert isinstance(m["reasoning"], bool) and isinstance(m["images"], bool)
        assert isinstance(m["context_window"], int) and isinstance(m["max_output_tokens"], int)
        assert {"store", "prompt_cache_key"} <= set(m["params"])
        assert m["source"] in ("model_info", "pattern")
        assert set(m["sources"].values()) <= {"model_info", "pattern", "config", "learned", "default"}
        assert m["endpoint"] == "responses"  # LiteLLM bridges /v1/responses for every model of this proxy

    gpt = models["gpt-5.2"]
    assert gpt["reasoning"] is True and gpt["images"] is True
    assert gpt["context_window"] == 272_000 and gpt["sources"]["context_window"] == "model_info"
    assert gpt["params"]["prompt_cache_key"] is True and gpt["params"]["store"] is True
    assert gpt["provider"] == "openai" and gpt["source"] == "model_info"
    assert 0 < gpt["max_output_tokens"] <= 128_000

    for name in DATABRICKS:
        m = models[name]
        assert m["params"]["prompt_cache_key"] is False, name
        assert m["sources"]["prompt_cache_key"] == "model_info", name
        assert m["provider"] == "databricks" and m["source"] == "model_info", name
    claude = models["claude-opus-4-6"]
    assert claude["reasoning"] is True and claude["images"] is True and claude["context_window"] == 1_000_000
    assert claude["sources"]["reasoning"] == "model_info"

    balanced = models["gpt-balanced"]
    assert balanced["context_window"] == 64_000  # the smaller of its two deployments (128K, 64K)
    assert balanced["max_output_tokens"] <= 8_000
    assert balanced["params"]["prompt_cache_key"] is False  # one deployment is Databricks
    assert set(balanced["provider"].split(",")) == {"openai", "databricks"}

    acme = models["acme-large"]  # unknown name: fail-open patterns, no invented prices
    assert acme["params"]["prompt_cache_key"] is True and acme["sources"]["context_window"] == "pattern"
    assert acme["input_cost_per_token"] is None and acme["output_cost_per_token"] is None


def test_list_models_table(env: dict[str, str]) -> None:
    result = cli("--list-models", env=env)
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    for column in ("model", "context", "max out", "reasoning", "images", "store", "prompt_cache_key", "source"):
        assert column in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    assert list(rows) == CHAT_MODELS
    assert "text-embedding-3-small" not in out
    cells = [c.strip() for c in rows["claude-opus-4-6"].split("│")[1:-1]]
    assert cells[:7] == ["claude-opus-4-6", "1M", cells[2], "yes", "yes", "yes", "-"]
    assert [c.strip() for c in rows["gpt-balanced"].split("│")][2] == "64K"


# -- -p -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6", "gemini-2-5-pro"])
def test_prompt_prints_exactly_the_reply(env: dict[str, str], upstream: FakeUpstream, model: str) -> None:
    upstream.script(model, Behaviour.reply(REPLY, deltas=7))
    result = ask(env, model)
    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY
    assert result.stderr == ""


def test_prompt_from_stdin_and_default_model(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.reply("from stdin\n"))
    result = run_cli("-p", "-", env=env, stdin="What is on stdin?", timeout=30)
    assert result.returncode == 0 and result.stdout == "from stdin\n" and result.stderr == ""
    sent = upstream.last_for("gpt-5.2", "responses").body  # the first chat model is the default
    assert "What is on stdin?" in json.dumps(sent["input"])


def test_prompt_streams_as_it_arrives(env: dict[str, str], upstream: FakeUpstream) -> None:
    delay = 0.25
    text = "".join(f"piece {i}. " for i in range(8)) + "\n"
    upstream.script("gpt-5.2", Behaviour.reply(text, deltas=8, delay=delay))
    run = stream_cli("-p", "Stream please", "--model", "gpt-5.2", env=env, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout == text and run.stderr == ""
    first_at = run.chunks[0][0]
    # The last 7 deltas take >= 7 * 0.25 s upstream: the first ones must be on stdout well before the end.
    assert run.exited - first_at > 4 * delay, (run.exited - first_at, len(run.chunks))
    assert len(run.chunks) >= 4  # the reply came in pieces, not at once


def test_prompt_cache_key_and_store_only_where_supported(env: dict[str, str], upstream: FakeUpstream) -> None:
    gpt = ask(env, "gpt-5.2")
    assert gpt.returncode == 0 and gpt.stdout == DEFAULT_TEXT
    body = upstream.last_for("gpt-5.2", "responses").body
    assert body["prompt_cache_key"] == conversation_ids(env)[0]  # the conversation's id
    assert body["store"] is False
    assert body["stream"] is True and isinstance(body["max_output_tokens"], int)

    # Four Databricks-backed models at once (compare mode), then the balanced name, twice.
    args = [a for model in DATABRICKS for a in ("--model", model)]
    compare = cli("-p", "Say hello", *args, env=env)
    assert compare.returncode == 0, compare.stderr
    for model in DATABRICKS:
        assert f"## {model}" in compare.stdout
        received = upstream.requests_for(model)
        assert len(received) == 1, model
        assert "prompt_cache_key" not in received[0].raw.decode(), model
    for _ in range(2):
        assert ask(env, "gpt-balanced").returncode == 0
    balanced = upstream.requests_for("gpt-balanced")
    assert len(balanced) == 2
    assert all(b"prompt_cache_key" not in r.raw for r in balanced)


@pytest.mark.parametrize("style", ["openai", "databricks"])
def test_unknown_model_rejecting_prompt_cache_key_retries_once_and_learns(
    env: dict[str, str], upstream: FakeUpstream, style: Any
) -> None:
    upstream.script("acme-large", Behaviour.reject("prompt_cache_key", style=style))
    first = ask(env, "acme-large")
    assert first.returncode == 0, first.stderr
    assert first.stdout == DEFAULT_TEXT and first.stderr == ""
    sent = upstream.requests_for("acme-large")
    assert len(sent) == 2  # exactly one retry
    assert "prompt_cache_key" in sent[0].body and "prompt_cache_key" not in sent[1].body
    assert sent[1].body["store"] is False  # only the rejected parameter was dropped

    second = ask(env, "acme-large")  # a new process: the rejection was remembered on disk
    assert second.returncode == 0 and second.stdout == DEFAULT_TEXT
    sent = upstream.requests_for("acme-large")
    assert len(sent) == 3 and "prompt_cache_key" not in sent[2].body

    listed = {m["id"]: m for m in json.loads(cli("--list-models", "--json", env=env).stdout)}
    assert listed["acme-large"]["params"]["prompt_cache_key"] is False
    assert listed["acme-large"]["sources"]["prompt_cache_key"] == "learned"


def test_rejection_of_every_parameter_never_loops(env: dict[str, str], upstream: FakeUpstream) -> None:
    # Each answer names a new optional field: dropped and retried, until the 4th request's refusal is final.
    upstream.script("acme-large", Behaviour.reject("prompt_cache_key,store,max_output_tokens,instructions"))
    result = ask(env, "acme-large", "--system", "Be brief")
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "instructions" in line
    sent = upstream.requests_for("acme-large")
    assert len(sent) == 4
    assert [sorted(k for k in ("prompt_cache_key", "store", "max_output_tokens") if k in r.body) for r in sent] == [
        ["max_output_tokens", "prompt_cache_key", "store"],
        ["max_output_tokens", "store"],
        ["max_output_tokens"],
        [],
    ]


# -- rate limits ----------------------------------------------------------------------------------------------

RATE_LIMITS = {
    "structured": (
        Behaviour.rate_limit(),
        [
            "Limit Type: input tokens per minute",
            "Limit: 200000 | Current: 200150",
            "Retry After: 15 seconds",
            "Wait 15 seconds",
        ],
    ),
    "structured+retry-after": (
        Behaviour.rate_limit(
            retry_after_header=30, limit_type="output_tokens_per_minute", limit=5000, current=5200, retry_after=42
        ),
        ["Limit Type: output tokens per minute", "Limit: 5000 | Current: 5200", "Retry After: 42 seconds"],
    ),
    "request_limit_exceeded": (Behaviour.request_limit_exceeded(), ["workspace rate limit", "Wait 60 seconds"]),
    # LiteLLM drops the upstream's Retry-After: 7 (docs/litellm-findings.md): the user sees the default.
    "bare_429": (Behaviour.bare_429(retry_after=7), ["Wait 60 seconds"]),
}


@pytest.mark.parametrize("shape", list(RATE_LIMITS))
def test_rate_limit_shapes(env: dict[str, str], upstream: FakeUpstream, shape: str) -> None:
    behaviour, expected = RATE_LIMITS[shape]
    upstream.script("ratelimited-model", behaviour)
    result = ask(env, "ratelimited-model")
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    err = result.stderr
    assert "Rate Limit Exceeded - Model: ratelimited-model" in err.splitlines()[0]
    for needle in expected:
        assert needle in err, (needle, err)
    assert "What to do:" in err and "Contact Databricks account team" in err
    assert "Received Model Group" not in err and "Exception" not in err  # LiteLLM's wrapping is noise
    if shape == "bare_429":
        assert err.splitlines()[2] == "Rate limit exceeded"
        assert "Retry After" not in err and "Limit Type" not in err and "7 seconds" not in err
    if shape == "request_limit_exceeded":
        assert "Limit Type" not in err
    assert len(upstream.requests_for("ratelimited-model")) == 1  # no retry storm, by us or the proxy


def test_rate_limit_on_openai_route_has_no_databricks_advice(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.rate_limit(retry_after=9))
    result = ask(env, "gpt-5.2")
    assert result.returncode == 3
    assert "Rate Limit Exceeded - Model: gpt-5.2" in result.stderr and "Retry After: 9 seconds" in result.stderr
    assert "Databricks" not in result.stderr
    assert len(upstream.requests_for("gpt-5.2")) == 1


# -- reasoning on Databricks ----------------------------------------------------------------------------------


def test_reasoning_model_on_databricks_answers(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("claude-opus-4-6", Behaviour.reply(REPLY, reasoning="Let me think about it."))
    result = ask(env, "claude-opus-4-6", "--effort", "low")
    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY and result.stderr == ""
    sent = upstream.requests_for("claude-opus-4-6")
    assert len(sent) == 1  # reasoning.summary was never sent (LiteLLM would refuse it with a 400)
    assert sent[0].api == "chat" and sent[0].body["thinking"]["type"] == "enabled"
    shown = cli("history", "show", "last", env=env).stdout
    assert "Let me think about it." in shown  # the reasoning summary was received and kept


# -- one clear line -------------------------------------------------------------------------------------------


def test_unknown_model(env: dict[str, str], upstream: FakeUpstream) -> None:
    line = assert_one_clean_line(ask(env, "no-such-model"), 4, secrets=SECRETS)
    assert "'no-such-model'" in line and "llmconsole --list-models" in line
    assert upstream.received == [] or all(r.api == "models" for r in upstream.received)


def test_missing_base_url(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, MASTER_KEY)
    for args in (("--list-models",), ("-p", "hi")):
        line = assert_one_clean_line(run_cli(*args, env=env, timeout=20), 2, secrets=SECRETS)
        assert "OPENAI_BASE_URL" in line


def test_unreachable_proxy(tmp_path: Path) -> None:
    env = cli_env(tmp_path, f"http://127.0.0.1:{closed_port()}/v1/", MASTER_KEY)
    for args in (("--list-models", "--json"), ("-p", "hi")):
        result = run_cli(*args, env=env, timeout=20)
        line = assert_one_clean_line(result, 4, secrets=SECRETS)
        assert "cannot connect" in line and "127.0.0.1" in line
        assert result.stdout == ""


def test_wrong_key(proxy: LiteLLMProxy, tmp_path: Path, upstream: FakeUpstream) -> None:
    env = cli_env(tmp_path, proxy.base_url, WRONG_KEY)
    for args in (("--list-models",), ("-p", "hi", "--model", "gpt-5.2")):
        line = assert_one_clean_line(cli(*args, env=env), 4, secrets=SECRETS)
        assert "OPENAI_API_KEY" in line and "refused the API key" in line
    debug = run_cli("-p", "hi", "--debug", env=env, timeout=30)  # a traceback is allowed here, the key is not
    assert debug.returncode != 0 and "AuthenticationError" in debug.stderr
    assert_no_secret((debug.stdout, debug.stderr), SECRETS)
    assert upstream.received == []


def test_key_is_in_no_file(env: dict[str, str], upstream: FakeUpstream) -> None:
    upstream.script("gpt-5.2", Behaviour.unauthorized())  # the proxy echoes its upstream key in the 401
    assert ask(env, "gpt-5.2").returncode == 4
    assert ask(env, "claude-opus-4-6").returncode == 0
    assert cli("--list-models", env=env).returncode == 0
    home = Path(env["LLMCONSOLE_DATA_DIR"]).parent
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == DB_FILENAME for p in files)
    assert_no_secret([p.read_bytes().decode("latin-1") for p in files], SECRETS)


# -- images (issue 6) ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-5.2", "claude-opus-4-6"])
def test_image_reaches_the_upstream(env: dict[str, str], upstream: FakeUpstream, model: str, tmp_path: Path) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    upstream.script(model, Behaviour.reply("A black pixel."))
    result = cli("-p", f"What is in @{image} ?", "--model", model, "--no-history", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "A black pixel."
    (request,) = upstream.requests_for(model)
    raw = request.raw.decode()
    assert "data:image/png;base64,iVBORw0KGgo" in raw  # as input_image (native) or image_url (bridged)
    assert str(image) not in raw  # the @path itself is not sent


# -- -c / --cid: continuing a saved conversation ---------------------------------------------------------------


def test_continue_sends_the_active_path_and_cid_picks_a_conversation(
    env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("gpt-5.2", Behaviour.reply("first answer\n", times=1), Behaviour.reply("second answer\n"))
    assert cli("-p", "first question", "--model", "gpt-5.2", env=env).returncode == 0
    result = cli("-p", "follow-up", "-c", env=env)  # no -m: the conversation's model goes on
    assert result.returncode == 0 and result.stdout == "second answer\n", result.stderr
    sent = json.dumps(upstream.last_for("gpt-5.2", "responses").body["input"])
    assert sent.index("first question") < sent.index("first answer") < sent.index("follow-up")
    (conv_id,) = conversation_ids(env)
    with HistoryStore(Path(env["LLMCONSOLE_DATA_DIR"]) / DB_FILENAME) as store:
        texts = [m.text for m in store.load(conv_id).messages]
    assert texts == ["first question", "first answer\n", "follow-up", "second answer\n"]
    # A new conversation, then --cid goes back to the first one by its prefix.
    upstream.script("gpt-5.2", Behaviour.reply("other\n", times=1), Behaviour.reply("third answer\n"))
    assert cli("-p", "unrelated", "--model", "gpt-5.2", env=env).returncode == 0
    assert cli("-p", "third question", "--cid", conv_id[:8], env=env).returncode == 0
    sent = json.dumps(upstream.last_for("gpt-5.2", "responses").body["input"])
    assert "follow-up" in sent and "unrelated" not in sent
    assert len(conversation_ids(env)) == 2
    missing = cli("-p", "x", "--cid", "ffffffff", env=env)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "ffffffff" in missing.stderr

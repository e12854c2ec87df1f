"""Issue 4's faults through the real LiteLLM proxy, as ``python -m llmconsole -p`` meets them.

For each: the exit code, one clean line on stderr (no traceback, no key), the partial text on stdout,
and ``llmconsole history show last`` keeping what was received, marked with how it ended.
The same faults straight from a socket-level server are in tests/core/test_faults_local.py.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from tests.faultserver import (
    assert_no_secret,
    assert_one_clean_line,
    cli_env,
    history_show_last,
    run_cli,
    write_config,
)
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

pytestmark = pytest.mark.proxy

SECRETS = (MASTER_KEY, UPSTREAM_KEY)
TEXT = "AAAABBBBCCCCDDDD"  # 4 deltas of 4 characters
PARTIAL = "AAAABBBB"  # what arrives before a fault after 2 deltas
BOTH = ["gpt-5.2", "claude-opus-4-6"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(proxy: LiteLLMProxy, home: Path) -> dict[str, str]:
    return cli_env(home, proxy.base_url, proxy.master_key)


def ask(env: dict[str, str], model: str, *extra: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return run_cli("-p", "Say hello", "--model", model, *extra, env=env, timeout=timeout)


def assert_kept(env: dict[str, str], model: str, text: str, note: str) -> None:
    shown = history_show_last(env)
    assert f"## Assistant ({model})" in shown
    if text:
        assert text in shown
    assert note in shown, shown
    assert_no_secret([shown], SECRETS)


# -- connection reset / cut mid-stream -----------------------------------------------------------------------


@pytest.mark.parametrize("model", BOTH)
@pytest.mark.parametrize("reset", [True, False], ids=["rst", "close"])
def test_connection_cut_mid_stream(env: dict[str, str], upstream: FakeUpstream, model: str, reset: bool) -> None:
    upstream.script(model, Behaviour.cut(after=2, reset=reset, text=TEXT, deltas=4, delay=0.05))
    result = ask(env, model)
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "not completed" in line  # LiteLLM's words for the upstream that hung up
    assert result.stdout == PARTIAL + "\n"
    assert_kept(env, model, PARTIAL, "interrupted")


# -- failure events mid-stream -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "event", "words"),
    [
        ("gpt-5.2", "response.failed", "The model produced invalid content"),
        ("gpt-5.2", "error", "Response API in-stream error"),
        ("claude-opus-4-6", "response.failed", "The model produced invalid content"),
    ],
)
def test_failure_event_mid_stream(
    env: dict[str, str], upstream: FakeUpstream, model: str, event: str, words: str
) -> None:
    upstream.script(model, Behaviour.stream_error(after=2, event=event, text=TEXT, deltas=4, delay=0.05))  # type: ignore[arg-type]
    result = ask(env, model)
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "mid-stream" in line and words in line
    assert result.stdout == PARTIAL + "\n"
    assert_kept(env, model, PARTIAL, "interrupted")


# -- a stalled stream ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", BOTH)
def test_stalled_stream_hits_the_idle_timeout(
    env: dict[str, str], home: Path, upstream: FakeUpstream, model: str
) -> None:
    write_config(home, "idle_timeout = 1\n")
    upstream.script(model, Behaviour.stall(after=2, timeout=30, text=TEXT, deltas=4))
    started = time.monotonic()
    result = ask(env, model)
    elapsed = time.monotonic() - started
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "idle timeout" in line and "1 s" in line
    print(f"\nidle timeout after {elapsed:.2f} s")  # the line names the 1 s timeout; speed is not asserted
    assert result.stdout == PARTIAL + "\n"
    assert_kept(env, model, PARTIAL, "interrupted")


# -- an HTML 502 page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "status"), [("gpt-5.2", 502), ("claude-opus-4-6", 500)])
def test_html_502_from_a_gateway(env: dict[str, str], upstream: FakeUpstream, model: str, status: int) -> None:
    upstream.script(model, Behaviour.html_502())
    result = ask(env, model)
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert f"HTTP {status}" in line and "502 Bad Gateway" in line
    assert "<" not in line and "\r" not in line and "Received Model Group" not in line
    assert result.stdout == ""
    assert len(upstream.requests_for(model)) == 1
    assert_kept(env, model, "", "error")


# -- invalid and truncated JSON from the upstream --------------------------------------------------------------


def _responses_event(payload: dict[str, object]) -> str:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n"


FIRST_DELTA = _responses_event(
    {"type": "response.output_text.delta", "delta": "AAAA", "item_id": "m", "output_index": 0, "content_index": 0}
)


@pytest.mark.parametrize(
    "tail",
    [
        "event: response.output_text.delta\ndata: {oops\n\n",
        'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "del',
    ],
    ids=["invalid", "truncated"],
)
def test_bad_json_from_the_upstream_native_route(env: dict[str, str], upstream: FakeUpstream, tail: str) -> None:
    upstream.script("gpt-5.2", Behaviour(status=200, body=FIRST_DELTA + tail, content_type="text/event-stream"))
    result = ask(env, "gpt-5.2")
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "interrupted" in line  # LiteLLM ends the stream without a terminal event
    assert result.stdout == "AAAA\n"
    assert_kept(env, "gpt-5.2", "AAAA", "interrupted")


def test_bad_json_chunk_on_the_bridged_route_is_skipped_by_litellm(env: dict[str, str], upstream: FakeUpstream) -> None:
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "AAAA"}, "finish_reason": None}],
    }
    body = f"data: {json.dumps(chunk)}\n\ndata: {{oops\n\n"
    upstream.script("claude-opus-4-6", Behaviour(status=200, body=body, content_type="text/event-stream"))
    result = ask(env, "claude-opus-4-6")
    assert result.returncode == 0 and result.stdout == "AAAA\n" and result.stderr == ""
    assert_kept(env, "claude-opus-4-6", "AAAA", "Usage:")


# -- a single 10 MB event ----------------------------------------------------------------------------------------

BIG = ("0123456789abcdef" * 64 + "\n") * 10_000  # 10.25 MB in one delta


@pytest.mark.parametrize("model", BOTH)
def test_ten_megabyte_event(env: dict[str, str], upstream: FakeUpstream, model: str) -> None:
    upstream.script(model, Behaviour.reply(BIG, deltas=1))
    started = time.monotonic()
    result = ask(env, model, timeout=60)
    elapsed = time.monotonic() - started
    print(f"\n10 MB event through LiteLLM ({model}), whole CLI run: {elapsed:.2f} s")
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stderr == ""
    assert result.stdout == BIG
    shown = history_show_last(env)
    assert BIG[:2000] in shown and len(shown) > len(BIG)


# -- a 401 that echoes a key ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", BOTH)
def test_401_echoing_the_upstream_key_is_redacted(
    env: dict[str, str], home: Path, upstream: FakeUpstream, model: str
) -> None:
    upstream.script(model, Behaviour.unauthorized())
    result = ask(env, model)
    line = assert_one_clean_line(result, 4, secrets=SECRETS)
    assert "OPENAI_API_KEY" in line and "[REDACTED]" in line
    debug = ask(env, model, "--debug")
    assert_no_secret((debug.stdout, debug.stderr), SECRETS)
    assert_kept(env, model, "", "error")
    files = [p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file()]
    assert files
    assert_no_secret(files, SECRETS)

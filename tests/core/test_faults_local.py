"""Faults straight from a socket-level fake proxy (no LiteLLM): the client and the command line.

Each fault is tried through ``python -m llmconsole -p`` (exit code, one clean line on stderr, no traceback,
no key, and ``history show last`` keeps what arrived) and, where it says more, through :class:`ProxyClient`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.errors import (
    AuthenticationError,
    ProxyConnectionError,
    ProxyTimeoutError,
    ServerError,
    StreamDecodeError,
)
from llmconsole.core.events import Completed, Failed, StreamEvent, TextDelta
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.params import LearnedParams
from llmconsole.core.secret import Secret
from tests.faultserver import (
    DONE,
    Conn,
    FaultServer,
    assert_no_secret,
    assert_one_clean_line,
    cli_env,
    closed_port,
    completed,
    delta,
    history_show_last,
    run_cli,
    sse,
    write_config,
)

KEY = "sk-local-fault-key-0123456789abcdef"
MODEL = "fault-model"
PARTIAL = "Hello, partial "


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def env_for(server: FaultServer | str, home: Path) -> dict[str, str]:
    url = server if isinstance(server, str) else server.base_url
    return cli_env(home, url, KEY)


def ask(env: dict[str, str], *extra: str, timeout: float = 30.0) -> Any:
    return run_cli("-p", "Say hello", "--model", MODEL, *extra, env=env, timeout=timeout)


def settings_for(server: FaultServer | str, **kw: Any) -> Settings:
    url = server if isinstance(server, str) else server.base_url
    return Settings(base_url=url, api_key=Secret(KEY), **kw)


async def collect(client: ProxyClient, model_id: str = MODEL) -> list[StreamEvent]:
    await client.discover()
    conversation = Conversation(model=model_id)
    conversation.add_user("Say hello")
    return [e async for e in client.stream_response(client.find_model(model_id), conversation.to_request())]


def partial_stream(conn: Conn) -> None:
    conn.start_stream()
    conn.write(delta("Hello, "))
    conn.write(delta("partial "))


def assert_history(env: dict[str, str], *, text: str, note: str) -> str:
    shown = history_show_last(env)
    assert "Say hello" in shown
    if text:
        assert text.strip() in shown
    assert note in shown, shown
    assert_no_secret([shown], [KEY])
    return shown


# -- connection refused -----------------------------------------------------------------------------------------


def test_connection_refused_cli(home: Path) -> None:
    env = env_for(f"http://127.0.0.1:{closed_port()}", home)
    for args in (("--list-models",), ("-p", "hi")):
        result = run_cli(*args, env=env, timeout=20)
        line = assert_one_clean_line(result, 4, secrets=[KEY])
        assert "cannot connect" in line and "OPENAI_BASE_URL" in line


@pytest.mark.anyio
async def test_connection_refused_client() -> None:
    with anyio.fail_after(10):
        async with ProxyClient(settings_for(f"http://127.0.0.1:{closed_port()}")) as client:
            with pytest.raises(ProxyConnectionError) as info:
                await client.discover()
    assert KEY not in str(info.value)


# -- reset mid-stream ----------------------------------------------------------------------------------------------


def reset_after_two(conn: Conn) -> None:
    partial_stream(conn)
    conn.drain()  # the deltas were acknowledged by the client's kernel: the RST cannot discard them
    conn.reset()


def test_reset_mid_stream_cli(home: Path) -> None:
    with FaultServer(responses=reset_after_two) as server:
        env = env_for(server, home)
        result = ask(env)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "interrupted" in line or "connection" in line
    assert result.stdout.startswith(PARTIAL.rstrip())
    assert_history(env, text=PARTIAL, note="interrupted")


@pytest.mark.anyio
async def test_reset_mid_stream_client() -> None:
    with FaultServer(responses=reset_after_two) as server, anyio.fail_after(10):
        async with ProxyClient(settings_for(server), learned=LearnedParams(Path("/nonexistent/x"))) as client:
            events = await collect(client)
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted
    assert last.partial_text == PARTIAL


# -- stall ---------------------------------------------------------------------------------------------------------


def stall_after_two(conn: Conn) -> None:
    partial_stream(conn)
    conn.stall()


def test_stall_with_idle_timeout_cli(home: Path) -> None:
    write_config(home, "idle_timeout = 1\n")
    with FaultServer(responses=stall_after_two) as server:
        env = env_for(server, home)
        started = time.monotonic()
        result = ask(env)
        elapsed = time.monotonic() - started
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "idle timeout" in line
    print(f"\nidle timeout after {elapsed:.2f} s")  # speed lives in bench/, never asserted
    assert result.stdout.startswith(PARTIAL.rstrip())
    assert_history(env, text=PARTIAL, note="interrupted")


@pytest.mark.anyio
async def test_stall_with_idle_timeout_client() -> None:
    with FaultServer(responses=stall_after_two) as server, anyio.fail_after(10):
        async with ProxyClient(settings_for(server, idle_timeout=0.5)) as client:
            started = time.monotonic()
            events = await collect(client)
            elapsed = time.monotonic() - started
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted
    assert isinstance(last.error, ProxyTimeoutError)
    assert last.partial_text == PARTIAL
    print(f"\nidle timeout after {elapsed:.2f} s")


# -- HTML 502 ------------------------------------------------------------------------------------------------------

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def html_502(conn: Conn) -> None:
    conn.send(502, HTML_502, "text/html")


def test_html_502_cli(home: Path) -> None:
    with FaultServer(responses=html_502) as server:
        env = env_for(server, home)
        result = ask(env)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "502 Bad Gateway" in line and "<" not in line
    assert result.stdout == ""
    assert_history(env, text="", note="error")


def test_html_502_on_discovery_cli(home: Path) -> None:
    with FaultServer(models_handler=html_502) as server:
        result = run_cli("--list-models", env=env_for(server, home), timeout=20)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "502 Bad Gateway" in line and "<html" not in line


@pytest.mark.anyio
async def test_html_502_client() -> None:
    with FaultServer(responses=html_502) as server, anyio.fail_after(10):
        async with ProxyClient(settings_for(server)) as client:
            with pytest.raises(ServerError) as info:
                await collect(client)
    assert info.value.status == 502 and "502 Bad Gateway" in info.value.message


# -- invalid and truncated JSON ------------------------------------------------------------------------------------


def invalid_json(conn: Conn) -> None:
    partial_stream(conn)
    conn.write(sse(b'{"type": "response.output_text.delta", "delta": oops}'))
    conn.write(delta(" never shown"))
    conn.write(completed())
    conn.end()


def truncated_json(conn: Conn) -> None:
    partial_stream(conn)
    conn.write(b'data: {"type": "response.output_text.delta", "delta": "trunc')
    conn.end()  # the stream ends cleanly in the middle of an event


def test_invalid_json_event_cli(home: Path) -> None:
    with FaultServer(responses=invalid_json) as server:
        env = env_for(server, home)
        result = ask(env)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "not JSON" in line
    assert result.stdout.startswith(PARTIAL.rstrip()) and "never shown" not in result.stdout
    assert_history(env, text=PARTIAL, note="interrupted")


def test_truncated_json_event_cli(home: Path) -> None:
    with FaultServer(responses=truncated_json) as server:
        env = env_for(server, home)
        result = ask(env)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "interrupted" in line
    assert result.stdout.startswith(PARTIAL.rstrip()) and "trunc" not in result.stdout
    assert_history(env, text=PARTIAL, note="interrupted")


@pytest.mark.anyio
@pytest.mark.parametrize("handler", [invalid_json, truncated_json])
async def test_bad_json_client(handler: Any) -> None:
    with FaultServer(responses=handler) as server, anyio.fail_after(10):
        async with ProxyClient(settings_for(server)) as client:
            events = await collect(client)
    last = events[-1]
    assert isinstance(last, Failed) and last.interrupted and last.partial_text == PARTIAL
    if handler is invalid_json:
        assert isinstance(last.error, StreamDecodeError)


# -- a single 10 MB event -----------------------------------------------------------------------------------------

BIG = ("0123456789abcdef" * 64 + "\n") * 10_000  # 10.25 MB of text in one delta


def big_event(conn: Conn) -> None:
    conn.start_stream()
    conn.write(delta(BIG))
    conn.write(completed())
    conn.write(DONE)
    conn.end()


def big_unknown_event(conn: Conn) -> None:
    conn.start_stream()
    conn.write(sse({"type": "response.vendor_extension.done", "text": BIG}))  # unknown: ignored, 10 MB to decode
    conn.write(delta("small"))
    conn.write(completed())
    conn.end()


def test_ten_megabyte_event_cli(home: Path) -> None:
    with FaultServer(responses=big_event) as server:
        env = env_for(server, home)
        started = time.monotonic()
        result = ask(env, "--no-history")
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == BIG
    print(f"\n10 MB event, whole CLI run: {elapsed:.2f} s")


@pytest.mark.anyio
@pytest.mark.parametrize("handler", [big_event, big_unknown_event])
async def test_ten_megabyte_event_client(handler: Any, record_property: Any) -> None:
    with FaultServer(responses=handler) as server, anyio.fail_after(15):
        async with ProxyClient(settings_for(server)) as client:
            await client.discover()
            conversation = Conversation(model=MODEL)
            conversation.add_user("big")
            started = time.monotonic()
            events = [e async for e in client.stream_response(client.find_model(MODEL), conversation.to_request())]
            elapsed = time.monotonic() - started
    record_property("ten_mb_event_seconds", round(elapsed, 3))
    print(f"\n10 MB event ({handler.__name__}): {elapsed:.3f} s")
    assert isinstance(events[-1], Completed)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == (BIG if handler is big_event else "small")


# -- 2,000 models --------------------------------------------------------------------------------------------------

MANY = [f"team-{i // 100}/model-{i:04d}" for i in range(2000)]
MANY_INFO = {
    "data": [
        {
            "model_name": m,
            "litellm_params": {"model": f"openai/{m}"},
            "model_info": {"mode": "embedding" if i % 500 == 0 else "chat", "max_input_tokens": 100_000 + i},
        }
        for i, m in enumerate(MANY)
    ]
}


@pytest.mark.anyio
@pytest.mark.parametrize("with_info", [False, True], ids=["patterns", "model_info"])
async def test_two_thousand_models_client(with_info: bool, record_property: Any) -> None:
    with FaultServer(models=MANY, model_info=MANY_INFO if with_info else None) as server, anyio.fail_after(15):
        async with ProxyClient(settings_for(server)) as client:
            started = time.monotonic()
            models = await client.discover()
            elapsed = time.monotonic() - started
            cached = client.cached_models()
    record_property("discovery_2000_seconds", round(elapsed, 3))
    print(f"\ndiscovery of 2,000 models ({'model_info' if with_info else 'patterns'}): {elapsed:.3f} s")
    expected = [m for i, m in enumerate(MANY) if not (with_info and i % 500 == 0)]
    assert [m.id for m in models] == expected
    if with_info:
        assert models[0].context_window == 100_001 and models[0].source == "model_info"
    assert cached is not None and len(cached) == len(expected)


def test_two_thousand_models_cli(home: Path) -> None:
    with FaultServer(models=MANY) as server:
        env = env_for(server, home)
        started = time.monotonic()
        as_json = run_cli("--list-models", "--json", env=env, timeout=30)
        json_s = time.monotonic() - started
        table = run_cli("--list-models", env=env, timeout=30)
    assert as_json.returncode == 0 and as_json.stderr == "", as_json.stderr
    assert [m["id"] for m in json.loads(as_json.stdout)] == MANY
    print(f"\n--list-models --json of 2,000 models: {json_s:.2f} s")
    assert table.returncode == 0 and table.stderr == ""
    rows = [line for line in table.stdout.splitlines() if "/model-" in line]
    assert len(rows) == 2000


# -- Unicode and Rich markup in model ids ------------------------------------------------------------------------------

ODD_IDS = ["acme/[bold]x", "模型-ü", "[/]oops", "[red]red[/red]", "a\\[b]", "emoji-🚀"]


def echo_model(conn: Conn) -> None:
    body = conn.request.body
    model = body.get("model") if isinstance(body, dict) else "?"
    conn.start_stream()
    conn.write(delta(f"model was {model}"))
    conn.write(completed())
    conn.end()


def test_odd_model_ids_listed_literally(home: Path) -> None:
    with FaultServer(models=ODD_IDS, responses=echo_model) as server:
        env = env_for(server, home)
        table = run_cli("--list-models", env=env, timeout=20)
        as_json = run_cli("--list-models", "--json", env=env, timeout=20)
        answer = run_cli("-p", "hi", "--model", "acme/[bold]x", env=env, timeout=20)
        unknown = run_cli("-p", "hi", "--model", "[bold]nope", env=env, timeout=20)
    assert table.returncode == 0 and table.stderr == "", table.stderr
    for model_id in ODD_IDS:
        assert model_id in table.stdout, model_id
    assert [m["id"] for m in json.loads(as_json.stdout)] == ODD_IDS
    assert answer.returncode == 0 and answer.stdout == "model was acme/[bold]x\n"
    line = assert_one_clean_line(unknown, 4, secrets=[KEY])
    assert "'[bold]nope'" in line and "--list-models" in line


def test_control_characters_in_model_ids_are_not_sent_to_the_terminal(home: Path) -> None:
    evil = "evil\x1b]0;pwned\x07-\x1b[31mred"
    with FaultServer(models=[evil, "fine"]) as server:
        table = run_cli("--list-models", env=env_for(server, home), timeout=20)
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "fine" in table.stdout
    assert r"evil\x1b]0;pwned\x07-\x1b[31mred" in table.stdout  # shown escaped, literally


# -- a 401 that echoes the key ---------------------------------------------------------------------------------


def echo_key_401(conn: Conn) -> None:
    auth = conn.request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ")
    message = f"Incorrect API key provided: {token}. Header was '{auth}'."
    conn.send_json(401, {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}})


def key_in_stream(conn: Conn) -> None:
    auth = conn.request.headers.get("authorization", "")
    partial_stream(conn)
    conn.write(sse({"error": {"message": f"upstream refused {auth}", "type": "auth_error", "code": "401"}}))
    conn.end()


def all_files(home: Path) -> list[str]:
    return [p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file()]


def test_401_echoing_the_key_is_redacted_cli(home: Path) -> None:
    with FaultServer(responses=echo_key_401) as server:
        env = env_for(server, home)
        result = ask(env)
        debug = ask(env, "--debug")
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "OPENAI_API_KEY" in line and "[REDACTED]" in line
    assert_no_secret([debug.stdout, debug.stderr], [KEY, KEY[3:]])
    assert_history(env, text="", note="error")
    assert_no_secret(all_files(home), [KEY])


def test_401_on_discovery_echoing_the_key_is_redacted_cli(home: Path) -> None:
    with FaultServer(models_handler=echo_key_401) as server:
        env = env_for(server, home)
        results = [run_cli("--list-models", env=env, timeout=20), ask(env)]
    for result in results:
        line = assert_one_clean_line(result, 4, secrets=[KEY])
        assert "OPENAI_API_KEY" in line
    assert_no_secret(all_files(home), [KEY])


def test_key_echoed_mid_stream_is_redacted_cli(home: Path) -> None:
    with FaultServer(responses=key_in_stream) as server:
        env = env_for(server, home)
        result = ask(env)
    line = assert_one_clean_line(result, 4, secrets=[KEY])
    assert "[REDACTED]" in line
    assert result.stdout.startswith(PARTIAL.rstrip())
    assert_history(env, text=PARTIAL, note="error")
    assert_no_secret(all_files(home), [KEY])


@pytest.mark.anyio
async def test_401_echoing_the_key_client() -> None:
    with FaultServer(responses=echo_key_401) as server, anyio.fail_after(10):
        async with ProxyClient(settings_for(server)) as client:
            with pytest.raises(AuthenticationError) as info:
                await collect(client)
    error = info.value
    for text in (str(error), repr(error), error.message, error.body, *map(str, error.args)):
        assert KEY not in text

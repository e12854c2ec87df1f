"""The API key appears in no output, log, exception, traceback, screenshot, history or cache file.

A local HTTP server plays a hostile proxy: it echoes the key it receives in a 401 body, in a 429, in a
mid-stream error and in a reply. The CLI (with --debug logging) and the app (with a screenshot) talk to it;
then every byte they produced is searched for the key.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

KEY = "sk-leak-canary-7f3a9c2e5b1d"


class EchoingProxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        auth = self.headers.get("authorization", "")
        if self.path.endswith("/v1/models"):
            models = ["echo-ok", "echo-401", "echo-429", "echo-cut", f"leaky-{auth[-6:]}"]
            self._send(200, json.dumps({"data": [{"id": m} for m in models[:4]]}).encode())
        else:
            self._send(404, json.dumps({"detail": f"Not Found for {auth}"}).encode())

    def do_POST(self) -> None:  # noqa: N802
        auth = self.headers.get("authorization", "")
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        model = body.get("model")
        if model == "echo-401":
            self._send(401, json.dumps({"error": {"message": f"Invalid key: {auth} ({auth[7:]})"}}).encode())
            return
        if model == "echo-429":
            inner = {
                "error": {
                    "type": "rate_limit_exceeded",
                    "limit_type": "requests",
                    "limit": 1,
                    "current": 2,
                    "retry_after": 3,
                    "message": f"too fast for key {auth[7:]}",
                }
            }
            self._send(429, json.dumps(inner).encode())
            return
        events = [{"type": "response.output_text.delta", "delta": "Hello. "}]
        if model == "echo-cut":
            events.append({"error": {"message": f"upstream broke while using {auth[7:]}", "code": "500"}})
        else:
            events.append({"type": "response.completed", "response": {"usage": {"input_tokens": 1}}})
        payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()
        self._send(200, payload, "text/event-stream")


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EchoingProxy)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _all_files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_cli_outputs_logs_and_files_never_contain_the_key(server: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
    env.update(
        OPENAI_BASE_URL=server,
        OPENAI_API_KEY=KEY,
        LLMCONSOLE_DATA_DIR=str(tmp_path / "data"),
        LLMCONSOLE_CACHE_DIR=str(tmp_path / "cache"),
        LLMCONSOLE_CONFIG_DIR=str(tmp_path / "config"),
    )
    outputs: list[str] = []
    codes: list[int] = []
    for args in (
        ["--list-models", "--json"],
        ["--list-models"],
        ["-p", "hi", "--model", "echo-ok"],
        ["-p", "hi", "--model", "echo-401"],
        ["-p", "hi", "--model", "echo-429"],
        ["-p", "hi", "--model", "echo-cut"],
        ["-p", "hi", "--model", "echo-401", "--debug"],
        ["history"],
        ["history", "show", "last"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "llmconsole", *args], capture_output=True, text=True, env=env, timeout=60
        )
        outputs += [result.stdout, result.stderr]
        codes.append(result.returncode)
    assert codes[:6] == [0, 0, 0, 4, 3, 4], codes
    assert any("[REDACTED]" in out for out in outputs)  # the echoed key was there, and was redacted
    for out in outputs:
        assert KEY not in out and KEY[3:] not in out
    files = _all_files(tmp_path)
    assert any(p.name.startswith("history.sqlite3") for p in files)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.anyio
async def test_app_screenshot_history_and_errors_never_contain_the_key(server: str, tmp_path: Path) -> None:
    from llmconsole.core.config import Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.secret import Secret
    from llmconsole.core.store.history import AsyncHistory, HistoryStore
    from llmconsole.ui.app import make_app

    settings = Settings(base_url=server, api_key=Secret(KEY))
    client = ProxyClient(settings)
    db = tmp_path / "data" / "history.sqlite3"
    history = await AsyncHistory.open(db)  # an open store: every write below really happens
    app = make_app(settings, client=client, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(client, "models", None):
                break
        for model in ("echo-401", "echo-cut"):
            screen = app.screen
            await pilot.press("ctrl+l")
            await pilot.pause()
            for ch in model:
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            for ch in "hello":
                await pilot.press(ch)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
        # The replies themselves: the 401 was refused with the echoed key redacted; the cut reply kept its
        # text and its error, redacted too (the sidebar listing echo-401 proves nothing).
        main = app.main_screen
        assert main is not None
        replies = {reply.message.model: reply.message for reply in main.pane.replies}
        cut = replies["echo-cut"]
        assert (cut.status, cut.text) == ("interrupted", "Hello. ")
        assert cut.error is not None and "[REDACTED]" in cut.error and KEY[3:] not in cut.error
        refused = [n.message for n in app._notifications if "401" in n.message or "API key" in n.message]
        assert refused and all("[REDACTED]" in m and KEY[3:] not in m for m in refused), refused
        shot = app.save_screenshot(path=str(tmp_path), filename="shot.svg")
        text = Path(shot).read_text()
        assert "Hello." in text
        assert KEY not in text
        assert not [n for n in app._notifications if "istory" in n.message]  # no history write failed
    await history.close()
    # The history holds both turns (so "no key in the history files" is about files that were written)
    with HistoryStore(db) as store:
        stored = [store.load(s.id) for s in store.list_conversations()]
    texts = [m.text for conv in stored for m in conv.messages]
    errors = [m.error or "" for conv in stored for m in conv.messages]
    assert texts.count("hello") == 2 and "Hello. " in texts, texts
    assert any("[REDACTED]" in e for e in errors) and not any(KEY[3:] in e for e in errors), errors
    files = _all_files(tmp_path, Path(os.environ["LLMCONSOLE_DATA_DIR"]), Path(os.environ["LLMCONSOLE_CACHE_DIR"]))
    assert db in files
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in repr(settings) and KEY not in str(dataclasses.asdict(settings))


def test_secret_never_shows_its_value() -> None:
    import copy
    import pickle

    from llmconsole.core.config import Settings
    from llmconsole.core.secret import Secret

    secret = Secret("sk-very-secret")
    assert "sk-very" not in f"{secret} {secret!r} {[secret]} {secret:>20}"
    assert str(secret) == "**********" and str(Secret("")) == ""
    assert secret.get_secret_value() == "sk-very-secret" and secret == Secret("sk-very-secret")
    assert copy.deepcopy(secret) is secret
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    settings = Settings(base_url="http://127.0.0.1:4000", api_key=Secret("sk-very-secret\n"))
    assert settings.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very" not in repr(settings)

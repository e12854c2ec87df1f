"""Every fault the network or the proxy can throw, through the real app: it stays up, shows one clear
line, keeps the prompt usable, and the history keeps what was received. Socket-level faults come from
the local fault server (tests/faultserver.py); the same faults through the real LiteLLM proxy are in
tests/integration/test_faults.py for the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from llmconsole.core.config import Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.secret import Secret
from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import make_app
from tests.core.test_faults_local import (
    BIG,
    KEY,
    PARTIAL,
    big_event,
    echo_key_401,
    html_502,
    invalid_json,
    key_in_stream,
    reset_after_two,
    stall_after_two,
    truncated_json,
)
from tests.faultserver import Conn, FaultServer, closed_port

from .helpers import send, wait_ready

SIZE = (120, 40)

# handler, the words the one error line must carry (none: no error), the status, the text that must survive
FAULTS: dict[str, tuple[Callable[[Conn], None] | None, tuple[str, ...], str, str]] = {
    "refused": (None, ("cannot connect",), "error", ""),
    "reset": (reset_after_two, ("interrupted",), "interrupted", PARTIAL),
    "stall": (stall_after_two, ("idle timeout",), "interrupted", PARTIAL),
    "html502": (html_502, ("502", "html"), "error", ""),
    "invalid_json": (invalid_json, ("not json",), "interrupted", PARTIAL),
    "truncated_json": (truncated_json, ("interrupted", "closed before the reply completed"), "interrupted", PARTIAL),
    "401_echo": (echo_key_401, ("api key", "[redacted]"), "error", ""),
    "key_mid_stream": (key_in_stream, ("upstream refused", "[redacted]"), "error", PARTIAL),
    "10mb_event": (big_event, (), "completed", BIG),
}


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_fault_in_the_app(fault: str, tmp_path: Path) -> None:
    handler, words, expected_status, expected_text = FAULTS[fault]
    with FaultServer(responses=handler) as server:
        settings = Settings(base_url=server.base_url, api_key=Secret(KEY), idle_timeout=0.5)
        client = ProxyClient(settings)
        history = AsyncHistory(HistoryStore(tmp_path / "history.sqlite3"))
        app = make_app(settings, client=client, history=history)
        with anyio.fail_after(60):
            async with app.run_test(size=SIZE) as pilot:
                main = await wait_ready(pilot, app)
                assert main.models, "discovery worked"
                if handler is None:  # discovery worked; now the proxy is gone
                    client.settings = Settings(base_url=f"http://127.0.0.1:{closed_port()}", api_key=Secret(KEY))
                    await client.aclose()
                    client._http = None  # noqa: SLF001 - point the pooled client at the closed port
                await send(pilot, app, "tell me")
                assert app.is_running and app.screen is main
                reply = main.pane.replies[-1]
                status = reply.message.status
                shot = app.export_screenshot()
                assert KEY not in shot
                assert status == expected_status, (status, reply.message.error)
                error = reply.message.error or ""
                if words:
                    assert error and "\n" not in error and KEY not in error and KEY[3:] not in error
                    assert all(w in error.lower() for w in words), error
                else:
                    assert error == ""
                assert reply.message.text == expected_text
    await history.close()
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        conversation = store.load(store.resolve("last"))
    saved = conversation.messages[-1]
    assert saved.role == "assistant"
    assert saved.status == reply.message.status
    assert KEY not in saved.text and KEY not in (saved.error or "")
    assert saved.text == expected_text
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes()

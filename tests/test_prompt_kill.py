"""SIGKILL `llmconsole -p` mid-reply: the partial reply is in the history, marked interrupted, nothing lost
beyond the last fraction of a second, and the database is intact. A real process, a real kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmconsole.core.store.history import HistoryStore, default_path

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

MAX_LOSS_S = 0.5


def test_sigkill_during_prompt_keeps_the_partial_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONSOLE_DATA_DIR", str(tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    env["LLMCONSOLE_DATA_DIR"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    child = subprocess.Popen(
        [sys.executable, "-m", "llmconsole", "--demo", "-p", "write something long", "--model", "demo-llama-3-70b"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    received: list[tuple[float, int]] = []  # (monotonic time, total chars printed so far)
    printed = bytearray()

    def reader() -> None:
        assert child.stdout is not None
        while chunk := child.stdout.read1(4096):  # type: ignore[attr-defined]
            printed.extend(chunk)
            received.append((time.monotonic(), len(printed.decode("utf-8", "ignore"))))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not received or received[-1][0] - received[0][0] < 1.5):
        thread.join(0.05)
    assert received, "the reply never started"
    killed_at = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    thread.join(timeout=10)
    assert child.returncode == -signal.SIGKILL

    text_out = printed.decode("utf-8", "ignore")
    safe = max((n for t, n in received if t <= killed_at - MAX_LOSS_S), default=0)
    assert safe > 0

    with HistoryStore(default_path(demo=True)) as store:  # --demo keeps its own history
        conv_id = store.resolve("last")
        conversation = store.load(conv_id)
        assert store.integrity_check() == "ok"
    user, reply = conversation.messages
    assert user.text == "write something long"
    assert reply.status == "interrupted"
    assert text_out.startswith(reply.text)
    assert len(reply.text) >= safe, (len(reply.text), safe)

    shown = subprocess.run(
        [sys.executable, "-m", "llmconsole", "history", "--demo", "show", "last"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert shown.returncode == 0 and "interrupted" in shown.stdout
    assert reply.text[:40] in shown.stdout

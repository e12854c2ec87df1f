"""SIGKILL in the middle of a streamed reply loses at most the last fraction of a second of text.

A real child process streams a reply through :class:`ReplyRecorder` at a steady pace and reports on stdout how
many characters it has streamed. The test reads those reports, kills the child with SIGKILL after ~2 s, and then
checks the database: the partial reply is there, marked interrupted, is an exact prefix of what was streamed,
holds at least everything reported 0.5 s before the kill, and the file passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import llmconsole
from llmconsole.core.store.history import HistoryStore, default_path
from llmconsole.history_cli import main

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SRC = str(Path(llmconsole.__file__).resolve().parents[1])
STREAM_FOR_S = 2.0
MAX_LOSS_S = 0.5

CHILD = r"""
import asyncio, sys, time
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.store.history import AsyncHistory, HistoryStore, ReplyRecorder

mode, conv_id = sys.argv[1], sys.argv[2]

def chunk(i):
    return f"w{i:06d}" + ("\n\n" if i % 40 == 39 else " ")

def report(n):
    sys.stdout.write(f"{n}\n")
    sys.stdout.flush()

def run_sync():
    store = HistoryStore()
    conv = Conversation(id=conv_id)
    store.add_message(conv, conv.add_user("stream something long"))
    recorder = ReplyRecorder(store, conv, conv.add_assistant("fake-model"))
    recorder.start()
    print("ready", flush=True)
    i = 0
    while True:
        if recorder.append(chunk(i)):
            recorder.flush()
        report(len(recorder.message.text))
        i += 1
        time.sleep(0.004)

async def run_async():
    history = await AsyncHistory.open()
    conv = Conversation(id=conv_id)
    await history.add_message(conv, conv.add_user("stream something long"))
    recorder = ReplyRecorder(history, conv, conv.add_assistant("fake-model"))
    await recorder.astart()
    print("ready", flush=True)
    i = 0
    while True:
        if recorder.append(chunk(i)):
            await recorder.aflush()
        report(len(recorder.message.text))
        i += 1
        await asyncio.sleep(0.004)

run_sync() if mode == "sync" else asyncio.run(run_async())
"""


def chunk(i: int) -> str:
    return f"w{i:06d}" + ("\n\n" if i % 40 == 39 else " ")


EXPECTED = "".join(chunk(i) for i in range(20_000))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sigkill_mid_stream_keeps_the_partial_reply(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    conv_id = f"{mode:0<8}".encode().hex()[:8] + "0" * 24
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    reports: list[tuple[float, int]] = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, conv_id], stdout=subprocess.PIPE, text=True, env=env
    ) as child:
        watchdog = threading.Timer(60, child.kill)  # never hang the suite
        watchdog.start()
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            started = None
            while True:
                line = child.stdout.readline()
                assert line, "the child stopped early"
                now = time.monotonic()
                started = started or now
                reports.append((now, int(line)))
                if now - started >= STREAM_FOR_S:
                    break
            os.kill(child.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            assert child.wait(timeout=30) == -signal.SIGKILL
            late = [int(x) for x in child.stdout.read().split()]
        finally:
            watchdog.cancel()
            child.kill()

    must_have = max(n for t, n in reports if t <= killed_at - MAX_LOSS_S)
    last_reported = max([n for _, n in reports] + late)
    assert must_have > 1_000  # it really streamed for a while

    with HistoryStore() as store:
        conv = store.load(conv_id)
        assert store.integrity_check() == "ok"
    user, reply = conv.messages
    assert user.text == "stream something long"
    assert reply.status == "interrupted"
    assert reply.model == "fake-model"
    assert reply.text == EXPECTED[: len(reply.text)]  # an exact prefix: nothing garbled, nothing invented
    assert len(reply.text) >= must_have, (len(reply.text), must_have, last_reported)
    assert len(reply.text) <= last_reported + len(chunk(0)) + 2

    # A plain connection agrees (WAL recovered, nothing half-written).
    raw = sqlite3.connect(default_path())
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT status FROM messages WHERE id = ?", (reply.id,)).fetchone()[0] == "streaming"
    finally:
        raw.close()

    # ... and so does `llmconsole history show last`, without the app having started.
    assert main(["show", "last"]) == 0
    out = capsys.readouterr().out
    assert "_(interrupted — partial reply)_" in out
    assert reply.text.rstrip("\n") in out

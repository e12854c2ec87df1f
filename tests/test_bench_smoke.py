"""Smoke test of the bench (issue 5): every bench function once on its smallest workload; results are numbers."""

from __future__ import annotations

import asyncio
import numbers
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import app_bench, client_bench, scale_bench, sse_server  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("bench")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
    environ["LLMCONSOLE_DATA_DIR"] = str(tmp / "data")
    environ["LLMCONSOLE_CONFIG_DIR"] = str(tmp / "config")
    environ["PYTHONPATH"] = str(REPO)
    return environ


@pytest.fixture(scope="module")
def base_url(env: dict[str, str]) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.sse_server"], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    assert line.startswith("PORT "), line
    yield f"http://127.0.0.1:{int(line.split()[1])}"
    server.terminate()
    server.wait(5)


def _numbers(result: dict[str, Any], *keys: str) -> None:
    for key in keys:
        assert isinstance(result[key], numbers.Real) and not isinstance(result[key], bool), (key, result[key])
        assert result[key] >= 0, (key, result[key])


def test_stream_shape() -> None:
    data = sse_server.stream_bytes(50, "bench-n50")
    assert data.count(b"\n\n") == sse_server.stream_event_count(50)
    assert data.endswith(b"data: [DONE]\n\n")
    assert sse_server.parse_model("bench-n500-r100") == (500, 100.0)
    assert len(set(sse_server.model_ids(2000))) == 2000


def test_stream_readers(base_url: str) -> None:
    async def run() -> None:
        for reader in client_bench.READERS.values():
            result = await reader(base_url, 50)
            _numbers(result, "events", "seconds", "events_per_s")
            assert result["events"] == 59

    asyncio.run(run())


def test_app_children(base_url: str, env: dict[str, str]) -> None:
    render = app_bench.run_child("render", {"base_url": base_url, "deltas": 200}, env)
    _numbers(render, "deltas_per_s", "cpu_percent", "rss_mb", "key_latency_p95_ms", "key_latency_max_ms")
    assert render["chars"] > 500
    paced = app_bench.run_child("render", {"base_url": base_url, "deltas": 20, "rate": 100}, env)
    _numbers(paced, "cpu_percent", "seconds")
    assert paced["seconds"] >= 0.15  # the server paced it
    minimal = app_bench.run_child("startup_minimal", {"models": 500}, env)
    app = app_bench.run_child("startup_app", {"base_url": base_url, "model": "bench-n50", "models": 5}, env)
    for result in (minimal, app):
        _numbers(result, "painted_at", "spawned_at", "rss_mb")
        assert result["painted_at"] > result["spawned_at"]
    filtered = app_bench.run_child("filter", {"base_url": base_url, "models": 60, "query": "so"}, env)
    _numbers(filtered, "mean_ms", "max_ms")
    assert filtered["matches"] > 0


def test_open_child(base_url: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONSOLE_DATA_DIR", env["LLMCONSOLE_DATA_DIR"])
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.store.history import HistoryStore

    conversation = Conversation(title="smoke")
    with HistoryStore() as store:
        for index in range(6):
            if index % 2 == 0:
                message = conversation.add_user(f"Question {index}")
            else:
                message = conversation.add_assistant("bench-n50")
                message.text, message.status = f"# Answer {index}\n\nSome **text**.\n", "completed"
            store.add_message(conversation, message)
    opened = app_bench.run_child("open", {"base_url": base_url, "conv_id": conversation.id, "messages": 6}, env)
    _numbers(opened, "first_paint_s", "rss_mb", "mount_s")
    assert opened["messages"] == 6


def test_markdown_baseline_child(env: dict[str, str]) -> None:
    result = app_bench.run_child("markdown", {"deltas": 30}, env)
    _numbers(result, "deltas_per_s", "rss_mb")


def test_history_search(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    scale_bench.generate(path, conversations=40, per_conversation=4)
    result = scale_bench.measure_search(path, rounds=1)
    _numbers(result, "median_ms", "max_ms")
    assert result["hits"]["proxy"] > 0
    assert result["hits"]["zanzibar"] == 0


def test_huge_child(base_url: str, env: dict[str, str]) -> None:
    huge = app_bench.run_child("huge", {"base_url": base_url, "kind": "code", "settle": 5.0}, env)
    _numbers(huge, "end_s", "stream_s", "tail_s", "key_latency_max_ms", "cpu_percent")
    assert huge["end_s"] >= huge["stream_s"] >= 0.5  # the server paced it (about a second)
    assert huge["chars"] == len(sse_server.huge_text("code"))
    assert sse_server.parse_model("bench-huge-10mb") == (1, None)


def test_tree_children(base_url: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONSOLE_DATA_DIR", env["LLMCONSOLE_DATA_DIR"])
    from bench.tree_bench import build_tree

    from llmconsole.core.store.history import HistoryStore

    with HistoryStore() as store:
        conv_id, path = build_tree(store, messages=40, branches=2)
        loaded = store.load(conv_id)
    assert path == 40 and len(loaded.messages) == 40 and len(loaded.others) == 2
    switched = app_bench.run_child(
        "switch_branch", {"base_url": base_url, "conv_id": conv_id, "switches": 2, "keystrokes": 20}, env
    )
    _numbers(switched, "switch_ms", "switch_20_after_ms", "context_estimate_ms")
    assert switched["path_messages"] == 40 and switched["gauge"].startswith("ctx ")

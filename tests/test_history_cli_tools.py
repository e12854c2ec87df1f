"""`llmconsole history` with tool calls: show and export render them, search finds them, control characters
from a tool's output never reach the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmconsole.core.chat.conversation import Conversation, ToolExchange
from llmconsole.core.store.history import HistoryStore
from llmconsole.history_cli import main


@pytest.fixture
def stored() -> Conversation:
    conv = Conversation(title="Tides")
    conv.add_user("when is high tide in Brest?")
    asking = conv.add_assistant("m-tools")
    asking.status = "completed"
    asking.tool_calls = [
        ToolExchange(
            call_id="call_9",
            name="tide_table",
            arguments='{"port": "Brest", "days": 1}',
            server="ocean",
            status="ran",
            output="High water 06:12 (6.9 m)\x1b[2J, [map](https://x.example/)\n[result cut at 40 of 90 bytes]",
            truncated=True,
        )
    ]
    final = conv.add_assistant("m-tools")
    final.text, final.status = "At 06:12.", "completed"
    with HistoryStore() as store:
        for message in conv.messages:
            store.add_message(conv, message)
    return conv


def test_show_renders_the_call_and_its_result_literally(
    stored: Conversation, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "last"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "**Tool call** `ocean · tide_table` — ran" in out
    assert '  "port": "Brest",' in out
    assert "```text\nHigh water 06:12 (6.9 m)[2J, [map](https://x.example/)\n[result cut at 40 of 90 bytes]\n```" in out
    assert "\x1b" not in out  # the terminal never gets a tool's control characters
    assert out.index("Tool call") < out.index("At 06:12.")


def test_export_json_and_tree_carry_the_calls(
    stored: Conversation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "tree.json"
    assert main(["export", "last", "-o", str(target), "--json"]) == 0
    data = json.loads(target.read_text())
    (call,) = data["messages"][1]["tool_calls"]
    assert (call["name"], call["server"], call["status"], call["truncated"]) == ("tide_table", "ocean", "ran", True)
    assert main(["show", "last", "--tree"]) == 0
    assert "↳ tool `ocean · tide_table` — ran" in capsys.readouterr().out


def test_search_finds_a_tool_call_by_its_arguments_and_its_output(
    stored: Conversation, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    for query in ("brest", "water"):
        assert main(["search", query]) == 0
        lines = [line for line in capsys.readouterr().out.splitlines() if "  tool  " in line]
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{stored.id[:8]}  tool       Tides  —  tide_table: ")

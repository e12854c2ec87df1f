"""``-p`` with tools, on the demo backend (no proxy): --yes, no terminal, unknown names, the stderr lines."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from llmconsole.core.tools.events import ToolApprovalRequest
from llmconsole.core.tools.values import ToolCall, ToolSpec
from llmconsole.prompt_tools import terminal_approval
from tests.faultserver import cli_env, run_cli

pytestmark = pytest.mark.anyio
LINE = re.compile(
    r"^llmconsole: tool demo/roll_dice \{\"count\":2,\"sides\":6\} → ok in \d+\.\d\d s: rolled 2d6: \d, \d \(sum \d+\)$"
)


def test_yes_runs_the_call_and_the_reply_reads_its_result(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    result = run_cli("--demo", "-p", "roll the dice", "--tools", "all", "--yes", env=env, stdin="", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Let me roll two six-sided dice with the demo tool.\nThe demo tool answered:")
    (line,) = result.stderr.splitlines()
    assert LINE.match(line), line
    rolled = line.rpartition(": ")[2]
    assert rolled in result.stdout  # the second reply read the tool's result
    shown = run_cli("history", "--demo", "show", "last", env=env, timeout=60).stdout
    assert "**Tool call** `demo · roll_dice` — ran" in shown and rolled in shown


def test_without_yes_and_without_a_terminal_nothing_is_sent(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    result = run_cli("--demo", "-p", "roll the dice", "--tools", "roll_dice", env=env, stdin="", timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "add --yes" in result.stderr
    listing = run_cli("history", "--demo", "list", env=env, timeout=60)
    assert "roll the dice" not in listing.stdout


def test_an_unknown_tool_name_is_exit_2_and_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    result = run_cli("--demo", "-p", "hi", "--tools", "roll_dice,nope", "--yes", env=env, stdin="", timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "llmconsole: no tool named 'nope': `llmconsole tools` lists the tools there are\n"


def test_no_tools_flag_means_no_tools(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    result = run_cli("--demo", "-p", "roll the dice", "--tools", "", env=env, stdin="", timeout=60)
    assert result.returncode == 0 and "no tool is offered" in result.stdout and result.stderr == ""


async def test_the_terminal_is_asked_until_it_answers() -> None:
    request = ToolApprovalRequest(ToolCall("c1", "add", '{"a": 1}'), ToolSpec("add", server_name="calc"))
    asked = io.StringIO()
    assert await terminal_approval(io.StringIO("maybe\nA\n"), asked)(request) == "always"
    text = asked.getvalue()
    assert text.startswith('llmconsole: run calc/add?\n{\n  "a": 1\n}\n') and text.count("[y] run once") == 2
    assert await terminal_approval(io.StringIO("n\n"), io.StringIO())(request) == "decline"
    assert await terminal_approval(io.StringIO(""), io.StringIO())(request) == "cancel"  # end of input

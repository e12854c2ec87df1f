"""Compare's navigation and the toasts' place in a real terminal (issue 20 items 3 and 6): the console runs in
tmux (a private server per test), keys go in as a terminal sends them, and the screen is read back as text.

Every step waits for what the screen must show (polled, with a deadline), never for a fixed time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

SRC = Path(__file__).resolve().parents[2] / "src"


class Tmux:
    """One tmux server (its own socket) running the demo console at a fixed size."""

    def __init__(self, home: Path, size: tuple[int, int]) -> None:
        self.socket = f"llmc-test-{os.getpid()}-{id(self)}"
        self.size = size
        env = {
            "LLMCONSOLE_DATA_DIR": str(home / "data"),
            "LLMCONSOLE_CACHE_DIR": str(home / "cache"),
            "LLMCONSOLE_CONFIG_DIR": str(home / "config"),
            "PYTHONPATH": str(SRC),
            "TERM": "xterm-256color",
        }
        # (COLUMNS and LINES would override the terminal's size in Textual: the size is tmux's alone)
        command = " ".join(
            ["env", "-u", "COLUMNS", "-u", "LINES", *(f"{k}={v}" for k, v in env.items()), sys.executable]
            + ["-m", "llmconsole", "--demo", "--no-history"]
        )
        self.tmux("new-session", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]), command)

    def tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-t", "t", "-p").splitlines()

    def wait_for(self, condition: Callable[[list[str]], bool], what: str, timeout: float = 60.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if condition(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"never showed {what}:\n" + "\n".join(lines))
            time.sleep(0.1)

    def wait_text(self, text: str, timeout: float = 60.0) -> list[str]:
        return self.wait_for(lambda lines: any(text in line for line in lines), repr(text), timeout)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[[tuple[int, int]], Tmux]]:
    started: list[Tmux] = []

    def start(size: tuple[int, int]) -> Tmux:
        term = Tmux(tmp_path, size)
        started.append(term)
        term.wait_text("Ask something")  # the first screen
        term.wait_for(lambda lines: "demo-gpt-5" in " ".join(lines), "the model")
        return term

    yield start
    for term in started:
        term.close()


def at(lines: list[str], where: int) -> bool:
    """The line above the columns says ``where/3`` and that answer's column (its title) is on screen."""
    return any(line.startswith(f" {where}/3 · ← → or [ ] move") for line in lines) and any(
        line.startswith(f"╭─ {where}/3 ") for line in lines
    )


def test_compare_at_80_columns_says_where_you_are_and_moves(terminal: Callable[[tuple[int, int]], Tmux]) -> None:
    term = terminal((80, 24))
    term.keys("F3")
    term.wait_text("1 selected")
    for count in (2, 3):
        term.keys("Down")
        term.keys("Space")
        term.wait_text(f"{count} selected")
    term.keys("Tab")
    term.type("hello there")
    term.keys("Enter")
    term.wait_text("continues · esc closes")  # every answer has ended
    for key, where in [("", 1), ("Right", 2), ("]", 3), ("Left", 2), ("[", 1)]:
        if key:
            term.keys(key)
        lines = term.wait_for(lambda lines, n=where: at(lines, n), f"{where}/3 in the line and a column's title")
        assert all(len(line) <= 80 for line in lines)


def test_toasts_stay_off_the_prompt_and_the_rate_limit_dialog(terminal: Callable[[tuple[int, int]], Tmux]) -> None:
    term = terminal((80, 24))
    term.keys("C-l")
    term.wait_text("enter selects")
    term.type("ratelim")
    term.keys("Enter")
    term.wait_for(lambda lines: "demo-ratelimited" in lines[-2], "the model in the status bar")
    term.type("hello")
    term.keys("Enter")
    term.wait_text("Rate limit exceeded")
    term.keys("C-x")
    lines = term.wait_text("Automatic resend cancelled")
    assert "Automatic resend cancelled" in lines[0]  # the title bar's row, above the dialog
    assert not any("Automatic resend cancelled" in line for line in lines[1:])
    assert any("Close (esc)" in line for line in lines)  # the dialog's buttons in view


@pytest.mark.parametrize("size", [(60, 20), (120, 40)])
def test_a_toast_leaves_the_prompt_and_status_bar_visible(
    terminal: Callable[[tuple[int, int]], Tmux], size: tuple[int, int]
) -> None:
    term = terminal(size)
    term.type("hello")
    term.keys("Enter")
    term.wait_text("completed")
    term.keys("C-n")
    lines = term.wait_text("New conversation.")
    assert "New conversation." in lines[0]
    assert any("Ask something" in line for line in lines[-6:])  # the prompt
    assert "demo-gpt-5" in lines[-2]  # the status bar
    term.wait_for(lambda lines: not any("New conversation." in line for line in lines), "the toast gone", 10)

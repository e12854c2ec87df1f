"""Drive the real console in a real terminal: a detached tmux session of its own (its own socket), keys sent
with ``send-keys``, the screen read with ``capture-pane``; every wait is on what the screen shows, with a
deadline. Each session is killed by its socket when the test ends (never a broad kill)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import llmconsole

SRC = str(Path(llmconsole.__file__).resolve().parents[1])


FOLDERS = ("LLMCONSOLE_DATA_DIR", "LLMCONSOLE_CACHE_DIR", "LLMCONSOLE_CONFIG_DIR")


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


class Terminal:
    """One console running in a tmux pane of ``width`` x ``height``."""

    def __init__(self, socket: Path, name: str) -> None:
        self.socket = socket
        self.name = name

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30, check=True
        )
        return result.stdout

    def keys(self, *keys: str) -> None:
        """Press tmux key names (``Enter``, ``Escape``, ``C-Up``, ``M-Up``, a single character…) in order."""
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)

    def type(self, text: str) -> None:
        """Type ``text`` literally."""
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def lines(self) -> list[str]:
        return self.screen().splitlines()

    def wait(self, condition: Callable[[str], bool], *, timeout: float = 30.0, what: str = "") -> str:
        """Read the screen until ``condition(screen)`` holds (each read a fresh capture); fail after
        ``timeout`` seconds, showing the last screen."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while not condition(screen):
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed {what or condition!r}:\n{screen}")
            time.sleep(0.05)  # between two captures (the condition is what is waited on)
            screen = self.screen()
        return screen

    def wait_for(self, text: str, *, timeout: float = 30.0) -> str:
        return self.wait(lambda screen: text in screen, timeout=timeout, what=repr(text))

    def wait_closed(self, *, timeout: float = 30.0) -> None:
        """Wait until the console has quit (its tmux session ended with it)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"the console did not quit:\n{self.screen()}")
            time.sleep(0.05)

    def alive(self) -> bool:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), "has-session", "-t", self.name], capture_output=True, timeout=30
        )
        return result.returncode == 0


@contextmanager
def console(
    tmp: Path, *args: str, env: Mapping[str, str] | None = None, width: int = 120, height: int = 40
) -> Iterator[Terminal]:
    """``llmconsole ARGS`` in a fresh tmux server (socket under ``tmp``), killed at the end."""
    socket = tmp / f"tmux-{uuid.uuid4().hex[:8]}.sock"
    name = "llmconsole"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp)),
        "TERM": "xterm-256color",
        "PYTHONPATH": SRC,
        # the test's own folders (tests/conftest.py), never the real home's
        **{key: os.environ.get(key, str(tmp / key.lower())) for key in FOLDERS},
        **(env or {}),
    }
    for key in ("COLUMNS", "LINES"):  # they would override the terminal's size in Textual: tmux's size alone
        environment.pop(key, None)
    exports = " ".join(f"{key}={_quote(value)}" for key, value in environment.items())
    command = f"env -i {exports} {_quote(sys.executable)} -m llmconsole {' '.join(_quote(a) for a in args)}"
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", str(width)]
        + ["-y", str(height), command],
        check=True,
        timeout=30,
    )
    terminal = Terminal(socket, name)
    try:
        yield terminal
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=30)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"

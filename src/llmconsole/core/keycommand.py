"""Keys from a command (``api_key_command`` of a profile), for rotating tokens such as ``lite auth print-token``.

The command line is split and expanded (``~``, ``$VAR``) like a shell would (:mod:`llmconsole.core.shellwords`)
but run without a shell, with no standard input, for
at most :data:`KEY_COMMAND_TIMEOUT` seconds; the key is the first line of its standard output. The key is never
printed, logged or stored; the command's standard error is shown (redacted, one line) only when it fails.

:class:`KeyCommand` holds the current key and every key it handed out (for redaction). It belongs to the
configuration (a profile names it); :class:`llmconsole.core.proxy.auth.CommandAuth` puts its key on requests.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Mapping

from llmconsole.core.errors import ConfigError
from llmconsole.core.redact import REDACTED, one_line, redact

__all__ = ["KEY_COMMAND_TIMEOUT", "KeyCommand"]

KEY_COMMAND_TIMEOUT = 10.0
"""Seconds a key command may run before it is killed (with its process group)."""


class KeyCommand:
    """A command that prints the key. Thread-safe; the key is fetched at most once at a time."""

    def __init__(
        self,
        argv: tuple[str, ...],
        *,
        label: str = "api_key_command",
        timeout: float = KEY_COMMAND_TIMEOUT,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = argv
        self.label = label
        """Where the command was configured (``profile 'work': api_key_command``), for messages."""
        self.timeout = timeout
        self._environ = environ
        self._lock = threading.Lock()
        self._key: str | None = None
        self._seen: list[str] = []
        self.fetches = 0
        """How many times the command ran (successfully or not)."""

    def __repr__(self) -> str:
        return f"KeyCommand({self.argv[0]!r}, fetches={self.fetches})"

    @property
    def program(self) -> str:
        """The program's name (no arguments: they might hold secrets)."""
        return os.path.basename(self.argv[0])

    def secrets(self) -> tuple[str, ...]:
        """Every key this command handed out (stale ones too): all are redacted."""
        return tuple(self._seen)

    def key(self) -> str:
        """The current key, running the command when there is none yet (blocks up to the timeout)."""
        with self._lock:
            if self._key is None:
                self._key = self._run()
            return self._key

    def refresh(self, stale: str | None) -> str:
        """A new key after ``stale`` was refused; when another request already replaced it, that one."""
        with self._lock:
            if self._key is None or self._key == stale:
                self._key = self._run()
            return self._key

    def _fail(self, what: str, stderr: bytes = b"") -> ConfigError:
        text = redact(stderr.decode("utf-8", "replace"), self._seen)
        detail = one_line(_TOKEN_LIKE.sub(REDACTED, text), 200)
        tail = f": {detail}" if detail else ""
        return ConfigError(f"{self.label} ({self.program}) {what}{tail}")

    def _run(self) -> str:
        self.fetches += 1
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=None if self._environ is None else dict(self._environ),
                start_new_session=True,  # its own process group: a timeout kills its children too
            )
        except FileNotFoundError:
            raise self._fail("failed: command not found") from None
        except PermissionError:
            raise self._fail("failed: not executable") from None
        except OSError as exc:
            raise self._fail(f"failed: {exc.strerror or exc}") from None
        try:
            stdout, stderr = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise self._fail(f"gave no key within {self.timeout:g} s") from None
        lines = stdout.decode("utf-8", "replace").splitlines()
        key = lines[0].strip() if lines else ""
        if key:
            self._seen.append(key)  # redact it from its own stderr too
        if proc.returncode != 0:
            raise self._fail(f"failed with exit status {proc.returncode}", stderr)
        if not key:
            raise self._fail("printed no key (the first line of its output is empty)", stderr)
        return key


_TOKEN_LIKE = re.compile(
    r"(?<=[Bb]earer )\S+"  # Authorization headers
    r"|\bsk-[A-Za-z0-9_\-]{8,}"  # OpenAI/LiteLLM-style keys
    r"|\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"  # JWTs
)
"""Anything in a failing command's stderr that looks like a token (it may be an older key: not one we know)."""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:  # pragma: no cover - a child that ignores SIGKILL's group
        pass

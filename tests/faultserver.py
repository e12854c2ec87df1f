"""Helpers for the fault tests: a socket-level fake proxy on 127.0.0.1 and a ``python -m llmconsole`` runner.

:class:`FaultServer` answers ``GET /v1/models`` (any ids, any number), ``/v1/model/info`` and ``/model/info``
(404 unless given) and hands ``POST /v1/responses`` to a handler that writes whatever bytes it likes on the
raw socket (:class:`Conn`): half an event, invalid JSON, a 10 MB line, an HTML page, a stall, a TCP reset.
One request per connection (``Connection: close``), one thread per connection; only the standard library.

:func:`run_cli` runs the command line as a user would (a subprocess, a timeout always, a clean environment
with private data/cache/config folders) and :func:`assert_one_clean_line` checks what an error must look
like: one line on stderr, no traceback, no secret.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- the command line -----------------------------------------------------------------------------------------

_DROP_ENV = (
    "OPENAI_",
    "LLMCONSOLE_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


def cli_env(home: Path, base_url: str | None, key: str | None, **extra: str) -> dict[str, str]:
    """An environment for ``python -m llmconsole``: the proxy, the key, and private folders under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_ENV)}
    env.update(
        {
            "LLMCONSOLE_DATA_DIR": str(home / "data"),
            "LLMCONSOLE_CACHE_DIR": str(home / "cache"),
            "LLMCONSOLE_CONFIG_DIR": str(home / "config"),
            "PYTHONIOENCODING": "utf-8",
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
    if key is not None:
        env["OPENAI_API_KEY"] = key
    env.update(extra)
    return env


def write_config(home: Path, text: str) -> None:
    """Write ``config.toml`` where :func:`cli_env` points ``LLMCONSOLE_CONFIG_DIR``."""
    folder = home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")


def run_cli(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """``python -m llmconsole ARGS`` with a timeout (a hang fails the test instead of the run)."""
    return subprocess.run(
        [sys.executable, "-m", "llmconsole", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        input=stdin,
        timeout=timeout,
        check=False,
    )


def history_show_last(env: dict[str, str]) -> str:
    """``llmconsole history show last`` with the same data folder (exit 0 asserted)."""
    result = run_cli("history", "show", "last", env=env, timeout=20)
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_no_secret(texts: Iterable[str], secrets: Sequence[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, "a secret leaked into the output"


def assert_one_clean_line(result: subprocess.CompletedProcess[str], code: int, *, secrets: Sequence[str] = ()) -> str:
    """The run exited ``code`` with exactly one line on stderr, no traceback, no secret; returns the line."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("llmconsole: "), lines[0]
    assert_no_secret((result.stdout, result.stderr), secrets)
    return lines[0]


@dataclass
class StreamedRun:
    """A subprocess whose stdout was read as it came: ``chunks`` of (monotonic time, bytes)."""

    returncode: int
    chunks: list[tuple[float, bytes]]
    stderr: str
    started: float
    exited: float

    @property
    def stdout(self) -> str:
        return b"".join(c for _, c in self.chunks).decode("utf-8")


def stream_cli(*args: str, env: dict[str, str], timeout: float = 30.0) -> StreamedRun:
    """Run the CLI and record when each piece of stdout arrived (read unbuffered, on a thread)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmconsole", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        bufsize=0,
    )
    chunks: list[tuple[float, bytes]] = []
    err: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    out_pipe, err_pipe = proc.stdout, proc.stderr

    def read_out() -> None:
        while True:
            data = os.read(out_pipe.fileno(), 65536)
            if not data:
                return
            chunks.append((time.monotonic(), data))

    def read_err() -> None:
        err.append(err_pipe.read())

    threads = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise
    exited = time.monotonic()
    for t in threads:
        t.join(5)
    out_pipe.close()
    err_pipe.close()
    return StreamedRun(proc.returncode, chunks, b"".join(err).decode("utf-8", "replace"), started, exited)


# -- SSE helpers ----------------------------------------------------------------------------------------------


def sse(payload: Any) -> bytes:
    """One ``data:`` event (JSON payloads are serialised; bytes/str go as they are)."""
    if isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, str):
        data = payload.encode()
    else:
        data = json.dumps(payload).encode()
    return b"data: " + data + b"\n\n"


def delta(text: str) -> bytes:
    return sse({"type": "response.output_text.delta", "delta": text})


def completed(output_tokens: int = 3) -> bytes:
    usage = {"input_tokens": 5, "output_tokens": output_tokens, "total_tokens": 5 + output_tokens}
    return sse({"type": "response.completed", "response": {"id": "resp_1", "usage": usage}})


DONE = b"data: [DONE]\n\n"

# -- the server -------------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Conn:
    """The raw socket of one request, with helpers to answer it well or badly."""

    def __init__(self, sock: socket.socket, request: Request, server: FaultServer) -> None:
        self.sock = sock
        self.request = request
        self.server = server
        self._chunked = False

    def send(self, status: int, body: bytes | str, content_type: str = "application/json", **headers: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(data)}"]
        head += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        head.append("Connection: close")
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)

    def send_json(self, status: int, obj: Any, **headers: str) -> None:
        self.send(status, json.dumps(obj), "application/json", **headers)

    def start_stream(self, *, chunked: bool = True) -> None:
        """200 text/event-stream; chunked, or (``chunked=False``) raw until the connection closes."""
        head = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream; charset=utf-8", "Connection: close"]
        if chunked:
            head.append("Transfer-Encoding: chunked")
        self._chunked = chunked
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def write(self, data: bytes) -> None:
        if self._chunked:
            self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.sock.sendall(data)

    def end(self) -> None:
        if self._chunked:
            self.sock.sendall(b"0\r\n\r\n")

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until the peer's kernel has acknowledged every byte written (Linux ``SIOCOUTQ`` is 0), so that
        a :meth:`reset` right after cannot discard them: a condition, not a guessed sleep. Where the ioctl is
        missing, fail rather than hope."""
        import fcntl
        import termios

        outq = getattr(termios, "TIOCOUTQ", None)
        if outq is None:  # pragma: no cover - not Linux
            raise RuntimeError("Conn.drain needs TIOCOUTQ (Linux)")
        deadline = time.monotonic() + timeout
        buf = bytearray(4)
        while True:
            fcntl.ioctl(self.sock.fileno(), outq, buf)
            if int.from_bytes(buf, sys.byteorder) == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the peer did not acknowledge the data written")
            time.sleep(0.001)

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0, then close). :meth:`drain` first to keep what
        was written."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def stall(self, seconds: float = 30.0) -> None:
        """Send nothing until the server closes (or ``seconds`` pass)."""
        self.server.released.wait(seconds)


Handler = Callable[[Conn], None]


@dataclass
class FaultServer:
    """A fake proxy on 127.0.0.1 for faults at the socket level. Use as a context manager."""

    models: list[str] = field(default_factory=lambda: ["fault-model"])
    model_info: Any = None
    """The ``/v1/model/info`` body; None answers 404 (discovery falls back to name patterns)."""
    responses: Handler | None = None
    models_handler: Handler | None = None
    received: list[Request] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name="fault-server")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> FaultServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._acceptor.join(5)
        for t in self._threads:
            t.join(5)

    def requests(self, path_end: str) -> list[Request]:
        return [r for r in self.received if r.path.split("?")[0].endswith(path_end)]

    def _accept(self) -> None:
        while not self.released.is_set():
            try:
                sock, _ = self._sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            request = _read_request(sock)
            if request is None:
                return
            self.received.append(request)
            conn = Conn(sock, request, self)
            path = request.path.split("?")[0].rstrip("/")
            if path == "/v1/models":
                if self.models_handler is not None:
                    self.models_handler(conn)
                else:
                    data = [{"id": m, "object": "model", "owned_by": "openai"} for m in self.models]
                    conn.send_json(200, {"object": "list", "data": data})
            elif path in ("/v1/model/info", "/model/info"):
                if self.model_info is None:
                    conn.send_json(404, {"detail": "Not Found"})
                else:
                    conn.send_json(200, self.model_info)
            elif path == "/v1/responses" and self.responses is not None:
                self.responses(conn)
            else:
                conn.send_json(404, {"detail": "Not Found"})
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass


def _read_request(sock: socket.socket) -> Request | None:
    sock.settimeout(10)
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    sock.settimeout(None)
    body: Any = None
    if rest:
        try:
            body = json.loads(rest)
        except ValueError:
            body = None
    return Request(method, path, headers, body)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""Real network pieces for the trust, profile and doctor tests.

* :func:`throwaway_ca` — a CA made for one test (``trustme``) and a server certificate for 127.0.0.1/localhost.
* :class:`OpenAIServer` — a bare OpenAI-compatible server (``/v1/models`` only: no ``/model/info``, no
  ``/key/info``, no ``/utils/token_counter``), over http or TLS, on a thread. Counts requests and their keys.
* :class:`ForwardProxy` — the ``proxy.py`` forward proxy from PyPI as a subprocess (CONNECT tunnels), stopped by PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme


@contextmanager
def throwaway_ca(tmp_path: Path) -> Iterator[tuple[trustme.CA, Path, ssl.SSLContext]]:
    """(the CA, its PEM file, a server context with a certificate for 127.0.0.1 and localhost)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    pem = tmp_path / "throwaway-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(server_context)
    yield ca, pem, server_context


class OpenAIServer:
    """A plain OpenAI-compatible server: ``GET /v1/models`` answers, everything else is 404."""

    def __init__(
        self,
        models: list[str],
        *,
        tls: ssl.SSLContext | None = None,
        key: str | None = None,
        routes: dict[str, tuple[int, object]] | None = None,
    ) -> None:
        """``routes``: more answers, ``path -> (status, JSON payload or raw bytes)``, for GET and POST alike."""
        self.models = models
        self.key = key
        self.routes = dict(routes or {})
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, payload: object) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()  # bytes: as they are
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                outer.paths.append(self.path)
                if outer.key is not None and self.headers.get("authorization") != f"Bearer {outer.key}":
                    self._answer(401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})
                elif self.path in outer.routes:
                    self._answer(*outer.routes[self.path])
                elif self.path == "/v1/models":
                    self._answer(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in outer.models]})
                else:
                    self._answer(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                outer.paths.append(self.path)
                self._answer(*outer.routes.get(self.path, (404, {"error": {"message": f"no route {self.path}"}})))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ForwardProxy:
    """``python -m proxy`` (proxy.py) on 127.0.0.1: a real HTTP forward proxy with CONNECT."""

    def __init__(self, workdir: Path, *, basic_auth: str | None = None) -> None:
        self.port = free_port()
        self.basic_auth = basic_auth
        self.log_path = workdir / "proxy-py.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", str(self.port)]
                + ["--num-workers", "1", "--num-acceptors", "1", "--log-level", "WARNING"]
                + (["--basic-auth", self.basic_auth] if self.basic_auth else []),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"proxy.py exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("proxy.py did not listen within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=5)
        self._proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

"""Local MCP servers (``[mcp.servers.NAME]`` in config.toml) over stdio, with the official ``mcp`` SDK.

Each server is started on first use and kept running until :meth:`LocalServers.aclose`. It gets a clean
environment (the SDK's ``HOME``, ``PATH``, ``USER``, ... and the config's ``env``), never the proxy key: an
``env`` value holding a secret is left out with a warning. Its stderr goes to ``<data>/logs/mcp-NAME.log``, not
to the terminal. Listing and calling never raise: a server that does not start offers no tools (the listing's
note says why), a failed call is an error result. The SDK is imported only when a server is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from llmconsole.core import paths
from llmconsole.core.config import DEFAULT_TOOL_TIMEOUT, McpServerConfig
from llmconsole.core.redact import one_line, redact
from llmconsole.core.tools.values import ToolArgumentsError, ToolCall, ToolListing, ToolResult, ToolSpec

if TYPE_CHECKING:
    from mcp import ClientSession

__all__ = ["START_TIMEOUT_S", "LocalServer", "LocalServers"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
"""Seconds a server may take to start and answer ``initialize``."""


def _dump(value: Any) -> Any:
    """An SDK result as MCP's wire JSON (camelCase), whichever major version of the SDK is installed."""
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


class LocalServer:
    """One local stdio server: a background task owns the process and the MCP session; calls use the session."""

    def __init__(
        self,
        name: str,
        config: McpServerConfig,
        *,
        secrets: Callable[[], Sequence[str]] = tuple,
        call_timeout: float = DEFAULT_TOOL_TIMEOUT,
    ) -> None:
        self.name = name
        self.config = config
        self.secrets = secrets
        """The strings never handed to the server nor shown (the proxy key)."""
        self.call_timeout = call_timeout
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._failure: str | None = None
        self._lock = asyncio.Lock()

    def environment(self) -> dict[str, str]:
        """The config's ``env`` without any value that holds a secret (the SDK adds ``HOME``, ``PATH``, ...)."""
        secrets = [s for s in self.secrets() if s]
        env: dict[str, str] = {}
        for key, value in self.config.env.items():
            if any(secret in value for secret in secrets):
                log.warning("mcp server %s: env %s holds the proxy key: left out", self.name, key)
                continue
            env[key] = value
        return env

    def _errlog(self) -> TextIO:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)
        try:
            folder = paths.ensure_private_dir(paths.data_dir() / "logs")
            return open(folder / f"mcp-{safe}.log", "a", encoding="utf-8")  # closed by _run
        except OSError:
            import os

            return open(os.devnull, "w", encoding="utf-8")

    async def _run(self) -> None:
        """Own the process and the session for as long as the server is used (enter and exit in one task)."""
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(
            command=self.config.command, args=list(self.config.args), env=self.environment() or None
        )
        errlog = self._errlog()
        try:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                self._session = session
                self._ready.set()
                await self._stop.wait()
        except Exception as exc:  # any failure of a user's server is one line
            self._failure = self._describe(exc)
            log.info("mcp server %s stopped: %s", self.name, self._failure)
        finally:
            self._session = None
            self._ready.set()
            errlog.close()

    def _describe(self, exc: BaseException) -> str:
        inner = exc
        while isinstance(inner, BaseExceptionGroup) and inner.exceptions:
            inner = inner.exceptions[0]
        text = str(inner) or type(inner).__name__
        if isinstance(inner, FileNotFoundError):
            text = f"cannot run {self.config.command!r} (not found)"
        return one_line(redact(text, self.secrets()), 200)

    async def _connected(self) -> ClientSession:
        """The live session, starting the server when needed; :class:`RuntimeError` (one line) when it cannot."""
        async with self._lock:
            if self._session is None and (self._task is None or self._task.done()):
                self._ready.clear()
                self._stop.clear()
                self._failure = None
                self._task = asyncio.create_task(self._run(), name=f"mcp-server-{self.name}")
            try:
                await asyncio.wait_for(self._ready.wait(), START_TIMEOUT_S)
            except TimeoutError:
                await self.aclose()
                raise RuntimeError(f"no answer within {START_TIMEOUT_S:g} s of starting") from None
            if self._session is None:
                raise RuntimeError(self._failure or "the server stopped")
            return self._session

    async def list_tools(self) -> ToolListing:
        """The server's tools (source ``local``, server name ``NAME``); none and a note when it fails."""
        try:
            session = await self._connected()
            result = await asyncio.wait_for(session.list_tools(), self.call_timeout)
        except Exception as exc:  # the SDK's own errors (McpError, ...), a timeout, a server that did not start
            return ToolListing(note=f"local server {self.name}: {self._describe(exc)}")
        from llmconsole.core.tools.wire import parse_tool_list  # pydantic: loaded when tools are listed

        tools = parse_tool_list(_dump(result), source="local", server_name=self.name)
        return ToolListing(tuple(t for t in tools if t.server_name == self.name))

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        """Run ``call`` as ``spec``; a timeout, a crash or bad arguments come back as an error result."""
        try:
            arguments = call.parsed_arguments()
        except ToolArgumentsError as exc:
            return ToolResult.failure(call.call_id, str(exc))
        try:
            session = await self._connected()
            result = await asyncio.wait_for(session.call_tool(spec.name, arguments), self.call_timeout)
        except TimeoutError:
            return ToolResult.failure(call.call_id, f"{spec.name}: no answer within {self.call_timeout:g} s")
        except Exception as exc:  # a user's server may fail in any way
            return ToolResult.failure(call.call_id, f"{spec.name}: {self._describe(exc)}")
        from llmconsole.core.tools.wire import result_of

        return result_of(call.call_id, _dump(result), secrets=self.secrets())

    async def aclose(self) -> None:
        """Stop the server (its stdin closes, then it is terminated) and wait for it."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10.0)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class LocalServers:
    """Every ``[mcp.servers.NAME]`` of the config, listed together and called by server name."""

    def __init__(
        self,
        servers: Mapping[str, McpServerConfig],
        *,
        secrets: Callable[[], Sequence[str]] = tuple,
        call_timeout: float = DEFAULT_TOOL_TIMEOUT,
    ) -> None:
        self.servers = {
            name: LocalServer(name, config, secrets=secrets, call_timeout=call_timeout)
            for name, config in servers.items()
        }

    async def list_tools(self) -> ToolListing:
        """The tools of every server (started at once, in parallel); the notes of those that failed."""
        if not self.servers:
            return ToolListing()
        listings = await asyncio.gather(*(server.list_tools() for server in self.servers.values()))
        tools = tuple(tool for listing in listings for tool in listing.tools)
        notes = [listing.note for listing in listings if listing.note]
        return ToolListing(tools, "; ".join(notes) or None)

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        """Run ``call`` on the server ``spec`` belongs to."""
        server = self.servers.get(spec.server_name)
        if server is None:
            return ToolResult.failure(call.call_id, f"{spec.name}: no local server {spec.server_name!r}")
        return await server.call(spec, call)

    async def aclose(self) -> None:
        """Stop every server."""
        await asyncio.gather(*(server.aclose() for server in self.servers.values()))

"""LiteLLM's MCP gateway: ``GET /mcp-rest/tools/list`` and ``POST /mcp-rest/tools/call``, with the proxy's key.

A proxy without the gateway (404), a key allowed no MCP server (403, or LiteLLM's ``access_denied`` answer) or a
gateway that fails simply offers no tools: :meth:`GatewayTools.list_tools` never raises, it returns a
:class:`~.values.ToolListing` whose ``note`` says why. A call never raises either: a refused call, a timeout or
a broken connection is a :class:`~.values.ToolResult` with ``is_error`` (the model is told), redacted.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import httpx

from llmconsole.core.config import DEFAULT_TOOL_TIMEOUT
from llmconsole.core.jsondoc import DocumentError, read_document
from llmconsole.core.proxy.http_errors import error_from_response
from llmconsole.core.redact import one_line, redact
from llmconsole.core.tools.values import (
    ToolArgumentsError,
    ToolCall,
    ToolListing,
    ToolResult,
    ToolSpec,
)

if TYPE_CHECKING:
    from llmconsole.core.proxy.client import ProxyClient

__all__ = ["LIST_TIMEOUT_S", "GatewayTools"]

log = logging.getLogger(__name__)

LIST_TIMEOUT_S = 15.0
"""Seconds allowed for the gateway's tool list (it asks every MCP server the key may use)."""
_NO_SERVERS = ("access_denied", "not allowed to access any mcp servers")


class GatewayTools:
    """The tools of one proxy's MCP gateway, over the :class:`ProxyClient`'s pooled connection and key."""

    def __init__(self, client: ProxyClient, *, call_timeout: float = DEFAULT_TOOL_TIMEOUT) -> None:
        self.client = client
        self.call_timeout = call_timeout
        """Seconds one call may take before it ends as an error."""

    def _url(self, path: str) -> str:
        return f"{self.client.settings.base_url}/mcp-rest/{path}"

    def _redact(self, text: str) -> str:
        return redact(text, self.client.settings.secrets())

    async def list_tools(self) -> ToolListing:
        """Every tool the key may call, with its server; none (and a note) when there is no gateway."""
        if not self.client.settings.base_url:
            return ToolListing(note="no proxy configured")
        try:
            response = await self.client.http.get(self._url("tools/list"), timeout=LIST_TIMEOUT_S)
        except httpx.HTTPError as exc:
            return ToolListing(note=f"the tool list failed: {self._reason(exc)}")
        if response.status_code in (404, 405):
            return ToolListing(note="this proxy has no MCP gateway (/mcp-rest answered 404)")
        try:
            payload: Any = read_document(response.content)
        except ValueError:
            payload = None
        if response.status_code >= 400:
            if response.status_code == 403 or _names_no_servers(payload):
                return ToolListing(note="this key may use no MCP server on the proxy")
            error = error_from_response(
                response.status_code, response.headers, response.content, model=None,
                secrets=self.client.settings.secrets(),
            )  # fmt: skip
            return ToolListing(note=f"the tool list failed: {error.message}")
        if not isinstance(payload, dict):
            return ToolListing(note="the gateway's tool list is not JSON")
        from llmconsole.core.tools.wire import parse_tool_list  # pydantic: loaded when tools are listed

        tools = tuple(parse_tool_list(payload, source="proxy"))
        note = None
        if payload.get("error") and _names_no_servers(payload):
            note = "this key may use no MCP server on the proxy"
        elif payload.get("error"):
            note = one_line(self._redact(f"the gateway: {payload.get('message') or payload.get('error')}"), 240)
        return ToolListing(tools, note)

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        """Run ``call`` on the gateway as ``spec`` (its name and server id); errors come back as error results."""
        try:
            arguments = call.parsed_arguments()
        except ToolArgumentsError as exc:
            return ToolResult.failure(call.call_id, str(exc))
        body: dict[str, Any] = {"name": spec.name, "arguments": arguments}
        if spec.server_id:
            body["server_id"] = spec.server_id
        elif spec.server_name:
            body["server_id"] = spec.server_name  # LiteLLM resolves a server's name too
        try:
            response = await self.client.http.post(
                self._url("tools/call"), content=json.dumps(body).encode(), timeout=self.call_timeout
            )
        except httpx.TimeoutException:
            return ToolResult.failure(call.call_id, f"{spec.name}: no answer within {self.call_timeout:g} s")
        except httpx.HTTPError as exc:
            return ToolResult.failure(call.call_id, f"{spec.name}: the call failed: {self._reason(exc)}")
        if response.status_code >= 400:
            error = error_from_response(
                response.status_code, response.headers, response.content, model=None,
                secrets=self.client.settings.secrets(),
            )  # fmt: skip
            log.info("tool %s refused by the gateway: %s", spec.qualified_name, error.message)
            return ToolResult.failure(call.call_id, f"{spec.name}: the gateway refused the call: {error.message}")
        try:
            payload = read_document(response.content)
        except DocumentError as exc:
            return ToolResult.failure(call.call_id, f"{spec.name}: the gateway's answer is {exc.reason}")
        from llmconsole.core.tools.wire import result_of

        return result_of(call.call_id, payload, secrets=self.client.settings.secrets())

    def _reason(self, exc: httpx.HTTPError) -> str:
        return one_line(self._redact(str(exc)) or type(exc).__name__, 160)


def _names_no_servers(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    detail = payload.get("detail", payload)
    text = json.dumps(detail).lower() if detail is not None else ""
    return any(marker in text for marker in _NO_SERVERS)

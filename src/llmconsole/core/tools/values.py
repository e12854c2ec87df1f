"""The typed values of tools: what a tool is (:class:`ToolSpec`), what the model asked (:class:`ToolCall`) and
what went back (:class:`ToolResult`).

They are frozen and plain (no I/O): the gateway client, the local servers, both endpoints, the tool-round flow,
the history and the UI all pass them around. A call's arguments stay the JSON text the model wrote
(:attr:`ToolCall.arguments`); :meth:`ToolCall.parsed_arguments` reads them. A result is capped at
:data:`MAX_RESULT_BYTES` by :meth:`ToolResult.capped`, which says where it cut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from llmconsole.core.redact import one_line

__all__ = [
    "MAX_RESULT_BYTES",
    "ToolArgumentsError",
    "ToolCall",
    "ToolListing",
    "ToolResult",
    "ToolSource",
    "ToolSpec",
]

ToolSource = Literal["proxy", "local"]
"""Where a tool lives: ``proxy`` (LiteLLM's MCP gateway) or ``local`` (a ``[mcp.servers.NAME]`` stdio server)."""

MAX_RESULT_BYTES = 32 * 1024
"""A result's text is cut to this many UTF-8 bytes before it is sent back to the model (the cut is said)."""

_EMPTY_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}}


def _empty_schema() -> dict[str, Any]:
    return dict(_EMPTY_SCHEMA)


def _first_line(text: str, limit: int) -> str:
    """The first non-blank line of ``text`` on one safe line of at most ``limit`` characters (… when cut)."""
    return one_line(next((line for line in text.splitlines() if line.strip()), ""), limit)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool a server offers, as listed by the gateway (``GET /mcp-rest/tools/list``) or a local server."""

    name: str
    """The tool's name on its server (what ``tools/call`` takes)."""
    description: str = ""
    """What the tool does, as its server says it (may be several lines)."""
    input_schema: Mapping[str, Any] = field(default_factory=_empty_schema)
    """The JSON schema of the arguments (``inputSchema``); an object schema."""
    server_name: str = ""
    """The server's name (``mcp_info.server_name`` at the gateway, ``NAME`` of ``[mcp.servers.NAME]``)."""
    server_id: str | None = None
    """The gateway's id of the server (``mcp_info.server_id``), sent with every call; None for local tools."""
    source: ToolSource = "proxy"
    """Where the tool lives: the proxy's gateway or a local stdio server."""

    @property
    def qualified_name(self) -> str:
        """``server/name``: unique across servers; ``--tools`` and ``tools = [...]`` accept it."""
        return f"{self.server_name}/{self.name}" if self.server_name else self.name

    def summary(self, limit: int = 80) -> str:
        """The description's first line, on one line of at most ``limit`` characters."""
        return _first_line(self.description, limit)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the tool cache); :meth:`from_json_dict` reads it back."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": dict(self.input_schema),
            "server_name": self.server_name,
            "server_id": self.server_id,
            "source": self.source,
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> ToolSpec:
        """The inverse of :meth:`to_json_dict`; :class:`ValueError` on anything malformed."""
        name, description = data.get("name"), data.get("description", "")
        schema, server_name = data.get("input_schema", _EMPTY_SCHEMA), data.get("server_name", "")
        server_id, source = data.get("server_id"), data.get("source", "proxy")
        if not isinstance(name, str) or not name or not isinstance(description, str):
            raise ValueError("a tool needs a name and a text description")
        if not isinstance(schema, Mapping) or not isinstance(server_name, str):
            raise ValueError(f"tool {name!r}: malformed schema or server name")
        if server_id is not None and not isinstance(server_id, str):
            raise ValueError(f"tool {name!r}: malformed server id")
        if source not in ("proxy", "local"):
            raise ValueError(f"tool {name!r}: unknown source {source!r}")
        return cls(name, description, dict(schema), server_name, server_id, source)


class ToolArgumentsError(ValueError):
    """A call's arguments are not a JSON object (the model wrote something else)."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for: a Responses ``function_call`` item or a Chat Completions ``tool_calls`` entry."""

    call_id: str
    """The id the answer must carry (``call_id`` / ``tool_call_id``)."""
    name: str
    """The function name the model used (the name the tool was offered under)."""
    arguments: str = "{}"
    """The arguments exactly as the model wrote them: JSON text, normally an object ("" means none)."""

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict (``{}`` for empty text); :class:`ToolArgumentsError` when not a JSON object."""
        if not self.arguments.strip():
            return {}
        try:
            value = json.loads(self.arguments)
        except (ValueError, RecursionError) as exc:
            raise ToolArgumentsError(f"the arguments of {self.name} are not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(f"the arguments of {self.name} are not a JSON object")
        return value

    def pretty_arguments(self) -> str:
        """The arguments indented for reading (the approval dialog); the raw text when they are not JSON."""
        try:
            return json.dumps(json.loads(self.arguments or "{}"), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            return self.arguments

    def short_arguments(self, limit: int = 60) -> str:
        """The arguments on one line of at most ``limit`` characters (``-p``'s stderr line)."""
        try:
            compact = json.dumps(json.loads(self.arguments or "{}"), ensure_ascii=False, separators=(",", ":"))
        except (ValueError, RecursionError):
            compact = self.arguments
        return one_line(compact, limit)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a call gave back, as sent to the model (``function_call_output`` / a ``role: tool`` message)."""

    call_id: str
    """The :attr:`ToolCall.call_id` this answers."""
    text: str
    """The result as plain text (MCP text contents joined; other contents described), capped."""
    is_error: bool = False
    """The tool failed: MCP's ``isError``, a gateway error, a timeout or unusable arguments."""
    truncated: bool = False
    """The text was cut at :data:`MAX_RESULT_BYTES` (the text ends saying so)."""
    declined: bool = False
    """The user declined the call: nothing ran, the text tells the model so."""

    @classmethod
    def capped(cls, call_id: str, text: str, *, is_error: bool = False, limit: int = MAX_RESULT_BYTES) -> ToolResult:
        """A result whose text is cut to ``limit`` UTF-8 bytes (on a character boundary) with a line saying so."""
        raw = text.encode("utf-8", "replace")
        if len(raw) <= limit:
            return cls(call_id, text, is_error=is_error)
        kept = raw[:limit].decode("utf-8", "ignore")
        note = f"\n[result cut at {limit:,} of {len(raw):,} bytes]"
        return cls(call_id, kept + note, is_error=is_error, truncated=True)

    @classmethod
    def failure(cls, call_id: str, message: str) -> ToolResult:
        """A call that could not run or failed outside the tool (bad arguments, gateway error, timeout)."""
        return cls.capped(call_id, message, is_error=True)

    @classmethod
    def user_declined(cls, call_id: str) -> ToolResult:
        """The answer when the user declines a call: the model is told, nothing ran."""
        return cls(call_id, "The user declined to run this tool call.", is_error=True, declined=True)

    @property
    def outcome(self) -> str:
        """One word for logs and ``-p``'s stderr line: ``ok``, ``error``, ``declined``."""
        return "declined" if self.declined else "error" if self.is_error else "ok"


@dataclass(frozen=True, slots=True)
class ToolListing:
    """The tools one place offers, and why there are none or fewer than expected (never an exception)."""

    tools: tuple[ToolSpec, ...] = ()
    note: str | None = None
    """One line when something is missing (no gateway, a key without MCP servers, a server that failed);
    ``llmconsole tools`` prints it, the console only logs it."""

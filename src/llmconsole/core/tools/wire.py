"""MCP's JSON, read the same way whether it came from the gateway's ``/mcp-rest`` or a local server's SDK objects.

The wire shapes are pydantic models (``extra="ignore"``, as the style guide asks for proxy payloads): MCP's
``tools/list`` entries and ``CallToolResult`` are open-ended documents from servers we do not control, and the
models say in one place which fields we read and what type each must have. pydantic is imported only here, and
this module only by the gateway and the local servers, after the first frame (the MCP SDK loads pydantic for
itself anyway). The functions never raise on odd input: :func:`parse_tool_list` (``tools/list`` entries to
:class:`~.values.ToolSpec`; an entry that does not validate is skipped) and :func:`result_of` (a
``CallToolResult`` to a capped :class:`~.values.ToolResult`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmconsole.core.redact import redact
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolResult, ToolSource, ToolSpec

__all__ = ["content_text", "parse_tool_list", "result_of"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class McpInfo(_Wire):
    """The gateway's ``mcp_info`` on a listed tool: which server offers it."""

    server_name: str = ""
    """The server's name in the proxy's ``mcp_servers:``."""
    alias: str = ""
    """The server's alias, used when it has no name."""
    server_id: str | None = None
    """The gateway's id of the server, sent back with every call."""

    @field_validator("server_name", "alias", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return _str(value)

    @field_validator("server_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str | None:
        return value if isinstance(value, str) and value else None


class ListedTool(_Wire):
    """One entry of a ``tools/list`` answer."""

    name: str
    """The tool's name on its server (required, not blank)."""
    description: str = ""
    """What the tool does (may be several lines)."""
    input_schema: dict[str, Any] | None = Field(None, validation_alias=AliasChoices("inputSchema", "input_schema"))
    """The arguments' JSON schema; anything but an object schema is read as an empty one."""
    mcp_info: McpInfo | None = None
    """The gateway's note of the server (absent from a local server's listing)."""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("a tool needs a name")
        return value.strip()

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str:
        return _str(value)

    @field_validator("input_schema", "mcp_info", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return value if isinstance(value, Mapping) else None

    def schema_or_empty(self) -> dict[str, Any]:
        """The input schema when it is an object schema, else ``{"type": "object", "properties": {}}``."""
        schema = self.input_schema
        if schema is None or schema.get("type", "object") != "object":
            return {"type": "object", "properties": {}}
        return dict(schema)


def parse_tool_list(payload: Any, *, source: ToolSource = "proxy", server_name: str = "") -> list[ToolSpec]:
    """Tools from a ``tools/list`` answer: ``{"tools": [...]}`` or the list itself.

    Each entry needs a ``name``; ``inputSchema`` (or ``input_schema``) must be an object schema, else an empty one
    is used. The gateway names the server in ``mcp_info.server_name`` and its id in ``mcp_info.server_id``;
    ``server_name`` is used where the entry names none. Duplicates (same server and name) are kept once.
    """
    entries = payload.get("tools") if isinstance(payload, Mapping) else payload
    if not isinstance(entries, list):
        return []
    tools: dict[tuple[str, str], ToolSpec] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        try:
            listed = ListedTool.model_validate(entry)
        except ValidationError:
            continue
        info = listed.mcp_info or McpInfo()
        server = info.server_name or info.alias or server_name
        spec = ToolSpec(
            name=listed.name,
            description=listed.description,
            input_schema=listed.schema_or_empty(),
            server_name=server,
            server_id=info.server_id,
            source=source,
        )
        tools.setdefault((server, listed.name), spec)
    return list(tools.values())


def _part_text(part: Mapping[str, Any]) -> str:
    kind = part.get("type")
    if kind == "text":
        return _str(part.get("text"))
    if kind in ("image", "audio"):
        mime = _str(part.get("mimeType") or part.get("mime_type")) or kind
        size = len(_str(part.get("data"))) * 3 // 4
        return f"[{kind}: {mime}, about {size:,} bytes, not shown]"
    if kind == "resource_link":
        return f"[resource: {_str(part.get('uri'))}]"
    if kind == "resource":
        resource = part.get("resource")
        if isinstance(resource, Mapping):
            text = resource.get("text")
            if isinstance(text, str):
                return text
            return f"[resource: {_str(resource.get('uri'))}, binary, not shown]"
    return f"[{kind if isinstance(kind, str) else 'unknown'} content, not shown]"


def content_text(payload: Mapping[str, Any]) -> str:
    """A ``CallToolResult``'s contents as plain text: texts joined by newlines, other contents named.

    With no content, the ``structuredContent`` as JSON.
    """
    content = payload.get("content")
    parts = [_part_text(p) for p in content if isinstance(p, Mapping)] if isinstance(content, list) else []
    if parts:
        return "\n".join(parts)
    structured = payload.get("structuredContent", payload.get("structured_content"))
    if structured is not None:
        try:
            return json.dumps(structured, ensure_ascii=False)
        except (TypeError, ValueError):
            return str(structured)
    return ""


def result_of(call_id: str, payload: Any, *, secrets: Sequence[str] = (), limit: int = MAX_RESULT_BYTES) -> ToolResult:
    """The :class:`ToolResult` of a ``CallToolResult``: ``isError`` kept, ``secrets`` redacted (a tool echoing the
    key never hands it to the model), capped at ``limit`` bytes."""
    if not isinstance(payload, Mapping):
        return ToolResult.failure(call_id, "the tool's answer is not an MCP result")
    is_error = payload.get("isError", payload.get("is_error")) is True
    return ToolResult.capped(call_id, redact(content_text(payload), secrets), is_error=is_error, limit=limit)

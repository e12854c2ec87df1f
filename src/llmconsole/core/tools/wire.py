"""MCP's JSON, read the same way whether it came from the gateway's ``/mcp-rest`` or a local server's SDK objects.

Pure functions, never raising on odd input: :func:`parse_tool_list` (``tools/list`` entries to
:class:`~.values.ToolSpec`) and :func:`result_of` (a ``CallToolResult`` to a capped :class:`~.values.ToolResult`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llmconsole.core.redact import redact
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolResult, ToolSource, ToolSpec

__all__ = ["content_text", "parse_tool_list", "result_of"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


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
        name = _str(entry.get("name")).strip()
        if not name:
            continue
        schema = entry.get("inputSchema", entry.get("input_schema"))
        if not isinstance(schema, Mapping) or schema.get("type", "object") != "object":
            schema = {"type": "object", "properties": {}}
        info = entry.get("mcp_info")
        info = info if isinstance(info, Mapping) else {}
        server = _str(info.get("server_name")) or _str(info.get("alias")) or server_name
        server_id = info.get("server_id")
        spec = ToolSpec(
            name=name,
            description=_str(entry.get("description")),
            input_schema=dict(schema),
            server_name=server,
            server_id=server_id if isinstance(server_id, str) and server_id else None,
            source=source,
        )
        tools.setdefault((server, name), spec)
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

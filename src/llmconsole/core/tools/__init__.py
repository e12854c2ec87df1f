"""Tools: MCP tools from the proxy's gateway (``/mcp-rest``) and from local stdio servers, offered to models.

:mod:`.values` holds the typed values every layer shares (:class:`~.values.ToolSpec`, :class:`~.values.ToolCall`,
:class:`~.values.ToolResult`); :mod:`.events` the events a stream and a tool round produce. Nothing here imports
textual or rich.
"""

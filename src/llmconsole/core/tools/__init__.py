"""Tools: MCP tools from the proxy's gateway (``/mcp-rest``) and from local stdio servers, offered to models.

:mod:`.values` holds the typed values every layer shares (:class:`~.values.ToolSpec`, :class:`~.values.ToolCall`,
:class:`~.values.ToolResult`); :mod:`.events` the events a stream and a tool round produce; :mod:`.wire` reads
MCP's JSON; :mod:`.catalog` selects, names and caches tools; :mod:`.local` runs the local stdio servers.
This package imports neither the proxy layer nor the conversation (both import it): the gateway client is
:mod:`llmconsole.core.proxy.gateway`, and :mod:`llmconsole.core.chat.toolbox` joins the two sources.
Nothing here imports textual or rich.
"""

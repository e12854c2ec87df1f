"""A small MCP server over stdio, written with the official ``mcp`` SDK: what the tool tests call.

Run as a script (``python tests/proxy/mcp_tool_server.py [NAME]``) by the LiteLLM proxy's ``mcp_servers:`` and by
``[mcp.servers.NAME]`` in the console's config. It works with the SDK's 1.x (``FastMCP``, the proxy's venv) and
2.x (``MCPServer``, the test venv). Tools: ``add``, ``echo``, ``fail`` (an MCP ``isError`` result), ``big`` (a
long result), ``env_has`` (whether a variable reached the server) and ``slow``.
"""

from __future__ import annotations

import os
import sys
import time

try:
    from mcp.server.mcpserver import MCPServer as Server  # mcp 2.x
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server  # type: ignore[no-redef]

server = Server(sys.argv[1] if len(sys.argv) > 1 else "testtools")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers.

    Returns the sum as text."""
    return str(a + b)


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def fail(message: str) -> str:
    """Always fails with the message (an MCP error result)."""
    raise ValueError(message)


@server.tool()
def big(size: int) -> str:
    """A result of `size` characters."""
    return "x" * size


@server.tool()
def env_has(name: str) -> str:
    """Whether the variable `name` is set in the server's environment, and its length."""
    value = os.environ.get(name)
    return f"{name} is not set" if value is None else f"{name} is set ({len(value)} characters)"


@server.tool()
def slow(seconds: float) -> str:
    """Sleep, then answer."""
    time.sleep(seconds)
    return f"slept {seconds}"


if __name__ == "__main__":
    server.run()

"""The tools one console or ``-p`` run can use: the proxy's gateway and the local servers (the demo backend's own
tool in ``--demo``), discovered together and called by where each tool lives."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from llmconsole.core.proxy.gateway import GatewayTools
from llmconsole.core.tools import catalog
from llmconsole.core.tools.local import LocalServers
from llmconsole.core.tools.values import ToolCall, ToolListing, ToolResult, ToolSpec

if TYPE_CHECKING:
    from llmconsole.core.proxy.client import ProxyClient

__all__ = ["Toolbox"]


class Toolbox:
    """Discovers every tool (gateway and local servers, in parallel), remembers the listing, runs calls."""

    def __init__(self, client: ProxyClient) -> None:
        settings = client.settings
        self.settings = settings
        self.demo = settings.demo
        """The demo backend: its own tool (:data:`~llmconsole.core.demo.DEMO_TOOL`) instead of a gateway."""
        self.gateway = (
            GatewayTools(client, call_timeout=settings.tool_timeout) if settings.base_url and not self.demo else None
        )
        self.local = LocalServers(settings.mcp_servers, secrets=settings.secrets, call_timeout=settings.tool_timeout)
        self.tools: tuple[ToolSpec, ...] = ()
        """The tools of the last discovery (or of the cache until one finishes)."""

    def cached(self) -> tuple[ToolSpec, ...]:
        """The listing of the last run against this proxy and profile (instant); also becomes :attr:`tools`."""
        cached = catalog.load_cache(self.settings)
        if cached is not None and not self.tools:
            self.tools = tuple(cached)
        return tuple(cached or ())

    async def _proxy_tools(self) -> ToolListing:
        if self.demo:
            from llmconsole.core.demo import DEMO_TOOL

            return ToolListing((DEMO_TOOL,))
        if self.gateway is None:
            return ToolListing()
        return await self.gateway.list_tools()

    async def discover(self) -> ToolListing:
        """Every tool now, the gateway's first; saved for the next start. Never raises."""
        proxy, local = await asyncio.gather(self._proxy_tools(), self.local.list_tools())
        notes = [n for n in (proxy.note, local.note) if n]
        listing = ToolListing(proxy.tools + local.tools, "; ".join(notes) or None)
        self.tools = listing.tools
        catalog.save_cache(self.settings, listing.tools)
        return listing

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        """Run ``call`` where ``spec`` lives; any failure is an error result."""
        if self.demo and spec.server_name == "demo":
            from llmconsole.core.demo import run_demo_tool

            return run_demo_tool(call)
        if spec.source == "local":
            return await self.local.call(spec, call)
        if self.gateway is None:
            return ToolResult.failure(call.call_id, f"{spec.name}: no gateway to call it on")
        return await self.gateway.call(spec, call)

    async def aclose(self) -> None:
        """Stop the local servers."""
        await self.local.aclose()

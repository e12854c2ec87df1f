"""The tools one console or ``-p`` run can use: the proxy's gateway and the local servers, discovered together
and called by where each tool lives."""

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
    """Discovers every tool (gateway and local, in parallel), remembers the listing, runs calls."""

    def __init__(self, client: ProxyClient, *, gateway: bool = True) -> None:
        """``gateway``: ask the proxy's gateway (False for the demo backend, which has none)."""
        settings = client.settings
        self.settings = settings
        self.gateway = GatewayTools(client, call_timeout=settings.tool_timeout) if gateway else None
        self.local = LocalServers(settings.mcp_servers, secrets=settings.secrets, call_timeout=settings.tool_timeout)
        self.tools: tuple[ToolSpec, ...] = ()
        """The tools of the last discovery (or of the cache until one finishes)."""

    def cached(self) -> tuple[ToolSpec, ...]:
        """The listing of the last run against this proxy and profile (instant); also becomes :attr:`tools`."""
        cached = catalog.load_cache(self.settings)
        if cached is not None and not self.tools:
            self.tools = tuple(cached)
        return tuple(cached or ())

    async def discover(self) -> ToolListing:
        """Every tool now, the gateway's first; saved for the next start. Never raises."""

        async def no_gateway() -> ToolListing:
            return ToolListing()

        proxy, local = await asyncio.gather(
            self.gateway.list_tools() if self.gateway is not None else no_gateway(), self.local.list_tools()
        )
        notes = [n for n in (proxy.note, local.note) if n]
        listing = ToolListing(proxy.tools + local.tools, "; ".join(notes) or None)
        self.tools = listing.tools
        catalog.save_cache(self.settings, listing.tools)
        return listing

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult:
        """Run ``call`` where ``spec`` lives; any failure is an error result."""
        if spec.source == "local":
            return await self.local.call(spec, call)
        if self.gateway is None:
            return ToolResult.failure(call.call_id, f"{spec.name}: no gateway to call it on")
        return await self.gateway.call(spec, call)

    async def aclose(self) -> None:
        """Stop the local servers."""
        await self.local.aclose()

"""``llmconsole tools``: the tools models can be offered, from the proxy's MCP gateway and the local servers.

    llmconsole tools            one line a tool: server, name, the first line of its description
    llmconsole tools --json     a JSON array, with each tool's input schema

A proxy without the gateway, a key allowed no MCP server or a local server that does not start is one line on
stderr, and the other tools are still listed (exit 0). Imports neither textual nor rich.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from llmconsole.core.errors import ConfigError
from llmconsole.core.tools.values import ToolListing, ToolSpec

PROG = "llmconsole tools"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The tools of the proxy's MCP gateway and of the [mcp.servers.NAME] of config.toml.",
    )
    parser.add_argument("--json", action="store_true", help="a JSON array, with each tool's input schema")
    parser.add_argument("--base-url", metavar="URL", help="the proxy URL (overrides OPENAI_BASE_URL)")
    parser.add_argument("--profile", metavar="NAME", help="use [profiles.NAME] of config.toml")
    parser.add_argument("--demo", action="store_true", help="the demo backend's tools")
    parser.add_argument("--debug", action="store_true", help="log to stderr and show tracebacks")
    return parser


def _ordered(tools: tuple[ToolSpec, ...]) -> list[ToolSpec]:
    return sorted(tools, key=lambda t: (t.source != "proxy", t.server_name, t.name))


def render(tools: tuple[ToolSpec, ...], out: TextIO, width: int | None = None) -> None:
    """One line a tool: ``SERVER  TOOL  description``; local servers are marked ``(local)``. ``width``: the
    terminal's (descriptions are cut to fit), None when piped (the whole first line)."""
    from llmconsole.cli import printable

    rows = [
        (printable(t.server_name or "-") + (" (local)" if t.source == "local" else ""), printable(t.name), t)
        for t in _ordered(tools)
    ]
    server_w = max([len("SERVER"), *(len(r[0]) for r in rows)])
    name_w = max([len("TOOL"), *(len(r[1]) for r in rows)])
    room = max(width - server_w - name_w - 4, 20) if width else 10_000
    out.write(f"{'SERVER':<{server_w}}  {'TOOL':<{name_w}}  DESCRIPTION\n")
    for server, name, tool in rows:
        out.write(f"{server:<{server_w}}  {name:<{name_w}}  {tool.summary(room)}\n".rstrip() + "\n")


def as_json(tools: tuple[ToolSpec, ...]) -> str:
    """The tools as a JSON array: server, server_id, source, name, description, input_schema."""
    return json.dumps(
        [
            {
                "server": t.server_name,
                "server_id": t.server_id,
                "source": t.source,
                "name": t.name,
                "description": t.description,
                "input_schema": dict(t.input_schema),
            }
            for t in _ordered(tools)
        ],
        indent=2,
        ensure_ascii=False,
    )


async def discover(args: argparse.Namespace) -> ToolListing:
    """Every tool the settings give access to (the gateway's when a proxy is configured, the local servers')."""
    from llmconsole.cli import _configure_logging, _settings
    from llmconsole.core.chat.toolbox import Toolbox
    from llmconsole.core.config import load_settings
    from llmconsole.core.proxy.client import ProxyClient

    probe = load_settings(base_url=args.base_url, demo=args.demo, profile=args.profile)
    if not probe.base_url and not probe.mcp_servers:
        raise ConfigError(
            "no tools to list: export OPENAI_BASE_URL=https://your-litellm-proxy, "
            "or add [mcp.servers.NAME] to config.toml"
        )
    settings = _settings(args, need_url=bool(probe.base_url)) if probe.base_url else probe
    _configure_logging(args.debug, settings.secrets)
    async with ProxyClient(settings) as client:
        box = Toolbox(client)
        try:
            return await box.discover()
        finally:
            await box.aclose()


def main(argv: list[str]) -> int:
    """Run ``llmconsole tools`` with the arguments after ``tools``; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    listing = asyncio.run(discover(args))
    if listing.note:
        from llmconsole.cli import printable

        sys.stderr.write(f"llmconsole: {printable(listing.note)}\n")
    if args.json:
        sys.stdout.write(as_json(listing.tools) + "\n")
    elif listing.tools:
        from llmconsole.model_table import terminal_width

        render(listing.tools, sys.stdout, terminal_width(sys.stdout))
    else:
        sys.stderr.write("llmconsole: no tools\n")
    return 0

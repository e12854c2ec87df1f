"""Which tools there are and which are offered: selection by name, the names models see, the cache.

:func:`select_tools` applies ``--tools`` / ``tools = [...]`` (a tool's name, ``server/name``, a server's name, or
``all``). :func:`offered_names` gives each offered tool the function name a model may use (``^[A-Za-z0-9_-]{1,64}$``,
unique; ``server__name`` where two servers share a name). The last listing is cached per proxy and profile
(like the model list) so the console can offer tools before discovery finishes; no key is written.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from llmconsole.core import paths
from llmconsole.core.config import Settings
from llmconsole.core.jsondoc import read_document
from llmconsole.core.tools.values import ToolSpec

__all__ = ["load_cache", "offered_names", "save_cache", "select_tools"]

log = logging.getLogger(__name__)

ALL = "all"
"""The selection that offers every tool."""
_NAME_LIMIT = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def select_tools(tools: Iterable[ToolSpec], wanted: Sequence[str]) -> tuple[list[ToolSpec], list[str]]:
    """The tools ``wanted`` names, in listing order, and the names that matched nothing.

    A name matches a tool's own name, its ``server/name``, or a server's name (all its tools); ``all`` matches
    every tool. An empty ``wanted`` selects nothing.
    """
    tools = list(tools)
    if ALL in wanted:
        return tools, []
    unknown = [w for w in wanted if not any(_matches(t, w) for t in tools)]
    return [t for t in tools if any(_matches(t, w) for w in wanted)], unknown


def _matches(tool: ToolSpec, name: str) -> bool:
    return name in (tool.name, tool.qualified_name, tool.server_name)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_")[:_NAME_LIMIT] or "tool"


def offered_names(tools: Iterable[ToolSpec]) -> dict[str, ToolSpec]:
    """Function name -> tool, for the tools offered to a model: the tool's own name where it is unique and
    valid, else ``server__name``, made valid and unique (a number is added where even that collides)."""
    tools = list(tools)
    counts: dict[str, int] = {}
    for tool in tools:
        counts[_safe(tool.name)] = counts.get(_safe(tool.name), 0) + 1
    named: dict[str, ToolSpec] = {}
    for tool in tools:
        base = _safe(tool.name)
        if counts[base] > 1:
            base = _safe(f"{tool.server_name}__{tool.name}")
        name, number = base, 2
        while name in named:
            suffix = f"_{number}"
            name, number = base[: _NAME_LIMIT - len(suffix)] + suffix, number + 1
        named[name] = tool
    return named


def _cache_path(settings: Settings) -> Path:
    where = f"{settings.base_url or ''}#{settings.profile or ''}#{settings.key_env}"
    return paths.proxy_file("tools", where)


def save_cache(settings: Settings, tools: Sequence[ToolSpec]) -> None:
    """Remember the listing for this proxy and profile (the next start offers it at once)."""
    data = {"base_url": settings.base_url, "profile": settings.profile, "tools": [t.to_json_dict() for t in tools]}
    try:
        paths.write_private_file(_cache_path(settings), json.dumps(data))
    except OSError as exc:
        log.warning("cannot write the tool cache: %s", exc)


def load_cache(settings: Settings) -> list[ToolSpec] | None:
    """The listing saved by the last discovery for this proxy and profile, or None."""
    try:
        raw = read_document(_cache_path(settings).read_bytes())
        if raw.get("base_url") != settings.base_url or raw.get("profile") != settings.profile:
            return None
        return [ToolSpec.from_json_dict(item) for item in raw["tools"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None

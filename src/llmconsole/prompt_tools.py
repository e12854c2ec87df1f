"""Tools for ``-p``: the runner (which tools, offered to which model), approval on the terminal or by ``--yes``,
and the one stderr line each call gets (tool, short arguments, outcome).

Without ``--yes`` and without a terminal to ask on (standard input is not one), a run offering tools stops before
anything is sent: exit 2 with one line. Imports neither textual nor rich.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from llmconsole.core.errors import ConfigError

if TYPE_CHECKING:
    import argparse

    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.chat.toolbox import Toolbox
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.tools.events import ApprovalCallback, ApprovalChoice, ToolApprovalRequest, ToolCallFinished

_ANSWERS: dict[str, ApprovalChoice] = {
    "y": "once",
    "yes": "once",
    "a": "always",
    "always": "always",
    "n": "decline",
    "no": "decline",
    "c": "cancel",
    "cancel": "cancel",
}
RESULT_PREVIEW = 60
"""Characters of a result shown on a call's stderr line."""


def _printable(text: str) -> str:
    from llmconsole.cli import printable

    return printable(text)


def _err(line: str) -> None:
    from llmconsole.cli import _err as write_line

    write_line(line)


async def prepare(
    box: Toolbox, model: ModelInfo, args: argparse.Namespace, wanted: tuple[str, ...]
) -> ToolRunner | None:
    """The runner for this ``-p`` run: the ``wanted`` tools discovered and selected, approval chosen; None when
    nothing is offered (no tool selected, or a model that cannot call functions: one line says so).

    :class:`ConfigError` (exit 2) for a name that matches no tool, or for tools without ``--yes`` and without
    a terminal to ask on."""
    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.tools.catalog import select_tools

    if not wanted:
        return None
    if not args.yes and not sys.stdin.isatty():
        raise ConfigError(
            "tools are offered (--tools, or tools = [...] in config.toml) but there is no terminal to approve "
            "calls on: add --yes to run them without asking (--tools '' offers none)"
        )
    listing = await box.discover()
    selected, unknown = select_tools(listing.tools, wanted)
    if unknown:
        why = f" ({listing.note})" if listing.note else ""
        raise ConfigError(
            f"no tool named {', '.join(map(repr, unknown))}{why}: `llmconsole tools` lists the tools there are"
        )
    if not selected:
        note = f": {listing.note}" if listing.note else ""
        _err(f"llmconsole: no tools to offer{_printable(note)}")
        return None
    if not model.function_calling:
        _err(f"llmconsole: {model.id} cannot call functions: no tools offered")
        return None
    approve = _approve_all if args.yes else terminal_approval(sys.stdin, sys.stderr)
    return ToolRunner(box, selected, approve=approve, max_rounds=box.settings.max_tool_rounds)


async def _approve_all(request: ToolApprovalRequest) -> ApprovalChoice:
    """``--yes``: every call runs."""
    return "once"


def terminal_approval(stdin: TextIO, stderr: TextIO) -> ApprovalCallback:
    """Ask on the terminal: ``y`` once, ``a`` always (this run), ``n`` decline, ``c`` (or end of input) cancel."""

    async def approve(request: ToolApprovalRequest) -> ApprovalChoice:
        arguments = "\n".join(_printable(line) for line in request.call.pretty_arguments().splitlines())
        stderr.write(f"llmconsole: run {_printable(request.title)}?\n{arguments}\n")
        while True:
            stderr.write("[y] run once, [a] always, [n] decline, [c] cancel the turn: ")
            stderr.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                return "cancel"
            answer = _ANSWERS.get(line.strip().lower())
            if answer is not None:
                return answer

    return approve


def call_line(event: ToolCallFinished) -> str:
    """``llmconsole: tool server/name {"a":1} → ok in 0.21 s: <result start>`` (one line)."""
    from llmconsole.core.redact import one_line

    name = event.spec.qualified_name if event.spec is not None else event.call.name
    result = event.result
    timing = f" in {event.duration_s:.2f} s" if event.duration_s else ""
    preview = one_line(result.text, RESULT_PREVIEW)
    text = f"tool {name} {event.call.short_arguments()} → {result.outcome}{timing}"
    if preview and not result.declined:
        text += f": {preview}"
    return "llmconsole: " + _printable(text)

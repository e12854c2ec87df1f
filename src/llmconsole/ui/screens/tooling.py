"""The main screen's tools: discovered after the models, the picker (f7, the palette), the status line while a
round runs and the next reply once it is answered, the local servers stopped with the screen.

Which tools there are and which are offered is :mod:`llmconsole.ui.tools` (``ConsoleTools``); a reply's round runs
in the pane's reply worker (``ConversationPane.stream_reply``), so Escape ends it as it ends a reply. Nothing here
is imported at the top: the first frame does not wait for the tools.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.widgets.conversation import ConversationPane


class ToolActions:
    """The tools on the main screen (see the module docstring)."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def discover(self) -> None:
        """Ask the gateway and the local servers in the background (the cached listing is offered meanwhile)."""
        self.screen.run_worker(self._discover(), exclusive=True, group="tools", exit_on_error=False)

    async def _discover(self) -> None:
        # The tools' modules (~40 ms) load in a thread, as the client's do: the loop keeps painting.
        await asyncio.to_thread(importlib.import_module, "llmconsole.ui.tools")
        from llmconsole.ui.tools import discover_tools

        await discover_tools(self.screen)

    def pick(self) -> None:
        """Open the tool picker; its choice holds for this session."""
        from llmconsole.ui.tools import pick_tools

        pick_tools(self.screen)

    def round_changed(self, event: ConversationPane.ToolRoundStarted | ConversationPane.ToolRoundEnded) -> None:
        """A round started (the status bar says so) or ended: then the next reply carries the results, unless
        the turn stopped (cancelled, the round limit), the conversation was left, or something went on from it
        meanwhile (a prompt sent as the round ended: its reply carries them)."""
        from llmconsole.ui.widgets.conversation import ConversationPane

        screen = self.screen
        if not isinstance(event, ConversationPane.ToolRoundEnded):
            screen.status_bar.set_activity("tool calls…")
            return
        screen.status_bar.set_activity("")
        messages = screen.conversation.messages
        last = bool(messages) and messages[-1] is event.run.message  # (not when the conversation moved on)
        if event.go_on and last and screen.session.busy is None and screen.model is not None:
            screen._start_reply()

    async def aclose(self) -> None:
        """Stop the local MCP servers."""
        if self.screen.tools is not None:
            await self.screen.tools.aclose()

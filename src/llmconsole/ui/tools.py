"""The console's tools: discovered in the background after the models (the cached listing first), offered as
``--tools`` / ``tools = [...]`` say until the picker (f7) changes that for the session, every call approved in
the dialog (:func:`~llmconsole.ui.screens.tool_approval.ask_approval`).

:class:`ConsoleTools` owns the :class:`~llmconsole.core.chat.toolbox.Toolbox` (where the tools are and how to
call them) and the :class:`~llmconsole.core.chat.tool_round.ToolRunner` the session runs rounds with. Imported
after the first frame only.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from llmconsole.core.chat.tool_round import ToolRunner
from llmconsole.core.chat.toolbox import Toolbox
from llmconsole.core.tools.catalog import ALL, select_tools
from llmconsole.ui.screens.tool_approval import ask_approval

if TYPE_CHECKING:
    from textual.app import App

    from llmconsole.core.config import Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.tools.values import ToolSpec
    from llmconsole.ui.screens.main import MainScreen


class ConsoleTools:
    """The tools of one main screen (one proxy and profile)."""

    def __init__(self, app: App[object], client: ProxyClient, settings: Settings) -> None:
        self.settings = settings
        self.toolbox = Toolbox(client)
        self.runner = ToolRunner(self.toolbox, approve=partial(ask_approval, app), max_rounds=settings.max_tool_rounds)
        """What the session runs rounds with; its ``tools`` are the ones offered."""
        self.wanted: tuple[str, ...] = settings.tools
        """The selection by name (``--tools``, ``tools = [...]``) until the picker replaces it with tools."""
        self.note: str | None = None
        """Why some tools are missing, from the last discovery (no gateway, a local server that failed)."""
        self.unknown: list[str] = []
        """Names asked for that no tool has (said once, after discovery)."""
        self.discovered = False

    @property
    def all_tools(self) -> tuple[ToolSpec, ...]:
        return self.toolbox.tools

    @property
    def offered(self) -> tuple[ToolSpec, ...]:
        return self.runner.tools

    def _apply_selection(self) -> None:
        chosen, self.unknown = select_tools(self.toolbox.tools, self.wanted)
        self.runner.tools = tuple(chosen)

    def load_cached(self) -> None:
        """The last run's listing, at once (no network)."""
        self.toolbox.cached()
        self._apply_selection()

    async def discover(self) -> None:
        """Ask the gateway and the local servers (never raises); the selection is applied to what they list."""
        listing = await self.toolbox.discover()
        self.note = listing.note
        self.discovered = True
        self._apply_selection()

    def choose(self, tools: tuple[ToolSpec, ...]) -> None:
        """The picker's choice, for this session (a rediscovery keeps it by name)."""
        every = len(tools) == len(self.toolbox.tools) and bool(tools)
        self.wanted = (ALL,) if every else tuple(t.qualified_name for t in tools)
        self._apply_selection()

    def describe(self) -> str:
        """What is offered, in a few words (the picker's result, the palette's help)."""
        count, total = len(self.offered), len(self.all_tools)
        if total == 0:
            return "no tools found"
        if count == 0:
            return f"no tools offered (of {total})"
        return f"all {total} tools offered" if count == total else f"{count} of {total} tools offered"

    async def aclose(self) -> None:
        """Stop the local servers."""
        await self.toolbox.aclose()


# -- what the main screen calls -----------------------------------------------------------------------------------


def tools_of(screen: MainScreen) -> ConsoleTools:
    """The screen's tools, made (with the cached listing) on first use; the session runs rounds with them."""
    if screen.tools is None:
        tools = ConsoleTools(screen.app, screen.client, screen.settings)
        tools.load_cached()
        screen.tools = tools
        screen.session.tools = tools.runner
    return screen.tools


async def discover_tools(screen: MainScreen) -> None:
    """Discover the tools (after the models); a name ``--tools`` asked for that no tool has is one warning."""
    tools = tools_of(screen)
    await tools.discover()
    if tools.note:
        screen.log.info(f"tools: {tools.note}")
    if tools.unknown:
        names = ", ".join(tools.unknown)
        screen.notify(f"No tool named {names} (f7 lists the tools there are).", title="Tools", severity="warning")


def pick_tools(screen: MainScreen) -> None:
    """Open the picker over the tools discovered so far; the choice holds for this session."""
    from llmconsole.ui.screens.tool_picker import ToolPickerModal

    tools = tools_of(screen)

    def picked(chosen: tuple[ToolSpec, ...] | None) -> None:
        screen.focus_prompt()
        if chosen is None:
            return
        tools.choose(chosen)
        model = screen.model
        caveat = ""
        if tools.offered and model is not None and not model.function_calling:
            caveat = f" ({model.id} cannot call functions: it gets none)"
        screen.notify(f"Tools: {tools.describe()}{caveat}.", title="Tools")

    note = tools.note if tools.discovered else "Still asking the proxy and the local servers for their tools…"
    screen.app.push_screen(ToolPickerModal(tools.all_tools, tools.offered, note=note), picked)

"""The Textual application: :func:`make_app` builds it, :func:`run_app` runs it (``llmconsole`` with no prompt).

Startup stays light: the HTTP client, the Markdown renderer and the modal screens are imported when first
needed, so the first screen (with the cached model list) paints as fast as a minimal Textual app.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType

from llmconsole.ui.commands import ModelCommands
from llmconsole.ui.persistence import HistoryAdapter
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.styles import APP_CSS

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.notifications import SeverityLevel
    from textual.screen import Screen
    from textual.theme import Theme

    from llmconsole.core.config import ReasoningEffort, Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.ui.screens.welcome import WelcomeChoice
    from llmconsole.ui.widgets.prompt import PromptInput


NARROW_WIDTH = 100
"""Below this many columns the sidebar starts hidden (f6 shows it): the conversation gets the width."""

TOAST_SECONDS: dict[str, float] = {"information": 3.0, "warning": 6.0, "error": 10.0}
"""How long a notification stays when the caller does not say (errors longest: they explain what failed)."""


_heap_frozen = False


def _freeze_import_heap() -> None:
    """Once per process, before the first app: move every object alive now (modules, classes, functions: the
    ~40,000 objects of the imports) out of the garbage collector's reach. They live as long as the process
    anyway; without this, each full collection walks them all again (~30 ms at startup, and a pause of that
    length now and then while a reply streams)."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


def _conversation_commands() -> type[Provider]:
    from llmconsole.ui.screens.conversations import ConversationCommands  # imported when the palette opens

    return ConversationCommands


class LLMConsoleApp(App[None]):
    """The console. Bindings of the main screen are in :class:`MainScreen`.

    | Key | Action |
    | :- | :- |
    | f1 | Help: every key. |
    | f6 | Show or hide the model sidebar (hidden at first below 100 columns). |
    | ctrl+p | Command palette. |
    | ctrl+q | Quit. |
    """

    CSS_PATH: ClassVar[list[str | PurePath]] = list(APP_CSS)  # dialogs and compare load theirs when opened
    TITLE = "llmconsole"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]
    COMMANDS = App.COMMANDS | {ModelCommands, _conversation_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", tooltip="Show every key", id="help"),
        Binding(
            "f6",
            "toggle_sidebar",
            "Sidebar",
            tooltip="Show or hide the model sidebar",
            id="toggle-sidebar",
            priority=True,  # over the prompt's own f6 (select line)
        ),
        Binding("ctrl+q", "quit", "Quit", tooltip="Quit llmconsole", id="quit", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        client: ProxyClient | None = None,
        history: object | None = None,
        history_factory: Callable[[bool], Awaitable[object]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``history``, or a ``history_factory(demo)`` that opens one after the first paint (the app closes it):
        the demo backend's own history when ``demo`` (also after the welcome screen's demo choice)."""
        _freeze_import_heap()
        super().__init__()
        self.settings = settings
        self.client = client
        self.clock = clock
        self.history = HistoryAdapter(history, on_error=self._history_failed)
        self._history_factory = history_factory
        self._history_opening: asyncio.Task[None] | None = None
        self._opened_history: object | None = None
        self._saved_theme = settings.theme
        """The theme config.toml holds (a palette choice that differs is written there)."""
        self._theme_warning: str | None = None
        self._theme_lock = threading.Lock()
        if settings.theme:
            from llmconsole.ui.theme import apply_configured_theme

            self._theme_warning = apply_configured_theme(self, settings.theme)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast of one line where it fits: the title leads the message on the same line (``Not attached:
        cannot attach …``), and it lasts :data:`TOAST_SECONDS` unless the caller says otherwise."""
        if title:
            if markup:
                from textual.markup import escape

                title = escape(title)
            message = f"{title}: {message}"
        seconds = TOAST_SECONDS.get(severity, self.NOTIFICATION_TIMEOUT) if timeout is None else timeout
        super().notify(message, severity=severity, timeout=seconds, markup=markup)

    def on_prompt_input_scroll_requested(self, event: PromptInput.ScrollRequested) -> None:
        """PageUp/PageDown/ctrl+home/ctrl+end typed in the prompt scroll the conversation."""
        main = self.main_screen
        if main is None:
            return
        pane = main.pane
        if event.where == "page_up":
            pane.scroll_page_up()
        elif event.where == "page_down":
            pane.scroll_page_down()
        elif event.where == "home":
            pane.scroll_home()
        else:
            pane.scroll_end()

    # -- narrow terminals ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_sidebar":
            return isinstance(self.screen, MainScreen)  # elsewhere the key goes on to the focused widget
        return True

    def action_toggle_sidebar(self) -> None:
        """Show or hide the model sidebar (the status bar keeps showing the model and its badges).

        Below :data:`NARROW_WIDTH` columns the screen has the ``-narrow`` class and the sidebar starts hidden
        (styles/main.tcss); once toggled, the user's choice holds at any width."""
        main = self.main_screen
        if main is None:
            return
        sidebar = main.sidebar
        shown = not sidebar.display
        if not shown and sidebar.has_focus_within:
            main.focus_prompt()
        main.set_class(shown, "-sidebar-shown")
        main.set_class(not shown, "-sidebar-hidden")
        if shown:
            sidebar.focus_filter()

    # -- keys ------------------------------------------------------------------------------------------

    def _apply_keymap(self) -> None:
        """``[keys]`` of config.toml: binding id -> keys. Unknown ids get one line and change nothing."""
        wanted = dict(self.settings.keys)
        if not wanted:
            return
        from llmconsole.ui.keys import binding_ids

        known = binding_ids()
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            self.notify(
                f"config.toml [keys]: unknown binding id {', '.join(unknown)} (F1 lists the ids)",
                title="Keys not changed",
                severity="warning",
                timeout=15,
            )
        self.set_keymap({k: v for k, v in wanted.items() if k in known})

    def _theme_changed(self, theme: Theme) -> None:
        """A theme picked in the palette is kept for the next start (``theme`` in config.toml)."""
        if theme.name == self._saved_theme:
            return
        self._saved_theme = theme.name
        self.run_worker(self._save_theme, thread=True, group="save-theme", exit_on_error=False)

    def _save_theme(self) -> None:
        """(In a thread.) One write at a time, each of the latest choice: the file ends with the last one."""
        from llmconsole.core.errors import ConfigError
        from llmconsole.ui.theme import config_path, save_theme

        with self._theme_lock:
            try:
                save_theme(config_path(self.settings), self._saved_theme or "")
            except ConfigError as exc:
                self.call_from_thread(self.notify, exc.message, title="Theme not saved", severity="warning")

    def _history_failed(self, message: str) -> None:
        self.notify(message, severity="warning")

    @property
    def _needs_welcome(self) -> bool:
        """No proxy configured and no demo asked for: the welcome screen says how to connect."""
        return self.settings.base_url is None and not self.settings.demo and self.client is None

    def on_mount(self) -> None:
        self.sub_title = self.settings.label
        self._apply_keymap()
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self._theme_warning:
            self.notify(self._theme_warning, title="Theme not changed", severity="warning", timeout=15)
        if self._needs_welcome:
            from llmconsole.ui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen(), self._welcome_choice)
        else:
            self._start_main()

    def _welcome_choice(self, choice: WelcomeChoice | None) -> None:
        if choice == "demo":
            self.switch_to_demo()
        else:
            self.exit()

    def switch_to_demo(self) -> None:
        """Use the in-process demo backend from now on."""
        from dataclasses import replace

        from llmconsole.core.config import DEMO_BASE_URL
        from llmconsole.core.secret import Secret

        self.settings = replace(self.settings, demo=True, base_url=DEMO_BASE_URL, api_key=Secret("demo-key"))
        self.client = None
        self._start_main()

    def _start_main(self) -> None:
        # The client (httpx and the error parsers) is made on first use, after the first paint.
        self.push_screen(self._new_main_screen())
        self.call_after_refresh(self._after_first_paint)

    def _new_main_screen(self) -> MainScreen:
        # The width class the first resize would give it, given now: that resize then changes no class and
        # does not restyle every widget once more before the first frame.
        main = MainScreen(
            self.client,
            settings=self.settings,
            client_factory=self._ensure_client,
            clock=self.clock,
            history=self.history,
            classes=self._width_class(self.size.width),
        )
        main.earlier_prompts_coming = self._history_factory is not None  # opened after the first frame
        return main

    def _width_class(self, width: int) -> str:
        """The class of :attr:`HORIZONTAL_BREAKPOINTS` a screen ``width`` columns wide gets (as Textual picks it:
        the highest breakpoint at or below the width)."""
        return max(point for point in self.HORIZONTAL_BREAKPOINTS if point[0] <= width)[1]

    async def switch_profile(self, name: str) -> bool:
        """Talk to profile ``name``'s proxy from now on: a fresh main screen with its models, quota and key.

        The system prompt and reasoning effort carry over; the conversation on screen stays in the history.
        Returns False (with a notification) when the profile cannot be loaded or a dialog is open.
        """
        from dataclasses import replace

        from textual.command import CommandPalette

        from llmconsole.core.config import load_settings
        from llmconsole.core.errors import LLMConsoleError

        for _ in range(100):  # the palette that ran this command is still closing
            if not isinstance(self.screen, CommandPalette):
                break
            await asyncio.sleep(0.01)
        main = self.main_screen
        if main is not None and self.screen is not main:
            self.notify("Close the open dialog first.", title="Profile not switched", severity="warning")
            return False
        try:
            settings = load_settings(profile=name)
        except LLMConsoleError as exc:
            self.notify(exc.message, title="Profile not switched", severity="error")
            return False
        if main is not None:
            settings = replace(settings, system_prompt=main.system_prompt, reasoning_effort=main.reasoning_effort)
        old_client, self.client, self.settings = self.client, None, settings
        if main is not None:
            await self.pop_screen()  # first: the new screen takes the same id
            await self.push_screen(self._new_main_screen())
        else:
            self._start_main()
        if old_client is not None:
            await old_client.aclose()
        warning = settings.insecure_warning()
        if warning:
            self.notify(warning.removeprefix("warning: "), title="Unencrypted proxy", severity="warning", timeout=15)
        self.notify(f"Profile {name}: {settings.host}", title="Profile switched")
        return True

    def _after_first_paint(self) -> None:
        warning = self.settings.insecure_warning()
        if warning:
            # The key travels in clear text to another host: say so where the user looks (and in the title).
            self.notify(warning.removeprefix("warning: "), title="Unencrypted proxy", severity="warning", timeout=15)
        if self._history_factory is not None:
            # A task, not a worker: it finishes even when the app quits at once (on_unmount awaits it).
            factory = partial(self._history_factory, self.settings.demo)
            self._history_opening = asyncio.create_task(self._open_history(factory))
            self._history_factory = None
        self._warm_up()

    async def _open_history(self, factory: Callable[[], Awaitable[object]]) -> None:
        """Open the history (SQLite: its import and migration stay out of the first paint), then hand the
        prompts of earlier runs to the main screen (none when it cannot: its up/down wait for this)."""
        prompts: list[str] = []
        try:
            try:
                history = await factory()
            except Exception as exc:  # noqa: BLE001 - the history must never stop the console
                self.notify(f"History disabled: {exc}", severity="warning")
                return
            self._opened_history = history
            self.history.history = history
            prompts = await self._earlier_prompts()
        finally:
            main = self.main_screen
            if main is not None and main.is_attached:
                main.load_earlier_prompts(prompts)

    async def _earlier_prompts(self) -> list[str]:
        """Up at the first line recalls the prompts of earlier runs too (they live with the history)."""
        if not self.history.enabled:
            return []
        try:
            return await self.history.recent_prompts()
        except Exception as exc:  # noqa: BLE001 - recall is a convenience: a log line, never an error
            self.log.warning(f"earlier prompts unreadable: {exc}")
            return []

    def _ensure_client(self) -> ProxyClient:
        """The app's :class:`ProxyClient`, made (and its module imported) on first use."""
        if self.client is None:
            from llmconsole.core.proxy.client import ProxyClient

            self.client = ProxyClient(self.settings)
        return self.client

    def _warm_up(self) -> None:
        """Load the Markdown renderer (rich, markdown-it, pygments) off the event loop, after the first paint."""
        self.run_worker(_warm_up_renderer, thread=True, group="warm-up", exit_on_error=False)

    async def on_unmount(self) -> None:
        if self._history_opening is not None:
            await self._history_opening
        await self.history.drain()
        if self._opened_history is not None:
            await _close_history(self._opened_history)
        if self.client is not None:
            await self.client.aclose()

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- history ---------------------------------------------------------------------------------------

    async def open_conversation(self, conv_id: str, message_id: str | None = None) -> bool:
        """Open stored conversation ``conv_id`` (a full id, a unique prefix or ``last``) on the main screen and
        continue it; scrolled to ``message_id`` when given. Returns once its last messages are mounted (False
        when there is no main screen or it cannot be loaded)."""
        main = self.main_screen
        if main is None:
            return False
        try:
            conv_id = await self.history.resolve(conv_id)
        except Exception as exc:  # noqa: BLE001 - one line, the app carries on
            self.notify(f"Cannot open the conversation: {exc}", severity="error")
            return False
        return await main.open_conversation(conv_id, message_id)

    def _switch_soon(self, name: str) -> None:
        self.run_worker(self._switch_or_say_why(name), group="switch-profile", exit_on_error=False)

    async def _switch_or_say_why(self, name: str) -> None:
        try:
            await self.switch_profile(name)
        except Exception as exc:  # noqa: BLE001 - one notification, the console carries on
            self.notify(f"{type(exc).__name__}: {exc}", title="Profile not switched", severity="error")

    def open_conversation_soon(self, conv_id: str) -> None:
        """:meth:`open_conversation` in a worker (for the command palette)."""
        self.run_worker(self.open_conversation(conv_id), group="open-conversation", exit_on_error=False)

    # -- help and palette -----------------------------------------------------------------------------

    def all_bindings(self) -> list[Binding]:
        """The main screen's bindings, the prompt's, then the app's, with ``[keys]`` applied (for F1)."""
        bindings: list[Binding] = []
        from llmconsole.ui.widgets.conversation import ConversationPane
        from llmconsole.ui.widgets.prompt import PromptInput

        for source in (MainScreen.BINDINGS, PromptInput.BINDINGS, ConversationPane.BINDINGS, self.BINDINGS):
            bindings.extend(b for b in source if isinstance(b, Binding))
        return [self.current_binding(b) for b in bindings]

    def key_for(self, binding_id: str) -> str:
        """The first key of binding ``binding_id`` as it is now (``[keys]`` applied), for hints in the UI."""
        for binding in self.all_bindings():
            if binding.id == binding_id:
                return binding.key.split(",")[0].strip()
        return binding_id

    def current_binding(self, binding: Binding) -> Binding:
        """``binding`` with the keys ``[keys]`` gave it."""
        keys = self._keymap.get(binding.id) if binding.id else None
        return binding.with_key(keys) if keys else binding

    def action_help(self) -> None:
        from llmconsole.ui.screens.help import HelpScreen, console_sections

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(console_sections(self)))

    def export_current_conversation(self) -> None:
        """Ask for a path and export the conversation on the main screen (as ctrl+s does in the list)."""
        from llmconsole.ui.screens.conversations import ask_and_export

        main = self.main_screen
        if main is None:
            return
        if not self.history.enabled:
            self.notify("History is off (started with --no-history): nothing stored to export.", severity="warning")
            return
        if not main.conversation.messages:
            self.notify("Nothing to export yet: this conversation is empty.", severity="warning")
            return
        ask_and_export(self, self.history, main.conversation.id)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        key = self.key_for
        yield SystemCommand("Help: keys", f"Every key of the console ({key('help')})", self.action_help)
        if main is None:
            return
        yield SystemCommand(
            "Conversation: new", f"Start a new conversation ({key('new-conversation')})", main.action_new_conversation
        )
        yield SystemCommand(
            "Conversations: list",
            f"Open, search, rename, delete or export one ({key('conversations')})",
            main.action_conversations,
        )
        yield SystemCommand(
            "Conversation: export as Markdown", "Write this conversation to a file", self.export_current_conversation
        )
        yield SystemCommand(
            "Sidebar: show or hide", f"The model list on the left ({key('toggle-sidebar')})", self.action_toggle_sidebar
        )
        yield SystemCommand(
            "Messages: select one to edit, regenerate or switch branches",
            f"Up/down move, escape returns ({key('select-message')})",
            main.action_select_message,
        )
        yield SystemCommand(
            "Conversation: search",
            f"Find text in this conversation; n / N: next / previous hit ({key('search')})",
            main.action_search,
        )
        yield SystemCommand(
            "Conversation: compact",
            f"Summarise the older turns into a new branch; the original stays ({key('compact')})",
            main.action_compact,
        )
        yield SystemCommand("Model: pick", f"Open the model picker ({key('pick-model')})", main.action_pick_model)
        yield SystemCommand(
            "Tools: pick which are offered",
            f"All, none or each, for this session ({key('pick-tools')})",
            main.action_pick_tools,
        )
        for name in self.settings.profiles:
            if name != self.settings.profile:
                yield SystemCommand(
                    f"profile: {name}", f"Switch to the proxy of profile {name}", partial(self._switch_soon, name)
                )
        yield SystemCommand(
            "Compare: models side by side",
            f"One prompt to 2–4 models, replies in columns ({key('compare')})",
            main.action_compare,
        )
        yield SystemCommand(
            "Image: attach", f"Attach an image to the next prompt ({key('attach-image')})", main.action_attach_image
        )
        if main.attachments.attachments:
            yield SystemCommand(
                "Image: remove attachments", "Send the next prompt without them", main.attachments.clear
            )
        yield SystemCommand(
            "Attachments: open or remove",
            f"The next prompt's files and pasted texts ({key('attachments')})",
            main.action_attachments,
        )
        yield SystemCommand(
            "Models: reload", f"Discover the proxy's models again ({key('reload-models')})", main.action_reload_models
        )
        yield SystemCommand(
            "Reply: resend last prompt", f"Send the last prompt again ({key('resend-prompt')})", main.action_resend
        )
        yield SystemCommand(
            "Reply: cancel", f"Stop the streaming reply ({key('cancel-reply')})", main.action_cancel_reply
        )
        yield SystemCommand("Copy: last reply", f"Copy the last reply ({key('copy-reply')})", main.action_copy_reply)
        yield SystemCommand(
            "Copy: last code block", f"Copy the last code block ({key('copy-code')})", main.action_copy_code
        )
        yield SystemCommand(
            "Settings: system prompt and reasoning effort",
            f"From now on, new conversations too ({key('chat-settings')})",
            main.action_settings,
        )
        efforts: tuple[ReasoningEffort, ...] = ("minimal", "low", "medium", "high")
        for effort in efforts:
            yield SystemCommand(
                f"Reasoning effort: {effort}",
                f"Ask reasoning models for {effort} effort",
                partial(main.set_reasoning_effort, effort),
            )
        if main.countdown is not None and main.countdown.can_auto_resend:
            yield SystemCommand(
                "Rate limit: cancel automatic resend",
                f"Keep the prompt, do not resend ({key('cancel-resend')})",
                main.action_cancel_resend,
            )


async def _close_history(history: object) -> None:
    close = getattr(history, "close", None)
    result = close() if callable(close) else None
    if inspect.isawaitable(result):
        await result


def _warm_up_renderer() -> None:
    from llmconsole.ui.widgets.markdown_view import warm_up

    warm_up()


def make_app(
    settings: Settings,
    *,
    client: ProxyClient | None = None,
    history: object | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> LLMConsoleApp:
    """Build the app. ``client`` defaults to a :class:`ProxyClient` for ``settings`` (the demo one with ``--demo``)."""
    return LLMConsoleApp(settings, client=client, history=history, clock=clock)


def run_app(
    settings: Settings,
    *,
    history: object | None = None,
    history_factory: Callable[[bool], Awaitable[object]] | None = None,
) -> int:
    """Run the console until the user quits; the exit code (0). ``history_factory`` opens the history after
    the first paint (and the app closes it)."""
    app = LLMConsoleApp(settings, history=history, history_factory=history_factory)
    app.run()
    return app.return_code or 0

"""The main screen: model sidebar, conversation, prompt and status bar, and the glue between them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import ScreenResume
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from llmconsole.core.chat.context import ContextGauge, ContextMeter
from llmconsole.core.errors import LLMConsoleError
from llmconsole.core.proxy import discovery
from llmconsole.ui.messages import ModelsFailed, ModelsLoaded, ReplyFinished, ReplyStarted
from llmconsole.ui.persistence import HistoryAdapter
from llmconsole.ui.screens.attaching import AttachmentActions
from llmconsole.ui.screens.branching import BranchActions
from llmconsole.ui.screens.comparing import CompareActions
from llmconsole.ui.screens.model_list import ModelActions
from llmconsole.ui.screens.opening import ConversationActions
from llmconsole.ui.screens.resending import RateLimitActions
from llmconsole.ui.screens.sending import SendActions
from llmconsole.ui.screens.tooling import ToolActions
from llmconsole.ui.widgets.attachment_bar import AttachmentBar
from llmconsole.ui.widgets.conversation import ConversationPane, ReplyRequest
from llmconsole.ui.widgets.first_frame import replace_drawing
from llmconsole.ui.widgets.footer import ConsoleFooter, FooterRow
from llmconsole.ui.widgets.formatting import (
    describe_error,
)
from llmconsole.ui.widgets.prompt_preview import PromptPreview
from llmconsole.ui.widgets.sidebar import ModelSidebar
from llmconsole.ui.widgets.status_bar import StatusBar
from llmconsole.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from pathlib import Path

    from llmconsole.core.chat.conversation import Conversation, Message
    from llmconsole.core.chat.session import ChatSession
    from llmconsole.core.config import ReasoningEffort, Settings
    from llmconsole.core.events import Quota
    from llmconsole.core.proxy.client import KeyInfo, ProxyClient
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.rate_limit import RateLimitCountdown, RateLimitModal
    from llmconsole.ui.tools import ConsoleTools
    from llmconsole.ui.widgets.prompt import PromptInput

MESSAGE_ACTIONS = frozenset({"edit_message", "regenerate", "regenerate_with", "sibling", "copy_message"})
"""The message mode's actions (``ConversationPane`` binds them to ``screen.…``): each needs a selection."""


class MainScreen(Screen[None]):
    """Chat with the proxy's models.

    | Key | Action |
    | :- | :- |
    | ctrl+l | Pick a model (type to filter, Enter selects). |
    | escape | Cancel the streaming reply (its text stays, marked cancelled). |
    | ctrl+n | New conversation. |
    | ctrl+o | Earlier conversations: open and continue, search, rename, delete, export. |
    | ctrl+r | Send the last prompt again. |
    | ctrl+t | Copy the last reply. |
    | ctrl+g | Copy the last code block (not ctrl+b: that is tmux's prefix). |
    | ctrl+x | Cancel the pending automatic resend (after a rate limit). |
    | f2 | System prompt and reasoning effort. |
    | f3 | Compare mode: one prompt to 2–4 models side by side. |
    | f4 | Attach an image (models with the img badge; ``@path`` in the prompt works too). |
    | f9 | The next prompt's attachments: open a pasted text or a text file, remove one. |
    | f7 | The tools offered to models (this session): check or uncheck each, all, none. |
    | f5 | Discover the models again. |
    | f8 | Compact: a model summarises the older turns into a new branch (the original stays). |
    | ctrl+up, alt+up | Select a message (then: e edit, r / m regenerate, left / right switch branches, c copy). |
    | ctrl+f | Search this conversation (then n / N: next / previous hit, / edits the query, escape closes). |
    """

    AUTO_FOCUS = "#prompt-preview"
    """Focus starts in the prompt (its first-frame drawing, then the editor; not the first focusable widget,
    the sidebar's filter: moving focus out of the sidebar again would restyle all of it before the first
    frame)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+l", "pick_model", "Model", tooltip="Pick a model: type to filter, Enter selects", id="pick-model"
        ),
        Binding(
            "escape", "cancel_reply", "Cancel", tooltip="Stop the streaming reply, keep its text", id="cancel-reply"
        ),
        Binding("ctrl+n", "new_conversation", "New", tooltip="Start a new conversation", id="new-conversation"),
        Binding(
            "ctrl+o",
            "conversations",
            "Conversations",
            tooltip="Earlier conversations: open, search, rename, delete, export",
            id="conversations",
        ),
        Binding("ctrl+r", "resend", "Resend", tooltip="Send the last prompt again", id="resend-prompt"),
        Binding("ctrl+t", "copy_reply", "Copy reply", tooltip="Copy the last reply to the clipboard", id="copy-reply"),
        Binding(
            "ctrl+g", "copy_code", "Copy code", tooltip="Copy the last code block to the clipboard", id="copy-code"
        ),
        Binding(
            "ctrl+x",
            "cancel_resend",
            "Cancel resend",
            tooltip="Cancel the automatic resend after a rate limit",
            id="cancel-resend",
            priority=True,
        ),
        Binding("f2", "settings", "Settings", tooltip="System prompt and reasoning effort", id="chat-settings"),
        Binding("f3", "compare", "Compare", tooltip="Send one prompt to 2–4 models side by side", id="compare"),
        Binding("f4", "attach_image", "Image", tooltip="Attach an image to the next prompt", id="attach-image"),
        Binding(  # (not in the footer: F1 and the palette list it; priority: over the prompt's own f7)
            "f7", "pick_tools", "Tools", tooltip="Pick the tools models get", id="pick-tools", show=False, priority=True
        ),
        Binding(
            "f9",
            "attachments",
            "Attachments",
            tooltip="The next prompt's attachments: open a text, remove a paste",
            show=False,
            id="attachments",
        ),
        Binding(
            "f5", "reload_models", "Reload models", tooltip="Discover the proxy's models again", id="reload-models"
        ),
        Binding(
            "f8",
            "compact",
            "Compact",
            tooltip="Summarise the older turns into a new branch (the original stays)",
            id="compact",
        ),
        Binding(
            "ctrl+f",
            "search",
            "Search",
            tooltip="Search this conversation (then n / N: next / previous hit, as in less)",
            show=False,
            id="search",
        ),
        Binding(
            "ctrl+up,alt+up",
            "select_message",
            "Messages",
            tooltip="Select a message: edit, regenerate, switch branches (up/down move, escape returns)",
            id="select-message",
        ),
    ]

    def __init__(
        self,
        client: ProxyClient | None,
        *,
        clock: Callable[[], float],
        history: HistoryAdapter | None = None,
        settings: Settings | None = None,
        client_factory: Callable[[], ProxyClient] | None = None,
        classes: str | None = None,
    ) -> None:
        """``client``, or (to keep its import out of the first paint) ``settings`` and a ``client_factory``."""
        super().__init__(id="main", classes=classes)
        if client is not None:
            settings = client.settings
        elif settings is None or client_factory is None:
            raise TypeError("MainScreen needs a client, or settings and a client_factory")
        self._client = client
        self._client_factory = client_factory
        self.settings: Settings = settings
        self.clock = clock
        self.history = history or HistoryAdapter(None)
        self.models: list[ModelInfo] = []
        self.model: ModelInfo | None = None
        self.reasoning_effort: ReasoningEffort = settings.reasoning_effort
        self._unencrypted = settings.insecure_warning() is not None
        self.meter = ContextMeter()
        """The context gauge's local estimates and the proxy's exact counts (the session's meter)."""
        self._session: ChatSession | None = None
        self.countdown: RateLimitCountdown | None = None
        self._tick_timer: Timer | None = None
        self.gauge: ContextGauge | None = None
        """The context gauge as last shown."""
        self._count_timer: Timer | None = None
        self.branches = BranchActions(self)
        """Edit, regenerate, switch siblings, compact, the overflow offer (``ui/screens/branching.py``)."""
        self.model_actions = ModelActions(self)
        self.attachment_actions = AttachmentActions(self)
        self.rate_limits = RateLimitActions(self)
        self.conversation_actions = ConversationActions(self)
        self.compare_actions = CompareActions(self)
        self.tool_actions = ToolActions(self)
        self.sending = SendActions(self)
        self._rate_limit_modal: RateLimitModal | None = None
        self._resumed = False
        self._earlier_prompts: list[str] | None = None
        self.earlier_prompts_coming = False
        """The app is opening the history: the prompts of earlier runs arrive (:meth:`load_earlier_prompts`)."""
        self.quotas: dict[str, tuple[Quota, float]] = {}
        """Model id -> the quota its last successful reply reported and ``clock()`` when it arrived."""
        self.key_info: KeyInfo | None = None
        """Alias, spend and budget of the key (``/key/info``), None where the proxy does not say."""
        self._key_info_asked = False
        self._reload_asked = False
        """f5 was pressed: say how many models arrived."""
        self.tools: ConsoleTools | None = None
        """The tools (made after the models are discovered, or when f7 first opens; see ``ui/tools.py``)."""

    # -- layout ---------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="◆")
        with Horizontal(id="main-body"):
            yield ModelSidebar(id="sidebar")
            with Vertical(id="chat"):
                yield ConversationPane(id="conversation")
                yield AttachmentBar(id="attachments")
                yield PromptPreview(id="prompt-preview")  # the editor (#prompt) replaces it after the first frame
        yield StatusBar(id="status-bar", clock=self.clock)
        yield FooterRow(id="footer-row")

    @property
    def sidebar(self) -> ModelSidebar:
        return self.query_one("#sidebar", ModelSidebar)

    @property
    def pane(self) -> ConversationPane:
        return self.query_one("#conversation", ConversationPane)

    @property
    def prompt(self) -> PromptInput:
        """The prompt editor (mounted just after the first frame: see :meth:`_mount_prompt`)."""
        from llmconsole.ui.widgets.prompt import PromptInput

        return self.query_one("#prompt", PromptInput)

    def focus_prompt(self) -> None:
        """Focus the prompt (its first-frame drawing until the editor is there)."""
        for selector in ("#prompt", "#prompt-preview"):
            for widget in self.query(selector):
                widget.focus()
                return

    @property
    def prompt_text(self) -> str:
        """The prompt's text ("" while the first frame's drawing stands in for the editor)."""
        prompts = self.query("#prompt")
        return str(getattr(prompts.first(), "text", "")) if prompts else ""

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one("#status-bar", StatusBar)

    @property
    def header(self) -> TitleBar:
        return self.query_one(TitleBar)

    @property
    def footer(self) -> ConsoleFooter:
        return self.query_one(ConsoleFooter)

    @property
    def client(self) -> ProxyClient:
        """The proxy client; made on first use when the screen was given a factory."""
        if self._client is None:
            assert self._client_factory is not None
            self._client = self._client_factory()
        return self._client

    @property
    def session(self) -> ChatSession:
        """The conversation flow (sending, retries, resends, drops, saving); this screen shows it.

        Made on first use: its modules (conversation, stream events, tree) load in a thread after the first
        frame (see ``ModelActions.discover``), so the first frame does not wait for them.
        """
        if self._session is None:
            from llmconsole.core.chat.session import ChatSession

            self._session = ChatSession(
                clock=self.clock,
                recorder=self.history,
                system_prompt=self.settings.system_prompt,
                reasoning_effort=self.settings.reasoning_effort,
                describe_error=describe_error,
                meter=self.meter,
            )
        return self._session

    @property
    def conversation(self) -> Conversation:
        """The session's conversation."""
        return self.session.conversation

    @conversation.setter
    def conversation(self, conversation: Conversation) -> None:
        self.session.conversation = conversation

    @property
    def system_prompt(self) -> str | None:
        return self.settings.system_prompt if self._session is None else self._session.system_prompt

    @system_prompt.setter
    def system_prompt(self, value: str | None) -> None:
        self.session.system_prompt = value

    def on_mount(self) -> None:
        self.model_actions.update_title()
        cached = None
        try:
            # The cache needs only json and the model dataclass: the first paint shows the list.
            cached = self._client.cached_models() if self._client is not None else discovery.load_cache(self.settings)
        except LLMConsoleError as exc:  # a broken cache is not worth more than a log line
            self.log.warning(f"model cache unreadable: {exc}")
        if cached:
            self.model_actions.apply_models(cached)
        self.sidebar.show_loading()
        self.call_after_refresh(self._start_discovery)

    def _start_discovery(self) -> None:
        self.run_worker(self._mount_prompt(), group="prompt", exit_on_error=False)
        self.model_actions.start_discovery()

    async def _mount_prompt(self) -> None:
        """The editor replaces the first frame's drawing of the prompt, in one frame; keys typed meanwhile are
        replayed into it (see :mod:`llmconsole.ui.widgets.prompt_preview`)."""
        from llmconsole.ui.widgets.prompt import PromptInput

        preview = next(self.query("#prompt-preview").results(PromptPreview), None)
        if preview is None:
            return
        prompt = PromptInput(id="prompt")
        prompt.paste_chip_lines = self.settings.paste_chip_lines
        if self._earlier_prompts is not None:
            prompt.load_earlier(self._earlier_prompts)
        else:
            prompt.earlier_pending = self.earlier_prompts_coming  # up/down (typed ahead too) wait for them

        def take_over() -> None:
            # No await before this: what was typed into the drawing goes in first, in order, and every later
            # key goes to the editor.
            if self.focused is preview or self.focused is None:
                self.set_focus(prompt)
            prompt.replay(preview.typed)
            preview.editor = prompt

        if not await replace_drawing(preview, prompt, take_over):  # the app quits
            return
        self._update_context()

    def load_earlier_prompts(self, prompts: list[str]) -> None:
        """Prompts of earlier runs for up-arrow recall (kept until the editor is there)."""
        from llmconsole.ui.widgets.prompt import PromptInput

        self._earlier_prompts = prompts
        for prompt in self.query(PromptInput):  # none before the editor is mounted, or when quitting
            prompt.load_earlier(prompts)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Focus returns to the prompt whenever a modal closes."""
        if not self._resumed:
            # Its first resume follows its mount, which styled every widget: Textual would style them all again.
            self._resumed = True
            event.refresh_styles = False
            return  # (focus is in the prompt's drawing, then the editor)
        self.focus_prompt()

    # -- models (ui/screens/model_list.py) -------------------------------------------------------------

    @on(ModelSidebar.ModelSelected)
    def _sidebar_selected(self, event: ModelSidebar.ModelSelected) -> None:
        if self.select_model(event.model_id):
            self.focus_prompt()

    @on(ModelsLoaded)
    def _models_loaded(self, event: ModelsLoaded) -> None:
        self.model_actions.loaded(event)
        if not event.from_cache:
            self.tool_actions.discover()  # after the models (f5 asks again)

    # -- tools (ui/screens/tooling.py, ui/tools.py) ------------------------------------------------------

    def action_pick_tools(self) -> None:
        """f7: which tools are offered to models, for this session."""
        self.tool_actions.pick()

    @on(ConversationPane.ToolRoundStarted)
    @on(ConversationPane.ToolRoundEnded)
    def _tool_round(self, event: ConversationPane.ToolRoundStarted | ConversationPane.ToolRoundEnded) -> None:
        self.tool_actions.round_changed(event)

    async def on_unmount(self) -> None:
        await self.tool_actions.aclose()

    @on(ModelsFailed)
    def _models_failed(self, event: ModelsFailed) -> None:
        self.model_actions.failed(event)

    def reload_models(self) -> None:
        self.model_actions.reload_models()

    def find_model(self, model_id: str) -> ModelInfo | None:
        return self.model_actions.find_model(model_id)

    def select_model(self, model_id: str) -> bool:
        """Make ``model_id`` the current model (the conversation continues with it)."""
        return self.model_actions.select_model(model_id)

    def _update_context(self) -> None:
        self.model_actions.update_context()

    def _update_total_cost(self) -> None:
        self.model_actions.update_total_cost()

    def action_pick_model(
        self, preselect_id: str | None = None, *, then_resend: bool = False, first: Sequence[str] = ()
    ) -> None:
        """Open the model picker (``first``: ids listed first)."""
        self.model_actions.pick_model(preselect_id, then_resend=then_resend, first=first)

    def action_reload_models(self) -> None:
        """f5: discover the models again, saying so now and when the list has arrived."""
        self.model_actions.reload()

    # -- sending --------------------------------------------------------------------------------------

    # (Handlers by name, not @on(PromptInput....): the editor's module loads after the first frame.)

    def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        self.send_prompt(event.text)

    @property
    def streaming(self) -> bool:
        """A reply streams in this conversation (the session says)."""
        return self._session is not None and self._session.busy == "reply"

    @property
    def editing(self) -> Message | None:
        """The prompt being edited (its text is in the prompt): sending makes a sibling of it."""
        return self._session.editing if self._session is not None else None

    def refuse_busy(self) -> bool:
        """True, with one line saying why, when the conversation is busy (the prompt stays where it is)."""
        line = self._session.busy_line() if self._session is not None else None
        if line is not None:
            self.notify(line, severity="warning")
        return line is not None

    def send_prompt(self, text: str, *, images: Sequence[str] = (), force: bool = False) -> bool:
        """Send ``text`` as a new user message (or an edit's sibling), with ``images`` (data URLs: a resent
        prompt's) before its own; False, the text staying in the prompt, when it cannot go now
        (``ui/screens/sending.py``)."""
        return self.sending.send_prompt(text, images=images, force=force)

    def _retry_last(self) -> bool:
        return self.sending.retry_last()

    @on(ReplyFinished)
    def _reply_finished(self, event: ReplyFinished) -> None:
        self.sending.reply_finished(event)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        self.sending.worker_failed(event)

    # -- branches, overflow, compaction (ui/screens/branching.py) --------------------------------------

    def _update_positions(self) -> None:
        self.branches.update_positions()

    async def _show_path(
        self, *, focus: str | None = None, then_reply: bool = False, then: Callable[[], object] | None = None
    ) -> None:
        await self.branches.show_path(focus=focus, then_reply=then_reply, then=then)

    async def compact_now(self, then: Callable[[], object] | None = None) -> bool:
        return await self.branches.compact_now(then)

    def action_compact(self) -> None:
        self.branches.compact()

    def action_select_message(self) -> None:
        self.branches.select_message()

    def action_search(self) -> None:
        from llmconsole.ui.widgets.search_bar import open_search  # (mounted on first use)

        open_search(self, self.pane)

    def action_leave_messages(self) -> None:
        self.branches.leave_messages()

    def action_edit_message(self) -> None:
        self.branches.edit_message()

    def action_regenerate(self, model_id: str | None = None) -> None:
        self.branches.regenerate(model_id)

    def action_regenerate_with(self) -> None:
        self.branches.regenerate_with()

    def action_sibling(self, step: int) -> None:
        self.branches.sibling(step)

    def action_copy_message(self) -> None:
        self.branches.copy_message()

    def _start_reply(self) -> None:
        assert self.model is not None
        self.session.reasoning_effort = self.reasoning_effort
        run = self.session.start_reply(self.client, self.model)
        reply = self.pane.add_reply(run.message)
        self.pane.anchor()
        self.status_bar.set_activity("streaming…")
        self._update_context()
        self.pane.stream_reply(ReplyRequest(run=run, reply=reply, session=self.session))

    def action_resend(self) -> None:
        """Send the last prompt again."""
        if self.refuse_busy():
            return
        self._clear_countdown()
        self._retry_last()

    def action_cancel_reply(self) -> None:
        """Cancel the streaming reply at once (the worker's cancellation closes the HTTP response); with none,
        stop editing a prompt."""
        if self.pane.cancel_reply():
            return
        ended = self.session.cancel_reply() if self._session is not None else None
        if ended is not None:  # its worker never started
            self.pane.show_reply_end(ended)
            return
        if self._session is not None and self._session.cancel_edit():
            self.status_bar.set_activity("")
            self.notify("Edit cancelled: the prompt will be sent as a new message.")
        self.focus_prompt()

    @on(ReplyStarted)
    def _reply_started(self, event: ReplyStarted) -> None:
        if self.countdown is not None and self.countdown.remaining(self.clock()) <= 0:
            self._clear_countdown()
        if event.model is not None:
            self.model_actions.record_reply_started(event.event, event.model)

    # -- rate limits (ui/screens/resending.py) --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_resend":
            return self.countdown is not None and self.countdown.pending
        if action in MESSAGE_ACTIONS:  # the message mode's keys (bound in the pane): shown when they work
            return self.branches.available(action)
        return True

    def tick(self) -> None:
        """Re-read the clock: update the countdowns, and resend at zero when the session says so."""
        self.rate_limits.tick()

    def _clear_countdown(self) -> None:
        self.rate_limits.clear()

    def action_cancel_resend(self) -> None:
        """Cancel the pending automatic resend (the prompt stays in the conversation: ctrl+r sends it)."""
        self.rate_limits.cancel_resend()

    # -- conversations (ui/screens/opening.py) ----------------------------------------------------------

    def action_new_conversation(self) -> None:
        self.conversation_actions.new()

    def action_conversations(self) -> None:
        """The conversation list; Enter opens one here."""
        self.conversation_actions.open_list()

    async def open_conversation(self, conv_id: str, message_id: str | None = None) -> bool:
        """Load a stored conversation and continue it here (scrolled to ``message_id`` when given)."""
        return await self.conversation_actions.open_conversation(conv_id, message_id)

    def action_copy_reply(self) -> None:
        self.conversation_actions.copy_reply()

    def action_copy_code(self) -> None:
        self.conversation_actions.copy_code()

    def action_settings(self) -> None:
        self.conversation_actions.settings()

    def set_reasoning_effort(self, effort: ReasoningEffort) -> None:
        self.conversation_actions.set_reasoning_effort(effort)

    # -- attachments (ui/screens/attaching.py) ----------------------------------------------------------

    @property
    def attachments(self) -> AttachmentBar:
        return self.query_one("#attachments", AttachmentBar)

    def on_text_area_changed(self, event: PromptInput.Changed) -> None:
        self.attachment_actions.prompt_changed(event)

    def on_prompt_input_long_paste(self, event: PromptInput.LongPaste) -> None:
        self.attachment_actions.long_paste(event)

    @on(AttachmentBar.Clicked)
    def action_attachments(self) -> None:
        """f9: the next prompt's attachments (open a text, remove a paste or a picked image)."""
        self.attachment_actions.open()

    def action_attach_image(self) -> None:
        """Pick an image file to send with the next prompt."""
        self.attachment_actions.pick_image()

    def attach_image(self, path: Path | None) -> bool:
        """Check and add the image at ``path`` to the next prompt (a one-line message when it can't)."""
        return self.attachment_actions.attach_image(path)

    # -- compare (ui/screens/comparing.py) --------------------------------------------------------------

    def action_compare(self) -> None:
        """Open compare mode: the current model preselected, the prompt's text carried over."""
        self.compare_actions.open()

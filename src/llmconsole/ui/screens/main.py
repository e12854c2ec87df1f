"""The main screen: model sidebar, conversation, prompt and status bar, and the glue between them."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import ScreenResume
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from llmconsole.core.chat.context import ContextGauge, ContextMeter
from llmconsole.core.errors import LLMConsoleError, RateLimitError
from llmconsole.core.proxy import discovery
from llmconsole.ui.messages import ModelsFailed, ModelsLoaded, ReplyFinished, ReplyStarted
from llmconsole.ui.persistence import HistoryAdapter
from llmconsole.ui.screens.branching import BranchActions
from llmconsole.ui.widgets.attachment_bar import AttachmentBar
from llmconsole.ui.widgets.conversation import ConversationPane, ReplyRequest
from llmconsole.ui.widgets.first_frame import replace_drawing
from llmconsole.ui.widgets.footer import ConsoleFooter, FooterRow
from llmconsole.ui.widgets.formatting import (
    conversation_cost,
    describe_error,
    key_text,
    last_code_block,
    reply_ending,
    total_cost_text,
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
    from llmconsole.core.events import Quota, ResponseStarted
    from llmconsole.core.proxy.client import KeyInfo, ProxyClient
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.compare import CompareChoice, CompareRequest
    from llmconsole.ui.screens.rate_limit import RateLimitChoice, RateLimitCountdown, RateLimitModal
    from llmconsole.ui.screens.settings import ChatSettings
    from llmconsole.ui.widgets.prompt import PromptInput

TICK_S = 0.25
"""How often the rate-limit countdown re-reads the clock."""
COUNT_DEBOUNCE_S = 0.4
"""The proxy counts the context's tokens after this pause in typing."""


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
    | f5 | Discover the models again. |
    | f8 | Compact: a model summarises the older turns into a new branch (the original stays). |
    | ctrl+up, alt+up | Select a message (then: e edit, r / m regenerate, left / right switch branches, c copy). |
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
        frame (see :meth:`_discover`), so the first frame does not wait for them.
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
        self._update_title()
        cached = None
        try:
            # The cache needs only json and the model dataclass: the first paint shows the list.
            cached = self._client.cached_models() if self._client is not None else discovery.load_cache(self.settings)
        except LLMConsoleError as exc:  # a broken cache is not worth more than a log line
            self.log.warning(f"model cache unreadable: {exc}")
        if cached:
            self._apply_models(cached)
        self.sidebar.show_loading()
        self.call_after_refresh(self._start_discovery)

    def _start_discovery(self) -> None:
        self.run_worker(self._mount_prompt(), group="prompt", exit_on_error=False)
        self._discover()

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

    # -- models ---------------------------------------------------------------------------------------

    def reload_models(self) -> None:
        self.sidebar.show_loading()
        self._discover()

    @work(exclusive=True, group="discovery", exit_on_error=False)
    async def _discover(self) -> None:
        if self._client is None:
            # The client's modules (httpx, the error parsers) load in a thread: the loop keeps painting.
            await asyncio.to_thread(_import_client_modules, self.settings.demo)
        try:
            models = await self.client.discover(recheck=self._reload_asked)  # f5 re-checks learned endpoints
        except LLMConsoleError as exc:
            self.post_message(ModelsFailed(exc))
            return
        self.post_message(ModelsLoaded(models))

    @on(ModelsLoaded)
    def _models_loaded(self, event: ModelsLoaded) -> None:
        self._apply_models(event.models)
        if self._reload_asked and not event.from_cache:
            self._reload_asked = False
            count = len(event.models)
            self.notify(f"Model list reloaded: {count} model{'s' if count != 1 else ''} from {self.settings.host}.")
        if not event.from_cache and not self._key_info_asked:
            self._key_info_asked = True
            self._fetch_key_info()

    @on(ModelsFailed)
    def _models_failed(self, event: ModelsFailed) -> None:
        line = describe_error(event.error)
        self.sidebar.show_error(line)
        self._reload_asked = False
        self.notify(line, title="Model discovery failed", severity="error")

    def _apply_models(self, models: list[ModelInfo]) -> None:
        self.models = list(models)
        by_id = {m.id: m for m in self.models}
        wanted = self.model.id if self.model is not None else self.settings.default_model
        chosen = by_id.get(wanted) if wanted else None
        if chosen is None and self.model is None and self.models:
            chosen = self.models[0]
        if chosen is not None:
            self.model = chosen
        self.sidebar.set_models(self.models, current_id=self.model.id if self.model else None)
        self._model_changed()

    def find_model(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)

    def select_model(self, model_id: str) -> bool:
        """Make ``model_id`` the current model (the conversation continues with it)."""
        model = self.find_model(model_id)
        if model is None:
            self.notify(f"Unknown model: {model_id}", severity="error")
            return False
        if self.model is not None and model.id == self.model.id:
            return True
        self.model = model
        self.sidebar.set_current(model.id)
        self._model_changed()
        if self.conversation.messages:
            self.pane.add_notice(f"Switched to {model.id}; the conversation continues with it.")
        return True

    def _model_changed(self) -> None:
        self.status_bar.set_model(self.model)
        self._show_quota()
        self._update_title()
        self._update_context()

    def _update_title(self) -> None:
        host = self.settings.label  # the profile's name too
        if self._unencrypted:  # the key travels in clear text to another host: said in the title too
            host = f"{host} · UNENCRYPTED"
        key = self.key_info
        key_part = key_text(key.alias, key.spend, key.max_budget) if key is not None else None
        self.title = f"llmconsole · {key_part}" if key_part else "llmconsole"
        self.sub_title = f"{host} · {self.model.id}" if self.model else host
        self.app.sub_title = self.sub_title

    def _update_context(self) -> None:
        """The context gauge now (a local estimate where nothing is counted yet: microseconds), then an exact
        count from the proxy after a pause (debounced; never blocks a key)."""
        if self.model is None:
            self.gauge = None
            self.status_bar.set_context(None)
            return
        prompt = self.prompt_text
        images = 0
        if self.is_mounted:  # text files and pastes count as the blocks they become; images and PDFs as files
            blocks, images = self.attachments.gauge_inputs()
            prompt = f"{prompt}\n\n{blocks}" if blocks else prompt
        # (Before anything is sent, the session need not exist yet: an empty conversation.)
        messages = self._session.conversation.messages if self._session is not None else ()
        gauge = self.meter.gauge(self.model, self.system_prompt, messages, prompt=prompt, images=images)
        self.gauge = gauge
        self.status_bar.set_context(gauge.percent, gauge.text())
        self.status_bar.tooltip = f"Context: {gauge.describe()}"
        if self._client is not None and getattr(self.meter.counter, "available", True) is not False:
            if self._count_timer is not None:
                self._count_timer.stop()
            self._count_timer = self.set_timer(COUNT_DEBOUNCE_S, self._count_tokens)

    def _count_tokens(self) -> None:
        self._count_timer = None
        self.run_worker(self._refine_context(), group="ctx-count", exclusive=True, exit_on_error=False)

    async def _refine_context(self) -> None:
        from llmconsole.core.chat.context import ProxyTokenCounter

        model = self.model
        if model is None:
            return
        if self.session.meter.counter is None:
            self.session.meter.counter = ProxyTokenCounter(self.client)
        changed = await self.session.meter.refine(
            model, self.system_prompt, list(self.conversation.messages), prompt=self.prompt.text
        )
        if changed:
            self._update_context()

    @on(ModelSidebar.ModelSelected)
    def _sidebar_selected(self, event: ModelSidebar.ModelSelected) -> None:
        if self.select_model(event.model_id):
            self.focus_prompt()

    def action_pick_model(self, preselect_id: str | None = None, *, then_resend: bool = False) -> None:
        """Open the model picker."""
        from llmconsole.ui.screens.model_picker import ModelPickerModal

        if not self.models:
            self.notify("No models yet: discovery is still running or failed (f5 retries).", severity="warning")
            return

        def picked(model_id: str | None) -> None:
            self.focus_prompt()
            if model_id is None or not self.select_model(model_id):
                return
            if then_resend:
                self._clear_countdown()
                self._retry_last()

        current = self.model.id if self.model else None
        title = "Switch to a smaller model" if then_resend else "Pick a model"
        self.app.push_screen(
            ModelPickerModal(self.models, current_id=current, preselect_id=preselect_id, title=title), picked
        )

    def action_reload_models(self) -> None:
        """f5: discover the models again, saying so now and when the list has arrived."""
        self._reload_asked = True
        self.notify(f"Reloading the model list from {self.settings.host}…", timeout=3)
        self.reload_models()

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
        """Send ``text`` as a new user message, with ``images`` (data URLs: a resent prompt's) before its own.
        False (and the text stays in the prompt) when it can't, or when it would not fit the context window
        (then the overflow offer opens; ``force`` sends anyway)."""
        if self.model is None:
            self.notify("No model to send to yet (ctrl+l picks one once discovery has run).", severity="warning")
            return False
        if self.refuse_busy():
            return False
        if images and not self.model.images:
            self.notify(
                f"{self.model.id} has no image input: pick a model with the img badge (ctrl+l).",
                title="Image not attached",
                severity="error",
            )
            return False
        found = self._images_for(text)
        if found is None:
            return False
        send_text, urls = found
        urls = [*images, *urls]
        if not force:
            gauge = self.session.gauge(self.model, prompt=send_text, images=len(urls))
            if not gauge.fits:
                self.offer_overflow(
                    f"This prompt would not fit the context window of {self.model.id}",
                    gauge.describe(),
                    retry=lambda: self.send_prompt(text, images=images, force=True),
                )
                return False
        if self.prompt.text == text:
            self.prompt.clear()
        self.attachments.clear()
        self._clear_countdown()
        self.status_bar.set_activity("")
        submitted = self.session.submit(send_text, attachments=urls)  # an edit's sibling, or a new message
        if submitted.reshow:
            self.run_worker(self._show_path(then_reply=True), group="branch")
        else:
            self.pane.add_user(submitted.message)
            self._start_reply()
        return True

    # -- branches, overflow, compaction (ui/screens/branching.py) --------------------------------------

    def _update_positions(self) -> None:
        self.branches.update_positions()

    async def _show_path(
        self, *, focus: str | None = None, then_reply: bool = False, then: Callable[[], object] | None = None
    ) -> None:
        await self.branches.show_path(focus=focus, then_reply=then_reply, then=then)

    def offer_overflow(self, headline: str, detail: str, *, retry: Callable[[], object]) -> None:
        self.branches.offer_overflow(headline, detail, retry=retry)

    async def compact_now(self, then: Callable[[], object] | None = None) -> bool:
        return await self.branches.compact_now(then)

    def action_compact(self) -> None:
        self.branches.compact()

    def action_select_message(self) -> None:
        self.branches.select_message()

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
        self.pane.stream_reply(ReplyRequest(run=run, reply=reply))

    def _retry_last(self) -> bool:
        """Send the unanswered prompt again in place (its failed reply stays, a sibling), else the last prompt
        as a new message (the session decides which)."""
        if self.model is None or self.refuse_busy():
            return False
        plan = self.session.retry()
        if plan.kind == "in_place":
            self.run_worker(self._show_path(then_reply=True), group="branch")
            return True
        last = plan.prompt
        text = last.text if last is not None else (self.prompt.sent[-1] if self.prompt.sent else None)
        if text is None:
            self.notify("Nothing to resend yet.", severity="warning")
            return False
        return self.send_prompt(text, images=last.attachments if last is not None else ())

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
            self.record_reply_started(event.event, event.model)

    @on(ReplyFinished)
    def _reply_finished(self, event: ReplyFinished) -> None:
        """Show how a reply ended; what it means (``end.outcome``) was decided by the session."""
        end = event.end
        message, error = end.message, end.error
        if message not in self.conversation.messages:
            return  # a reply of a conversation left meanwhile (ctrl+n, ctrl+o)
        self.status_bar.set_activity("")
        self.status_bar.set_ending(reply_ending(message))
        if message.usage is not None:
            self.status_bar.set_usage(message.usage)
        self._update_positions()
        self._update_context()
        self._update_total_cost()
        if end.outcome == "rate_limited" and isinstance(error, RateLimitError):
            self._rate_limited(error, end.model)
        elif end.outcome == "overflow":
            self.offer_overflow(
                f"The proxy says this conversation does not fit {end.model.id}",
                message.error or str(error),
                retry=self._retry_last,
            )
        elif end.outcome == "failed":
            self.notify(message.error or str(error), title="Request failed", severity="error")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Anything unexpected in a worker: one line, a notification, and the app carries on."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        line = describe_error(error) if error is not None else "Unexpected error"
        self.log.error(f"worker {event.worker.name} failed: {error!r}")
        if event.worker.group == "response":
            self.status_bar.set_activity("")
            run = self._session.run if self._session is not None else None
            if run is not None and run.end is None:
                run.fail(error or RuntimeError(line))
            for reply in self.pane.replies:
                if reply.message.status == "streaming":
                    reply.message.status = "error"
                    reply.message.error = line
                    reply.show_end(reply.message)
        else:
            self.pane.add_notice(line, error=True)
        self.notify(line, title="Error", severity="error")

    # -- rate limits ----------------------------------------------------------------------------------

    def _rate_limited(self, error: RateLimitError, model: ModelInfo) -> None:
        from llmconsole.ui.screens.rate_limit import RateLimitCountdown, RateLimitModal  # (its buttons) when needed

        self.countdown = RateLimitCountdown.start(
            model.id, error.info, self.clock(), databricks=model.is_databricks, resends_done=self.session.auto_resends
        )
        self._start_ticking()
        self.tick()
        if self._rate_limit_modal is not None and self._rate_limit_modal.is_active:
            self._rate_limit_modal.dismiss("close")
        modal = RateLimitModal(self.countdown, self.clock)
        self._rate_limit_modal = modal
        self.app.push_screen(modal, self._rate_limit_choice)

    def _rate_limit_choice(self, choice: RateLimitChoice | None) -> None:
        self._rate_limit_modal = None
        self.focus_prompt()
        if choice == "switch" and self.model is not None:
            from llmconsole.ui.screens.model_picker import smaller_model

            smaller = smaller_model(self.model, self.models)
            self.action_pick_model(smaller.id if smaller else None, then_resend=True)

    def _start_ticking(self) -> None:
        if self._tick_timer is None:
            self._tick_timer = self.set_interval(TICK_S, self.tick, name="rate-limit-countdown")

    def _stop_ticking(self) -> None:
        if self._tick_timer is not None:
            self._tick_timer.stop()
            self._tick_timer = None

    def _clear_countdown(self) -> None:
        self.countdown = None
        self._stop_ticking()
        self.status_bar.set_rate_limit(None)

    def tick(self) -> None:
        """Re-read the clock: update the countdowns, and resend at zero when that is on."""
        countdown = self.countdown
        if countdown is None:
            self._stop_ticking()
            return
        now = self.clock()
        modal = self._rate_limit_modal
        if modal is not None and modal.is_attached:
            modal.update_countdown()
        if countdown.remaining(now) > 0 or countdown.fired:  # (the session's resend_step would say "wait")
            self.status_bar.set_rate_limit(countdown.status(now))
            return
        self._stop_ticking()
        if self.session.resend_step(countdown, now) == "resend":
            if modal is not None and modal.is_active:
                modal.dismiss("close")
            session = self.session
            self.pane.add_notice(f"Resending automatically ({session.auto_resends}/{session.max_auto_resends}).")
            self._retry_last()
        self.status_bar.set_rate_limit(countdown.status(now))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_resend":
            return self.countdown is not None and self.countdown.pending
        return True

    def action_cancel_resend(self) -> None:
        """Cancel the pending automatic resend (the prompt stays in the conversation: ctrl+r sends it)."""
        if self.countdown is None:
            return
        self.countdown.auto_resend = False
        self.status_bar.set_rate_limit(self.countdown.status(self.clock()))
        self.notify("Automatic resend cancelled: ctrl+r sends the prompt again.")

    # -- conversation ---------------------------------------------------------------------------------

    def action_new_conversation(self) -> None:
        self.pane.cancel_reply()
        self.pane.clear()
        self.session.new_conversation()
        self._clear_countdown()
        self.status_bar.set_usage(None)
        self.status_bar.set_activity("")
        self.status_bar.set_ending(None)
        self._update_context()
        self._update_total_cost()
        self.focus_prompt()
        self.notify("New conversation.")

    def action_conversations(self) -> None:
        """The conversation list; Enter opens one here."""
        from llmconsole.ui.screens.conversations import ConversationsScreen, OpenRequest

        if not self.history.enabled:
            self.notify("History is off (started with --no-history).", severity="warning")
            return

        def chosen(request: OpenRequest | None) -> None:
            self.focus_prompt()
            if request is not None:
                self.run_worker(self.open_conversation(request.conv_id, request.message_id), group="open-conversation")

        self.app.push_screen(ConversationsScreen(self.history, current_id=self.conversation.id), chosen)

    async def open_conversation(self, conv_id: str, message_id: str | None = None) -> bool:
        """Load a stored conversation and continue it here (scrolled to ``message_id`` when given)."""
        try:
            conv = await self.history.load(conv_id)
        except Exception as exc:  # noqa: BLE001 - a broken or missing conversation is one line
            self.notify(f"Cannot open the conversation: {exc}", severity="error")
            return False
        self.pane.cancel_reply()
        self._clear_countdown()
        shown, unsent = self.session.open(conv, focus=message_id)
        last = next((m for m in reversed(shown) if m.role == "assistant"), None)
        model = self.find_model(last.model) if last is not None and last.model else None
        if model is not None and model is not self.model:
            self.model = model
            self.sidebar.set_current(model.id)
            self._model_changed()
        self._update_positions()
        focus = await self.pane.show_messages(shown, unsent=unsent, focus=message_id)
        self.status_bar.set_usage(last.usage if last is not None else None)
        self.status_bar.set_activity("")
        self.status_bar.set_ending(reply_ending(last) if last is not None else None)
        self._update_context()
        self._update_total_cost()
        if last is not None and last.model and model is None:
            current = self.model.id if self.model else "no model"
            self.pane.add_notice(f"{last.model} is not served here; the conversation continues with {current}.")
        if message_id is not None and focus is None:
            self.notify("The match is far back: scroll up to it.")
        self.focus_prompt()
        return True

    def action_copy_reply(self) -> None:
        replies = [r for r in self.pane.replies if r.text]
        if not replies:
            self.notify("No reply to copy yet.", severity="warning")
            return
        text = replies[-1].text
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the last reply ({len(text):,} characters).")

    def action_copy_code(self) -> None:
        for reply in reversed(self.pane.replies):
            blocks = reply.code_blocks
            code = blocks[-1] if blocks else last_code_block(reply.text)
            if code is not None:
                self.app.copy_to_clipboard(code)
                self.notify(f"Copied the last code block ({len(code.splitlines())} lines).")
                return
        self.notify("No code block to copy.", severity="warning")

    def action_settings(self) -> None:
        from llmconsole.ui.screens.settings import ChatSettings, SettingsModal

        def saved(result: ChatSettings | None) -> None:
            self.focus_prompt()
            if result is not None:
                self.apply_settings(result)

        current = ChatSettings(system_prompt=self.system_prompt, reasoning_effort=self.reasoning_effort)
        self.app.push_screen(SettingsModal(current), saved)

    def apply_settings(self, settings: ChatSettings) -> None:
        self.session.set_system_prompt(settings.system_prompt)
        self.reasoning_effort = settings.reasoning_effort
        self._update_context()
        prompt = "set" if settings.system_prompt else "cleared"
        self.notify(f"Reasoning effort {settings.reasoning_effort}; system prompt {prompt}.")

    def set_reasoning_effort(self, effort: ReasoningEffort) -> None:
        self.reasoning_effort = effort
        self.notify(f"Reasoning effort: {effort}")

    # -- quota, cost and key --------------------------------------------------------------------------

    def record_reply_started(self, event: ResponseStarted, model: ModelInfo) -> None:
        """A reply was accepted: keep its quota (per model) and the key's spend (when > 0)."""
        if event.endpoint != model.endpoint and self._client is not None and self._client.models:
            self._apply_models(self._client.models)  # the client learned the model's endpoint: show the badge
            api = "Chat Completions" if event.endpoint == "chat" else "the Responses API"
            self.notify(f"{model.id} answers through {api}: used from now on (--forget-learned forgets it).")
        if event.quota is not None:
            self.quotas[model.id] = (event.quota, self.clock())
            if self.model is not None and model.id == self.model.id:
                self._show_quota()
        if event.key_spend is not None and event.key_spend > 0:
            from llmconsole.core.proxy.client import KeyInfo

            key = self.key_info or KeyInfo()
            self.key_info = KeyInfo(alias=key.alias, spend=event.key_spend, max_budget=key.max_budget)
            self._update_title()

    def _show_quota(self) -> None:
        entry = self.quotas.get(self.model.id) if self.model is not None else None
        if entry is None:
            self.status_bar.set_quota(None)
        else:
            self.status_bar.set_quota(*entry)

    def _update_total_cost(self) -> None:
        self.status_bar.set_total_cost(total_cost_text(*conversation_cost(self.conversation.messages)))

    @work(exclusive=True, group="key-info", exit_on_error=False)
    async def _fetch_key_info(self) -> None:
        """``/key/info`` once, after discovery; nothing is shown where the proxy refuses it."""
        info = await self.client.key_info()
        if info is None or (info.alias is None and info.spend is None and info.max_budget is None):
            return
        if self.key_info is not None and self.key_info.spend is not None:
            spend = self.key_info.spend if info.spend is None else max(info.spend, self.key_info.spend)
            from llmconsole.core.proxy.client import KeyInfo

            info = KeyInfo(alias=info.alias, spend=spend, max_budget=info.max_budget)
        self.key_info = info
        self._update_title()

    # -- images ---------------------------------------------------------------------------------------

    @property
    def attachments(self) -> AttachmentBar:
        return self.query_one("#attachments", AttachmentBar)

    def on_text_area_changed(self, event: PromptInput.Changed) -> None:
        if event.text_area.id != "prompt":
            return
        text = event.text_area.text
        if "@" in text or self.attachments.refs:
            from llmconsole.core.images import extract_image_refs

            self.attachments.set_refs(extract_image_refs(text)[1] if "@" in text else [])
        self._update_context()

    def _images_for(self, text: str) -> tuple[str, list[str]] | None:
        """The text to send (with a fenced block per text file and long paste) and the data URLs of its images
        and PDFs (``@path`` references and picked images); None, with a one-line message, when a file cannot
        go (no image input, binary, too large)."""
        picked = self.attachments.attachments
        pasted = self.attachments.pastes
        if "@" not in text and not picked and not pasted:
            return text, []
        from llmconsole.core.attachments import attach_files
        from llmconsole.core.images import AttachmentError, attach_images

        assert self.model is not None
        try:
            attached = attach_files(
                text,
                images_supported=self.model.images,
                model_id=self.model.id,
                hint="pick a model with the images badge (ctrl+l)",
                pasted=list(pasted),
            )
            if picked and not self.model.images:
                attach_images("@" + str(picked[0].path), images_supported=False, model_id=self.model.id)
        except AttachmentError as exc:
            self.notify(exc.message, title="Not attached", severity="error")
            return None
        return attached.text, [a.data_url for a in picked] + attached.urls

    def on_prompt_input_long_paste(self, event: PromptInput.LongPaste) -> None:
        from llmconsole.core.attachments import paste_attachment

        paste = paste_attachment(event.text)
        self.attachments.add_paste(paste)
        self._update_context()
        self.notify(f"Pasted {paste.lines} lines as an attachment: f9 opens or removes it.", timeout=4)

    @on(AttachmentBar.Clicked)
    def action_attachments(self) -> None:
        """f9: the next prompt's attachments (open a text, remove a paste or a picked image)."""
        from llmconsole.ui.screens.attachments import AttachmentsModal

        bar = self.attachments
        if not (bar.attachments or bar.refs or bar.pastes):
            self.notify("No attachments: @path in the prompt, f4 for an image, or paste a long text.")
            return

        def closed(_: None) -> None:
            self.focus_prompt()
            self._update_context()

        self.app.push_screen(AttachmentsModal(bar, self.prompt), closed)

    def action_attach_image(self) -> None:
        """Pick an image file to send with the next prompt."""
        from llmconsole.ui.screens.image_picker import ImagePickerModal

        if self.model is not None and not self.model.images:
            self.notify(
                f"{self.model.id} has no image input: pick a model with the img badge (ctrl+l).",
                title="Image not attached",
                severity="error",
            )
            return

        def picked(path: Path | None) -> None:
            self.focus_prompt()
            self.attach_image(path)

        self.app.push_screen(ImagePickerModal(), picked)

    def attach_image(self, path: Path | None) -> bool:
        """Check and add the image at ``path`` to the next prompt (a one-line message when it can't)."""
        if path is None:
            return False
        from llmconsole.core.images import AttachmentError, load_image

        try:
            attachment = load_image(path)
        except AttachmentError as exc:
            self.notify(exc.message, title="Image not attached", severity="error")
            return False
        self.attachments.add(attachment)
        return True

    # -- compare --------------------------------------------------------------------------------------

    def action_compare(self) -> None:
        """Open compare mode: the current model preselected, the prompt's text carried over."""
        from llmconsole.ui.screens.compare import CompareScreen

        if len(self.models) < 2:
            self.notify("Compare needs at least two models (discovery may still be running).", severity="warning")
            return
        selected = [self.model.id] if self.model is not None else []
        screen = CompareScreen(
            self.models, self.compare_request, selected=selected, prompt=self.prompt.text.strip(), history=self.history
        )
        self.app.push_screen(screen, self.continue_compare)

    def compare_request(self, prompt: str) -> CompareRequest:
        """What the columns of a comparison share (this screen's client, settings and clock)."""
        from llmconsole.ui.screens.compare import CompareRequest

        return CompareRequest(
            client=self.client,
            prompt=prompt,
            system_prompt=self.system_prompt,
            reasoning_effort=self.reasoning_effort,
            clock=self.clock,
            on_started=self.record_reply_started,
        )

    def continue_compare(self, choice: CompareChoice | None) -> None:
        """Load one compared answer (its model, the prompt and the reply) as a new normal conversation."""
        self.focus_prompt()
        if choice is None:
            return
        self.pane.cancel_reply()
        self.pane.clear()
        self._clear_countdown()
        self.select_model(choice.model_id)
        user, reply = self.session.continue_compare(
            choice.prompt, choice.reply, system_prompt=choice.system_prompt, others=choice.others
        )
        self._update_positions()
        self.pane.add_user(user)
        self.pane.add_reply(reply, streaming=False)
        self.status_bar.set_usage(reply.usage)
        self.status_bar.set_ending(reply_ending(reply))
        self._update_context()
        self._update_total_cost()
        more = f" The other {len(choice.others)} answers are its siblings (‹ ›)." if choice.others else ""
        self.notify(f"Continuing with {choice.model_id}.{more}")


def _import_client_modules(demo: bool) -> None:
    """Import what :class:`ProxyClient` needs (run in a thread, after the first paint)."""
    importlib.import_module("llmconsole.core.proxy.client")
    importlib.import_module("llmconsole.core.chat.session")  # what sending needs (the session is made on first use)
    if demo:
        importlib.import_module("llmconsole.core.demo")

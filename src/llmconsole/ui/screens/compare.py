"""Compare mode: one prompt to 2–4 models at once, their replies streamed side by side.

Each :class:`CompareColumn` runs its own worker (group ``compare``): a rate limit or an error ends that column
only. Escape cancels every column (a second Escape closes the screen). When a column has finished, its digit
(or Enter on the focused column) continues that answer as a normal conversation: the screen is dismissed with a
:class:`CompareChoice` that the main screen loads.

History: a comparison is one conversation of kind ``compare``: the prompt, and each model's answer beside the
others (siblings of one turn; ``meta = {"compare_id", "models"}``). Each answer is written like a normal reply
(:class:`~llmconsole.ui.persistence.ReplySaver`): the prompt before the first request goes out, the reply while
it streams, and finally how it ended. Continuing one answer continues that conversation (a ``chat`` from then
on, the chosen answer on its active path, the others still beside it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection
from textual.worker import WorkerState

from llmconsole.core.chat.conversation import Conversation, Message, new_id
from llmconsole.core.errors import LLMConsoleError, ProxyError, RateLimitError, StreamError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    TextDelta,
)
from llmconsole.ui.styles import COMPARE_CSS
from llmconsole.ui.widgets.footer import ConsoleFooter
from llmconsole.ui.widgets.formatting import describe_error, end_label, reply_cost, telemetry_line
from llmconsole.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import MessageStatus
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.persistence import HistoryAdapter, ReplySaver
    from llmconsole.ui.widgets.markdown_view import MarkdownView

MIN_MODELS = 2
_ARROWS = {"left": "←", "right": "→"}
MAX_MODELS = 4


@dataclass(frozen=True)
class CompareChoice:
    """The answer to continue: ``reply`` in ``conversation`` (the comparison; the other answers are its
    siblings)."""

    model_id: str
    conversation: Conversation
    reply: Message


@dataclass
class CompareRequest:
    """What every column of one comparison shares."""

    client: ProxyClient
    prompt: str
    system_prompt: str | None
    reasoning_effort: str | None
    clock: Callable[[], float]
    on_started: Callable[[ResponseStarted, ModelInfo], None] | None = None
    """Called with each column's :class:`ResponseStarted` (the app's quota gauge and key spend)."""


class CompareColumn(Vertical, can_focus=True):
    """One model's reply: a scrolling MarkdownView, an error line and the telemetry line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "continue",
            "Continue this",
            tooltip="Continue this answer as a conversation",
            show=False,
            id="compare-continue-this",
        ),
    ]

    @dataclass
    class Finished(TextualMessage):
        """The column's reply ended (however it ended: ``column.message.status``)."""

        column: CompareColumn

        @property
        def control(self) -> CompareColumn:
            return self.column

    @dataclass
    class ContinueRequested(TextualMessage):
        """Enter on the column: continue its answer."""

        column: CompareColumn

        @property
        def control(self) -> CompareColumn:
            return self.column

    def __init__(self, model: ModelInfo, index: int, conversation: Conversation, total: int = 0) -> None:
        super().__init__(classes="compare-column")
        self.model = model
        self.index = index
        self.total = total
        """How many columns there are (the title reads ``2/3 model``)."""
        self.conversation = conversation
        """The comparison (shared by every column): the prompt on its path, the answers beside each other."""
        self.message = Message(
            role="assistant", text="", model=model.id, status="streaming", parent_id=conversation.messages[-1].id
        )
        conversation.others.append(self.message)
        self.error: ProxyError | None = None
        self.saver: ReplySaver | None = None
        """Persists the prompt and this column's reply (None without history)."""
        self.border_title = f"{index}/{total} {model.id}" if total else f"{index} {model.id}"
        self.border_subtitle = "waiting…"
        from llmconsole.ui.widgets.markdown_view import MarkdownView  # rich's Markdown stack: on first use

        self._view: MarkdownView = MarkdownView("", streaming=True, classes="compare-text")
        self._error_line = Static("", markup=False, classes="compare-error")
        self._error_line.display = False
        self._telemetry = Static("", markup=False, classes="compare-telemetry")
        self._telemetry.display = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="compare-body"):
            yield self._view
        yield self._error_line
        yield self._telemetry

    def on_mount(self) -> None:
        self.query_one(".compare-body", VerticalScroll).anchor()

    @property
    def view(self) -> MarkdownView:
        return self._view

    @property
    def text(self) -> str:
        return self._view.text

    @property
    def telemetry(self) -> Static:
        return self._telemetry

    @property
    def error_line(self) -> Static:
        return self._error_line

    @property
    def streaming(self) -> bool:
        active = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == "compare" and w.state in active for w in self.workers if w.node is self)

    @property
    def finished(self) -> bool:
        return self.message.status not in (None, "streaming")

    def cancel(self) -> bool:
        running = self.streaming
        self.workers.cancel_group(self, "compare")
        return running

    def action_continue(self) -> None:
        self.post_message(self.ContinueRequested(self))

    @work(group="compare", exit_on_error=False)
    async def stream(self, request: CompareRequest) -> None:
        """Stream this column's reply; post :class:`Finished` at the end (cancelled included)."""
        message, clock, model = self.message, request.clock, self.model
        start = clock()
        parts: list[str] = []
        reasoning: list[str] = []
        header_cost: float | None = None
        status: MessageStatus = "error"
        error: ProxyError | None = None
        max_out: int | None = None
        self.border_subtitle = "streaming…"
        saver = self.saver
        try:
            if saver is not None:
                await saver.start()  # the prompt is stored before the request goes out
            stream = request.client.stream_response(
                model,
                self.conversation.to_request(),
                reasoning_effort=request.reasoning_effort,
                system_prompt=request.system_prompt,
            )
            async for event in stream:
                match event:
                    case TextDelta(text=delta) | RefusalDelta(text=delta):  # a refusal is the reply
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        parts.append(delta)
                        self._view.append(delta)
                        if saver is not None:
                            saver.append(delta)
                    case ReasoningDelta(text=delta):
                        if message.ttft_s is None:
                            message.ttft_s = clock() - start
                        reasoning.append(delta)
                        if saver is not None:
                            saver.append_reasoning(delta)
                    case ResponseStarted():
                        header_cost = event.cost
                        if request.on_started is not None:
                            request.on_started(event, model)
                    case Completed(usage=usage, refused=refused):
                        usage.cost = reply_cost(header_cost, usage, model)
                        status, message.usage = ("refused" if refused else "completed"), usage
                    case Incomplete(usage=usage, reason=reason):
                        usage.cost = reply_cost(header_cost, usage, model)
                        status, message.usage, message.end_reason = "truncated", usage, reason
                        max_out = event.output_tokens
                    case Failed(error=failure, usage=usage, interrupted=interrupted):
                        error, message.usage = failure, usage
                        if isinstance(failure, RateLimitError):
                            status = "rate_limited"
                        else:
                            status = "interrupted" if interrupted else "error"
        except asyncio.CancelledError:
            self._finish(parts, reasoning, "cancelled", None, None, clock() - start)
            raise
        except LLMConsoleError as exc:
            error = exc if isinstance(exc, ProxyError) else ProxyError(str(exc))
            status = "rate_limited" if isinstance(exc, RateLimitError) else "error"
        except Exception as exc:  # a bug must not leave the column "streaming": it ends as an error, logged
            self.log.error(f"compare worker failed: {exc!r}")
            error, status = StreamError(f"unexpected {type(exc).__name__}: {exc}"), "error"
        self._finish(parts, reasoning, status, error, max_out, clock() - start)

    def _finish(
        self,
        parts: list[str],
        reasoning: list[str],
        status: MessageStatus,
        error: ProxyError | None,
        max_out: int | None,
        duration: float,
    ) -> None:
        message = self.message
        message.text = "".join(parts)
        message.reasoning = "".join(reasoning)
        message.status = status
        message.duration_s = duration
        self.error = error
        if error is not None:
            message.error = describe_error(
                error,
                model=self.model,
                estimated_tokens=self.conversation.estimated_tokens(),
                mid_reply=status == "interrupted",
            )
            self._error_line.update(Content.styled(message.error, "$error"))
            self._error_line.display = True
        if self.saver is not None:
            self.saver.finish(status)
        self._view.finish()
        self.border_subtitle = end_label(status, max_output_tokens=max_out, reason=message.end_reason)
        self.set_class(status == "completed", "-completed")
        self.set_class(status == "cancelled", "-cancelled")
        self.set_class(status in ("error", "rate_limited", "interrupted"), "-failed")
        self._telemetry.update(
            telemetry_line(
                model_id=self.model.id,
                usage=message.usage,
                ttft_s=message.ttft_s,
                duration_s=message.duration_s,
                status=status,
                max_output_tokens=max_out,
                reason=message.end_reason,
            )
        )
        self._telemetry.display = True
        self.post_message(self.Finished(self))


class CompareScreen(Screen[CompareChoice | None]):
    """Pick 2–4 models and a prompt; the replies stream side by side.

    | Key | Action |
    | :- | :- |
    | space | Select or unselect the highlighted model. |
    | enter (in the prompt) | Send the prompt to the selected models. |
    | left / right, [ / ] | The previous / next answer (a narrow screen shows one or two at a time). |
    | 1–4, enter (on a column) | Continue that answer as a normal conversation. |
    | escape | Cancel every streaming reply; when none streams, close compare mode. |
    """

    CSS_PATH = COMPARE_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel / close", tooltip="Cancel all replies; again to close", id="compare-cancel"
        ),
        Binding(
            "1", "continue_with(1)", "Continue 1–4", tooltip="Continue an answer as a conversation", id="compare-1"
        ),
        Binding("2", "continue_with(2)", "Continue 2", show=False, id="compare-2"),
        Binding("3", "continue_with(3)", "Continue 3", show=False, id="compare-3"),
        Binding("4", "continue_with(4)", "Continue 4", show=False, id="compare-4"),
        Binding("right,]", "column(1)", "Next answer", tooltip="Move to the next answer (column)", id="compare-next"),
        Binding(
            "left,[",
            "column(-1)",
            "Previous answer",
            tooltip="Move to the previous answer (column)",
            show=False,
            id="compare-previous",
        ),
    ]

    def __init__(
        self,
        models: list[ModelInfo],
        request_factory: Callable[[str], CompareRequest],
        *,
        selected: list[str] | None = None,
        prompt: str = "",
        history: HistoryAdapter | None = None,
    ) -> None:
        super().__init__(id="compare")
        self.models = list(models)
        self.request_factory = request_factory
        self.preselected = list(selected or [])
        self.initial_prompt = prompt
        self.history = history
        self.compare_id: str | None = None
        self.prompt_text = ""

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="◆")
        with Vertical(id="compare-setup"):
            yield Static(
                "Compare: pick 2–4 models (space), type a prompt, Enter sends it to all of them.", id="compare-help"
            )
            with Horizontal(id="compare-form"):
                yield SelectionList[str](
                    *(Selection(m.id, m.id, m.id in self.preselected) for m in self.models), id="compare-models"
                )
                with Vertical(id="compare-prompt-box"):
                    yield Input(self.initial_prompt, placeholder="The prompt for every model…", id="compare-prompt")
                    yield Static("", id="compare-count")
        yield Static("", id="compare-prompt-line", markup=False)
        yield Static("", id="compare-nav")
        yield Horizontal(id="compare-columns")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = "llmconsole · compare"
        self.sub_title = f"{len(self.models)} models"
        self.query_one("#compare-prompt-line").display = False
        self.query_one("#compare-nav").display = False
        self.watch(self, "focused", self._update_nav, init=False)
        self._update_count()
        if len(self.preselected) >= 2:
            self.query_one("#compare-prompt", Input).focus()
        else:
            self.selection.focus()  # models to pick first (the current one is preselected)

    # -- widgets ------------------------------------------------------------------------------------

    @property
    def selection(self) -> SelectionList[str]:
        return self.query_one("#compare-models", SelectionList)

    @property
    def prompt_input(self) -> Input:
        return self.query_one("#compare-prompt", Input)

    @property
    def columns(self) -> list[CompareColumn]:
        return list(self.query(CompareColumn))

    @property
    def streaming(self) -> bool:
        return any(column.streaming for column in self.columns)

    # -- setup --------------------------------------------------------------------------------------

    @on(SelectionList.SelectedChanged, "#compare-models")
    def _update_count(self) -> None:
        count = len(self.selection.selected)
        ok = MIN_MODELS <= count <= MAX_MODELS
        text = f"{count} selected" + ("" if ok else f" (pick {MIN_MODELS}–{MAX_MODELS})")
        self.query_one("#compare-count", Static).update(Content.styled(text, "$text-muted" if ok else "$warning"))

    @on(Input.Submitted, "#compare-prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        self.start(event.value)

    def start(self, prompt: str, model_ids: list[str] | None = None) -> bool:
        """Send ``prompt`` to the selected models (or ``model_ids``). False, with a message, when it can't."""
        ids = list(model_ids) if model_ids is not None else list(self.selection.selected)
        if not prompt.strip():
            self.notify("Type a prompt first.", severity="warning")
            return False
        if not MIN_MODELS <= len(ids) <= MAX_MODELS:
            self.notify(f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare (got {len(ids)}).", severity="warning")
            return False
        if self.streaming:
            self.notify("A comparison is still streaming: Escape cancels it.", severity="warning")
            return False
        by_id = {m.id: m for m in self.models}
        models = [by_id[i] for i in ids if i in by_id]
        request = self.request_factory(prompt)
        self.prompt_text = prompt
        self.compare_id = new_id()
        setup = self.query_one("#compare-setup")
        setup.display = False
        line = self.query_one("#compare-prompt-line", Static)
        line.update(Content.assemble(("prompt: ", "$text-muted"), " ".join(prompt.split())))
        line.display = True
        holder = self.query_one("#compare-columns", Horizontal)
        holder.remove_children()
        columns = []
        meta: dict[str, Any] = {"compare_id": self.compare_id, "models": [m.id for m in models]}
        conversation = Conversation(system_prompt=request.system_prompt, model=models[0].id if models else None)
        conversation.add_user(prompt)  # one conversation: each model's answer a sibling of the others
        for index, model in enumerate(models, start=1):
            column = CompareColumn(model, index, conversation, total=len(models))
            if self.history is not None:
                column.saver = self.history.reply_saver(conversation, column.message, kind="compare", meta=meta)
            columns.append(column)
        holder.mount_all(columns)
        self.sub_title = " · ".join(m.id for m in models)
        for column in columns:
            column.stream(request)
        columns[0].focus()
        self.query_one("#compare-nav").display = True
        self._update_nav()
        return True

    # -- results ------------------------------------------------------------------------------------

    @property
    def current_column(self) -> CompareColumn | None:
        """The column that has focus (or holds it), if any."""
        node = self.focused
        while node is not None and not isinstance(node, CompareColumn):
            node = node.parent if isinstance(node.parent, Widget) else None
        return node

    def action_column(self, step: int) -> None:
        """Focus the next (``step`` 1) or previous (-1) column; it scrolls into view."""
        columns = self.columns
        current = self.current_column
        index = columns.index(current) if current in columns else 0
        target = columns[max(0, min(len(columns) - 1, index + step))]
        target.focus()
        self.query_one("#compare-columns", Horizontal).scroll_to_widget(target, animate=False)

    def _update_nav(self) -> None:
        """Where you are and the keys from here: ``2/3 · ← → or [ ] move · …`` (wraps, never cut)."""
        columns = self.columns
        if not columns:
            return
        current = self.current_column or columns[0]
        pairs = zip(self._keys("compare-previous"), self._keys("compare-next"), strict=False)
        move = " or ".join(f"{back} {forward}" for back, forward in pairs)
        done = current.finished
        parts: list[str | tuple[str, str]] = [
            (f"{current.index}/{len(columns)}", "bold"),  # (the model is in the column's title)
            f" · {move} move",
            f" · enter or 1–{len(columns)} continues" if done else "",
            " · esc cancels all" if self.streaming else " · esc closes",
        ]
        self.query_one("#compare-nav", Static).update(Content.assemble(*parts))

    def _keys(self, binding_id: str) -> list[str]:
        """The keys of one of this screen's bindings as they are now (``[keys]`` applied), arrows drawn."""
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == binding_id)
        current = getattr(self.app, "current_binding", None)
        if callable(current):
            binding = current(binding)
        return [_ARROWS.get(key.strip(), key.strip()) for key in binding.key.split(",")]

    @on(CompareColumn.Finished)
    def _column_finished(self, event: CompareColumn.Finished) -> None:
        self._update_nav()
        if not self.streaming and all(c.finished for c in self.columns):
            last = len(self.columns)
            self.notify(f"Comparison done: 1–{last} (or Enter on a column) continues an answer; Escape closes.")

    @on(CompareColumn.ContinueRequested)
    def _continue_requested(self, event: CompareColumn.ContinueRequested) -> None:
        self.action_continue_with(event.column.index)

    def action_continue_with(self, index: int) -> None:
        """Continue column ``index``'s answer as a normal conversation (closes compare mode)."""
        column = next((c for c in self.columns if c.index == index), None)
        if column is None:
            return
        if not column.finished:
            self.notify(f"{column.model.id} is still answering.", severity="warning")
            return
        if not column.message.text:
            self.notify(f"{column.model.id} gave no answer to continue.", severity="warning")
            return
        for other in self.columns:
            other.cancel()
        self.dismiss(CompareChoice(model_id=column.model.id, conversation=column.conversation, reply=column.message))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("continue_with", "column"):
            return bool(self.columns) and not isinstance(self.focused, Input)
        return True

    def action_cancel(self) -> None:
        """Cancel every streaming column; with none streaming, close compare mode."""
        running = [column for column in self.columns if column.cancel()]
        if running:
            self.notify(f"Cancelled {len(running)} of {len(self.columns)} replies.")
            return
        self.dismiss(None)

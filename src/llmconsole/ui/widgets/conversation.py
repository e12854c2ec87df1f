"""The conversation pane: user messages, streamed assistant replies and the worker that feeds them.

A reply is an :class:`AssistantReply`: a collapsible reasoning summary, a ``MarkdownView`` (the line-cache
renderer: it decides how often to render, so the worker hands it every delta) and a telemetry line.
The session's reply run (``llmconsole.core.chat.session.ReplyRun``) is consumed by
:meth:`ConversationPane.stream_reply`, an async worker in the ``response`` group; cancelling it (Escape)
raises ``CancelledError`` inside the client's generator, which closes the HTTP response, and the partial
text stays, marked cancelled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import Collapsible, Static
from textual.worker import WorkerState

from llmconsole.ui.messages import ReplyFinished, ReplyStarted
from llmconsole.ui.widgets.fitted import FittedLine
from llmconsole.ui.widgets.formatting import images_line, telemetry_line

if TYPE_CHECKING:
    from textual.geometry import Size

    from llmconsole.core.chat.conversation import Message, MessageStatus, ToolExchange
    from llmconsole.core.chat.reply_run import ReplyEnded, ReplyRun
    from llmconsole.core.chat.session import ChatSession
    from llmconsole.core.events import Usage
    from llmconsole.ui.widgets.markdown_view import MarkdownView

REASONING_REFRESH_S = 0.1
"""The reasoning summary is re-rendered at most this often while it streams."""


def _markdown_view(text: str, *, streaming: bool) -> MarkdownView:
    from llmconsole.ui.widgets.markdown_view import MarkdownView  # rich's Markdown stack: loaded on first use

    return MarkdownView(text, streaming=streaming)


class UserMessage(Static):
    """What the user sent, shown literally (no markup)."""

    def __init__(self, message: Message) -> None:
        text = Content(message.text)
        if message.attachments:
            text = Content.assemble(text, "\n", (images_line(message.attachments), "$text-muted"))
        super().__init__(text, markup=False, classes="user-message")
        self._text = text
        self.message = message
        self.border_title = "you"
        self.position: tuple[int, int] = (1, 1)
        """``(index, count)`` among the prompts beside it (edits): shown as ``‹2/3›`` when count > 1."""

    def set_position(self, position: tuple[int, int]) -> None:
        """Show ``‹i/n›`` before the text when the prompt has siblings (edited versions)."""
        if position == self.position:
            return
        self.position = position
        index, count = position
        self.set_class(count > 1, "-branched")
        if count > 1:
            self.update(Content.assemble((f"‹{index}/{count}› ", "bold $accent"), self._text))
        else:
            self.update(self._text)

    def mark_unsent(self) -> None:
        """The prompt never got a reply and left the conversation (it was sent again or replaced)."""
        self.add_class("-unsent")
        self.border_subtitle = "not sent"


class AssistantReply(Vertical):
    """One assistant reply: reasoning (collapsible), the Markdown body, an error line and telemetry."""

    def __init__(self, message: Message, *, streaming: bool = True) -> None:
        super().__init__(classes="assistant-reply")
        self.message = message
        self._streaming = streaming
        self._reasoning_parts: list[str] = [message.reasoning] if message.reasoning else []
        self._reasoning_timer: Timer | None = None
        self.border_title = message.model or "assistant"
        # Children exist from the start so that a reply finishing before it is mounted still shows its end.
        self._body = _markdown_view(message.text, streaming=streaming)
        # A reply without reasoning (most of a long history, and most streaming replies) skips the
        # Collapsible's widgets: a streaming reply mounts it with its first reasoning delta (after the
        # reply is mounted), which keeps mounting a new reply (the first frame after Enter) cheap.
        self._reasoning_text: Static | None = None
        self._collapsible: Collapsible | None = None
        if self._reasoning_parts:
            self._make_collapsible()
        self.max_output_tokens: int | None = None
        """As given to :meth:`show_end`: the output tokens a truncated reply stopped at (kept when the pane
        unmounts and remounts the reply)."""
        self._error_line = Static("", markup=False, classes="reply-error")
        self._error_line.display = False
        self._telemetry = FittedLine(classes="telemetry")
        self._telemetry.display = False
        self._branch = Static("", markup=False, classes="branch-position")
        self._branch.display = False
        self.position: tuple[int, int] = (1, 1)
        """``(index, count)`` among the replies beside it (regenerated): ``‹2/3›`` when count > 1."""

    def set_position(self, position: tuple[int, int]) -> None:
        """Show ``‹i/n›`` above the reply when it has siblings (other answers to the same prompt)."""
        if position == self.position:
            return
        self.position = position
        index, count = position
        self._branch.display = count > 1
        self._branch.update(Content.styled(f"‹{index}/{count}› answers to this prompt", "bold $accent"))

    def _make_collapsible(self) -> Collapsible:
        self._reasoning_text = Static(Content("".join(self._reasoning_parts)), markup=False, classes="reasoning-text")
        self._collapsible = Collapsible(self._reasoning_text, title="Reasoning", collapsed=True, classes="reasoning")
        self._collapsible.display = bool(self._reasoning_parts)
        return self._collapsible

    def compose(self) -> ComposeResult:
        yield self._branch
        if self._collapsible is not None:
            yield self._collapsible
        yield self._body
        yield self._error_line
        yield self._telemetry

    def on_mount(self) -> None:
        if not self._streaming:
            self.show_end(self.message, max_output_tokens=self.max_output_tokens)

    @property
    def body(self) -> MarkdownView:
        """The MarkdownView of the reply."""
        return self._body

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def code_blocks(self) -> list[str]:
        return self.body.code_blocks

    @property
    def telemetry(self) -> FittedLine:
        return self._telemetry

    @property
    def error_line(self) -> Static:
        return self._error_line

    def append(self, delta: str) -> None:
        self._body.append(delta)

    def append_reasoning(self, delta: str) -> None:
        """Add to the reasoning summary; re-rendered at a bounded rate."""
        self._reasoning_parts.append(delta)
        if self._reasoning_timer is None:
            self._reasoning_timer = self.set_timer(REASONING_REFRESH_S, self._flush_reasoning)

    def _flush_reasoning(self) -> None:
        self._reasoning_timer = None
        if self._collapsible is None:
            self.mount(self._make_collapsible(), before=self._body)
        assert self._collapsible is not None and self._reasoning_text is not None
        self._collapsible.display = True
        self._reasoning_text.update(Content("".join(self._reasoning_parts)))

    def show_end(self, message: Message, *, max_output_tokens: int | None = None) -> None:
        """Finish rendering and show the telemetry line (and the error line, if any)."""
        if self._reasoning_timer is not None:
            self._reasoning_timer.stop()
        if self._reasoning_parts:
            self._flush_reasoning()
        self._body.finish()
        self.max_output_tokens = max_output_tokens
        self.set_class(message.status == "cancelled", "-cancelled")
        self.set_class(message.status in ("refused", "truncated"), "-caveat")
        self.set_class(message.status in ("error", "rate_limited", "interrupted"), "-failed")
        if message.error:
            self.error_line.update(Content.styled(message.error, "$error"))
            self.error_line.display = True
        telemetry = self.telemetry
        telemetry.set_builder(
            partial(
                _telemetry_for,
                message.model or "?",
                message.usage,
                message.ttft_s,
                message.duration_s,
                message.status,
                max_output_tokens,
                message.end_reason,
            )
        )
        telemetry.display = True


def _tool_block(kind: str, exchange: ToolExchange, *, expanded: bool, live: bool) -> Widget:
    from llmconsole.ui.widgets.tool_block import ToolCallBlock, ToolResultBlock  # only conversations with tools

    return (ToolCallBlock if kind == "call" else ToolResultBlock)(exchange, expanded=expanded, live=live)


def _telemetry_for(
    model_id: str,
    usage: Usage | None,
    ttft_s: float | None,
    duration_s: float | None,
    status: MessageStatus | None,
    max_output_tokens: int | None,
    reason: str | None,
    width: int | None,
) -> Content:
    return telemetry_line(
        model_id=model_id,
        usage=usage,
        ttft_s=ttft_s,
        duration_s=duration_s,
        status=status,
        max_output_tokens=max_output_tokens,
        reason=reason,
        width=width,
    )


class NoticeLine(Static):
    """A one-line notice in the conversation (an error outside a reply, a model switch)."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__(Content(text), markup=False, classes="notice -error" if error else "notice")


@dataclass
class ReplyRequest:
    """One streamed reply: the session's run and the widget it fills."""

    run: ReplyRun
    reply: AssistantReply
    session: ChatSession | None = None
    """The session: when the reply asks for tool calls, its round runs in the same worker (Escape ends it)."""


@dataclass(eq=False)
class _Entry:
    """One item of the transcript, mounted or not (the pane keeps them all, mounts a window)."""

    kind: Literal["user", "reply", "notice", "call", "result"]
    message: Message | None = None
    """The message shown (for a tool call or its result: the reply that made the call)."""
    text: str = ""
    error: bool = False
    unsent: bool = False
    max_out: int | None = None
    widget: Widget | None = None
    tool: ToolExchange | None = None
    """The call shown (``call`` and ``result`` entries)."""
    expanded: bool = False
    """A tool block was expanded (kept while it is not mounted)."""
    live: bool = False
    """A call of the turn running now (a stored one still ``pending`` was never answered)."""

    def same_item(self, other: _Entry) -> bool:
        """Both entries show the same thing (the same message, or the same part of the same call)."""
        return self.kind == other.kind and self.message is other.message and self.tool is other.tool


def message_entries(messages: list[Message], unsent: set[str] | frozenset[str] = frozenset()) -> list[_Entry]:
    """The transcript of ``messages``: each prompt and reply, and after a reply each of its tool calls as two
    entries (the call, then its result)."""
    entries: list[_Entry] = []
    for message in messages:
        if message.role == "user":
            entries.append(_Entry("user", message, unsent=message.id in unsent))
            continue
        entries.append(_Entry("reply", message))
        for call in message.tool_calls:
            entries += [_Entry("call", message, tool=call), _Entry("result", message, tool=call)]
    return entries


class EarlierMessages(Static):
    """At the top of the pane: how many earlier messages are not mounted. Scrolling near it (or a click)
    mounts the next batch."""

    def __init__(self) -> None:
        super().__init__("", markup=False, classes="earlier-messages")

    def set_count(self, count: int) -> None:
        plural = "s" if count != 1 else ""
        self.update(f"▲ {count} earlier message{plural} (scroll up or click to load)")

    async def on_click(self) -> None:
        pane = self.parent
        if isinstance(pane, ConversationPane):
            await pane.load_earlier()


MOUNT_TAIL = 30
"""Messages mounted when a conversation opens (the rest on demand, from the end backwards)."""
LOAD_BATCH = 20
"""Earlier messages mounted at once when the user scrolls near the top."""
MAX_MOUNTED = 80
"""Above this many mounted items, the oldest are unmounted while the pane follows the bottom."""
FOCUS_LIMIT = 150
"""Opening at a message mounts from it to the end only if that is at most this many items."""


class ConversationPane(VerticalScroll):
    """The scrolling transcript. Follows the bottom unless the user scrolls up (``anchor``).

    Mounting is bounded: the pane keeps every item (:class:`_Entry`) but mounts only a window that ends at the
    last one. Earlier items are mounted in batches when the user scrolls near the top (the
    :class:`EarlierMessages` line stands for them), with the scroll position kept on what the user was
    looking at; while the pane follows the bottom, items far above are unmounted again. Scroll anchoring
    also keeps the view still when a message above it corrects its (estimated) height.
    """

    DEFAULT_CSS = """
    ConversationPane > .earlier-messages {
        height: 1;
        margin: 1 0 0 0;
        color: $text-muted;
        text-align: center;
    }
    ConversationPane > .-selected {
        background: $accent 20%;
        border-left: thick $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Previous message", show=False, id="message-previous"),
        Binding("down,j", "cursor(1)", "Next message", show=False, id="message-next"),
        Binding("home", "cursor_to(0)", "First message", show=False, id="message-first"),
        Binding("end", "cursor_to(-1)", "Last message", show=False, id="message-last"),
        Binding(
            "e,enter",
            "screen.edit_message",
            "Edit",
            tooltip="Edit the selected prompt: sending makes a branch",
            id="edit-message",
        ),
        Binding(
            "r",
            "screen.regenerate",
            "Regenerate",
            tooltip="A new answer beside the selected one (same model)",
            id="regenerate",
        ),
        Binding(
            "m",
            "screen.regenerate_with",
            "Regenerate with…",
            tooltip="A new answer beside the selected one, by a model you pick",
            id="regenerate-with",
        ),
        Binding(
            "left,[",
            "screen.sibling(-1)",
            "‹ Branch",
            tooltip="Show the previous version of the selected message",
            id="branch-previous",
        ),
        Binding(
            "right,]",
            "screen.sibling(1)",
            "Branch ›",
            tooltip="Show the next version of the selected message",
            id="branch-next",
        ),
        Binding("c", "screen.copy_message", "Copy", tooltip="Copy the selected message", id="copy-message"),
        Binding(
            "space,o",
            "toggle_tool",
            "Expand",
            tooltip="Expand or fold the selected tool call or result",
            id="toggle-tool-block",
        ),
        Binding("escape,i", "screen.leave_messages", "Prompt", tooltip="Back to the prompt", id="leave-messages"),
    ]
    """Keys while a message is selected (ctrl+up from the prompt selects the last one).

    | Key | Action |
    | :- | :- |
    | up / down (k / j), home / end | Select the previous / next / first / last message. |
    | e, enter | Edit the selected prompt: it goes into the prompt; sending makes a sibling branch. |
    | r | Regenerate the selected reply (or the reply to the selected prompt) with the current model. |
    | m | Regenerate with a model you pick. |
    | left / right ([ / ]) | Switch to the previous / next sibling (‹2/3›). |
    | c | Copy the selected message. |
    | space, o | Expand or fold the selected tool call or result (a click does it too). |
    | escape, i | Back to the prompt. |
    """

    can_focus = True

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(id=id)
        self._mounting: dict[AssistantReply, AwaitMount] = {}
        self._entries: list[_Entry] = []
        self._first = 0
        """Index of the first mounted entry."""
        self._sentinel: EarlierMessages | None = None
        self._loading = False
        self._trim_pending = False
        self._scroll_anchor: tuple[Widget, int] | None = None
        self.cursor: int | None = None
        """Index (in the transcript) of the selected message; None when none is selected."""
        self.positions: dict[str, tuple[int, int]] = {}
        """Message id -> ``(index, count)`` among its siblings (set by the screen from the tree)."""

    def on_mount(self) -> None:
        self.anchor()

    # -- the transcript -------------------------------------------------------------------------------

    @property
    def message_count(self) -> int:
        """Items in the transcript (mounted or not)."""
        return len(self._entries)

    @property
    def hidden_count(self) -> int:
        """Earlier items not mounted."""
        return self._first

    @property
    def mounted_widgets(self) -> list[Widget]:
        """The mounted message widgets (user messages, replies, notices), oldest first."""
        return [e.widget for e in self._entries[self._first :] if e.widget is not None]

    def clear(self) -> None:
        """Remove every message (new conversation)."""
        self.workers.cancel_group(self, "response")
        self._reset()
        self.remove_children()

    def _reset(self) -> None:
        self.cursor = None
        self._entries = []
        self._first = 0
        self._sentinel = None
        self._scroll_anchor = None

    def _append(self, entry: _Entry, widget: Widget) -> AwaitMount:
        entry.widget = widget
        self._entries.append(entry)
        mounting = self.mount(widget)
        self._schedule_trim()
        return mounting

    def add_user(self, message: Message) -> UserMessage:
        widget = UserMessage(message)
        self._place(widget, message)
        self._append(_Entry("user", message), widget)
        return widget

    def add_reply(self, message: Message, *, streaming: bool = True) -> AssistantReply:
        reply = AssistantReply(message, streaming=streaming)
        self._place(reply, message)
        self._mounting[reply] = self._append(_Entry("reply", message), reply)
        return reply

    def _place(self, widget: UserMessage | AssistantReply, message: Message) -> None:
        position = self.positions.get(message.id)
        if position is not None:
            widget.set_position(position)

    def set_positions(self, positions: dict[str, tuple[int, int]]) -> None:
        """Sibling positions of the shown messages (``‹2/3›``), applied to the mounted widgets."""
        self.positions = positions
        for entry in self._entries[self._first :]:
            widget = entry.widget
            if isinstance(widget, (UserMessage, AssistantReply)) and entry.message is not None:
                widget.set_position(positions.get(entry.message.id, (1, 1)))

    # -- the message cursor -----------------------------------------------------------------------------

    @property
    def selected_message(self) -> Message | None:
        if self.cursor is None or not 0 <= self.cursor < len(self._entries):
            return None
        return self._entries[self.cursor].message

    def _selectable(self) -> list[int]:
        return [i for i, e in enumerate(self._entries) if e.message is not None]

    async def select(self, index: int | None) -> Message | None:
        """Select transcript item ``index`` (mounting earlier items as needed) and scroll to it."""
        old = (
            self._entries[self.cursor].widget if self.cursor is not None and self.cursor < len(self._entries) else None
        )
        if old is not None:
            old.remove_class("-selected")
        self.cursor = index
        self.refresh_bindings()
        if index is None:
            return None
        widget = await self._mount_entry(index)
        if widget is not None:
            widget.add_class("-selected")
            self.anchor(False)
            self.scroll_to_widget(widget, top=True, animate=False, immediate=True)  # its start in view
        return self._entries[index].message

    async def _mount_entry(self, index: int) -> Widget | None:
        """Item ``index``'s widget, mounting the earlier items down to it first when it is far back."""
        while index < self._first and self._sentinel is not None:
            if not await self.load_earlier():
                break
        return self._entries[index].widget

    def _index_of(self, message_id: str | None) -> int | None:
        """The transcript index of message ``message_id`` (its own entry, not one of its tool calls)."""
        if message_id is None:
            return None
        return next(
            (
                i
                for i, e in enumerate(self._entries)
                if e.message is not None and e.tool is None and e.message.id == message_id
            ),
            None,
        )

    async def select_message(self, message_id: str) -> Message | None:
        return await self.select(self._index_of(message_id))

    @property
    def shown_messages(self) -> list[Message]:
        """The prompts and replies of the transcript, mounted or not, in order (what a search looks through)."""
        return [e.message for e in self._entries if e.message is not None and e.tool is None]

    async def reveal(self, message_id: str, fraction: float = 0.0) -> Widget | None:
        """Mount message ``message_id`` if it is far back, and scroll so that the point ``fraction`` of the way
        into it is near the top (a search hit); the selection is left alone. Its widget, or None."""
        index = self._index_of(message_id)
        if index is None:
            return None
        widget = await self._mount_entry(index)
        if widget is None or not widget.is_attached:
            return None
        self.anchor(False)
        self.scroll_to_widget(widget, top=True, animate=False, immediate=True)
        inside = int(widget.outer_size.height * min(max(fraction, 0.0), 1.0))
        if inside > 2:
            self.scroll_to(y=widget.virtual_region.y + inside - 2, animate=False, immediate=True)
        return widget

    async def action_cursor(self, step: int) -> None:
        selectable = self._selectable()
        if not selectable:
            return
        if self.cursor is None or self.cursor not in selectable:
            await self.select(selectable[-1])
            return
        at = selectable.index(self.cursor) + step
        await self.select(selectable[max(0, min(len(selectable) - 1, at))])

    async def action_cursor_to(self, where: int) -> None:
        selectable = self._selectable()
        if selectable:
            await self.select(selectable[where])

    def add_notice(self, text: str, *, error: bool = False) -> NoticeLine:
        notice = NoticeLine(text, error=error)
        self._append(_Entry("notice", text=text, error=error), notice)
        return notice

    def _widget_for(self, entry: _Entry) -> Widget:
        widget: Widget
        if entry.kind == "user":
            assert entry.message is not None
            user = UserMessage(entry.message)
            if entry.unsent:
                user.mark_unsent()
            self._place(user, entry.message)
            widget = user
        elif entry.kind == "reply":
            assert entry.message is not None
            reply = AssistantReply(entry.message, streaming=False)
            reply.max_output_tokens = entry.max_out
            self._place(reply, entry.message)
            widget = reply
        elif entry.kind in ("call", "result"):
            assert entry.tool is not None
            widget = _tool_block(entry.kind, entry.tool, expanded=entry.expanded, live=entry.live)
        else:
            widget = NoticeLine(entry.text, error=entry.error)
        entry.widget = widget
        return widget

    # -- tool calls -------------------------------------------------------------------------------------

    def add_tool_call(self, message: Message, exchange: ToolExchange) -> tuple[Widget, Widget]:
        """Show a call ``message`` made, and its result (waiting until :meth:`update_tool`)."""
        blocks: list[Widget] = []
        for kind in ("call", "result"):
            entry = _Entry(kind, message, tool=exchange, live=True)
            blocks.append(self._widget_for(entry))
            self._append(entry, blocks[-1])
        return blocks[0], blocks[1]

    def update_tool(self, exchange: ToolExchange) -> None:
        """Redraw the mounted blocks of ``exchange`` (its result arrived, or it was declined or cancelled)."""
        from llmconsole.ui.widgets.tool_block import FoldedBlock

        for entry in self._entries[self._first :]:
            if entry.tool is exchange and isinstance(entry.widget, FoldedBlock):
                entry.widget.show(exchange)

    def _selected_tool(self) -> Widget | None:
        """The selected tool block (None when the selection is a message, or nothing is selected)."""
        if self.cursor is None or not 0 <= self.cursor < len(self._entries):
            return None
        entry = self._entries[self.cursor]
        return entry.widget if entry.tool is not None else None

    def selected_tool_text(self) -> str | None:
        """The whole text of the selected tool block (the arguments, or the result), None for a message."""
        from llmconsole.ui.widgets.tool_block import FoldedBlock

        widget = self._selected_tool()
        return widget.body if isinstance(widget, FoldedBlock) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_tool":  # (in the footer only while a tool block is selected)
            return self._selected_tool() is not None
        return True

    def action_toggle_tool(self) -> None:
        """Expand or fold the selected tool call or result."""
        from llmconsole.ui.widgets.tool_block import FoldedBlock

        widget = self._selected_tool()
        if isinstance(widget, FoldedBlock):
            widget.toggle()

    async def show_messages(
        self, messages: list[Message], *, unsent: set[str] | frozenset[str] = frozenset(), focus: str | None = None
    ) -> Widget | None:
        """Replace the transcript with finished ``messages`` (a conversation from the history): the last
        ``MOUNT_TAIL`` are mounted, the view at the end, or at message ``focus`` (returned if it could be)."""
        self.workers.cancel_group(self, "response")
        self._reset()
        await self.remove_children()
        self._entries = message_entries(messages, unsent)
        count = len(self._entries)
        first = max(0, count - MOUNT_TAIL)
        index = self._index_of(focus)
        if index is not None and index < first and count - index <= FOCUS_LIMIT:
            first = index
        self._first = first
        widgets = [self._widget_for(entry) for entry in self._entries[first:]]
        if first:
            self._sentinel = EarlierMessages()
            self._sentinel.set_count(first)
            widgets.insert(0, self._sentinel)
        await self.mount_all(widgets)
        target = self._entries[index].widget if index is not None and index >= first else None
        if target is None:
            self.anchor()
            return None
        self.anchor(False)
        self.call_after_refresh(self._scroll_to_focus, target)
        return target

    async def show_path(self, messages: list[Message], *, focus: str | None = None) -> None:
        """Show ``messages`` (another branch of the same conversation): the items it shares with the start of
        the transcript stay mounted, only the rest is replaced (a switch near the end touches a few widgets)."""
        entries = self._entries
        wanted = message_entries(messages)
        common = 0
        for entry, new in zip(entries, wanted, strict=False):
            if not entry.same_item(new):
                break
            common += 1
        if common == 0 or common < self._first:
            await self.show_messages(messages, focus=focus)
            return
        self.workers.cancel_group(self, "response")
        if self.cursor is not None and self.cursor >= common:
            self.cursor = None
        victims = [e.widget for e in entries[common:] if e.widget is not None]
        del entries[common:]
        if victims:
            await self.remove_children(victims)
        widgets: list[Widget] = []
        for entry in wanted[common:]:
            entries.append(entry)
            widgets.append(self._widget_for(entry))
        if widgets:
            await self.mount_all(widgets)
        target = next((e.widget for e in entries if e.message is not None and e.message.id == focus), None)
        if target is None:
            self.anchor()
        else:
            self.anchor(False)
            self.call_after_refresh(self._scroll_to_focus, target)
        self._schedule_trim()

    def _scroll_to_focus(self, target: Widget) -> None:
        if target.is_attached:
            self.scroll_to_widget(target, top=True, animate=False, immediate=True)
            self._capture_anchor()

    async def load_earlier(self, count: int = LOAD_BATCH) -> int:
        """Mount up to ``count`` earlier items above the mounted ones, keeping the view where it is."""
        if self._first == 0 or self._sentinel is None or self._loading:
            return 0
        self._loading = True
        try:
            start = max(0, self._first - count)
            widgets = [self._widget_for(entry) for entry in self._entries[start : self._first]]
            if self._scroll_anchor is None and not self._following():
                self._capture_anchor()
            self._first = start
            await self.mount_all(widgets, after=self._sentinel)
            if start == 0:
                sentinel, self._sentinel = self._sentinel, None
                await sentinel.remove()
            else:
                self._sentinel.set_count(start)
            return len(widgets)
        finally:
            self._loading = False

    def _schedule_trim(self) -> None:
        if not self._trim_pending and len(self._entries) - self._first > MAX_MOUNTED:
            self._trim_pending = True
            self.call_after_refresh(self._trim)

    def _trim(self) -> None:
        """Unmount the oldest items (not a streaming reply) while the pane follows the bottom."""
        self._trim_pending = False
        mounted = len(self._entries) - self._first
        if mounted <= MAX_MOUNTED or not self._following() or self._loading:
            return
        drop = mounted - (MAX_MOUNTED - LOAD_BATCH)
        victims: list[Widget] = []
        for entry in self._entries[self._first : self._first + drop]:
            widget = entry.widget
            if isinstance(widget, AssistantReply) and (widget.body.streaming or widget in self._mounting):
                break
            if isinstance(widget, UserMessage):
                entry.unsent = widget.has_class("-unsent")
            elif isinstance(widget, AssistantReply):
                entry.max_out = widget.max_output_tokens
            elif entry.tool is not None:
                entry.expanded = bool(getattr(widget, "expanded", False))
            if widget is not None:
                victims.append(widget)
            entry.widget = None
            self._first += 1
        if not victims:
            return
        if self._sentinel is None:
            self._sentinel = EarlierMessages()
            self.mount(self._sentinel, before=0)
        self._sentinel.set_count(self._first)
        self.remove_children(victims)

    # -- scrolling --------------------------------------------------------------------------------------

    def _following(self) -> bool:
        """The pane sticks to the bottom (anchored and not scrolled away by the user)."""
        return self.is_anchored and not getattr(self, "_anchor_released", False)

    def _load_margin(self) -> int:
        return max(self.size.height, 4)

    def _capture_anchor(self) -> None:
        """Remember the first item on screen and its offset from the top of the view."""
        top = round(self.scroll_y)
        for entry in self._entries[self._first :]:
            widget = entry.widget
            if widget is None or not widget.is_attached:
                continue
            region = widget.virtual_region_with_margin
            if region.bottom > top:
                self._scroll_anchor = (widget, region.y - top)
                return
        self._scroll_anchor = None

    def _restore_anchor(self) -> None:
        anchor = self._scroll_anchor
        if anchor is None or self._following():
            return
        widget, offset = anchor
        if not widget.is_attached:
            self._scroll_anchor = None
            return
        y = widget.virtual_region_with_margin.y - offset
        if y != round(self.scroll_y) and 0 <= y <= self.max_scroll_y:
            self.scroll_target_y = self.scroll_y = y

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Called after each layout pass that changed the pane's (virtual) size: keep the view still.
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if changed:
            self._restore_anchor()
            self._check_load()
        return changed

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) == round(new_value):
            return
        if not self._following():
            self._capture_anchor()
        self._check_load()
        if new_value >= self.max_scroll_y:
            self._schedule_trim()

    def _check_load(self) -> None:
        if self._first and not self._loading and self._sentinel is not None and self.scroll_y <= self._load_margin():
            self._loading = True  # one batch at a time; load_earlier clears it
            self.call_later(self._load_next)

    async def _load_next(self) -> None:
        self._loading = False
        await self.load_earlier()

    @property
    def replies(self) -> list[AssistantReply]:
        return list(self.query_children(AssistantReply))

    @property
    def streaming(self) -> bool:
        active = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == "response" and w.state in active for w in self.workers if w.node is self)

    def cancel_reply(self) -> bool:
        """Cancel the streaming reply, if any. Returns whether one was running."""
        running = self.streaming
        self.workers.cancel_group(self, "response")
        return running

    @work(exclusive=True, group="response", exit_on_error=False)
    async def stream_reply(self, request: ReplyRequest) -> None:
        """Feed the session's reply run into the reply widget; post :class:`ReplyFinished` at the end. A reply
        that asked for tool calls then has them answered here (:meth:`_answer_tools`)."""
        from llmconsole.core.chat.reply_run import (
            ReasoningReceived,
            ReplyAccepted,
            ReplyEnded,
            TextReceived,
            ToolCallReceived,
            ToolsRefused,
        )

        run, reply = request.run, request.reply
        try:
            mounting = self._mounting.pop(reply, None)
            if mounting is not None:
                await mounting  # the reply's widgets exist before the first delta
            async for event in run.events():
                match event:
                    case TextReceived(text=delta):
                        reply.append(delta)
                    case ReasoningReceived(text=delta):
                        reply.append_reasoning(delta)
                    case ToolCallReceived(exchange=exchange):
                        self.add_tool_call(run.message, exchange)
                    case ToolsRefused():
                        self.add_notice(event.describe())
                    case ReplyAccepted(event=started, model=model):
                        self.post_message(ReplyStarted(started, model))
                    case ReplyEnded():
                        self._show_end(reply, event)
        except asyncio.CancelledError:
            self._show_end(reply, run.cancel())
            raise
        except Exception as exc:  # a bug must not leave the reply "streaming": it ends as an error, logged
            self.log.error(f"reply worker failed: {exc!r}")
            if run.end is None:
                self._show_end(reply, run.fail(exc))
            return
        session = request.session
        if session is not None and run.end is not None and session.wants_tools(run.end):
            await self._answer_tools(session, run)

    async def _answer_tools(self, session: ChatSession, run: ReplyRun) -> None:
        """Run the round of ``run``'s calls (each approved in the dialog), showing each call's outcome; then
        :class:`ToolRoundEnded` says whether the next reply goes (it carries the results)."""
        from llmconsole.core.chat.tool_round import TurnCancelled
        from llmconsole.core.tools.events import ToolCallFinished, ToolCallRunning, ToolRoundsExhausted
        from llmconsole.ui.widgets.tool_block import ToolResultBlock

        calls = {exchange.call_id: exchange for exchange in run.message.tool_calls}
        self.post_message(self.ToolRoundStarted())
        go_on = True
        try:
            async for event in session.run_tools(run):
                match event:
                    case ToolCallRunning(call=call):
                        for block in self.query(ToolResultBlock):
                            if block.exchange is calls.get(call.call_id):
                                block.set_running()
                    case ToolCallFinished(call=call):
                        exchange = calls.get(call.call_id)
                        if exchange is not None:
                            self.update_tool(exchange)
                    case ToolRoundsExhausted():
                        go_on = False
                        self.add_notice(event.describe(), error=True)
        except TurnCancelled:
            go_on = False
            self.add_notice("Turn cancelled: the calls left did not run, nothing more was sent.")
        except asyncio.CancelledError:
            for exchange in calls.values():
                self.update_tool(exchange)
            self.post_message(self.ToolRoundEnded(run, go_on=False))
            raise
        for exchange in calls.values():
            self.update_tool(exchange)
        self.post_message(self.ToolRoundEnded(run, go_on=go_on))

    @dataclass
    class ToolRoundStarted(TextualMessage):
        """The calls of a reply are being answered (approval, then the tools)."""

    @dataclass
    class ToolRoundEnded(TextualMessage):
        """A round ended: ``go_on`` when the next reply should be sent with the results (not when the user
        cancelled the turn, the round limit was reached, or Escape ended it)."""

        run: ReplyRun
        go_on: bool

    def _show_end(self, reply: AssistantReply, end: ReplyEnded) -> None:
        reply.show_end(end.message, max_output_tokens=end.max_output_tokens)
        self.post_message(ReplyFinished(end))

    def show_reply_end(self, end: ReplyEnded) -> None:
        """Show the end of a reply whose worker never ran (cancelled before it started)."""
        for reply in self.replies:
            if reply.message is end.message:
                self._show_end(reply, end)
                return
        self.post_message(ReplyFinished(end))

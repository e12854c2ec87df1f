"""Conversation state shared by the client, the history store, the CLI and the UI."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from llmconsole.core.events import EndReason, Usage
from llmconsole.core.proxy.request import RequestInput

if TYPE_CHECKING:
    from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

Role = Literal["user", "assistant"]
MessageStatus = EndReason | Literal["streaming"]
FAILED_STATUSES: frozenset[MessageStatus] = frozenset({"error", "rate_limited", "interrupted"})
"""How a failed reply ended: after one, its prompt counts as unanswered (a refusal, a truncation and a cancel
are not failures)."""
ToolStatus = Literal["pending", "ran", "declined", "cancelled"]
"""Where a tool call stands: ``pending`` (asked for, not answered yet), ``ran`` (answered: the tool's result,
an MCP ``isError`` result, or a failure to run it), ``declined`` (the user said no; the model is told),
``cancelled`` (the turn was cancelled before it ran)."""

NOT_RUN_OUTPUT = "No result: the user cancelled this call before it answered (it may not have run)."
"""What the model is told about a call that never got an answer (a cancelled turn), when the conversation
continues: every ``function_call`` needs its ``function_call_output``."""


def new_id() -> str:
    """A random id (hex uuid4): conversations and messages."""
    return uuid.uuid4().hex


@dataclass
class ToolExchange:
    """One tool call the model made in a reply, and what was sent back to it (what the history keeps).

    An assistant :class:`Message` keeps its calls in ``tool_calls``; the model's next reply in the same round
    is a child message. Sent back as Responses ``function_call`` + ``function_call_output`` items, or Chat
    ``assistant.tool_calls`` + ``role: tool`` messages (:meth:`Conversation.to_input_items`). Made from the
    core's values with :meth:`of` and :meth:`settle`."""

    call_id: str
    """The id the model gave the call (``call_id`` / ``tool_calls[].id``)."""
    name: str
    """The function name as the model called it."""
    arguments: str = "{}"
    """The arguments as the model sent them (a JSON text; kept verbatim even when it is not valid JSON)."""
    server: str | None = None
    """The MCP server that holds the tool (the gateway's ``server_name`` or a local ``[mcp.servers]`` name)."""
    status: ToolStatus = "pending"
    output: str = ""
    """The text sent back to the model (capped, the cut said at its end; a declined call says so)."""
    is_error: bool = False
    """The tool answered with an error (MCP ``isError``), or it failed to run."""
    truncated: bool = False
    """The tool's answer was cut at the cap (``output`` ends saying where)."""
    duration_s: float | None = None
    """How long the call ran, seconds."""

    @classmethod
    def of(cls, call: ToolCall, spec: ToolSpec | None = None) -> ToolExchange:
        """A call the model just made (``pending``), on ``spec``'s server when the tool is known."""
        server = (spec.server_name or None) if spec is not None else None
        return cls(call.call_id, call.name, call.arguments, server=server)

    def settle(self, result: ToolResult, duration_s: float | None = None) -> None:
        """What went back to the model: the result of the call, or the declined answer."""
        self.status = "declined" if result.declined else "ran"
        self.output = result.text
        self.is_error = result.is_error and not result.declined
        self.truncated = result.truncated
        self.duration_s = duration_s

    def cancel(self) -> None:
        """The turn was cancelled before this call was answered."""
        if self.status == "pending":
            self.status = "cancelled"

    @property
    def outcome(self) -> str:
        """How the call went, in a word or two: ``ran``, ``error``, ``declined``, ``cancelled``, ``not answered``."""
        if self.status == "ran":
            return "error" if self.is_error else "ran"
        return "not answered" if self.status == "pending" else self.status

    @property
    def label(self) -> str:
        """``server · name`` (the name alone when the server is unknown)."""
        return f"{self.server} · {self.name}" if self.server else self.name

    @property
    def sent_output(self) -> str:
        """What the model gets for this call: ``output``, or :data:`NOT_RUN_OUTPUT` for one never answered."""
        if self.status in ("pending", "cancelled") and not self.output:
            return NOT_RUN_OUTPUT
        return self.output

    def pretty_arguments(self) -> str:
        """The arguments indented for reading (the raw text when they are not JSON)."""
        from llmconsole.core.tools.values import ToolCall

        return ToolCall(self.call_id, self.name, self.arguments).pretty_arguments()


@dataclass
class Message:
    """One turn. An assistant message carries how it ended (``status``), its model and usage."""

    role: Role
    text: str
    id: str = field(default_factory=new_id)
    model: str | None = None
    status: MessageStatus | None = None
    """None for user messages; ``streaming`` while a reply arrives; then how it ended."""
    usage: Usage | None = None
    reasoning: str = ""
    """The reasoning summary (shown, never sent back)."""
    error: str | None = None
    """One-line error for replies that ended in error."""
    end_reason: str | None = None
    """Why a ``truncated`` reply stopped (``incomplete_details.reason``: ``max_output_tokens``,
    ``content_filter``, …; ``""`` when the proxy gave none; None when unknown, e.g. older history)."""
    attachments: list[str] = field(default_factory=list)
    """Data URLs of the files attached to a user message: images, and PDFs (text files become its text)."""
    created_at: float = field(default_factory=time.time)
    ttft_s: float | None = None
    """Time to first token, seconds."""
    duration_s: float | None = None
    """Request start to end, seconds."""
    parent_id: str | None = None
    """The message this one follows (None: the first of the conversation). Messages with the same parent are
    siblings: an edited prompt, a regenerated reply, a retry."""
    tool_calls: list[ToolExchange] = field(default_factory=list)
    """The tools an assistant reply called, in order (the reply that follows them is a child message)."""


@dataclass
class Conversation:
    """A tree of messages with its id (also the ``prompt_cache_key``): ``messages`` is the active path (what is
    shown and sent), ``others`` every stored message off it (other branches; see ``llmconsole.core.chat.tree``).
    """

    id: str = field(default_factory=new_id)
    title: str = ""
    messages: list[Message] = field(default_factory=list)
    system_prompt: str | None = None
    model: str | None = None
    created_at: float = field(default_factory=time.time)
    others: list[Message] = field(default_factory=list)
    """Messages off the active path (other branches), oldest first."""

    def _parent(self) -> str | None:
        return self.messages[-1].id if self.messages else None

    def add_user(self, text: str, attachments: list[str] | None = None) -> Message:
        message = Message(role="user", text=text, attachments=list(attachments or []), parent_id=self._parent())
        self.messages.append(message)
        if not self.title:
            self.title = title_from_prompt(text)
        return message

    def add_assistant(self, model: str) -> Message:
        message = Message(role="assistant", text="", model=model, status="streaming", parent_id=self._parent())
        self.messages.append(message)
        return message

    def to_input_items(self) -> list[dict[str, Any]]:
        """The Responses API ``input``: user and assistant text, nothing provider-specific.

        Reasoning is left out (it is provider-specific); assistant replies that produced no text are
        skipped; a user message with images becomes ``input_text`` + ``input_image`` parts. A reply's tool
        calls follow its text as ``function_call`` items, then their ``function_call_output`` items (no item
        ids: a call sent back without its reasoning item must not name the one it came with).
        """
        items: list[dict[str, Any]] = []
        for message in self.messages:
            if message.role == "assistant":
                if message.text:
                    items.append({"role": "assistant", "content": message.text})
                items.extend(tool_items(message.tool_calls))
                continue
            if message.attachments:
                content: list[dict[str, Any]] = [{"type": "input_text", "text": message.text}]
                from llmconsole.core.attachments import file_part

                for url in message.attachments:  # images, and PDFs (input_file) riding along as data URLs
                    content.append(file_part(url) or {"type": "input_image", "image_url": url})
                items.append({"role": "user", "content": content})
            else:
                items.append({"role": "user", "content": message.text})
        return items

    def to_request(self) -> RequestInput:
        """What a request carries from this conversation: its input items, system prompt and cache key."""
        return RequestInput(items=self.to_input_items(), system_prompt=self.system_prompt, cache_key=self.id)

    def estimated_tokens(self) -> int:
        """A cheap estimate (4 characters a token) of what the conversation costs as input."""
        chars = len(self.system_prompt or "") + sum(len(m.text) + tool_chars(m) for m in self.messages)
        images = sum(len(m.attachments) for m in self.messages)
        return chars // 4 + images * 1_000


def tool_items(calls: list[ToolExchange]) -> list[dict[str, Any]]:
    """Responses ``input`` items for a reply's tool calls: every ``function_call``, then every output."""
    items: list[dict[str, Any]] = [
        {"type": "function_call", "call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in calls
    ]
    items += [{"type": "function_call_output", "call_id": c.call_id, "output": c.sent_output} for c in calls]
    return items


def tool_chars(message: Message) -> int:
    """Characters a message's tool calls add to the input (names, arguments, outputs)."""
    return sum(len(c.name) + len(c.arguments) + len(c.sent_output) for c in message.tool_calls)


def title_from_prompt(text: str, width: int = 60) -> str:
    """The start of the first prompt, on one line."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"

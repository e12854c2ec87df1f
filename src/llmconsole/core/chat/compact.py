"""Compaction that keeps the original: the older part of the active path is summarised by a model, and the
summary starts a *new branch* (the original path stays whole and reachable).

The new branch is: a prompt asking for the summary, the summary as a reply (its model, tokens and cost, like
any reply), then copies of the most recent turns that are kept verbatim. Dropping the oldest turns (no
summary) makes the same kind of branch without the first two messages.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from llmconsole.core.chat.context import ContextMeter, available_window
from llmconsole.core.chat.conversation import Conversation, Message, new_id
from llmconsole.core.events import Completed, Failed, Incomplete, ResponseStarted, TextDelta

if TYPE_CHECKING:
    from llmconsole.core.chat.streamer import Streamer
    from llmconsole.core.proxy.models import ModelInfo

KEEP_TURNS = 2
"""The most recent turns (prompt + reply) kept word for word after a summary."""
SUMMARY_PROMPT = "(compacted) Summarise our conversation so far."
INSTRUCTION = (
    "Summarise the conversation above so that it can replace it as context for continuing it: keep every "
    "decision, fact, name, number, file, code identifier and open question; drop pleasantries. Write the "
    "summary only, as concise Markdown, in the language of the conversation."
)


class CompactionError(Exception):
    """The summary could not be written (the model failed or returned nothing)."""


@dataclass(frozen=True)
class Split:
    """The active path cut in two: ``older`` is summarised (or dropped), ``kept`` is copied as is."""

    older: list[Message]
    kept: list[Message]


def split_path(messages: Sequence[Message], keep_turns: int = KEEP_TURNS) -> Split:
    """Keep the last ``keep_turns`` prompts with what follows them; the rest is older (empty when there is
    too little to compact)."""
    starts = [i for i, m in enumerate(messages) if m.role == "user"]
    if len(starts) <= keep_turns:
        return Split([], list(messages))
    cut = starts[-keep_turns] if keep_turns > 0 else len(messages)
    return Split(list(messages[:cut]), list(messages[cut:]))


def compactable(messages: Sequence[Message], keep_turns: int = KEEP_TURNS) -> Split:
    """What a compaction of ``messages`` summarises: all but the last ``keep_turns`` turns, else all but the
    last one (``older`` empty: nothing older to summarise)."""
    split = split_path(messages, keep_turns)
    return split if split.older else split_path(messages, max(keep_turns - 1, 0))


RoomChoice = Literal["compact", "drop"]


def room_choices(
    messages: Sequence[Message], model: ModelInfo, system_prompt: str | None, *, prompt: str = "", images: int = 0
) -> frozenset[RoomChoice]:
    """What can make room to send ``prompt`` (with ``images``) after ``messages`` on ``model``: ``compact`` when
    there are older turns to summarise, ``drop`` when there are turns to leave out; neither when the prompt
    alone (with the system prompt) does not fit the window, since then nothing older is in the way."""
    if not ContextMeter().gauge(model, system_prompt, [], prompt=prompt, images=images).fits:
        return frozenset()
    choices: set[RoomChoice] = set()
    if compactable(messages).older:
        choices.add("compact")
    if messages:
        choices.add("drop")
    return frozenset(choices)


def fitting_tail(
    messages: Sequence[Message], model: ModelInfo, system_prompt: str | None, *, prompt: str = "", share: float = 0.8
) -> Split:
    """The most recent whole turns whose estimate fits ``share`` of the model's window (the rest older)."""
    meter = ContextMeter()
    budget = available_window(model) * share
    starts = [i for i, m in enumerate(messages) if m.role == "user"]
    for cut in starts:
        tail = messages[cut:]
        if meter.gauge(model, system_prompt, tail, prompt=prompt).tokens <= budget:
            return Split(list(messages[:cut]), list(tail))
    return Split(list(messages), [])


def _copy(message: Message, parent: str | None) -> Message:
    return dataclasses.replace(message, id=new_id(), parent_id=parent, attachments=list(message.attachments))


def branch_with(conv: Conversation, head: Sequence[Message], kept: Sequence[Message]) -> list[Message]:
    """Make ``head`` (new messages) + copies of ``kept`` the active path, as a new branch from the root; the
    old path goes to ``others``. Returns the new path."""
    path: list[Message] = []
    parent: str | None = None
    for message in head:
        message.parent_id = parent
        path.append(message)
        parent = message.id
    for message in kept:
        copy = _copy(message, parent)
        path.append(copy)
        parent = copy.id
    conv.others = sorted([*conv.others, *conv.messages], key=lambda m: m.created_at)
    conv.messages = path
    return path


def drop_oldest(conv: Conversation, model: ModelInfo, *, prompt: str = "") -> int:
    """A new branch with only the most recent turns that fit (no summary); returns how many messages were
    left out (0: nothing to drop)."""
    split = fitting_tail(conv.messages, model, conv.system_prompt, prompt=prompt)
    if not split.older:
        return 0
    branch_with(conv, [], split.kept)
    return len(split.older)


async def summarise(
    client: Streamer,
    model: ModelInfo,
    older: Sequence[Message],
    *,
    system_prompt: str | None = None,
    reasoning_effort: str | None = None,
) -> Message:
    """The summary of ``older`` by ``model``, as a finished reply (text, usage with cost, timings)."""
    from llmconsole.core.chat.streamer import reply_cost

    request = Conversation(system_prompt=system_prompt)
    budget = available_window(model)
    chosen = list(older)
    meter = ContextMeter()
    while len(chosen) > 1 and meter.gauge(model, system_prompt, chosen, prompt=INSTRUCTION).tokens > budget:
        chosen.pop(0)  # the summariser's own window: the oldest goes first
    while len(chosen) > 1 and chosen[0].role != "user":
        chosen.pop(0)
    # The conversation as it is (text only), then the instruction as the last prompt.
    request.messages = [Message(role=m.role, text=m.text, model=m.model) for m in chosen if m.text]
    request.add_user(INSTRUCTION)
    reply = Message(role="assistant", text="", model=model.id, status="streaming")
    parts: list[str] = []
    header_cost: float | None = None
    start = time.monotonic()
    async for event in client.stream_response(
        model, request.to_request(), reasoning_effort=reasoning_effort, system_prompt=system_prompt
    ):
        match event:
            case ResponseStarted():
                header_cost = event.cost
            case TextDelta(text=delta):
                if reply.ttft_s is None:
                    reply.ttft_s = time.monotonic() - start
                parts.append(delta)
            case Completed(usage=usage) | Incomplete(usage=usage):
                usage.cost = reply_cost(header_cost, usage, model)
                reply.usage = usage
                reply.status = "completed" if isinstance(event, Completed) else "truncated"
            case Failed(error=error):
                raise CompactionError(f"The summary failed: {error}") from error
    reply.text = "".join(parts).strip()
    reply.duration_s = time.monotonic() - start
    if not reply.text:
        raise CompactionError("The model returned an empty summary.")
    if reply.status == "streaming":
        reply.status = "completed"
    return reply


@dataclass(frozen=True)
class Compacted:
    """What a compaction made: the summary reply and how many messages it stands for."""

    summary: Message
    summarised: int


async def compact(
    conv: Conversation,
    client: Streamer,
    model: ModelInfo,
    *,
    keep_turns: int = KEEP_TURNS,
    reasoning_effort: str | None = None,
) -> Compacted | None:
    """Summarise the older part of the active path into a new branch (None when there is too little)."""
    split = compactable(conv.messages, keep_turns)
    if not split.older:
        return None
    summary = await summarise(
        client, model, split.older, system_prompt=conv.system_prompt, reasoning_effort=reasoning_effort
    )
    ask = Message(role="user", text=SUMMARY_PROMPT)
    branch_with(conv, [ask, summary], split.kept)
    return Compacted(summary=summary, summarised=len(split.older))

"""Chat Completions (``POST /v1/chat/completions``): the same conversation out, the same typed events back.

The request is translated from what the Responses API would carry (a :class:`~.request.RequestInput`),
so both endpoints send the same conversation: the system prompt becomes a leading ``system`` message,
``input_text``/``input_image`` parts become ``text``/``image_url`` parts, reasoning effort becomes
``reasoning_effort``, the output cap becomes ``max_tokens``, and ``stream_options.include_usage`` asks
for the token usage. Optional parameters are filtered and learned under their Responses names
(:data:`CHAT_PARAM_NAMES`), so a rejection learned on one endpoint holds on the other. ``store`` is not
sent: Chat Completions does not store by default.

The stream (``chat.completion.chunk`` events, ``data: [DONE]`` at the end) becomes
:mod:`llmconsole.core.events` values: ``delta.content`` -> :class:`TextDelta`; ``delta.reasoning_content``,
``delta.reasoning`` and Databricks' ``reasoning`` content parts -> :class:`ReasoningDelta`; ``delta.refusal``
-> :class:`RefusalDelta` (the reply then completes ``refused``);
``delta.tool_calls`` -> the tool-call events (:mod:`~llmconsole.core.proxy.toolcalls`);
``finish_reason`` ``length`` -> :class:`Incomplete` (``max_output_tokens``), ``content_filter`` ->
:class:`Incomplete` (``content_filter``), anything else -> :class:`Completed` with the usage of the
last chunk that carried one; an ``{"error": ...}`` chunk -> :class:`Failed`; a stream that ends before a
``finish_reason`` (closed, or ``data: [DONE]``) -> an interrupted :class:`Failed`: the ending policy of
:mod:`llmconsole.core.proxy.endings`, the same as the Responses API's. A server that ignores
``stream: true`` and answers one JSON ``chat.completion`` gives the same events.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from llmconsole.core.errors import StreamDecodeError
from llmconsole.core.events import (
    Completed,
    Failed,
    Incomplete,
    ReasoningDelta,
    StreamEvent,
    Usage,
)
from llmconsole.core.jsondoc import DocumentError, read_document
from llmconsole.core.proxy.endings import ReplyEnding
from llmconsole.core.proxy.sse import SSEDecodeError, SSEDecoder
from llmconsole.core.proxy.toolcalls import ChatToolCalls
from llmconsole.core.redact import one_line

if TYPE_CHECKING:
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.proxy.request import RequestInput

CHAT_PARAM_NAMES: dict[str, str] = {
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "reasoning_effort": "reasoning",
    "prompt_cache_key": "prompt_cache_key",
    "stream_options": "stream_options",
    "tools": "tools",
}
"""Chat Completions parameter -> the name it is filtered, reported and learned under."""

FINISH_INCOMPLETE: dict[str, str] = {
    "length": "max_output_tokens",
    "max_tokens": "max_output_tokens",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
}
"""``finish_reason`` values that end a reply early -> the :class:`Incomplete` reason (the Responses API's)."""

_PART_TYPES = {"input_text": "text", "output_text": "text", "text": "text"}


def _chat_part(part: Any) -> Any:
    if not isinstance(part, Mapping):
        return part
    kind = part.get("type")
    if kind in _PART_TYPES:
        return {"type": "text", "text": part.get("text", "")}
    if kind == "input_image":
        url = part.get("image_url")
        if isinstance(url, Mapping):
            url = url.get("url")
        return {"type": "image_url", "image_url": {"url": url}}
    if kind == "input_file":  # a PDF: Chat Completions' file part (LiteLLM passes it to the provider)
        return {"type": "file", "file": {"filename": part.get("filename"), "file_data": part.get("file_data")}}
    return dict(part)


def chat_messages(items: list[dict[str, Any]], system_prompt: str | None) -> list[dict[str, Any]]:
    """Chat ``messages`` for Responses ``input`` items, the system prompt first. ``function_call`` items join
    the assistant message just before them (or one of their own) as ``tool_calls``; a
    ``function_call_output`` becomes a ``role: tool`` message."""
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments", "{}")},
            }
            last = messages[-1] if messages else None
            if last is None or last.get("role") != "assistant":
                last = {"role": "assistant", "content": None}
                messages.append(last)
            last.setdefault("tool_calls", []).append(call)
            continue
        if kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": item.get("output", "")})
            continue
        role = item.get("role")
        if not isinstance(role, str):
            continue
        content = item.get("content", "")
        if isinstance(content, list):
            content = [_chat_part(part) for part in content]
        messages.append({"role": "system" if role == "developer" else role, "content": content})
    return messages


def chat_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A Responses function tool (``{"type": "function", "name", ...}``) in the Chat Completions form."""
    function = {key: value for key, value in tool.items() if key != "type"}
    return {"type": "function", "function": function}


def build_chat_request(
    model: ModelInfo,
    request: RequestInput,
    *,
    system_prompt: str | None = None,
    reasoning_effort: str | None = None,
    max_output_tokens: int | None = None,
    rejected: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The Chat Completions body and the optional parameters left out (under their Responses names)."""
    body: dict[str, Any] = {
        "model": model.id,
        "messages": chat_messages(request.items, system_prompt),
        "stream": True,
    }
    wanted: dict[str, Any] = {"max_tokens": max_output_tokens or model.max_output_tokens}
    if request.cache_key:
        wanted["prompt_cache_key"] = request.cache_key
    wanted["stream_options"] = {"include_usage": True}
    if model.reasoning and reasoning_effort:
        wanted["reasoning_effort"] = reasoning_effort
    if request.tools:
        wanted["tools"] = [chat_tool(tool) for tool in request.tools]
    dropped: list[str] = []
    for wire, value in wanted.items():
        name = CHAT_PARAM_NAMES[wire]
        if name in rejected or not model.supports(name):
            dropped.append(name)
            continue
        body[wire] = value
    return body, tuple(dropped)


class ChatStream:
    """Turns one Chat Completions answer into typed events (see the module docstring).

    ``usage`` reads a ``usage`` object (the client's, with cost); ``failure`` turns an ``{"error": ...}``
    chunk and the text so far into a :class:`Failed`. Connection errors are the caller's: they propagate,
    and :attr:`text` holds what arrived.
    """

    def __init__(
        self,
        model_id: str,
        *,
        max_output_tokens: int | None,
        usage: Callable[[Any], Usage],
        failure: Callable[[Mapping[str, Any], str], Failed],
    ) -> None:
        self.model_id = model_id
        self.max_output_tokens = max_output_tokens
        self._usage = usage
        self._failure = failure
        self.reply = ReplyEnding()
        """What arrived, and the ending policy both endpoints share."""
        self._finish: str | None = None
        self._usage_raw: Any = None
        self._id: str | None = None
        self._calls = ChatToolCalls()

    @property
    def text(self) -> str:
        """The reply received so far (text and refusal)."""
        return self.reply.received

    async def events(self, raw: AsyncIterable[bytes], *, content_type: str = "") -> AsyncIterator[StreamEvent]:
        """Deltas, then exactly one terminal event (unless the connection fails: then it raises)."""
        if "json" in content_type.lower():
            async for event in self._whole(raw):
                yield event
            return
        decoder = SSEDecoder()
        loads = json.loads
        try:
            async for chunk in raw:
                for sse in decoder.feed(chunk):
                    data = sse.data
                    if data == b"[DONE]":
                        for end in self._ending(done_marker=True):
                            yield end
                        return
                    if not data:
                        continue
                    try:
                        payload = loads(data)
                    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                        raise StreamDecodeError(
                            f"{self.model_id}: the server sent a chunk that is not JSON: "
                            f"{one_line(repr(data[:80]), 120)}"
                        ) from None
                    if not isinstance(payload, dict):
                        continue
                    if "error" in payload and not payload.get("choices"):
                        yield self._failure(payload, self.text)
                        return
                    for event in self._chunk(payload):
                        yield event
            decoder.flush()
            for end in self._ending(done_marker=False):
                yield end
        except SSEDecodeError as exc:
            yield self.reply.failed(StreamDecodeError(f"{self.model_id}: {exc}"), interrupted=True)
        except StreamDecodeError as exc:
            yield self.reply.failed(exc, interrupted=True)

    def _chunk(self, payload: Mapping[str, Any]) -> list[StreamEvent]:
        usage = payload.get("usage")
        if isinstance(usage, dict):
            self._usage_raw = usage
        chunk_id = payload.get("id")
        if isinstance(chunk_id, str) and chunk_id and self._id is None:
            self._id = chunk_id
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return []
        events: list[StreamEvent] = []
        for choice in choices:
            if not isinstance(choice, Mapping) or choice.get("index", 0) not in (0, None):
                continue
            delta = choice.get("delta")
            if not isinstance(delta, Mapping):
                delta = choice.get("message")
            if isinstance(delta, Mapping):
                self._delta(delta, events)
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self._finish = finish
        return events

    def _delta(self, delta: Mapping[str, Any], events: list[StreamEvent]) -> None:
        for key in ("reasoning_content", "reasoning"):
            thought = delta.get(key)
            if isinstance(thought, str) and thought:
                events.append(ReasoningDelta(thought))
                break
        content = delta.get("content")
        if isinstance(content, str):
            if content:
                events.append(self.reply.add_text(content))
        elif isinstance(content, list):
            for part in content:
                self._part(part, events)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            events.extend(self._calls.feed(tool_calls))
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            events.append(self.reply.add_refusal(refusal))

    def _part(self, part: Any, events: list[StreamEvent]) -> None:
        if isinstance(part, str):
            if part:
                events.append(self.reply.add_text(part))
            return
        if not isinstance(part, Mapping):
            return
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if isinstance(text, str) and text:
                events.append(self.reply.add_text(text))
        elif kind in ("reasoning", "thinking"):
            # Databricks: {"type": "reasoning", "summary": [{"type": "summary_text", "text": ...}]}
            summary = part.get("summary")
            pieces = summary if isinstance(summary, list) else [part]
            for piece in pieces:
                text = piece.get("text", piece.get("thinking")) if isinstance(piece, Mapping) else None
                if isinstance(text, str) and text:
                    events.append(ReasoningDelta(text))

    def _ending(self, *, done_marker: bool, whole: bool = False) -> list[StreamEvent]:
        """The terminal event, after the finished tool calls when the reply completed."""
        end = self._end(done_marker=done_marker, whole=whole)
        return [*self._calls.finish(), end] if isinstance(end, Completed) else [end]

    def _end(self, *, done_marker: bool, whole: bool = False) -> Completed | Incomplete | Failed:
        """The terminal event (see :mod:`~llmconsole.core.proxy.endings`): the final event is a chunk with a
        ``finish_reason``; a whole JSON answer is final by itself."""
        if self._finish is None and not whole:
            return self.reply.cut(done_marker=done_marker)
        usage = self._usage(self._usage_raw)
        reason = FINISH_INCOMPLETE.get(self._finish or "")
        if reason is not None:
            return self.reply.incomplete(reason, usage, self.max_output_tokens)
        return self.reply.completed(usage, self._id)

    async def _whole(self, raw: AsyncIterable[bytes]) -> AsyncIterator[StreamEvent]:
        body = bytearray()
        async for chunk in raw:
            body += chunk
        try:
            payload = read_document(bytes(body))
        except DocumentError as exc:
            error = StreamDecodeError(f"{self.model_id}: the server answered with something that is {exc.reason}")
            yield Failed(error=error, partial_text="", interrupted=True)
            return
        if not isinstance(payload, dict):
            payload = {}
        if "error" in payload and not payload.get("choices"):
            yield self._failure(payload, "")
            return
        for event in self._chunk(payload):
            yield event
        for end in self._ending(done_marker=False, whole=True):
            yield end

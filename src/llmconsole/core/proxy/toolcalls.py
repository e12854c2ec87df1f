"""Function calls in a streamed reply, on either endpoint, as the same typed events.

**Responses** (``/v1/responses``): a ``function_call`` output item (``response.output_item.added``), its arguments
in ``response.function_call_arguments.delta`` pieces, then ``response.function_call_arguments.done`` and
``response.output_item.done``; the final ``response.output`` lists every call again (a server that streamed
none of it is read from there). **Chat Completions**: ``delta.tool_calls`` entries (``index``, ``id``,
``function.name``, ``function.arguments`` in pieces), then ``finish_reason: tool_calls``; a whole (unstreamed)
answer carries them in ``message.tool_calls``.

Both become :class:`~llmconsole.core.tools.events.ToolCallStarted` (when the call's id and name are known),
:class:`~llmconsole.core.tools.events.ToolCallDelta` pieces and one
:class:`~llmconsole.core.tools.events.ToolCallDone` per call, before the reply's ``Completed``. A reply that ends
otherwise (truncated, failed) gets no ``ToolCallDone`` for calls not complete by then: nothing half-written runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmconsole.core.tools.events import ToolCallDelta, ToolCallDone, ToolCallStarted, ToolStreamEvent
from llmconsole.core.tools.values import ToolCall

__all__ = ["RESPONSES_EVENTS", "ChatToolCalls", "ResponsesToolCalls"]

RESPONSES_EVENTS = frozenset(
    {
        "response.output_item.added",
        "response.output_item.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
    }
)
"""The Responses events :meth:`ResponsesToolCalls.feed` reads (other output items in them are ignored)."""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(slots=True)
class _Pending:
    """One call being assembled."""

    index: int
    call_id: str = ""
    name: str = ""
    parts: list[str] = field(default_factory=list)
    started: bool = False
    done: bool = False

    def start(self, events: list[ToolStreamEvent]) -> None:
        """Emit :class:`ToolCallStarted` (and the pieces received before it) once the id and name are known."""
        if self.started or not self.call_id or not self.name:
            return
        self.started = True
        events.append(ToolCallStarted(self.call_id, self.name, self.index))
        if self.parts:
            events.append(ToolCallDelta(self.call_id, "".join(self.parts)))

    def add(self, text: str, events: list[ToolStreamEvent]) -> None:
        if not text:
            return
        self.parts.append(text)
        if self.started:
            events.append(ToolCallDelta(self.call_id, text))

    def finish(self, events: list[ToolStreamEvent], arguments: str | None = None) -> None:
        """Emit :class:`ToolCallDone` (``arguments``, when given, are the whole text and win over the pieces)."""
        if self.done or not self.call_id or not self.name:
            return
        if arguments is not None and arguments != "".join(self.parts):
            self.parts = [arguments]  # the server's whole text wins over the pieces
        self.start(events)
        self.done = True
        events.append(ToolCallDone(ToolCall(self.call_id, self.name, "".join(self.parts))))


class ResponsesToolCalls:
    """Assembles the function calls of one ``/v1/responses`` stream (see the module docstring)."""

    def __init__(self) -> None:
        self._calls: dict[str, _Pending] = {}

    def _key(self, payload: Mapping[str, Any], item: Mapping[str, Any] | None = None) -> str:
        item_id = _str(item.get("id")) if item is not None else _str(payload.get("item_id"))
        if item_id:
            return item_id
        index = payload.get("output_index")
        return f"#{index}" if isinstance(index, int) else "#?"

    def _pending(self, key: str) -> _Pending:
        pending = self._calls.get(key)
        if pending is None:
            pending = self._calls[key] = _Pending(len(self._calls))
        return pending

    def _item(self, payload: Mapping[str, Any], item: Mapping[str, Any]) -> _Pending:
        pending = self._pending(self._key(payload, item))
        pending.call_id = pending.call_id or _str(item.get("call_id")) or _str(item.get("id"))
        pending.name = pending.name or _str(item.get("name"))
        return pending

    def feed(self, kind: str, payload: Mapping[str, Any]) -> list[ToolStreamEvent]:
        """The events one Responses event gives (none for events about other output items)."""
        events: list[ToolStreamEvent] = []
        if kind in ("response.output_item.added", "response.output_item.done"):
            item = payload.get("item")
            if not isinstance(item, Mapping) or item.get("type") != "function_call":
                return events
            pending = self._item(payload, item)
            arguments = item.get("arguments")
            if kind == "response.output_item.done":
                pending.finish(events, arguments if isinstance(arguments, str) else None)
            else:
                if isinstance(arguments, str):
                    pending.add(arguments, events)
                pending.start(events)
        elif kind == "response.function_call_arguments.delta":
            pending = self._pending(self._key(payload))
            pending.add(_str(payload.get("delta")), events)
        elif kind == "response.function_call_arguments.done":
            pending = self._pending(self._key(payload))
            pending.name = pending.name or _str(payload.get("name"))
            arguments = payload.get("arguments")
            pending.finish(events, arguments if isinstance(arguments, str) else None)
        return events

    def finish(self, response: Mapping[str, Any]) -> list[ToolStreamEvent]:
        """At ``response.completed``: the calls of ``response.output`` not seen whole yet, then any other call
        that has its id and name (a server that never said ``.done``)."""
        events: list[ToolStreamEvent] = []
        output = response.get("output")
        for position, item in enumerate(output if isinstance(output, list) else ()):
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                known = next((p for p in self._calls.values() if p.call_id and p.call_id == item.get("call_id")), None)
                pending = known or self._item({"output_index": position}, item)
                arguments = item.get("arguments")
                pending.finish(events, arguments if isinstance(arguments, str) else None)
        for pending in self._calls.values():
            pending.finish(events)
        return events


class ChatToolCalls:
    """Assembles the ``tool_calls`` of one Chat Completions stream (see the module docstring)."""

    def __init__(self) -> None:
        self._calls: dict[Any, _Pending] = {}
        self._last: Any = None

    def feed(self, tool_calls: Any) -> list[ToolStreamEvent]:
        """The events of one ``delta.tool_calls`` (or ``message.tool_calls``) list."""
        events: list[ToolStreamEvent] = []
        if not isinstance(tool_calls, list):
            return events
        for position, entry in enumerate(tool_calls):
            if not isinstance(entry, Mapping):
                continue
            index = entry.get("index")
            call_id = _str(entry.get("id"))
            # By index; else by id; a piece naming neither continues the last call.
            key: Any = index if isinstance(index, int) else call_id or self._last or f"#{position}"
            self._last = key
            pending = self._calls.get(key)
            if pending is None:
                pending = self._calls[key] = _Pending(len(self._calls))
            pending.call_id = pending.call_id or call_id
            function = entry.get("function")
            function = function if isinstance(function, Mapping) else {}
            pending.name = pending.name or _str(function.get("name"))
            pending.start(events)
            pending.add(_str(function.get("arguments")), events)
        return events

    def finish(self) -> list[ToolStreamEvent]:
        """At the end of a completed reply: every call, in the order they began."""
        events: list[ToolStreamEvent] = []
        for pending in sorted(self._calls.values(), key=lambda p: p.index):
            pending.finish(events)
        return events

"""A small, fast Server-Sent Events decoder (bytes in, events out).

It follows the WHATWG parsing rules that matter for LLM streams: lines end with ``\\n``, ``\\r\\n`` or
``\\r``; ``data:`` lines of one event are joined with ``\\n``; ``event:`` names the event; lines starting
with ``:`` are comments; a blank line dispatches the event. Chunks may be split anywhere (even inside
``\\r\\n`` or a UTF-8 sequence: data stays bytes until the event is complete).

It sits on the hot path (tens of thousands of events a second), so it works on whole chunks with
``bytes.split`` rather than byte by byte, and allocates one small object per event.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_EVENT_BYTES = 64 * 1024 * 1024
"""An event larger than this is refused (protects memory against a stream that never ends an event)."""


@dataclass(slots=True)
class ServerSentEvent:
    """One decoded event: its ``event:`` name ('' when absent) and its ``data`` (lines joined by ``\\n``)."""

    event: str
    data: bytes


class SSEDecodeError(ValueError):
    """The stream is not decodable as SSE (an event beyond :data:`MAX_EVENT_BYTES`)."""


class SSEDecoder:
    """Feed chunks with :meth:`feed`; each call returns the events completed by that chunk."""

    __slots__ = ("_tail", "_parts", "_parts_size", "_data", "_event", "_size", "_pending_cr")

    def __init__(self) -> None:
        self._tail = b""
        self._parts: list[bytes] = []
        """Chunks of one long line without a line end yet (joined once it ends: linear for a 10 MB line)."""
        self._parts_size = 0
        self._data: list[bytes] = []
        self._event = ""
        self._size = 0
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if not chunk:
            return []
        if (
            # Fast path: the common chunk is exactly one `data: ...` event (one line, then a blank line), and
            # it starts a line: nothing of an earlier line is pending (a line cut by a read sits in _parts).
            not self._tail
            and not self._parts
            and not self._data
            and not self._pending_cr
            and chunk[:6] == b"data: "
            and chunk.find(b"\n") == len(chunk) - 2
            and chunk[-1:] == b"\n"
            and b"\r" not in chunk
            and len(chunk) <= MAX_EVENT_BYTES
        ):
            event, self._event = self._event, ""
            return [ServerSentEvent(event, chunk[6:-2])]
        if self._pending_cr:
            # The previous chunk ended with "\r": a "\n" here belongs to that line ending.
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            if self._tail:
                self._parts.append(self._tail)
                self._parts_size += len(self._tail)
                self._tail = b""
            self._parts.append(chunk)
            self._parts_size += len(chunk)
            if self._parts_size > MAX_EVENT_BYTES:
                raise SSEDecodeError("an SSE line exceeds the size limit")
            return []
        if self._parts:
            self._parts.append(self._tail + chunk if self._tail else chunk)
            buffer = b"".join(self._parts)
            self._parts = []
            self._parts_size = 0
        else:
            buffer = self._tail + chunk if self._tail else chunk
        lines = buffer.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > MAX_EVENT_BYTES:
            raise SSEDecodeError("an SSE line exceeds the size limit")
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(ServerSentEvent(self._event, data[0] if len(data) == 1 else b"\n".join(data)))
                    data = self._data = []
                    self._size = 0
                self._event = ""
                continue
            if line[:5] == b"data:":
                value = line[6:] if line[5:6] == b" " else line[5:]
                self._size += len(value)
                if self._size > MAX_EVENT_BYTES:
                    raise SSEDecodeError("an SSE event exceeds the size limit")
                data.append(value)
            elif line[:6] == b"event:":
                self._event = line[6:].strip().decode("utf-8", "replace")
            # comments (":"), "id:", "retry:" and unknown fields are ignored
        return events

    def flush(self) -> list[ServerSentEvent]:
        """The stream ended: dispatch a last event that had no blank line after it."""
        events = self.feed(b"\n\n") if (self._tail or self._parts or self._data) else []
        self._tail = b""
        self._parts = []
        self._parts_size = 0
        self._data = []
        self._event = ""
        self._size = 0
        return events

from __future__ import annotations

import pytest

from llmconsole.core.sse import ServerSentEvent, SSEDecodeError, SSEDecoder

STREAM = (
    b": comment\n"
    b"event: response.output_text.delta\n"
    b'data: {"type":"response.output_text.delta","delta":"Hel"}\n'
    b"\n"
    b'data: {"type":"response.output_text.delta","delta":"lo \xc3\xa9"}\r\n'
    b"\r\n"
    b"data: line one\n"
    b"data: line two\n"
    b"id: 7\n"
    b"retry: 100\n"
    b"\n"
    b"data:nospace\r\r"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    ServerSentEvent("response.output_text.delta", b'{"type":"response.output_text.delta","delta":"Hel"}'),
    ServerSentEvent("", b'{"type":"response.output_text.delta","delta":"lo \xc3\xa9"}'),
    ServerSentEvent("", b"line one\nline two"),
    ServerSentEvent("", b"nospace"),
    ServerSentEvent("", b"[DONE]"),
]


def decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def test_whole_stream() -> None:
    assert decode([STREAM]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13, 64])
def test_every_split_size_gives_the_same_events(size: int) -> None:
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert decode(chunks) == EXPECTED


def test_every_single_split_point() -> None:
    for cut in range(len(STREAM) + 1):
        assert decode([STREAM[:cut], STREAM[cut:]]) == EXPECTED, cut


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert decode([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [ServerSentEvent("", b"a\nb")]


def test_last_event_without_blank_line_is_flushed() -> None:
    assert decode([b"data: tail"]) == [ServerSentEvent("", b"tail")]


def test_event_without_data_is_not_dispatched() -> None:
    assert decode([b"event: ping\n\n"]) == []


def test_oversized_event_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("llmconsole.core.sse.MAX_EVENT_BYTES", 100)
    decoder = SSEDecoder()
    with pytest.raises(SSEDecodeError):
        decoder.feed(b"data: " + b"x" * 200 + b"\n")

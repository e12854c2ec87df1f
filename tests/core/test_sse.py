from __future__ import annotations

import pytest

from llmconsole.core.proxy.sse import ServerSentEvent, SSEDecodeError, SSEDecoder

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
    monkeypatch.setattr("llmconsole.core.proxy.sse.MAX_EVENT_BYTES", 100)
    decoder = SSEDecoder()
    with pytest.raises(SSEDecodeError):
        decoder.feed(b"data: " + b"x" * 200 + b"\n")


# -- property tests: any bytes, any split -------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, last = [], 0
    for point in points:
        chunks.append(data[last:point])
        last = point
    chunks.append(data[last:])
    return chunks


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0, max_value=4000), max_size=12))
def test_any_bytes_any_split_decode_the_same(data: bytes, cuts: list[int]) -> None:
    whole = decode([data])
    assert decode(_split(data, cuts)) == whole
    for event in whole:
        assert isinstance(event.event, str) and isinstance(event.data, bytes)


_field = st.sampled_from([b"data:", b"data: ", b"event: ", b": ", b"id: ", b"retry: ", b"bogus: "])
_eol = st.sampled_from([b"\n", b"\r\n", b"\r"])
_value = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_field, _value, _eol), max_size=30), st.lists(st.integers(0, 2000), max_size=8))
def test_sse_shaped_streams_keep_every_data_line(lines: list[tuple[bytes, bytes, bytes]], cuts: list[int]) -> None:
    raw = b"".join(f + v + e for f, v, e in lines) + b"\n\n"
    events = decode(_split(raw, cuts))
    data_lines = [(v[1:] if f == b"data:" and v[:1] == b" " else v) for f, v, _ in lines if f.startswith(b"data:")]
    joined = b"\n".join(e.data for e in events)
    for value in data_lines:
        assert value in joined

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


# -- real streams whose text explains SSE: `data: `, `event: `, blank lines and CRLFs inside the reply ------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

DATA = Path(__file__).parent.parent / "data"
SSE_IN_TEXT = sorted(DATA.glob("litellm_sse_in_text_*.sse"))
"""Recorded through LiteLLM 1.99.4 by tests/data/make_sse_in_text.py (Responses and Chat Completions)."""


def _framings(raw: bytes) -> list[bytes]:
    """The stream as LiteLLM sent it, and with CRLF line ends (JSON has no raw line end: only framing changes)."""
    return [raw, raw.replace(b"\n", b"\r\n")]


def _every_read_boundary(raw: bytes) -> list[list[bytes]]:
    """For every position: one read ends there; and reads that end at the start of that line, there, and at the
    end of its event (a line that starts a read and is cut before its end, as a network read can do)."""
    splits: list[list[bytes]] = []
    for cut in range(1, len(raw)):
        line_start = max(raw.rfind(b"\n", 0, cut), raw.rfind(b"\r", 0, cut)) + 1
        event_end = min((i for i in (raw.find(b"\n\n", cut), raw.find(b"\r\n\r\n", cut)) if i >= 0), default=-1)
        splits.append([raw[:cut], raw[cut:]])
        if 0 < line_start < cut and event_end > 0:
            end = event_end + (2 if raw[event_end : event_end + 2] == b"\n\n" else 4)
            splits.append([raw[:line_start], raw[line_start:cut], raw[cut:end], raw[end:]])
    return splits


def _reply_text(events: list[ServerSentEvent]) -> str:
    """The reply's text: Responses ``output_text`` deltas, or Chat Completions ``delta.content``."""
    text: list[str] = []
    for event in events:
        if event.data == b"[DONE]":
            continue
        payload = json.loads(event.data)
        if payload.get("type") == "response.output_text.delta":
            text.append(payload["delta"])
        for choice in payload.get("choices") or ():
            text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


def test_the_recorded_streams_hold_sse_inside_their_text() -> None:
    assert [p.name for p in SSE_IN_TEXT] == ["litellm_sse_in_text_chat.sse", "litellm_sse_in_text_responses.sse"]
    for path in SSE_IN_TEXT:
        raw = path.read_bytes()
        inside = [i for i in range(1, len(raw)) if raw.startswith(b"data: ", i) and raw[i - 1 : i] != b"\n"]
        assert inside, path.name  # a literal `data: ` that does not start a line
        text = _reply_text(decode([raw]))
        assert all(part in text for part in ("data: ", "event: ", "\n\n", "\r\n")), path.name


@pytest.mark.parametrize("path", SSE_IN_TEXT, ids=lambda p: p.stem)
def test_real_streams_decode_the_same_at_every_read_boundary(path: Path) -> None:
    for raw in _framings(path.read_bytes()):
        whole = decode([raw])
        assert whole[-1].data == b"[DONE]"
        text = _reply_text(whole)  # every event is whole JSON
        for chunks in _every_read_boundary(raw):
            got = decode(chunks)
            assert got == whole, [len(c) for c in chunks]
    assert text


def test_a_read_that_ends_just_before_data_inside_text() -> None:
    """The case from the field: a line starts a read, and that read ends just before a ``data: `` in the text."""
    line = b'data: {"type":"response.output_text.delta","delta":"each data: line"}\n\n'
    cut = line.index(b"data: line")
    assert decode([b"data: {}\n\n", line[:cut], line[cut:]]) == [
        ServerSentEvent("", b"{}"),
        ServerSentEvent("", line[6:-2]),
    ]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SSE_IN_TEXT), st.booleans(), st.lists(st.integers(0, 25_000), max_size=40))
def test_real_streams_decode_the_same_under_any_reads(path: Path, crlf: bool, cuts: list[int]) -> None:
    raw = _framings(path.read_bytes())[crlf]
    assert decode(_split(raw, cuts)) == decode([raw])


@pytest.mark.anyio
@pytest.mark.parametrize("path", SSE_IN_TEXT, ids=lambda p: p.stem)
async def test_the_client_reads_the_whole_reply_whatever_the_reads(path: Path, tmp_path: Path) -> None:
    """Through ``ProxyClient`` on both endpoints: the reply is the recorded text, ending ``Completed``, when a
    read ends just before each literal ``data: `` inside the text (a line that began a read, cut there)."""
    import httpx

    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.events import Completed, TextDelta
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.endpoints import LearnedEndpoints
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.proxy.params import LearnedParams

    from .fakes import ChunkStream, settings

    raw = path.read_bytes()
    expected = _reply_text(decode([raw]))
    endpoint = "chat" if path.stem.endswith("chat") else "responses"
    conv = Conversation()
    conv.add_user("Explain SSE")
    for cut in [i for i in range(1, len(raw)) if raw.startswith(b"data: ", i) and raw[i - 1 : i] != b"\n"]:
        line_start = raw.rfind(b"\n", 0, cut) + 1
        end = raw.index(b"\n\n", cut) + 2
        chunks = [raw[:line_start], raw[line_start:cut], raw[cut:end], raw[end:]]

        def answer(request: httpx.Request, chunks: list[bytes] = chunks) -> httpx.Response:
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=ChunkStream(chunks))

        client = ProxyClient(
            settings(),
            transport=httpx.MockTransport(answer),
            learned=LearnedParams(tmp_path / "params.json"),
            learned_endpoints=LearnedEndpoints(tmp_path / "endpoints.json"),
        )
        model = ModelInfo(id="m", endpoint=endpoint, sources={"endpoint": "config"})
        events = [e async for e in client.stream_response(model, conv.to_request())]
        await client.aclose()
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == expected, cut
        assert isinstance(events[-1], Completed), (cut, events[-1])

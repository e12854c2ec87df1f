"""A local LiteLLM-like server for the bench: a real socket server on 127.0.0.1 (asyncio, HTTP/1.1 keep-alive).

Routes (``{prefix}`` is empty or ``/m{N}``, which makes ``/v1/models`` list ``N`` models; default 500):

- ``GET {prefix}/v1/models``: ``{"data": [{"id": ...}, ...]}`` (the bench models first, then realistic ids).
- ``GET .../model/info``: 404 (discovery falls back to name patterns).
- ``POST {prefix}/v1/responses``: a LiteLLM-style Responses stream, ``data: {json}\\n\\n`` per event and a final
  ``data: [DONE]``, one HTTP chunk per event (``transfer-encoding: chunked``, as uvicorn sends LiteLLM's stream:
  a reader gets each event as its own piece however TCP coalesces the segments). The model id chooses the
  workload: ``bench-n{deltas}`` is served as fast as the socket takes it (pre-built bytes, one write),
  ``bench-n{deltas}-r{rate}`` paces the deltas at ``rate`` per second.

The deltas come from :func:`bench.render_widget.make_markdown_deltas` (realistic Markdown, 3-8 characters each):
20,000 of them make ~4.8 MB of SSE with the response.created/.../completed events around them.

Run it as ``python -m bench.sse_server``: it prints ``PORT <n>`` on stdout once it listens.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from functools import lru_cache

DELTA_SEED = 7
_MODEL = re.compile(r"bench-n(\d+)(?:-r(\d+(?:\.\d+)?))?")
_PREFIX = re.compile(r"^/m(\d+)(/.*)$")
_ITEM_ID = "msg_" + "67c9fdcf37fc8190ba82116e33fb28c507b8b30ef7d0e2a1"
_RESP_ID = "resp_" + "67c9fdcecf488190bdd2b4a35c8fc4f10b5e6e0c0e2c4d1a"
HUGE_KINDS = ("paragraph", "table", "code", "10mb")
"""``bench-huge-{kind}``: the shapes of issue 11, paced to arrive in about :data:`HUGE_SECONDS` (as the real LiteLLM
proxy streams them), except ``10mb``: one single 10 MB delta, as fast as the socket takes it."""
HUGE_SECONDS = 1.0
HUGE_DELTAS = 3000
_HUGE = re.compile(r"bench-huge-(paragraph|table|code|10mb)")
BENCH_MODELS = (
    "bench-n20000",
    "bench-n2000",
    "bench-n500-r100",
    "bench-n300-r100",
    "bench-n50",
    "bench-n200",
    "bench-n20-r100",
    *(f"bench-huge-{kind}" for kind in HUGE_KINDS),
)

_PROVIDERS = (
    ("openai", ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini", "gpt-5", "gpt-5-mini")),
    ("anthropic", ("claude-3-5-sonnet", "claude-3-7-sonnet", "claude-sonnet-4", "claude-opus-4", "claude-haiku")),
    ("gemini", ("gemini-2.0-flash", "gemini-2.5-pro", "gemini-2.5-flash")),
    ("databricks", ("databricks-meta-llama-3-3-70b-instruct", "databricks-claude-sonnet-4", "databricks-dbrx")),
    ("bedrock", ("mistral-large", "llama3-1-405b", "nova-pro", "titan-text")),
)


def model_ids(count: int) -> list[str]:
    """``count`` distinct model ids: the bench models, then realistic provider/family names with a suffix."""
    ids = list(BENCH_MODELS[:count])
    index = 0
    while len(ids) < count:
        provider, families = _PROVIDERS[index % len(_PROVIDERS)]
        family = families[(index // len(_PROVIDERS)) % len(families)]
        ids.append(f"{provider}/{family}-team{index // 40:03d}-{index:04d}")
        index += 1
    return ids


def _event(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _response(status: str, text: str | None, model: str) -> dict[str, object]:
    output: list[object] = []
    usage: object = None
    if text is not None:
        output = [
            {
                "id": _ITEM_ID,
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
            }
        ]
        usage = {
            "input_tokens": 12,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": len(text) // 4,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 12 + len(text) // 4,
        }
    return {
        "id": _RESP_ID,
        "object": "response",
        "created_at": 1767225600,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _obfuscation(seq: int) -> str:
    return f"{(seq * 2654435761) & 0xFFFFFFFF:08x}"[: 4 + seq % 5]


@lru_cache(maxsize=4)
def huge_text(kind: str) -> str:
    """The text of a huge reply: a ~600 KB paragraph (12,000 lines, no blank line), a 3,000-row table (~95 KB),
    a 20,000-line code block, or 10 MB in one paragraph of 1 KB lines."""
    import random

    rng = random.Random(11)
    words = (
        "proxy model token stream usage limit window context latency request budget header retry region "
        "alpha beta gamma delta value config default timeout batch queue key team spend"
    ).split()
    if kind == "paragraph":
        lines = []
        for index in range(12_000):
            line = [rng.choice(words) for _ in range(7)]
            if index % 5 == 0:
                line[2] = f"**{line[2]}**"
            if index % 7 == 0:
                line[4] = f"`{line[4]}_{index}`"
            lines.append(" ".join(line) + ",")
        return "\n".join(lines) + "\n"
    if kind == "table":
        rows = ["| # | name | region | tokens |", "|--:|:--|:--|--:|"]
        for index in range(3_000):
            region = f"{rng.choice(words)}-{rng.randint(1, 9)}"
            rows.append(f"| {index} | {rng.choice(words)} | {region} | {rng.randint(1, 9999)} |")
        return "\n".join(rows) + "\n"
    if kind == "code":
        lines = ["```python"]
        for index in range(20_000):
            lines.append(f"    v{index} = f({rng.choice(words)!r}, {rng.randint(0, 99)})")
        lines.append("```")
        return "\n".join(lines) + "\n"
    if kind == "10mb":
        return ("0123456789abcdef" * 64 + "\n") * 10_000
    raise ValueError(kind)


def huge_deltas(kind: str) -> list[str]:
    text = huge_text(kind)
    if kind == "10mb":
        return [text]
    size = -(-len(text) // HUGE_DELTAS)
    return [text[index : index + size] for index in range(0, len(text), size)]


@lru_cache(maxsize=8)
def stream_parts(deltas_count: int, model: str) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """(prelude, one event per delta, epilogue with response.completed and [DONE]) of a reply."""
    from bench.render_widget import make_markdown_deltas

    huge = _HUGE.fullmatch(model)
    deltas = huge_deltas(huge.group(1)) if huge else make_markdown_deltas(deltas_count, DELTA_SEED)
    text = "".join(deltas)
    seq = 0

    def numbered(payload: dict[str, object]) -> bytes:
        nonlocal seq
        payload["sequence_number"] = seq
        seq += 1
        return _event(payload)

    prelude = b"".join(
        (
            numbered({"type": "response.created", "response": _response("in_progress", None, model)}),
            numbered({"type": "response.in_progress", "response": _response("in_progress", None, model)}),
            numbered(
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"id": _ITEM_ID, "type": "message", "status": "in_progress", "role": "assistant"}
                    | {"content": []},
                }
            ),
            numbered(
                {
                    "type": "response.content_part.added",
                    "item_id": _ITEM_ID,
                    "output_index": 0,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
                }
            ),
        )
    )
    events = tuple(
        numbered(
            {
                "type": "response.output_text.delta",
                "item_id": _ITEM_ID,
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
                "logprobs": [],
                "obfuscation": _obfuscation(index),
            }
        )
        for index, delta in enumerate(deltas)
    )
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    epilogue = b"".join(
        (
            numbered(
                {
                    "type": "response.output_text.done",
                    "item_id": _ITEM_ID,
                    "output_index": 0,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            ),
            numbered(
                {
                    "type": "response.content_part.done",
                    "item_id": _ITEM_ID,
                    "output_index": 0,
                    "content_index": 0,
                    "part": part,
                }
            ),
            numbered(
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {"id": _ITEM_ID, "type": "message", "status": "completed", "role": "assistant"}
                    | {"content": [part]},
                }
            ),
            numbered({"type": "response.completed", "response": _response("completed", text, model)}),
            b"data: [DONE]\n\n",
        )
    )
    return prelude, events, epilogue


@lru_cache(maxsize=8)
def stream_bytes(deltas_count: int, model: str) -> bytes:
    """The whole stream of a reply of ``deltas_count`` deltas, as the server sends it."""
    prelude, events, epilogue = stream_parts(deltas_count, model)
    return prelude + b"".join(events) + epilogue


def stream_event_count(deltas_count: int) -> int:
    """SSE events in that stream (``[DONE]`` included): 4 before the deltas, 5 after."""
    return deltas_count + 9


def parse_model(model: str) -> tuple[int, float | None]:
    """(deltas, rate or None) from a bench model id; 50 fast deltas for any other id."""
    huge = _HUGE.fullmatch(model)
    if huge is not None:
        count = len(huge_deltas(huge.group(1)))
        return count, (None if huge.group(1) == "10mb" else count / HUGE_SECONDS)
    match = _MODEL.fullmatch(model)
    if match is None:
        return 50, None
    return int(match.group(1)), float(match.group(2)) if match.group(2) else None


# ----------------------------------------------------------------------------------------------------
# The server


def _head(status: str, content_type: str, length: int | None) -> bytes:
    framing = "transfer-encoding: chunked" if length is None else f"content-length: {length}"
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{framing}\r\n"
        "cache-control: no-cache\r\nx-litellm-response-cost: 0.0012\r\n"
        "x-ratelimit-remaining-requests: 9999\r\nx-ratelimit-limit-requests: 10000\r\n\r\n"
    ).encode()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


@lru_cache(maxsize=8)
def chunked_stream(deltas_count: int, model: str) -> bytes:
    """The stream as an ASGI server (uvicorn under LiteLLM) sends it: one HTTP chunk per SSE event."""
    prelude, events, epilogue = stream_parts(deltas_count, model)
    head = [_chunk(event) for event in _split_events(prelude)]
    tail = [_chunk(event) for event in _split_events(epilogue)]
    return b"".join((*head, *map(_chunk, events), *tail, b"0\r\n\r\n"))


def _split_events(data: bytes) -> list[bytes]:
    return [part + b"\n\n" for part in data.split(b"\n\n") if part]


async def _send_json(writer: asyncio.StreamWriter, status: str, payload: object) -> None:
    body = json.dumps(payload).encode()
    writer.write(_head(status, "application/json", len(body)) + body)
    await writer.drain()


async def _stream(writer: asyncio.StreamWriter, model: str) -> None:
    count, rate = parse_model(model)
    writer.write(_head("200 OK", "text/event-stream", None))
    if rate is None:
        # As fast as the socket takes it: the whole chunked body at once (the server is never the bottleneck).
        writer.write(chunked_stream(count, model))
        await writer.drain()
        return
    prelude, events, epilogue = stream_parts(count, model)
    writer.write(b"".join(_chunk(event) for event in _split_events(prelude)))
    await writer.drain()
    start = time.perf_counter()
    for index, event in enumerate(events):
        writer.write(_chunk(event))
        await writer.drain()
        delay = start + (index + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    writer.write(b"".join(_chunk(event) for event in _split_events(epilogue)) + b"0\r\n\r\n")
    await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            path = target.split("?", 1)[0]
            models = 500
            prefixed = _PREFIX.match(path)
            if prefixed:
                models, path = int(prefixed.group(1)), prefixed.group(2)
            if method == "GET" and path == "/v1/models":
                data = [
                    {"id": mid, "object": "model", "created": 1767225600, "owned_by": "openai"}
                    for mid in model_ids(models)
                ]
                await _send_json(writer, "200 OK", {"object": "list", "data": data})
            elif method == "POST" and path == "/v1/responses":
                try:
                    model = str(json.loads(body).get("model", ""))
                except ValueError:
                    model = ""
                await _stream(writer, model)
            else:
                await _send_json(writer, "404 Not Found", {"error": {"message": "not found", "code": "404"}})
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(port: int = 0, *, ready: asyncio.Future[int] | None = None) -> None:
    """Listen on 127.0.0.1 (``port`` 0: any free port) until cancelled; ``ready`` gets the port."""
    server = await asyncio.start_server(_handle, "127.0.0.1", port, limit=1 << 20)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready.set_result(bound)
    else:
        print(f"PORT {bound}", flush=True)
    async with server:
        watchdog = asyncio.create_task(_exit_with_parent(os.getppid()))
        try:
            await server.serve_forever()
        finally:
            watchdog.cancel()


async def _exit_with_parent(parent: int) -> None:
    """Stop when the process that started the server is gone (a crashed bench leaves no server behind)."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    os._exit(0)


def main() -> None:
    # Pre-build the big stream so that the first request is served at full speed.
    chunked_stream(20_000, "bench-n20000")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    try:
        asyncio.run(serve(port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

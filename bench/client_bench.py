"""Reading the stream: llmconsole's ``ProxyClient.stream_response`` next to raw httpx and the ``openai`` SDK.

Each function reads one whole reply from the local server (same bytes, same socket server) and returns
``{"events": SSE events in the stream, "seconds": wall time from sending the request to the last event,
"events_per_s": ...}``. Every reader is checked: it must see every delta (a reader that stops early fails).
"""

from __future__ import annotations

import json
import time

import httpx

from bench.app_bench import bench_settings
from bench.sse_server import stream_event_count


def _result(deltas: int, seconds: float) -> dict[str, float]:
    events = stream_event_count(deltas)
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


async def measure_client(base_url: str, deltas: int) -> dict[str, float]:
    """``ProxyClient.stream_response`` over the socket; counts the TextDeltas and requires a Completed."""
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.events import Completed, TextDelta
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.models import ModelInfo

    model_id = f"bench-n{deltas}"
    client = ProxyClient(bench_settings(base_url, model_id))
    model = ModelInfo(id=model_id)
    conversation = Conversation()
    conversation.add_user("Write a long answer.")
    seen = 0
    last: object = None
    _ = client.http  # the pooled httpx client (and its SSL context) is made once per app, not per reply
    try:
        start = time.perf_counter()
        async for event in client.stream_response(model, conversation.to_request()):
            if type(event) is TextDelta:
                seen += 1
            last = event
        seconds = time.perf_counter() - start
    finally:
        await client.aclose()
    if seen != deltas or not isinstance(last, Completed):
        raise RuntimeError(f"ProxyClient saw {seen}/{deltas} deltas, last event {last!r}")
    return _result(deltas, seconds)


async def measure_raw(base_url: str, deltas: int, model: str | None = None) -> dict[str, float]:
    """httpx ``aiter_raw`` counting ``\\n\\n``-separated events: the floor any SSE client stands on.

    ``model``: another workload of the server (``deltas`` is then its number of deltas).
    """
    model = model or f"bench-n{deltas}"
    body = json.dumps({"model": model, "input": "Write a long answer.", "stream": True}).encode()
    async with httpx.AsyncClient(base_url=f"{base_url}/v1", timeout=60.0) as http:
        start = time.perf_counter()
        count = 0
        previous = b""
        async with http.stream("POST", "/responses", content=body) as response:
            async for chunk in response.aiter_raw():
                count += chunk.count(b"\n\n")
                if previous == b"\n" and chunk[:1] == b"\n":
                    count += 1
                previous = chunk[-1:]
        seconds = time.perf_counter() - start
    if count != stream_event_count(deltas):
        raise RuntimeError(f"raw reader counted {count} events, expected {stream_event_count(deltas)}")
    return _result(deltas, seconds)


async def measure_openai_sdk(base_url: str, deltas: int) -> dict[str, float]:
    """``openai.AsyncOpenAI(...).responses.create(stream=True)``, iterating its typed events."""
    import openai

    client = openai.AsyncOpenAI(base_url=f"{base_url}/v1", api_key="sk-bench", max_retries=0, timeout=60.0)
    seen = 0
    completed = False
    try:
        start = time.perf_counter()
        stream = await client.responses.create(model=f"bench-n{deltas}", input="Write a long answer.", stream=True)
        async for event in stream:
            if event.type == "response.output_text.delta":
                seen += 1
            elif event.type == "response.completed":
                completed = True
        seconds = time.perf_counter() - start
    finally:
        await client.close()
    if seen != deltas or not completed:
        raise RuntimeError(f"openai SDK saw {seen}/{deltas} deltas (completed: {completed})")
    return _result(deltas, seconds)


READERS = {"client": measure_client, "raw": measure_raw, "openai_sdk": measure_openai_sdk}

"""Records tests/data/litellm_sse_in_text_{responses,chat}.sse: real LiteLLM streams of a reply that explains SSE.

The reply's text holds ``data: ``, ``event: ``, blank lines and ``\\r\\n``, so the wire carries a literal
``data: `` and ``event: `` inside JSON strings. Run from the repository root with the test proxy available
(``LLMCONSOLE_LITELLM``): ``python tests/data/make_sse_in_text.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.proxy.fake_upstream import Behaviour, FakeUpstream  # noqa: E402
from tests.proxy.litellm_proxy import start_proxy  # noqa: E402

TEXT = (
    "An SSE stream is lines of text:\r\n\r\n"
    'event: message\ndata: {"a": 1}\n\n'
    "data: first line\r\ndata: second line\r\n\r\n"
    "Each `data: ` line adds to the event; a blank line ends it.\n\n\n"
    ": a comment, then event: done and data: done\n"
)
"""The reply: SSE explained, with its own field names, blank lines and CRLFs. Not ``[DONE]``: LiteLLM 1.99.4's
``databricks/`` provider drops an upstream chunk whose text holds ``[DONE]`` (the rest of the reply is lost
before it reaches us; seen while recording these)."""

DATA = Path(__file__).parent


def main() -> None:
    with FakeUpstream() as upstream, tempfile.TemporaryDirectory() as tmp:
        proxy = start_proxy(upstream, Path(tmp))
        try:
            for model in ("gpt-5.2", "claude-opus-4-6"):
                upstream.script(model, Behaviour(text=TEXT, deltas=24))
            headers = {**proxy.auth_headers, "Content-Type": "application/json"}
            for api, path, body in (
                ("responses", "/v1/responses", {"model": "gpt-5.2", "input": "Explain SSE", "stream": True}),
                (
                    "chat",
                    "/v1/chat/completions",
                    {
                        "model": "claude-opus-4-6",
                        "messages": [{"role": "user", "content": "Explain SSE"}],
                        "stream": True,
                        "stream_options": {"include_usage": True},
                    },
                ),
            ):
                with httpx.stream("POST", proxy.base_url + path, json=body, headers=headers, timeout=60) as response:
                    response.raise_for_status()
                    raw = b"".join(response.iter_raw())
                (DATA / f"litellm_sse_in_text_{api}.sse").write_bytes(raw)
                print(api, len(raw), "bytes", raw.count(b"data: "), "'data: '", file=sys.stderr)
        finally:
            proxy.stop()


if __name__ == "__main__":
    main()

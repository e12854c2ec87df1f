"""Issue 6 in the main screen: the quota gauge, the cost per reply and per conversation, the key's identity
in the header, and images (``@path`` and the f4 picker)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmconsole.core.demo import make_demo_transport
from llmconsole.core.events import Quota, Usage
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.ui.app import make_app
from llmconsole.ui.screens.image_picker import ImagePickerModal, image_paths
from llmconsole.ui.widgets.formatting import (
    format_cost,
    key_text,
    quota_text,
    reply_cost,
    total_cost_text,
)
from tests.ui.helpers import FakeClock, ScriptedDemo, demo_app, demo_settings, send, type_text, wait_ready, wait_until

SIZE = (130, 40)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.anyio


# -- pure helpers -------------------------------------------------------------------------------------


def test_quota_text_tokens_then_requests_and_reset_countdown() -> None:
    quota = Quota(remaining_tokens=84_000, limit_tokens=200_000, reset_tokens_s=37.0, remaining_requests=499)
    assert quota_text(quota) is not None
    assert quota_text(quota).plain == "tokens 42% left · resets 37s"  # type: ignore[union-attr]
    assert quota_text(quota, 10.2).plain == "tokens 42% left · resets 27s"  # type: ignore[union-attr]
    assert quota_text(quota, 40).plain == "tokens 42% left · window reset"  # type: ignore[union-attr]
    requests = Quota(remaining_requests=5, limit_requests=100)  # no tokens, no reset: none shown
    assert quota_text(requests).plain == "requests 5% left"  # type: ignore[union-attr]
    clamped = Quota(remaining_tokens=-20, limit_tokens=1000)
    assert quota_text(clamped).plain == "tokens 0% left"  # type: ignore[union-attr]
    assert quota_text(Quota(limit_tokens=1000)) is None


def test_costs_are_never_zero_for_unknown() -> None:
    assert format_cost(None) == "cost unknown"
    assert format_cost(0.0073) == "$0.0073"
    assert format_cost(0.000001) == "<$0.0001"
    assert format_cost(0.0) == "$0.0000"
    assert format_cost(12.5) == "$12.50"
    usage = Usage(input_tokens=10, output_tokens=10, cost=None)
    assert reply_cost(0.25, usage) == 0.25  # the proxy's header wins
    assert reply_cost(0.0, usage) is None  # a 0 header (streamed replies) is no cost
    assert reply_cost(None, Usage(cost=0.5)) == 0.5
    assert total_cost_text(0.0, 0, 0) is None
    assert total_cost_text(0.5, 2, 0) == "total $0.5000"
    assert total_cost_text(0.5, 1, 1) == "total ≥ $0.5000"
    assert total_cost_text(0.0, 0, 2) == "total unknown"
    assert key_text("team", 0.42, 10.0) == "key team · $0.42 / $10.00"
    assert key_text(None, 1.5, None) == "key · $1.50"
    assert key_text(None, None, None) is None


# -- quota gauge ----------------------------------------------------------------------------------------


async def test_quota_gauge_per_model_counts_down_from_the_clock() -> None:
    clock = FakeClock()
    app = demo_app(clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert "left" not in main.status_bar.plain  # nothing said yet
        await send(pilot, app, "hi")
        usage = main.conversation.messages[-1].usage
        assert usage is not None
        used = usage.input_tokens + usage.output_tokens
        percent = round(100 * (200_000 - used) / 200_000)
        assert f"tokens {percent}% left · resets 60s" in main.status_bar.plain
        clock.advance(23.4)
        assert "resets 37s" in main.status_bar.plain
        assert main.status_bar._quota_timer is not None  # the line is rebuilt every second
        await pilot.pause(1.2)
        assert "resets 37s" in str(main.status_bar.render())
        main.select_model("demo-llama-3-70b")  # no reply from it yet: no gauge
        assert "left" not in main.status_bar.plain
        await send(pilot, app, "hi")
        assert "tokens" in main.status_bar.plain and "left" in main.status_bar.plain
        main.select_model("demo-gpt-5")
        assert "resets 37s" in main.status_bar.plain  # each model keeps its own


# -- cost -------------------------------------------------------------------------------------------------


async def test_reply_line_and_status_bar_show_costs_unknown_never_zero() -> None:
    transport = make_demo_transport(delta_delay=0)
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        reply = main.pane.replies[-1]
        cost = reply.message.usage.cost  # type: ignore[union-attr]
        assert cost is not None and cost > 0
        assert format_cost(cost) in str(reply.telemetry.render())
        assert f"total {format_cost(cost)}" in main.status_bar.plain
        main.select_model("demo-llama-3-70b")  # no prices
        await send(pilot, app, "hi")
        line = str(main.pane.replies[-1].telemetry.render())
        assert "cost unknown" in line and "$0.0000" not in line
        assert f"total ≥ {format_cost(cost)}" in main.status_bar.plain
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "total" not in main.status_bar.plain
        await send(pilot, app, "hi")
        assert "total unknown" in main.status_bar.plain


async def test_header_cost_wins_over_the_estimate() -> None:
    class CostlyDemo(ScriptedDemo):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.method == "POST":
                response.headers["x-litellm-response-cost"] = "1.25"
            return response

    app = demo_app(CostlyDemo(), clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        assert "$1.25" in str(main.pane.replies[-1].telemetry.render())
        assert "total $1.25" in main.status_bar.plain


# -- key identity ---------------------------------------------------------------------------------------


async def test_key_alias_spend_and_budget_in_the_header_and_spend_follows_replies() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await wait_until(pilot, lambda: main.key_info is not None)
        assert main.title == "llmconsole · key demo-key · $0.42 / $10.00"
        await send(pilot, app, "long")  # the demo's spend header grows with every priced reply
        assert main.key_info is not None and main.key_info.spend is not None
        assert main.key_info.spend > 0.42
        assert main.title == f"llmconsole · key demo-key · ${main.key_info.spend:,.2f} / $10.00"


async def test_key_info_from_a_mock_transport() -> None:
    """The positive path against a LiteLLM-shaped ``/key/info`` (a real proxy without a database refuses it)."""
    demo = make_demo_transport(delta_delay=0)

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/key/info":
            info = {"key_alias": "team-research", "spend": 3.5, "max_budget": None}
            return httpx.Response(200, json={"key": "hashed", "info": info})
        return await demo.handle_async_request(request)

    settings = demo_settings()
    app = make_app(settings, client=ProxyClient(settings, transport=httpx.MockTransport(handler)), clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await wait_until(pilot, lambda: main.key_info is not None)
        assert main.title == "llmconsole · key team-research · $3.50"


async def test_key_info_refused_shows_nothing() -> None:
    app = demo_app(ScriptedDemo(model_ids=["only-model"]), clock=FakeClock())  # every other GET is a 404
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.key_info is None
        assert main.title == "llmconsole"


# -- images -----------------------------------------------------------------------------------------------


def _image_parts(body: dict[str, Any]) -> list[str]:
    urls = []
    for item in body["input"]:
        content = item.get("content")
        if isinstance(content, list):
            urls += [part["image_url"] for part in content if part.get("type") == "input_image"]
    return urls


async def test_at_path_attaches_an_image_shown_before_and_after(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt(f"what is this @{image}")
        await pilot.pause()
        assert main.attachments.display
        assert "@cat.png" in main.attachments.plain  # the chip before sending
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        assert _image_parts(transport.posts[-1]) == [url]
        user = main.conversation.messages[0]
        assert user.text == "what is this" and user.attachments == [url]
        assert "▣ 1 image: image/png 72 B" in str(main.pane.query(".user-message").first().render())
        assert "I received an image of 72 bytes" in main.pane.replies[-1].text
        assert not main.attachments.display


async def test_image_errors_are_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)

        async def refused(prompt: str, message: str) -> None:
            app.clear_notifications()
            main.prompt.set_prompt(prompt)
            await pilot.press("enter")
            await app.workers.wait_for_complete()  # @path files are read on a thread
            await pilot.pause()
            notes = [n.message for n in app._notifications]
            assert any(message in n for n in notes), notes
            assert main.prompt.text == prompt  # nothing lost, nothing sent
            assert transport.posts == []

        await refused(f"look @{text_file}", "not a PNG, JPEG, GIF or WebP image")
        monkeypatch.setattr("llmconsole.core.images.MAX_IMAGE_BYTES", 10)
        await refused(f"look @{image}", "over the 0 MB limit")
        monkeypatch.undo()
        main.select_model("demo-llama-3-70b")
        await refused(f"look @{image}", "demo-llama-3-70b has no image input")
        await pilot.press("f4")  # the picker does not even open for a text-only model
        await pilot.pause()
        assert not isinstance(app.screen, ImagePickerModal)
        assert any("has no image input" in n.message for n in app._notifications)


async def test_f4_picker_attaches_an_image(tmp_path: Path) -> None:
    image = tmp_path / "shot.png"
    image.write_bytes(PNG)
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerModal))
        await type_text(pilot, str(image))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main)
        assert "shot.png 72 B" in main.attachments.plain
        await type_text(pilot, "describe")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(_image_parts(transport.posts[-1])) == 1
        assert main.conversation.messages[0].text == "describe"
        assert not main.attachments.attachments


def test_picker_tree_shows_only_images(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "b.txt").write_text("x")
    (tmp_path / ".hidden.png").write_bytes(PNG)
    (tmp_path / "sub").mkdir()
    assert {p.name for p in image_paths(tmp_path.iterdir())} == {"a.png", "sub"}


def test_demo_sends_quota_headers() -> None:
    """Guard: the demo transport's replies carry the headers the gauge reads."""
    body = json.dumps({"model": "demo-gpt-5", "input": "hi", "stream": False}).encode()

    async def run() -> httpx.Response:
        transport = make_demo_transport(delta_delay=0)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            return await client.post("/v1/responses", content=body)

    import asyncio

    response = asyncio.run(run())
    assert response.headers["x-ratelimit-limit-tokens"] == "200000"


class TestGaugeCostImageSnapshot:
    def test_gauge_cost_and_image_chip(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """After one demo reply: the reply line with its cost, the status bar with the quota gauge
        (`tokens … left · resets …`) and the conversation total, the header with the key's alias, spend and
        budget; above the prompt, the chip of an image attached with `@dot.png`."""
        (tmp_path / "dot.png").write_bytes(PNG)
        monkeypatch.chdir(tmp_path)  # `@dot.png` is relative: the same text in every run

        async def run_before(pilot: Any) -> None:
            app = pilot.app
            main = await wait_ready(pilot, app)
            main.prompt.cursor_blink = False  # a blink under load would change the snapshot
            await send(pilot, app, "hi")
            main.prompt.set_prompt("and this? @dot.png")
            await pilot.pause()
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=(120, 40), run_before=run_before)


async def test_resend_keeps_the_prompts_images(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt(f"what is this @{image}")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        assert len(transport.posts) == 1 and _image_parts(transport.posts[0]) == [url]
        await pilot.press("ctrl+r")  # the last prompt again, as a new message
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: len(main.conversation.messages) == 4)
        assert len(transport.posts) == 2
        assert _image_parts(transport.posts[1]) == [url, url]  # the first turn's image and the resent one's
        users = [m for m in main.conversation.messages if m.role == "user"]
        assert [(u.text, u.attachments) for u in users] == [("what is this", [url])] * 2
        assert "I received an image of 72 bytes" in main.pane.replies[-1].text


async def test_a_pdf_is_read_off_the_event_loop_and_its_size_checked_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``@doc.pdf``: the file is read and encoded on a worker thread (the screen keeps drawing), and a PDF over
    the limit is refused by its size, unread (a sparse 1 GB file: reading it would take seconds and 1 GB)."""
    import threading

    from llmconsole.core import attachments

    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(1024**3)
    threads: list[threading.Thread] = []
    reads: list[Path] = []
    real_load, real_read = attachments.load_pdf, Path.read_bytes

    def load_pdf(path: Path | str) -> Any:
        threads.append(threading.current_thread())
        return real_load(path)

    def read_bytes(self: Path) -> bytes:
        reads.append(self)
        return real_read(self)

    monkeypatch.setattr(attachments, "load_pdf", load_pdf)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt(f"summarise @{huge}")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: any("over the 32 MB limit" in n.message for n in app._notifications))
        assert huge not in reads and transport.posts == [] and main.prompt.text == f"summarise @{huge}"
        main.prompt.set_prompt(f"summarise @{pdf}")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: len(transport.posts) == 1)
    assert threads and all(t is not threading.main_thread() for t in threads)
    parts = [
        p for item in transport.posts[0]["input"] if isinstance(item.get("content"), list) for p in item["content"]
    ]
    assert any(p.get("type") == "input_file" for p in parts), parts

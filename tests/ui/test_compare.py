"""Compare mode (issue 6): f3 opens it, 2–4 models answer one prompt side by side, a rate limit stays in its
column, Escape cancels all, the comparison is stored (kind ``compare``) and one answer can be continued."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from textual.pilot import Pilot

from llmconsole.core.chat.tree import all_messages
from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.persistence import FLUSH_INTERVAL_S
from llmconsole.ui.screens.compare import CompareColumn, CompareScreen
from llmconsole.ui.widgets.prompt import PromptInput
from tests.ui.helpers import FakeClock, GatedStream, ScriptedDemo, demo_app, type_text, wait_ready, wait_until

SIZE = (150, 40)
THREE = ["demo-gpt-5", "demo-claude-haiku-4-5", "demo-ratelimited"]


async def _open_compare(pilot: Pilot[Any], app: LLMConsoleApp) -> CompareScreen:
    await wait_ready(pilot, app)
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def _run_three(pilot: Pilot[Any], app: LLMConsoleApp, prompt: str = "hello there") -> CompareScreen:
    """f3, pick demo-claude-haiku-4-5 and demo-ratelimited with the keyboard (demo-gpt-5 is preselected),
    type the prompt, Enter; wait until every column has ended."""
    screen = await _open_compare(pilot, app)
    assert screen.selection.selected == ["demo-gpt-5"]  # the current model
    assert app.focused is screen.selection  # one model preselected: picking comes first, not the prompt
    ids = [m.id for m in screen.models]
    for model_id in ("demo-claude-haiku-4-5", "demo-ratelimited"):
        while screen.selection.highlighted is None or ids[screen.selection.highlighted] != model_id:
            await pilot.press("down")
        await pilot.press("space")
    assert screen.selection.selected == THREE
    await pilot.press("tab")
    await type_text(pilot, prompt)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(screen.columns) == 3 and all(c.finished for c in screen.columns))
    await pilot.pause()
    return screen


@pytest.mark.anyio
async def test_three_models_one_rate_limited_others_finish() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run_three(pilot, app)
        by_model = {c.model.id: c for c in screen.columns}
        for model_id in ("demo-gpt-5", "demo-claude-haiku-4-5"):
            column = by_model[model_id]
            assert column.message.status == "completed"
            assert "Welcome to the llmconsole demo" in column.text
            line = str(column.telemetry.render())
            assert "TTFT 0.00s" in line and "completed" in line
            assert "tok/s" not in line  # a frozen clock: the reply came "in one burst", no rate is shown
            assert "$0.00" in line and "cost unknown" not in line  # the demo's prices
            assert f"out {column.message.usage.output_tokens:,}" in line  # type: ignore[union-attr]
        limited = by_model["demo-ratelimited"]
        assert limited.message.status == "rate_limited"
        assert limited.text == ""
        error = str(limited.error_line.render())
        assert error.startswith("Rate limited:") and "retry after 15 seconds" in error
        assert "rate limited" in str(limited.telemetry.render())
        assert limited.border_subtitle == "rate limited"
        assert "-failed" in limited.classes
        assert screen.query_one("#compare-setup").display is False
        # the quota of each answered model reached the main screen
        main = app.main_screen
        assert main is not None
        assert set(main.quotas) == {"demo-gpt-5", "demo-claude-haiku-4-5"}


@pytest.mark.anyio
async def test_escape_cancels_every_column_then_closes() -> None:
    transport = ScriptedDemo(gated=True)
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_compare(pilot, app)
        assert screen.start("hold on", ["demo-gpt-5", "demo-claude-haiku-4-5"])
        await wait_until(pilot, lambda: len(transport.streams) == 2 and all(c.text for c in screen.columns))
        assert screen.streaming
        await pilot.press("escape")
        await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
        assert [c.message.status for c in screen.columns] == ["cancelled", "cancelled"]
        assert all(c.text == "Hello partial" for c in screen.columns)  # the partial text stays
        assert all(stream.closed for stream in transport.streams)  # the HTTP responses were closed
        assert app.screen is screen  # the first Escape only cancels
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        assert isinstance(app.focused, PromptInput)


@pytest.mark.anyio
async def test_needs_two_to_four_models_and_a_prompt() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_compare(pilot, app)
        await pilot.press("tab")  # from the model list to the prompt
        await type_text(pilot, "hi")
        await pilot.press("enter")  # only the current model is selected
        await pilot.pause()
        assert screen.columns == []
        assert "1 selected (pick 2–4)" in str(screen.query_one("#compare-count").render())
        five = [m.id for m in screen.models[:5]]
        assert not screen.start("hi", five)
        assert not screen.start("   ", five[:2])
        assert screen.columns == []


@pytest.mark.anyio
async def test_continue_an_answer_as_a_conversation_and_history(tmp_path: Any) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    app = demo_app(clock=FakeClock())
    app.history.history = store
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run_three(pilot, app, "compare this")
        haiku = screen.columns[1]
        assert haiku.model.id == "demo-claude-haiku-4-5"
        gpt_text = screen.columns[0].message.text
        await pilot.press("3")  # the rate-limited column has nothing to continue
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("2")
        main = app.main_screen
        assert main is not None
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "demo-claude-haiku-4-5"
        roles = [(m.role, m.text) for m in main.conversation.messages]
        assert roles == [("user", "compare this"), ("assistant", haiku.message.text)]
        assert main.pane.replies[0].text == haiku.message.text
        assert "total $0.00" in main.status_bar.plain
        # The comparison is the conversation: the other answers (gpt-5's, the rate-limited attempt) beside it.
        assert {m.model for m in main.conversation.others} == {"demo-gpt-5", "demo-ratelimited"}
        assert all(m.parent_id == main.conversation.messages[0].id for m in main.conversation.others)
        assert next(m for m in main.conversation.others if m.model == "demo-gpt-5").text == gpt_text
        assert main.pane.replies[0].position == (2, 3)
        compared_id = main.conversation.id
        # and it goes on as a normal conversation with that model
        await type_text(pilot, "and more")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: len(main.conversation.messages) == 4)
        assert main.conversation.id == compared_id
        await app.history.drain()
        summaries = store.list_conversations()
    # One conversation: the comparison, continued (a chat now, on the chosen answer's model).
    assert [(s.id, s.kind, s.model) for s in summaries] == [(compared_id, "chat", "demo-claude-haiku-4-5")]
    chat = store.load(compared_id)
    assert [m.text for m in chat.messages][:2] == ["compare this", haiku.message.text]
    assert len(chat.messages) == 4
    assert sorted(m.model or "" for m in chat.others) == ["demo-gpt-5", "demo-ratelimited"]
    limited = next(m for m in chat.others if m.model == "demo-ratelimited")
    assert limited.status == "rate_limited"  # the failed answer is kept too
    store.close()


@pytest.mark.anyio
async def test_enter_on_a_focused_column_continues_it() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_compare(pilot, app)
        assert screen.start("hi", ["demo-gpt-5", "demo-gemini-2-flash"])
        await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
        screen.columns[1].focus()
        await pilot.press("enter")
        main = app.main_screen
        assert main is not None
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "demo-gemini-2-flash"


@pytest.mark.anyio
async def test_palette_entry_opens_compare() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "compare models")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))


class TestCompareSnapshot:
    def test_compare_three_columns(self, snap_compare: Any) -> None:
        """Three columns after the run: two finished demo replies with their telemetry (tokens, cost, TTFT
        0.00s from the frozen clock, completed) and demo-ratelimited with its rate-limit line; the titles read
        "1/3 …", "2/3 …", "3/3 …" and the line above says where focus is and the keys that move it."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            screen = await _open_compare(pilot, app)
            assert screen.start("hello there", THREE)
            await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
            await app.workers.wait_for_complete()
            app.clear_notifications()
            screen.columns[0].focus()
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=SIZE, run_before=run_before)


def test_column_is_focusable() -> None:
    assert CompareColumn.can_focus


class _SteppedStream(GatedStream):
    """``Hello``, then (after :attr:`step`) `` partial``, then (after ``release``) `` rest`` and completed."""

    def __init__(self) -> None:
        super().__init__(["Hello"], [" rest"])
        self.step = anyio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._event({"type": "response.output_text.delta", "delta": "Hello"})
        await self.step.wait()
        yield self._event({"type": "response.output_text.delta", "delta": " partial"})
        await self.release.wait()
        yield self._event({"type": "response.output_text.delta", "delta": " rest"})
        usage = {"input_tokens": 3, "output_tokens": 5}
        yield self._event({"type": "response.completed", "response": {"id": "r1", "usage": usage}})
        yield b"data: [DONE]\n\n"


class _SteppedDemo(ScriptedDemo):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            self.posts.append(json.loads(request.content))
            stream = _SteppedStream()
            self.streams.append(stream)
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        return await super().handle_async_request(request)


def _sides(store: HistoryStore) -> dict[str, list[tuple[str, str, str | None]]]:
    """Each stored answer of the comparison (one conversation) by model: (role, text, status) of the prompt
    and of that answer."""
    (summary,) = store.list_conversations()  # one comparison, one conversation
    assert summary.kind == "compare"
    messages = all_messages(store.load(summary.id))
    (prompt,) = [m for m in messages if m.role == "user"]
    answers = [m for m in messages if m.role == "assistant"]
    assert all(m.parent_id == prompt.id for m in answers)  # the answers are siblings
    return {m.model or "": [("user", prompt.text, None), ("assistant", m.text, m.status)] for m in answers}


@pytest.mark.anyio
async def test_compare_columns_are_saved_while_they_stream(tmp_path: Any) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    transport = _SteppedDemo()
    app = demo_app(transport, clock=FakeClock())
    app.history.history = AsyncHistory(store)
    models = ["demo-gpt-5", "demo-claude-haiku-4-5"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_compare(pilot, app)
        assert screen.start("slow compare", models)
        await wait_until(pilot, lambda: len(transport.streams) == 2 and all(c.text for c in screen.columns))
        # the requests are out: each side's prompt and its streaming reply are rows already
        await app.history.drain()
        sides = _sides(store)
        assert sides == {m: [("user", "slow compare", None), ("assistant", "", "streaming")] for m in models}
        await asyncio.sleep(FLUSH_INTERVAL_S + 0.05)  # the next delta is due for a write
        for stream in transport.streams:
            stream.step.set()  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: all(c.text == "Hello partial" for c in screen.columns))
        await app.history.drain()
        assert not any(c.finished for c in screen.columns)
        sides = _sides(store)
        assert {m: side[1][1:] for m, side in sides.items()} == {m: ("Hello partial", "streaming") for m in models}
        for stream in transport.streams:
            stream.release.set()
        await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
        await app.history.drain()
    sides = _sides(store)
    assert {m: side[1][1:] for m, side in sides.items()} == {m: ("Hello partial rest", "completed") for m in models}
    store.close()

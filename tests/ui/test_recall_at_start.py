"""Up right after start recalls the earlier runs' prompts (issue 20 item 14).

The history opens after the first frame, so its prompts arrive a moment later; an up pressed before then (into
the first frame's drawing of the prompt, or into the editor) waits for them instead of recalling nothing. The
moments are ours: the history factory and the editor each wait for an event the test sets.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.widgets.prompt_preview import PromptPreview
from tests.ui.helpers import FakeClock, demo_app, demo_settings, send, wait_ready, wait_until
from tests.ui.test_history_ui import make_conversation
from tests.ui.test_prompt_preview import _preview_up, feed, held_editor

__all__ = ["held_editor"]  # (a fixture)

pytestmark = pytest.mark.anyio

UP = "\x1b[A"


def stored_prompts(path: Path) -> None:
    with HistoryStore(path) as store:
        make_conversation(store, "a" * 32, "first prompt", "one", when=1_735_689_600.0)
        make_conversation(store, "b" * 32, "second prompt", "two", when=1_735_689_700.0)


def gated_app(path: Path, gate: asyncio.Event, *, fail: bool = False, stored: bool = True) -> LLMConsoleApp:
    """The demo app whose history opens once ``gate`` is set (with the two stored prompts unless ``stored`` is
    False; ``fail`` makes the opening fail)."""
    if stored:
        stored_prompts(path)

    async def factory(demo: bool) -> AsyncHistory:
        await gate.wait()
        if fail:
            raise OSError("disk on fire")
        return await AsyncHistory.open(path)

    return LLMConsoleApp(demo_settings(), client=demo_app().client, history_factory=factory, clock=FakeClock())


async def test_up_pressed_before_the_earlier_prompts_arrive_waits_for_them(tmp_path: Path) -> None:
    gate = asyncio.Event()
    app = gated_app(tmp_path / "history.sqlite3", gate)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("up", "up")
        assert main.prompt.text == "" and main.prompt.sent == []  # nothing to recall yet: the keys wait
        gate.set()
        await wait_until(pilot, lambda: main.prompt.text == "first prompt")  # both ups, in order
        await pilot.press("down")
        assert main.prompt.text == "second prompt"


async def test_up_pressed_into_the_first_frame_drawing_is_kept(tmp_path: Path, held_editor: asyncio.Event) -> None:
    gate = asyncio.Event()
    app = gated_app(tmp_path / "history.sqlite3", gate)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await _preview_up(pilot, app)
        feed(app, UP)
        await wait_until(pilot, lambda: main.query_one(PromptPreview).typed == [("up", "")])
        held_editor.set()
        await wait_until(pilot, lambda: bool(main.query("#prompt")))
        gate.set()
        await wait_until(pilot, lambda: main.prompt.text == "second prompt")


async def test_up_is_not_kept_waiting_when_the_history_cannot_open(tmp_path: Path) -> None:
    gate = asyncio.Event()
    app = gated_app(tmp_path / "history.sqlite3", gate, fail=True, stored=False)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("up")
        gate.set()
        await wait_until(pilot, lambda: any("History disabled" in n.message for n in app._notifications))
        await wait_until(pilot, lambda: not main.prompt.earlier_pending)
        await send(pilot, app, "typed now")
        await pilot.press("up")
        assert main.prompt.text == "typed now"

"""The message mode never goes stale (issue 20 item 1), and the console's busy state (issue 17 §1, §3).

One rule for every action of the mode: after ``r``, ``m``, ``e`` and ``c`` the screen returns to the prompt
(the selection cleared); ``left``/``right`` keep the selection on the version they switched to. The key bar
shows only the keys that do something at that moment. Each action, then each key.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from llmconsole.core.chat.compact import SUMMARY_PROMPT
from llmconsole.core.store.history import HistoryStore
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.widgets.conversation import ConversationPane
from llmconsole.ui.widgets.prompt import PromptInput
from tests.ui.helpers import FakeClock, ScriptedDemo, demo_app, send, type_text, wait_ready, wait_until

SIZE = (120, 40)
pytestmark = pytest.mark.anyio
MODE_KEYS = {"e": "edit_message", "r": "regenerate", "m": "regenerate_with", "c": "copy_message"}


def footer_actions(main: MainScreen) -> set[str]:
    """The actions the key bar offers now."""
    return {key.action.removeprefix("screen.").split("(")[0] for key in main.footer.query(FooterKey)}


async def two_turns(pilot: Pilot[Any], app: LLMConsoleApp) -> MainScreen:
    main = await wait_ready(pilot, app)
    await send(pilot, app, "one")
    await send(pilot, app, "two")
    return main


async def select(pilot: Pilot[Any], main: MainScreen, *ups: str) -> None:
    await pilot.press("ctrl+up", *ups)
    await wait_until(pilot, lambda: main.pane.selected_message is not None)
    await pilot.pause()


async def back_at_the_prompt(pilot: Pilot[Any], app: LLMConsoleApp, main: MainScreen) -> None:
    """Focus is in the prompt, nothing is selected, the key bar offers no message key, and every key of the
    mode does what it does in the prompt (types, moves the cursor)."""
    await app.workers.wait_for_complete()
    await wait_until(pilot, lambda: isinstance(app.focused, PromptInput) and main.pane.selected_message is None)
    await pilot.pause()
    assert not footer_actions(main) & {*MODE_KEYS.values(), "sibling", "leave_messages"}
    before = main.prompt.text
    await pilot.press("left", "right")
    await type_text(pilot, "ermc")
    assert main.prompt.text == before + "ermc"
    main.prompt.clear()


@pytest.mark.parametrize("key", ["r", "m", "e", "c"])
async def test_each_action_returns_to_the_prompt(key: str) -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await two_turns(pilot, app)
        if key == "e":
            await select(pilot, main, "up")  # the prompt "two"
        else:
            await select(pilot, main)  # the last reply
        assert footer_actions(main) >= {MODE_KEYS[key], "leave_messages"}
        await pilot.press(key)
        if key == "m":
            await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
            await pilot.press("enter")
        await back_at_the_prompt(pilot, app, main)
        if key in ("r", "m"):
            assert main.pane.replies[-1].position == (2, 2)  # the new answer, beside the old one
        if key == "e":
            assert main.editing is not None and main.editing.text == "two"


async def test_cancelled_picker_after_m_also_returns_to_the_prompt() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await two_turns(pilot, app)
        await select(pilot, main)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await pilot.press("escape")
        await back_at_the_prompt(pilot, app, main)


async def test_left_right_keep_the_selection_on_the_version_they_show() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await two_turns(pilot, app)
        await select(pilot, main)
        assert "sibling" not in footer_actions(main)  # one version only: no branch keys
        await pilot.press("r")
        await back_at_the_prompt(pilot, app, main)
        await select(pilot, main)
        assert "sibling" in footer_actions(main)
        newest = main.pane.selected_message
        await pilot.press("left")
        await wait_until(pilot, lambda: main.pane.selected_message not in (None, newest))
        assert isinstance(app.focused, ConversationPane)
        assert main.pane.replies[-1].position == (1, 2)
        await pilot.press("right")  # the keys keep working on the new selection
        await wait_until(pilot, lambda: main.pane.selected_message is newest)
        await pilot.press("escape")
        await back_at_the_prompt(pilot, app, main)


async def test_the_key_bar_offers_edit_only_on_a_prompt() -> None:
    app = demo_app(clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await two_turns(pilot, app)
        await select(pilot, main)
        assert "edit_message" not in footer_actions(main) and "regenerate" in footer_actions(main)
        await pilot.press("up")
        await wait_until(pilot, lambda: getattr(main.pane.selected_message, "role", "") == "user")
        await pilot.pause()
        assert "edit_message" in footer_actions(main)


# -- busy (issue 17 §1, §3) ---------------------------------------------------------------------------------


async def test_a_prompt_sent_while_a_reply_streams_stays_in_the_input_with_one_line() -> None:
    transport = ScriptedDemo(gated=True)
    app = demo_app(transport, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(transport.streams))
        assert main.session.busy == "reply"
        app.clear_notifications()
        await type_text(pilot, "second")
        await pilot.press("enter")
        await pilot.pause()
        assert main.prompt.text == "second" and len(transport.posts) == 1
        (note,) = [n.message for n in app._notifications]
        assert "waits" in note and "\n" not in note
        transport.streams[0].release.set()
        await wait_until(pilot, lambda: main.session.busy is None)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(transport.posts) == 2)
        assert [i["content"] for i in transport.posts[-1]["input"]][-1] == "second"


async def test_sending_during_compaction_waits_and_ctrl_n_keeps_the_summary(tmp_path: Any) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    transport = ScriptedDemo()
    app = demo_app(transport, clock=FakeClock())
    app.history.history = store
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        for prompt in ("one", "two", "three"):
            await send(pilot, app, prompt)
        compacted = main.conversation
        transport.gated = True
        await pilot.press("f8")
        await wait_until(pilot, lambda: main.session.busy == "compaction" and bool(transport.streams))
        app.clear_notifications()
        await type_text(pilot, "meanwhile")
        await pilot.press("enter")
        await pilot.pause()
        assert main.prompt.text == "meanwhile", "the prompt waits in the input"
        assert any("compacted" in n.message and "waits" in n.message for n in app._notifications)
        posts = len(transport.posts)
        await pilot.press("ctrl+n")  # leave before the summary is in
        await pilot.pause()
        assert main.conversation is not compacted and main.session.busy is None
        transport.streams[-1].release.set()
        await wait_until(pilot, lambda: compacted.messages[0].text == SUMMARY_PROMPT, timeout=20)
        await app.workers.wait_for_complete()
        assert main.conversation.messages == [] and len(transport.posts) == posts
        await app.history.drain()
    stored = store.load(compacted.id)
    assert [m.text for m in stored.messages][0] == SUMMARY_PROMPT  # the summary paid for is saved, active
    assert stored.messages[1].text and stored.messages[1].role == "assistant"
    assert {m.text for m in stored.others} >= {"one", "two", "three"}  # the original stays
    store.close()

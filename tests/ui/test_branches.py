"""The message cursor and branches in the console: select, edit, regenerate, switch siblings (Pilot + snapshot)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from llmconsole.core.store.history import HistoryStore
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.widgets.conversation import AssistantReply, ConversationPane, UserMessage
from tests.ui.helpers import FakeClock, demo_app, send, wait_ready, wait_until

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


def texts(app: LLMConsoleApp) -> list[str]:
    main = app.main_screen
    assert main is not None
    return [m.text for m in main.conversation.messages]


def selected(app: LLMConsoleApp) -> list[Any]:
    main = app.main_screen
    assert main is not None
    return [w for w in main.pane.mounted_widgets if w.has_class("-selected")]


async def test_ctrl_up_selects_messages_and_escape_returns_to_the_prompt() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "one")
        await send(pilot, app, "two")
        await pilot.press("ctrl+up")
        await wait_until(pilot, lambda: main.pane.selected_message is not None)
        assert isinstance(app.focused, ConversationPane)
        assert main.pane.selected_message is main.conversation.messages[-1]
        (widget,) = selected(app)
        assert isinstance(widget, AssistantReply)
        await pilot.press("up")
        await wait_until(pilot, lambda: main.pane.selected_message is main.conversation.messages[2])
        await pilot.press("home")
        await wait_until(pilot, lambda: main.pane.selected_message is main.conversation.messages[0])
        (widget,) = selected(app)
        assert isinstance(widget, UserMessage) and widget.message.text == "one"
        await pilot.press("c")
        assert app.clipboard == "one"
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is main.prompt and selected(app) == []


async def test_edit_sends_a_sibling_branch_and_left_right_switch_between_them() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "one")
        await send(pilot, app, "two")
        first_two = main.conversation.messages[2]
        await pilot.press("ctrl+up", "up", "e")
        await pilot.pause()
        assert main.prompt.text == "two" and app.focused is main.prompt and main.editing is first_two
        await pilot.press("end", "space", "b", "i", "s")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: len(main.conversation.messages) == 4 and main.conversation.messages[2].text == "two bis"
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert texts(app)[:3] == ["one", main.conversation.messages[1].text, "two bis"]
        assert first_two in main.conversation.others  # the original branch stays
        edited = main.conversation.messages[2]
        assert edited.parent_id == first_two.parent_id
        users = [w for w in main.pane.mounted_widgets if isinstance(w, UserMessage)]
        assert users[-1].position == (2, 2) and users[0].position == (1, 1)
        # Back to the first version: its reply comes with it.
        await pilot.press("ctrl+up", "up", "left")
        await wait_until(pilot, lambda: main.conversation.messages[2] is first_two)
        await wait_until(pilot, lambda: main.pane.selected_message is first_two)
        assert [w.position for w in main.pane.mounted_widgets if isinstance(w, UserMessage)][-1] == (1, 2)
        await pilot.press("right")
        await wait_until(pilot, lambda: main.conversation.messages[2] is edited)


async def test_regenerate_makes_a_sibling_reply_with_the_same_or_a_picked_model() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        first = main.conversation.messages[1]
        await pilot.press("ctrl+up", "r")
        await wait_until(pilot, lambda: main.conversation.messages[-1] is not first)
        await app.workers.wait_for_complete()
        await pilot.pause()
        second = main.conversation.messages[-1]
        assert second.status == "completed" and second.parent_id == first.parent_id
        assert len(main.conversation.messages) == 2 and first in main.conversation.others
        assert main.pane.replies[-1].position == (2, 2)
        # m: another model answers, beside the other two.
        await pilot.press("ctrl+up", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await pilot.press(*"haiku", "enter")
        await wait_until(pilot, lambda: main.conversation.messages[-1] not in (first, second))
        await app.workers.wait_for_complete()
        await pilot.pause()
        third = main.conversation.messages[-1]
        assert third.model == "demo-claude-haiku-4-5" and main.pane.replies[-1].position == (3, 3)
        await pilot.press("ctrl+up", "left")
        await wait_until(pilot, lambda: main.conversation.messages[-1] is second)


async def test_a_switched_branch_is_the_one_the_conversation_opens_on() -> None:
    from tests.ui.test_history_ui import history_app

    store = HistoryStore()
    app = history_app(store)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        first = main.conversation.messages[1]
        await pilot.press("ctrl+up", "r")
        await wait_until(pilot, lambda: main.conversation.messages[-1] is not first)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+up", "left")
        await wait_until(pilot, lambda: main.conversation.messages[-1] is first)
        await app.history.drain()
        conv_id = main.conversation.id
    loaded = store.load(conv_id)
    assert [m.id for m in loaded.messages] == [loaded.messages[0].id, first.id]
    assert len(loaded.others) == 1
    store.close()


class TestBranchSnapshot:
    def test_cursor_on_a_regenerated_reply(self, snap_compare: Any) -> None:
        """Two answers to one prompt: the second shown with ‹2/2›, selected (accent bar and background)."""

        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            main = await wait_ready(pilot, app)
            main.prompt.cursor_blink = False
            await send(pilot, app, "hi")
            await pilot.press("ctrl+up", "r")
            await wait_until(pilot, lambda: len(main.conversation.others) == 1)
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+up")
            await wait_until(pilot, lambda: bool(selected(app)))
            main.status_bar.set_quota(None)  # the demo's quota reset follows the wall clock
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock()), terminal_size=SIZE, run_before=run_before)


async def test_f8_compacts_into_a_new_branch_and_the_original_stays_reachable() -> None:
    from llmconsole.core.chat.compact import SUMMARY_PROMPT

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        for prompt in ("one", "two", "three"):
            await send(pilot, app, prompt)
        original = list(main.conversation.messages)
        await pilot.press("f8")
        await wait_until(pilot, lambda: main.conversation.messages[0].text == SUMMARY_PROMPT, timeout=20)
        await app.workers.wait_for_complete()
        await pilot.pause()
        path = main.conversation.messages
        summary = path[1]
        assert summary.role == "assistant" and summary.text and summary.usage is not None
        assert [m.text for m in path[2:]] == [m.text for m in original[2:]]  # the last two turns, verbatim
        assert all(m in main.conversation.others for m in original)  # the original stays whole
        assert main.pane.replies[0].telemetry.display  # the summary's tokens and cost, like any reply's
        # Back to the original: the first message has a sibling (‹2/2›).
        await pilot.press("ctrl+up", "home", "left")
        await wait_until(pilot, lambda: main.conversation.messages[0] is original[0])
        assert [m.id for m in main.conversation.messages] == [m.id for m in original]


async def test_a_prompt_that_does_not_fit_opens_the_offer_cancel_keeps_it_drop_makes_a_branch() -> None:
    from dataclasses import replace

    from llmconsole.core.config import ModelOverride
    from llmconsole.ui.screens.overflow import ContextOverflowModal
    from tests.ui.helpers import demo_settings

    settings = demo_settings()
    settings = replace(settings, models={"demo-gpt-5": ModelOverride(context_window=2_000)})
    app = demo_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.model is not None and main.model.context_window == 2_000
        await send(pilot, app, "first")
        await send(pilot, app, "second")
        before = list(main.conversation.messages)
        await send(pilot, app, "third")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
        assert main.conversation.messages == before  # nothing sent yet
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.prompt.text == "third" and main.conversation.messages == before
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
        await pilot.press("d")
        await wait_until(pilot, lambda: [m.text for m in main.conversation.messages][-2:-1] == ["third"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        texts = [m.text for m in main.conversation.messages]
        assert texts[0] == "second" and "first" not in texts  # the oldest turn left out, in a new branch
        assert before[0] in main.conversation.others and main.prompt.text == ""


class TestOverflowSnapshot:
    def test_overflow_offer(self, snap_compare: Any) -> None:
        """A first prompt too big alone: what does not fit (≈ tokens of the window), and only send anyway and cancel
        (nothing older to compact or drop)."""
        from dataclasses import replace

        from llmconsole.core.config import ModelOverride
        from llmconsole.ui.screens.overflow import ContextOverflowModal
        from tests.ui.helpers import demo_settings

        settings = replace(demo_settings(), models={"demo-gpt-5": ModelOverride(context_window=2_000)})

        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            main = await wait_ready(pilot, app)
            main.prompt.cursor_blink = False
            main.prompt.set_prompt("y " * 3_000)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal))
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock(), settings=settings), terminal_size=SIZE, run_before=run_before)


async def test_a_context_overflow_from_the_proxy_gets_the_same_offer() -> None:
    from dataclasses import replace

    from llmconsole.core.config import ModelOverride
    from llmconsole.ui.screens.overflow import ContextOverflowModal
    from tests.ui.helpers import demo_settings

    # The console believes the window is huge; the (demo) proxy knows the model takes 128K tokens.
    settings = replace(demo_settings(), models={"demo-llama-3-70b": ModelOverride(context_window=10_000_000)})
    app = demo_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.select_model("demo-llama-3-70b")
        main.prompt.load_text("word " * 120_000)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal), timeout=20)
        modal = app.screen
        assert isinstance(modal, ContextOverflowModal) and "proxy says" in modal.headline
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.session.unanswered() is not None  # cancelled: the prompt waits (ctrl+r sends it again)


async def test_a_search_hit_on_another_branch_opens_that_branch() -> None:
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.chat.tree import cut_before
    from tests.ui.test_history_ui import history_app

    store = HistoryStore()
    conv = Conversation()
    question = conv.add_user("which fruit?")
    first = conv.add_assistant("demo-gpt-5")
    first.text, first.status = "An apple.", "completed"
    cut_before(conv, first)
    second = conv.add_assistant("demo-gpt-5")
    second.text, second.status = "A quince.", "completed"
    for message in (question, first, second):
        store.add_message(conv, message)
    (hit,) = [h for h in store.search("apple") if h.message_id]
    assert hit.message_id == first.id
    app = history_app(store)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert await main.open_conversation(conv.id, hit.message_id)
        await pilot.pause()
        assert [m.text for m in main.conversation.messages] == ["which fruit?", "An apple."]
        assert main.pane.replies[-1].position == (1, 2)
    store.close()


class TestGaugeSnapshot:
    def test_gauge_in_warning_colour(self, snap_compare: Any) -> None:
        """A small window (2,000, 1,000 for the input): one turn and the typed prompt fill 76 % of it: the status
        bar's ``ctx ≈755/1K · 76%`` in the warning colour (75 %)."""
        from dataclasses import replace

        from llmconsole.core.config import ModelOverride
        from tests.ui.helpers import demo_settings

        settings = replace(demo_settings(), models={"demo-gpt-5": ModelOverride(context_window=2_000)})

        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            assert isinstance(app, LLMConsoleApp)
            main = await wait_ready(pilot, app)
            main.prompt.cursor_blink = False
            await send(pilot, app, "hi")
            main.prompt.load_text("x" * 600)
            await wait_until(pilot, lambda: main.gauge is not None and main.gauge.level == "warning")
            main.status_bar.set_quota(None)  # the demo's quota reset follows the wall clock
            await pilot.pause()

        assert snap_compare(demo_app(clock=FakeClock(), settings=settings), terminal_size=SIZE, run_before=run_before)

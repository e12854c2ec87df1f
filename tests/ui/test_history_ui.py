"""History in the app: what is saved while a reply streams, the conversation list (ctrl+o) and its actions.

Each test gets its own ``LLMCONSOLE_DATA_DIR`` (tests/conftest.py), so the store starts empty.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.chat.session import continuable
from llmconsole.core.config import load_settings
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.events import Usage
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.store.history import AsyncHistory, HistoryStore, default_path
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.conversations import ConfirmModal, ConversationsScreen, TextPromptModal
from llmconsole.ui.widgets.conversation import AssistantReply, UserMessage
from tests.ui.helpers import FakeClock, ScriptedDemo, send, type_text, wait_ready, wait_until

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    with HistoryStore() as opened:
        yield opened


def history_app(history: object, transport: httpx.AsyncBaseTransport | None = None) -> LLMConsoleApp:
    settings = load_settings(demo=True)
    client = ProxyClient(settings, transport=transport or make_demo_transport(delta_delay=0))
    return make_app(settings, client=client, history=history, clock=FakeClock())


def stored(store: HistoryStore, conv_id: str, *, when: float, model: str = "demo-gpt-5", title: str = "") -> None:
    """Fix a conversation's times (and optionally its title) for deterministic lists."""
    store.db.execute("UPDATE conversations SET updated_at = ?, created_at = ? WHERE id = ?", (when, when, conv_id))
    if title:
        store.db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conv_id))


def make_conversation(
    store: HistoryStore,
    conv_id: str,
    prompt: str,
    answer: str,
    *,
    when: float,
    model: str = "demo-gpt-5",
    status: str = "completed",
) -> Conversation:
    conv = Conversation(id=conv_id)
    store.add_message(conv, conv.add_user(prompt))
    reply = conv.add_assistant(model)
    reply.text = answer
    reply.status = status  # type: ignore[assignment]
    reply.usage = Usage(input_tokens=3, output_tokens=5)
    store.add_message(conv, reply)
    stored(store, conv_id, when=when)
    return conv


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


async def open_list(pilot: Pilot[Any], app: LLMConsoleApp) -> ConversationsScreen:
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
    screen = app.screen
    assert isinstance(screen, ConversationsScreen)
    await wait_until(pilot, lambda: bool(screen.state_line.render().plain))  # type: ignore[union-attr]
    return screen


# -- saving -------------------------------------------------------------------------------------------------


async def test_prompt_and_reply_are_stored_with_status_and_usage(store: HistoryStore) -> None:
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello there")
        await app.history.drain()
        conv = store.load(main.conversation.id)
        shown = main.pane.replies[0].text
    user, reply = conv.messages
    assert (user.role, user.text) == ("user", "hello there")
    assert reply.role == "assistant" and reply.status == "completed"
    assert reply.text == shown and reply.text
    assert reply.model == "demo-gpt-5"
    assert reply.usage is not None and reply.usage.output_tokens > 0
    assert conv.title == "hello there"


async def test_prompt_is_stored_before_the_request_and_text_while_it_streams(store: HistoryStore) -> None:
    transport = ScriptedDemo(gated=True)
    app = history_app(AsyncHistory(store), transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "slow")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(transport.streams))
        # The request is out: the prompt and the streaming reply are already rows.
        conv = store.load(main.conversation.id)
        assert [m.role for m in conv.messages] == ["user", "assistant"]
        assert conv.messages[0].text == "slow" and conv.messages[1].status == "streaming"
        transport.streams[0].release.set()
        await app.workers.wait_for_complete()
        await app.history.drain()
        assert store.load(main.conversation.id).messages[1].text == "Hello partial rest"


async def test_cancelled_reply_is_stored_as_cancelled_with_its_partial_text(store: HistoryStore) -> None:
    transport = ScriptedDemo(gated=True)
    app = history_app(AsyncHistory(store), transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "slow")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(transport.streams) and main.pane.replies[0].text == "Hello partial")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not main.streaming)
        await app.history.drain()
        reply = store.load(main.conversation.id).messages[1]
    assert (reply.status, reply.text) == ("cancelled", "Hello partial")


async def test_a_failing_history_warns_once_and_the_chat_goes_on() -> None:
    class Broken:
        async def add_message(self, *args: object) -> None:
            raise OSError("disk full")

        async def update_message(self, *args: object) -> None:
            raise OSError("disk full")

    app = history_app(Broken())
    warnings: list[str] = []
    app._history_failed = warnings.append  # type: ignore[method-assign]
    app.history._on_error = warnings.append
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "one")
        await send(pilot, app, "two")
        await app.history.drain()
        assert len(main.pane.replies) == 2 and main.pane.replies[1].message.status == "completed"
    assert len(warnings) == 1 and "disk full" in warnings[0]


async def test_no_history_means_no_store_and_a_warning_on_ctrl_o() -> None:
    app = history_app(None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not isinstance(app.screen, ConversationsScreen)
    assert not default_path().exists()


# -- the list -----------------------------------------------------------------------------------------------


async def test_list_is_newest_first_with_status_marks(store: HistoryStore) -> None:
    base = 1_700_000_000.0
    make_conversation(store, "a" * 32, "oldest question", "old answer", when=base)
    make_conversation(store, "b" * 32, "middle question", "partial", when=base + 60, status="error")
    make_conversation(store, "c" * 32, "newest question", "new answer", when=base + 120)
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 3)
        assert [s.title for s in screen.summaries] == ["newest question", "middle question", "oldest question"]
        rows = [str(screen.option_list.get_option_at_index(i).prompt) for i in range(3)]
        assert rows[0].startswith("cccccccc") and "demo-gpt-5" in rows[0] and "newest question" in rows[0]
        assert "! error" in rows[1] and "!" not in rows[0]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConversationsScreen))


async def test_open_continues_the_conversation(store: HistoryStore) -> None:
    make_conversation(store, "d" * 32, "what is the capital of France?", "Paris.", when=time.time() - 100)
    transport = ScriptedDemo()
    app = history_app(AsyncHistory(store), transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.conversation.id == "d" * 32)
        await wait_until(pilot, lambda: len(main.pane.replies) == 1)
        assert main.pane.replies[0].text == "Paris."
        assert main.model is not None and main.model.id == "demo-gpt-5"
        await send(pilot, app, "and of Italy?")
        body = transport.posts[-1]
        texts = [item["content"] for item in body["input"]]
        assert texts[:3] == ["what is the capital of France?", "Paris.", "and of Italy?"]
        await app.history.drain()
    conv = store.load("d" * 32)
    assert [m.role for m in conv.messages] == ["user", "assistant", "user", "assistant"]
    assert conv.messages[-1].status == "completed"


async def test_open_switches_to_the_conversations_model(store: HistoryStore) -> None:
    make_conversation(store, "e" * 32, "hi", "hello", when=time.time(), model="demo-claude-haiku")
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        served = {m.id for m in main.models}
        assert await app.open_conversation("last")
        model = "demo-claude-haiku" if "demo-claude-haiku" in served else None
        if model is not None:
            assert main.model is not None and main.model.id == model
        else:  # not served here: the current model stays and a notice says so
            assert "not served" in str(main.pane.mounted_widgets[-1].render())


async def test_rename(store: HistoryStore) -> None:
    make_conversation(store, "f" * 32, "first prompt", "reply", when=time.time())
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 1)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptModal))
        await pilot.press("ctrl+u")  # clear the prefilled title
        await type_text(pilot, "Renamed chat")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.summaries) and screen.summaries[0].title == "Renamed chat")
    assert store.list_conversations()[0].title == "Renamed chat"


async def test_delete_asks_first_and_cancel_keeps_it(store: HistoryStore) -> None:
    make_conversation(store, "1" * 32, "keep me?", "reply", when=time.time())
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 1)
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        await app.workers.wait_for_complete()
        assert store.count() == 1
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: not screen.summaries)
        assert store.count() == 0
        await wait_until(pilot, lambda: "No conversations" in str(screen.state_line.render()))


async def test_search_finds_a_word_of_an_old_reply_and_opens_at_the_hit(store: HistoryStore) -> None:
    make_conversation(store, "2" * 32, "tell me about birds", "The quetzal is a colourful bird.", when=1_700_000_000)
    make_conversation(store, "3" * 32, "something else", "Nothing to see.", when=1_700_000_100)
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await type_text(pilot, "quetzal")
        await wait_until(pilot, lambda: bool(screen.hits))
        hit = screen.hits[0]
        assert hit.conversation_id == "2" * 32 and "quetzal" in hit.snippet.lower()
        assert (hit.snippet[hit.spans[0][0] : hit.spans[0][1]]).lower() == "quetzal"
        prompt = str(screen.option_list.get_option_at_index(0).prompt)
        assert "22222222" in prompt and "quetzal" in prompt
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.conversation.id == "2" * 32)
        await wait_until(pilot, lambda: bool(main.pane.replies))
        assert "quetzal" in main.pane.replies[0].text


async def test_export_writes_the_file_and_never_overwrites_silently(
    store: HistoryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    make_conversation(store, "4" * 32, "export me", "Exported **reply**.", when=time.time())
    app = history_app(AsyncHistory(store))
    target = tmp_path / "llmconsole-44444444.md"
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 1)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptModal))
        assert app.screen.query_one("#text-prompt-input").value == "~/llmconsole-44444444.md"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, target.exists)
        await app.workers.wait_for_complete()
        text = target.read_text()
        assert "export me" in text and "Exported **reply**." in text
        assert target.stat().st_mode & 0o077 == 0
        # Again: the file exists, so it asks; "n" keeps the old file.
        target.write_text("mine")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptModal))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        await app.workers.wait_for_complete()
        assert target.read_text() == "mine"


async def test_a_reply_whose_process_died_shows_as_interrupted(store: HistoryStore) -> None:
    conv = Conversation(id="5" * 32)
    store.add_message(conv, conv.add_user("question"))
    reply = conv.add_assistant("demo-gpt-5")
    reply.text = "half a rep"
    store.add_message(conv, reply)  # status "streaming", written by this process...
    store.db.execute("UPDATE messages SET writer_pid = ? WHERE id = ?", (dead_pid(), reply.id))  # ...now dead
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 1)
        assert "! interrupted" in str(screen.option_list.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(main.pane.replies))
        widget = main.pane.replies[0]
        await wait_until(pilot, lambda: widget.telemetry.display)
        assert widget.message.status == "interrupted" and widget.has_class("-failed")
        assert "interrupted" in str(widget.telemetry.render())
        assert widget.text == "half a rep"


async def test_palette_lists_conversations(store: HistoryStore) -> None:
    make_conversation(store, "6" * 32, "palette question", "answer", when=time.time())
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("ctrl+p")
        await type_text(pilot, "conversation: palette")
        from textual.command import CommandList

        await wait_until(
            pilot, lambda: "palette question" in str(app.screen.query_one(CommandList).get_option_at_index(0).prompt)
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.conversation.id == "6" * 32)


# -- continuing: the same rules as live ---------------------------------------------------------------------


def test_continuable_drops_replaced_prompts_and_retried_failures() -> None:
    def msg(role: str, text: str, status: str | None = None) -> Message:
        return Message(role=role, text=text, status=status)  # type: ignore[arg-type]

    a, b = msg("user", "a"), msg("user", "b")
    r1, r2 = msg("assistant", "", "error"), msg("assistant", "partial", "interrupted")
    r3 = msg("assistant", "ok", "completed")
    c, r4 = msg("user", "c"), msg("assistant", "half", "interrupted")
    kept, unsent = continuable([a, b, r1, r2, r3, c, r4])
    assert kept == [b, r3, c, r4]
    assert unsent == {a.id}


# -- snapshot -----------------------------------------------------------------------------------------------


def test_conversation_list_snapshot(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+o over three stored conversations: newest first, short id, date, model, title, status marks."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with HistoryStore() as setup:
        base = 1_735_689_600.0  # 2025-01-01 00:00 UTC
        make_conversation(setup, "0a1b2c3d" * 4, "How do I reverse a list in Python?", "Use reversed().", when=base)
        make_conversation(
            setup, "4e5f6a7b" * 4, "Summarise the meeting notes", "partial", when=base + 3_600, status="interrupted"
        )
        make_conversation(
            setup, "8c9d0e1f" * 4, "Write a haiku about SQLite", "...", when=base + 7_200, model="demo-claude-haiku"
        )
        stored(setup, "8c9d0e1f" * 4, when=base + 7_200, title="Haiku (renamed)")
    store = HistoryStore()

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, LLMConsoleApp)
        main = await wait_ready(pilot, app)
        main.prompt.cursor_blink = False
        screen = await open_list(pilot, app)
        await wait_until(pilot, lambda: len(screen.summaries) == 3)
        screen.search_input.cursor_blink = False
        screen.query_one(OptionList).highlighted = 0
        await pilot.pause()

    try:
        assert snap_compare(history_app(AsyncHistory(store)), terminal_size=SIZE, run_before=run_before)
    finally:
        store.close()
        monkeypatch.delenv("TZ")
        time.tzset()


# -- widgets ------------------------------------------------------------------------------------------------


async def test_user_message_unsent_mark_is_kept_when_opened(store: HistoryStore) -> None:
    conv = Conversation(id="7" * 32)
    store.add_message(conv, conv.add_user("replaced prompt"))
    store.add_message(conv, conv.add_user("second prompt"))
    reply = conv.add_assistant("demo-gpt-5")
    reply.text, reply.status = "answer", "completed"
    store.add_message(conv, reply)
    app = history_app(AsyncHistory(store))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert await app.open_conversation("7777")
        users = list(main.pane.query(UserMessage))
        assert [u.has_class("-unsent") for u in users] == [True, False]
        assert [m.text for m in main.conversation.messages] == ["second prompt", "answer"]
        assert isinstance(main.pane.mounted_widgets[-1], AssistantReply)


async def test_a_failed_prompt_stays_in_the_history_and_the_next_one_follows_it(store: HistoryStore) -> None:
    transport = ScriptedDemo(connect_error=True)
    app = history_app(AsyncHistory(store), transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "first try")  # fails before the stream: the prompt stays unanswered
        await app.history.drain()
        assert [m.text for m in store.load(main.conversation.id).messages] == ["first try", ""]
        transport.connect_error = False
        await send(pilot, app, "second try")  # follows it: nothing is deleted by sending
        await app.history.drain()
        assert not main.pane.query(UserMessage).first().has_class("-unsent")
        conv_id = main.conversation.id
    conv = store.load(conv_id)
    assert [(m.role, m.text) for m in conv.messages][::2] == [("user", "first try"), ("user", "second try")]
    assert [m.status for m in conv.messages[1::2]] == ["error", "completed"]
    assert conv.title == "first try" and conv.others == []
    assert [item["content"] for item in transport.posts[-1]["input"]] == ["first try", "second try"]
    assert store.search("first")

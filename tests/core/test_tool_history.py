"""Tool calls in the conversation and the history: the request items on both endpoints, the schema-4
migration of a schema-3 file, round trips, search, export, deletes."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmconsole.core.chat.conversation import NOT_RUN_OUTPUT, Conversation, ToolExchange
from llmconsole.core.proxy.chat_completions import chat_messages
from llmconsole.core.store import history as history_mod
from llmconsole.core.store.history import (
    SCHEMA_VERSION,
    AsyncHistory,
    HistoryStore,
    conversation_markdown,
    tree_json,
    tree_markdown,
)
from llmconsole.core.store.resume import load_to_continue
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

FIXTURE_V3 = Path(__file__).parent.parent / "data" / "history_v3.sqlite3"
"""Written by the schema-3 code (trees, before tool calls) with tests/data/make_history_v3.py."""


def weather(call_id: str = "call_1", **kw: object) -> ToolExchange:
    values: dict[str, object] = {
        "name": "get_weather",
        "arguments": '{"city":"Reykjavík","unit":"c"}',
        "server": "meteo",
        "status": "ran",
        "output": "Sleet, 2 °C, wind from the north-east",
    }
    values.update(kw)
    return ToolExchange(call_id=call_id, **values)  # type: ignore[arg-type]


def tool_round(conv: Conversation, *calls: ToolExchange, text: str = "", answer: str = "Cold and wet.") -> None:
    """A prompt, a reply that calls ``calls``, and the reply that follows their results."""
    conv.add_user("weather in Reykjavík?")
    asking = conv.add_assistant("m-tools")
    asking.text, asking.status = text, "completed"
    asking.tool_calls = list(calls)
    final = conv.add_assistant("m-tools")
    final.text, final.status = answer, "completed"


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    s = HistoryStore()
    yield s
    s.close()


def save(store: HistoryStore, conv: Conversation) -> None:
    for message in conv.messages:
        store.add_message(conv, message)


# -- from the core's values ---------------------------------------------------------------------------------


def test_an_exchange_is_made_from_the_call_and_settled_by_its_result() -> None:
    spec = ToolSpec("get_weather", server_name="meteo")
    call = ToolCall("c1", "get_weather", '{"city":"Oslo"}')
    ran = ToolExchange.of(call, spec)
    assert (ran.server, ran.status, ran.sent_output) == ("meteo", "pending", NOT_RUN_OUTPUT)
    ran.settle(ToolResult.capped("c1", "x" * 50, limit=10), 0.5)
    assert (ran.status, ran.outcome, ran.truncated, ran.duration_s) == ("ran", "ran", True, 0.5)
    assert ran.sent_output.startswith("x" * 10) and "cut" in ran.sent_output
    declined = ToolExchange.of(call, None)
    declined.settle(ToolResult.user_declined("c1"))
    assert (declined.server, declined.status, declined.is_error) == (None, "declined", False)
    assert declined.sent_output == ToolResult.user_declined("c1").text
    failed = ToolExchange.of(call, spec)
    failed.settle(ToolResult.failure("c1", "no answer within 30 s"))
    assert failed.outcome == "error"
    cancelled = ToolExchange.of(call, spec)
    cancelled.cancel()
    assert (cancelled.outcome, cancelled.sent_output) == ("cancelled", NOT_RUN_OUTPUT)
    assert ran.pretty_arguments() == '{\n  "city": "Oslo"\n}'


# -- the request items --------------------------------------------------------------------------------------


def test_responses_items_carry_each_call_and_its_output() -> None:
    conv = Conversation()
    tool_round(conv, weather("c1"), weather("c2", arguments="{}", status="declined", output="The user declined."))
    items = conv.to_input_items()
    assert items == [
        {"role": "user", "content": "weather in Reykjavík?"},
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": weather().arguments},
        {"type": "function_call", "call_id": "c2", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "Sleet, 2 °C, wind from the north-east"},
        {"type": "function_call_output", "call_id": "c2", "output": "The user declined."},
        {"role": "assistant", "content": "Cold and wet."},
    ]


def test_chat_messages_carry_assistant_tool_calls_and_tool_messages() -> None:
    conv = Conversation()
    tool_round(conv, weather("c1"), weather("c2"), text="Let me look.")
    conv.add_user("thanks")
    messages = chat_messages(conv.to_input_items(), "be brief")
    call = {"type": "function", "function": {"name": "get_weather", "arguments": weather().arguments}}
    assert messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather in Reykjavík?"},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [{"id": "c1", **call}, {"id": "c2", **call}]},
        {"role": "tool", "tool_call_id": "c1", "content": weather().output},
        {"role": "tool", "tool_call_id": "c2", "content": weather().output},
        {"role": "assistant", "content": "Cold and wet."},
        {"role": "user", "content": "thanks"},
    ]


def test_a_call_without_text_gets_an_assistant_message_of_its_own() -> None:
    conv = Conversation()
    tool_round(conv, weather("c1"))
    messages = chat_messages(conv.to_input_items(), None)
    assert messages[1]["role"] == "assistant"
    assert messages[1]["content"] is None
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["c1"]


@pytest.mark.parametrize("status", ["pending", "cancelled"])
def test_a_call_never_answered_is_still_answered_when_the_conversation_continues(status: str) -> None:
    conv = Conversation()
    conv.add_user("weather?")
    asking = conv.add_assistant("m")
    asking.status = "cancelled"
    asking.tool_calls = [weather(status=status, output="")]
    conv.add_user("never mind")
    items = conv.to_input_items()
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert outputs == [{"type": "function_call_output", "call_id": "call_1", "output": NOT_RUN_OUTPUT}]
    assert items[-1] == {"role": "user", "content": "never mind"}


def test_tool_calls_count_in_the_estimate() -> None:
    plain, with_tools = Conversation(), Conversation()
    tool_round(plain)
    tool_round(with_tools, weather(output="x" * 4_000))
    assert with_tools.estimated_tokens() >= plain.estimated_tokens() + 1_000


# -- the store ----------------------------------------------------------------------------------------------


def test_tool_calls_round_trip_in_order_with_every_field(store: HistoryStore) -> None:
    conv = Conversation()
    calls = [
        weather("c1", duration_s=0.25),
        weather("c2", status="ran", is_error=True, output="city not found", server=None),
        weather("c3", status="declined", output="The user declined to run this tool."),
        weather("c4", output="y" * 100 + "\n[result cut at 100 of 12,345 bytes]", truncated=True),
    ]
    tool_round(conv, *calls)
    save(store, conv)
    loaded = store.load(conv.id)
    assert [m.tool_calls for m in loaded.messages] == [[], calls, []]


def test_results_arriving_after_the_reply_was_stored_are_written_by_update(store: HistoryStore) -> None:
    conv = Conversation()
    conv.add_user("weather?")
    asking = conv.add_assistant("m")
    asking.status = "completed"
    asking.tool_calls = [weather(status="pending", output="")]
    save(store, conv)
    assert store.load(conv.id).messages[1].tool_calls[0].status == "pending"
    asking.tool_calls[0].status, asking.tool_calls[0].output = "ran", "sunny"
    store.update_message(conv.id, asking)
    (call,) = store.load(conv.id).messages[1].tool_calls
    assert (call.status, call.output) == ("ran", "sunny")
    assert [h.snippet for h in store.search("sunny")] == ["sunny"]
    assert store.search("sleet") == []


def test_search_finds_arguments_outputs_and_names(store: HistoryStore) -> None:
    conv = Conversation(title="Iceland")
    tool_round(conv, weather("c1"))
    save(store, conv)
    asking = conv.messages[1]
    for query in ("Reykjavik", "north-east", "get_weather"):
        hits = [h for h in store.search(query) if h.role == "tool"]
        assert [(h.conversation_id, h.message_id, h.tool) for h in hits] == [(conv.id, asking.id, "get_weather")]
    (hit,) = [h for h in store.search("sleet") if h.role == "tool"]
    assert hit.snippet[hit.spans[0][0] : hit.spans[0][1]] == "Sleet"


def test_search_merges_tool_hits_and_messages_newest_first(store: HistoryStore) -> None:
    old, new = Conversation(), Conversation()
    tool_round(old, weather(), answer="It sleets in the past.")
    save(store, old)
    tool_round(new, weather(), answer="Sleet again, now.")
    for message in new.messages:
        message.created_at += 1_000
    save(store, new)
    hits = store.search("sleet")
    assert [(h.conversation_id, h.role) for h in hits] == [
        (new.id, "assistant"),
        (new.id, "tool"),
        (old.id, "assistant"),
        (old.id, "tool"),
    ]
    assert len(store.search("sleet", limit=2)) == 2


def test_deleting_a_conversation_or_a_message_takes_its_calls_and_their_index(store: HistoryStore) -> None:
    conv, other = Conversation(), Conversation()
    tool_round(conv, weather())
    tool_round(other, weather(output="hail"))
    save(store, conv)
    save(store, other)
    store.delete(conv.id)
    assert store.db.execute("SELECT COUNT(*) FROM tool_calls WHERE conversation_id = ?", (conv.id,)).fetchone() == (0,)
    assert store.search("sleet") == []
    store.delete_message(other.id, other.messages[1].id)
    assert store.search("hail") == []
    assert store.integrity_check() == "ok"
    store.compact()


@pytest.mark.anyio
async def test_the_async_store_writes_a_copy_of_the_calls(tmp_path: Path) -> None:
    history = await AsyncHistory.open(tmp_path / "h.sqlite3")
    try:
        conv = Conversation()
        tool_round(conv, weather(status="pending", output=""))
        for message in conv.messages:
            await history.add_message(conv, message)
        asking = conv.messages[1]
        asking.tool_calls[0].status, asking.tool_calls[0].output = "ran", "sunny"
        await history.update_message(conv.id, asking)
        assert (await history.load(conv.id)).messages[1].tool_calls[0].output == "sunny"
    finally:
        await history.close()
    # What the worker thread writes is a copy: a result arriving meanwhile does not change it mid-write.
    snapshot = history_mod._snapshot(asking)
    assert snapshot.tool_calls == asking.tool_calls
    assert snapshot.tool_calls[0] is not asking.tool_calls[0]


# -- migration ----------------------------------------------------------------------------------------------


def test_a_schema_3_file_migrates_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    shutil.copy(FIXTURE_V3, path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
    raw.close()
    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        conv = store.load("c" * 32)
        assert [m.text for m in conv.messages] == [
            "what is a heliotrope",
            "a flowering plant",
            "and its colour",
            "purple",
        ]
        assert [m.text for m in conv.others] == ["violet"]
        assert all(m.tool_calls == [] for m in conv.messages)
        assert [h.role for h in store.search("heliotrope")] == ["user"]
        # The new table and its triggers work on the migrated file.
        tool_round(conv, weather())
        for message in conv.messages[-3:]:
            store.add_message(conv, message)
        assert [h.role for h in store.search("sleet")] == ["tool"]
        assert store.load(conv.id).messages[-2].tool_calls == [weather()]
        assert store.integrity_check() == "ok"


# -- export and continuing ----------------------------------------------------------------------------------


def test_markdown_shows_each_call_its_arguments_and_its_literal_result() -> None:
    conv = Conversation(title="Links")
    link = "see [the forecast](https://evil.example/x) and ```fences```"
    tool_round(
        conv,
        weather("c1", output=link, duration_s=1.25),
        weather("c2", is_error=True, output="city not found"),
        weather("c3", status="declined", output="The user declined."),
    )
    text = conversation_markdown(conv)
    assert "**Tool call** `meteo · get_weather` — ran (1.2 s)" in text
    assert '  "city": "Reykjavík",' in text  # pretty JSON
    # The result sits in a fence longer than any backtick run inside it: it renders literally.
    assert f"````text\n{link}\n````" in text
    assert "— error" in text and "Error:\n\n```text\ncity not found\n```" in text
    assert "— declined" in text
    assert "↳ tool `meteo · get_weather` — ran" in tree_markdown(conv)


def test_tree_json_lists_the_calls() -> None:
    conv = Conversation()
    tool_round(conv, weather())
    data = tree_json(conv)
    assert data["messages"][1]["tool_calls"][0]["call_id"] == "call_1"
    assert data["messages"][1]["tool_calls"][0]["output"] == weather().output


def test_continuing_a_stored_tool_conversation_rebuilds_both_endpoints_input(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conv = Conversation()
    tool_round(conv, weather("c1"), text="Looking.")
    with HistoryStore(path) as store:
        save(store, conv)
    continued = load_to_continue("last", path)
    continued.add_user("and tomorrow?")
    items = continued.to_input_items()
    assert [i.get("type", i.get("role")) for i in items] == [
        "user",
        "assistant",
        "function_call",
        "function_call_output",
        "assistant",
        "user",
    ]
    messages = chat_messages(items, None)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert messages[1]["tool_calls"][0]["id"] == messages[2]["tool_call_id"] == "c1"

"""The SQLite history: files and modes, round trips, migrations, search, dead writers, the recorder, async."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llmconsole
from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.events import Usage
from llmconsole.core.store import history as history_mod
from llmconsole.core.store.history import (
    SCHEMA_VERSION,
    AsyncHistory,
    HistoryError,
    HistoryNotFoundError,
    HistoryStore,
    ReplyRecorder,
    default_path,
    fts_query,
    migrate,
)

SRC = str(Path(llmconsole.__file__).resolve().parents[1])


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    s = HistoryStore()
    yield s
    s.close()


def make_conv(store: HistoryStore, prompt: str = "hello there", reply: str = "general kenobi") -> Conversation:
    conv = Conversation()
    store.add_message(conv, conv.add_user(prompt))
    message = conv.add_assistant("gpt-test")
    message.text = reply
    message.status = "completed"
    store.add_message(conv, message)
    return conv


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


# -- files ----------------------------------------------------------------------------------------------------


def test_files_are_private_and_in_the_data_dir(store: HistoryStore) -> None:
    make_conv(store)
    path = default_path()
    assert store.path == path
    assert path.parent == Path(os.environ["LLMCONSOLE_DATA_DIR"])
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    assert wal.exists() and shm.exists()  # WAL mode, connection open
    assert mode(wal) == 0o600
    assert mode(shm) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_loose_file_is_tightened_and_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    db = folder / "history.sqlite3"
    HistoryStore(db).close()
    db.chmod(0o644)
    HistoryStore(db).close()
    assert mode(folder) == 0o755  # not ours: it may be shared on purpose (tests/core/test_paths.py)
    assert mode(db) == 0o600
    HistoryStore(tmp_path / "new" / "history.sqlite3").close()
    assert mode(tmp_path / "new") == 0o700  # ours


def test_corrupt_file_is_a_history_error(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="history database"):
        HistoryStore(db)


def test_closed_store_raises_history_error(store: HistoryStore) -> None:
    store.close()
    store.close()
    with pytest.raises(HistoryError):
        store.list_conversations()


# -- round trips ----------------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field(store: HistoryStore) -> None:
    conv = Conversation(system_prompt="be brief")
    user = conv.add_user("look at this", attachments=["data:image/png;base64,AAAA"])
    store.add_message(conv, user)
    reply = conv.add_assistant("gpt-test")
    store.add_message(conv, reply)
    reply.text = "a reply"
    reply.reasoning = "thinking"
    reply.status = "error"
    reply.error = "the proxy said no"
    reply.usage = Usage(input_tokens=10, cached_tokens=4, output_tokens=7, reasoning_tokens=2, cost=0.25)
    reply.ttft_s = 0.5
    reply.duration_s = 2.5
    store.update_message(conv.id, reply)

    loaded = store.load(conv.id)
    assert loaded.id == conv.id
    assert loaded.title == "look at this"
    assert loaded.system_prompt == "be brief"
    assert loaded.model == "gpt-test"
    assert loaded.created_at == pytest.approx(conv.created_at)
    assert [m.id for m in loaded.messages] == [user.id, reply.id]
    got_user, got_reply = loaded.messages
    assert got_user.attachments == ["data:image/png;base64,AAAA"]
    assert got_user.status is None and got_user.role == "user"
    assert got_reply.text == "a reply"
    assert got_reply.reasoning == "thinking"
    assert got_reply.status == "error"
    assert got_reply.error == "the proxy said no"
    assert got_reply.usage == reply.usage
    assert (got_reply.ttft_s, got_reply.duration_s) == (0.5, 2.5)
    assert got_reply.created_at == pytest.approx(reply.created_at)


def test_messages_come_back_in_insertion_order(store: HistoryStore) -> None:
    conv = Conversation()
    for i in range(12):
        store.add_message(conv, conv.add_user(f"turn {i}"))
    assert [m.text for m in store.load(conv.id).messages] == [f"turn {i}" for i in range(12)]


def test_list_is_newest_first_with_counts(store: HistoryStore) -> None:
    first = make_conv(store, "first prompt")
    second = make_conv(store, "second prompt")
    compare = Conversation(title="side by side")
    store.save_conversation(compare, kind="compare")
    # A write to the first conversation moves it to the top.
    store.update_message(first.id, first.messages[1])
    summaries = store.list_conversations()
    assert [s.id for s in summaries] == [first.id, compare.id, second.id]
    top = summaries[0]
    assert top.short_id == first.id[:8]
    assert top.title == "first prompt"
    assert top.model == "gpt-test"
    assert top.message_count == 2
    assert top.kind == "chat"
    assert top.last_status == "completed"
    assert summaries[1].kind == "compare" and summaries[1].message_count == 0
    assert summaries[1].last_status is None
    assert [s.id for s in store.list_conversations(limit=1, offset=1)] == [compare.id]
    assert store.count() == 3


def test_a_new_message_does_not_undo_a_rename(store: HistoryStore) -> None:
    conv = make_conv(store, "original prompt")
    store.rename(conv.id, "Renamed elsewhere")
    store.add_message(conv, conv.add_user("follow-up"))  # conv.title is stale here
    assert store.load(conv.id).title == "Renamed elsewhere"
    store.save_conversation(conv)  # an explicit save does write the title
    assert store.load(conv.id).title == "original prompt"


def test_update_of_unknown_message_raises(store: HistoryStore) -> None:
    conv = make_conv(store)
    with pytest.raises(HistoryNotFoundError):
        store.update_message(conv.id, Message(role="assistant", text="x"))


def test_save_conversation_keeps_meta_unless_given(store: HistoryStore) -> None:
    conv = make_conv(store)
    store.save_conversation(conv, kind="compare", meta={"models": ["a", "b"]})
    store.save_conversation(conv, kind="compare")
    row = store.db.execute("SELECT kind, meta FROM conversations WHERE id = ?", (conv.id,)).fetchone()
    assert row == ("compare", '{"models": ["a", "b"]}')
    with pytest.raises(ValueError):
        store.save_conversation(conv, kind="nonsense")


# -- resolve, rename, delete ----------------------------------------------------------------------------------


def test_resolve(store: HistoryStore) -> None:
    with pytest.raises(HistoryNotFoundError) as info:
        store.resolve("last")
    assert info.value.exit_code == 2
    a = Conversation(id="abcd1111" + "0" * 24)
    b = Conversation(id="abcd2222" + "0" * 24)
    store.add_message(a, a.add_user("a"))
    store.add_message(b, b.add_user("b"))
    assert store.resolve("last") == b.id
    assert store.resolve(" LAST ") == b.id
    assert store.resolve(a.id) == a.id
    assert store.resolve("abcd1") == a.id
    assert store.resolve("ABCD2222") == b.id
    with pytest.raises(HistoryNotFoundError, match="several"):
        store.resolve("abcd")
    with pytest.raises(HistoryNotFoundError, match="at least 4"):
        store.resolve("abc")
    with pytest.raises(HistoryNotFoundError):
        store.resolve("ffff")
    with pytest.raises(HistoryNotFoundError):
        store.resolve("abcd\uffff%'\"")


def test_rename_and_delete(store: HistoryStore) -> None:
    keep = make_conv(store, "keep me", "unrelated words")
    gone = make_conv(store, "secret plans", "the zebra protocol")
    store.rename(keep.id, "  Renamed\n title ")
    assert store.load(keep.id).title == "Renamed title"
    assert [h.conversation_id for h in store.search("renamed")] == [keep.id]
    assert store.search("zebra")
    store.delete(gone.id)
    assert store.search("zebra") == []
    assert store.search("secret") == []
    with pytest.raises(HistoryNotFoundError):
        store.load(gone.id)
    assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2
    with pytest.raises(HistoryNotFoundError):
        store.delete(gone.id)
    with pytest.raises(HistoryNotFoundError):
        store.rename(gone.id, "x")
    assert store.integrity_check() == "ok"


def file_bytes() -> bytes:
    blob = b""
    for suffix in ("", "-wal"):
        path = Path(f"{default_path()}{suffix}")
        if path.exists():
            blob += path.read_bytes()
    return blob


def test_delete_zeroes_the_text_in_the_file(store: HistoryStore) -> None:
    secret = "alpha7 bravo7 charlie7 " * 50
    conv = make_conv(store, "prompt", secret)
    keep = make_conv(store, "another", "kept words")
    assert b"alpha7 bravo7 charlie7" in file_bytes()
    store.delete(conv.id)
    assert b"alpha7 bravo7 charlie7" not in file_bytes()
    assert b"bravo7" in file_bytes()  # a word in the FTS index, until compact()
    store.compact()
    assert b"bravo7" not in file_bytes()
    assert store.load(keep.id).messages[1].text == "kept words"
    assert store.search("kept")
    assert store.integrity_check() == "ok"


def test_delete_message_removes_one_message_and_its_search_entry(store: HistoryStore) -> None:
    conv = Conversation()
    replaced = conv.add_user("obsolete walrus question")
    store.add_message(conv, replaced)
    conv.messages.remove(replaced)  # replaced before it was answered
    store.add_message(conv, conv.add_user("the real question"))
    reply = conv.add_assistant("gpt-test")
    reply.text, reply.status = "the answer", "completed"
    store.add_message(conv, reply)
    other = make_conv(store, "walrus elsewhere", "kept")
    assert {h.conversation_id for h in store.search("walrus")} == {conv.id, other.id}
    store.delete_message(conv.id, replaced.id)
    loaded = store.load(conv.id)
    assert loaded.title == "the real question"  # the title came from the deleted prompt
    assert [(m.role, m.text) for m in loaded.messages] == [("user", "the real question"), ("assistant", "the answer")]
    assert [(h.conversation_id, h.role) for h in store.search("walrus")] == [(other.id, "user")]
    assert store.search("obsolete") == []
    assert [h.message_id for h in store.search("real")] == [conv.messages[0].id]
    with pytest.raises(HistoryNotFoundError):
        store.delete_message(conv.id, replaced.id)
    with pytest.raises(HistoryNotFoundError):
        store.delete_message(other.id, reply.id)  # not that conversation's message
    assert store.load(other.id).messages[0].text == "walrus elsewhere"
    store.rename(other.id, "my walrus notes")
    store.delete_message(other.id, store.load(other.id).messages[0].id)
    assert store.load(other.id).title == "my walrus notes"  # a renamed title stays
    assert store.integrity_check() == "ok"


@pytest.mark.anyio
async def test_async_delete_message() -> None:
    history = await AsyncHistory.open()
    try:
        conv = Conversation()
        await history.add_message(conv, conv.add_user("question"))
        await history.add_message(conv, conv.add_user("asked again"))
        await history.delete_message(conv.id, conv.messages[0].id)
        assert [m.text for m in (await history.load(conv.id)).messages] == ["asked again"]
    finally:
        await history.close()


# -- search ---------------------------------------------------------------------------------------------------


def test_search_finds_words_prefixes_titles_and_accents(store: HistoryStore) -> None:
    a = make_conv(store, "How do I configure the reverse proxy?", "Use NEAR the café with `nginx`.")
    b = make_conv(store, "日本語 テキスト", 'He said "quoted words" and (parens) * stars')
    store.rename(b.id, "Unicode talk")
    hits = store.search("configure")
    assert [(h.conversation_id, h.role) for h in hits] == [(a.id, "user")]
    hit = hits[0]
    assert hit.message_id == a.messages[0].id
    assert hit.title == a.title
    start, end = hit.spans[0]
    assert hit.snippet[start:end].lower() == "configure"
    assert [h.role for h in store.search("config")] == ["user"]  # prefix on the last word
    assert [h.role for h in store.search("cafe")] == ["assistant"]  # diacritics folded
    assert [h.role for h in store.search("NEAR")] == ["assistant"]  # an operator, searched as a word
    assert [h.conversation_id for h in store.search('"quoted words"')] == [b.id]
    assert [h.conversation_id for h in store.search("日本語")] == [b.id]
    title_hits = store.search("unicode")
    assert [(h.conversation_id, h.message_id, h.role) for h in title_hits] == [(b.id, None, None)]
    assert store.search("reverse zebra") == []  # every word must match
    assert store.search("") == []
    assert store.search("   ") == []


HOSTILE = [
    '"',
    "'",
    '""',
    "*",
    "**",
    "a*",
    "NEAR",
    "NEAR(",
    "NEAR(a b, 2)",
    "a AND",
    "OR",
    "NOT b",
    "(",
    ")",
    "-",
    "^x",
    "text:x",
    "messages_fts:x",
    "{a b}",
    "a + b",
    "\\",
    "\x00",
    "%_",
    "'; DROP TABLE messages; --",
    "é" * 300,
    "🙂 🙃",
    "x" * 5000,
    "\u200b",
    "\ue000\ue001",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_safe(store: HistoryStore, query: str) -> None:
    make_conv(store, "NEAR the AND gate", '\'; DROP TABLE messages; -- said the "user" 🙂')
    assert isinstance(store.search(query), list)
    assert store.count() == 1


def test_hostile_query_matches_literally(store: HistoryStore) -> None:
    conv = make_conv(store, "the NOT gate", "and the OR gate")
    assert [h.role for h in store.search("NOT gate")] == ["user"]
    assert [h.role for h in store.search("OR")] == ["assistant"]
    assert {h.conversation_id for h in store.search("'; DROP TABLE")} == set()
    assert store.load(conv.id)


def test_any_text_is_a_safe_query(store: HistoryStore) -> None:
    make_conv(store, "alpha beta gamma", "delta epsilon")

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(max_size=60))
    def check(query: str) -> None:
        hits = store.search(query)
        assert isinstance(hits, list)

    check()
    assert fts_query("a bcd") == '"a" "bcd" *'
    assert fts_query("abc b") == '"abc" "b"'  # a 1-2 letter last word is matched whole
    assert fts_query('say "hi"') == '"say" """hi"""'
    assert fts_query('say "hiya"') == '"say" """hiya""" *'
    assert fts_query("* - ( )") is None


# -- migrations -----------------------------------------------------------------------------------------------


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, target=1) == 1
    db.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c0ffee00', 'old talk', 1, 2)")
    db.execute(
        "INSERT INTO messages (id, conversation_id, seq, role, text, created_at, status) "
        "VALUES ('m1', 'c0ffee00', 0, 'user', 'an archaeological prompt', 1, NULL)"
    )
    db.close()

    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert [h.message_id for h in store.search("archaeolog")] == ["m1"]
        assert [h.conversation_id for h in store.search("old talk")] == ["c0ffee00"]
        assert store.load("c0ffee00").messages[0].text == "an archaeological prompt"
        # The triggers work on the migrated file too.
        conv = store.load("c0ffee00")
        store.add_message(conv, conv.add_user("brand new words"))
        assert store.search("brand")
        assert store.integrity_check() == "ok"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    HistoryStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="newer|Upgrade"):
        HistoryStore(path)


def test_two_processes_opening_concurrently_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite3"
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from llmconsole.core.store.history import HistoryStore
        HistoryStore(Path({str(path)!r})).close()
        """
    )
    with contextlib.ExitStack() as stack:
        procs = [stack.enter_context(subprocess.Popen([sys.executable, "-c", code], env=child_env())) for _ in range(4)]
        assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# -- dead writers ---------------------------------------------------------------------------------------------

CHILD_WRITER = """
import sys
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.store.history import HistoryStore, ReplyRecorder
store = HistoryStore()
conv = Conversation(id=sys.argv[1])
store.add_message(conv, conv.add_user("question"))
recorder = ReplyRecorder(store, conv, conv.add_assistant("gpt-test"))
recorder.start()
recorder.append("half a rep")
recorder.flush()
print("ready", flush=True)
sys.stdin.readline()  # stay alive until the test says so
"""


def test_reply_of_a_dead_process_is_interrupted(store: HistoryStore) -> None:
    conv_id = "deadbeef" * 4
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, conv_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        # While the writer lives, its reply is still streaming.
        assert store.load(conv_id).messages[1].status == "streaming"
        assert store.list_conversations()[0].last_status == "streaming"
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    reply = store.load(conv_id).messages[1]
    assert (reply.text, reply.status) == ("half a rep", "interrupted")
    assert store.list_conversations()[0].last_status == "interrupted"
    assert "_(interrupted — partial reply)_" in store.export_markdown(conv_id)
    # Nothing was written back: reads are reads.
    raw = store.db.execute("SELECT status FROM messages WHERE id = ?", (reply.id,)).fetchone()[0]
    assert raw == "streaming"


def test_recycled_pid_or_other_boot_is_not_the_writer(store: HistoryStore) -> None:
    conv = Conversation()
    store.add_message(conv, conv.add_user("q"))
    reply = conv.add_assistant("m")
    store.add_message(conv, reply)
    assert store.load(conv.id).messages[1].status == "streaming"  # this process, alive
    pid, token = history_mod.writer_token()
    for fake_pid, fake_token in ((pid, token + "0"), (dead_pid(), token), (pid, None), (None, None)):
        store.db.execute(
            "UPDATE messages SET writer_pid = ?, writer_boot = ? WHERE id = ?", (fake_pid, fake_token, reply.id)
        )
        assert store.load(conv.id).messages[1].status == "interrupted", (fake_pid, fake_token)
    # pid 1 is alive but started at another time than the token says.
    store.db.execute("UPDATE messages SET writer_pid = 1, writer_boot = ? WHERE id = ?", (token, reply.id))
    assert store.load(conv.id).messages[1].status == "interrupted"


# -- the recorder ---------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def new_recorder(store: HistoryStore, clock: FakeClock) -> tuple[Conversation, ReplyRecorder]:
    conv = Conversation()
    store.add_message(conv, conv.add_user("q"))
    recorder = ReplyRecorder(store, conv, conv.add_assistant("gpt-test"), interval=0.25, clock=clock)
    recorder.start()
    return conv, recorder


def stored_text(store: HistoryStore, conv: Conversation) -> str:
    return store.load(conv.id).messages[-1].text


def test_recorder_flushes_on_the_interval(store: HistoryStore) -> None:
    clock = FakeClock()
    conv, rec = new_recorder(store, clock)
    assert rec.message.status == "streaming" and rec.flushes == 1
    assert rec.append("one ") is False
    clock.now += 0.1
    assert rec.append("two ") is False
    assert rec.due is False
    clock.now += 0.15
    assert rec.due is True
    assert rec.append("three ") is True
    assert stored_text(store, conv) == ""
    rec.flush()
    assert stored_text(store, conv) == "one two three "
    assert rec.flushes == 2
    assert rec.append("four") is False
    rec.flush()
    rec.flush()
    assert rec.flushes == 3
    rec.flush()  # nothing new: no write
    assert rec.flushes == 3
    assert rec.append("") is False


def test_recorder_flushes_at_finished_blocks(store: HistoryStore) -> None:
    clock = FakeClock()
    _, rec = new_recorder(store, clock)
    clock.now += 0.01
    assert rec.append("para one.\n\n") is False  # a block, but within min_gap of the last write
    clock.now += 0.05
    assert rec.append("para two.\n") is False
    assert rec.append("\n") is True  # "\n\n" split across deltas
    rec.flush()
    clock.now += 0.06
    assert rec.append("```python\n") is False  # a fence opens
    assert rec.append("x = 1\n") is False
    assert rec.append("``") is False
    assert rec.append("`\n") is True  # ...and closes (split delta)
    rec.flush()
    clock.now += 0.06
    assert rec.append("   ~~~\n") is False
    assert rec.append("y\n~~~\n") is True
    rec.flush()
    clock.now += 0.06
    assert rec.append("just words, no break") is False


def test_recorder_finish_and_reasoning(store: HistoryStore) -> None:
    clock = FakeClock()
    conv, rec = new_recorder(store, clock)
    assert rec.append_reasoning("pondering") is False
    clock.now += 1
    assert rec.append_reasoning("...") is True
    rec.append("partial")
    rec.finish("truncated", Usage(input_tokens=3, output_tokens=512))
    reply = store.load(conv.id).messages[-1]
    assert (reply.text, reply.reasoning, reply.status) == ("partial", "pondering...", "truncated")
    assert reply.usage == Usage(input_tokens=3, output_tokens=512)
    assert "_(truncated at 512 output tokens)_" in store.export_markdown(conv.id)


def test_sync_methods_refuse_an_async_store(store: HistoryStore) -> None:
    history = AsyncHistory(store)
    rec = ReplyRecorder(history, Conversation(), Message(role="assistant", text=""))
    rec.append("x")
    with pytest.raises(TypeError, match="aflush"):
        rec.flush()


# -- export ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "reason", "usage", "note"),
    [
        ("completed", None, None, None, None),
        ("cancelled", None, None, None, "_(cancelled)_"),
        ("error", "HTTP 502 from the gateway", None, None, "_(error: HTTP 502 from the gateway)_"),
        ("rate_limited", "retry in 20 s", None, None, "_(rate limited: retry in 20 s)_"),
        ("truncated", None, "max_output_tokens", Usage(output_tokens=1200), "_(truncated at 1,200 output tokens)_"),
        # A row written before the reason was kept: truncated at its output tokens, as it was then.
        ("truncated", None, None, Usage(output_tokens=1200), "_(truncated at 1,200 output tokens)_"),
        ("truncated", None, None, None, "_(truncated at the output limit)_"),
        ("truncated", None, "content_filter", Usage(output_tokens=6), "_(stopped by the content filter)_"),
        ("truncated", None, "recitation", None, "_(stopped early: recitation)_"),
        ("truncated", None, "", Usage(output_tokens=6), "_(stopped early (no reason given))_"),
        ("refused", None, None, None, "_(the model refused)_"),
        ("streaming", None, None, None, "_(still streaming — partial reply)_"),
    ],
)
def test_export_marks_how_replies_ended(
    store: HistoryStore,
    status: str,
    error: str | None,
    reason: str | None,
    usage: Usage | None,
    note: str | None,
) -> None:
    conv = Conversation(system_prompt="You are terse.")
    store.add_message(conv, conv.add_user("Explain", attachments=["data:image/png;base64,AA"]))
    reply = conv.add_assistant("gpt-test")
    reply.text = "Here:\n```python\nprint(1)"  # an unclosed fence
    reply.status = status  # type: ignore[assignment]
    reply.error = error
    reply.end_reason = reason
    reply.usage = usage
    store.add_message(conv, reply)
    md = store.export_markdown(conv.id)
    lines = md.splitlines()
    assert lines[0] == "# Explain"
    assert "## System prompt" in lines and "You are terse." in lines
    assert "## You" in lines
    assert "## Assistant (gpt-test)" in lines
    assert "_(1 image attached)_" in lines
    assert "data:image" not in md
    assert md.count("```") % 2 == 0  # the fence was closed before the notes
    if note is None:
        assert "_(" not in md.replace("_(1 image attached)_", "")
    else:
        assert note in lines
        assert lines.index(note) > lines.index("print(1)")
    if usage is not None:
        assert f"_Usage: 0 in · {usage.output_tokens:,} out_" in lines


@pytest.mark.parametrize("reason", ["content_filter", "max_output_tokens", ""])
def test_incomplete_reason_round_trips_and_is_not_an_error(store: HistoryStore, reason: str) -> None:
    conv = Conversation()
    store.add_message(conv, conv.add_user("hi"))
    reply = conv.add_assistant("gpt-test")
    store.add_message(conv, reply)
    reply.text, reply.status, reply.end_reason = "partial", "truncated", reason
    reply.usage = Usage(output_tokens=6)
    store.update_message(conv.id, reply)
    loaded = store.load(conv.id).messages[-1]
    assert (loaded.status, loaded.end_reason, loaded.error) == ("truncated", reason, None)


def test_refused_reply_round_trips_with_its_text(store: HistoryStore) -> None:
    conv = Conversation()
    store.add_message(conv, conv.add_user("hi"))
    reply = conv.add_assistant("gpt-test")
    store.add_message(conv, reply)
    reply.text, reply.status = "I can't help with that.", "refused"
    store.update_message(conv.id, reply)
    loaded = store.load(conv.id).messages[-1]
    assert (loaded.status, loaded.text, loaded.error, loaded.end_reason) == (
        "refused",
        "I can't help with that.",
        None,
        None,
    )
    summary = store.list_conversations()[0]
    assert summary.last_status == "refused"


def test_export_usage_line(store: HistoryStore) -> None:
    conv = make_conv(store)
    reply = conv.messages[1]
    reply.usage = Usage(input_tokens=1500, cached_tokens=1000, output_tokens=20, reasoning_tokens=5, cost=0.0123)
    store.update_message(conv.id, reply)
    md = store.export_markdown(conv.id)
    assert "_Usage: 1,500 in (1,000 cached) · 20 out (5 reasoning) · $0.0123_" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


# -- async ----------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_history_runs_off_the_loop_in_order() -> None:
    history = await AsyncHistory.open()
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original = history.store.update_message

    def spy(conv_id: str, message: Message) -> None:
        seen.append(threading.get_ident())
        original(conv_id, message)

    history.store.update_message = spy  # type: ignore[method-assign]
    try:
        conv = Conversation()
        await history.add_message(conv, conv.add_user("async question"))
        rec = ReplyRecorder(history, conv, conv.add_assistant("gpt-test"), interval=0)
        await rec.astart()
        for i in range(50):
            if rec.append(f"w{i} "):
                await rec.aflush()
        await rec.afinish("completed", Usage(output_tokens=50))
        assert seen and set(seen) != {loop_thread} and len(set(seen)) == 1
        loaded = await history.load(conv.id)
        assert loaded.messages[1].text == "".join(f"w{i} " for i in range(50))
        assert loaded.messages[1].status == "completed"
        assert [s.id for s in await history.list_conversations()] == [conv.id]
        assert await history.resolve("last") == conv.id
        assert [h.role for h in await history.search("async")] == ["user"]
        assert "## Assistant (gpt-test)" in await history.export_markdown(conv.id)
        await history.rename(conv.id, "renamed")
        assert (await history.load(conv.id)).title == "renamed"
        assert await history.count() == 1
        assert await history.integrity_check() == "ok"
        with pytest.raises(HistoryNotFoundError):
            await history.load("nope")
        await history.delete(conv.id)
        assert await history.list_conversations() == []
    finally:
        await history.close()


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_lose_the_write() -> None:
    store = HistoryStore()
    history = AsyncHistory(store)
    gate = threading.Event()
    conv = Conversation()
    try:
        await history.add_message(conv, conv.add_user("q"))
        # Block the worker thread so the next write is queued when its caller is cancelled.
        blocker = asyncio.ensure_future(history._run(gate.wait, 30))
        task = asyncio.ensure_future(history.add_message(conv, conv.add_user("queued")))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        await blocker
        assert [m.text for m in (await history.load(conv.id)).messages] == ["q", "queued"]
    finally:
        gate.set()
        await history.close()


@pytest.mark.anyio
async def test_aflush_snapshots_the_message() -> None:
    history = await AsyncHistory.open()
    try:
        conv = Conversation()
        rec = ReplyRecorder(history, conv, conv.add_assistant("m"), interval=0)
        await rec.astart()
        rec.append("abc")
        flush = asyncio.ensure_future(rec.aflush())
        await asyncio.sleep(0)
        rec.append("def")  # appended while the write is in flight
        await rec.aflush()  # skipped: one write at a time
        await flush
        assert (await history.load(conv.id)).messages[0].text == "abc"
        assert rec.append("") is False and rec.due
        await rec.aflush()
        assert (await history.load(conv.id)).messages[0].text == "abcdef"
    finally:
        await history.close()


def test_recent_prompts_oldest_first_each_once() -> None:
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.store.history import HistoryStore

    with HistoryStore() as store:
        for texts in (["a", "b"], ["c", "a"], ["d"]):
            conv = Conversation()
            for text in texts:
                store.add_message(conv, conv.add_user(text))
                reply = conv.add_assistant("m")
                reply.text = "answer"
                store.add_message(conv, reply)
        assert store.recent_prompts() == ["b", "c", "a", "d"]  # "a" at its latest use; replies never
        assert store.recent_prompts(limit=2) == ["a", "d"]


def test_a_comparison_continued_from_the_list_becomes_a_chat(tmp_path: Path) -> None:
    from llmconsole.core.chat.conversation import Conversation, Message

    with HistoryStore(tmp_path / "history.sqlite3") as store:
        conv = Conversation()
        store.save_conversation(conv, kind="compare")
        prompt = conv.add_user("compare this")
        store.add_message(conv, prompt)
        answers = [Message("assistant", t, model=t, status="completed", parent_id=prompt.id) for t in ("a", "b")]
        for answer in answers:
            store.add_message(conv, answer)
        assert [s.kind for s in store.list_conversations()] == ["compare"]  # the prompt and answers: a comparison
        conv.messages.append(answers[1])
        store.add_message(conv, conv.add_user("and then?"))
        assert [s.kind for s in store.list_conversations()] == ["chat"]  # continued on one answer

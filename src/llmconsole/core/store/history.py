"""Crash-safe conversation history in SQLite (stdlib ``sqlite3``).

The database is ``paths.data_dir() / "history.sqlite3"`` (``LLMCONSOLE_DATA_DIR`` overrides the folder). The
folder is 0700, the database and its ``-wal``/``-shm`` files 0600. WAL mode with ``synchronous=NORMAL``: a
commit survives the process being killed (not a power cut), readers never block the writer, and several
processes (the app, ``llmconsole -p``, ``llmconsole history``) share the file.

Writing a streamed reply::

    message = conv.add_assistant(model)
    recorder = ReplyRecorder(history, conv, message)   # history: AsyncHistory (app) or HistoryStore
    await recorder.astart()                            # the row exists, status "streaming"
    async for event in stream:
        if isinstance(event, TextDelta) and recorder.append(event.text):
            await recorder.aflush()                    # every `interval` s and at every finished block
    await recorder.afinish("completed", usage)

A reply whose process died before it ended keeps status ``streaming`` in the file; every read (``load``,
``list_conversations``, ``export_markdown``, the CLI) reports it as ``interrupted`` when the process that
wrote it is gone. Each message row records its writer's pid and a start token (Linux: boot id + process start
time from ``/proc``), so a recycled pid is not mistaken for the writer.

Nothing is stored that the caller did not pass in: the API key never reaches this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import heapq
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, ParamSpec, TypeVar, cast

from llmconsole.core import paths
from llmconsole.core.chat.conversation import (
    Conversation,
    Message,
    MessageStatus,
    ToolExchange,
    ToolStatus,
    title_from_prompt,
)
from llmconsole.core.errors import LLMConsoleError
from llmconsole.core.events import Usage, end_text

__all__ = [
    "DB_FILENAME",
    "DEMO_DB_FILENAME",
    "SCHEMA_VERSION",
    "AsyncHistory",
    "ConversationSummary",
    "HistoryError",
    "HistoryNotFoundError",
    "HistoryStore",
    "ReplyRecorder",
    "SearchHit",
    "default_path",
    "fts_query",
]

log = logging.getLogger(__name__)

DB_FILENAME: Final = "history.sqlite3"
DEMO_DB_FILENAME: Final = "demo-history.sqlite3"
BUSY_TIMEOUT_MS: Final = 5_000
MIN_PREFIX: Final = 4
"""Shortest id prefix ``resolve`` accepts."""
PREFIX_MIN: Final = 3
"""Shortest last word of a search that is matched as a prefix."""
SNIPPET_OPEN: Final = "\ue000"
SNIPPET_CLOSE: Final = "\ue001"
"""Markers ``snippet()`` puts around matches; :class:`SearchHit` turns them into ``spans``."""

_P = ParamSpec("_P")
_T = TypeVar("_T")


class HistoryError(LLMConsoleError):
    """The history database cannot be opened, read or written (exit 1)."""

    exit_code = 1


class HistoryNotFoundError(HistoryError):
    """No conversation matches the id, prefix or ``last`` (or the prefix is ambiguous or too short)."""

    exit_code = 2


def default_path(*, demo: bool = False) -> Path:
    """Where the history lives: ``data_dir()/history.sqlite3``; the ``--demo`` backend's conversations go to
    ``demo-history.sqlite3`` beside it, never among the real ones."""
    return paths.data_dir() / (DEMO_DB_FILENAME if demo else DB_FILENAME)


# ----------------------------------------------------------------------------------------------------
# Value objects


@dataclass(frozen=True)
class ConversationSummary:
    """One line of the conversation list."""

    id: str
    short_id: str
    """The first 8 characters of ``id`` (what the CLI prints; ``resolve`` accepts any prefix of 4+)."""
    title: str
    model: str | None
    """The model of the latest reply (or the one the conversation was saved with)."""
    updated_at: float
    """Unix time of the last write."""
    message_count: int
    kind: str
    """``chat`` or ``compare``."""
    last_status: str | None = None
    """How the newest reply ended (dead writers already mapped to ``interrupted``); None without replies."""


@dataclass(frozen=True)
class SearchHit:
    """A full-text match: a message, or (``message_id`` None) a conversation title."""

    conversation_id: str
    message_id: str | None
    """None when the title matched."""
    title: str
    snippet: str
    """A short plain-text excerpt around the match, on one line."""
    role: str | None
    """``user``/``assistant``, ``tool`` for a tool call (its arguments or output matched; ``message_id`` is the
    reply that made the call); None for a title match."""
    spans: tuple[tuple[int, int], ...] = ()
    """``(start, end)`` offsets of the matched terms in ``snippet`` (for highlighting)."""
    updated_at: float = 0.0
    """When the conversation was last written."""
    tool: str | None = None
    """The tool's name, for a tool-call match."""


# ----------------------------------------------------------------------------------------------------
# Writer liveness


_BOOT_ID: str | None = None
_SELF_TOKEN: tuple[int, str] | None = None
_IMPORT_TIME: Final = time.time()


def _boot_id() -> str:
    global _BOOT_ID
    if _BOOT_ID is None:
        try:
            _BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            _BOOT_ID = ""
    return _BOOT_ID


def _proc_token(pid: int) -> str | None:
    """Linux: ``boot_id:starttime`` of a live process; None if it is gone (or a zombie)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    if not fields or fields[0] in (b"Z", b"X", b"x"):
        return None
    return f"{_boot_id()}:{fields[19].decode()}"


def _has_proc() -> bool:
    return sys.platform.startswith("linux") and os.path.exists("/proc/self/stat")


def writer_token() -> tuple[int, str]:
    """``(pid, start token)`` of this process (recomputed after a fork)."""
    global _SELF_TOKEN
    pid = os.getpid()
    if _SELF_TOKEN is None or _SELF_TOKEN[0] != pid:
        token = _proc_token(pid) if _has_proc() else None
        _SELF_TOKEN = (pid, token if token is not None else f"t{pid}:{_IMPORT_TIME:.6f}")
    return _SELF_TOKEN


def writer_alive(pid: int | None, token: str | None) -> bool:
    """Whether the process that wrote a message (pid + start token) still runs."""
    if pid is None:
        return False
    me = writer_token()
    if pid == me[0]:
        return token == me[1]
    if _has_proc():
        return token is not None and _proc_token(pid) == token
    # Elsewhere (macOS, BSD): no cheap start time of another process; a recycled pid is taken for the writer.
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ----------------------------------------------------------------------------------------------------
# Schema


def _m1_base(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE conversations (
            pk            INTEGER PRIMARY KEY,
            id            TEXT NOT NULL UNIQUE,
            title         TEXT NOT NULL DEFAULT '',
            model         TEXT,
            system_prompt TEXT,
            created_at    REAL NOT NULL,
            updated_at    REAL NOT NULL,
            kind          TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'compare')),
            meta          TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    db.execute("CREATE INDEX conversations_by_update ON conversations (updated_at DESC, pk DESC)")
    db.execute(
        """
        CREATE TABLE messages (
            pk              INTEGER PRIMARY KEY,
            id              TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            role            TEXT NOT NULL,
            text            TEXT NOT NULL DEFAULT '',
            model           TEXT,
            status          TEXT,
            usage           TEXT,
            reasoning       TEXT NOT NULL DEFAULT '',
            error           TEXT,
            images          TEXT NOT NULL DEFAULT '[]',
            created_at      REAL NOT NULL,
            ttft_s          REAL,
            duration_s      REAL,
            writer_pid      INTEGER,
            writer_boot     TEXT
        )"""
    )
    db.execute("CREATE INDEX messages_by_conversation ON messages (conversation_id, seq)")


def _m2_fts(db: sqlite3.Connection) -> None:
    """Full-text search: external-content FTS5 indexes over message text and titles, synced by triggers."""
    tokenizer = "tokenize = 'unicode61 remove_diacritics 2'"
    for fts, column, table in (
        ("messages_fts", "text", "messages"),
        ("titles_fts", "title", "conversations"),
    ):
        db.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='pk', {tokenizer})"
        )
    for table, column in (("messages", "text"), ("conversations", "title")):
        fts = "messages_fts" if table == "messages" else "titles_fts"
        db.execute(
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts} (rowid, {column}) VALUES (new.pk, new.{column}); END"
        )
        db.execute(
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.pk, old.{column}); END"
        )
        db.execute(
            f"CREATE TRIGGER {table}_au AFTER UPDATE OF {column} ON {table} "
            f"WHEN old.{column} IS NOT new.{column} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.pk, old.{column}); "
            f"INSERT INTO {fts} (rowid, {column}) VALUES (new.pk, new.{column}); END"
        )
    # Index what version 1 already held.
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO titles_fts (titles_fts) VALUES ('rebuild')")


def _m3_tree(db: sqlite3.Connection) -> None:
    """Conversations become trees: every message gets a parent (the one stored before it: each existing
    conversation is one branch, nothing lost) and a conversation its active leaf (NULL: the newest message)."""
    db.execute("ALTER TABLE messages ADD COLUMN parent_id TEXT")
    db.execute("ALTER TABLE conversations ADD COLUMN active_leaf TEXT")
    db.execute(
        """
        UPDATE messages SET parent_id = (
            SELECT p.id FROM messages p
            WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq
            ORDER BY p.seq DESC LIMIT 1
        )"""
    )


def _m4_tools(db: sqlite3.Connection) -> None:
    """Tool calls: one row per call a reply made (arguments as sent, the output sent back, how it went), in
    their own full-text index (name, arguments, output) so that search finds them."""
    db.execute(
        """
        CREATE TABLE tool_calls (
            pk              INTEGER PRIMARY KEY,
            message_id      TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            conversation_id TEXT NOT NULL,
            seq             INTEGER NOT NULL,
            call_id         TEXT NOT NULL,
            name            TEXT NOT NULL,
            server          TEXT,
            arguments       TEXT NOT NULL DEFAULT '{}',
            status          TEXT NOT NULL,
            output          TEXT NOT NULL DEFAULT '',
            is_error        INTEGER NOT NULL DEFAULT 0,
            truncated       INTEGER NOT NULL DEFAULT 0,
            duration_s      REAL
        )"""
    )
    db.execute("CREATE INDEX tool_calls_by_message ON tool_calls (message_id, seq)")
    db.execute("CREATE INDEX tool_calls_by_conversation ON tool_calls (conversation_id)")
    columns = "name, arguments, output"
    old = ", ".join(f"old.{c}" for c in columns.split(", "))
    new = ", ".join(f"new.{c}" for c in columns.split(", "))
    db.execute(
        f"CREATE VIRTUAL TABLE tools_fts USING fts5({columns}, content='tool_calls', content_rowid='pk', "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.execute(
        f"CREATE TRIGGER tool_calls_ai AFTER INSERT ON tool_calls BEGIN "
        f"INSERT INTO tools_fts (rowid, {columns}) VALUES (new.pk, {new}); END"
    )
    db.execute(
        f"CREATE TRIGGER tool_calls_ad AFTER DELETE ON tool_calls BEGIN "
        f"INSERT INTO tools_fts (tools_fts, rowid, {columns}) VALUES ('delete', old.pk, {old}); END"
    )
    db.execute(
        f"CREATE TRIGGER tool_calls_au AFTER UPDATE OF {columns} ON tool_calls BEGIN "
        f"INSERT INTO tools_fts (tools_fts, rowid, {columns}) VALUES ('delete', old.pk, {old}); "
        f"INSERT INTO tools_fts (rowid, {columns}) VALUES (new.pk, {new}); END"
    )


MIGRATIONS: Final[Sequence[Callable[[sqlite3.Connection], None]]] = (_m1_base, _m2_fts, _m3_tree, _m4_tools)
"""``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1`` (``PRAGMA user_version``)."""
SCHEMA_VERSION: Final = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring ``db`` (autocommit connection) to schema version ``target``, one transaction per step."""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"The history database has schema version {version}; this llmconsole knows up to "
                    f"{SCHEMA_VERSION}. Upgrade llmconsole."
                )
            if version >= target:
                db.execute("COMMIT")
                return version
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


# ----------------------------------------------------------------------------------------------------
# Helpers


def _error_column(message: Message) -> str | None:
    """The ``error`` column: a truncated reply (which has no error) keeps its incomplete reason there."""
    return message.end_reason if message.status == "truncated" else message.error


def _write_tools(db: sqlite3.Connection, conv_id: str, message: Message) -> None:
    """Replace the stored tool calls of ``message`` with its current ones (a no-op for a message without)."""
    if not message.tool_calls and message.role == "user":
        return
    db.execute("DELETE FROM tool_calls WHERE message_id = ?", (message.id,))
    db.executemany(
        """
        INSERT INTO tool_calls (message_id, conversation_id, seq, call_id, name, server, arguments, status, output,
                                is_error, truncated, duration_s)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (
                message.id,
                conv_id,
                seq,
                call.call_id,
                call.name,
                call.server,
                call.arguments,
                call.status,
                call.output,
                int(call.is_error),
                int(call.truncated),
                call.duration_s,
            )
            for seq, call in enumerate(message.tool_calls)
        ],
    )


def _read_tools(db: sqlite3.Connection, conv_id: str) -> dict[str, list[ToolExchange]]:
    """Message id -> its tool calls, in order."""
    calls: dict[str, list[ToolExchange]] = {}
    for message_id, call_id, name, server, arguments, status, output, is_error, truncated, duration in db.execute(
        """
        SELECT message_id, call_id, name, server, arguments, status, output, is_error, truncated, duration_s
        FROM tool_calls WHERE conversation_id = ? ORDER BY message_id, seq
        """,
        (conv_id,),
    ):
        known = status if status in ("pending", "ran", "declined", "cancelled") else "ran"
        calls.setdefault(message_id, []).append(
            ToolExchange(
                call_id=call_id,
                name=name,
                arguments=arguments,
                server=server,
                status=cast("ToolStatus", known),
                output=output,
                is_error=bool(is_error),
                truncated=bool(truncated),
                duration_s=duration,
            )
        )
    return calls


def _usage_to_json(usage: Usage | None) -> str | None:
    return None if usage is None else json.dumps(dataclasses.asdict(usage), separators=(",", ":"))


def _usage_from_json(raw: str | None) -> Usage | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    known = {f.name for f in dataclasses.fields(Usage)}
    return Usage(**{k: v for k, v in data.items() if k in known})


def _attachments_from_json(raw: str | None) -> list[str]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    return [item for item in data if isinstance(item, str)] if isinstance(data, list) else []


_WORD = re.compile(r"[^\W_]", re.UNICODE)


def fts_query(text: str) -> str | None:
    """A safe FTS5 query from whatever the user typed: every word must appear, the last one as a prefix
    (when it has at least ``PREFIX_MIN`` letters: a one- or two-letter prefix matches half the index).

    Each whitespace-separated word becomes a quoted phrase (quotes doubled), so operators (``AND``, ``NEAR``,
    ``*``, ``^``, ``:``, parentheses) are plain text. Returns None when nothing searchable is left.
    """
    words = [w for w in text.replace("\x00", " ").split() if _WORD.search(w)]
    if not words:
        return None
    phrases = ['"' + w.replace('"', '""') + '"' for w in words]
    if len(_WORD.findall(words[-1])) >= PREFIX_MIN:
        phrases[-1] += " *"
    return " ".join(phrases)


def _clean_snippet(raw: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Snippet with markers → one-line plain text and the matched spans."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    for ch in raw:
        if ch == SNIPPET_OPEN:
            start = pos
        elif ch == SNIPPET_CLOSE:
            if start is not None:
                spans.append((start, pos))
            start = None
        else:
            if ch in "\r\n\t\x0b\x0c":
                ch = " "
            out.append(ch)
            pos += 1
    return "".join(out).rstrip(), tuple(spans)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _guard(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run a store method under its lock, turning ``sqlite3.Error`` into :class:`HistoryError`."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        store = cast("HistoryStore", args[0])
        with store._lock:
            if store._db is None:
                raise HistoryError("The history store is closed.")
            try:
                return method(*args, **kwargs)
            except sqlite3.Error as exc:
                raise HistoryError(f"History database error ({store.path}): {exc}") from exc

    return wrapper


def _tighten(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


# ----------------------------------------------------------------------------------------------------
# The store


class HistoryStore:
    """The history database. Thread-safe (one lock) but blocking: the app uses :class:`AsyncHistory`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            raise HistoryError(f"Cannot open the history database {self.path}: {exc}") from exc
        except OSError as exc:
            raise HistoryError(f"Cannot create the history database {self.path}: {exc.strerror or exc}") from exc

    def _open(self) -> sqlite3.Connection:
        paths.ensure_private_dir(self.path.parent)
        # Create the file 0600 before SQLite opens it: SQLite gives -wal and -shm the database's mode.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        _tighten(self.path)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("history: journal_mode is %s, not wal", mode)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        except BaseException:
            db.close()
            raise
        for suffix in ("-wal", "-shm"):
            _tighten(self.path.with_name(self.path.name + suffix))
        return db

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise HistoryError("The history store is closed.")
        return self._db

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- writes ------------------------------------------------------------------------------------

    def _upsert_conversation(
        self,
        db: sqlite3.Connection,
        conv: Conversation,
        kind: str,
        meta: dict[str, Any] | None,
        now: float,
        *,
        touch_only: bool = False,
    ) -> None:
        """Insert the conversation row; if it exists, update its fields (or, ``touch_only``, its update time
        and an empty title: a rename made meanwhile by another window is not undone by a new message)."""
        update = (
            """
                title = CASE WHEN conversations.title = '' THEN excluded.title ELSE conversations.title END,
                updated_at = MAX(conversations.updated_at, excluded.updated_at)
            """
            if touch_only
            else """
                title = excluded.title,
                model = COALESCE(excluded.model, conversations.model),
                system_prompt = excluded.system_prompt,
                updated_at = MAX(conversations.updated_at, excluded.updated_at),
                kind = excluded.kind,
                meta = CASE WHEN ? THEN excluded.meta ELSE conversations.meta END
            """
        )
        params: tuple[Any, ...] = (
            conv.id,
            conv.title,
            conv.model,
            conv.system_prompt,
            conv.created_at,
            now,
            kind,
            json.dumps(meta or {}),
        )
        db.execute(
            "INSERT INTO conversations (id, title, model, system_prompt, created_at, updated_at, kind, meta) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET {update}",
            params if touch_only else (*params, meta is not None),
        )

    @_guard
    def save_conversation(self, conv: Conversation, *, kind: str = "chat", meta: dict[str, Any] | None = None) -> None:
        """Insert or update the conversation's own fields (title, model, system prompt, kind, meta)."""
        if kind not in ("chat", "compare"):
            raise ValueError(f"kind must be 'chat' or 'compare', not {kind!r}")
        with self._write() as db:
            self._upsert_conversation(db, conv, kind, meta, time.time())

    @_guard
    def add_message(self, conv: Conversation, message: Message, *, kind: str | None = None) -> None:
        """Insert ``message`` at the end of ``conv`` (creating the conversation row if needed) and commit.

        Call it for a user message *before* its request is sent, and for a reply as soon as it is created.
        """
        pid, token = writer_token()
        now = time.time()
        if message.parent_id is None and message in conv.messages:
            index = conv.messages.index(message)  # a list built by hand: the message before is the parent
            message.parent_id = conv.messages[index - 1].id if index else None
        with self._write() as db:
            self._upsert_conversation(db, conv, kind or "chat", None, now, touch_only=True)
            db.execute(
                """
                INSERT INTO messages (id, conversation_id, seq, role, text, model, status, usage, reasoning,
                                      error, images, created_at, ttft_s, duration_s, writer_pid, writer_boot,
                                      parent_id)
                VALUES (?, ?, (SELECT COALESCE(MAX(seq), -1) + 1 FROM messages WHERE conversation_id = ?),
                        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    message.id,
                    conv.id,
                    conv.id,
                    message.role,
                    message.text,
                    message.model,
                    message.status,
                    _usage_to_json(message.usage),
                    message.reasoning,
                    _error_column(message),
                    json.dumps(message.attachments),
                    message.created_at,
                    message.ttft_s,
                    message.duration_s,
                    pid,
                    token,
                    message.parent_id,
                ),
            )
            if message.tool_calls:
                _write_tools(db, conv.id, message)
            db.execute("UPDATE conversations SET active_leaf = ? WHERE id = ?", (message.id, conv.id))
            if message.role == "user" and message.parent_id is not None:  # a compared answer continued: a chat
                db.execute("UPDATE conversations SET kind = 'chat' WHERE id = ? AND kind = 'compare'", (conv.id,))
            if message.role == "assistant" and message.model:
                db.execute("UPDATE conversations SET model = ? WHERE id = ?", (message.model, conv.id))

    @_guard
    def update_message(self, conv_id: str, message: Message) -> None:
        """Write the text, status, usage, reasoning, error and timings of a stored message; commit.

        This process becomes the message's writer (for dead-writer detection).
        """
        pid, token = writer_token()
        with self._write() as db:
            cur = db.execute(
                """
                UPDATE messages SET text = ?, model = ?, status = ?, usage = ?, reasoning = ?, error = ?,
                       ttft_s = ?, duration_s = ?, writer_pid = ?, writer_boot = ?
                WHERE id = ? AND conversation_id = ?
                """,
                (
                    message.text,
                    message.model,
                    message.status,
                    _usage_to_json(message.usage),
                    message.reasoning,
                    _error_column(message),
                    message.ttft_s,
                    message.duration_s,
                    pid,
                    token,
                    message.id,
                    conv_id,
                ),
            )
            if cur.rowcount == 0:
                raise HistoryNotFoundError(f"No message {message.id} in conversation {conv_id}.")
            _write_tools(db, conv_id, message)
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (time.time(), conv_id))

    @_guard
    def set_active_leaf(self, conv_id: str, leaf_id: str) -> None:
        """The branch shown and continued when the conversation opens: the path to ``leaf_id``."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE conversations SET active_leaf = ? WHERE id = ? AND EXISTS "
                "(SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?)",
                (leaf_id, conv_id, leaf_id, conv_id),
            )
            if cur.rowcount == 0:
                raise HistoryNotFoundError(f"No message {leaf_id} in conversation {conv_id}.")

    @_guard
    def rename(self, conv_id: str, title: str) -> None:
        """Set the title (whitespace collapsed to one line)."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (_collapse(title), time.time(), conv_id),
            )
            if cur.rowcount == 0:
                raise HistoryNotFoundError(f"No conversation {conv_id}.")

    @_guard
    def delete(self, conv_id: str) -> None:
        """Delete a conversation and its messages. The rows' pages are zeroed (``secure_delete``) and the WAL
        checkpointed; single words may stay in the FTS index until :meth:`compact`.
        """
        db = self.db
        db.execute("PRAGMA secure_delete = ON")
        try:
            with self._write():
                db.execute("DELETE FROM tool_calls WHERE conversation_id = ?", (conv_id,))
                db.execute("DELETE FROM messages WHERE conversation_id = ?", (conv_id,))
                cur = db.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))
                if cur.rowcount == 0:
                    raise HistoryNotFoundError(f"No conversation {conv_id}.")
        finally:
            db.execute("PRAGMA secure_delete = OFF")
        # Move the (zeroed) pages into the database file and drop the old copies from the WAL if nobody reads.
        with contextlib.suppress(sqlite3.Error):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @_guard
    def delete_message(self, conv_id: str, message_id: str) -> None:
        """Delete one message of a conversation (a prompt that was replaced before it was answered). Like
        :meth:`delete`: the row's pages are zeroed, the FTS index follows (the ``messages_ad`` trigger), the WAL
        is checkpointed. The conversation itself stays, even when it has no message left. A title that was
        taken from the deleted prompt (not renamed since) becomes the start of the first prompt left, or empty.
        """
        db = self.db
        db.execute("PRAGMA secure_delete = ON")
        try:
            with self._write():
                row = db.execute(
                    "SELECT m.role, m.text, c.title FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE m.id = ? AND m.conversation_id = ?",
                    (message_id, conv_id),
                ).fetchone()
                if row is None:
                    raise HistoryNotFoundError(f"No message {message_id} in conversation {conv_id}.")
                role, text, title = row
                db.execute("DELETE FROM tool_calls WHERE message_id = ?", (message_id,))
                db.execute("DELETE FROM messages WHERE id = ? AND conversation_id = ?", (message_id, conv_id))
                if role == "user" and title and title == title_from_prompt(text):
                    first = db.execute(
                        "SELECT text FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY seq LIMIT 1",
                        (conv_id,),
                    ).fetchone()
                    title = title_from_prompt(first[0]) if first is not None else ""
                db.execute(
                    "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?", (title, time.time(), conv_id)
                )
        finally:
            db.execute("PRAGMA secure_delete = OFF")
        with contextlib.suppress(sqlite3.Error):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @_guard
    def compact(self) -> None:
        """Rewrite the search indexes and the file (``optimize`` + ``VACUUM``): words of deleted conversations
        leave the FTS index only when its segments are merged. Slow on a big history (about a second per
        200,000 messages); for an explicit "purge" action, not for every delete.
        """
        db = self.db
        db.execute("PRAGMA secure_delete = ON")
        try:
            with self._write():
                db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
                db.execute("INSERT INTO titles_fts (titles_fts) VALUES ('optimize')")
                db.execute("INSERT INTO tools_fts (tools_fts) VALUES ('optimize')")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.execute("PRAGMA secure_delete = OFF")

    # -- reads -------------------------------------------------------------------------------------

    @staticmethod
    def _effective_status(status: str | None, pid: int | None, token: str | None, cache: dict[Any, bool]) -> str | None:
        if status != "streaming":
            return status
        key = (pid, token)
        alive = cache.get(key)
        if alive is None:
            alive = cache[key] = writer_alive(pid, token)
        return "streaming" if alive else "interrupted"

    @_guard
    def list_conversations(self, limit: int = 100, offset: int = 0) -> list[ConversationSummary]:
        """Conversations, most recently updated first (``limit`` < 0: all of them)."""
        rows = self.db.execute(
            """
            SELECT c.id, c.title, c.model, c.updated_at, c.kind,
                   (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id),
                   l.status, l.writer_pid, l.writer_boot,
                   CASE WHEN c.title = '' THEN
                       (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user'
                        ORDER BY m.seq LIMIT 1)
                   END
            FROM conversations c
            LEFT JOIN messages l ON l.pk = (SELECT m.pk FROM messages m WHERE m.conversation_id = c.id
                                            AND m.role = 'assistant' ORDER BY m.seq DESC LIMIT 1)
            ORDER BY c.updated_at DESC, c.pk DESC
            LIMIT ? OFFSET ?
            """,
            (limit, offset),
        ).fetchall()
        cache: dict[Any, bool] = {}
        out: list[ConversationSummary] = []
        for cid, title, model, updated, kind, count, status, pid, token, first in rows:
            out.append(
                ConversationSummary(
                    id=cid,
                    short_id=cid[:8],
                    title=title or (title_from_prompt(first) if first else ""),
                    model=model,
                    updated_at=updated,
                    message_count=count,
                    kind=kind,
                    last_status=self._effective_status(status, pid, token, cache),
                )
            )
        return out

    @_guard
    def count(self) -> int:
        """How many conversations are stored."""
        return int(self.db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])

    @_guard
    def load(self, conv_id: str) -> Conversation:
        """The conversation: ``messages`` the active path (to the stored active leaf, else to the newest
        message), ``others`` the other branches; a dead writer's ``streaming`` reply is ``interrupted``."""
        db = self.db
        row = db.execute(
            "SELECT id, title, model, system_prompt, created_at, active_leaf FROM conversations WHERE id = ?",
            (conv_id,),
        ).fetchone()
        if row is None:
            raise HistoryNotFoundError(f"No conversation {conv_id}.")
        conv = Conversation(id=row[0], title=row[1], model=row[2], system_prompt=row[3], created_at=row[4])
        cache: dict[Any, bool] = {}
        rows = db.execute(
            """
            SELECT id, role, text, model, status, usage, reasoning, error, images, created_at, ttft_s,
                   duration_s, writer_pid, writer_boot, parent_id
            FROM messages WHERE conversation_id = ? ORDER BY seq
            """,
            (conv_id,),
        )
        stored: list[Message] = []
        tools = _read_tools(db, conv_id)
        for r in rows:
            status = self._effective_status(r[4], r[12], r[13], cache)
            truncated = status == "truncated"
            stored.append(
                Message(
                    role=r[1],
                    text=r[2],
                    id=r[0],
                    model=r[3],
                    status=cast("MessageStatus | None", status),
                    usage=_usage_from_json(r[5]),
                    reasoning=r[6] or "",
                    error=None if truncated else r[7],
                    end_reason=r[7] if truncated else None,
                    attachments=_attachments_from_json(r[8]),
                    created_at=r[9],
                    ttft_s=r[10],
                    duration_s=r[11],
                    parent_id=r[14],
                    tool_calls=tools.get(r[0], []),
                )
            )
        _arrange(conv, stored, row[5])
        return conv

    @_guard
    def conversation_kind(self, conv_id: str) -> str:
        """``chat`` or ``compare``."""
        row = self.db.execute("SELECT kind FROM conversations WHERE id = ?", (conv_id,)).fetchone()
        if row is None:
            raise HistoryNotFoundError(f"No conversation {conv_id}.")
        return str(row[0])

    @_guard
    def resolve(self, ref: str) -> str:
        """The full id for ``last``, a full id or a unique prefix of at least 4 characters."""
        ref = ref.strip()
        db = self.db
        if ref.lower() == "last":
            row = db.execute("SELECT id FROM conversations ORDER BY updated_at DESC, pk DESC LIMIT 1").fetchone()
            if row is None:
                raise HistoryNotFoundError("There are no conversations yet.")
            return str(row[0])
        ref = ref.lower()
        if db.execute("SELECT 1 FROM conversations WHERE id = ?", (ref,)).fetchone():
            return ref
        if len(ref) < MIN_PREFIX:
            raise HistoryNotFoundError(
                f"No conversation {ref!r} (give at least {MIN_PREFIX} characters of the id, or `last`)."
            )
        upper = ref[:-1] + chr(ord(ref[-1]) + 1)
        rows = db.execute(
            "SELECT id FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", (ref, upper)
        ).fetchall()
        if not rows:
            raise HistoryNotFoundError(f"No conversation {ref!r}.")
        if len(rows) > 1:
            raise HistoryNotFoundError(f"The id prefix {ref!r} matches several conversations; give more of it.")
        return str(rows[0][0])

    @_guard
    def recent_prompts(self, limit: int = 500) -> list[str]:
        """The prompts sent, oldest first, each once (at its latest use): the console's up-arrow recall,
        kept with the conversations (a deleted conversation takes its prompts with it)."""
        rows = self.db.execute(
            "SELECT text FROM messages WHERE role = 'user' AND text != '' ORDER BY created_at DESC, pk DESC LIMIT ?",
            (limit * 4,),
        ).fetchall()
        seen: set[str] = set()
        newest_first: list[str] = []
        for (text,) in rows:
            if text not in seen:
                seen.add(text)
                newest_first.append(text)
        return newest_first[:limit][::-1]

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Full-text search over titles and message text. Any input is a safe query (see :func:`fts_query`).

        Matches of titles given by rename come first (newest conversation first), then messages, newest
        first: recency is
        what one looks for in a chat history, and it keeps a word found in every message as fast as a rare
        one (FTS5 walks its index in rowid order and stops at ``limit``).
        """
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        db = self.db
        marks = (SNIPPET_OPEN, SNIPPET_CLOSE, "…")
        hits: list[SearchHit] = []
        for cid, title, snippet, updated, first in db.execute(
            """
            SELECT c.id, c.title, snippet(titles_fts, 0, ?, ?, ?, 12), c.updated_at,
                   (SELECT m.text FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq LIMIT 1)
            FROM titles_fts JOIN conversations c ON c.pk = titles_fts.rowid
            WHERE titles_fts MATCH ?
            ORDER BY titles_fts.rowid DESC
            LIMIT ?
            """,
            (*marks, match, limit),
        ):
            # A title made from the first prompt: the prompt's own hit (below) stands for it.
            if first is not None and title == title_from_prompt(first):
                continue
            text, spans = _clean_snippet(snippet)
            hits.append(SearchHit(cid, None, title, text, None, spans, updated))
        # Messages, then tool calls (their name, arguments and output; the hit names the reply that made the call).
        found = [
            db.execute(
                f"""
                SELECT m.created_at, m.conversation_id, m.id, c.title, {role}, snippet({fts}, {column}, ?, ?, ?, 12),
                       c.updated_at, {tool}
                FROM {fts}
                JOIN {table} ON {alias}.pk = {fts}.rowid {join}
                JOIN conversations c ON c.id = m.conversation_id
                WHERE {fts} MATCH ?
                ORDER BY {fts}.rowid DESC
                LIMIT ?
                """,
                (*marks, match, limit),
            ).fetchall()
            for fts, table, alias, join, role, column, tool in (
                ("messages_fts", "messages m", "m", "", "m.role", 0, "NULL"),
                ("tools_fts", "tool_calls t", "t", "JOIN messages m ON m.id = t.message_id", "'tool'", -1, "t.name"),
            )
        ]
        # Messages and tool calls, each newest first, merged newest first.
        for _, cid, mid, title, role, snippet, updated, tool in heapq.merge(*found, key=lambda r: -r[0]):
            if len(hits) >= limit:
                break
            text, spans = _clean_snippet(snippet)
            hits.append(SearchHit(cid, mid, title, text, role, spans, updated, tool))
        return hits

    def export_markdown(self, conv_id: str) -> str:
        """The conversation as Markdown; replies that did not complete say how they ended."""
        conv = self.load(conv_id)
        return conversation_markdown(conv)

    @_guard
    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``ok`` when the file is sound)."""
        return "\n".join(str(r[0]) for r in self.db.execute("PRAGMA integrity_check"))


# ----------------------------------------------------------------------------------------------------
# Markdown


def _format_usage(usage: Usage) -> str:
    parts = []
    cached = f" ({usage.cached_tokens:,} cached)" if usage.cached_tokens else ""
    parts.append(f"{usage.input_tokens:,} in{cached}")
    reasoning = f" ({usage.reasoning_tokens:,} reasoning)" if usage.reasoning_tokens else ""
    parts.append(f"{usage.output_tokens:,} out{reasoning}")
    if usage.cost is not None:
        parts.append(f"${usage.cost:.4f}")
    return " · ".join(parts)


def end_note(message: Message) -> str | None:
    """The italic line for a reply that did not complete (None when it completed)."""
    status = message.status
    if message.role != "assistant" or status in (None, "completed"):
        return None
    if status == "interrupted":
        return "_(interrupted — partial reply)_"
    if status == "streaming":
        return "_(still streaming — partial reply)_"
    if status == "cancelled":
        return "_(cancelled)_"
    if status == "truncated":
        tokens = message.usage.output_tokens if message.usage and message.usage.output_tokens else None
        return f"_({end_text(status, reason=message.end_reason, output_tokens=tokens)})_"
    if status == "refused":
        return "_(the model refused)_"
    if status == "rate_limited":
        return f"_(rate limited: {_collapse(message.error)})_" if message.error else "_(rate limited)_"
    if status == "error":
        return f"_(error: {_collapse(message.error)})_" if message.error else "_(error)_"
    return f"_({status})_"


def _arrange(conv: Conversation, stored: list[Message], active_leaf: str | None) -> None:
    """Split stored messages (in storage order) into the active path and the other branches."""
    if not stored:
        return
    from llmconsole.core.chat.tree import Tree, set_path

    tree = Tree(stored)
    leaf = active_leaf if active_leaf in tree.by_id else stored[-1].id
    set_path(conv, tree, leaf)


def _fenced(text: str, info: str = "") -> list[str]:
    """``text`` in a code fence longer than any backtick run inside it (so it stays literal: no links)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text.rstrip("\n"), fence]


def tool_markdown(call: ToolExchange) -> list[str]:
    """A tool call as Markdown lines: who was called and how it went, the arguments as JSON, the output sent
    back (literal, in a fence; a capped one ends saying where it was cut)."""
    took = f" ({call.duration_s:.1f} s)" if call.duration_s is not None else ""
    out = [f"**Tool call** `{call.label}` — {call.outcome}{took}", ""]
    out += [*_fenced(call.pretty_arguments(), "json"), ""]
    if call.output:
        out += ["Error:" if call.is_error else "Result:", "", *_fenced(call.output, "text"), ""]
    return out


def conversation_markdown(conv: Conversation) -> str:
    """Render a conversation as Markdown (see :meth:`HistoryStore.export_markdown`)."""
    out: list[str] = [f"# {_collapse(conv.title) or 'Untitled conversation'}", ""]
    if conv.system_prompt:
        out += ["## System prompt", "", conv.system_prompt.rstrip("\n"), ""]
    for message in conv.messages:
        if message.role == "user":
            out += ["## You", ""]
        else:
            out += [f"## Assistant ({message.model})" if message.model else "## Assistant", ""]
        if message.reasoning:
            out += ["> **Reasoning**", ">"]
            out += [f"> {line}".rstrip() for line in message.reasoning.rstrip("\n").splitlines()]
            out.append("")
        if message.text:
            out += [message.text.rstrip("\n"), ""]
            # Close a code fence the reply left open, so the notes below render as text.
            if message.text.count("```") % 2:
                out += ["```", ""]
        if message.attachments:
            n = len(message.attachments)
            out += [f"_({n} image{'s' if n != 1 else ''} attached)_", ""]
        for call in message.tool_calls:
            out += tool_markdown(call)
        note = end_note(message)
        if note:
            out += [note, ""]
        if message.role == "assistant" and message.usage is not None:
            out += [f"_Usage: {_format_usage(message.usage)}_", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def tree_markdown(conv: Conversation) -> str:
    """Every branch of a conversation, depth-first: a branch point's messages indented one more step, each
    headed ``●`` (on the active path) or ``○``, its sibling position ``‹i/n›`` where it has siblings."""
    from llmconsole.core.chat.tree import tree_lines

    out: list[str] = [f"# {_collapse(conv.title) or 'Untitled conversation'}", ""]
    if conv.system_prompt:
        out += ["## System prompt", "", conv.system_prompt.rstrip("\n"), ""]
    out += ["_● active branch · ○ other branches_", ""]
    for line in tree_lines(conv):
        message = line.message
        pad = "    " * line.depth
        who = "You" if message.role == "user" else f"Assistant ({message.model})" if message.model else "Assistant"
        index, count = line.position
        where = f" ‹{index}/{count}›" if count > 1 else ""
        out.append(f"{pad}{'●' if line.active else '○'} **{who}**{where} `{message.id[:8]}`")
        body = message.text.rstrip("\n").splitlines() or [""]
        body += [f"↳ tool `{call.label}` — {call.outcome}" for call in message.tool_calls]
        note = end_note(message)
        if note:
            body.append(note)
        out += [f"{pad}  {text}".rstrip() for text in body]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def tree_json(conv: Conversation) -> dict[str, Any]:
    """The whole tree as JSON-ready data: every message with its ``parent_id``, ``active`` on the path."""
    from llmconsole.core.chat.tree import all_messages

    active = {m.id for m in conv.messages}
    return {
        "id": conv.id,
        "title": conv.title,
        "system_prompt": conv.system_prompt,
        "created_at": conv.created_at,
        "active_leaf": conv.messages[-1].id if conv.messages else None,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                "role": m.role,
                "text": m.text,
                "model": m.model,
                "status": m.status,
                "error": m.error,
                "end_reason": m.end_reason,
                "usage": dataclasses.asdict(m.usage) if m.usage is not None else None,
                "reasoning": m.reasoning,
                "images": len(m.attachments),
                "tool_calls": [dataclasses.asdict(call) for call in m.tool_calls],
                "created_at": m.created_at,
                "active": m.id in active,
            }
            for m in all_messages(conv)
        ],
    }


# ----------------------------------------------------------------------------------------------------
# Async wrapper


def _snapshot(message: Message) -> Message:
    """A copy to write from the worker thread while the caller goes on changing the message (its tool calls
    are copied too: a result may arrive meanwhile)."""
    snapshot = copy.copy(message)
    if message.tool_calls:
        snapshot.tool_calls = [copy.copy(call) for call in message.tool_calls]
    return snapshot


class AsyncHistory:
    """A :class:`HistoryStore` called from asyncio: every call runs on one dedicated worker thread, in order.

    Writes are shielded from cancellation: once called, a write completes even if the caller is cancelled.
    """

    def __init__(self, store: HistoryStore | None = None, *, path: Path | None = None) -> None:
        self._store = store
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmconsole-history")

    @classmethod
    async def open(cls, path: Path | None = None) -> AsyncHistory:
        """Open (and migrate) the store on the worker thread."""
        history = cls(path=path)
        history._store = await history._run(HistoryStore, path)
        return history

    @property
    def store(self) -> HistoryStore:
        if self._store is None:
            raise HistoryError("The history store is not open.")
        return self._store

    async def _run(self, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        future = self._executor.submit(func, *args, **kwargs)
        return await asyncio.shield(asyncio.wrap_future(future))

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run(lambda: getattr(self.store, name)(*args, **kwargs))

    async def close(self) -> None:
        if self._store is not None:
            await self._run(self._store.close)
        self._executor.shutdown(wait=False)

    async def save_conversation(
        self, conv: Conversation, *, kind: str = "chat", meta: dict[str, Any] | None = None
    ) -> None:
        snapshot = copy.copy(conv)
        await self._call("save_conversation", snapshot, kind=kind, meta=meta)

    async def add_message(self, conv: Conversation, message: Message, *, kind: str | None = None) -> None:
        await self._call("add_message", copy.copy(conv), _snapshot(message), kind=kind)

    async def update_message(self, conv_id: str, message: Message) -> None:
        await self._call("update_message", conv_id, _snapshot(message))

    async def list_conversations(self, limit: int = 100, offset: int = 0) -> list[ConversationSummary]:
        return cast("list[ConversationSummary]", await self._call("list_conversations", limit, offset))

    async def count(self) -> int:
        return cast(int, await self._call("count"))

    async def load(self, conv_id: str) -> Conversation:
        return cast(Conversation, await self._call("load", conv_id))

    async def resolve(self, ref: str) -> str:
        return cast(str, await self._call("resolve", ref))

    async def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        return cast("list[SearchHit]", await self._call("search", query, limit))

    async def recent_prompts(self, limit: int = 500) -> list[str]:
        return cast("list[str]", await self._call("recent_prompts", limit))

    async def rename(self, conv_id: str, title: str) -> None:
        await self._call("rename", conv_id, title)

    async def delete(self, conv_id: str) -> None:
        await self._call("delete", conv_id)

    async def delete_message(self, conv_id: str, message_id: str) -> None:
        await self._call("delete_message", conv_id, message_id)

    async def export_markdown(self, conv_id: str) -> str:
        return cast(str, await self._call("export_markdown", conv_id))

    async def integrity_check(self) -> str:
        return cast(str, await self._call("integrity_check"))


# ----------------------------------------------------------------------------------------------------
# Recording a streamed reply


class ReplyRecorder:
    """Persists a streaming reply: ``append`` per delta is cheap; ``flush`` when it says a flush is due.

    A flush is due ``interval`` seconds after the last one, or when a block just finished (the appended text
    completes a blank line ``\\n\\n`` or closes a ```` ``` ```` fence) and ``min_gap`` seconds passed.
    With a :class:`HistoryStore` use ``start``/``flush``/``finish``; with :class:`AsyncHistory` use
    ``astart``/``aflush``/``afinish`` (they work with either).
    """

    def __init__(
        self,
        store: HistoryStore | AsyncHistory,
        conv: Conversation,
        message: Message,
        *,
        interval: float = 0.25,
        min_gap: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.conv = conv
        self.message = message
        self.interval = interval
        self.min_gap = min(min_gap, interval)
        self._clock = clock
        self._last_flush = clock()
        self._dirty = False
        self._flushing = False
        self._scan = 0
        """Offset in ``message.text`` of the first line not yet scanned for fences."""
        self._in_fence = False
        self.flushes = 0
        """How many writes this recorder made (start and finish included)."""

    # -- the hot path ------------------------------------------------------------------------------

    def append(self, text: str) -> bool:
        """Add ``text`` to the reply; True when a flush is due."""
        if not text:
            return False
        message = self.message
        before = len(message.text)
        tail = message.text[-1:] if before else ""
        message.text += text
        self._dirty = True
        elapsed = self._clock() - self._last_flush
        if elapsed >= self.interval:
            return True
        block = "\n\n" in text or (tail == "\n" and text[0] == "\n")
        if "\n" in text and self._scan_fences():
            block = True
        return block and elapsed >= self.min_gap

    def append_reasoning(self, text: str) -> bool:
        """Add reasoning summary text; True when a flush is due (interval only)."""
        if not text:
            return False
        self.message.reasoning += text
        self._dirty = True
        return self._clock() - self._last_flush >= self.interval

    def _scan_fences(self) -> bool:
        """Scan the completed lines since the last call; True if one of them closed a code fence."""
        text = self.message.text
        end = text.rfind("\n") + 1
        closed = False
        for line in text[self._scan : end].splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                if self._in_fence:
                    closed = True
                self._in_fence = not self._in_fence
        self._scan = end
        return closed

    @property
    def due(self) -> bool:
        """Unwritten text and the interval has passed."""
        return self._dirty and self._clock() - self._last_flush >= self.interval

    # -- writes ------------------------------------------------------------------------------------

    def _sync_store(self) -> HistoryStore:
        if isinstance(self.store, AsyncHistory):
            raise TypeError("ReplyRecorder over an AsyncHistory: use astart/aflush/afinish")
        return self.store

    def _mark(self) -> None:
        self._last_flush = self._clock()
        self._dirty = False
        self.flushes += 1

    def start(self) -> None:
        """Insert the reply (status ``streaming`` unless set) and commit."""
        if self.message.status is None:
            self.message.status = "streaming"
        self._sync_store().add_message(self.conv, self.message)
        self._mark()

    async def astart(self) -> None:
        if self.message.status is None:
            self.message.status = "streaming"
        if isinstance(self.store, AsyncHistory):
            await self.store.add_message(self.conv, self.message)
        else:
            self.store.add_message(self.conv, self.message)
        self._mark()

    def flush(self) -> None:
        """Write the text so far (no-op when nothing changed)."""
        if not self._dirty:
            return
        self._sync_store().update_message(self.conv.id, self.message)
        self._mark()

    async def aflush(self) -> None:
        """Write the text so far off the event loop; skipped while a previous write is still running."""
        if not self._dirty or self._flushing:
            return
        store = self.store
        if not isinstance(store, AsyncHistory):
            self.flush()
            return
        self._flushing = True
        self._dirty = False  # set before the await: appends made meanwhile mark it dirty again
        try:
            await store.update_message(self.conv.id, self.message)
        except BaseException:
            self._dirty = True
            raise
        finally:
            self._flushing = False
        self._last_flush = self._clock()
        self.flushes += 1

    def _end(self, status: MessageStatus, usage: Usage | None, error: str | None) -> None:
        self.message.status = status
        if usage is not None:
            self.message.usage = usage
        if error is not None:
            self.message.error = error

    def finish(self, status: MessageStatus, usage: Usage | None = None, error: str | None = None) -> None:
        """Record how the reply ended (with the final text, usage and error) and commit."""
        self._end(status, usage, error)
        self._sync_store().update_message(self.conv.id, self.message)
        self._mark()

    async def afinish(self, status: MessageStatus, usage: Usage | None = None, error: str | None = None) -> None:
        self._end(status, usage, error)
        if isinstance(self.store, AsyncHistory):
            await self.store.update_message(self.conv.id, self.message)
        else:
            self.store.update_message(self.conv.id, self.message)
        self._mark()

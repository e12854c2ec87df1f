"""Scale: full-text search over a generated history of 10,000 conversations / 200,000 messages.

The database is generated once (through :class:`HistoryStore`'s own schema and triggers: rows are inserted with
``executemany`` on its connection, so the FTS indexes are filled exactly as the app fills them) and cached in
``bench/.data/`` (ignored by git); a cached file is reused when its row counts match.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / ".data"
SEARCHES = ("proxy", "budget router", "fallback deploy", "kubernetes ingress", "zanzibar", "retry timeout window")
"""Common word, two common words, a prefix, rarer words, a word that appears nowhere, three words."""

_COMMON = (
    "the proxy model request stream token latency cache budget router fallback provider key team usage limit "
    "window context output reasoning response header retry deployment region spend virtual user alias endpoint "
    "health config value default timeout batch queue"
).split()
_RARE = (
    "kubernetes ingress terraform postgres sqlite grafana prometheus helm redis kafka nginx envoy istio jaeger "
    "opentelemetry vault consul nomad airflow dagster spark flink clickhouse duckdb polars arrow parquet iceberg"
).split()


def _paragraph(rng: random.Random) -> str:
    words = [rng.choice(_COMMON) for _ in range(rng.randint(8, 30))]
    for _ in range(rng.randint(0, 2)):
        words[rng.randrange(len(words))] = rng.choice(_RARE)
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"`{rng.choice(_COMMON)}_{rng.randint(1, 999)}`"
    return " ".join(words).capitalize() + "."


def generate(path: Path, conversations: int = 10_000, per_conversation: int = 20, seed: int = 5) -> float:
    """Write the history at ``path``; the seconds it took."""
    from llmconsole.core.store.history import HistoryStore

    start = time.perf_counter()
    rng = random.Random(seed)
    pool = [_paragraph(rng) for _ in range(4000)]
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    store = HistoryStore(path)
    db = store.db
    db.execute("PRAGMA synchronous = OFF")
    now = time.time() - conversations * 60.0
    db.execute("BEGIN")
    for batch in range(0, conversations, 500):
        conv_rows: list[tuple[Any, ...]] = []
        message_rows: list[tuple[Any, ...]] = []
        for index in range(batch, min(batch + 500, conversations)):
            conv_id = uuid.UUID(int=rng.getrandbits(128)).hex
            created = now + index * 60.0
            conv_rows.append((conv_id, " ".join(rng.sample(_COMMON, 4)).capitalize(), "gpt-4o", created, created))
            for seq in range(per_conversation):
                user = seq % 2 == 0
                count = rng.randint(1, 2) if user else rng.randint(3, 8)
                text = "\n\n".join(rng.choice(pool) for _ in range(count))
                message_rows.append(
                    (
                        uuid.UUID(int=rng.getrandbits(128)).hex,
                        conv_id,
                        seq,
                        "user" if user else "assistant",
                        text,
                        None if user else "gpt-4o",
                        None if user else "completed",
                        created + seq,
                    )
                )
        db.executemany(
            "INSERT INTO conversations (id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", conv_rows
        )
        db.executemany(
            "INSERT INTO messages (id, conversation_id, seq, role, text, model, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            message_rows,
        )
    db.execute("COMMIT")
    store.close()
    return time.perf_counter() - start


def history_db(conversations: int = 10_000, per_conversation: int = 20) -> tuple[Path, float | None]:
    """The cached history (generated if missing or of another size) and the generation time (None: cached)."""
    import sqlite3

    DATA_DIR.mkdir(exist_ok=True)
    ignore = DATA_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = DATA_DIR / f"history-{conversations}x{per_conversation}.sqlite3"
    if path.exists():
        try:
            with sqlite3.connect(path) as db:
                convs = db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
                msgs = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            if convs == conversations and msgs == conversations * per_conversation:
                return path, None
        except sqlite3.Error:
            pass
    return path, generate(path, conversations, per_conversation)


def measure_search(path: Path, rounds: int = 5) -> dict[str, Any]:
    """``HistoryStore.search`` (limit 50) for each of :data:`SEARCHES`: median ms per query, then their median."""
    from llmconsole.core.store.history import HistoryStore

    store = HistoryStore(path)
    try:
        store.search("warm up the page cache")
        per_query: dict[str, float] = {}
        hits: dict[str, int] = {}
        for query in SEARCHES:
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                found = store.search(query)
                times.append((time.perf_counter() - start) * 1000)
            per_query[query] = statistics.median(times)
            hits[query] = len(found)
    finally:
        store.close()
    return {
        "median_ms": statistics.median(per_query.values()),
        "max_ms": max(per_query.values()),
        "per_query_ms": per_query,
        "hits": hits,
    }

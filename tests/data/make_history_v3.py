"""Writes tests/data/history_v3.sqlite3 with llmconsole's schema-3 code (trees, before tool calls).

Run from a checkout of that code: ``python tests/data/make_history_v3.py tests/data/history_v3.sqlite3``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.events import Usage
from llmconsole.core.store.history import SCHEMA_VERSION, HistoryStore

T = 1_700_000_000.0


def msg(role: Any, text: str, i: int, **kw: Any) -> Message:
    return Message(role=role, text=text, id=f"{i:032x}", created_at=T + i, **kw)


def main(out: Path) -> None:
    assert SCHEMA_VERSION == 3
    out.unlink(missing_ok=True)
    store = HistoryStore(out)
    # 1: a plain two-turn chat
    c1 = Conversation(id="c" * 32, title="Before tools", system_prompt="be brief", created_at=T)
    messages = [
        msg("user", "what is a heliotrope", 1),
        msg("assistant", "a flowering plant", 2, model="m-1", status="completed", usage=Usage(10, 0, 5)),
        msg("user", "and its colour", 3),
        msg("assistant", "purple", 4, model="m-1", status="completed"),
    ]
    # 2: a regenerated answer: two siblings under the second prompt, the first one active
    sibling = msg("assistant", "violet", 5, model="m-2", status="completed")
    for message in messages:
        c1.messages.append(message)
        store.add_message(c1, message)
    sibling.parent_id = messages[2].id
    store.add_message(c1, sibling)
    store.set_active_leaf(c1.id, messages[3].id)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Writes tests/data/history_v2.sqlite3 with llmconsole's schema-2 code (before conversation trees).

Run from a checkout of that code: ``python tests/data/make_history_v2.py tests/data/history_v2.sqlite3``.
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
    assert SCHEMA_VERSION == 2
    out.unlink(missing_ok=True)
    store = HistoryStore(out)
    # 1: a plain two-turn chat
    c1 = Conversation(id="a" * 32, title="Two turns", system_prompt="be brief", created_at=T)
    c1_messages = [
        msg("user", "first question", 1),
        msg("assistant", "first answer", 2, model="m-1", status="completed", usage=Usage(10, 0, 5)),
        msg("user", "second question", 3),
        msg("assistant", "second answer", 4, model="m-1", status="completed"),
    ]
    # 2: a failed reply then a retry in place, and a prompt replaced before it got an answer
    c2 = Conversation(id="b" * 32, title="Retries", created_at=T + 10)
    c2_messages = [
        msg("user", "retry me", 11),
        msg("assistant", "half", 12, model="m-1", status="interrupted", error="cut"),
        msg("assistant", "whole answer", 13, model="m-1", status="completed"),
        msg("user", "never answered", 14),
        msg("user", "the replacement", 15),
        msg("assistant", "replacement answer", 16, model="m-2", status="truncated"),
    ]
    for conv, messages in ((c1, c1_messages), (c2, c2_messages)):
        for message in messages:
            conv.messages.append(message)
            store.add_message(conv, message)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

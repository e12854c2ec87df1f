"""Conversations as trees: the schema migration, the active path, siblings, branch switching."""

from __future__ import annotations

import shutil
from pathlib import Path

from llmconsole.core.chat.conversation import Conversation, Message
from llmconsole.core.chat.session import continuable
from llmconsole.core.chat.tree import Tree, activate, cut_before, step_sibling, tree_lines
from llmconsole.core.store.history import SCHEMA_VERSION, HistoryStore

FIXTURE = Path(__file__).parent.parent / "data" / "history_v2.sqlite3"
"""Written by the schema-2 code (before trees) with tests/data/make_history_v2.py."""


def test_a_schema_2_database_becomes_single_branches_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    shutil.copy(FIXTURE, path)
    with HistoryStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        two = store.load("a" * 32)
        assert [m.text for m in two.messages] == ["first question", "first answer", "second question", "second answer"]
        assert two.others == [] and two.system_prompt == "be brief"
        assert [m.parent_id for m in two.messages] == [None, *(m.id for m in two.messages[:-1])]
        retries = store.load("b" * 32)
        texts = [m.text for m in retries.messages]
        assert texts == ["retry me", "half", "whole answer", "never answered", "the replacement", "replacement answer"]
        assert retries.others == []
        # Continuing it follows today's rules: the replaced prompt and the retried failure leave what is sent.
        kept, unsent = continuable(retries.messages)
        assert [m.text for m in kept] == ["retry me", "whole answer", "the replacement", "replacement answer"]
        assert len(unsent) == 1
        assert retries.messages[-1].status == "truncated"
        # The migrated file takes new branches.
        first_answer = two.messages[1]
        cut_before(two, two.messages[2])
        edit = two.add_user("second question, edited")
        assert edit.parent_id == first_answer.id
        store.add_message(two, edit)
        again = store.load("a" * 32)
        assert [m.text for m in again.messages][-1] == "second question, edited"
        assert {m.text for m in again.others} == {"second question", "second answer"}
        assert store.search("archaeolog") == [] and store.search("edited")


def turn(conv: Conversation, prompt: str, answer: str) -> tuple[Message, Message]:
    user = conv.add_user(prompt)
    reply = conv.add_assistant("m-1")
    reply.text, reply.status = answer, "completed"
    return user, reply


def test_edit_and_regenerate_make_siblings_and_the_store_keeps_the_active_branch(tmp_path: Path) -> None:
    conv = Conversation()
    q1, a1 = turn(conv, "q1", "a1")
    q2, a2 = turn(conv, "q2", "a2")
    # Regenerate a2: a sibling reply under q2.
    cut_before(conv, a2)
    b2 = conv.add_assistant("m-2")
    b2.text, b2.status = "b2", "completed"
    tree = Tree.of(conv)
    assert tree.position(b2) == (2, 2) and tree.position(a2) == (1, 2)
    # Edit q1: a sibling prompt at the root.
    cut_before(conv, q1)
    e1, f1 = turn(conv, "q1 edited", "f1")
    assert e1.parent_id is None and [m.text for m in conv.messages] == ["q1 edited", "f1"]
    assert Tree.of(conv).position(e1) == (2, 2)
    # Switch back to the first q1: the path goes down to its newest leaf (b2).
    assert step_sibling(conv, e1, -1) is q1
    assert [m.text for m in conv.messages] == ["q1", "a1", "q2", "b2"]
    assert step_sibling(conv, b2, 1) is a2  # wraps
    assert [m.text for m in conv.messages][-1] == "a2"
    lines = tree_lines(conv)
    assert [(line.depth, line.message.text, line.active) for line in lines] == [
        (1, "q1", True),
        (1, "a1", True),
        (1, "q2", True),
        (2, "a2", True),
        (2, "b2", False),
        (1, "q1 edited", False),
        (1, "f1", False),
    ]
    # Stored and loaded: the active branch is the one last switched to.
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for message in sorted([*conv.messages, *conv.others], key=lambda m: m.created_at):
            store.add_message(conv, message)
        assert [m.text for m in store.load(conv.id).messages] == ["q1 edited", "f1"]  # the newest write
        store.set_active_leaf(conv.id, a2.id)
        loaded = store.load(conv.id)
        assert [m.text for m in loaded.messages] == ["q1", "a1", "q2", "a2"]
        assert sorted(m.text for m in loaded.others) == ["b2", "f1", "q1 edited"]
        assert activate(loaded, f1.id) is not None
        assert [m.text for m in loaded.messages] == ["q1 edited", "f1"]


def test_failed_attempts_are_siblings_a_path_prefers_answers_and_a_search_hit_opens_on_its_branch() -> None:
    conv = Conversation()
    q, first = turn(conv, "q", "")
    first.status = "error"
    cut_before(conv, first)
    second = conv.add_assistant("m-1")
    second.text, second.status = "answer", "completed"
    tree = Tree.of(conv)
    assert tree.siblings(second) == [first, second] and tree.position(second) == (2, 2)  # left reaches it
    assert tree.siblings(q) == [q]  # a prompt's siblings are prompts
    cut_before(conv, q)
    other, _ = turn(conv, "other branch", "other answer")
    assert activate(conv, q.id) is not None
    assert [m.text for m in conv.messages] == ["q", "answer"]  # the answer, not the failed attempt
    assert activate(conv, "missing") is None
    assert other in conv.others

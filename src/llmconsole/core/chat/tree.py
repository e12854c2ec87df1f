"""A conversation is a tree: every message has a parent (``Message.parent_id``); the active path is what is
shown and sent (``Conversation.messages``), the other branches are kept (``Conversation.others``).

Siblings (messages with the same parent) are an edited prompt beside the original, a regenerated reply beside
the first one, a retry beside the failed attempt. A reply that failed before anything arrived (an attempt) is
a sibling like any other (left/right reaches it), but a path goes down through an answer before an attempt.
Everything here is plain functions over messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from llmconsole.core.chat.conversation import FAILED_STATUSES, Conversation, Message


def all_messages(conv: Conversation) -> list[Message]:
    """Every message of the tree, oldest first."""
    return sorted([*conv.messages, *conv.others], key=lambda m: m.created_at)


def link_chain(messages: Sequence[Message]) -> None:
    """Give messages without a parent the one before them (a list built before trees, or by hand)."""
    for before, message in zip(messages, messages[1:], strict=False):
        if message.parent_id is None:
            message.parent_id = before.id


def is_attempt(message: Message) -> bool:
    """A reply that failed with nothing received."""
    return message.role == "assistant" and message.status in FAILED_STATUSES and not message.text


class Tree:
    """An index over one conversation's messages: children by parent, paths, siblings."""

    def __init__(self, messages: Iterable[Message]) -> None:
        self.messages = sorted(messages, key=lambda m: m.created_at)
        self.by_id = {m.id: m for m in self.messages}
        self.children: dict[str | None, list[Message]] = {}
        for message in self.messages:
            parent = message.parent_id if message.parent_id in self.by_id else None
            self.children.setdefault(parent, []).append(message)

    @classmethod
    def of(cls, conv: Conversation) -> Tree:
        return cls([*conv.messages, *conv.others])

    def path_to(self, leaf_id: str) -> list[Message]:
        """Root ... ``leaf_id`` (empty when unknown)."""
        path: list[Message] = []
        seen: set[str] = set()
        node = self.by_id.get(leaf_id)
        while node is not None and node.id not in seen:
            seen.add(node.id)
            path.append(node)
            node = self.by_id.get(node.parent_id) if node.parent_id is not None else None
        path.reverse()
        return path

    def latest_leaf(self, start: Message) -> Message:
        """Follow the newest child (answers before failed attempts) down to a leaf."""
        node = start
        seen = {node.id}
        while True:
            kids = self.children.get(node.id, [])
            answers = [k for k in kids if not is_attempt(k)] or kids
            if not answers or answers[-1].id in seen:
                return node
            node = answers[-1]
            seen.add(node.id)

    def siblings(self, message: Message) -> list[Message]:
        """``message`` and the messages of its role beside it (same parent), oldest first."""
        parent = message.parent_id if message.parent_id in self.by_id else None
        return [m for m in self.children.get(parent, []) if m.role == message.role]

    def position(self, message: Message) -> tuple[int, int]:
        """``(index from 1, count)`` among its siblings: ``‹2/3›``."""
        sibs = self.siblings(message)
        return (sibs.index(message) + 1 if message in sibs else 1), len(sibs)

    def leaves(self) -> list[Message]:
        return [m for m in self.messages if not self.children.get(m.id)]

    def walk(self) -> Iterator[tuple[int, Message]]:
        """``(depth, message)`` depth-first, oldest branch first; depth grows only where a message has
        siblings (a single line of turns stays at one depth)."""
        stack: list[tuple[int, Message]] = [(0, m) for m in reversed(self.children.get(None, []))]
        root_split = len(self.children.get(None, [])) > 1
        if root_split:
            stack = [(1, m) for _, m in stack]
        while stack:
            depth, message = stack.pop()
            yield depth, message
            kids = self.children.get(message.id, [])
            child_depth = depth + 1 if len(kids) > 1 else depth
            stack.extend((child_depth, k) for k in reversed(kids))


def activate(conv: Conversation, message_id: str) -> Message | None:
    """Make the active path run through ``message_id`` down to its newest leaf; returns the new leaf (None
    when the message is unknown)."""
    tree = Tree.of(conv)
    start = tree.by_id.get(message_id)
    if start is None:
        return None
    leaf = tree.latest_leaf(start)
    set_path(conv, tree, leaf.id)
    return leaf


def set_path(conv: Conversation, tree: Tree, leaf_id: str) -> None:
    path = tree.path_to(leaf_id)
    on_path = {m.id for m in path}
    conv.messages = path
    conv.others = [m for m in tree.messages if m.id not in on_path]


def cut_before(conv: Conversation, message: Message) -> list[Message]:
    """End the active path just before ``message`` (it and what follows stay, as another branch); returns
    the messages moved off the path."""
    path = conv.messages
    if message not in path:
        return []
    index = path.index(message)
    moved = path[index:]
    conv.messages = path[:index]
    conv.others = sorted([*conv.others, *moved], key=lambda m: m.created_at)
    return moved


def step_sibling(conv: Conversation, message: Message, step: int) -> Message | None:
    """The path switches to the sibling ``step`` away from ``message`` (wrapping), then down to its newest
    leaf; returns the sibling (None when there is no other)."""
    tree = Tree.of(conv)
    sibs = tree.siblings(message)
    if len(sibs) < 2 or message not in sibs:
        return None
    target = sibs[(sibs.index(message) + step) % len(sibs)]
    set_path(conv, tree, tree.latest_leaf(target).id)
    return target


@dataclass(frozen=True)
class TreeLine:
    """One message of :func:`tree_lines`: its depth, whether it is on the active path, its sibling position."""

    depth: int
    message: Message
    active: bool
    position: tuple[int, int]


def tree_lines(conv: Conversation) -> list[TreeLine]:
    """Every message, depth-first (see :meth:`Tree.walk`), marked active or not, with ``‹i/n›`` positions."""
    tree = Tree.of(conv)
    active = {m.id for m in conv.messages}
    return [TreeLine(depth, m, m.id in active, tree.position(m)) for depth, m in tree.walk()]

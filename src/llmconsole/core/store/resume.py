"""Continuing a stored conversation from the command line (``llmconsole -p … -c`` / ``--cid ID``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmconsole.core.chat.session import keep_continuable

if TYPE_CHECKING:
    from pathlib import Path

    from llmconsole.core.chat.conversation import Conversation


def load_to_continue(ref: str, path: Path | None = None) -> Conversation:
    """The stored conversation ``ref`` (``last``, an id or a unique prefix) ready to continue: ``messages`` is
    its active path as it is sent (prompts replaced before an answer and retried failures left out, kept in
    ``others``). :class:`~llmconsole.core.store.history.HistoryNotFoundError` (exit 2) when there is none."""
    from llmconsole.core.store.history import HistoryNotFoundError, HistoryStore, default_path

    path = path if path is not None else default_path()
    if not path.exists():
        raise HistoryNotFoundError("There are no conversations yet.")
    with HistoryStore(path) as store:
        conv = store.load(store.resolve(ref))
    keep_continuable(conv)
    return conv


def last_reply_model(conv: Conversation) -> str | None:
    """The model of the active path's newest reply (what ``-c`` continues with when no ``-m`` is given)."""
    return next((m.model for m in reversed(conv.messages) if m.role == "assistant" and m.model), conv.model)

"""``llmconsole history``: list, show, export and search the saved conversations.

    llmconsole history [list] [-n N]          newest first: <short id>  <YYYY-mm-dd HH:MM>  <model>  <title>
    llmconsole history show ID [--tree]       the active branch as Markdown (--tree: every branch, marked)
    llmconsole history export ID -o FILE.md   write it to a file (--force to overwrite; --tree; --json: the tree)
    llmconsole history search QUERY...        full-text search, one hit a line
    llmconsole history --demo ...             the same over the --demo backend's own history

``last`` may stand for ID; so may any unique prefix of 4+ characters. An unknown id exits 2. Reads only: a
missing database is an empty history (nothing is created). Imports neither textual nor rich.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from llmconsole.core.errors import LLMConsoleError
from llmconsole.core.store.history import ConversationSummary, HistoryNotFoundError, HistoryStore, default_path

PROG = "llmconsole history"
EXIT_USAGE = 2
"""A file that cannot be written is a usage error (the documented codes: 0, 2, 3, 4, 130)."""

# C0 controls except tab/newline, DEL, C1 controls: never sent raw to a terminal (escape-sequence injection).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _one_line(text: str) -> str:
    return _LINE_CONTROL.sub("", " ".join(text.split()))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Saved conversations (newest first).")
    sub = parser.add_subparsers(dest="command", metavar="{list,show,export,search}")
    p_list = sub.add_parser("list", help="list conversations, newest first (the default)")
    p_list.add_argument("-n", "--limit", type=int, default=0, help="at most N conversations (default: all)")
    p_show = sub.add_parser("show", help="print a conversation as Markdown")
    p_show.add_argument("id", help="conversation id, a unique prefix (4+ characters) or `last`")
    p_show.add_argument("--tree", action="store_true", help="every branch, indented; ● marks the active one")
    p_export = sub.add_parser("export", help="write a conversation to a Markdown file")
    p_export.add_argument("id", help="conversation id, a unique prefix (4+ characters) or `last`")
    p_export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.md", help="file to write")
    p_export.add_argument("-f", "--force", action="store_true", help="overwrite FILE if it exists")
    p_export.add_argument("--tree", action="store_true", help="every branch, indented; ● marks the active one")
    p_export.add_argument("--json", action="store_true", help="the whole tree as JSON (every message, its parent)")
    p_search = sub.add_parser("search", help="full-text search across all conversations")
    p_search.add_argument("query", nargs="+", help="words to find (the last one may be a prefix)")
    p_search.add_argument("-n", "--limit", type=int, default=50, help="at most N hits (default: 50)")
    parser.add_argument("--demo", action="store_true", help="the --demo backend's own history (kept apart)")
    parser.set_defaults(command="list")
    return parser


def _open_store(path: Path) -> HistoryStore | None:
    """The store, or None when there is no history file yet (a read never creates one)."""
    return HistoryStore(path) if path.exists() else None


def _cmd_list(store: HistoryStore | None, limit: int, out: TextIO, err: TextIO) -> int:
    summaries: list[ConversationSummary] = []
    if store is not None:
        summaries = store.list_conversations(limit=limit if limit > 0 else -1)
    if not summaries:
        print("No saved conversations yet.", file=err)
        return 0
    for s in summaries:
        model = _one_line(s.model or "-")
        title = _one_line(s.title) or "(untitled)"
        out.write(f"{s.short_id}  {_when(s.updated_at)}  {model}  {title}\n")
    return 0


def _render(store: HistoryStore, conv_id: str, *, tree: bool = False, as_json: bool = False) -> str:
    """The active branch as Markdown, every branch (``tree``), or the whole tree as JSON."""
    if not tree and not as_json:
        return store.export_markdown(conv_id)
    from llmconsole.core.store.history import tree_json, tree_markdown

    conv = store.load(conv_id)
    if as_json:
        import json

        return json.dumps(tree_json(conv), ensure_ascii=False, indent=2) + "\n"
    return tree_markdown(conv)


def _cmd_show(store: HistoryStore | None, ref: str, out: TextIO, *, tree: bool = False) -> int:
    store = _require(store, ref)
    text = _render(store, store.resolve(ref), tree=tree)
    out.write(_CONTROL.sub("", text))
    return 0


def _cmd_export(
    store: HistoryStore | None,
    ref: str,
    target: Path,
    force: bool,
    err: TextIO,
    *,
    tree: bool = False,
    as_json: bool = False,
) -> int:
    store = _require(store, ref)
    conv_id = store.resolve(ref)
    text = _render(store, conv_id, tree=tree, as_json=as_json)
    try:
        # 0600 when created, as the console's export and the history itself: a conversation is private.
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
        with os.fdopen(os.open(target, flags, 0o600), "w", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"llmconsole: {target} exists; use --force to overwrite it.", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"llmconsole: cannot write {target}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    print(f"Exported conversation {conv_id[:8]} to {target.resolve()}", file=err)
    return 0


def _cmd_search(store: HistoryStore | None, words: list[str], limit: int, out: TextIO, err: TextIO) -> int:
    hits = store.search(" ".join(words), limit=limit) if store is not None else []
    if not hits:
        print("No matches.", file=err)
        return 0
    for hit in hits:
        where = hit.role or "title"
        title = _one_line(hit.title) or "(untitled)"
        snippet = f"{hit.tool}: {hit.snippet}" if hit.tool else hit.snippet
        out.write(f"{hit.conversation_id[:8]}  {where:<9}  {title}  —  {_one_line(snippet)}\n")
    return 0


def _require(store: HistoryStore | None, ref: str) -> HistoryStore:
    if store is None:
        raise HistoryNotFoundError(
            "There are no conversations yet." if ref.strip().lower() == "last" else f"No conversation {ref!r}."
        )
    return store


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = _open_store(default_path(demo=args.demo))
    try:
        if args.command == "show":
            return _cmd_show(store, args.id, out, tree=args.tree)
        if args.command == "export":
            return _cmd_export(store, args.id, args.output, args.force, err, tree=args.tree, as_json=args.json)
        if args.command == "search":
            return _cmd_search(store, args.query, args.limit, out, err)
        return _cmd_list(store, getattr(args, "limit", 0), out, err)
    finally:
        if store is not None:
            store.close()


def main(argv: list[str]) -> int:
    """Run ``llmconsole history`` with the arguments after ``history``; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    out, err = sys.stdout, sys.stderr
    try:
        code = _run(args, out, err)
        out.flush()
        return code
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except LLMConsoleError as exc:
        print(f"llmconsole: {exc}", file=err)
        return exc.exit_code

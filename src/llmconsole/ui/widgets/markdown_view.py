"""`MarkdownView`: one message (a streaming reply or a finished one) as cached rendered lines.

Design (measured in issue 5): the Markdown text is split into blocks (paragraphs, headings, lists,
tables, fenced code blocks) on blank lines outside code fences. Each *finished* block is rendered
once by rich (`rich.markdown.Markdown` through `Console.render_lines` at the content width) and
its `Strip`s are cached; only the growing last block (the "tail") is re-rendered, at most
`RENDER_INTERVAL` apart however fast deltas arrive. `render_line(y)` returns cached strips.

- `append(delta)` is O(len(delta)): it stores the delta and schedules one render.
- Big code blocks are split into chunks of `CODE_CHUNK_LINES` lines (long tight lists likewise at
  item boundaries) so re-rendering the growing tail stays cheap.
- A finished message (e.g. from history) renders lazily: its height is estimated from the text,
  visible blocks render on demand, the rest render in the background in small slices, nearest to
  the viewport first (one queue per app), correcting the height as they go.
- A width (or theme) change re-renders in the same background slices, visible blocks first.
- After caching new lines: `gc.collect(1)` then `gc.freeze()` (measured: keeps the max key latency
  low without the memory growth of a plain freeze).
- Text selection works through Textual's selection API (`get_selection` and strips carrying
  offsets); `text` is the Markdown source for copying.

Markdown goes through `rich.markdown` only; nothing is ever parsed as console markup.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import io
import re
import weakref
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from time import monotonic, perf_counter
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from markdown_it import MarkdownIt
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown, MarkdownElement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.theme import Theme
from textual import events
from textual.color import Color
from textual.css.query import NoMatches
from textual.errors import NoWidget
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from llmconsole.ui.widgets.md_blocks import (
    FORCE_CHARS,
    TABLE_CHUNK_ROWS,
    ChainState,
    TableLayout,
    inline_open,
    join_texts,
    measure_rows,
    paragraph_text,
    plain_cells,
    plain_rows,
    quote_lines,
    render_plain_rows,
    render_rich_rows,
    split_carry,
    table_cells,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from markdown_it.token import Token
    from rich.text import Text
    from textual.app import App
    from textual.selection import Selection
    from textual.timer import Timer

__all__ = ["CODE_CHUNK_LINES", "RENDER_INTERVAL", "MarkdownView", "warm_up"]

RENDER_INTERVAL = 0.1
"""Minimum seconds between two renders of the growing tail (at most ~10 renders a second). A render that
adds lines to a reply relayouts and repaints the whole pane (it scrolls): measured at 100 deltas/s, 20
renders a second used ~27 % of a core, 10 a second ~22 %."""
BURST_RENDER_INTERVAL = 0.15
"""The same while a burst arrives (over `BURST_CHARS` since the last render): each render of a growing
reply relayouts and repaints the pane (~10 ms), which then costs more than the text shown; at 0.1 s a key
press met such a frame often enough for a p95 latency of ~20-30 ms in a 20,000-delta burst, at 0.15 s ~13 ms."""
BURST_CHARS = 2000
CODE_CHUNK_LINES = 20
"""A fenced code block is cached in chunks of this many lines (~3 ms each to highlight and render)."""
LIST_CHUNK_LINES = 40
"""A tight list longer than this is split at its next top-level item."""
PARA_CHUNK_CHARS = 2000
"""A plain paragraph is cut into chunks of about this many characters (at line seams; ~4 ms each)."""
PARA_CHUNK_LINES = 40
LONG_LINE_CHARS = 2000
"""A paragraph line longer than this is cut at a space (or anywhere in a word longer than it)."""
MD_CAP_LINES = 60
"""Any other block (a quote, a list item, HTML) is cut at a line boundary beyond this many lines."""
SCAN_BLOCKS = 64
"""Blocks after the fresh prefix looked at per background slice (besides the visible ones)."""
FEED_CHARS = 1 << 20
"""Characters of pending text split into blocks per event-loop turn (a 10 MB delta takes ten turns)."""
STRIP_CACHE_SIZE = 400
"""Strips (with selection offsets) kept per view for the lines last painted."""
SLICE_BUDGET = 0.002
"""Seconds of background (re-)rendering per event-loop turn."""
LAYOUT_INTERVAL = 0.3
"""Seconds between layout refreshes for height corrections of off-screen views (`VISIBLE_LAYOUT_INTERVAL`
for views on screen)."""
VISIBLE_LAYOUT_INTERVAL = 0.05
"""Seconds between layout refreshes for height corrections of views on screen (background rendering)."""
TICK_BUDGET = 0.003
"""Seconds of rendering per streaming tick before older finished blocks are left to the background."""
PAINT_BUDGET = 0.003
"""Seconds of on-demand rendering per event-loop turn for a streaming view's visible stale blocks (a
reply arriving faster than it renders); beyond it they show their source text until the background
queue renders them, a few milliseconds later."""

_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")

# ----------------------------------------------------------------------------------------------
# Block splitting (pure, no Textual)


@dataclass(slots=True, eq=False)
class _Block:
    """One unit of cached rendering."""

    source: str
    """Markdown source, or the code itself for a code chunk, or a table chunk's rows."""
    kind: Literal["md", "code", "para", "table"] = "md"
    continuation: bool = False
    """True for the 2nd+ chunk of a split block: no blank line before it."""
    lang: str = ""
    top: bool = True
    """Code chunk: first chunk of its fence (gets the top padding)."""
    bottom: bool = True
    """Code chunk: last chunk of its fence (gets the bottom padding)."""
    lines: list[list[Segment]] | None = None
    """Rendered lines as lists of segments (`Strip`s, ~1 KB each, are made for painted lines only)."""
    width: int = 0
    """Width `lines` were rendered at (stale when it differs from the view's width)."""
    generation: int = -1
    """Theme generation `lines` were rendered with."""
    estimate: tuple[int, int] = (0, 0)
    """Cached (width, estimated height)."""
    prev: _Block | None = None
    """Paragraph chunk: the chunk before it in the same paragraph (its chain state comes first)."""
    sep: str = "\n"
    """Paragraph chunk: source separator from the chunk before ("\n", " " or "" for a cut line)."""
    final: bool = True
    """Paragraph chunk: the last one of its paragraph (renders its last wrapped line too)."""
    exact: bool = True
    """False for a paragraph chunk rendered alone while its chain was not ready (provisional)."""
    chain: ChainState | None = None
    """Paragraph chunk: what it hands to the next chunk (valid with `lines`)."""
    table: TableLayout | None = None
    table_index: int = 0
    """Table chunk: its position among its table's chunks (0 has the header)."""
    table_key: tuple[Any, ...] = ()
    """Table chunk: the layout `lines` were rendered with."""


def _fence_closes(line: str, marker: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip()) <= 3
        and len(stripped) >= len(marker)
        and stripped == stripped[0] * len(stripped)
        and stripped[0] == marker[0]
    )


_NOT_PLAIN = re.compile(
    r"^(?: {0,3}(?:$|[>|<\[]|[-*+](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|#{1,6}(?:[ \t]|$)|`{3}|~{3}"
    r"|[=\-]+[ \t]*$|(?:[-_*][ \t]*){3,}$)| {4}|\t)"
)
"""A line that, starting a Markdown chunk, would not start a plain paragraph (block syntax, indented code)."""


def _plain_start(line: str) -> bool:
    return _NOT_PLAIN.match(line) is None


_INTERRUPTS = re.compile(
    r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|>|[-*+][ \t]+\S|1[.)][ \t]+\S"
    r"|(?:\*[ \t]*){3,}$|(?:_[ \t]*){3,}$|(?:-[ \t]*){3,}$|=+[ \t]*$)"
)
"""A line that ends a paragraph (or turns it into a setext heading): a heading, quote, list, rule, underline."""
_QUOTE = re.compile(r"^ {0,3}> ?")


def _quote_plain(line: str) -> bool:
    """A block quote line holding plain paragraph text (a quoted paragraph chunk may start with it)."""
    match = _QUOTE.match(line)
    return match is not None and bool(line[match.end() :].strip()) and _plain_start(line[match.end() :])


_DELIMITER_ROW = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CUT_SPACE = re.compile(r"(?<=\S) (?=[^\W_])")


def _cut_point(text: str, limit: int) -> tuple[int, str] | None:
    """Where to cut `text` at most `limit` characters in: (index, separator) or None."""
    window = text[limit // 2 : limit]
    spaces = [match.start() for match in _CUT_SPACE.finditer(window)]
    if spaces:
        return limit // 2 + spaces[-1], " "
    for index in range(limit - 1, limit // 2, -1):
        if text[index].isalnum() and text[index - 1].isalnum():
            return index, ""
    return None


class _Splitter:
    """Turns Markdown text, fed in any pieces, into finished blocks plus one open tail.

    Blocks end at blank lines outside code fences. Within a block: code fences go in chunks of
    `CODE_CHUNK_LINES` lines, long tight lists at top-level items, tables in chunks of rows, and a plain
    paragraph in chunks of ~`PARA_CHUNK_CHARS` at line seams (a very long line at a space) that render as a
    chain (see `md_blocks`). Any other block is cut at a line boundary beyond `MD_CAP_LINES` lines.
    """

    def __init__(self) -> None:
        self.finished: list[_Block] = []
        """Finished blocks not yet taken by the view."""
        self.code_blocks: list[str] = []
        """Contents of closed fenced code blocks."""
        self._partial = ""
        self._lines: list[str] = []
        self._size = 0
        """Characters in `_lines`."""
        self._kind: Literal["md", "code"] = "md"
        self._continuation = False
        self._fence = ""
        self._fence_indent = 0
        self._lang = ""
        self._code_top = True
        self._code_lines: list[str] = []
        self._nested_fence = ""
        self._nested_indent = 0
        self._nested_lines: list[str] = []
        self._para = False
        """The open block started as a plain paragraph (it may be chunked)."""
        self._quote = False
        """... as a block quote of a plain paragraph."""
        self._chain: _Block | None = None
        """The last chunk emitted of the open paragraph."""
        self._sep = "\n"
        self._table: TableLayout | None = None
        self._table_chunks = 0
        self._table_rows = 0
        """Rows in the open table chunk."""

    def feed(self, text: str) -> None:
        data = self._partial + text if self._partial else text
        lines = data.split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)
        if len(self._partial) > 2 * LONG_LINE_CHARS and self._kind == "md" and not self._nested_fence:
            self._cut_partial()

    def close(self) -> None:
        """The text is complete: everything becomes finished."""
        if self._partial:
            self._line(self._partial)
            self._partial = ""
        if self._kind == "code":
            self.code_blocks.append("\n".join(self._code_lines))
            self._emit_code(bottom=True)
            self._kind = "md"
        elif self._nested_fence:
            self.code_blocks.append("\n".join(self._nested_lines))
            self._nested_fence = ""
        self._emit_md()

    @property
    def open_code(self) -> str | None:
        """Content of a fenced code block still open, if any."""
        if self._kind == "code":
            return "\n".join([*self._code_lines, self._partial] if self._partial else self._code_lines)
        if self._nested_fence:
            return "\n".join(self._nested_lines)
        return None

    def tail(self) -> _Block | None:
        """The open block as it stands (including an incomplete last line), or None."""
        lines = self._lines
        if self._partial:
            lines = [*lines, self._partial]
        if self._kind == "code":
            return _Block(
                "\n".join(lines).rstrip("\n"),
                "code",
                continuation=self._continuation,
                lang=self._lang,
                top=self._code_top,
                bottom=True,
            )
        if not lines or not any(line.strip() for line in lines):
            return None
        if self._table is not None:
            return self._table_block(lines, final=True)
        if self._chain is not None:
            return _Block("\n".join(lines), "para", continuation=True, prev=self._chain, sep=self._sep)
        return _Block("\n".join(lines), continuation=self._continuation)

    # -- emitting ---------------------------------------------------------------------------------

    def _table_block(self, lines: list[str], *, final: bool) -> _Block:
        assert self._table is not None
        index = self._table_chunks
        source = "\n".join(lines)
        self._table.set_source(index, source)
        return _Block(
            source,
            "table",
            continuation=self._continuation if index == 0 else True,
            table=self._table,
            table_index=index,
            final=final,
        )

    def _reset(self, next_continuation: bool) -> None:
        self._lines = []
        self._size = 0
        self._continuation = next_continuation
        self._para = False
        self._quote = False
        self._chain = None
        self._sep = "\n"
        self._table = None
        self._table_chunks = 0
        self._table_rows = 0

    def _emit_md(self, *, next_continuation: bool = False) -> None:
        """End the open block (all of it finished)."""
        if self._lines:
            if self._table is not None:
                self.finished.append(self._table_block(self._lines, final=True))
            elif self._chain is not None:
                block = _Block("\n".join(self._lines), "para", continuation=True, prev=self._chain, sep=self._sep)
                self.finished.append(block)
            else:
                self.finished.append(_Block("\n".join(self._lines), continuation=self._continuation))
        self._reset(next_continuation)

    def _emit_chunk(self, lines: list[str], sep: str) -> None:
        """Emit `lines` as a non-final chunk of the open paragraph; the next chunk joins it with `sep`."""
        block = _Block(
            "\n".join(lines),
            "para",
            continuation=self._continuation if self._chain is None else True,
            prev=self._chain,
            sep=self._sep,
            final=False,
        )
        self.finished.append(block)
        self._chain = block
        self._sep = sep

    def _emit_code(self, *, bottom: bool) -> None:
        source = "\n".join(self._lines)
        if bottom:
            source = source.rstrip("\n")
        self.finished.append(
            _Block(
                source,
                "code",
                continuation=self._continuation,
                lang=self._lang,
                top=self._code_top,
                bottom=bottom,
            )
        )
        self._lines = []
        self._code_top = False
        self._continuation = True

    # -- lines ------------------------------------------------------------------------------------

    def _cut_partial(self) -> None:
        """Cut an incomplete very long line of a paragraph (its head is complete up to a cut point)."""
        if self._table is not None or (self._lines and not self._para):
            return
        if not self._lines:
            if not (_plain_start(self._partial) or _quote_plain(self._partial)):
                return
            self._quote = _QUOTE.match(self._partial) is not None
        while len(self._partial) > 2 * LONG_LINE_CHARS:
            cut = _cut_point(self._partial, LONG_LINE_CHARS)
            if cut is None:
                return
            index, sep = cut
            self._para = True
            self._emit_chunk([*self._lines, self._partial[:index]], sep)
            self._partial = ("> " if self._quote else "") + self._partial[index + len(sep) :]
            self._lines = []
            self._size = 0

    def _add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line) + 1

    def _line(self, line: str) -> None:
        lines = self._lines
        if self._kind == "code":
            if _fence_closes(line, self._fence):
                self.code_blocks.append("\n".join(self._code_lines))
                self._code_lines = []
                self._emit_code(bottom=True)
                self._kind = "md"
                self._continuation = False
                return
            if self._fence_indent:
                # CommonMark: strip the fence's indentation from the content lines.
                indent = len(line) - len(line.lstrip(" "))
                line = line[min(indent, self._fence_indent) :]
            lines.append(line)
            self._code_lines.append(line)
            if len(lines) >= CODE_CHUNK_LINES:
                self._emit_code(bottom=False)
            return
        if self._nested_fence:
            self._add(line)
            indent = len(line) - len(line.lstrip(" "))
            unindented = line[min(indent, self._nested_indent) :]
            if _fence_closes(unindented, self._nested_fence):
                self.code_blocks.append("\n".join(self._nested_lines))
                self._nested_fence = ""
            else:
                self._nested_lines.append(unindented)
            return
        match = _FENCE_OPEN.match(line)
        if match is not None and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            indent = len(match.group(1).replace("\t", "    "))
            if indent <= 3 and (not lines or indent == 0 or self._chain is not None or self._table is not None):
                self._emit_md()
                self._kind = "code"
                self._fence = match.group(2)
                self._fence_indent = indent
                self._lang = match.group(3).strip().partition(" ")[0]
                self._code_top = True
                self._code_lines = []
                return
            if lines:
                self._nested_fence = match.group(2)
                self._nested_indent = indent
                self._nested_lines = []
                self._add(line)
                return
        if not line.strip():
            self._emit_md()
            return
        if self._table is not None:
            self._table_line(line)
            return
        if (
            lines
            and (len(lines) == 1 or self._para)
            and "|" in lines[-1]
            and _DELIMITER_ROW.match(line) is not None
            and (lines[-1].lstrip().startswith("|") or _plain_start(lines[-1]))
        ):
            header = lines[-1]
            columns = len(plain_cells(header))
            if "|" in line.strip().strip("|") or columns == 1:
                if len(plain_cells(line)) == columns:
                    self._start_table(header, line, columns)
                    return
        if self._chain is not None and self._quote and _QUOTE.match(line) is not None and not _quote_plain(line):
            # A quoted paragraph ends: the quote goes on (no gap line); an empty quote line shows nothing.
            self._emit_md(next_continuation=True)
            if not line[_QUOTE.match(line).end() :].strip():  # type: ignore[union-attr]
                return
            lines = self._lines
        elif self._chain is not None and _INTERRUPTS.match(line) is not None and not self._quote:
            self._emit_md()
            lines = self._lines
        if not lines:
            self._para = _plain_start(line) or _quote_plain(line)
            self._quote = self._para and _QUOTE.match(line) is not None
        elif self._para:
            self._para_seam(line)
            lines = self._lines
        if (
            len(lines) >= LIST_CHUNK_LINES
            and _LIST_ITEM.match(line) is not None
            and _LIST_ITEM.match(lines[0]) is not None
        ):
            self._emit_md(next_continuation=True)
        elif (
            not self._para
            and len(lines) >= MD_CAP_LINES
            and (line.lstrip(" ")[:1] == lines[0].lstrip(" ")[:1] == ">" or len(lines) >= 4 * MD_CAP_LINES)
        ):
            self._emit_md(next_continuation=True)
        if self._para and len(line) > LONG_LINE_CHARS:
            self._long_line(line)
            return
        self._add(line)

    def _para_seam(self, line: str) -> None:
        """Maybe cut the paragraph before its last line, now that the line after it (`line`) is known."""
        lines = self._lines
        if len(lines) < 2 or (self._size < PARA_CHUNK_CHARS and len(lines) < PARA_CHUNK_LINES):
            return
        last, before = lines[-1], lines[-2]
        if (
            not (_quote_plain(last) if self._quote else _plain_start(last))
            or _DELIMITER_ROW.match(line) is not None
            or before.endswith(("  ", "\\", "\t"))
        ):
            return
        self._emit_chunk(lines[:-1], "\n")
        self._lines = [last]
        self._size = len(last) + 1

    def _long_line(self, line: str) -> None:
        while len(line) > LONG_LINE_CHARS:
            cut = _cut_point(line, LONG_LINE_CHARS)
            if cut is None:
                break
            index, sep = cut
            self._emit_chunk([*self._lines, line[:index]], sep)
            line = ("> " if self._quote else "") + line[index + len(sep) :]
            self._lines = []
            self._size = 0
        self._add(line)

    def _start_table(self, header: str, delimiter: str, columns: int) -> None:
        self._lines.pop()
        if self._lines:
            self._emit_md()
        self._table = TableLayout(head=f"{header}\n{delimiter}", columns=columns)
        self._table_chunks = 0
        self._table_rows = 0
        self._lines = [header, delimiter]

    def _table_line(self, line: str) -> None:
        assert self._table is not None
        if _INTERRUPTS.match(line) is not None:
            self._emit_md()
            self._line(line)
            return
        self._lines.append(line)
        self._table.rows += 1
        self._table_rows += 1
        if self._table_rows >= TABLE_CHUNK_ROWS:
            self.finished.append(self._table_block(self._lines, final=False))
            self._table_chunks += 1
            self._table_rows = 0
            self._lines = []


# ----------------------------------------------------------------------------------------------
# Rendering (rich)


@lru_cache(maxsize=64)
def _lexer(name: str) -> Any:  # a pygments Lexer (pygments ships no type hints), or "text"
    # importlib keeps mypy from asking for pygments stubs (not a dependency of ours).
    lexers = importlib.import_module("pygments.lexers")
    util = importlib.import_module("pygments.util")
    try:
        return lexers.get_lexer_by_name(name or "text")
    except util.ClassNotFound:
        return "text"


class _CodeBlock(CodeBlock):
    """rich's code block, with the theme's code background (for code nested in lists)."""

    background: str | None = None

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> CodeBlock:
        block = super().create(markdown, token)
        assert isinstance(block, _CodeBlock)
        block.background = getattr(markdown, "code_background", None)
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        yield Syntax(
            code,
            _lexer(self.lexer_name),
            theme=self.theme,
            word_wrap=True,
            padding=1,
            background_color=self.background,
        )


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt().enable("strikethrough").enable("table")


class _Markdown(Markdown):
    """rich's Markdown with one shared markdown-it parser (rich builds one per instance, ~0.3 ms)."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "fence": _CodeBlock,
        "code_block": _CodeBlock,
    }

    def __init__(self, markup: str, code_theme: str, code_background: str | None) -> None:
        # The attributes rich's Markdown.__init__ sets (rich 13-15), without building a parser.
        self.markup = markup
        self.parsed = _parser().parse(markup)
        self.code_theme = code_theme
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme
        self.code_background = code_background


@dataclass(slots=True)
class _RenderContext:
    """What rendering needs from the app: a rich console with theme-derived styles."""

    console: Console
    code_theme: str
    code_background: str | None
    generation: int
    selection_style: Style | None = None
    options: dict[int, ConsoleOptions] = field(default_factory=dict)

    def options_for(self, width: int) -> ConsoleOptions:
        options = self.options.get(width)
        if options is None:
            options = self.options[width] = self.console.options.update(width=width, height=None)
        return options


def _make_console(theme: Theme | None = None) -> Console:
    return Console(
        file=io.StringIO(),
        width=80,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
        theme=theme,
    )


def _resolve_colors(variables: Mapping[str, str]) -> dict[str, str]:
    """Theme variables that are plain colours, alpha blended onto the background, as hex."""
    try:
        background = Color.parse(variables.get("background", "#000000"))
    except Exception:  # noqa: BLE001 - any unparsable theme value just falls back
        background = Color(0, 0, 0)
    resolved: dict[str, str] = {}
    for name, value in variables.items():
        try:
            color = Color.parse(value)
        except Exception:  # noqa: BLE001 - "auto 87%", "transparent", text styles...
            continue
        resolved[name] = (background + color).hex6 if color.a < 1 else color.hex6
    return resolved


_THEME_COLORS = frozenset(
    {
        "background",
        "foreground",
        "foreground-muted",
        "surface",
        "border",
        "primary",
        "secondary",
        "accent",
        "text-primary",
        "text-secondary",
        "text-accent",
        *(f"markdown-h{level}-color" for level in range(1, 7)),
    }
)
"""The theme variables `_rich_theme` reads colours from (parsing all of them costs ~17 ms: a value that is
not a colour makes `Color.parse` look for close matches)."""


def _rich_theme(variables: Mapping[str, str]) -> Theme:
    colors = _resolve_colors({name: value for name, value in variables.items() if name in _THEME_COLORS})

    def color(*names: str) -> str:
        for name in names:
            if name in colors:
                return colors[name]
        return ""

    def text_style(name: str, default: str) -> str:
        value = variables.get(name, default)
        words = [word for word in value.split() if word in {"bold", "italic", "underline", "dim", "strike"}]
        return " ".join(words)

    styles: dict[str, str] = {}
    for level in range(1, 7):
        heading_color = color(f"markdown-h{level}-color", "text-primary", "primary")
        style = text_style(f"markdown-h{level}-text-style", "bold")
        styles[f"markdown.h{level}"] = f"{style} {heading_color}".strip() or "none"
    accent = color("text-accent", "accent")
    primary = color("text-primary", "primary")
    muted = color("foreground-muted", "foreground")
    surface = color("surface")
    on_surface = f" on {surface}" if surface else ""
    styles.update(
        {
            "markdown.h1.border": primary or "none",
            "markdown.code": f"bold {accent}{on_surface}".strip(),
            "markdown.code_block": f"{color('foreground')}{on_surface}".strip() or "none",
            "markdown.block_quote": f"italic {muted}".strip(),
            "markdown.item.bullet": f"bold {primary}".strip(),
            "markdown.item.number": primary or "none",
            "markdown.list": "none",
            "markdown.hr": muted or "dim",
            "markdown.link": primary or "none",
            "markdown.link_url": f"underline {color('text-secondary', 'secondary')}".strip(),
            "markdown.table.border": color("border", "primary") or "none",
            "markdown.table.header": f"bold {primary}".strip(),
        }
    )
    return Theme({name: Style.parse(value) for name, value in styles.items()})


_contexts: dict[tuple[str, bool], _RenderContext] = {}
_generation = 0


def _context_for(app: App[object]) -> _RenderContext:
    global _generation
    theme = app.current_theme
    key = (theme.name, theme.dark)
    context = _contexts.get(key)
    if context is None:
        variables = app.theme_variables
        _generation += 1
        surface = _resolve_colors({"surface": variables.get("surface", "")}).get("surface")
        context = _RenderContext(
            console=_make_console(_rich_theme(variables)),
            code_theme="monokai" if theme.dark else "default",
            code_background=surface,
            generation=_generation,
        )
        _contexts[key] = context
    return context


class _Cost:
    """Running estimate of rendering seconds per source character (to stay within time budgets)."""

    per_char = 5e-6

    @classmethod
    def predict(cls, block: _Block) -> float:
        return (len(block.source) + 80) * cls.per_char

    @classmethod
    def update(cls, block: _Block, seconds: float) -> None:
        sample = seconds / (len(block.source) + 80)
        cls.per_char = cls.per_char * 0.8 + sample * 0.2


def _fits(block: _Block, deadline: float) -> bool:
    """True if rendering `block` now should end before `deadline`."""
    return perf_counter() + _Cost.predict(block) <= deadline


def _render_block(block: _Block, width: int, context: _RenderContext, base: Style | None) -> list[list[Segment]]:
    started = perf_counter()
    if block.kind == "code":
        renderable = Syntax(
            block.source,
            _lexer(block.lang),
            theme=context.code_theme,
            word_wrap=True,
            padding=(1 if block.top else 0, 1, 1 if block.bottom else 0, 1),
            background_color=context.code_background,
        )
        lines = context.console.render_lines(renderable, context.options_for(width), style=base, pad=True)
    elif block.kind == "para":
        lines = _styled(_render_para(block, width, context), base)
    elif block.kind == "table":
        lines = _styled(_render_table(block, width, context), base)
    else:
        lines = _styled(_render_markdown(block.source, width, context), base)
    _Cost.update(block, perf_counter() - started)
    return lines


def _render_markdown(source: str, width: int, context: _RenderContext) -> list[list[Segment]]:
    renderable = _Markdown(source, context.code_theme, context.code_background)
    # rich puts blank lines before/after some elements (lists, tables, quotes); the view puts
    # exactly one between blocks, so trim them (before the base style, to tell them apart).
    return _trim(context.console.render_lines(renderable, context.options_for(width), pad=True))


def _trim(lines: list[list[Segment]]) -> list[list[Segment]]:
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def _styled(lines: list[list[Segment]], base: Style | None) -> list[list[Segment]]:
    if base is None:
        return lines
    apply_style = Segment.apply_style
    return [list(apply_style(line, base)) for line in lines]


def _chain_ready(block: _Block, width: int, generation: int) -> bool:
    """True if the paragraph chunk before `block` is rendered exactly at this width and theme."""
    prev = block.prev
    return prev is None or (
        prev.lines is not None
        and prev.exact
        and prev.chain is not None
        and prev.width == width
        and prev.generation == generation
    )


def _render_para(block: _Block, width: int, context: _RenderContext) -> list[list[Segment]]:
    """A paragraph chunk: in its chain (exactly as rich wraps the whole paragraph), or alone if not ready."""
    ready = _chain_ready(block, width, context.generation)
    block.exact = ready
    block.chain = None
    carry = block.prev.chain if ready and block.prev is not None else None
    source, sep = block.source, block.sep
    if carry is not None and carry.source:
        own = block.source if sep == "\n" else _QUOTE.sub("", block.source, count=1)
        source, sep = carry.source + block.sep + own, carry.sep
    console = context.console
    markdown = _Markdown(source, context.code_theme, context.code_background)
    found = paragraph_text(markdown, console, context.options_for(width))
    if found is None:  # not one paragraph after all (rich decides): rendered as Markdown after the carry
        lines = _render_markdown(source, width, context)
        if carry is not None and carry.text is not None:
            lines = console.render_lines(carry.text, context.options_for(width), pad=True) + lines
        block.chain = ChainState()
        return lines
    quote = found.quote_style
    inner = width - 4 if quote is not None else width

    def render(text: Text) -> list[list[Segment]]:
        lines = console.render_lines(text, context.options_for(inner), style=quote, pad=True)
        return quote_lines(lines, width, quote) if quote is not None else lines

    text = found.text
    if carry is not None and carry.text is not None:
        text = join_texts(carry.text, sep, found.join_style, text)
    if not ready or block.final:
        return render(text)
    if (inline_open(found.tokens) or "\t" in text.plain) and len(source) < FORCE_CHARS:
        # Inline Markdown still open at the seam: the next chunk renders this source with its own.
        block.chain = ChainState(carry.text if carry is not None else None, source, sep)
        return []
    head, last = split_carry(text, inner)
    block.chain = ChainState(text=last)
    return render(head) if head is not None else []


def _table_key(block: _Block, width: int, context: _RenderContext) -> tuple[Any, ...]:
    table = block.table
    assert table is not None
    widths = table.widths(width, context.generation, context.console, context.options_for(width))
    return (table.is_plain, *widths)


def _render_table(block: _Block, width: int, context: _RenderContext) -> list[list[Segment]]:
    """A table chunk with the whole table's column widths (rich's layout, or the plain one if big)."""
    table = block.table
    assert table is not None
    console, options = context.console, context.options_for(width)
    table.set_source(block.table_index, block.source)
    first = block.table_index == 0
    if table.is_plain:
        key = block.table_key = _table_key(block, width, context)
        styles = (console.get_style("markdown.table.header"), console.get_style("markdown.table.border"))
        return render_plain_rows(
            plain_rows(block.table_index, block.source),
            widths=list(key[1:]),
            width=width,
            styles=styles,
            header=first,
            note=first,
        )
    markdown = _Markdown(table.chunk_source(block.table_index, block.source), context.code_theme, None)
    header, cells = table_cells(markdown, console, options)
    if not header:  # not a table after all
        block.table_key = _table_key(block, width, context)
        return _render_markdown(block.source, width, context)
    table.measured(block.table_index, block.source, measure_rows(cells, table.columns, console, options))
    key = block.table_key = _table_key(block, width, context)
    widths = list(key[1:])
    lines = render_rich_rows(header, cells, widths, show_header=first, console=console, options=options)
    if block.final:  # as the whole table's render is trimmed
        while lines and _is_blank(lines[-1]):
            lines.pop()
    return lines


def _is_blank(line: list[Segment]) -> bool:
    return all(not text.strip() and (style is None or style.bgcolor is None) for text, style, _ in line)


def _estimate_height(block: _Block, width: int) -> int:
    """Height of a block before it is rendered (corrected once it is)."""
    if block.estimate[0] == width:
        return block.estimate[1]
    width = max(width, 1)
    height = 0
    if block.kind == "code":
        inner = max(width - 2, 1)
        for line in block.source.split("\n"):
            height += max(1, -(-len(line) // inner))
        height += int(block.top) + int(block.bottom)
    else:
        table_rows = 0
        for line in block.source.split("\n"):
            if line.startswith("|"):
                table_rows += 1
            else:
                height += max(1, -(-len(line) // width))
        if table_rows:
            height += table_rows + 2
    block.estimate = (width, height)
    return height


def warm_up() -> None:
    """Render a tiny Markdown document once so rich, markdown-it and pygments are loaded.

    Call it once at app start (e.g. from `on_mount`, or in a worker) so the first reply does not
    pay for the imports and lexer/style loading.
    """
    console = _make_console()
    sample = (
        "# Title\n\nSome *text* with `code`.\n\n- item\n- item\n\n1. one\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n```python\ndef f(x):\n    return x\n```\n"
    )
    for theme in ("monokai", "default"):
        console.render_lines(_Markdown(sample, theme, None), console.options.update(width=60))
        console.render_lines(Syntax("x = 1\n", _lexer("python"), theme=theme), console.options)


_paint_deadline: float | None = None


def _reset_paint_budget() -> None:
    global _paint_deadline
    _paint_deadline = None


def _paint_fits(block: _Block) -> bool:
    """True if `block` may be rendered on demand (while painting) in this event-loop turn."""
    global _paint_deadline
    if _paint_deadline is None:
        _paint_deadline = perf_counter() + PAINT_BUDGET
        try:
            asyncio.get_running_loop().call_soon(_reset_paint_budget)
        except RuntimeError:  # no loop: nothing else to keep responsive
            _paint_deadline = None
            return True
    return _fits(block, _paint_deadline)


def _placeholder(block: _Block, offset: int, width: int, base: Style | None) -> list[Segment]:
    """Line `offset` of a block not rendered yet: its source text, wrapped like the height estimate."""
    y = 0
    for line in block.source.split("\n"):
        rows = max(1, -(-len(line) // max(width, 1)))
        if offset < y + rows:
            start = (offset - y) * width
            return [Segment(line[start : start + width], base)]
        y += rows
    return [Segment("", base)]


def _after_cache() -> None:
    """After caching new strips: collect the young generations, then freeze the survivors."""
    gc.collect(1)
    gc.freeze()


# ----------------------------------------------------------------------------------------------
# Background rendering (per app, nearest to the viewport first)


class _RenderQueue:
    """Renders stale blocks of views in slices of `SLICE_BUDGET`, one slice per event-loop turn.

    Views nearest to the viewport go first. Height changes are batched into one layout refresh every
    `VISIBLE_LAYOUT_INTERVAL` when a view on screen changed, else every `LAYOUT_INTERVAL` (a layout pass
    over hundreds of widgets costs more than a slice).
    """

    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._views: dict[MarkdownView, None] = {}
        self._relayout: dict[MarkdownView, bool] = {}
        """Views whose height changed -> whether they are on screen."""
        self._last_layout = 0.0
        self._timer: Timer | None = None

    def add(self, view: MarkdownView) -> None:
        self._views[view] = None
        if self._timer is None:
            self._timer = self._app.set_timer(0.001, self._step, name="markdown-view-render")

    def discard(self, view: MarkdownView) -> None:
        self._views.pop(view, None)
        self._relayout.pop(view, None)

    def _step(self) -> None:
        self._timer = None
        for view in list(self._views):
            if not view.is_attached:
                del self._views[view]
        distances = {view: _viewport_distance(view) for view in list(self._views) if view._width > 0}
        deadline = perf_counter() + SLICE_BUDGET
        rendered = False
        while distances and perf_counter() < deadline:
            view = min(distances, key=distances.__getitem__)
            more, height_changed = view._render_stale(deadline)
            rendered = True
            if height_changed:
                self._relayout[view] = self._relayout.get(view, False) or distances[view] == 0
            if not more:
                self._views.pop(view, None)
                del distances[view]
        if rendered:
            _after_cache()
        now = monotonic()
        since = now - self._last_layout
        on_screen = any(self._relayout.values())
        if self._relayout and (
            not self._views or since >= LAYOUT_INTERVAL or (since >= VISIBLE_LAYOUT_INTERVAL and on_screen)
        ):
            self._last_layout = now
            for view in self._relayout:
                if view.is_attached:
                    view.refresh(layout=True)
            self._relayout.clear()
        if self._views or self._relayout:
            self._timer = self._app.set_timer(0.001, self._step, name="markdown-view-render")


_queues: weakref.WeakKeyDictionary[App[object], _RenderQueue] = weakref.WeakKeyDictionary()


def _queue_for(app: App[object]) -> _RenderQueue:
    queue = _queues.get(app)
    if queue is None:
        queue = _queues[app] = _RenderQueue(app)
    return queue


def _visible_span(view: Widget) -> tuple[int, int] | None:
    """Lines of `view` (content coordinates) on screen, or None when it is not placed."""
    try:
        region = view.screen.find_widget(view).region
    except (NoWidget, NoMatches, Exception):  # noqa: BLE001 - not laid out yet / not on a screen
        return None
    height = view.screen.size.height
    top = region.y + view.styles.gutter.top
    return (-top, height - top)


def _viewport_distance(view: MarkdownView) -> int:
    span = _visible_span(view)
    if span is None:
        return 1 << 30
    start, end = span
    total = view._total_height()
    if end <= 0:
        return -end
    if start >= total:
        return start - total
    return 0


# ----------------------------------------------------------------------------------------------
# The widget


class MarkdownView(Widget):
    """One message rendered from Markdown over cached lines (see the module docstring)."""

    DEFAULT_CSS = """
    MarkdownView {
        height: auto;
        width: 1fr;
    }
    """

    ALLOW_SELECT = True

    def __init__(
        self,
        text: str = "",
        *,
        streaming: bool = False,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's parameter name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._streaming = streaming
        self._chunks: list[str] = []
        self._pending: list[str] = []
        self._splitter = _Splitter()
        self._blocks: list[_Block] = []
        self._tail: _Block | None = None
        self._starts: list[int] = [0]
        self._layout_dirty = True
        self._height = 0
        self._width = 0
        self._render_scheduled = False
        self._render_timer: Timer | None = None
        self._strip_cache: dict[int, tuple[list[Segment] | None, int, Strip]] = {}
        self._last_render = -1.0
        self._interval = RENDER_INTERVAL
        self._render_context: _RenderContext | None = None
        self._closing = False
        """`finish()` was called; pending text is still being split into blocks."""
        self._fresh_upto = 0
        """Blocks before this index are rendered at the current width and theme (a hint)."""
        self._table_changes = -1
        self.renders = 0
        """How many times pending deltas were rendered (the render rate is bounded by `RENDER_INTERVAL`)."""
        if text:
            self._chunks.append(text)
            self._splitter.feed(text)
        if not streaming:
            self._splitter.close()
        self._take_finished()
        self._tail = self._splitter.tail()

    # -- public API ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The Markdown source received so far."""
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    @property
    def code_blocks(self) -> list[str]:
        """Contents of the fenced code blocks so far (an unclosed one last)."""
        self._parse_pending()
        blocks = list(self._splitter.code_blocks)
        open_code = self._splitter.open_code
        if open_code is not None:
            blocks.append(open_code)
        return blocks

    @property
    def streaming(self) -> bool:
        """True until `finish()`."""
        return self._streaming

    def append(self, delta: str) -> None:
        """Add a piece of the reply. Cheap: rendering happens at most every `RENDER_INTERVAL`."""
        if not delta:
            return
        self._chunks.append(delta)
        self._pending.append(delta)
        if not self._render_scheduled and self.is_mounted:
            self._schedule_render()

    def flush(self) -> None:
        """Render pending deltas now."""
        self._cancel_render()
        self._render_pending()

    def finish(self) -> None:
        """The stream ended: render the tail now and stop the timer (a huge backlog over the next turns)."""
        self._streaming = False
        self._closing = True
        if self.is_mounted and sum(map(len, self._pending)) > FEED_CHARS:
            if not self._render_scheduled:
                self._schedule_render()
            return
        self._parse_pending()
        self.flush()
        if self.is_mounted:
            self._schedule_background()

    def set_text(self, text: str) -> None:
        """Replace the whole text (as a finished message; rendered lazily)."""
        self._cancel_render()
        self._chunks = [text] if text else []
        self._pending = []
        self._splitter = _Splitter()
        self._splitter.feed(text)
        self._splitter.close()
        self._streaming = False
        self._closing = False
        self._fresh_upto = 0
        self._blocks = []
        self._take_finished()
        self._tail = None
        self._layout_dirty = True
        if self.is_mounted:
            self._schedule_background()
            self.refresh(layout=True)

    # -- Textual hooks --------------------------------------------------------------------------

    def _on_mount(self, event: events.Mount) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)
        if self._pending:
            self._schedule_render()

    def _on_unmount(self) -> None:
        queue = _queues.get(self.app)
        if queue is not None:
            queue.discard(self)

    def _theme_changed(self) -> None:
        self._render_context = None
        self._fresh_upto = 0
        self._strip_cache.clear()
        self._layout_dirty = True
        self._schedule_background()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._render_context = None
        self._fresh_upto = 0
        self._strip_cache.clear()
        if self.is_mounted:
            self._schedule_background()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._set_width(width)
        return self._total_height()

    def _on_resize(self, event: events.Resize) -> None:
        self._set_width(self.size.width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        segments = self._line_at(y)
        selection = self.text_selection
        cached = self._strip_cache.get(y)
        if cached is not None and cached[0] is segments and cached[1] == width and selection is None:
            return cached[2]
        if segments is None:
            strip = Strip.blank(width, self.rich_style)
        else:
            strip = Strip(segments)
            if strip.cell_length != width:
                strip = strip.crop_extend(0, width, self.rich_style)
        if selection is not None:
            span = selection.get_span(y)
            if span is not None:
                strip = self._highlight(strip, *span)
        # Offsets metadata lets Textual map the mouse to (x, y) for text selection.
        strip = strip.apply_offsets(0, y)
        if selection is None:
            cache = self._strip_cache
            cache.pop(y, None)  # (re)inserted last: the oldest entries go first
            if len(cache) >= STRIP_CACHE_SIZE:
                # Drop the oldest quarter (a growing reply paints ever new rows): the rows on screen stay.
                for old in list(islice(cache, STRIP_CACHE_SIZE // 4)):
                    del cache[old]
            cache[y] = (segments, width, strip)
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        self._parse_pending()
        self._render_all()
        lines: list[str] = []
        for y in range(self._total_height()):
            segments = self._line_at(y)
            lines.append("".join(segment.text for segment in segments).rstrip() if segments else "")
        return selection.extract("\n".join(lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # -- internals --------------------------------------------------------------------------------

    def _highlight(self, strip: Strip, start: int, end: int) -> Strip:
        context = self._get_context()
        if context.selection_style is None:
            context.selection_style = self.screen.get_component_rich_style("screen--selection")
        length = len(strip.text)
        end = length if end == -1 else min(end, length)
        if start >= end:
            return strip
        before, middle, after = strip.divide([start, end, length])
        middle = Strip(Segment.apply_style(middle, post_style=context.selection_style), middle.cell_length)
        return Strip.join([before, middle, after])

    def _get_context(self) -> _RenderContext:
        if self._render_context is None:
            self._render_context = _context_for(self.app)
        return self._render_context

    def _schedule_render(self) -> None:
        """Render pending deltas on a later loop turn, no sooner than `RENDER_INTERVAL` after the last."""
        self._render_scheduled = True
        delay = self._last_render + self._interval - monotonic()
        if delay > 0.001:
            self._render_timer = self.set_timer(delay, self._on_render_timer, name="markdown-view-tick")
        else:
            # (Textual's set_timer(0) fails with ZeroDivisionError in 8.2.8.)
            self.call_later(self._on_render_timer)

    def _cancel_render(self) -> None:
        self._render_scheduled = False
        if self._render_timer is not None:
            self._render_timer.stop()
            self._render_timer = None

    def _feed_backlog(self) -> None:
        if self.is_mounted and self._render_scheduled:
            self._on_render_timer()

    def _on_render_timer(self) -> None:
        if self._render_scheduled:
            self._cancel_render()
            self._render_pending()

    def _parse_pending(self, limit: int | None = None) -> None:
        """Split pending deltas into blocks (at most `limit` characters of them; the rest stays pending)."""
        if self._pending:
            pending = self._pending
            self._interval = BURST_RENDER_INTERVAL if sum(map(len, pending)) > BURST_CHARS else RENDER_INTERVAL
            text = "".join(pending)
            if limit is not None and len(text) > limit:
                self._pending = [text[limit:]]
                text = text[:limit]
            else:
                self._pending = []
            self._splitter.feed(text)
            self._take_finished()
            self._tail = self._splitter.tail()
        if self._closing and not self._pending:
            self._closing = False
            self._splitter.close()
            self._take_finished()
            self._tail = None
            if self.is_mounted:
                self._schedule_background()

    def _take_finished(self) -> None:
        finished = self._splitter.finished
        if finished:
            self._blocks.extend(finished)
            finished.clear()
            self._layout_dirty = True

    def _render_pending(self) -> None:
        """Parse pending deltas; render the tail and the new finished blocks (the streaming path).

        The work per call is bounded by `TICK_BUDGET`: the tail and the newest finished blocks are
        rendered now, older ones left over (only when deltas arrive faster than they can be
        rendered) go to the background queue, visible ones first.
        """
        self._last_render = monotonic()
        old_height = self._total_height()
        self._parse_pending(FEED_CHARS)
        if self._pending and self.is_mounted:
            # A backlog (a huge delta): the next piece on the next turns, not a render interval later.
            # (Straight on the asyncio loop: a Textual timer or callback posted from this one never ran.)
            self._render_scheduled = True
            asyncio.get_running_loop().call_later(0.005, self._feed_backlog)
        width = self._width
        if not self.is_mounted or width <= 0:
            return
        self.renders += 1
        deadline = perf_counter() + TICK_BUDGET
        blocks = self._all_blocks()
        context = self._get_context()
        first_changed = len(blocks)
        cached = False
        newest = len(blocks) - 1
        if self._tail is not None:
            newest -= 1
        oldest = newest
        while oldest >= 0 and blocks[oldest].lines is None:
            oldest -= 1
        position = newest
        while position > oldest:
            block = blocks[position]
            if block.lines is not None and not self._needs_render(block, context):
                position -= 1
                continue
            target = position
            if block.kind == "para" and not _chain_ready(block, width, context.generation):
                target = self._chain_start(position, blocks, context)  # the chain from its first stale chunk
            if not _fits(blocks[target], deadline):
                self._schedule_background()
                break
            self._render_block_now(blocks[target])
            first_changed = min(first_changed, target)
            cached = True
            if target == position:
                position -= 1
        tail = self._tail
        if tail is not None and (tail.lines is None or self._needs_render(tail, context)):
            self._render_block_now(tail)
            first_changed = min(first_changed, len(blocks) - 1)
        self._layout_dirty = True
        new_height = self._total_height()
        if new_height != old_height:
            self.refresh(layout=True)
        else:
            start = self._starts[first_changed] if first_changed < len(self._starts) else 0
            self.refresh(Region(0, start, width, max(new_height - start, 1)))
        if cached:
            _after_cache()

    def _set_width(self, width: int) -> None:
        if width > 0 and width != self._width:
            self._width = width
            self._fresh_upto = 0
            self._layout_dirty = True
            if self.is_mounted:
                self._schedule_background()
                if self._pending and not self._render_scheduled:
                    self._schedule_render()

    def _schedule_background(self) -> None:
        if self._width > 0:
            _queue_for(self.app).add(self)

    def _is_fresh(self, block: _Block, context: _RenderContext) -> bool:
        if block.lines is None or block.width != self._width or block.generation != context.generation:
            return False
        if block.kind == "para":
            return block.exact
        if block.kind == "table":
            return block.table_key == _table_key(block, self._width, context)
        return True

    def _needs_render(self, block: _Block, context: _RenderContext) -> bool:
        """True if rendering `block` now would change it (a provisional chunk waits for its chain)."""
        if self._is_fresh(block, context):
            return False
        return not (
            block.kind == "para"
            and block.lines is not None
            and block.width == self._width
            and block.generation == context.generation
            and not _chain_ready(block, self._width, context.generation)
        )

    def _chain_start(self, index: int, blocks: list[_Block], context: _RenderContext) -> int:
        """The first block of `index`'s paragraph chain that is not rendered exactly (index itself if none)."""
        first = index
        while first > 0 and blocks[first].prev is blocks[first - 1] and not self._is_fresh(blocks[first - 1], context):
            first -= 1
        return first

    def _is_rendered(self) -> bool:
        """True when every block is rendered at the current width and theme."""
        if self._width <= 0 or not self.is_attached:
            return False
        if self._pending or self._closing:
            return False
        context = self._get_context()
        return all(self._is_fresh(block, context) for block in self._all_blocks())

    def end_rendered(self) -> bool:
        """True when the text is complete and its last block is rendered (exactly or on its own) at this width."""
        if self._streaming or self._pending or self._closing or self._width <= 0 or not self.is_attached:
            return False
        blocks = self._all_blocks()
        if not blocks:
            return True
        context = self._get_context()
        last = blocks[-1]
        return not self._needs_render(last, context) or (
            last.lines is not None and last.width == self._width and last.generation == context.generation
        )

    def _block_height(self, block: _Block) -> int:
        if block.lines is not None:
            return len(block.lines)
        return _estimate_height(block, self._width)

    def _all_blocks(self) -> list[_Block]:
        return [*self._blocks, self._tail] if self._tail is not None else self._blocks

    def _total_height(self) -> int:
        if self._layout_dirty:
            self._update_starts()
        return self._height

    def _update_starts(self) -> None:
        starts: list[int] = []
        y = 0
        for index, block in enumerate(self._all_blocks()):
            if index and not block.continuation:
                y += 1
            starts.append(y)
            y += self._block_height(block)
        self._starts = starts
        self._height = y
        self._layout_dirty = False

    def _line_at(self, y: int) -> list[Segment] | None:
        """The rendered line y (rendering its block now if it is stale), None for a gap line."""
        if self._layout_dirty:
            self._update_starts()
        blocks = self._all_blocks()
        if not blocks or y < 0 or y >= self._height:
            return None
        index = bisect_right(self._starts, y) - 1
        block = blocks[index]
        offset = y - self._starts[index]
        if self._width > 0 and self._needs_render(block, self._get_context()):
            if self._streaming and not _paint_fits(block):
                # Left to the background queue (visible blocks first) not to stall this frame.
                self._schedule_background()
                if block.lines is not None and offset < len(block.lines):
                    return block.lines[offset]
                return _placeholder(block, offset, self._width, self.rich_style)
            old = self._block_height(block)
            self._render_block_now(block)
            if len(block.lines or ()) != old:
                self._layout_dirty = True
                self.call_later(self.refresh, layout=True)
                self._update_starts()
                offset = y - self._starts[index]
        strips = block.lines
        if strips is None or not 0 <= offset < len(strips):
            return None
        return strips[offset]

    def _render_block_now(self, block: _Block) -> None:
        context = self._get_context()
        block.lines = _render_block(block, self._width, context, self.rich_style)
        block.width = self._width
        block.generation = context.generation

    def _render_all(self) -> None:
        context = self._get_context()
        if self._width <= 0:
            return
        changed = False
        for block in self._all_blocks():
            if not self._is_fresh(block, context):
                self._render_block_now(block)
                changed = True
        if changed:
            self._layout_dirty = True
            self.refresh(layout=True)

    def _stale_candidates(self, blocks: list[_Block], context: _RenderContext) -> list[int]:
        """Indices of blocks to (re-)render: the visible ones and the first stale ones after the fresh prefix.

        A paragraph chunk whose chain is not ready is left out unless visible (it renders alone, then again
        once the chain reaches it). Bounded work per call however many blocks a huge reply has.
        """
        if self._table_changes != TableLayout.changes:  # a table's column widths may have changed
            self._table_changes = TableLayout.changes
            self._fresh_upto = 0
        hint = min(self._fresh_upto, len(blocks))
        while hint < len(blocks) and self._is_fresh(blocks[hint], context):
            hint += 1
        self._fresh_upto = hint
        starts = self._starts
        indices: dict[int, None] = {}
        span = _visible_span(self)
        if span is not None and blocks:
            top, bottom = span
            low = max(bisect_right(starts, top) - 1, 0)
            high = min(bisect_right(starts, bottom - 1), len(blocks))
            for index in range(low, high):
                if self._needs_render(blocks[index], context):
                    indices[index] = None
        width, generation = self._width, context.generation
        for index in range(hint, min(len(blocks), hint + SCAN_BLOCKS)):
            block = blocks[index]
            if index in indices or not self._needs_render(block, context):
                continue
            if block.kind == "para" and not _chain_ready(block, width, generation):
                continue
            indices[index] = None
        return list(indices)

    def _render_stale(self, deadline: float) -> tuple[bool, bool]:
        """Render stale blocks until `deadline`, visible ones first.

        Returns (whether stale blocks remain, whether the height changed); a visible block whose
        height changed refreshes the layout itself.
        """
        if self._width <= 0 or not self.is_attached:
            return False, False
        context = self._get_context()
        if self._layout_dirty:
            self._update_starts()
        blocks = self._all_blocks()
        stale = self._stale_candidates(blocks, context)
        if not stale:
            return False, False
        span = _visible_span(self)
        if span is not None:
            top, bottom = span
            starts = self._starts

            def distance(index: int) -> int:
                start = starts[index]
                end = start + self._block_height(blocks[index])
                if end <= top:
                    return top - end
                if start >= bottom:
                    return start - bottom
                return -1

            stale.sort(key=distance)
            if self._streaming:
                # While a reply streams faster than it renders, render only what is on screen: the
                # rest waits for the end of the stream (`finish`) rather than compete with it.
                stale = [index for index in stale if distance(index) < 0]
                if not stale:
                    return False, False
        old_height = self._height
        done: list[int] = []
        for index in stale:
            if done and not _fits(blocks[index], deadline):
                break
            if not self._needs_render(blocks[index], context):
                continue  # a chunk before it in the same pass made it ready, or not
            self._render_block_now(blocks[index])
            done.append(index)
        if not done:
            return False, False
        self._layout_dirty = True
        height_changed = self._total_height() != old_height
        if not height_changed:
            # Repaint just those blocks (mostly off screen while a fast reply streams: no frame at all).
            width, starts = self._width, self._starts
            self.refresh(*[Region(0, starts[i], width, max(len(blocks[i].lines or ()), 1)) for i in done])
        elif not self._streaming:
            self.refresh()
        # else: the queue refreshes the layout (and so repaints) within VISIBLE_LAYOUT_INTERVAL when on screen.
        return True, height_changed

"""Bounded rendering of big Markdown blocks for `MarkdownView` (issue 11): paragraph chains and tables.

A long paragraph (or a very long line) is cut into chunks of a few KB (`markdown_view._Splitter` picks the
seams). Rendered alone, each chunk would wrap differently from rich's Markdown at its seam, so chunks render
in a chain: chunk *i* wraps its text after the *carry* of chunk *i-1* (the last, unfinished wrapped line,
as a rich `Text`) and hands its own last line on. Greedy wrapping after a line break depends only on what
follows it, so the chained lines are exactly the lines rich's Markdown makes for the whole paragraph. A chunk
whose inline Markdown may still pair with the next one (an unmatched `` ` ``, `*`, `_`, `~~`, `[`, `]`)
renders nothing and hands its source on (up to `FORCE_CHARS`). A chunk whose chain is not ready renders
alone (*provisional*: visible parts first), until the chain reaches it.

A table is cut into chunks of rows. Every chunk renders with the column widths rich would compute for the
whole table (from per-chunk cell measurements), one chunk per call. Beyond `TABLE_RICH_ROWS` rows a table
renders in a plain aligned layout (cells as text, no inline styles), said in a note line above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich import box
from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Markdown, MarkdownContext, MarkdownElement, Paragraph, TableElement
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["FORCE_CHARS", "TABLE_CHUNK_ROWS", "TABLE_RICH_ROWS", "ChainState", "TableLayout"]

FORCE_CHARS = 16_000
"""A chunk hands its source on (inline Markdown still open) at most up to this size; beyond, it renders."""
TABLE_CHUNK_ROWS = 16
"""Rows per table chunk (~10 ms to render with rich at the reference speed)."""
TABLE_RICH_ROWS = 120
"""Tables up to this many rows render as rich renders them; bigger ones in the plain layout."""
PLAIN_TABLE_NOTE = "large table: plain layout"

_UNSAFE = re.compile(r"[`\[\]]|~~|(?<!\s)[*_]|[*_](?!\s)")
_INTRAWORD = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")


def inline_open(tokens: list[Token]) -> bool:
    """True if the inline tokens keep a delimiter that a later chunk could still close."""
    for token in tokens:
        if token.type == "text" and _UNSAFE.search(_INTRAWORD.sub("", token.content)) is not None:
            return True
    return False


# ----------------------------------------------------------------------------------------------
# Paragraph text through rich's own Markdown elements


class _CaptureParagraph(Paragraph):
    """A paragraph that hands its `Text` to the markdown instance instead of rendering it."""

    markdown_captured: list[_CaptureParagraph]
    join_style: Style
    outer_style: Style

    def on_enter(self, context: MarkdownContext) -> None:
        self.outer_style = context.current_style  # a block quote's style around it
        super().on_enter(context)
        self.join_style = context.current_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.text.justify = self.justify
        captured: list[_CaptureParagraph] = self.markdown_captured
        captured.append(self)
        return
        yield  # pragma: no cover - a generator that yields nothing

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> Paragraph:
        element = super().create(markdown, token)
        assert isinstance(element, _CaptureParagraph)
        element.markdown_captured = markdown.captured  # type: ignore[attr-defined]  # set by paragraph_text
        return element


@dataclass(slots=True)
class ParagraphText:
    text: Text
    join_style: Style
    """The style of a soft break in the paragraph."""
    quote_style: Style | None
    """The block quote's style if the paragraph is the only thing in a block quote."""
    tokens: list[Token]
    """The paragraph's inline tokens."""


_QUOTED = ["blockquote_open", "paragraph_open", "inline", "paragraph_close", "blockquote_close"]


def paragraph_text(markdown: Markdown, console: Console, options: ConsoleOptions) -> ParagraphText | None:
    """The paragraph of a markdown holding one paragraph (or one block quote of one paragraph), else None."""
    tokens = markdown.parsed
    types = [token.type for token in tokens]
    if types != _QUOTED[1:4] and types != _QUOTED:
        return None
    captured: list[_CaptureParagraph] = []
    markdown.captured = captured  # type: ignore[attr-defined]
    elements = markdown.elements
    markdown.elements = {**elements, "paragraph_open": _CaptureParagraph}  # type: ignore[misc]
    try:
        for _ in console.render(markdown, options):
            pass
    finally:
        markdown.elements = elements  # type: ignore[misc]
    if len(captured) != 1:
        return None
    element = captured[0]
    quoted = types[0] == "blockquote_open"
    inline = tokens[2 if quoted else 1].children or []
    return ParagraphText(element.text, element.join_style, element.outer_style if quoted else None, inline)


def quote_lines(lines: list[list[Segment]], width: int, style: Style) -> list[list[Segment]]:
    """Lines rendered at ``width - 4`` inside a block quote, as rich's BlockQuote shows them at ``width``."""
    bar = Segment("▌ ", style)
    out = []
    for line in lines:
        used = 2 + sum(segment.cell_length for segment in line)
        out.append([bar, *line, Segment(" " * (width - used))] if used < width else [bar, *line])
    return out


@dataclass(slots=True)
class ChainState:
    """What a paragraph chunk hands to the next one, valid for one (width, theme generation)."""

    text: Text | None = None
    """The unfinished last wrapped line."""
    source: str = ""
    """Markdown source handed on unrendered (its inline Markdown was still open)."""
    sep: str = "\n"
    """Source separator between `text` and `source` ("\\n" a soft break, " " a space, "" nothing)."""


def split_carry(text: Text, width: int) -> tuple[Text | None, Text]:
    """(the finished lines as one `Text` or None, the last unfinished wrapped line) of `text` at `width`."""
    plain = text.plain
    newline = plain.rfind("\n")
    line_start = newline + 1
    offsets = divide_line(plain[line_start:], max(width, 1), fold=True)
    start = line_start + (offsets[-1] if offsets else 0)
    if start == 0:
        return None, text
    head_end = start - 1 if start == line_start else start
    return text[:head_end], text[start:]


def join_texts(first: Text, sep: str, style: Style, second: Text) -> Text:
    joined = first.copy()
    if sep:
        joined.append(" ", style)  # a soft break or a space: rich renders both as one space
    joined.append_text(second)
    return joined


# ----------------------------------------------------------------------------------------------
# Tables


class _Measured:
    """A stand-in cell with a given measurement (to let rich compute a table's column widths)."""

    def __init__(self, minimum: int, maximum: int) -> None:
        self.measurement = Measurement(minimum, maximum)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.measurement

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return
        yield  # pragma: no cover - never rendered, only measured


class _FixedTable(Table):
    """rich's Table with the column widths given (those of the whole table)."""

    fixed_widths: list[int]

    def _calculate_column_widths(self, console: Console, options: ConsoleOptions) -> list[int]:
        return list(self.fixed_widths)


def _markdown_table() -> Table:
    # As rich.markdown.TableElement makes it.
    return Table(box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True, collapse_padding=True)


class _CaptureTable(TableElement):
    """A table element that hands its header and rows to the markdown instance."""

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> MarkdownElement:
        element = cls()
        element.markdown = markdown  # type: ignore[attr-defined]
        return element

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.markdown.captured.append(self)  # type: ignore[attr-defined]
        return
        yield  # pragma: no cover


def table_cells(markdown: Markdown, console: Console, options: ConsoleOptions) -> tuple[list[Text], list[list[Text]]]:
    """(header cells, rows of cells) of the first table in `markdown`, as rich's Markdown builds them."""
    captured: list[TableElement] = []
    markdown.captured = captured  # type: ignore[attr-defined]
    elements = markdown.elements
    markdown.elements = {**elements, "table_open": _CaptureTable}  # type: ignore[misc]
    try:
        for _ in console.render(markdown, options):
            pass
    finally:
        markdown.elements = elements  # type: ignore[misc]
    if not captured:
        return [], []
    element = captured[0]
    header: list[Text] = []
    if element.header is not None and element.header.row is not None:
        for column in element.header.row.cells:
            heading = column.content.copy()
            heading.stylize("markdown.table.header")
            header.append(heading)
    rows = [[cell.content for cell in row.cells] for row in element.body.rows] if element.body else []
    return header, rows


def measure_rows(
    rows: list[list[Text]], columns: int, console: Console, options: ConsoleOptions
) -> list[tuple[int, int]]:
    """Per column, (largest minimum, largest maximum) of the cells' measurements."""
    result = [(0, 0)] * columns
    for row in rows:
        for index, cell in enumerate(row[:columns]):
            measured = cell.__rich_measure__(console, options)
            low, high = result[index]
            result[index] = (max(low, measured.minimum), max(high, measured.maximum))
    return result


def rich_widths(
    header: list[Text], measures: list[tuple[int, int]], console: Console, options: ConsoleOptions
) -> list[int]:
    """The column widths rich's Markdown table would get for these header cells and row measurements."""
    table = _markdown_table()
    for heading in header:
        table.add_column(heading)
    if measures:
        table.add_row(*[_Measured(low, high) for low, high in measures])
    max_width = options.max_width
    return table._calculate_column_widths(console, options.update_width(max_width - table._extra_width))  # noqa: SLF001


def render_rich_rows(
    header: list[Text],
    rows: list[list[Text]],
    widths: list[int],
    *,
    show_header: bool,
    console: Console,
    options: ConsoleOptions,
) -> list[list[Segment]]:
    """Rows (and the header) as rich renders them inside the whole table, without the table's edges."""
    table = _FixedTable(
        box=box.SIMPLE,
        pad_edge=False,
        style="markdown.table.border",
        show_edge=True,
        collapse_padding=True,
        show_header=show_header,
    )
    table.fixed_widths = widths
    for heading in header:
        table.add_column(heading)
    for row in rows:
        table.add_row(*row)
    lines = console.render_lines(table, options, pad=True)
    return lines[1:-1]  # the top and bottom edges (blank lines of the SIMPLE box)


_PIPE_SPLIT = re.compile(r"(?<!\\)\|")
_PLAIN_MARKUP = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|`([^`]+)`|~~(.+?)~~")


def plain_cells(line: str) -> list[str]:
    """The cells of a table row, as text (simple inline Markdown removed)."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = [cell.strip().replace("\\|", "|") for cell in _PIPE_SPLIT.split(line)]
    return [_PLAIN_MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), cell) for cell in cells]


def plain_widths(measures: list[int], width: int) -> list[int]:
    """Column widths of the plain layout: natural widths, the widest shrunk first to fit `width`."""
    columns = len(measures)
    if not columns:
        return []
    available = max(width - 1 - 2 * (columns - 1), columns)
    widths = [max(1, value) for value in measures]
    excess = sum(widths) - available
    while excess > 0:
        widest = max(widths)
        count = widths.count(widest)
        second = max((w for w in widths if w < widest), default=0)
        step = min(widest - max(second, 1), -(-excess // count))
        if step <= 0:
            break
        for index, value in enumerate(widths):
            if value == widest and excess > 0:
                cut = min(step, excess)
                widths[index] = value - cut
                excess -= cut
    return widths


def _wrap_cell(text: str, width: int) -> list[str]:
    if cell_len(text) <= width:
        return [text]
    offsets = divide_line(text, width, fold=True)
    bounds = [*offsets, len(text)]
    starts = [0, *offsets]
    return [text[start:end].rstrip() for start, end in zip(starts, bounds, strict=False)]


def render_plain_rows(
    rows: list[list[str]], widths: list[int], width: int, styles: tuple[Style, Style], *, header: bool, note: bool
) -> list[list[Segment]]:
    """Rows of a big table in the plain layout (the first row as the header when `header`)."""
    header_style, border_style = styles
    lines: list[list[Segment]] = []
    if note:
        lines.append([Segment(f" ({PLAIN_TABLE_NOTE})".ljust(width)[:width], Style(italic=True, dim=True))])
    for number, row in enumerate(rows):
        cells = [*row[: len(widths)], *[""] * (len(widths) - len(row))]
        wrapped = [_wrap_cell(cell, column) for cell, column in zip(cells, widths, strict=True)]
        height = max((len(parts) for parts in wrapped), default=1)
        style = header_style if header and number == 0 else None
        for y in range(height):
            segments = [Segment(" ")]
            for index, parts in enumerate(wrapped):
                if index:
                    segments.append(Segment("  "))
                piece = parts[y] if y < len(parts) else ""
                segments.append(Segment(piece + " " * (widths[index] - cell_len(piece)), style))
            used = 1 + sum(widths) + 2 * (len(widths) - 1)
            if used < width:
                segments.append(Segment(" " * (width - used)))
            lines.append(Segment.adjust_line_length(segments, width))
        if header and number == 0:
            rule = " " + "  ".join("─" * column for column in widths)
            lines.append(Segment.adjust_line_length([Segment(rule, border_style)], width))
    return lines


@dataclass(eq=False)
class TableLayout:
    """What the chunks of one table share: the header source and every chunk's source and measurements.

    Column widths depend on every row (as in rich), so they come from the cells' measurements of all
    chunks (each chunk measured once, when its source is final); a chunk is stale when the widths change.
    """

    head: str
    """The header row and the delimiter row (Markdown source)."""
    columns: int
    rows: int = 0
    """Rows seen so far (the splitter counts them)."""
    version: int = 0
    """Bumped when a chunk's source changes (the open tail chunk grows)."""
    sources: dict[int, str] = field(default_factory=dict)
    measures: dict[int, tuple[str, bool, list[tuple[int, int]]]] = field(default_factory=dict)
    """Per chunk: (the source measured, plain mode, per column (minimum, maximum) cell width)."""
    header_cells: dict[int, list[Text]] = field(default_factory=dict)
    """Rich header cells per theme generation."""
    widths_cache: dict[tuple[int, int, int, bool], list[int]] = field(default_factory=dict)

    @property
    def is_plain(self) -> bool:
        return self.rows > TABLE_RICH_ROWS

    changes: ClassVar[int] = 0
    """Bumped whenever any table changes (its chunks rendered before may be stale)."""

    def set_source(self, index: int, source: str) -> None:
        if self.sources.get(index) != source:
            self.sources[index] = source
            self.version += 1
            TableLayout.changes += 1

    def chunk_source(self, index: int, source: str) -> str:
        """The Markdown of a chunk as a table of its own (the header first)."""
        return source if index == 0 else f"{self.head}\n{source}"

    def widths(self, width: int, generation: int, console: Console, options: ConsoleOptions) -> list[int]:
        plain = self.is_plain
        key = (width, generation, self.version, plain)
        cached = self.widths_cache.get(key)
        if cached is not None:
            return cached
        totals = [(0, 0)] * self.columns
        for index, source in self.sources.items():
            measured = self.measures.get(index)
            if measured is None or measured[0] != source or measured[1] != plain:
                measured = (source, plain, self._measure(index, source, plain, console, options))
                self.measures[index] = measured
            for column, (low, high) in enumerate(measured[2][: self.columns]):
                old_low, old_high = totals[column]
                totals[column] = (max(old_low, low), max(old_high, high))
        if plain:
            result = plain_widths([high for _, high in totals], width)
        else:
            result = rich_widths(self.header(generation, console, options), totals, console, options)
        if len(self.widths_cache) > 8:
            self.widths_cache.clear()
        self.widths_cache[key] = result
        return result

    def header(self, generation: int, console: Console, options: ConsoleOptions) -> list[Text]:
        cells = self.header_cells.get(generation)
        if cells is None:
            from llmconsole.ui.widgets.markdown_view import _Markdown  # noqa: PLC0415 - no import cycle at load

            markdown = _Markdown(self.head, "default", None)
            cells = self.header_cells[generation] = table_cells(markdown, console, options)[0]
        return cells

    def measured(self, index: int, source: str, measure: list[tuple[int, int]]) -> None:
        """A chunk's rich measurements, from a parse made to render it (saves parsing it again)."""
        self.measures[index] = (source, False, measure)

    def _measure(
        self, index: int, source: str, plain: bool, console: Console, options: ConsoleOptions
    ) -> list[tuple[int, int]]:
        if plain:
            result = [(0, 0)] * self.columns
            for line in plain_rows(index, source):
                for column, cell in enumerate(line[: self.columns]):
                    size = cell_len(cell)
                    if size > result[column][1]:
                        result[column] = (0, size)
            return result
        from llmconsole.ui.widgets.markdown_view import _Markdown  # noqa: PLC0415

        _, rows = table_cells(_Markdown(self.chunk_source(index, source), "default", None), console, options)
        return measure_rows(rows, self.columns, console, options)


def plain_rows(index: int, source: str) -> list[list[str]]:
    """A chunk's rows as text cells (the header row first for chunk 0, without the delimiter row)."""
    lines = source.split("\n")
    if index == 0:
        lines = lines[:1] + lines[2:]
    return [plain_cells(line) for line in lines]

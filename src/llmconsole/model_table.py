"""The ``--list-models`` table, fitted to the terminal: ids are never cut, the least useful columns go first.

The width comes from ``COLUMNS`` when it is set, else from the terminal; piped output without ``COLUMNS``
is not squeezed at all. Columns are left out in :data:`DROP_ORDER` until the table fits; when even the id
column alone is too wide, ids wrap (fold) inside their cell, so every character of every id is printed.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TextIO

from rich.cells import cell_len

if TYPE_CHECKING:
    from llmconsole.core.proxy.models import ModelInfo

UNLIMITED_WIDTH = 400
"""The console width for piped output without ``COLUMNS``: wide enough that no table is squeezed."""


def _price_per_million(value: float | None) -> str:
    return "unknown" if value is None else f"${value * 1_000_000:.2f}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "-"


def _tokens(count: int) -> str:
    from llmconsole.core.proxy.models import human_tokens

    return human_tokens(count)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the table."""

    header: str
    """The column's heading (also its name in the "not shown" caption)."""
    cell: Callable[[ModelInfo], str]
    """The cell text for one model."""
    justify: Literal["left", "right"] = "left"


COLUMNS: tuple[Column, ...] = (
    Column("context", lambda m: _tokens(m.context_window)),
    Column("max out", lambda m: _tokens(m.max_output_tokens)),
    Column("reasoning", lambda m: _yes(m.reasoning)),
    Column("images", lambda m: _yes(m.images)),
    Column("store", lambda m: _yes(m.supports("store"))),
    Column("prompt_cache_key", lambda m: _yes(m.supports("prompt_cache_key"))),
    Column("endpoint", lambda m: m.endpoint),
    Column("$/1M in", lambda m: _price_per_million(m.input_cost_per_token), "right"),
    Column("$/1M out", lambda m: _price_per_million(m.output_cost_per_token), "right"),
    Column("source", lambda m: m.source),
)
"""Every column after the model id, in display order."""

DROP_ORDER: tuple[str, ...] = (
    "source",
    "store",
    "prompt_cache_key",
    "endpoint",
    "max out",
    "$/1M out",
    "$/1M in",
    "images",
    "reasoning",
    "context",
)
"""Columns left out first when the terminal is narrow (least useful first); the model id is never left out."""


def terminal_width(stream: TextIO, environ: dict[str, str] | None = None) -> int | None:
    """``COLUMNS`` when set to a positive number, else the terminal's width, else None (piped: no limit)."""
    env = os.environ if environ is None else environ
    value = env.get("COLUMNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        if stream.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def table_width(widths: Sequence[int]) -> int:
    """Cells of a boxed rich table whose columns' contents are ``widths`` wide (padding 1 each side, rules)."""
    return sum(w + 2 for w in widths) + len(widths) + 1


def typical_id_width(ids: Sequence[str]) -> int:
    """The id column's width that keeps 9 in 10 ids on one line (longer ones fold): at least "model"."""
    lengths = sorted(cell_len(i) for i in ids)
    if not lengths:
        return cell_len("model")
    return max(cell_len("model"), lengths[max(0, math.ceil(len(lengths) * 0.9) - 1)])


def fit_columns(rows: Sequence[Sequence[str]], width: int | None) -> tuple[list[Column], list[str]]:
    """The columns kept for ``width`` (in display order) and the headers left out (in drop order).

    ``rows`` hold, per model, the id followed by one cell per entry of :data:`COLUMNS`. Columns go until
    the typical id (:func:`typical_id_width`) fits on one line next to the rest.
    """

    def need(index: int, header: str) -> int:
        return max([cell_len(header), *(cell_len(row[index]) for row in rows)])

    id_width = typical_id_width([row[0] for row in rows])
    widths = {column.header: need(i + 1, column.header) for i, column in enumerate(COLUMNS)}
    kept = list(COLUMNS)
    dropped: list[str] = []
    for header in DROP_ORDER:
        if width is None or table_width([id_width, *(widths[c.header] for c in kept)]) <= width:
            break
        kept = [c for c in kept if c.header != header]
        dropped.append(header)
    return kept, dropped


def render_models(models: Sequence[ModelInfo], title: str, out: TextIO, width: int | None) -> list[str]:
    """Print the table of ``models`` on ``out`` within ``width`` cells; returns the headers left out."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from llmconsole.cli import printable

    rows = [[printable(m.id), *(column.cell(m) for column in COLUMNS)] for m in models]
    kept, dropped = fit_columns(rows, width)
    caption = None
    if dropped:
        caption = f"not shown at {width} columns: {', '.join(dropped)} (a wider terminal or --json has them)"
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    longest = max([cell_len("model"), *(cell_len(r[0]) for r in rows)])
    others = [max([cell_len(c.header), *(cell_len(c.cell(m)) for m in models)]) for c in kept]
    id_room = longest if width is None else max(1, width - table_width([0, *others]))
    # An id wider than its room folds inside its cell (every character printed), never "…".
    table.add_column("model", no_wrap=longest <= id_room, overflow="fold", max_width=min(longest, id_room))
    for column in kept:
        table.add_column(column.header, justify=column.justify, no_wrap=True)
    index = {column.header: i + 1 for i, column in enumerate(COLUMNS)}
    for row in rows:
        table.add_row(Text(row[0]), *(row[index[c.header]] for c in kept))
    console = Console(file=out, highlight=False, width=width or UNLIMITED_WIDTH, soft_wrap=False)
    console.print(table)
    return dropped

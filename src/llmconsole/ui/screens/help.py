"""The help screen (F1): every key of the console, generated from the bindings, grouped by where it works.

Type to filter (as lazygit's ``?``): the rows whose keys, words or binding id hold every typed word. Each row is
the keys, what they do, and the binding id that ``[keys]`` in config.toml remaps; a description too long for the
width wraps under itself (never under the keys), so nothing is cut at 60 columns and 120 columns are used.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from llmconsole.ui.styles import MODALS_CSS

if TYPE_CHECKING:
    from textual.geometry import Size

    from llmconsole.ui.app import LLMConsoleApp

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Send the prompt"),
    ("up / down", "Recall earlier prompts (at the first / last line of the prompt)"),
    ("tab / shift+tab", "Move focus (prompt, sidebar, conversation)"),
    ("ctrl+p", "Command palette (every action, and model: <id>)"),
    ("ctrl+c", "Copy the selected text"),
)
"""Keys that are not bindings of ours (the editor's, Textual's), listed with the main screen's."""

KEY_WIDTH_NARROW = 10
"""On a narrow screen the keys' column is at least this wide (a quarter of the width); longer keys wrap in it."""
MIN_TEXT_WIDTH = 20
"""Below this many columns for the description, the keys take a line of their own and it goes under them."""


@dataclass(frozen=True)
class KeyRow:
    """One line of the help: keys, what they do, the binding id (``""`` for keys that cannot be remapped)."""

    keys: str
    text: str
    binding_id: str = ""

    def matches(self, words: Sequence[str]) -> bool:
        haystack = f"{self.keys} {self.text} {self.binding_id}".lower()
        return all(word in haystack for word in words)


@dataclass(frozen=True)
class KeySection:
    """The keys of one place (the main screen, a selected message, compare mode)."""

    title: str
    rows: tuple[KeyRow, ...]


def key_rows(bindings: Iterable[Binding]) -> list[KeyRow]:
    """A row per binding with a description (the tooltip when there is one)."""
    rows = []
    for binding in bindings:
        if not binding.description:
            continue
        keys = " / ".join(key.strip() for key in binding.key.split(","))
        rows.append(KeyRow(keys, binding.tooltip or binding.description, binding.id or ""))
    return rows


def layout(sections: Sequence[KeySection], width: int, query: str = "") -> list[Content]:
    """The lines of the help for ``width`` columns: the sections with a row matching ``query`` (all of them for a
    blank one), each row's description wrapped under itself."""
    words = query.lower().split()
    shown = [(s.title, [r for r in s.rows if r.matches(words)]) for s in sections]
    shown = [(title, rows) for title, rows in shown if rows]
    if not shown:
        return [Content.styled(f"no key matches {query.strip()!r}", "$warning")]
    key_width = max(len(row.keys) for _, rows in shown for row in rows)
    key_width = min(key_width, max(KEY_WIDTH_NARROW, width // 4), max(4, width - 2 - MIN_TEXT_WIDTH))
    text_width = max(MIN_TEXT_WIDTH, width - key_width - 2)
    lines: list[Content] = []
    for title, rows in shown:
        if lines:
            lines.append(Content(""))
        lines.append(Content.styled(title, "bold $text-muted"))
        for row in rows:
            lines.extend(_row_lines(row, key_width, text_width))
    return lines


def _row_lines(row: KeyRow, key_width: int, text_width: int) -> list[Content]:
    words = row.text + (f"  [{row.binding_id}]" if row.binding_id else "")
    wrapped = textwrap.wrap(words, text_width, break_on_hyphens=False) or [""]
    indent = " " * (key_width + 2)
    key_lines = textwrap.wrap(row.keys, key_width, break_on_hyphens=False) or [""]
    lines = [Content.styled(key, "bold $accent") for key in key_lines[:-1]]
    first = Content.assemble((key_lines[-1].ljust(key_width), "bold $accent"), "  ", _styled_text(wrapped[0], row))
    lines.append(first)
    lines.extend(Content.assemble(indent, _styled_text(line, row)) for line in wrapped[1:])
    return lines


def _styled_text(line: str, row: KeyRow) -> Content:
    """A line of the description, its ``[binding-id]`` muted."""
    tag = f"[{row.binding_id}]"
    if row.binding_id and line.endswith(tag):
        return Content.assemble(line[: -len(tag)], (tag, "$text-muted"))
    return Content(line)


def console_sections(app: LLMConsoleApp) -> list[KeySection]:
    """Every place's keys as they are now (``[keys]`` applied): the main screen (with the prompt's and the
    app's), a selected message, compare mode, the conversation list, the tool dialogs."""
    from llmconsole.ui.screens.compare import CompareColumn, CompareScreen
    from llmconsole.ui.screens.conversations import ConversationsScreen
    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.screens.tool_approval import ToolApprovalModal
    from llmconsole.ui.screens.tool_picker import ToolPickerModal
    from llmconsole.ui.widgets.conversation import ConversationPane
    from llmconsole.ui.widgets.prompt import PromptInput
    from llmconsole.ui.widgets.search_bar import SearchBar

    def rows(*owners: type[object]) -> tuple[KeyRow, ...]:
        bindings = [b for owner in owners for b in getattr(owner, "BINDINGS", []) if isinstance(b, Binding)]
        return tuple(key_rows(app.current_binding(b) for b in bindings))

    extra = tuple(KeyRow(keys, text) for keys, text in EXTRA_KEYS)
    return [
        KeySection("Main screen", (*rows(MainScreen, PromptInput, type(app)), *extra)),
        KeySection("A selected message (ctrl+up)", rows(ConversationPane)),
        KeySection("Search (ctrl+f)", rows(SearchBar)),
        KeySection("Compare (f3)", rows(CompareScreen, CompareColumn)),
        KeySection("Conversations (ctrl+o)", rows(ConversationsScreen)),
        KeySection("Tool approval (before a tool call runs)", rows(ToolApprovalModal)),
        KeySection("Tool picker (f7)", rows(ToolPickerModal)),
    ]


class KeyTable(Widget):
    """The rows laid out for the widget's width (wrapped by :func:`layout`, not by Textual: its wrapping would
    put continuation lines under the keys)."""

    DEFAULT_CSS = """
    KeyTable { height: auto; }
    """

    def __init__(self, sections: Sequence[KeySection], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.sections = list(sections)
        self.query_text = ""
        self._cache: tuple[int, str, list[Content]] | None = None

    def lines(self, width: int) -> list[Content]:
        if self._cache is None or self._cache[:2] != (width, self.query_text):
            self._cache = (width, self.query_text, layout(self.sections, width, self.query_text))
        return self._cache[2]

    def set_query(self, query: str) -> None:
        self.query_text = query
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_region.width or self.size.width))

    @property
    def plain(self) -> str:
        """What is shown, as text."""
        return "\n".join(line.plain for line in self.lines(self.content_region.width or self.size.width))


class HelpScreen(ModalScreen[None]):
    """The keys, in one place. Type to filter; Escape clears the filter, then closes (F1 closes too)."""

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Clear the filter, or close the help", id="help-close"),
        Binding("f1", "close(True)", "Close", show=False, id="help-close-f1"),
        Binding("down", "scroll(1)", "Scroll", show=False, id="help-line-down"),
        Binding("up", "scroll(-1)", "Scroll", show=False, id="help-line-up"),
        Binding("pagedown", "scroll(1, True)", "Scroll", show=False, id="help-page-down"),
        Binding("pageup", "scroll(-1, True)", "Scroll", show=False, id="help-page-up"),
    ]

    def __init__(self, sections: Sequence[KeySection] | Iterable[Binding]) -> None:
        """``sections`` of keys, or the main screen's bindings (one section)."""
        super().__init__()
        items = list(sections)
        if all(isinstance(item, KeySection) for item in items):
            self.sections = [item for item in items if isinstance(item, KeySection)]
        else:
            rows = key_rows(item for item in items if isinstance(item, Binding))
            self.sections = [KeySection("Main screen", (*rows, *(KeyRow(k, t) for k, t in EXTRA_KEYS)))]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(
                Content.assemble(("llmconsole keys", "bold"), (" · remap by id in config.toml [keys]", "$text-muted")),
                id="help-title",
            )
            yield Input(placeholder="type to filter: a key, a word, an id", id="help-filter", compact=True)
            with VerticalScroll(id="help-body"):
                yield KeyTable(self.sections, id="help-keys")
            yield Static("type filters · esc clears, then closes", id="help-hint")

    @property
    def table(self) -> KeyTable:
        return self.query_one("#help-keys", KeyTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#help-filter", Input)

    def on_mount(self) -> None:
        self.filter_input.focus()

    @on(Input.Changed, "#help-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_query(event.value)
        self.query_one("#help-body", VerticalScroll).scroll_home(animate=False)

    def action_scroll(self, step: int, page: bool = False) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_relative(y=step * (max(1, body.size.height - 1) if page else 1), animate=False)

    def action_close(self, always: bool = False) -> None:
        if self.filter_input.value and not always:
            self.filter_input.value = ""
            return
        self.dismiss(None)

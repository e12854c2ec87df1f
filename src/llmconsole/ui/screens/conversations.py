"""The conversation list (ctrl+o): open an earlier conversation and continue it, rename, delete, search, export.

Everything reads and writes through :class:`~llmconsole.ui.persistence.HistoryAdapter` (SQLite off the event
loop). The screen dismisses with an :class:`OpenRequest` (the main screen opens it) or None.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from llmconsole.ui.persistence import HistoryAdapter
from llmconsole.ui.widgets.footer import ConsoleFooter

if TYPE_CHECKING:
    from textual import events
    from textual.dom import DOMNode

    from llmconsole.core.store.history import ConversationSummary, SearchHit
    from llmconsole.ui.screens.main import MainScreen

PAGE = 200
"""Conversations listed at once (the next page loads when the highlight reaches the end)."""
SEARCH_DELAY_S = 0.15
"""Typing pauses this long before a search runs."""
SEARCH_LIMIT = 100

STATUS_MARKS: dict[str, tuple[str, str]] = {
    "interrupted": ("! interrupted", "$error"),
    "error": ("! error", "$error"),
    "rate_limited": ("! rate limited", "$error"),
    "cancelled": ("× cancelled", "$warning"),
    "truncated": ("… truncated", "$warning"),
    "refused": ("⊘ refused", "$warning"),
    "streaming": ("⋯ streaming", "$accent"),
}
"""How the last reply's status is marked in the list (nothing for ``completed``)."""


@dataclass(frozen=True)
class OpenRequest:
    """Open conversation ``conv_id`` (scrolled to ``message_id`` when given)."""

    conv_id: str
    message_id: str | None = None


def format_time(stamp: float) -> str:
    """``2025-01-02 14:03`` in local time."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


MIN_TITLE = 24
"""Cells the title keeps while the other columns can still be shortened."""
GAP = 2


@dataclass(frozen=True)
class RowLayout:
    """How much of a row the columns besides the title take: the id's first characters, the date's format and
    the model's width (0: left out)."""

    id_width: int = 8
    time_format: str = "%Y-%m-%d %H:%M"
    model_width: int = 18

    def fixed(self) -> int:
        """Cells before the title."""
        date = len(time.strftime(self.time_format, time.localtime(0))) if self.time_format else 0
        return sum(width + GAP for width in (self.id_width, date, self.model_width) if width)


_SHORTER: tuple[tuple[int, str, int], ...] = (
    (8, "%Y-%m-%d %H:%M", 12),
    (8, "%m-%d %H:%M", 12),
    (8, "%m-%d", 10),
    (6, "%m-%d", 8),
    (6, "%m-%d", 6),
    (6, "", 6),
)
"""(id characters, date format, least model width), tried in order until the title keeps :data:`MIN_TITLE`
cells: the date and the id shorten before the title does."""


def row_layout(summaries: Sequence[ConversationSummary], row_width: int) -> RowLayout:
    """The widest layout that leaves the title :data:`MIN_TITLE` cells (the model id whole where it fits, else
    cut with "…"); the narrowest one when none does."""
    longest = max((len(s.model or "—") for s in summaries), default=1)
    layout = RowLayout()
    for id_width, time_format, least_model in _SHORTER:
        layout = RowLayout(id_width, time_format, 0)
        room = row_width - layout.fixed() - GAP - MIN_TITLE
        model = min(longest, max(room, min(longest, least_model)))
        layout = RowLayout(id_width, time_format, model)
        if room >= min(longest, least_model):
            break
    return layout


def summary_prompt(summary: ConversationSummary, layout: RowLayout | None = None) -> Content:
    """One row: short id, date, model, title, and the last reply's status when it did not complete."""
    layout = layout or RowLayout()
    model = summary.model or "—"
    if len(model) > layout.model_width:
        model = model[: layout.model_width - 1] + "…"
    parts: list[str | tuple[str, str] | Content] = [(summary.short_id[: layout.id_width], "bold $accent"), "  "]
    if layout.time_format:
        parts += [(time.strftime(layout.time_format, time.localtime(summary.updated_at)), "$text-muted"), "  "]
    parts += [(model.ljust(layout.model_width), "$secondary"), "  "]
    if summary.kind == "compare":
        parts.append(("⇄ ", "$text-muted"))
    parts.append(Content(summary.title or "(untitled)"))
    mark = STATUS_MARKS.get(summary.last_status or "")
    if mark is not None:
        parts += ["  ", mark]
    return Content.assemble(*parts)


def hit_prompt(hit: SearchHit) -> Content:
    """Two lines: the conversation (short id, title) and the snippet with the matches highlighted."""
    snippet = Content(hit.snippet)
    for start, end in hit.spans:
        snippet = snippet.stylize("bold $warning", start, end)
    who = {None: "title", "user": "you", "tool": f"tool {hit.tool}"}.get(hit.role, "reply")
    head = Content.assemble(
        (hit.conversation_id[:8], "bold $accent"),
        "  ",
        (format_time(hit.updated_at), "$text-muted"),
        "  ",
        Content(hit.title or "(untitled)"),
    )
    return Content.assemble(head, "\n", (f"  {who}: ", "$text-muted"), snippet)


class ConversationsScreen(ModalScreen[OpenRequest | None]):
    """Earlier conversations, newest first; type to search all of them.

    | Key | Action |
    | :- | :- |
    | letters | Full-text search (titles and messages). |
    | up/down | Move the highlight. |
    | enter | Open the conversation (at the hit when searching) and continue it. |
    | f2 | Rename. |
    | ctrl+d | Delete (asks first). |
    | ctrl+s | Export to a Markdown file. |
    | escape | Close. |
    """

    DEFAULT_CSS = """
    ConversationsScreen {
        align: center middle;
        background: $background 60%;
    }
    #conversations-dialog {
        width: 90%;
        max-width: 130;
        height: 85%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    #conversations-title {
        text-style: bold;
        color: $accent;
        height: 1;
    }
    #conversations-list {
        height: 1fr;
        border: none;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    #conversations-state {
        color: $text-muted;
        height: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close the conversation list", id="conversations-close"),
        Binding("enter", "open", "Open", tooltip="Open the conversation and continue it", id="conversations-open"),
        Binding("f2", "rename", "Rename", tooltip="Rename the conversation", id="conversations-rename"),
        Binding(
            "ctrl+d",
            "delete",
            "Delete",
            tooltip="Delete the conversation (asks first)",
            id="conversations-delete",
            priority=True,
        ),
        Binding(
            "ctrl+s",
            "export",
            "Export",
            tooltip="Export the conversation to a Markdown file",
            id="conversations-export",
            priority=True,
        ),
    ]

    def __init__(self, history: HistoryAdapter, *, current_id: str | None = None) -> None:
        super().__init__()
        self.history = history
        self.current_id = current_id
        self.summaries: list[ConversationSummary] = []
        self.hits: list[SearchHit] = []
        self.query_text = ""
        self._more = False
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="conversations-dialog"):
            yield Static("Conversations", id="conversations-title", markup=False)
            yield Input(placeholder="type to search every conversation", id="conversations-search")
            yield OptionList(id="conversations-list")
            yield Static("", id="conversations-state", markup=False)
        yield ConsoleFooter()

    @property
    def search_input(self) -> Input:
        return self.query_one("#conversations-search", Input)

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#conversations-list", OptionList)

    @property
    def state_line(self) -> Static:
        return self.query_one("#conversations-state", Static)

    def on_mount(self) -> None:
        self.search_input.focus()
        self.reload()

    # -- loading --------------------------------------------------------------------------------------

    def reload(self) -> None:
        """List the conversations again (or search again) after a change."""
        if self.query_text.strip():
            self._search(self.query_text)
        else:
            self._load_page(0)

    @work(exclusive=True, group="conversations", exit_on_error=False)
    async def _load_page(self, offset: int) -> None:
        try:
            page = await self.history.list_conversations(PAGE, offset)
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            self._show_error(exc)
            return
        if self.query_text.strip():
            return  # a search started meanwhile
        self.summaries = (self.summaries[:offset] if offset else []) + page
        self._more = len(page) == PAGE
        self._show_summaries(keep=offset > 0)

    def _show_summaries(self, *, keep: bool = False) -> None:
        option_list = self.option_list
        highlighted = option_list.highlighted if keep else None
        layout = row_layout(self.summaries, option_list.content_region.width or 100)
        option_list.set_options(Option(summary_prompt(s, layout), id=s.id) for s in self.summaries)
        if self.summaries:
            option_list.highlighted = highlighted if highlighted is not None else 0
        count = len(self.summaries)
        more = "+" if self._more else ""
        self.state_line.update(
            f"{count}{more} conversation{'s' if count != 1 else ''}, newest first · enter opens"
            if count
            else "No conversations yet: what you send is saved here."
        )

    def on_resize(self) -> None:
        if self.summaries and not self.query_text.strip():
            self._show_summaries(keep=True)

    def _show_error(self, exc: BaseException) -> None:
        self.state_line.update(f"History unavailable: {exc}")

    @on(Input.Changed, "#conversations-search")
    def _query_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        if self._search_timer is not None:
            self._search_timer.stop()
        if not event.value.strip():
            self.hits = []
            self._search_timer = None
            self._load_page(0)
            return
        self._search_timer = self.set_timer(SEARCH_DELAY_S, partial(self._search, event.value))

    @work(exclusive=True, group="conversations", exit_on_error=False)
    async def _search(self, query: str) -> None:
        self._search_timer = None
        try:
            hits = await self.history.search(query, SEARCH_LIMIT)
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            self._show_error(exc)
            return
        if query != self.query_text:
            return
        self.hits = hits
        option_list = self.option_list
        option_list.set_options(
            Option(hit_prompt(hit), id=f"{hit.conversation_id}:{hit.message_id or ''}") for hit in hits
        )
        if hits:
            option_list.highlighted = 0
        count = len(hits)
        self.state_line.update(
            f"{count} match{'es' if count != 1 else ''} · enter opens at the match" if count else "No match."
        )

    @on(OptionList.OptionHighlighted, "#conversations-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if (
            self._more
            and not self.query_text.strip()
            and event.option_index >= len(self.summaries) - 1
            and not any(w.is_running for w in self.workers)
        ):
            self._more = False
            self._load_page(len(self.summaries))

    # -- the selection ----------------------------------------------------------------------------------

    @property
    def selected(self) -> OpenRequest | None:
        """The highlighted conversation (and message, for a search hit)."""
        option_list = self.option_list
        index = option_list.highlighted
        if index is None:
            return None
        if self.query_text.strip():
            if index >= len(self.hits):
                return None
            hit = self.hits[index]
            return OpenRequest(hit.conversation_id, hit.message_id)
        if index >= len(self.summaries):
            return None
        return OpenRequest(self.summaries[index].id)

    def _title_of(self, conv_id: str) -> str:
        for summary in self.summaries:
            if summary.id == conv_id:
                return summary.title
        for hit in self.hits:
            if hit.conversation_id == conv_id:
                return hit.title
        return ""

    def on_key(self, event: events.Key) -> None:
        if event.key in ("up", "down") and self.search_input.has_focus:
            event.stop()
            event.prevent_default()
            option_list = self.option_list
            if event.key == "up":
                option_list.action_cursor_up()
            else:
                option_list.action_cursor_down()

    @on(Input.Submitted, "#conversations-search")
    def _submitted(self) -> None:
        self.action_open()

    @on(OptionList.OptionSelected, "#conversations-list")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        selected = self.selected
        if selected is not None:
            self.dismiss(selected)

    def action_close(self) -> None:
        self.dismiss(None)

    # -- rename, delete, export -------------------------------------------------------------------------

    def action_rename(self) -> None:
        selected = self.selected
        if selected is None:
            return
        conv_id = selected.conv_id

        def renamed(title: str | None) -> None:
            if title is not None and title.strip():
                self._rename(conv_id, title)

        self.app.push_screen(TextPromptModal("Rename the conversation", self._title_of(conv_id)), renamed)

    @work(group="conversation-edit", exit_on_error=False)
    async def _rename(self, conv_id: str, title: str) -> None:
        try:
            await self.history.rename(conv_id, title)
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            self.notify(f"Rename failed: {exc}", severity="error")
            return
        self.notify("Renamed.")
        self.reload()

    def action_delete(self) -> None:
        selected = self.selected
        if selected is None:
            return
        conv_id = selected.conv_id
        title = self._title_of(conv_id) or "(untitled)"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(conv_id)

        question = f"Delete the conversation {conv_id[:8]} “{title}” and all its messages? This cannot be undone."
        self.app.push_screen(ConfirmModal(question, confirm="Delete"), confirmed)

    @work(group="conversation-edit", exit_on_error=False)
    async def _delete(self, conv_id: str) -> None:
        try:
            await self.history.delete(conv_id)
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            self.notify(f"Delete failed: {exc}", severity="error")
            return
        self.summaries = [s for s in self.summaries if s.id != conv_id]
        self.hits = [h for h in self.hits if h.conversation_id != conv_id]
        self.notify(f"Deleted conversation {conv_id[:8]}.")
        if conv_id == self.current_id:
            main = _main_screen(self)
            if main is not None:
                main.action_new_conversation()
        self.reload()

    def action_export(self) -> None:
        selected = self.selected
        if selected is None:
            return
        ask_and_export(self, self.history, selected.conv_id)


def ask_and_export(node: DOMNode, history: HistoryAdapter, conv_id: str) -> None:
    """Ask for a path (a default in the home folder), then write conversation ``conv_id`` there as Markdown
    (0600; asks before overwriting). Used by ctrl+s in the list and by the command palette."""
    default = f"~/llmconsole-{conv_id[:8]}.md"

    async def export(path_text: str, overwrite: bool) -> None:
        import asyncio

        path = Path(path_text).expanduser()
        try:
            text = await history.export_markdown(conv_id)
            written = await asyncio.to_thread(write_export, path, text, overwrite=overwrite)
        except FileExistsError:

            def confirmed(yes: bool | None) -> None:
                if yes:
                    node.run_worker(export(path_text, True), group="conversation-edit", exit_on_error=False)

            node.app.push_screen(ConfirmModal(f"{path} exists. Overwrite it?", confirm="Overwrite"), confirmed)
            return
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            node.app.notify(f"Export failed: {exc}", severity="error")
            return
        node.app.notify(f"Exported to {written}.")

    def chosen(path: str | None) -> None:
        if path and path.strip():
            node.run_worker(export(path.strip(), False), group="conversation-edit", exit_on_error=False)

    node.app.push_screen(TextPromptModal("Export to a Markdown file", default), chosen)


def write_export(path: Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` (0600 when created); FileExistsError unless ``overwrite``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _main_screen(screen: ModalScreen[OpenRequest | None]) -> MainScreen | None:
    from llmconsole.ui.screens.main import MainScreen

    for candidate in reversed(screen.app.screen_stack):
        if isinstance(candidate, MainScreen):
            return candidate
    return None


# ----------------------------------------------------------------------------------------------------
# Small modals


class TextPromptModal(ModalScreen[str | None]):
    """One line of text (a title, a path). Enter accepts, Escape cancels."""

    DEFAULT_CSS = """
    TextPromptModal {
        align: center middle;
        background: $background 60%;
    }
    TextPromptModal > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    TextPromptModal .modal-title {
        text-style: bold;
        color: $accent;
        margin: 0 0 1 0;
    }
    TextPromptModal .modal-hint {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing anything", id="text-prompt-cancel"),
    ]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="modal-title", markup=False)
            yield Input(self.value, id="text-prompt-input")
            yield Static("enter accepts · esc cancels", classes="modal-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question. ``y`` or the confirm button says yes; ``n``, Escape or Cancel says no."""

    # Its own frame and centring: it used to borrow TextPromptModal's rules, which are only loaded once a
    # TextPromptModal has been shown, so a first delete confirmation sat unframed in the top-left corner.
    DEFAULT_CSS = """
    ConfirmModal {
        align: center middle;
        background: $background 60%;
    }
    ConfirmModal > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        border: thick $error;
        background: $surface;
        padding: 0 1;
    }
    ConfirmModal .modal-title {
        text-style: bold;
        color: $accent;
        margin: 0 0 1 0;
    }
    ConfirmModal Horizontal {
        height: auto;
        margin: 1 0 0 0;
    }
    ConfirmModal Button {
        margin: 0 2 0 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", tooltip="Keep it", id="confirm-no"),
        Binding("y", "answer(True)", "Yes", tooltip="Confirm", id="confirm-yes"),
    ]

    def __init__(self, question: str, *, confirm: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, classes="modal-title", markup=False)
            with Horizontal():
                yield Button(f"{self.confirm} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# ----------------------------------------------------------------------------------------------------
# Command palette


class ConversationCommands(Provider):
    """``conversation: <title>`` opens one of the recent conversations."""

    LIMIT = 50

    async def startup(self) -> None:
        self._summaries: list[ConversationSummary] = []
        history = getattr(self.app, "history", None)
        if not isinstance(history, HistoryAdapter) or not history.enabled:
            return
        try:
            self._summaries = await history.list_conversations(self.LIMIT)
        except Exception:  # noqa: BLE001 - the palette simply lists none
            self._summaries = []

    def _open(self, conv_id: str) -> Callable[[], None]:
        def open_it() -> None:
            opener = getattr(self.app, "open_conversation_soon", None)
            if opener is not None:
                opener(conv_id)

        return open_it

    @staticmethod
    def _title(summary: ConversationSummary) -> str:
        return f"conversation: {summary.title or '(untitled)'}"

    @staticmethod
    def _help(summary: ConversationSummary) -> str:
        return f"{summary.short_id} · {format_time(summary.updated_at)} · {summary.model or '—'}"

    async def discover(self) -> Hits:
        for summary in self._summaries[:20]:
            title = self._title(summary)
            yield DiscoveryHit(Content(title), self._open(summary.id), text=title, help=self._help(summary))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for summary in self._summaries:
            title = self._title(summary)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._open(summary.id), text=title, help=self._help(summary))

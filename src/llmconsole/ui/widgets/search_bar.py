"""The search bar above the prompt (ctrl+f): find text in the open conversation, as ``/`` does in less.

Typing searches as you go and shows the first hit; ``down`` goes to the next, ``up`` to the previous. Enter
leaves the text field, and then ``n`` and ``N`` (or Enter, down, up) step through the hits as in less and ``/``
edits the query again. Escape closes the bar and returns to the prompt. Mounted on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Static

from llmconsole.ui.search import Hit, find_hits, snippet, step

if TYPE_CHECKING:
    from textual import events
    from textual.screen import Screen
    from textual.widget import Widget

    from llmconsole.ui.widgets.conversation import ConversationPane


class SearchBar(Horizontal, can_focus=True):
    """The query, where the current hit is (``3/12``) and its line."""

    DEFAULT_CSS = """
    SearchBar { height: 1; background: $panel; }
    SearchBar:focus { background: $primary 20%; }
    SearchBar > #search-input { width: 30; max-width: 40%; border: none; height: 1; padding: 0 1; }
    SearchBar > #search-status { width: 1fr; height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
        text-overflow: ellipsis; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n,enter,down", "step(1)", "Next hit", tooltip="The next hit (after the last, the first)", id="search-next"
        ),
        Binding("N,up", "step(-1)", "Previous hit", tooltip="The previous hit", id="search-previous"),
        Binding("slash", "edit", "Edit query", tooltip="Change what is searched for", id="search-edit"),
        Binding("escape", "close", "Close search", tooltip="Close the search, back to the prompt", id="search-close"),
    ]

    def __init__(self, pane: ConversationPane, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.pane = pane
        self.hits: list[Hit] = []
        self.index: int | None = None
        self._texts: dict[str, str] = {}
        self._marked: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search this conversation", id="search-input", compact=True)
        yield Static("", id="search-status", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    @property
    def status(self) -> Static:
        return self.query_one("#search-status", Static)

    @property
    def current(self) -> Hit | None:
        return self.hits[self.index] if self.index is not None else None

    def open(self) -> None:
        """Show the bar with the query selected for typing over."""
        self.display = True
        self.input.focus()
        self.input.select_all()
        self.search(self.input.value)

    def search(self, query: str) -> None:
        """Find ``query`` in the conversation as it is now; go to the first hit."""
        messages = self.pane.shown_messages
        self._texts = {m.id: m.text for m in messages}
        self.hits = find_hits([(m.id, m.text) for m in messages], query)
        self.index = None
        self._go(1 if self.hits else 0)

    def _go(self, direction: int) -> None:
        self.index = step(self.index, len(self.hits), direction)
        self._show()
        hit = self.current
        if hit is not None:
            self.run_worker(self._reveal(hit), group="search", exclusive=True, exit_on_error=False)
        else:
            self._mark(None)

    async def _reveal(self, hit: Hit) -> None:
        self._mark(await self.pane.reveal(hit.message_id, hit.fraction))

    def _mark(self, widget: Widget | None) -> None:
        if self._marked is not None and self._marked is not widget:
            self._marked.remove_class("-search-hit")
        self._marked = widget
        if widget is not None:
            widget.add_class("-search-hit")

    def _show(self) -> None:
        query = self.input.value
        hit = self.current
        if not query.strip():
            self.status.update(Content.styled("type to search · esc closes", "$text-muted"))
        elif hit is None:
            self.status.update(Content.styled(f"not found: {query!r} · esc closes", "$warning"))
        else:
            before, found, after = snippet(self._texts.get(hit.message_id, ""), hit)
            keys = "n/N" if not self.input.has_focus else "enter/↑"
            self.status.update(
                Content.assemble(
                    (f"{(self.index or 0) + 1}/{len(self.hits)}", "bold"),
                    f" · {keys} · ",
                    (before, "$text-muted"),
                    (found, "reverse $accent"),
                    (after, "$text-muted"),
                )
            )

    @on(Input.Changed, "#search-input")
    def _query_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @on(Input.Submitted, "#search-input")
    def _query_submitted(self, event: Input.Submitted) -> None:
        """Enter: stay on the hit shown, and the keys of less from now on (n, N, /)."""
        event.stop()
        if self.hits:
            self.focus()
        self._show()

    def on_key(self, event: events.Key) -> None:
        if self.input.has_focus and event.key in ("up", "down", "escape"):
            event.stop()
            event.prevent_default()
            if event.key == "escape":
                self.action_close()
            else:
                self._go(1 if event.key == "down" else -1)

    def action_step(self, direction: int) -> None:
        self._go(direction)

    def action_edit(self) -> None:
        self.input.focus()
        self._show()

    def action_close(self) -> None:
        self._mark(None)
        self.display = False
        focus_prompt = getattr(self.screen, "focus_prompt", None)
        if callable(focus_prompt):
            focus_prompt()


def open_search(screen: Screen[Any], pane: ConversationPane) -> SearchBar:
    """Open the screen's search bar (mounted above the attachments and the prompt the first time)."""
    bar = next(iter(screen.query(SearchBar).results(SearchBar)), None)
    if bar is None:
        bar = SearchBar(pane, id="search-bar")
        screen.query_one("#chat").mount(bar, before="#attachments")
        bar.call_after_refresh(bar.open)
    else:
        bar.open()
    return bar

"""A tool call and its result in the conversation: two blocks of their own, folded to a few lines.

:class:`ToolCallBlock` shows the tool (``server · name``) and its arguments as indented JSON;
:class:`ToolResultBlock` how the call went and the text sent back to the model. Both are plain text (a
result's ``[text](url)`` is never a link), folded to :data:`FOLD_LINES` lines with a line saying how many
more there are; a click, or space on the selected block (ctrl+up selects), expands or folds it. An MCP
``isError`` result is drawn as an error; a capped result ends with the cut the core wrote into it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import ToolExchange

FOLD_LINES = 3
"""Lines of a folded block's text (a text of up to ``FOLD_LINES + 2`` lines is shown whole)."""
MAX_SHOWN_CHARS = 64_000
"""An expanded block shows at most this much of its text (arguments are not capped by the core)."""
FOLDED_LINE_CHARS = 400
"""A folded block's line is cut here (one huge JSON line must not fill the screen while folded)."""


def fold(text: str, *, expanded: bool) -> tuple[str, int]:
    """The text a block shows and how many lines it leaves out (folded: the first :data:`FOLD_LINES` lines,
    each cut at :data:`FOLDED_LINE_CHARS`; expanded: at most :data:`MAX_SHOWN_CHARS` characters)."""
    if expanded:
        if len(text) <= MAX_SHOWN_CHARS:
            return text, 0
        shown = text[:MAX_SHOWN_CHARS]
        return shown, text.count("\n") - shown.count("\n")
    lines = text.splitlines()
    keep = len(lines) if len(lines) <= FOLD_LINES + 2 else FOLD_LINES
    head = [line if len(line) <= FOLDED_LINE_CHARS else line[:FOLDED_LINE_CHARS] + "…" for line in lines[:keep]]
    return "\n".join(head), len(lines) - keep


class FoldedBlock(Static):
    """Plain text under a title, folded to a few lines; :meth:`toggle` (or a click) expands or folds it."""

    SCOPED_CSS = False  # rules for the subclasses and for the narrow screen are here too
    DEFAULT_CSS = """
    FoldedBlock {
        margin: 1 0 0 2;
        padding: 0 1;
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        color: $text-muted;
    }
    ToolResultBlock { margin: 0 0 0 2; }
    FoldedBlock.-folded-line { text-wrap: nowrap; text-overflow: ellipsis; }
    FoldedBlock.-error { border: round $error; border-title-color: $error; color: $text; }
    FoldedBlock.-declined { border: round $warning; border-title-color: $warning; }
    FoldedBlock.-waiting { border: round $accent; border-title-color: $accent; }
    FoldedBlock.-selected { border: round $accent; background: $accent 20%; }
    Screen.-narrow FoldedBlock { margin: 1 0 0 0; }
    Screen.-narrow ToolResultBlock { margin: 0; }
    """

    def __init__(self, exchange: ToolExchange, *, expanded: bool = False, live: bool = True) -> None:
        """``live``: a call of the turn running now (else a stored one: still pending means never answered)."""
        super().__init__("", markup=False, classes="tool-block")
        self.exchange = exchange
        self.expanded = expanded
        self.live = live
        self.body = ""
        self.line: str | None = None
        self.show(exchange)

    def text_of(self, exchange: ToolExchange) -> str:
        """The block's whole text."""
        raise NotImplementedError

    def folded_line(self, exchange: ToolExchange) -> str | None:
        """A one-line form shown while folded (cut with "…" at the block's width), or None: the first lines."""
        return None

    def show(self, exchange: ToolExchange) -> None:
        """Draw ``exchange`` as it stands now (a result that arrived, a call that was declined)."""
        self.exchange = exchange
        self.body = self.text_of(exchange)
        self.line = self.folded_line(exchange)
        self._draw()

    def _draw(self) -> None:
        one_line = self.line is not None and not self.expanded and self.line != self.body
        self.set_class(one_line, "-folded-line")
        if one_line:
            assert self.line is not None
            self.update(Content(self.line))
            return
        shown, left_out = fold(self.body, expanded=self.expanded)
        parts: list[Content | tuple[str, str] | str] = [Content(shown)]
        if left_out:
            what = "line" if left_out == 1 else "lines"
            hint = "click or space folds" if self.expanded else "click or space expands"
            parts += ["\n", (f"… {left_out:,} more {what} · {hint}", "$text-muted italic")]
        elif self.expanded and self.foldable:
            parts += ["\n", ("click or space folds", "$text-muted italic")]
        self.update(Content.assemble(*parts))

    @property
    def foldable(self) -> bool:
        """Whether there is more than the folded view shows."""
        if self.line is not None:
            return self.line != self.body
        shown, left_out = fold(self.body, expanded=False)
        return bool(left_out) or shown != self.body

    def toggle(self) -> None:
        """Expand a folded block, fold an expanded one (a short one stays as it is)."""
        if not self.foldable:
            return
        self.expanded = not self.expanded
        self._draw()

    def on_click(self) -> None:
        self.toggle()


class ToolCallBlock(FoldedBlock):
    """The call: ``tool call · server · name`` over the arguments, on one line while folded, as indented JSON
    when expanded."""

    def text_of(self, exchange: ToolExchange) -> str:
        self.border_title = f"tool call · {exchange.label}"
        return exchange.pretty_arguments()

    def folded_line(self, exchange: ToolExchange) -> str | None:
        from llmconsole.core.tools.values import ToolCall

        return ToolCall(exchange.call_id, exchange.name, exchange.arguments).short_arguments(FOLDED_LINE_CHARS)


OUTCOME_TITLES: dict[str, str] = {
    "ran": "result",
    "error": "error",
    "declined": "declined by you",
    "cancelled": "cancelled",
    "not answered": "waiting…",
}
"""How the result block's title says how the call went (:attr:`ToolExchange.outcome`)."""


class ToolResultBlock(FoldedBlock):
    """What went back to the model: the tool's text (an error in red), or that it was declined or cancelled."""

    def text_of(self, exchange: ToolExchange) -> str:
        outcome = exchange.outcome
        took = f" · {exchange.duration_s:.1f} s" if exchange.duration_s is not None else ""
        title = OUTCOME_TITLES.get(outcome, outcome) if self.live or outcome != "not answered" else outcome
        self.border_title = f"{title}{took}"
        self.border_subtitle = "cut at the cap" if exchange.truncated else ""
        self.set_class(outcome == "error", "-error")
        never = outcome == "not answered" and not self.live
        self.set_class(outcome in ("declined", "cancelled") or never, "-declined")
        self.set_class(outcome == "not answered" and self.live, "-waiting")
        if exchange.status == "pending":
            return "waiting for your approval" if self.live else "never answered (the console closed before it ran)"
        if exchange.status == "cancelled" and not exchange.output:
            return "the turn was cancelled before this call was answered"
        return exchange.output or "(the tool returned no text)"

    def set_running(self) -> None:
        """The call was approved and runs now (escape ends it)."""
        self.border_title = "running…"
        self.body = "the tool is running (escape cancels the turn)"
        self._draw()

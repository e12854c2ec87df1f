"""The multi-line prompt (Enter sends, ctrl+j or shift+enter inserts a newline, up/down recall prompts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from llmconsole.core.config import DEFAULT_PASTE_CHIP_LINES
from llmconsole.ui.widgets.attachment_bar import AttachmentBar as AttachmentBar  # (it lived here)
from llmconsole.ui.widgets.prompt_preview import PLACEHOLDER, Typed

if TYPE_CHECKING:
    pass


class PromptInput(TextArea):
    """A :class:`TextArea` that sends on Enter and remembers what was sent.

    | Key | Action |
    | :- | :- |
    | enter | Send the prompt. |
    | ctrl+j, shift+enter | Insert a newline. |
    | up (first line) | Recall the previous prompt. |
    | down (last line) | Recall the next prompt (or the draft). |
    | pageup, pagedown, ctrl+home, ctrl+end | Scroll the conversation. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+j,shift+enter", "newline", "Newline", tooltip="Newline in the prompt", show=False, id="prompt-newline"
        ),
        Binding(
            "pageup",
            "scroll_conversation('page_up')",
            "Page up",
            tooltip="Scroll the conversation up a page (the prompt keeps focus)",
            show=False,
            id="scroll-page-up",
        ),
        Binding(
            "pagedown",
            "scroll_conversation('page_down')",
            "Page down",
            tooltip="Scroll the conversation down a page",
            show=False,
            id="scroll-page-down",
        ),
        Binding(
            "ctrl+home",
            "scroll_conversation('home')",
            "Top",
            tooltip="Scroll to the start of the conversation",
            show=False,
            id="scroll-top",
        ),
        Binding(
            "ctrl+end",
            "scroll_conversation('end')",
            "Bottom",
            tooltip="Scroll to the end of the conversation",
            show=False,
            id="scroll-bottom",
        ),
    ]

    @dataclass
    class LongPaste(Message):
        """A paste of more than :attr:`PromptInput.paste_chip_lines` lines: it becomes a chip, not prompt text."""

        prompt: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class ScrollRequested(Message):
        """PageUp/PageDown/ctrl+home/ctrl+end in the prompt: the conversation scrolls (the prompt keeps focus)."""

        prompt: PromptInput
        where: str
        """``page_up``, ``page_down``, ``home`` or ``end``."""

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class Submitted(Message):
        """The user pressed Enter on a non-empty prompt."""

        prompt: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            compact=True,
            placeholder=PLACEHOLDER,
        )
        self.paste_chip_lines = DEFAULT_PASTE_CHIP_LINES
        """Pastes longer than this many lines become an attachment chip (config: ``paste_chip_lines``)."""
        self.sent: list[str] = []
        """Prompts sent, oldest first (recalled with up/down)."""
        self._recall_index: int | None = None
        self._draft = ""
        self.earlier_pending = False
        """The prompts of earlier runs are on their way (the history opens after the first frame): up/down at
        the prompt's edge wait for them (:meth:`load_earlier` replays them), so none recalls too little."""
        self._waiting_recalls: list[int] = []

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if not event.is_printable and await self.app._check_bindings(event.key):
            # Textual runs non-priority bindings only once the key has bubbled up to the app, after this
            # widget has already inserted the printable keys that followed it in the same read ("aaa",
            # ctrl+j, "bbb" became "aaabbb\n"). Running the binding here keeps a burst of keys in order.
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        lines = event.text.count("\n") + 1
        if self.paste_chip_lines > 0 and lines > self.paste_chip_lines and not self.read_only:
            event.stop()
            event.prevent_default()
            self.post_message(self.LongPaste(self, event.text))
            return
        await super()._on_paste(event)

    def replay(self, typed: Sequence[Typed]) -> None:
        """Type what the first frame's drawing of the prompt received, in order (see ``prompt_preview``)."""
        for kind, text in typed:
            if kind == "enter":
                self.action_submit()
            elif kind == "up":
                self.action_cursor_up()
            elif kind == "down":
                self.action_cursor_down()
            elif kind == "paste" and 0 < self.paste_chip_lines < text.count("\n") + 1:
                self.post_message(self.LongPaste(self, text))
            else:
                self.insert(text)

    def action_scroll_conversation(self, where: str) -> None:
        """Ask the screen to scroll the conversation (see :class:`ScrollRequested`)."""
        self.post_message(self.ScrollRequested(self, where))

    def action_submit(self) -> None:
        """Send the text (ignored when blank)."""
        text = self.text
        if not text.strip():
            return
        self.remember(text)
        self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        """Insert a newline at the cursor."""
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def load_earlier(self, prompts: list[str]) -> None:
        """Prompts of earlier runs (oldest first) go before this run's in the recall list; the recalls pressed
        while they were on their way happen now, in order."""
        ours = list(self.sent)
        earlier = [p for p in prompts if p not in ours]
        self.sent = [*earlier, *ours]
        self.earlier_pending = False
        waiting, self._waiting_recalls = self._waiting_recalls, []
        for step in waiting:
            self._recall(step)

    def remember(self, text: str) -> None:
        """Add ``text`` to the recall list (no immediate duplicates)."""
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._recall_index = None
        self._draft = ""

    def set_prompt(self, text: str) -> None:
        """Replace the text and put the cursor at its end."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == 0 and (self.sent or self.earlier_pending):
            self._recall(-1)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        last_row = self.document.line_count - 1
        recalling = self._recall_index is not None or bool(self._waiting_recalls)
        if not select and self.cursor_location[0] == last_row and recalling:
            self._recall(+1)
            return
        super().action_cursor_down(select)

    def _recall(self, step: int) -> None:
        if self.earlier_pending:
            self._waiting_recalls.append(step)
            return
        if self._recall_index is None:
            if step > 0:
                return
            self._draft = self.text
            index = len(self.sent) - 1
        else:
            index = self._recall_index + step
        if index < 0:
            return
        if index >= len(self.sent):
            self._recall_index = None
            self.set_prompt(self._draft)
            return
        self._recall_index = index
        self.set_prompt(self.sent[index])

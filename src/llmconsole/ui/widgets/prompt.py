"""The multi-line prompt (Enter sends, ctrl+j or shift+enter inserts a newline, up/down recall prompts) and
the line of image attachments above it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TextArea

from llmconsole.core.config import DEFAULT_PASTE_CHIP_LINES
from llmconsole.ui.widgets.formatting import human_bytes

if TYPE_CHECKING:
    from pathlib import Path

    from llmconsole.core.attachments import TextAttachment
    from llmconsole.core.images import Attachment


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
            placeholder="Ask something…  (enter sends · ctrl+j newline · ctrl+o chats · f1 keys)",
        )
        self.paste_chip_lines = DEFAULT_PASTE_CHIP_LINES
        """Pastes longer than this many lines become an attachment chip (config: ``paste_chip_lines``)."""
        self.sent: list[str] = []
        """Prompts sent, oldest first (recalled with up/down)."""
        self._recall_index: int | None = None
        self._draft = ""

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
        """Prompts of earlier runs (oldest first) go before this run's in the recall list."""
        ours = list(self.sent)
        earlier = [p for p in prompts if p not in ours]
        self.sent = [*earlier, *ours]

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
        if not select and self.cursor_location[0] == 0 and self.sent:
            self._recall(-1)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        last_row = self.document.line_count - 1
        if not select and self.cursor_location[0] == last_row and self._recall_index is not None:
            self._recall(+1)
            return
        super().action_cursor_down(select)

    def _recall(self, step: int) -> None:
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


class AttachmentBar(Static):
    """What goes with the next prompt: picked images (f4), ``@path`` references typed in the prompt (images,
    PDFs, text files) and long pastes (``[pasted 120 lines]``). Click it, or f9, to open or remove one.

    Hidden when there is nothing. Picked images and pastes are sent with the next prompt and then forgotten.
    """

    @dataclass
    class Clicked(Message):
        """The bar was clicked (the screen opens the attachments list)."""

        bar: AttachmentBar

        @property
        def control(self) -> AttachmentBar:
            return self.bar

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__("", id=id, markup=False)
        self.attachments: list[Attachment] = []
        """Images picked with the file picker."""
        self.refs: list[Path] = []
        """``@path`` references to existing files in the prompt's text."""
        self.pastes: list[TextAttachment] = []
        """Long pastes, sent as fenced blocks after the prompt."""
        self._text_cache: dict[tuple[Path, int, int], str] = {}
        self.display = False

    def add(self, attachment: Attachment) -> None:
        if all(a.path != attachment.path for a in self.attachments):
            self.attachments.append(attachment)
        self._refresh_line()

    def add_paste(self, paste: TextAttachment) -> None:
        self.pastes.append(paste)
        self._refresh_line()

    def remove_paste(self, index: int) -> None:
        if 0 <= index < len(self.pastes):
            del self.pastes[index]
            self._refresh_line()

    def remove_picked(self, index: int) -> None:
        if 0 <= index < len(self.attachments):
            del self.attachments[index]
            self._refresh_line()

    def clear(self) -> None:
        self.attachments.clear()
        self.refs.clear()
        self.pastes.clear()
        self._refresh_line()

    def set_refs(self, refs: list[Path]) -> None:
        if refs != self.refs:
            self.refs = list(refs)
            self._refresh_line()

    def take(self) -> list[Attachment]:
        """The picked images (forgotten here)."""
        picked, self.attachments = self.attachments, []
        self._refresh_line()
        return picked

    @property
    def plain(self) -> str:
        return self.build().plain

    def build(self) -> Content:
        from llmconsole.core.attachments import kind_of

        chips: list[str | tuple[str, str]] = []
        for attachment in self.attachments:
            chips += [(f" ▣ {attachment.path.name} {human_bytes(attachment.size)} ", "reverse $success"), " "]
        for ref in self.refs:
            kind = kind_of(ref)
            label = {"image": "▣", "pdf": "PDF", "text": "≡", "binary": "✗ binary"}[kind]
            try:
                size = f" {human_bytes(ref.stat().st_size)}"
            except OSError:
                size = ""
            style = "reverse $error" if kind == "binary" else "reverse $accent"
            chips += [(f" {label} @{ref.name}{size} ", style), " "]
        for paste in self.pastes:
            chips += [(f" [pasted {paste.lines} lines] ", "reverse $secondary"), " "]
        if not chips:
            return Content("")
        return Content.assemble(*chips, ("sent with the next prompt · f9 opens", "$text-muted"))

    def gauge_inputs(self) -> tuple[str, int]:
        """What the attachments add to the next request, for the context gauge: the fenced blocks of text
        files and pastes (text files read once per change of size or time) and the number of files."""
        from llmconsole.core.attachments import kind_of, load_text
        from llmconsole.core.images import ImageError

        blocks = [paste.block() for paste in self.pastes]
        files = len(self.attachments)
        for ref in self.refs:
            if kind_of(ref) != "text":
                files += 1
                continue
            try:
                stat = ref.stat()
                key = (ref, stat.st_size, stat.st_mtime_ns)
                if key not in self._text_cache:
                    self._text_cache = {key: load_text(ref).block()} | {
                        k: v for k, v in self._text_cache.items() if k[0] != ref
                    }
                blocks.append(self._text_cache[key])
            except (OSError, ImageError):
                continue  # sending will say why, in one line
        return "\n\n".join(blocks), files

    def on_click(self) -> None:
        self.post_message(self.Clicked(self))

    def _refresh_line(self) -> None:
        self.display = bool(self.attachments or self.refs or self.pastes)
        self.update(self.build())

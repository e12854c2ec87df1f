"""The line of attachments above the prompt: picked images, ``@path`` references and long pastes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from llmconsole.ui.widgets.formatting import human_bytes

if TYPE_CHECKING:
    from pathlib import Path

    from llmconsole.core.attachments import TextAttachment
    from llmconsole.core.images import Attachment


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
        from llmconsole.core.images import AttachmentError

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
            except (OSError, AttachmentError):
                continue  # sending will say why, in one line
        return "\n\n".join(blocks), files

    def on_click(self) -> None:
        self.post_message(self.Clicked(self))

    def _refresh_line(self) -> None:
        self.display = bool(self.attachments or self.refs or self.pastes)
        self.update(self.build())

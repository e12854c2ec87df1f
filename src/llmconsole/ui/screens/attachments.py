"""The attachments of the next prompt (f9 or a click on the chips): open one to read it, remove one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from llmconsole.ui.widgets.formatting import human_bytes

if TYPE_CHECKING:
    from llmconsole.ui.widgets.prompt import AttachmentBar, PromptInput


class TextViewModal(ModalScreen[None]):
    """A pasted text or a text file, read-only. Escape closes."""

    DEFAULT_CSS = """
    TextViewModal {
        align: center middle;
        background: $background 60%;
    }
    TextViewModal > Vertical {
        width: 90%;
        height: 85%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    TextViewModal .modal-title {
        text-style: bold;
        color: $accent;
        height: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close the text", id="text-view-close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="modal-title", markup=False)
            yield TextArea(self.text, read_only=True, soft_wrap=True, id="text-view")

    def action_close(self) -> None:
        self.dismiss(None)


class AttachmentsModal(ModalScreen[None]):
    """Every attachment of the next prompt. Enter opens a text; delete removes a paste or a picked image
    (an ``@path`` goes away when its reference is deleted from the prompt)."""

    DEFAULT_CSS = """
    AttachmentsModal {
        align: center middle;
        background: $background 60%;
    }
    AttachmentsModal > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        max-height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    AttachmentsModal .modal-title {
        text-style: bold;
        color: $accent;
        height: 1;
    }
    AttachmentsModal OptionList {
        height: auto;
        max-height: 20;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    AttachmentsModal .modal-hint {
        color: $text-muted;
        height: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close the attachments", id="attachments-close"),
        Binding(
            "delete,ctrl+d", "remove", "Remove", tooltip="Remove the highlighted attachment", id="attachment-remove"
        ),
    ]

    def __init__(self, bar: AttachmentBar, prompt: PromptInput) -> None:
        super().__init__()
        self.bar = bar
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Attachments of the next prompt", classes="modal-title", markup=False)
            yield OptionList(id="attachments-list")
            yield Static("enter opens · delete removes · esc closes", classes="modal-hint", markup=False)

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        options: list[Option] = []
        for index, paste in enumerate(self.bar.pastes):
            label = f"[pasted {paste.lines} lines]  {human_bytes(paste.size)}"
            options.append(Option(Content(label), id=f"paste:{index}"))
        for index, picked in enumerate(self.bar.attachments):
            options.append(Option(Content(f"▣ {picked.path}  {human_bytes(picked.size)}"), id=f"picked:{index}"))
        for index, ref in enumerate(self.bar.refs):
            options.append(Option(Content(f"@{ref}  (in the prompt's text)"), id=f"ref:{index}"))
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        if options:
            option_list.highlighted = 0
        else:
            self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        kind, _, number = (event.option.id or "").partition(":")
        index = int(number or 0)
        if kind == "paste":
            paste = self.bar.pastes[index]
            self.app.push_screen(TextViewModal(f"pasted text · {paste.lines} lines", paste.text))
        elif kind == "ref":
            from llmconsole.core.attachments import kind_of, load_text
            from llmconsole.core.images import AttachmentError

            ref = self.bar.refs[index]
            if kind_of(ref) != "text":
                self.notify(f"{ref.name} is sent as a file; only text can be shown here.")
                return
            try:
                text = load_text(ref)
            except AttachmentError as exc:
                self.notify(exc.message, severity="error")
                return
            self.app.push_screen(TextViewModal(f"{ref} · {text.lines} lines", text.text))
        else:
            self.notify(f"{self.bar.attachments[index].path.name} is an image; it is sent as it is.")

    def action_remove(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            return
        kind, _, number = option.id.partition(":")
        index = int(number or 0)
        if kind == "paste":
            self.bar.remove_paste(index)
        elif kind == "picked":
            self.bar.remove_picked(index)
        else:
            self.notify("Delete the @reference from the prompt to leave that file out.")
            return
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)

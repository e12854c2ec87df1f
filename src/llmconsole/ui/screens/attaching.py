"""The main screen's attachments: what goes with the next prompt, and the dialogs that pick or show them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.widgets.prompt import PromptInput


class AttachmentActions:
    """The next prompt's attachments: @path references, picked images, long pastes."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def prompt_changed(self, event: PromptInput.Changed) -> None:
        if event.text_area.id != "prompt":
            return
        text = event.text_area.text
        if "@" in text or self.screen.attachments.refs:
            from llmconsole.core.images import extract_image_refs

            self.screen.attachments.set_refs(extract_image_refs(text)[1] if "@" in text else [])
        self.screen._update_context()

    @staticmethod
    def reads_files(text: str) -> bool:
        """Whether sending ``text`` reads files (``@path`` references): then :meth:`read_files` does, off the
        event loop (a PDF of 32 MB takes a while to read and encode)."""
        return "@" in text

    def files_for(self, text: str) -> tuple[str, list[str]] | None:
        """The text to send (with a fenced block per text file and long paste) and the data URLs of its images
        and PDFs (``@path`` references and picked images); None, with a one-line message, when a file cannot
        go (no image input, binary, too large). On the event loop: for a ``text`` that reads no file."""
        from llmconsole.core.images import AttachmentError

        try:
            return self._attach(text)()
        except AttachmentError as exc:
            self.screen.notify(exc.message, title="Not attached", severity="error")
            return None

    async def read_files(self, text: str) -> tuple[str, list[str]] | None:
        """:meth:`files_for`, with the files read and encoded on a worker thread."""
        import asyncio

        from llmconsole.core.images import AttachmentError

        try:
            return await asyncio.to_thread(self._attach(text))
        except AttachmentError as exc:
            self.screen.notify(exc.message, title="Not attached", severity="error")
            return None

    def _attach(self, text: str) -> Callable[[], tuple[str, list[str]]]:
        """What goes with ``text``, as a call that touches no widget (it may run on a thread): the state it
        needs (picked images, pastes, the model) is taken now, on the event loop."""
        picked = list(self.screen.attachments.attachments)
        pasted = list(self.screen.attachments.pastes)
        model = self.screen.model
        assert model is not None

        def attach() -> tuple[str, list[str]]:
            if "@" not in text and not picked and not pasted:
                return text, []
            from llmconsole.core.attachments import attach_files
            from llmconsole.core.images import attach_images

            attached = attach_files(
                text,
                images_supported=model.images,
                model_id=model.id,
                hint="pick a model with the images badge (ctrl+l)",
                pasted=pasted,
            )
            if picked and not model.images:
                attach_images("@" + str(picked[0].path), images_supported=False, model_id=model.id)
            return attached.text, [a.data_url for a in picked] + attached.urls

        return attach

    def long_paste(self, event: PromptInput.LongPaste) -> None:
        from llmconsole.core.attachments import paste_attachment

        paste = paste_attachment(event.text)
        self.screen.attachments.add_paste(paste)
        self.screen._update_context()
        self.screen.notify(f"Pasted {paste.lines} lines as an attachment: f9 opens or removes it.", timeout=4)

    def open(self) -> None:
        """f9: the next prompt's attachments (open a text, remove a paste or a picked image)."""
        from llmconsole.ui.screens.attachments import AttachmentsModal

        bar = self.screen.attachments
        if not (bar.attachments or bar.refs or bar.pastes):
            self.screen.notify("No attachments: @path in the prompt, f4 for an image, or paste a long text.")
            return

        def closed(_: None) -> None:
            self.screen.focus_prompt()
            self.screen._update_context()

        self.screen.app.push_screen(AttachmentsModal(bar, self.screen.prompt), closed)

    def pick_image(self) -> None:
        """Pick an image file to send with the next prompt."""
        from llmconsole.ui.screens.image_picker import ImagePickerModal

        if self.screen.model is not None and not self.screen.model.images:
            self.screen.notify(
                f"{self.screen.model.id} has no image input: pick a model with the img badge (ctrl+l).",
                title="Image not attached",
                severity="error",
            )
            return

        def picked(path: Path | None) -> None:
            self.screen.focus_prompt()
            self.attach_image(path)

        self.screen.app.push_screen(ImagePickerModal(), picked)

    def attach_image(self, path: Path | None) -> bool:
        """Check and add the image at ``path`` to the next prompt (a one-line message when it can't)."""
        if path is None:
            return False
        from llmconsole.core.images import AttachmentError, load_image

        try:
            attachment = load_image(path)
        except AttachmentError as exc:
            self.screen.notify(exc.message, title="Image not attached", severity="error")
            return False
        self.screen.attachments.add(attachment)
        return True

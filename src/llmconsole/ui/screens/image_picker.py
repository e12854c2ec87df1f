"""A small file picker for images: a path input (Enter attaches) over a directory tree showing only images."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static

from llmconsole.ui.styles import MODALS_CSS

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
"""Files the tree shows (the content is checked again when attached: a renamed text file is refused)."""


def image_paths(paths: Iterable[Path]) -> list[Path]:
    """Folders and image files (by suffix), without hidden entries."""
    return [
        path
        for path in paths
        if not path.name.startswith(".") and (path.suffix.lower() in IMAGE_SUFFIXES or path.is_dir())
    ]


class ImageTree(DirectoryTree):
    """A directory tree with folders and image files only (no hidden entries)."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return image_paths(paths)


class ImagePickerModal(ModalScreen[Path | None]):
    """Pick an image file: type a path and press Enter, or pick one in the tree. Escape cancels."""

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without attaching", id="image-cancel"),
    ]

    def __init__(self, root: Path | None = None) -> None:
        super().__init__()
        self.root = root or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="image-dialog"):
            yield Static("Attach an image (PNG, JPEG, GIF, WebP)", id="image-title")
            yield Input(placeholder="path/to/image.png — Enter attaches", id="image-path")
            yield ImageTree(self.root, id="image-tree")
            yield Static("Enter attaches · tab moves to the tree · escape cancels", id="image-hint")

    def on_mount(self) -> None:
        self.query_one("#image-path", Input).focus()

    @on(Input.Submitted, "#image-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip().strip("\"'")
        if not text:
            return
        path = Path(text).expanduser()
        self.dismiss(path if path.is_absolute() else self.root / path)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

    def action_cancel(self) -> None:
        self.dismiss(None)

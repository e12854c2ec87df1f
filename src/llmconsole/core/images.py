"""Images attached to a prompt: ``@path`` references, checked and turned into data URLs.

A Responses ``input_image`` carries the image as a ``data:`` URL. Only real image files (checked by
their first bytes, not their names) up to :data:`MAX_IMAGE_BYTES` are accepted.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from llmconsole.core.errors import LLMConsoleError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest image sent (most providers refuse larger ones)."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

_AT_PATH = re.compile(r"(?:(?<=\s)|^)@(\"[^\"]+\"|'[^']+'|\S+)")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
"""Endings that make a file an image by its name (its bytes are checked when it is read)."""
_TRAILING = ".,;:!?)]}"
_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,8}")
ESCAPE = "@@"
"""``@@word`` sends ``@word`` as it is: never a file, whatever follows."""


def looks_like_path(name: str) -> bool:
    """``name`` (after an ``@``) is meant as a file: it has a ``/`` or an extension (``notes.txt``, ``a/b``;
    not ``alice``, ``decorator``, ``v1.2``). Such a reference that is not there stops the prompt."""
    return "/" in name or _EXTENSION.fullmatch(Path(name).suffix) is not None


class AttachmentError(LLMConsoleError):
    """A file cannot be attached (an image, a PDF, a text file: missing, unreadable, binary, too large, or the
    model has no input for it)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Attachment:
    """One image ready to send."""

    path: Path
    mime: str
    size: int
    data_url: str


def sniff_mime(head: bytes) -> str | None:
    """The image type from the first bytes, or None when they are not a known image format."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def load_image(path: Path | str) -> Attachment:
    """Read and check one image file."""
    file = Path(path).expanduser()
    data = read_capped(
        file,
        MAX_IMAGE_BYTES,
        lambda size: f"{size / 1_048_576:.1f} MB is over the {MAX_IMAGE_BYTES // 1_048_576} MB limit",
        require_file=True,
    )
    mime = sniff_mime(data[:16])
    if mime is None:
        raise AttachmentError(f"cannot attach {file}: not a PNG, JPEG, GIF or WebP image")
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return Attachment(path=file, mime=mime, size=len(data), data_url=url)


def read_capped(file: Path, limit: int, too_big: Callable[[int], str], *, require_file: bool = False) -> bytes:
    """The bytes of a file to attach, after the checks every kind shares: it exists (and is a regular file when
    ``require_file``) and holds at most ``limit`` bytes (``too_big(size)`` says why not). One line on failure."""
    try:
        size = file.stat().st_size
    except OSError:
        raise AttachmentError(f"cannot attach {file}: no such file") from None
    if require_file and not file.is_file():
        raise AttachmentError(f"cannot attach {file}: not a file")
    if size > limit:
        raise AttachmentError(f"cannot attach {file}: {too_big(size)}")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"cannot attach {file}: {exc.strerror}") from None


def extract_image_refs(
    prompt: str, base: Path | None = None, *, include_missing: bool = False
) -> tuple[str, list[Path]]:
    """Split ``@path`` references to existing files out of a prompt.

    ``@word`` that is not an existing file stays in the text (it may be a handle or a decorator), unless
    ``include_missing`` and it looks like a path (:func:`looks_like_path`: ``@notes.txt``, ``@src/a``): then it
    is taken too, so that loading it fails with a line naming the file instead of the prompt going out without
    it. ``@@word`` is the literal ``@word`` (the text has one ``@`` less). Punctuation right after the name
    (``@shot.png,``) is not part of it. Quotes allow spaces: ``@"my shot.png"``.
    """
    paths: list[Path] = []
    escaped = False
    root = base or Path.cwd()

    def resolve(raw: str) -> Path:
        candidate = Path(raw).expanduser()
        return candidate if candidate.is_absolute() else root / candidate

    def take(match: re.Match[str]) -> str:
        nonlocal escaped
        if match.group(0).startswith(ESCAPE):
            escaped = True
            return match.group(0)[1:]
        raw = match.group(1).strip("\"'")
        for name in dict.fromkeys((raw, raw.rstrip(_TRAILING))):
            candidate = resolve(name)
            if candidate.is_file():
                paths.append(candidate)
                return match.group(0)[len(name) + 1 :] if name != raw else ""
        name = raw.rstrip(_TRAILING)
        if include_missing and name and looks_like_path(name):
            paths.append(resolve(name))
            return ""
        return match.group(0)

    text = _AT_PATH.sub(take, prompt)
    if paths:
        return " ".join(text.split(" ")).strip(), paths
    return (text if escaped else prompt), paths


def attach_images(
    prompt: str, *, images_supported: bool, model_id: str, base: Path | None = None
) -> tuple[str, list[Attachment]]:
    """The prompt without its ``@image`` references, and the loaded images (checked against the model)."""
    text, paths = extract_image_refs(prompt, base, include_missing=True)
    if not paths:
        return prompt, []
    if not images_supported:
        raise AttachmentError(f"{model_id} has no image input: pick a model with the images badge (ctrl+l)")
    return text, [load_image(path) for path in paths]

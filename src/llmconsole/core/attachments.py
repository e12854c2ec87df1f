"""Files attached to a prompt with ``@path``: images, PDFs and text files, and long pastes.

What a file is comes from its bytes, never its name: an image signature makes an image (``input_image``,
see :mod:`llmconsole.core.images`), ``%PDF-`` a PDF (a Responses ``input_file``; Chat Completions ``file``),
and anything else must be UTF-8 text without NUL bytes, up to :data:`MAX_TEXT_BYTES`. A text file travels
in the prompt itself as a fenced block headed by its name, so every model and endpoint gets it; a binary
file is refused with one line naming it.

A PDF rides in the message's ``images`` list as a ``data:application/pdf;name=<file>;base64,...`` URL (the
name parameter is RFC 2397's): stored in the history like an image, turned into an ``input_file`` part
(:func:`file_part`) when the request is built.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from llmconsole.core.config import DEFAULT_PASTE_CHIP_LINES
from llmconsole.core.images import (  # noqa: PLC2701 - the @path grammar is shared with images
    _AT_PATH,
    _TRAILING,
    IMAGE_SUFFIXES,
    MAX_IMAGE_BYTES,
    Attachment,
    AttachmentError,
    extract_image_refs,
    load_image,
    read_capped,
    sniff_mime,
)

MAX_TEXT_BYTES = 256 * 1024
"""The largest text file attached (about 64K tokens): a bigger one is refused with one line."""
MAX_PDF_BYTES = 32 * 1024 * 1024
"""The largest PDF attached (the providers' usual limit)."""
PDF_MIME = "application/pdf"

Kind = Literal["image", "pdf", "text", "binary"]

_LANGUAGES = {
    ".py": "python",
    ".md": "markdown",
    ".js": "javascript",
    ".ts": "typescript",
    ".json": "json",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".sh": "bash",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".sql": "sql",
    ".html": "html",
    ".css": "css",
    ".csv": "csv",
    ".xml": "xml",
    ".log": "text",
    ".txt": "text",
}


def classify(head: bytes) -> Kind:
    """What the first bytes say a file is (``binary``: not UTF-8 text, or a NUL byte)."""
    if sniff_mime(head[:16]) is not None:
        return "image"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multi-byte character cut by the sample's end is still text
            return "binary"
    return "text"


@dataclass(frozen=True, slots=True)
class TextAttachment:
    """A text file or a long paste, sent as a fenced block in the prompt."""

    name: str
    """The file's name (or ``pasted text``)."""
    text: str
    language: str = ""
    """The fence's info string (from the file's suffix)."""

    @property
    def lines(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") or not self.text else 1)

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))

    def block(self) -> str:
        """The fenced block: the name on its own line, then the text in a fence longer than any inside it."""
        longest = max((len(run) for run in re.findall(r"`{3,}", self.text)), default=2)
        fence = "`" * max(3, longest + 1)
        body = self.text if self.text.endswith("\n") else self.text + "\n"
        return f"{self.name}\n{fence}{self.language}\n{body}{fence}"


def paste_attachment(text: str) -> TextAttachment:
    """A long paste as an attachment (its chip reads ``[pasted N lines]``)."""
    attachment = TextAttachment(name="pasted text", text=text)
    return TextAttachment(name=f"pasted text ({attachment.lines} lines)", text=text)


def load_text(path: Path | str) -> TextAttachment:
    """Read and check one text file: UTF-8, no NUL bytes, at most :data:`MAX_TEXT_BYTES`."""
    file = Path(path).expanduser()
    data = read_capped(
        file, MAX_TEXT_BYTES, lambda size: f"{size / 1024:.0f} KB of text is over the {MAX_TEXT_BYTES // 1024} KB limit"
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentError(_binary(file)) from None
    if "\x00" in text:
        raise AttachmentError(_binary(file))
    return TextAttachment(name=file.name, text=text, language=_LANGUAGES.get(file.suffix.lower(), ""))


def _binary(file: Path) -> str:
    return f"cannot attach {file}: a binary file (only UTF-8 text, images and PDFs can be attached)"


def load_pdf(path: Path | str) -> Attachment:
    """Read one PDF as a ``data:application/pdf;name=...;base64,`` URL. Its size is checked before it is read
    (a 1 GB file is refused at once, unread); the console calls this off the event loop."""
    file = Path(path).expanduser()
    data = read_capped(
        file, MAX_PDF_BYTES, lambda size: f"{size / 1_048_576:.1f} MB is over the {MAX_PDF_BYTES // 1_048_576} MB limit"
    )
    if not data.startswith(b"%PDF-"):
        raise AttachmentError(f"cannot attach {file}: not a PDF")
    url = f"data:{PDF_MIME};name={quote(file.name)};base64,{base64.b64encode(data).decode('ascii')}"
    return Attachment(path=file, mime=PDF_MIME, size=len(data), data_url=url)


def kind_of(path: Path) -> Kind:
    """What the file at ``path`` is: an image or PDF name is taken at its word (loading it then checks the
    bytes and says so); else what its first bytes say (a missing file counts as an image ref)."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix == ".pdf":
        return "pdf"
    try:
        with path.open("rb") as handle:
            return classify(handle.read(4096))
    except OSError:
        return "image"  # missing or unreadable: loading it says why, naming the file


def file_part(url: str) -> dict[str, str] | None:
    """The Responses ``input_file`` part for a PDF data URL (None for anything else)."""
    prefix = f"data:{PDF_MIME};"
    if not url.startswith(prefix):
        return None
    params, _, payload = url[len(prefix) :].partition("base64,")
    name = "document.pdf"
    for param in params.split(";"):
        if param.startswith("name="):
            name = unquote(param[5:]) or name
    return {"type": "input_file", "filename": name, "file_data": f"data:{PDF_MIME};base64,{payload}"}


def _name_refs(prompt: str, base: Path | None, paths: set[Path]) -> str:
    """``prompt`` with ``@path`` references to ``paths`` replaced by the files' names."""
    root = base or Path.cwd()

    def sub(match: re.Match[str]) -> str:
        raw = match.group(1).strip("\"'")
        for name in dict.fromkeys((raw, raw.rstrip(_TRAILING))):
            candidate = Path(name).expanduser()
            candidate = candidate if candidate.is_absolute() else root / candidate
            if candidate in paths:
                return candidate.name + match.group(0)[len(name) + 1 :] if name != raw else candidate.name
        return match.group(0)

    return _AT_PATH.sub(sub, prompt)


@dataclass
class Attached:
    """A prompt with its ``@path`` files resolved."""

    text: str
    """What is sent: the prompt without its references, then a fenced block per text file or paste."""
    urls: list[str] = field(default_factory=list)
    """Images and PDFs as data URLs (the message's ``images``)."""
    texts: list[TextAttachment] = field(default_factory=list)


def attach_files(
    prompt: str,
    *,
    images_supported: bool,
    model_id: str,
    base: Path | None = None,
    hint: str = "pick a model with the images badge",
    pasted: list[TextAttachment] | None = None,
) -> Attached:
    """Resolve every ``@path`` in ``prompt`` (and add ``pasted`` blocks). One :class:`AttachmentError` line when
    a file cannot go: missing (any ``@word`` with a ``/`` or an extension is meant as a file), binary, too large,
    or an image or PDF for a model without image input. ``@@word`` sends ``@word``."""
    _, found = extract_image_refs(prompt, base, include_missing=True)
    named = [path for path in found if kind_of(path) in ("text", "pdf", "binary")]
    if named:  # "@notes.md" reads "notes.md" in the prompt: its block (or file) is headed by that name
        prompt = _name_refs(prompt, base, set(named))
    text, images = extract_image_refs(prompt, base, include_missing=True)
    result = Attached(text=text)  # (without references: the prompt, ``@@word`` read as ``@word``)
    for path in images:  # a reference that looks like a path and is not a file: nothing goes
        if not path.is_file():
            raise AttachmentError(f"cannot attach {path}: {'not a file' if path.exists() else 'no such file'}")
    for path in [*named, *images]:
        kind = kind_of(path)
        if kind in ("image", "pdf") and not images_supported:
            what = "image" if kind == "image" else "file (PDF)"
            raise AttachmentError(f"{model_id} has no {what} input: {hint}")
        if kind == "image":
            result.urls.append(load_image(path).data_url)
        elif kind == "pdf":
            result.urls.append(load_pdf(path).data_url)
        elif kind == "text":
            result.texts.append(load_text(path))
        else:
            raise AttachmentError(_binary(path))
    result.texts.extend(pasted or [])
    if result.texts:
        blocks = "\n\n".join(attachment.block() for attachment in result.texts)
        result.text = f"{result.text}\n\n{blocks}" if result.text.strip() else blocks
    return result


__all__ = [
    "DEFAULT_PASTE_CHIP_LINES",
    "MAX_IMAGE_BYTES",
    "MAX_PDF_BYTES",
    "MAX_TEXT_BYTES",
    "Attached",
    "TextAttachment",
    "attach_files",
    "classify",
    "file_part",
    "kind_of",
    "load_pdf",
    "load_text",
    "paste_attachment",
]

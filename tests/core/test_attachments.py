"""Text files, PDFs and long pastes attached to a prompt (core/attachments.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from llmconsole.core.attachments import (
    MAX_TEXT_BYTES,
    attach_files,
    classify,
    file_part,
    load_text,
    paste_attachment,
)
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.images import AttachmentError
from llmconsole.core.proxy.chat_completions import chat_messages

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG[:16], "image"),
        (b"%PDF-1.7\n", "pdf"),
        (b"def f():\n    return 1\n", "text"),
        ("naïve café ✓\n".encode(), "text"),
        ("✓".encode()[:2], "text"),  # a character cut by the sample's end
        (b"\x00\x01\x02ELF", "binary"),
        (b"\xff\xfe\x00h\x00i", "binary"),
        (b"caf\xe9 latin-1 text here", "binary"),
    ],
)
def test_classify_by_bytes(head: bytes, kind: str) -> None:
    assert classify(head) == kind


def test_text_file_travels_as_a_fenced_block_headed_by_its_name(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\n```py\nx = 1\n```\n", encoding="utf-8")
    (tmp_path / "data.csv").write_text("a,b\n1,2", encoding="utf-8")
    attached = attach_files(
        "compare @notes.md with @data.csv, please", images_supported=False, model_id="m", base=tmp_path
    )
    assert attached.urls == []
    head, _, blocks = attached.text.partition("\n\n")
    assert head == "compare notes.md with data.csv, please"
    assert "notes.md\n````markdown\n# Notes\n\n```py\nx = 1\n```\n````" in blocks  # a longer fence than inside
    assert blocks.endswith("data.csv\n```csv\na,b\n1,2\n```")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\x01binary", "a binary file"),
        (b"caf\xe9 not utf-8", "a binary file"),
        (b"x" * (MAX_TEXT_BYTES + 1), "over the 256 KB limit"),
    ],
)
def test_bad_text_files_are_refused_with_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    (tmp_path / "f.txt").write_bytes(content)
    with pytest.raises(AttachmentError) as info:
        attach_files("read @f.txt", images_supported=True, model_id="m", base=tmp_path)
    message = str(info.value)
    assert words in message and "f.txt" in message and "\n" not in message
    assert info.value.exit_code == 2


def test_pdf_is_an_input_file_for_models_with_image_input(tmp_path: Path) -> None:
    (tmp_path / "paper one.pdf").write_bytes(b"%PDF-1.4 tiny")
    attached = attach_files('summarise @"paper one.pdf"', images_supported=True, model_id="m", base=tmp_path)
    assert attached.text == "summarise paper one.pdf"
    (url,) = attached.urls
    part = file_part(url)
    assert part == {
        "type": "input_file",
        "filename": "paper one.pdf",
        "file_data": "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4 tiny").decode(),
    }
    conv = Conversation()
    conv.add_user(attached.text, attachments=attached.urls)
    content = conv.to_input_items()[0]["content"]
    assert [p["type"] for p in content] == ["input_text", "input_file"]
    chat = chat_messages(conv.to_input_items(), None)
    assert chat[0]["content"][1] == {
        "type": "file",
        "file": {"filename": "paper one.pdf", "file_data": part["file_data"]},
    }
    with pytest.raises(AttachmentError, match="has no file \\(PDF\\) input: pick"):
        attach_files("summarise @'paper one.pdf'", images_supported=False, model_id="m", base=tmp_path)


def test_pdf_refused_for_a_model_without_image_input(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(AttachmentError) as info:
        attach_files("read @doc.pdf", images_supported=False, model_id="llama", base=tmp_path, hint="use another")
    assert str(info.value) == "llama has no file (PDF) input: use another"


def test_images_still_go_as_images(tmp_path: Path) -> None:
    (tmp_path / "dot.png").write_bytes(PNG)
    attached = attach_files("what is @dot.png", images_supported=True, model_id="m", base=tmp_path)
    assert attached.text == "what is" and attached.urls[0].startswith("data:image/png;base64,")


def test_long_paste_becomes_a_block() -> None:
    paste = paste_attachment("\n".join(f"row {i}" for i in range(120)))
    assert paste.lines == 120 and paste.name == "pasted text (120 lines)"
    attached = attach_files("explain this", images_supported=False, model_id="m", pasted=[paste])
    assert attached.text.startswith("explain this\n\npasted text (120 lines)\n```\nrow 0\n")
    assert attached.text.endswith("row 119\n```")


def test_load_text_language_from_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print(1)")
    assert load_text(tmp_path / "a.py").block() == "a.py\n```python\nprint(1)\n```"


@pytest.mark.parametrize("ref", ["@nope.txt", "@notes/todo", "@./nope", "@nope.md,", '@"my notes.txt"', "@~/nope.csv"])
@pytest.mark.parametrize("images", [True, False])
def test_a_missing_file_that_looks_like_a_path_stops_the_prompt(tmp_path: Path, ref: str, images: bool) -> None:
    """Any ``@word`` with a ``/`` or an extension is meant as a file (issue 20): one line naming it, and the model's
    lack of image input is not what it says."""
    with pytest.raises(AttachmentError) as caught:
        attach_files(f"summarise {ref} please", images_supported=images, model_id="m", base=tmp_path)
    name = ref.strip("@\"',").removeprefix("./").removeprefix("~/")
    assert caught.value.message.startswith("cannot attach ") and caught.value.message.endswith(": no such file")
    assert name in caught.value.message and "\n" not in caught.value.message


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(AttachmentError, match=r"src: not a file"):
        attach_files("look at @src/", images_supported=True, model_id="m", base=tmp_path)


@pytest.mark.parametrize("word", ["alice", "decorator", "v1.2", "3.14", "here."])
def test_words_that_do_not_look_like_paths_stay_text(tmp_path: Path, word: str) -> None:
    prompt = f"ask @{word} about it"
    assert attach_files(prompt, images_supported=True, model_id="m", base=tmp_path).text == prompt


def test_a_doubled_at_sends_the_word_as_it_is(tmp_path: Path) -> None:
    """``@@word`` is the way to write a literal ``@word`` that would be a file: one ``@`` goes, nothing is read."""
    (tmp_path / "notes.md").write_text("secret notes\n", encoding="utf-8")
    prompt = "rename @@notes.md to @@nope.txt, ask @@alice; see @notes.md"
    attached = attach_files(prompt, images_supported=True, model_id="m", base=tmp_path)
    assert attached.text.startswith("rename @notes.md to @nope.txt, ask @alice; see notes.md\n\nnotes.md\n```")
    assert attached.text.count("secret notes") == 1 and attached.urls == []
    only = attach_files("email @@team/backend", images_supported=False, model_id="m", base=tmp_path)
    assert only.text == "email @team/backend" and only.texts == []


def test_a_pdf_over_the_limit_is_refused_by_its_size_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmconsole.core.attachments import MAX_PDF_BYTES, load_pdf

    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(1024**3)  # sparse: 1 GB that costs nothing to make
    opened: list[Path] = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: opened.append(self) or b"")
    with pytest.raises(AttachmentError, match=r"1024\.0 MB is over the 32 MB limit"):
        load_pdf(huge)
    assert opened == []
    exact = tmp_path / "exact.pdf"
    with exact.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(MAX_PDF_BYTES)
    monkeypatch.undo()
    assert load_pdf(exact).size == MAX_PDF_BYTES  # the limit itself goes

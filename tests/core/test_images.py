from __future__ import annotations

from pathlib import Path

import pytest

from llmconsole.core import images
from llmconsole.core.images import ImageError, attach_images, extract_image_refs, load_image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_png_becomes_a_data_url(tmp_path: Path) -> None:
    file = tmp_path / "shot.png"
    file.write_bytes(PNG)
    attachment = load_image(file)
    assert attachment.mime == "image/png" and attachment.size == len(PNG)
    assert attachment.data_url.startswith("data:image/png;base64,iVBORw0KGgo")


def test_a_text_file_named_png_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "fake.png"
    file.write_text("hello")
    with pytest.raises(ImageError, match="not a PNG"):
        load_image(file)


def test_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 10)
    file = tmp_path / "big.png"
    file.write_bytes(PNG)
    with pytest.raises(ImageError, match="limit"):
        load_image(file)


def test_missing_file() -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image("/nonexistent/x.png")


def test_at_references(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "my shot.png").write_bytes(PNG)
    text, paths = extract_image_refs('what is in @a.png and @"my shot.png"? ask @someone', tmp_path)
    assert [p.name for p in paths] == ["a.png", "my shot.png"]
    assert "@someone" in text and "a.png" not in text


def test_no_image_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    with pytest.raises(ImageError, match="no image input"):
        attach_images("look @a.png", images_supported=False, model_id="llama", base=tmp_path)
    text, attached = attach_images("look @a.png", images_supported=True, model_id="gpt-5", base=tmp_path)
    assert text == "look" and len(attached) == 1


def test_prompt_without_refs_is_untouched() -> None:
    assert attach_images("email me @ noon", images_supported=False, model_id="m") == ("email me @ noon", [])

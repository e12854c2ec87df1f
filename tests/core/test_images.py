from __future__ import annotations

from pathlib import Path

import pytest

from llmconsole.core import images
from llmconsole.core.images import AttachmentError, attach_images, extract_image_refs, load_image

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
    with pytest.raises(AttachmentError, match="not a PNG"):
        load_image(file)


def test_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 10)
    file = tmp_path / "big.png"
    file.write_bytes(PNG)
    with pytest.raises(AttachmentError, match="limit"):
        load_image(file)


def test_missing_file() -> None:
    with pytest.raises(AttachmentError, match="no such file"):
        load_image("/nonexistent/x.png")


def test_at_references(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "my shot.png").write_bytes(PNG)
    text, paths = extract_image_refs('what is in @a.png and @"my shot.png"? ask @someone', tmp_path)
    assert [p.name for p in paths] == ["a.png", "my shot.png"]
    assert "@someone" in text and "a.png" not in text


def test_no_image_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    with pytest.raises(AttachmentError, match="no image input"):
        attach_images("look @a.png", images_supported=False, model_id="llama", base=tmp_path)
    text, attached = attach_images("look @a.png", images_supported=True, model_id="gpt-5", base=tmp_path)
    assert text == "look" and len(attached) == 1


def test_prompt_without_refs_is_untouched() -> None:
    assert attach_images("email me @ noon", images_supported=False, model_id="m") == ("email me @ noon", [])


@pytest.mark.parametrize("ref", ["@gone.png", "@gone.JPG", '@"my gone.webp"', "@gone.png,"])
def test_a_missing_image_is_an_error_naming_it(tmp_path: Path, ref: str) -> None:
    with pytest.raises(AttachmentError) as caught:
        attach_images(f"what is in {ref} here", images_supported=True, model_id="m", base=tmp_path)
    assert "gone" in caught.value.message and "no such file" in caught.value.message
    assert caught.value.exit_code == 2


def test_an_unreadable_image_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(AttachmentError, match=r"folder\.png: not a file"):
        attach_images("see @folder.png", images_supported=True, model_id="m", base=tmp_path)
    broken = tmp_path / "link.png"
    broken.symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(AttachmentError, match=r"link\.png: no such file"):
        attach_images("see @link.png", images_supported=True, model_id="m", base=tmp_path)


def test_other_at_words_stay_text(tmp_path: Path) -> None:
    prompt = "ping @alice about @decorator, @v1.2 and @here."
    assert attach_images(prompt, images_supported=True, model_id="m", base=tmp_path) == (prompt, [])
    # the chip line (no include_missing) never lists a file that is not there
    assert extract_image_refs("see @gone.png", tmp_path) == ("see @gone.png", [])


def test_punctuation_after_an_existing_image_is_kept_as_text(tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    text, attached = attach_images("look at @shot.png, please", images_supported=True, model_id="m", base=tmp_path)
    assert text == "look at , please" and [a.path.name for a in attached] == ["shot.png"]

"""Writing one setting into config.toml (core/config_edit.py): that line changes, nothing else does."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from llmconsole.core.config import load_settings, read_config_file
from llmconsole.core.config_edit import set_string, with_string
from llmconsole.core.errors import ConfigError

CONFIG = """\
# my settings
default_model = "gpt-5.2"   # the usual one
system_prompt = '''Be brief.
Answer in English.'''

[keys]
copy-code = "f12"

[profiles.work]
base_url = "https://llm.example.test"
"""


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", 'theme = "nord"\n'),
        ("x = 1", 'x = 1\ntheme = "nord"\n'),
        ('theme = "old"   # mine\nx = 1\n', 'theme = "nord" # mine\nx = 1\n'),
        ("'theme' = 'old'\n", 'theme = "nord"\n'),
        ("[keys]\na = 'b'\n", "theme = \"nord\"\n\n[keys]\na = 'b'\n"),
        ("x = 1\n\n\n[t]\ny = 2\n", 'x = 1\ntheme = "nord"\n\n\n[t]\ny = 2\n'),
        ("x = 1\r\n[t]\r\n", 'x = 1\r\ntheme = "nord"\r\n\r\n[t]\r\n'),
        ("[t]\ntheme = 'kept: a table key'\n", "theme = \"nord\"\n\n[t]\ntheme = 'kept: a table key'\n"),
    ],
)
def test_only_the_line_of_the_key_changes(before: str, after: str) -> None:
    assert with_string(before, "theme", "nord") == after


def test_the_file_keeps_every_other_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    set_string(path, "theme", "gruvbox")
    text = path.read_text(encoding="utf-8")
    assert text == CONFIG.replace("Answer in English.'''\n", "Answer in English.'''\ntheme = \"gruvbox\"\n")
    set_string(path, "theme", 'odd "name" \\ ü')
    assert tomllib.loads(path.read_text(encoding="utf-8"))["theme"] == 'odd "name" \\ ü'
    assert read_config_file(path).keys == {"copy-code": "f12"}


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    set_string(path, "theme", "nord")
    assert path.read_text(encoding="utf-8") == 'theme = "nord"\n'
    assert load_settings(demo=True, config_path=path).theme == "nord"


def test_a_symlinked_file_is_written_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "llmconsole.toml"
    real.parent.mkdir()
    real.write_text("x = 1\n", encoding="utf-8")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    set_string(link, "theme", "nord")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == 'x = 1\ntheme = "nord"\n'


def test_an_invalid_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("x = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_string(path, "theme", "nord")
    assert path.read_text(encoding="utf-8") == "x = = 1\n"


def test_a_key_the_lines_cannot_hold_alone_is_not_written(tmp_path: Path) -> None:
    """A multi-line value under the key: replacing its first line would break the file: nothing is written."""
    path = tmp_path / "config.toml"
    original = 'theme = """\nnord"""\nx = 1\n'
    path.write_text(original, encoding="utf-8")
    with pytest.raises(ConfigError, match="without changing other settings"):
        set_string(path, "theme", "gruvbox")
    assert path.read_text(encoding="utf-8") == original


def test_theme_must_be_a_string(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="theme"):
        read_config_file(path)

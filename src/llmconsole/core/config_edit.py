"""Changing one setting in ``config.toml`` from the console (the theme picked in the palette), leaving every
other line as it was: comments, order, blank lines, tables, line endings.

Only a top-level string key is ever written. Its line is replaced where it is, else a new line goes before the
first table (top-level keys must come before tables in TOML). The result is parsed again before it replaces the
file (atomically; a symlinked file is written where the link points): it must hold exactly what the old file
held with that one key changed, or nothing is written and a :class:`ConfigError` says why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from llmconsole.core import paths
from llmconsole.core.errors import ConfigError

_HEADER = re.compile(r"\s*\[")
_COMMENT = re.compile(r"=\s*(?:\"(?:[^\"\\]|\\.)*\"|'[^']*')\s*(#.*)$")


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")


def with_string(text: str, key: str, value: str) -> str:
    """``text`` (a TOML document) with top-level ``key = "value"``, every other line untouched."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}{newline}"  # a JSON string is a TOML basic string
    is_key = _key_line(key)
    for index, current in enumerate(lines):
        if _HEADER.match(current):
            break
        if is_key.match(current):
            comment = _COMMENT.search(current.rstrip("\r\n"))  # a comment after a plain string stays
            lines[index] = line if comment is None else f"{line.rstrip()} {comment.group(1)}{newline}"
            return "".join(lines)
    else:
        index = len(lines)
    if index == len(lines):  # no table: the end of the file
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        return "".join([*lines, line])
    while index > 0 and not lines[index - 1].strip():  # after the last top-level line, not after the blanks
        index -= 1
    lines[index:index] = [line] if index < len(lines) and not lines[index].strip() else [line, newline]
    return "".join(lines)


def _parse(text: str, path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): not changed") from None


def set_string(path: Path, key: str, value: str) -> None:
    """Write top-level ``key = "value"`` into the config file at ``path`` (created when missing), the rest of
    the file kept as it was. :class:`ConfigError` (nothing written) when the file cannot be read, is not valid
    TOML, or would hold anything else after the change."""
    target = path.resolve() if path.is_symlink() else path
    try:
        text = target.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    before = _parse(text, path)
    changed = with_string(text, key, value)
    try:
        after = _parse(changed, path)
    except ConfigError:
        after = None
    if after != {**before, key: value}:
        raise ConfigError(f"{path}: {key} could not be written without changing other settings: not changed")
    try:
        paths.write_private_file(target, changed)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None

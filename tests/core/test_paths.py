"""Folders: only those llmconsole creates are 0700 (parents included), files 0600; existing folders keep their
mode (a data folder shared on purpose stays shared)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from llmconsole.core import paths


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> object:
    old = os.umask(0o022)  # the usual umask: what mkdir alone would make 0755
    yield
    os.umask(old)


def test_folders_it_creates_are_private_parents_included(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    paths.write_private_file(target / "f.json", "{}")
    assert [mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3
    assert mode(target / "f.json") == 0o600


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o775)
    paths.write_private_file(shared / "cache" / "learned.json", "{}")
    assert mode(shared) == 0o775
    assert mode(shared / "cache") == 0o700 and mode(shared / "cache" / "learned.json") == 0o600


def test_a_file_where_a_folder_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(OSError):
        paths.ensure_private_dir(tmp_path / "taken" / "sub")


@pytest.mark.parametrize("variable", ["LLMCONSOLE_DATA_DIR", "LLMCONSOLE_CACHE_DIR"])
def test_the_folders_named_by_variables_keep_their_mode_through_a_real_run(tmp_path: Path, variable: str) -> None:
    """``llmconsole -p`` (demo) writes its history and caches into folders that exist: their modes stay."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    for folder in (data, cache):
        folder.mkdir()
        folder.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
    env.update(LLMCONSOLE_CONFIG_DIR=str(tmp_path / "config"), **{variable: str(data if "DATA" in variable else cache)})
    if variable == "LLMCONSOLE_CACHE_DIR":
        env["LLMCONSOLE_DATA_DIR"] = str(data)
    done = subprocess.run(
        [sys.executable, "-m", "llmconsole", "--demo", "-p", "hello"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert mode(data) == 0o755 and mode(cache) == 0o755
    written = [p for p in (*data.rglob("*"), *cache.rglob("*")) if p.is_file()]
    assert written and all(mode(p) & 0o077 == 0 for p in written), [(p, oct(mode(p))) for p in written]
    assert all(mode(p) == 0o700 for p in (*data.rglob("*"), *cache.rglob("*")) if p.is_dir())

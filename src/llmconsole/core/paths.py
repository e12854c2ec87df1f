"""Where llmconsole keeps its files. Every folder it creates is private to the owner (0700), every file 0600;
folders that exist keep their mode."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

APP_NAME = "llmconsole"


def _platform_dir(kind: str) -> Path:
    import platformdirs  # imported lazily: only needed when no override is set

    getter = {
        "config": platformdirs.user_config_dir,
        "cache": platformdirs.user_cache_dir,
        "data": platformdirs.user_data_dir,
    }[kind]
    return Path(getter(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """History and logs. ``LLMCONSOLE_DATA_DIR`` overrides it."""
    override = os.environ.get("LLMCONSOLE_DATA_DIR")
    return Path(override) if override else _platform_dir("data")


def cache_dir() -> Path:
    """Model-list cache and learned parameter rejections.

    ``LLMCONSOLE_CACHE_DIR`` overrides it; with only ``LLMCONSOLE_DATA_DIR`` set it lives in its ``cache``.
    """
    override = os.environ.get("LLMCONSOLE_CACHE_DIR")
    if override:
        return Path(override)
    data_override = os.environ.get("LLMCONSOLE_DATA_DIR")
    return Path(data_override) / "cache" if data_override else _platform_dir("cache")


def proxy_file(stem: str, base_url: str | None) -> Path:
    """``<cache>/<stem>-<digest of base_url>.json``: a file kept per proxy (model list, learned parameters)."""
    digest = _sha256_hex((base_url or "").encode())[:16]
    return cache_dir() / f"{stem}-{digest}.json"


def _sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex, from CPython's built-in implementation where there is one: ``hashlib`` loads
    OpenSSL first (~3 ms), and the model cache's name is needed before the console's first frame."""
    for name in ("_sha2", "_sha256"):  # CPython 3.12+, 3.11
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return str(module.sha256(data).hexdigest())
    import hashlib

    return hashlib.sha256(data).hexdigest()


def config_dir() -> Path:
    """The optional ``config.toml``. ``LLMCONSOLE_CONFIG_DIR`` overrides it."""
    override = os.environ.get("LLMCONSOLE_CONFIG_DIR")
    return Path(override) if override else _platform_dir("config")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents, each readable by the owner alone (0700).

    A folder that exists keeps its mode: ``LLMCONSOLE_DATA_DIR=/srv/team`` may be shared on purpose. Only what
    this program creates is made private (and its files are 0600: :func:`write_private_file`).
    """
    missing: list[Path] = []
    folder = path
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            if folder.is_dir():
                continue  # made meanwhile by someone else: not ours to change
            raise
        folder.chmod(0o700)  # whatever the umask
    return path


def write_private_file(path: Path, data: str) -> None:
    """Atomically write ``data`` to ``path`` with mode 0600 (the folder is made private too)."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

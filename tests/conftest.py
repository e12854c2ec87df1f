from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data/cache/config folders; nothing touches the real home."""
    base = tmp_path_factory.mktemp("llmconsole-home")
    monkeypatch.setenv("LLMCONSOLE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("LLMCONSOLE_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("LLMCONSOLE_CONFIG_DIR", str(base / "config"))

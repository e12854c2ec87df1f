"""Switching profiles in the console: "profile: NAME" in the palette, a fresh screen for the other proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.command import CommandList

from llmconsole.core.config import load_settings
from llmconsole.ui.app import LLMConsoleApp
from tests.netservers import OpenAIServer
from tests.ui.helpers import type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio

KEY_A, KEY_B = "sk-profile-a-key-000111", "sk-profile-b-key-222333"


@pytest.fixture
def two_proxies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    with OpenAIServer(["alpha-1", "alpha-2"], key=KEY_A) as a, OpenAIServer(["beta-1"], key=KEY_B) as b:
        config = tmp_path / "config"
        config.mkdir()
        (config / "config.toml").write_text(
            f'[profiles.a]\nbase_url = "{a.url}"\napi_key_env = "KEY_A"\n\n'
            f'[profiles.b]\nbase_url = "{b.url}"\napi_key_env = "KEY_B"\n',
            encoding="utf-8",
        )
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "LLMCONSOLE_PROFILE", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("KEY_A", KEY_A)
        monkeypatch.setenv("KEY_B", KEY_B)
        monkeypatch.setenv("LLMCONSOLE_CONFIG_DIR", str(config))
        monkeypatch.setenv("LLMCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("LLMCONSOLE_DATA_DIR", str(tmp_path / "data"))
        yield a, b


async def test_palette_switches_the_proxy_and_everything_per_profile(
    two_proxies: tuple[OpenAIServer, OpenAIServer], tmp_path: Path
) -> None:
    a, b = two_proxies
    app = LLMConsoleApp(load_settings(profile="a"))
    async with app.run_test(size=(120, 40)) as pilot:
        first = await wait_ready(pilot, app)
        assert [m.id for m in first.models] == ["alpha-1", "alpha-2"]
        assert app.sub_title.startswith(f"a · {a.url.removeprefix('http://')}")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "profile: b" in titles and "profile: a" not in titles  # the current one is not offered

        await pilot.press("ctrl+p")
        await type_text(pilot, "profile: b")

        def hit_shown() -> bool:
            found = app.screen.query(CommandList)
            if not found or found.first().highlighted is None:
                return False
            hits = found.first()
            return "profile: b" in str(hits.get_option_at_index(hits.highlighted or 0).prompt)

        await wait_until(pilot, hit_shown)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.settings.profile == "b" and app.main_screen is not first)
        second = await wait_ready(pilot, app)
        assert [m.id for m in second.models] == ["beta-1"]
        assert second.key_info is None and second.quotas == {}
        assert app.sub_title.startswith(f"b · {b.url.removeprefix('http://')}")
        assert "/v1/models" in b.paths  # with b's key (the server refuses any other)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "profile: a" in titles and "profile: b" not in titles

        # and back: a's model list comes from its own cache at once, then from a
        assert await app.switch_profile("a")
        third = await wait_ready(pilot, app)
        assert [m.id for m in third.models] == ["alpha-1", "alpha-2"]
    assert len(list((tmp_path / "cache").glob("models-*.json"))) == 2  # one model cache per proxy


async def test_the_console_takes_a_rotating_key_from_a_command(
    two_proxies: tuple[OpenAIServer, OpenAIServer], tmp_path: Path
) -> None:
    """The stale key is refused (401), the command runs once more off the event loop, discovery succeeds."""
    import sys

    a, _ = two_proxies
    counter = tmp_path / "calls"
    script = tmp_path / "token.py"
    script.write_text(
        "from pathlib import Path\n"
        f"c = Path({str(counter)!r})\n"
        "n = int(c.read_text()) if c.exists() else 0\n"
        "c.write_text(str(n + 1))\n"
        f"print('sk-stale-rotated-token' if n == 0 else {KEY_A!r})\n",
        encoding="utf-8",
    )
    config = tmp_path / "config" / "config.toml"
    config.write_text(
        config.read_text() + f"\n[profiles.c]\nbase_url = \"{a.url}\"\napi_key_command = '{sys.executable} {script}'\n"
    )
    app = LLMConsoleApp(load_settings(profile="c"))
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        assert [m.id for m in main.models] == ["alpha-1", "alpha-2"]
        assert app.sub_title.startswith("c · ")
    assert counter.read_text() == "2"
    assert a.paths.count("/v1/models") == 2  # the stale key once, then the fresh one

"""Bad configuration is one line (exit 2), never a traceback; a key with whitespace is cleaned; a password in
the URL never reaches a message, a title, a log or a cache file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from llmconsole.core.config import Settings, load_settings, normalize_base_url, split_base_url
from llmconsole.core.errors import ConfigError, ProxyTimeoutError
from llmconsole.core.proxy import discovery
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.secret import Secret

PASSWORD = "pa55-w0rd-secret"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[::1", "the [IPv6 address] is not closed"),
        (f"http://user:{PASSWORD}@[::1", "the [IPv6 address] is not closed"),
        ("http://[zz]:4000", "not an IPv6 address"),
        ("http://localhost:99999", "the port is out of range (1-65535)"),
        ("http://localhost:0", "the port is out of range (1-65535)"),
        ("http://localhost:abc", "the port is not a number"),
        ("http://local host:4000", "contains a space or a control character"),
        ("http://proxy\n.example", "contains a space or a control character"),
        ("ftp://proxy.example", "must start with http:// or https://"),
        ("proxy.example:4000", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("http://:4000", "has no host"),
        (f"https://user:{PASSWORD}@", "has no host"),
        ("https://proxy.example/?team=a", "must not carry a ?query or #fragment"),
        ("   ", "is empty"),
    ],
)
def test_malformed_url_is_one_config_line(url: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_base_url(url)
    message = caught.value.message
    assert message.startswith("OPENAI_BASE_URL ") and words in message
    assert "\n" not in message and PASSWORD not in message
    assert caught.value.exit_code == 2


def test_the_message_names_where_the_url_came_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--base-url is malformed"):
        load_settings(base_url="http://[::1", environ={}, config_path=tmp_path / "none.toml")


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://proxy.example/v1/", "https://proxy.example"),
        ("HTTPS://proxy.example:8443/litellm/v1", "https://proxy.example:8443/litellm"),
        ("http://[::1]:4000", "http://[::1]:4000"),
        (f"https://bob:{PASSWORD}@proxy.example/v1", "https://proxy.example"),
    ],
)
def test_good_urls_normalise_without_credentials(url: str, base: str) -> None:
    assert normalize_base_url(url) == base


def test_credentials_are_kept_apart_and_redacted(tmp_path: Path) -> None:
    env = {"OPENAI_BASE_URL": f"https://bob:{PASSWORD}@proxy.example/v1", "OPENAI_API_KEY": "sk-key-123456"}
    settings = load_settings(environ=env, config_path=tmp_path / "none.toml")
    assert settings.base_url == "https://proxy.example"
    assert settings.host == "proxy.example" and PASSWORD not in settings.label
    assert settings.url_credentials.get_secret_value() == f"bob:{PASSWORD}"
    assert PASSWORD in settings.secrets() and PASSWORD not in repr(settings)
    assert split_base_url(env["OPENAI_BASE_URL"]) == ("https://proxy.example", f"bob:{PASSWORD}")


def test_settings_built_by_hand_keep_the_password_out_too() -> None:
    settings = Settings(base_url=f"http://bob:{PASSWORD}@127.0.0.1:4000", api_key=Secret("k"))
    assert settings.base_url == "http://127.0.0.1:4000" and settings.host == "127.0.0.1:4000"
    assert PASSWORD in settings.secrets()


def test_the_model_cache_never_holds_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
    env = {"OPENAI_BASE_URL": f"https://bob:{PASSWORD}@proxy.example", "OPENAI_API_KEY": "sk-key-123456"}
    settings = load_settings(environ=env, config_path=tmp_path / "none.toml")
    discovery.save_cache(settings, [ModelInfo(id="gpt-5.2")])
    files = list((tmp_path / "cache").rglob("*"))
    assert files
    for file in files:
        if file.is_file():
            assert PASSWORD not in file.read_text(encoding="utf-8", errors="replace")
    assert [m.id for m in discovery.load_cache(settings) or []] == ["gpt-5.2"]


@pytest.mark.parametrize("raw", ["  sk-key-123456\n", "sk-key-123456\r\n", "\tsk-key-123456 "])
def test_whitespace_around_the_key_is_stripped(tmp_path: Path, raw: str) -> None:
    env = {"OPENAI_BASE_URL": "https://proxy.example", "OPENAI_API_KEY": raw}
    settings = load_settings(environ=env, config_path=tmp_path / "none.toml")
    assert settings.api_key.get_secret_value() == "sk-key-123456"
    assert Settings(base_url="https://p.example", api_key=raw).api_key.get_secret_value() == "sk-key-123456"


@pytest.mark.anyio
async def test_the_key_goes_out_clean_and_url_credentials_never_replace_it() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"data": []})

    settings = Settings(base_url=f"https://bob:{PASSWORD}@proxy.example", api_key=" sk-key-123456\n")
    async with ProxyClient(settings, transport=httpx.MockTransport(handler)) as client:
        await client.discover()
    assert seen[0] == "Bearer sk-key-123456"
    settings = Settings(base_url=f"https://bob:{PASSWORD}@proxy.example", api_key="")
    async with ProxyClient(settings, transport=httpx.MockTransport(handler)) as client:
        await client.discover()
    assert seen[-1].startswith("Basic ")  # no key: the URL's user:password is basic auth


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ConnectTimeout, "(connect timeout)"),
        (httpx.WriteTimeout, "(write timeout)"),
        (httpx.PoolTimeout, "(pool timeout)"),
        (httpx.ReadTimeout, "(read timeout: the idle timeout"),
    ],
)
async def test_timeouts_are_named_by_phase(exc: type[httpx.TimeoutException], words: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("timed out", request=request)

    settings = Settings(base_url="https://proxy.example", api_key="k", connect_timeout=7.0)
    async with ProxyClient(settings, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProxyTimeoutError) as caught:
            await client.discover()
    assert words in caught.value.message and "proxy.example" in caught.value.message


def test_cache_json_is_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONSOLE_CACHE_DIR", str(tmp_path))
    settings = Settings(base_url="https://proxy.example", api_key="k")
    discovery.save_cache(settings, [])
    data = json.loads(next(tmp_path.rglob("models-*.json")).read_text())
    assert data["base_url"] == "https://proxy.example"


@pytest.mark.anyio
async def test_url_credentials_are_percent_decoded_before_basic_auth() -> None:
    import base64

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"data": []})

    settings = Settings(base_url="https://bob%40corp:p%40ss%3Aw%25rd@proxy.example", api_key="")
    assert settings.basic_credentials() == ("bob@corp", "p@ss:w%rd")
    assert "p@ss:w%rd" in settings.secrets() and "p%40ss%3Aw%25rd" in settings.secrets()
    async with ProxyClient(settings, transport=httpx.MockTransport(handler)) as client:
        await client.discover()
    assert seen[0] == "Basic " + base64.b64encode(b"bob@corp:p@ss:w%rd").decode()
    assert Settings(base_url="https://bob:pw@proxy.example", api_key="sk-k").basic_credentials() is None


def test_url_credentials_are_enough_without_a_key(tmp_path: Path) -> None:
    """The command line needs no OPENAI_API_KEY when the URL carries a user name and password."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
    env.update(OPENAI_BASE_URL="http://bob:pw@127.0.0.1:9", LLMCONSOLE_CONFIG_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "llmconsole", "--list-models"], capture_output=True, text=True, env=env, timeout=60
    )
    assert "OPENAI_API_KEY is not set" not in done.stderr
    assert done.returncode == 4 and "cannot connect" in done.stderr  # it tried the proxy (nothing listens there)
    env.pop("OPENAI_BASE_URL")
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9"
    done = subprocess.run(
        [sys.executable, "-m", "llmconsole", "--list-models"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2 and "OPENAI_API_KEY is not set" in done.stderr

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from llmconsole.core.config import load_settings, normalize_base_url
from llmconsole.core.errors import ConfigError


@pytest.mark.parametrize(
    "raw",
    [
        "https://proxy.example.com",
        "https://proxy.example.com/",
        "https://proxy.example.com/v1",
        "https://proxy.example.com/v1/",
        " https://proxy.example.com/v1// ",
    ],
)
def test_base_url_normalised(raw: str) -> None:
    assert normalize_base_url(raw) == "https://proxy.example.com"


def test_base_url_keeps_a_path_prefix() -> None:
    assert normalize_base_url("https://gw.example.com/litellm/v1/") == "https://gw.example.com/litellm"


@pytest.mark.parametrize("raw", ["proxy.example.com", "ftp://x", "https://", "   "])
def test_bad_base_url_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError):
        normalize_base_url(raw)


def test_key_is_secret(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"OPENAI_BASE_URL": "https://p/v1", "OPENAI_API_KEY": "sk-secret-123"},
        config_path=tmp_path / "none.toml",
    )
    assert "sk-secret-123" not in repr(settings)
    assert "sk-secret-123" not in str(dataclasses.asdict(settings))
    assert settings.secrets() == ("sk-secret-123",)
    assert settings.v1_url == "https://p/v1"


def test_flag_wins_over_environment(tmp_path: Path) -> None:
    settings = load_settings(
        base_url="http://127.0.0.1:4000/",
        environ={"OPENAI_BASE_URL": "https://other"},
        config_path=tmp_path / "none.toml",
    )
    assert settings.base_url == "http://127.0.0.1:4000"


def test_config_file_overrides(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'default_model = "gpt-5.2"\nsystem_prompt = "Be brief."\nidle_timeout = 12\n'
        '[models."acme-large"]\nprompt_cache_key = false\nmax_output_tokens = 16000\n'
    )
    settings = load_settings(environ={}, config_path=path)
    assert settings.default_model == "gpt-5.2"
    assert settings.system_prompt == "Be brief."
    assert settings.idle_timeout == 12
    assert settings.models["acme-large"].prompt_cache_key is False
    assert settings.models["acme-large"].max_output_tokens == 16000


def test_compact_model_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('compact_model = "claude-haiku-4-5"\n')
    assert load_settings(environ={}, config_path=path).compact_model == "claude-haiku-4-5"
    path.write_text("compact_model = 3\n")
    with pytest.raises(ConfigError, match="compact_model"):
        load_settings(environ={}, config_path=path)


@pytest.mark.parametrize("text", ["not toml [", 'idle_timeout = "x"', "unknown_key = 1", '[models."a"]\nbogus = 1\n'])
def test_bad_config_file_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, config_path=path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_url_raises_naming_the_variable(tmp_path: Path) -> None:
    settings = load_settings(environ={}, config_path=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        _ = settings.v1_url


@pytest.mark.parametrize(
    ("url", "warns"),
    [
        ("http://10.1.2.3:4000", True),
        ("http://proxy.corp", True),
        ("https://proxy.corp", False),
        ("http://127.0.0.1:4000", False),
        ("http://localhost:4000", False),
        ("http://[::1]:4000", False),
    ],
)
def test_insecure_http_warning(tmp_path: Path, url: str, warns: bool) -> None:
    settings = load_settings(environ={"OPENAI_BASE_URL": url}, config_path=tmp_path / "none.toml")
    assert (settings.insecure_warning() is not None) is warns


def test_insecure_warning_can_be_silenced(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("allow_insecure_http = true\n")
    settings = load_settings(environ={"OPENAI_BASE_URL": "http://10.0.0.5"}, config_path=path)
    assert settings.insecure_warning() is None


def test_keys_table_remaps_by_binding_id(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\ncopy-code = "ctrl+g"\ntoggle-sidebar = " f7 , ctrl+y "\n')
    settings = load_settings(environ={}, config_path=path)
    assert settings.keys == {"copy-code": "ctrl+g", "toggle-sidebar": "f7,ctrl+y"}


@pytest.mark.parametrize("text", ["[keys]\ncopy-code = 3\n", '[keys]\ncopy-code = ""\n', 'keys = "ctrl+g"\n'])
def test_bad_keys_table_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, config_path=path)
    assert "keys" in str(info.value) and "\n" not in str(info.value)


def test_paste_chip_lines(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert load_settings(environ={}, config_path=path).paste_chip_lines == 20
    path.write_text("paste_chip_lines = 0\n")
    assert load_settings(environ={}, config_path=path).paste_chip_lines == 0
    path.write_text("paste_chip_lines = -1\n")
    with pytest.raises(ConfigError, match="paste_chip_lines"):
        load_settings(environ={}, config_path=path)

"""Profiles in config.toml, their selection, and keys from a command (with the 401 refresh)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from llmconsole.core.config import load_settings
from llmconsole.core.errors import ConfigError
from llmconsole.core.keycommand import KeyCommand
from llmconsole.core.proxy.auth import CommandAuth

CONFIG = """
default_profile = "home"
default_model = "file-model"

[profiles.work]
base_url = "https://litellm.corp.example/v1/"
api_key_command = "{python} -c 'print(\\"sk-from-command\\")'"

[profiles.home]
base_url = "http://localhost:4000"
api_key_env = "HOME_KEY"
default_model = "home-model"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.replace("{python}", sys.executable), encoding="utf-8")
    return path


def test_flag_selects_a_profile_and_its_key_command(config: Path) -> None:
    settings = load_settings(profile="work", environ={"OPENAI_API_KEY": "sk-env"}, config_path=config)
    assert settings.profile == "work" and settings.source == "--profile"
    assert settings.base_url == "https://litellm.corp.example"
    assert settings.api_key.get_secret_value() == ""  # the env key is not used for a command profile
    assert settings.key_command is not None and settings.key_command.fetches == 0  # fetched on first use
    assert settings.key_command.key() == "sk-from-command"
    assert "sk-from-command" in settings.secrets()
    assert settings.profiles == ("work", "home")
    assert settings.label == "work · litellm.corp.example"
    assert settings.default_model == "file-model"


def test_environment_variable_selects_and_flag_wins(config: Path) -> None:
    env = {"LLMCONSOLE_PROFILE": "home", "HOME_KEY": "sk-home", "OPENAI_BASE_URL": "https://other"}
    settings = load_settings(environ=env, config_path=config)
    assert (settings.profile, settings.source) == ("home", "LLMCONSOLE_PROFILE")
    assert settings.base_url == "http://localhost:4000"
    assert settings.api_key.get_secret_value() == "sk-home" and settings.key_env == "HOME_KEY"
    assert settings.default_model == "home-model"
    assert load_settings(profile="work", environ=env, config_path=config).profile == "work"


def test_openai_base_url_wins_over_default_profile(config: Path) -> None:
    env = {"OPENAI_BASE_URL": "https://env-proxy/v1", "OPENAI_API_KEY": "sk-env", "HOME_KEY": "sk-home"}
    settings = load_settings(environ=env, config_path=config)
    assert settings.profile is None and settings.base_url == "https://env-proxy"
    assert settings.api_key.get_secret_value() == "sk-env" and settings.source == "OPENAI_BASE_URL"
    # without OPENAI_BASE_URL the default profile is used
    settings = load_settings(environ={"HOME_KEY": "sk-home"}, config_path=config)
    assert settings.profile == "home" and settings.source.startswith("default_profile")


def test_without_profiles_the_environment_works_as_before(tmp_path: Path) -> None:
    env = {"OPENAI_BASE_URL": "https://p", "OPENAI_API_KEY": "sk-1"}
    settings = load_settings(environ=env, config_path=tmp_path / "none.toml")
    assert settings.profile is None and settings.profiles == () and settings.key_command is None
    assert settings.label == "p"


def test_unknown_profile_lists_the_known_ones(config: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(profile="nope", environ={}, config_path=config)
    message = info.value.message
    assert "'nope'" in message and "home, work" in message and "\n" not in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ('[profiles.x]\napi_key_env = "K"\n', "profiles.x.base_url"),
        ('[profiles.x]\nbase_url = "https://p"\napi_key_env = "K"\napi_key_command = "c"\n', "not both"),
        ('[profiles.x]\nbase_url = "https://p"\napi_key_env = "sk-123 abc"\n', "NAME of an environment variable"),
        ('[profiles.x]\nbase_url = "https://p"\napi_key_command = "echo \'unclosed"\n', "cannot be split"),
        ('[profiles.x]\nbase_url = "https://p"\napi_key = "sk-inline"\n', "profiles.x.api_key"),
        ('profiles = "x"\n', "profiles"),
    ],
)
def test_bad_profiles_are_one_line(tmp_path: Path, table: str, where: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, config_path=path)
    assert where in info.value.message and "\n" not in info.value.message
    assert "sk-inline" not in info.value.message


# -- the key command ------------------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> tuple[str, ...]:
    path = tmp_path / "key.py"
    path.write_text(body, encoding="utf-8")
    return (sys.executable, str(path))


def test_first_line_of_stdout_is_the_key(tmp_path: Path) -> None:
    command = KeyCommand(script(tmp_path, "print('  sk-line-one  ')\nprint('second line')\n"))
    assert command.key() == "sk-line-one"
    assert command.key() == "sk-line-one" and command.fetches == 1  # kept until refused


def test_a_failing_command_shows_its_stderr_redacted(tmp_path: Path) -> None:
    body = (
        "import sys\nprint('sk-half-issued-key')\n"
        "sys.stderr.write('login expired for sk-half-issued-key\\nrun: sso login\\n')\nsys.exit(3)\n"
    )
    command = KeyCommand(script(tmp_path, body), label="profile 'work': api_key_command")
    with pytest.raises(ConfigError) as info:
        command.key()
    message = info.value.message
    assert "profile 'work': api_key_command" in message and "exit status 3" in message
    assert "login expired" in message and "run: sso login" in message and "\n" not in message
    assert "sk-half-issued-key" not in message


def test_token_like_text_in_stderr_is_redacted_too(tmp_path: Path) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJl"
    body = (
        "import sys\n"
        f"sys.stderr.write('refresh failed: Authorization: Bearer abc.def-123 old sk-previous-key-987654 {jwt}')\n"
        "sys.exit(1)\n"
    )
    with pytest.raises(ConfigError) as info:
        KeyCommand(script(tmp_path, body)).key()
    message = info.value.message
    assert "refresh failed" in message
    for secret in ("abc.def-123", "sk-previous-key-987654", jwt):
        assert secret not in message


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("/nonexistent/key-helper",), "command not found"),
        ((sys.executable, "-c", "pass"), "printed no key"),
    ],
)
def test_command_errors(argv: tuple[str, ...], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        KeyCommand(argv).key()


def test_a_hanging_command_is_killed(tmp_path: Path) -> None:
    command = KeyCommand(script(tmp_path, "import time\ntime.sleep(60)\n"), timeout=0.5)
    with pytest.raises(ConfigError, match=r"gave no key within 0\.5 s"):
        command.key()


def test_stdin_is_not_inherited(tmp_path: Path) -> None:
    body = "import sys\ndata = sys.stdin.read()\nprint('sk-empty-stdin' if data == '' else 'sk-read-something')\n"
    assert KeyCommand(script(tmp_path, body)).key() == "sk-empty-stdin"


def rotating(tmp_path: Path) -> tuple[str, ...]:
    """Hands out a stale key first, then the good one (a counter file)."""
    counter = tmp_path / "count"
    body = (
        "from pathlib import Path\n"
        f"p = Path({str(counter)!r})\n"
        "n = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\n"
        "print('sk-stale-key' if n == 0 else 'sk-good-key')\n"
    )
    return script(tmp_path, body)


def auth_server(seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("authorization", "")
        seen.append(header)
        if header != "Bearer sk-good-key":
            return httpx.Response(401, json={"error": {"message": "token expired"}})
        return httpx.Response(200, json={"data": [{"id": "m"}]})

    return httpx.MockTransport(handle)


@pytest.mark.anyio
async def test_a_401_fetches_the_key_again_and_retries_once(tmp_path: Path) -> None:
    command = KeyCommand(rotating(tmp_path))
    seen: list[str] = []
    async with httpx.AsyncClient(transport=auth_server(seen), auth=CommandAuth(command)) as client:
        response = await client.post("https://p/v1/responses", content=json.dumps({"a": 1}).encode())
        assert response.status_code == 200
        assert seen == ["Bearer sk-stale-key", "Bearer sk-good-key"]
        assert (await client.get("https://p/v1/models")).status_code == 200
    assert command.fetches == 2  # the good key is kept
    assert set(command.secrets()) == {"sk-stale-key", "sk-good-key"}


@pytest.mark.anyio
async def test_a_second_401_is_returned_not_retried_again(tmp_path: Path) -> None:
    command = KeyCommand(script(tmp_path, "print('sk-always-stale')\n"))
    seen: list[str] = []
    async with httpx.AsyncClient(transport=auth_server(seen), auth=CommandAuth(command)) as client:
        response = await client.get("https://p/v1/models")
    assert response.status_code == 401 and len(seen) == 2 and command.fetches == 2


def test_the_sync_flow_refreshes_too(tmp_path: Path) -> None:
    command = KeyCommand(rotating(tmp_path))
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        ok = request.headers["authorization"] == "Bearer sk-good-key"
        return httpx.Response(200 if ok else 401)

    with httpx.Client(transport=httpx.MockTransport(handle), auth=CommandAuth(command)) as client:
        assert client.get("https://p/v1/models").status_code == 200
    assert seen == ["Bearer sk-stale-key", "Bearer sk-good-key"]

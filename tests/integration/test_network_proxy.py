"""Issue 13 §2 and §4 through the real LiteLLM proxy: profiles, a key command that hands out a stale key first,
and ``llmconsole doctor`` (healthy proxy, --probe).

The stale-key tests run a second LiteLLM proxy with a ``custom_auth`` hook (a rotating token: only the current
one is accepted, anything else is LiteLLM's 401 "Authentication Error"). The shared proxy has no database, so
there a wrong key is a 400 "No connected db", not the 401 a rotating token gets in real deployments.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from tests.faultserver import assert_no_secret, cli_env, closed_port, run_cli, write_config
from tests.proxy import litellm_proxy as lp
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import Settings
from llmconsole.core.events import Completed
from llmconsole.core.keycommand import KeyCommand
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.core.proxy.params import MAX_ATTEMPTS_PER_SEND, MAX_REQUESTS_PER_SEND, LearnedParams

GOOD_TOKEN = "sk-rotated-good-token-4242"
STALE_TOKEN = "sk-rotated-stale-token-0001"
LIMITED_TOKEN = "sk-rotated-limited-token-77"
"""Accepted everywhere but on the optional routes /model/info and /key/info (401 there)."""
BASIC_USER, BASIC_PASSWORD = "bob@corp", "p@ss w%rd:x"
"""Accepted as HTTP basic auth (as a reverse proxy in front of LiteLLM would check them)."""
SECRETS = (MASTER_KEY, UPSTREAM_KEY, GOOD_TOKEN, STALE_TOKEN, LIMITED_TOKEN, BASIC_PASSWORD)

CUSTOM_AUTH = f"""
import base64

from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        if base64.b64decode(header[6:]).decode() == {BASIC_USER + ":" + BASIC_PASSWORD!r}:
            return UserAPIKeyAuth(api_key="basic-user")
        raise Exception("wrong user name or password")
    token = api_key.removeprefix("Bearer ").strip()
    if token == {GOOD_TOKEN!r}:
        return UserAPIKeyAuth(api_key=token)
    if token == {LIMITED_TOKEN!r} and not request.url.path.rstrip("/").endswith(("/model/info", "/key/info")):
        return UserAPIKeyAuth(api_key=token)
    raise Exception("token expired")
"""


def cli(*args: str, env: dict[str, str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args, env=env, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    assert_no_secret((result.stdout, result.stderr), SECRETS)
    return result


def doctor_lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """{check name: line}; a probe's name is "probe <model>"."""
    lines: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name = line[13:33].strip() or line[:12].strip()
        if name == "probe":
            name = f"probe {line[34:].split(': ')[0]}"
        lines[name] = line
    return lines


@pytest.fixture(scope="module")
def rotating_proxy(fake_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    if not lp.litellm_executable().exists():
        pytest.fail(lp.missing_proxy_message(), pytrace=False)  # never a silent skip
    workdir = tmp_path_factory.mktemp("litellm-rotating")
    (workdir / "rotating_auth.py").write_text(CUSTOM_AUTH, encoding="utf-8")
    original = lp.build_config

    def with_custom_auth(*args: object, **kwargs: object) -> dict[str, object]:
        config = original(*args, **kwargs)  # type: ignore[arg-type]
        config["general_settings"]["custom_auth"] = "rotating_auth.user_api_key_auth"
        return config

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lp, "build_config", with_custom_auth)
        proxy = lp.start_proxy(fake_upstream, workdir)
    try:
        yield proxy
    finally:
        proxy.stop()


def key_script(tmp_path: Path, *tokens: str) -> tuple[Path, Path]:
    """A key command printing ``tokens`` one per call (the last one again and again); its call counter."""
    counter = tmp_path / "calls"
    script = tmp_path / "print_token.py"
    script.write_text(
        "from pathlib import Path\n"
        f"tokens = {list(tokens)!r}\n"
        f"counter = Path({str(counter)!r})\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        "print(tokens[min(n, len(tokens) - 1)])\n",
        encoding="utf-8",
    )
    return script, counter


def profile_env(tmp_path: Path, base_url: str, script: Path) -> dict[str, str]:
    env = cli_env(tmp_path, None, None)
    env.pop("OPENAI_BASE_URL", None)
    env.pop("OPENAI_API_KEY", None)
    write_config(
        tmp_path,
        f'default_profile = "rotating"\n\n[profiles.rotating]\nbase_url = "{base_url}"\n'
        f"api_key_command = '{sys.executable} {script}'\n\n"
        f'[profiles.down]\nbase_url = "http://127.0.0.1:{closed_port()}"\napi_key_env = "DOWN_KEY"\n',
    )
    return env


def test_a_rotating_token_from_a_key_command(
    rotating_proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """One test (one extra proxy per xdist worker at most): -p, a token refused twice, doctor."""
    # -p: the stale token is refused (401), the command runs once more, the request is sent again once
    home = tmp_path / "stale-first"
    home.mkdir()
    script, counter = key_script(home, STALE_TOKEN, GOOD_TOKEN)
    env = profile_env(home, rotating_proxy.base_url, script)
    result = cli("-p", "Say hello", "--model", "gpt-5.2", "--no-history", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert counter.read_text() == "2"  # the stale token, then one fresh one after the 401
    assert len(upstream.requests_for("gpt-5.2", "responses")) == 1

    # doctor with the same kind of command: the key line, then /v1/models after the refresh
    home = tmp_path / "doctor"
    home.mkdir()
    script, counter = key_script(home, STALE_TOKEN, GOOD_TOKEN)
    result = cli("doctor", env=profile_env(home, rotating_proxy.base_url, script))
    lines = doctor_lines(result)
    assert result.returncode == 0, result.stdout
    assert "profile 'rotating' (default_profile" in lines["configuration"]
    assert lines["key"].startswith("ok") and "api_key_command (python" in lines["key"]
    assert lines["/v1/models"].startswith("ok")

    # a command that only has stale tokens: fetched again once, never in a loop; one line, exit 4
    home = tmp_path / "always-stale"
    home.mkdir()
    script, counter = key_script(home, STALE_TOKEN)
    result = cli("--list-models", env=profile_env(home, rotating_proxy.base_url, script))
    assert result.returncode == 4
    assert len(result.stderr.splitlines()) == 1 and "401" in result.stderr
    assert counter.read_text() == "2"


def test_profiles_select_and_an_unknown_one_lists_the_known(proxy: LiteLLMProxy, tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    env.pop("OPENAI_BASE_URL", None)
    env.update({"LOCAL_KEY": proxy.master_key, "LLMCONSOLE_PROFILE": "local"})
    write_config(
        tmp_path,
        f'[profiles.local]\nbase_url = "{proxy.base_url}/v1"\napi_key_env = "LOCAL_KEY"\n\n'
        f'[profiles.down]\nbase_url = "http://127.0.0.1:{closed_port()}"\napi_key_env = "LOCAL_KEY"\n',
    )
    result = cli("--list-models", "--json", env=env)
    assert result.returncode == 0 and '"gpt-5.2"' in result.stdout
    result = cli("--list-models", "--profile", "down", env=env)
    assert result.returncode == 4 and "cannot connect" in result.stderr
    result = cli("--list-models", "--profile", "nope", env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"llmconsole: unknown profile 'nope' (from --profile); known profiles in {tmp_path / 'config' / 'config.toml'}"
        ": down, local"
    ]
    env.pop("LOCAL_KEY")
    result = cli("--list-models", env=env)
    assert result.returncode == 2 and "LOCAL_KEY is not set (profile 'local')" in result.stderr


def test_doctor_against_the_healthy_proxy(proxy: LiteLLMProxy, tmp_path: Path) -> None:
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = cli("doctor", env=env)
    lines = doctor_lines(result)
    assert result.returncode == 0, result.stdout
    for name in ("configuration", "key", "URL", "proxy", "DNS", "TCP connect", "/v1/models"):
        assert lines[name].startswith("ok"), lines[name]
    assert lines["TLS handshake"].startswith("skip")  # plain http on loopback
    assert lines["/model/info"].startswith("ok")
    assert lines["/key/info"].startswith("not offered") and "no database" in lines["/key/info"]
    assert lines["/utils/token_counter"].startswith("ok")
    assert "every required one passed" in lines["done"]


def test_doctor_probe(proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path) -> None:
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    result = cli("doctor", "--probe", "gpt-5.2", "claude-opus-4-6", env=env)
    lines = doctor_lines(result)
    assert result.returncode == 0, result.stdout
    for model in ("gpt-5.2", "claude-opus-4-6"):
        line = lines[f"probe {model}"]
        assert line.startswith("ok") and "/v1/responses" in line and "total" in line and "ms" in line
    sent = upstream.last_for("gpt-5.2", "responses").body
    assert sent["max_output_tokens"] == 16

    result = cli("doctor", "--probe", "no-such-model", env=env)
    assert result.returncode == 4 and doctor_lines(result)["probe no-such-model"].startswith("fail")


class CountingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that counts every request (method and path) it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_requests_per_send_with_a_key_command(
    rotating_proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """The stale token is refused (401), then three fields (400): every request of the send is counted, the key
    command runs again once, and the send completes in MAX_REQUESTS_PER_SEND requests."""
    script, counter = key_script(tmp_path, STALE_TOKEN, GOOD_TOKEN)
    upstream.script("gpt-5.2", Behaviour.reject("store,prompt_cache_key,max_output_tokens", style="openai"))
    transport = CountingTransport()
    settings = Settings(base_url=rotating_proxy.base_url, key_command=KeyCommand((sys.executable, str(script))))
    model = ModelInfo(id="gpt-5.2", max_output_tokens=200, sources={"endpoint": "config"})
    conversation = Conversation()
    conversation.add_user("Say hello")
    params = LearnedParams(tmp_path / "params.json")
    async with ProxyClient(settings, transport=transport, learned=params) as client:
        with anyio.fail_after(60):
            events = [e async for e in client.stream_response(model, conversation.to_request())]
    assert isinstance(events[-1], Completed), events[-1]
    assert transport.sent == [("POST", "/v1/responses")] * MAX_REQUESTS_PER_SEND
    assert counter.read_text() == "2"
    assert len(upstream.requests_for("gpt-5.2", "responses")) == MAX_ATTEMPTS_PER_SEND  # the 401 never got there


@pytest.mark.anyio
async def test_a_401_from_optional_routes_does_not_rerun_the_key_command(
    rotating_proxy: LiteLLMProxy, tmp_path: Path
) -> None:
    script, counter = key_script(tmp_path, LIMITED_TOKEN, GOOD_TOKEN)
    transport = CountingTransport()
    settings = Settings(base_url=rotating_proxy.base_url, key_command=KeyCommand((sys.executable, str(script))))
    async with ProxyClient(settings, transport=transport, learned=LearnedParams(tmp_path / "p.json")) as client:
        with anyio.fail_after(60):
            models = await client.discover()
            assert await client.key_info() is None  # refused: no alias, spend or budget
    assert "gpt-5.2" in [m.id for m in models] and client.has_model_info is False
    assert [path for _, path in transport.sent] == ["/v1/models", "/v1/model/info", "/model/info", "/key/info"]
    assert counter.read_text() == "1"


def test_url_credentials_are_decoded_and_enough_without_a_key(
    rotating_proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """``user:password@`` in OPENAI_BASE_URL, %-escaped as a URL needs: sent decoded as basic auth, and no
    OPENAI_API_KEY is needed (the proxy's custom auth checks the decoded pair)."""
    from urllib.parse import quote

    host = rotating_proxy.base_url.split("://", 1)[1]
    url = f"http://{quote(BASIC_USER, safe='')}:{quote(BASIC_PASSWORD, safe='')}@{host}/v1"
    assert "%40" in url and "%25" in url
    env = cli_env(tmp_path, url, None)
    result = cli("-p", "Say hello", "--model", "gpt-5.2", "--no-history", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert upstream.requests_for("gpt-5.2", "responses")
    wrong = cli_env(tmp_path, url.replace("%40corp", "%40other"), None)
    refused = cli("--list-models", env=wrong)
    assert refused.returncode == 4 and "401" in refused.stderr


def test_a_key_command_with_a_tilde_and_a_variable(rotating_proxy: LiteLLMProxy, tmp_path: Path) -> None:
    """``api_key_command = "python ~/print_token.py --team $TEAM"``: expanded as a shell would, run without one."""
    script, counter = key_script(tmp_path, GOOD_TOKEN)
    env = cli_env(tmp_path, None, None, HOME=str(tmp_path), TEAM_H17="blue team")
    env.pop("OPENAI_BASE_URL", None)
    env.pop("OPENAI_API_KEY", None)
    script.write_text(  # the script checks the words it got: ~ expanded, the variable one word with its space
        script.read_text(encoding="utf-8")
        + "import sys\nassert sys.argv[1:] == ['--team', 'blue team', '$TEAM_H17'], sys.argv\n",
        encoding="utf-8",
    )
    write_config(
        tmp_path,
        f'default_profile = "r"\n\n[profiles.r]\nbase_url = "{rotating_proxy.base_url}"\n'
        f'api_key_command = "{sys.executable} ~/{script.name} --team \\"$TEAM_H17\\" \'$TEAM_H17\'"\n',
    )
    result = cli("--list-models", env=env)
    assert result.returncode == 0, result.stderr
    assert "gpt-5.2" in result.stdout and counter.read_text() == "1"

"""Configuration problems through the real LiteLLM proxy: a password in the URL goes nowhere it could be read,
an unreadable ``@image`` sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.faultserver import cli_env, run_cli
from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.litellm_proxy import LiteLLMProxy

pytestmark = pytest.mark.proxy

PASSWORD = "pa55-w0rd-secret"


def every_file_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("command", [["-p", "Say hello", "--model", "gpt-5.2", "--debug"], ["--list-models"]])
def test_password_in_the_url_is_never_shown_logged_or_cached(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path, command: list[str]
) -> None:
    url = proxy.base_url.replace("http://", f"http://bob:{PASSWORD}@") + "/v1"
    env = cli_env(tmp_path, url, proxy.master_key + "\n")  # the newline is stripped, the key still works
    result = run_cli(*command, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert PASSWORD not in every_file_text(tmp_path)  # model cache, learned parameters, history
    if command[0] == "-p":
        assert upstream.last_for("gpt-5.2", "responses") is not None


def test_p_with_an_unreadable_image_sends_nothing(proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path) -> None:
    env = cli_env(tmp_path, proxy.base_url, proxy.master_key)
    missing = tmp_path / "gone.png"
    result = run_cli("-p", f"what is in @{missing}", "--model", "gpt-5.2", env=env, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"llmconsole: cannot attach {missing}: no such file"]
    assert upstream.requests_for("gpt-5.2", "responses") == []

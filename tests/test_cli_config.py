"""Bad configuration through the real command: one line on stderr, exit 2, never a traceback, no password."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faultserver import cli_env, run_cli

PASSWORD = "pa55-w0rd-secret"
BAD_URLS = [
    "http://[::1",
    f"https://bob:{PASSWORD}@[::1",
    "http://localhost:99999",
    "http://localhost:abc",
    "http://local host:4000",
    "ftp://proxy.example",
    "http://",
]
COMMANDS = [["-p", "hi"], ["--list-models"], ["--list-models", "--json"], []]  # [] is the console


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "console")
def test_malformed_url_is_one_line_and_exit_2(tmp_path: Path, url: str, command: list[str]) -> None:
    env = cli_env(tmp_path, url, "sk-key-123456")
    result = run_cli(*command, env=env, stdin="", timeout=30)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmconsole: OPENAI_BASE_URL "), result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert result.stdout == ""


def test_history_does_not_need_the_url(tmp_path: Path) -> None:
    result = run_cli("history", "list", env=cli_env(tmp_path, "http://[::1", "k"), timeout=30)
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_p_with_an_unreadable_image_names_it_and_exits_2(tmp_path: Path) -> None:
    result = run_cli("--demo", "-p", "what is in @gone.png", "--no-history", env=cli_env(tmp_path, None, None))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"llmconsole: cannot attach {Path.cwd() / 'gone.png'}: no such file"]


def test_demo_refusal_and_content_filter_with_p(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None, None)
    refused = run_cli("--demo", "-p", "refuse", env=env)
    assert refused.returncode == 0 and refused.stdout == "I'm sorry, but I can't help with that request.\n"
    assert refused.stderr.splitlines() == ["llmconsole: the model refused (its refusal is the reply)"]
    filtered = run_cli("--demo", "-p", "filter", env=env)
    assert filtered.returncode == 0 and filtered.stdout.strip()
    assert filtered.stderr.splitlines() == ["llmconsole: reply stopped by the content filter"]
    shown = run_cli("history", "--demo", "show", "last", env=env)
    assert "_(stopped by the content filter)_" in shown.stdout

"""``llmconsole tools`` without a proxy: local servers from config.toml, and nothing to list."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.faultserver import cli_env, run_cli
from tests.proxy.litellm_proxy import MCP_TOOL_SERVER


def config(home: Path, servers: dict[str, list[str]]) -> None:
    folder = home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    tables = [
        f"[mcp.servers.{name}]\ncommand = {json.dumps(command)}\nargs = {json.dumps(args)}\n"
        for name, (command, *args) in servers.items()
    ]
    (folder / "config.toml").write_text("\n".join(tables))


def test_nothing_to_list_is_exit_2_and_one_line(tmp_path: Path) -> None:
    result = run_cli("tools", env=cli_env(tmp_path, None, None), timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("llmconsole: no tools to list: export OPENAI_BASE_URL")
    assert result.stderr.count("\n") == 1


def test_local_servers_are_listed_and_a_broken_one_is_one_line(tmp_path: Path) -> None:
    config(
        tmp_path,
        {"calc": [sys.executable, str(MCP_TOOL_SERVER), "calc"], "broken": [str(tmp_path / "missing-program")]},
    )
    env = cli_env(tmp_path, None, None, COLUMNS="60")
    result = run_cli("tools", env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SERVER", "TOOL", "DESCRIPTION"] and len(lines) == 7
    add = next(line for line in lines if " add " in line)
    assert add.split()[:3] == ["calc", "(local)", "add"] and add.endswith("Add two integers.")
    assert all(len(line) <= 60 for line in lines)  # descriptions cut to the terminal
    assert result.stderr.startswith("llmconsole: local server broken: ")
    assert result.stderr.count("\n") == 1
    as_json = json.loads(run_cli("tools", "--json", env=env, timeout=60).stdout)
    echo = next(t for t in as_json if t["name"] == "echo")
    assert echo == {
        "server": "calc",
        "server_id": None,
        "source": "local",
        "name": "echo",
        "description": "Echo the text back.",
        "input_schema": echo["input_schema"],
    }
    assert echo["input_schema"]["properties"]["text"]["type"] == "string"

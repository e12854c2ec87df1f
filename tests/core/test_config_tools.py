"""config.toml's tool settings: ``[mcp.servers.NAME]``, ``tools``, ``max_tool_rounds``, ``tool_timeout``."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmconsole.core.config import McpServerConfig, load_settings
from llmconsole.core.errors import ConfigError


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(environ={}, config_path=path)


def test_tool_settings_and_local_servers(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        'tools = ["calc/add", "files", "calc/add"]\nmax_tool_rounds = 3\ntool_timeout = 2.5\n'
        '[mcp.servers.files]\ncommand = "npx"\nargs = ["-y", "@mcp/fs", "/tmp"]\nenv = { ROOT = "/tmp" }\n'
        '[mcp.servers.calc]\ncommand = "uvx"\n',
    )
    assert settings.tools == ("calc/add", "files")
    assert (settings.max_tool_rounds, settings.tool_timeout) == (3, 2.5)
    assert settings.mcp_servers == {
        "files": McpServerConfig("npx", ("-y", "@mcp/fs", "/tmp"), {"ROOT": "/tmp"}),
        "calc": McpServerConfig("uvx"),
    }


def test_defaults_offer_no_tools(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert (settings.tools, settings.mcp_servers, settings.max_tool_rounds, settings.tool_timeout) == ((), {}, 8, 60.0)
    assert load(tmp_path, 'tools = "all"\n').tools == ("all",)
    assert load(tmp_path, 'tools = ["add", "all"]\n').tools == ("all",)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("tools = 3\n", "tools"),
        ("tools = [1]\n", "tools"),
        ("max_tool_rounds = 0\n", "max_tool_rounds"),
        ("max_tool_rounds = true\n", "max_tool_rounds"),
        ("tool_timeout = -1\n", "tool_timeout"),
        ("[mcp]\nserver = 1\n", "mcp.server"),
        ("[mcp.servers.x]\nargs = []\n", "mcp.servers.x.command"),
        ('[mcp.servers.x]\ncommand = "a"\nargs = "b"\n', "mcp.servers.x.args"),
        ('[mcp.servers.x]\ncommand = "a"\nenv = { A = 1 }\n', "mcp.servers.x.env"),
        ('[mcp.servers.x]\ncommand = "a"\nurl = "http://x"\n', "mcp.servers.x.url"),
        ('[mcp.servers."a/b"]\ncommand = "a"\n', "mcp.servers.a/b"),
    ],
)
def test_bad_tool_settings_are_one_line_naming_the_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert f": {where}: " in str(info.value) and "\n" not in str(info.value)

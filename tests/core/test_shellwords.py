"""``api_key_command`` is split and expanded as a POSIX shell would, without a shell: checked against a real
``sh`` on every line below (``printf '%s\\0'`` prints the words it would pass)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from llmconsole.core.profiles import choose_profile, parse_profiles
from llmconsole.core.shellwords import split_words

ENV = {"HOME": "/home/ann", "TEAM": "blue team", "EMPTY": "", "TOKEN_DIR": "/run/tok", "X": "x"}

LINES = [
    "lite auth print-token",
    "~/bin/lite auth",
    "~ ~/a ~x/b a~ '~/q' \"~/q\" \\~/q",
    "lite --team $TEAM",
    'lite --team "$TEAM"',
    "lite --team '$TEAM'",
    "lite --dir ${TOKEN_DIR}/key \\$TOKEN_DIR",
    "lite $EMPTY \"$EMPTY\" ''",
    "lite $UNSET_VARIABLE_H17 end",
    "a\"b\"c d'e'f",
    "lite --x=$X$X ${X}y $X-z",
    'printf "%s\\n" "a\\"b" "a\\$b" "a\\qb"',
    "lite $ a$ end$",
    "trailing \\",
    "  spaced   out\t words  ",
]


def sh_words(line: str, env: dict[str, str]) -> list[str]:
    shell = shutil.which("sh")
    assert shell is not None
    out = subprocess.run(
        [shell, "-c", f"printf '%s\\0' START {line}"], capture_output=True, env=env, check=True, timeout=10
    ).stdout.decode()
    return out.split("\0")[1:-1]


@pytest.mark.parametrize("line", LINES)
def test_words_are_those_a_shell_would_pass(line: str) -> None:
    assert list(split_words(line, ENV)) == sh_words(line, {**ENV, "PATH": os.environ.get("PATH", "")})


def test_tilde_of_another_user_and_errors() -> None:
    assert split_words("~root/x", {})[0] == os.path.expanduser("~root/x")
    assert split_words("cat $TOKEN_DIR/key | head", ENV) == ("cat", "/run/tok/key", "|", "head")  # no shell: no pipe
    for bad in (
        "echo 'open",
        'echo "open',
        "",
        "   ",
        "$EMPTY",
        "a ${}",
        "a ${1x}",
        "a ${X:-d}",
        "${X",
        "a $1",
        "$$",
        "$?",
    ):
        with pytest.raises(ValueError):
            split_words(bad, ENV)


_pieces = st.sampled_from(
    ["a", "b1", " ", "  ", "\t", "'", '"', "\\", "$", "$X", "$TEAM", "${X}", "$EMPTY", "~", "/", "-", "=", "x y"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=12))
def test_any_line_splits_as_a_shell_would(pieces: list[str]) -> None:
    line = "".join(pieces)
    assume(not any(line[i] == "$" and line[i + 1] in "0123456789-$?#@*!" for i in range(len(line) - 1)))
    env = {**ENV, "PATH": os.environ.get("PATH", "")}
    try:
        expected = sh_words(line, env)
    except subprocess.CalledProcessError:
        with pytest.raises(ValueError):
            split_words(line, ENV)
        return
    try:
        got = list(split_words(line, ENV))
    except ValueError:
        assert expected == []  # nothing to run
        return
    assert got == expected, line


def test_a_profile_runs_its_command_with_home_and_variables_expanded(tmp_path: Path) -> None:
    import sys

    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "key.py"
    script.write_text("import sys\nprint('sk-' + sys.argv[1])\n", encoding="utf-8")
    profiles = parse_profiles(
        {"work": {"base_url": "https://p.example", "api_key_command": f"{sys.executable} ~/bin/key.py $TEAM_ID"}}
    )

    class File:
        default_profile = None

    file = File()
    file.profiles = profiles  # type: ignore[attr-defined]
    choice = choose_profile(file, flag="work", base_url=None, environ={"HOME": str(home), "TEAM_ID": "42"})
    assert choice.key_command is not None
    assert choice.key_command.argv == (sys.executable, str(script), "42")
    assert choice.key_command.key() == "sk-42"


def test_a_command_that_expands_to_nothing_is_one_configuration_line() -> None:
    from llmconsole.core.errors import ConfigError

    class File:
        default_profile = None

    file = File()
    file.profiles = parse_profiles({"w": {"base_url": "https://p.example", "api_key_command": "$KEY_TOOL_H17"}})  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="profile 'w': api_key_command: the command is empty once expanded"):
        choose_profile(file, flag="w", base_url=None, environ={})

"""The README's two commands never bite: the test script keeps out of the console's venv."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST_SH = REPO / "scripts" / "test.sh"


def install_venv() -> str:
    """The venv the README's install-and-run command creates (`python3 -m venv X && X/bin/pip install ...`)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"python3 -m venv (\S+) && \1/bin/pip install", readme)
    assert match, "README lost its install-and-run command"
    return match.group(1)


def test_test_script_uses_its_own_venv() -> None:
    script = TEST_SH.read_text(encoding="utf-8")
    default = re.search(r"VENV=\$\{LLMCONSOLE_TEST_VENV:-([^}]+)\}", script)
    assert default, "scripts/test.sh lost its venv default"
    assert default.group(1) != install_venv()
    # no command in the script touches the console's venv (only comments may name it)
    commands = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(rf"(?<![\w-]){re.escape(install_venv())}(?![\w-])", commands)
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert f"{default.group(1)}/" in ignored and f"{install_venv()}/" in ignored


def test_test_script_is_valid_bash() -> None:
    assert subprocess.run(["bash", "-n", str(TEST_SH)], capture_output=True).returncode == 0
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / "start-proxy-venv.sh")]).returncode == 0


def test_proxy_venv_script_prints_an_absolute_venv_as_given(tmp_path: Path) -> None:
    """An absolute LLMCONSOLE_PROXY_VENV (a shared proxy venv) is printed as is, not glued to the repo path."""
    bin_dir = tmp_path / "proxy-venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("litellm", "python"):  # a venv that passes the script's check without installing anything
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / name).chmod(0o755)
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "start-proxy-venv.sh")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LLMCONSOLE_PROXY_VENV": str(tmp_path / "proxy-venv")},
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == str(bin_dir / "litellm")

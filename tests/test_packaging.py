"""The wheel ships the stylesheets inside the package, and the app finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_the_styles_and_the_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("llmconsole-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for sheet in (ROOT / "styles").glob("*.tcss"):
        assert f"llmconsole/styles/{sheet.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "llmconsole = llmconsole.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_app_finds_packaged_styles_first(tmp_path: Path) -> None:
    # A package folder laid out like an installed wheel: llmconsole/ui/app.py next to llmconsole/styles/.
    from llmconsole.ui import app as app_module

    package = tmp_path / "llmconsole"
    (package / "ui").mkdir(parents=True)
    (package / "styles").mkdir()
    fake_app = package / "ui" / "app.py"
    fake_app.write_text("")
    original = app_module.__file__
    try:
        app_module.__file__ = str(fake_app)
        assert app_module._styles_dir() == package / "styles"
    finally:
        app_module.__file__ = original
    assert (app_module.STYLES_DIR / "main.tcss").is_file()

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
    from llmconsole.ui import styles

    package = tmp_path / "llmconsole"
    (package / "ui").mkdir(parents=True)
    (package / "styles").mkdir()
    fake_module = package / "ui" / "styles.py"
    fake_module.write_text("")
    original = styles.__file__
    try:
        styles.__file__ = str(fake_module)
        assert styles.styles_dir() == package / "styles"
    finally:
        styles.__file__ = original
    for path in (*styles.APP_CSS, styles.MODALS_CSS, styles.COMPARE_CSS):
        assert path.is_file(), path

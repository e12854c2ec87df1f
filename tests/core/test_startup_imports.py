"""Startup stays light: what the console has imported when its first screen paints, and the sidebar's fast
measurement of its entries (the same heights as Textual's own)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = (
    *("httpx", "sqlite3", "markdown_it", "pygments", "rich.markdown", "llmconsole.core.store.history", "pydantic"),
    *("mcp", "llmconsole.core.chat.toolbox"),
)
"""Modules the first frame must not wait for: the HTTP client, the history, the Markdown renderer, pydantic, the
tools (the MCP SDK, the toolbox)."""

# Runs ``llmconsole`` (no arguments: the console) headless; at the first frame it prints what is imported.
_PROBE = textwrap.dedent(
    """
    import json, sys
    from textual.app import App

    HEAVY = json.loads(sys.argv[1])
    seen = {}
    original_display = App._display

    def _display(app, screen, renderable):
        original_display(app, screen, renderable)
        if renderable is not None and not seen:
            seen["screen"] = type(screen).__name__
            seen["imported"] = sorted(name for name in HEAVY if name in sys.modules)
            app.exit()

    App._display = _display
    original_run = App.run
    App.run = lambda self, **kwargs: original_run(self, headless=True, size=(120, 40))

    from llmconsole.cli import main

    code = main([])
    print(json.dumps({**seen, "code": code}))
    """
)


def _first_frame(tmp_path: Path, *extra_args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
    env.update(
        OPENAI_BASE_URL="http://127.0.0.1:9",  # nothing listens: discovery fails, after the first frame
        OPENAI_API_KEY="sk-startup-probe",
        LLMCONSOLE_DATA_DIR=str(tmp_path / "data"),
        LLMCONSOLE_CONFIG_DIR=str(tmp_path / "config"),
    )
    env.pop("TEXTUAL", None)
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), *extra_args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_first_frame_imports_nothing_heavy(tmp_path: Path) -> None:
    result = _first_frame(tmp_path)
    assert result["screen"] == "MainScreen"
    assert result["imported"] == [], f"imported before the first frame: {result['imported']}"
    assert result["code"] == 0


def test_history_is_opened_after_the_first_paint(tmp_path: Path) -> None:
    """The console still gets its history: the database exists once the app has run."""
    _first_frame(tmp_path)
    assert any((tmp_path / "data").rglob("*.sqlite*")) or any((tmp_path / "data").rglob("*.db")), list(
        (tmp_path / "data").rglob("*")
    )


# ----------------------------------------------------------------------------------------------------
# The sidebar's entries: ModelPrompt.get_height gives what Content.get_height gives, without wrapping


def _models() -> list[object]:
    from llmconsole.core.proxy.models import ModelInfo

    base = ModelInfo(id="x")
    ids = [
        "gpt-4o",
        "anthropic/claude-3-5-sonnet-20241022",
        "databricks/databricks-meta-llama-3-1-405b-instruct",
        "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "a" * 80,
        "with space/model name",
        "ünïcode/中文-模型-with-wide-cells-0123456789",
        "acme/[bold]x",
        "tab\tin/id",
        "new\nline",
        "bell\x07code",
        "",
    ]
    models = []
    for index, model_id in enumerate(ids):
        models.append(
            dataclasses.replace(
                base,
                id=model_id,
                reasoning=bool(index % 2),
                images=bool(index % 3),
                context_window=[8_192, 200_000, 1_048_576][index % 3],
                max_output_tokens=[4_096, 32_000, 65_536][index % 3],
            )
        )
    return models


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"text_overflow": "ellipsis"},
        {"text_overflow": "clip"},
        {"text_wrap": "nowrap"},
        {"text_wrap": "nowrap", "text_overflow": "ellipsis"},
        {"text_wrap": "nowrap", "text_overflow": "clip"},
        {"text_wrap": "nowrap", "line_pad": 1},
        {"line_pad": 1},
    ],
    ids=["default", "ellipsis", "clip", "nowrap", "nowrap-ellipsis", "nowrap-clip", "nowrap-line-pad", "line-pad"],
)
def test_model_prompt_heights_match_textual(rules: dict[str, object]) -> None:
    from textual.content import Content
    from textual.css.styles import Styles

    from llmconsole.ui.widgets.formatting import model_badges, model_option_prompt

    styles = Styles()
    for name, value in rules.items():
        setattr(styles, name, value)
    for model in _models():
        for current in (False, True):
            marker = ("● ", "$success") if current else "  "
            expected = Content.assemble(marker, (model.id, "bold" if current else ""), "\n  ", model_badges(model))  # type: ignore[attr-defined]
            prompt = model_option_prompt(model, current=current)  # type: ignore[arg-type]
            assert prompt.plain == expected.plain
            assert prompt.spans == expected.spans
            for width in [*range(3, 70), 31, 5, 31]:  # repeated widths: the one-entry cache stays right
                assert prompt.get_height(styles, width) == expected.get_height(styles, width), (model.id, width)


# ----------------------------------------------------------------------------------------------------
# Files kept per proxy are named by a SHA-256 of its URL: the built-in digest is hashlib's, byte for byte
# (a different name would lose the model cache and the learned parameters of every proxy).


@pytest.mark.parametrize(
    "base_url", ["", "http://127.0.0.1:4000", "https://proxy.example.com/v1", "https://ü.example/"]
)
def test_proxy_file_names_are_hashlib_sha256(base_url: str) -> None:
    import hashlib

    from llmconsole.core import paths

    expected = hashlib.sha256(base_url.encode()).hexdigest()
    assert paths._sha256_hex(base_url.encode()) == expected
    assert paths.proxy_file("models", base_url).name == f"models-{expected[:16]}.json"

"""``--list-models`` fitted to the terminal: ids never cut, least useful columns left out first, --json as is."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from llmconsole.core.demo import DEMO_MODELS
from llmconsole.core.proxy.models import ModelInfo
from llmconsole.model_table import COLUMNS, DROP_ORDER, render_models, terminal_width

CHAT_IDS = list(dict.fromkeys(m.id for m in DEMO_MODELS if m.mode != "embedding"))


def cli(*args: str, columns: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "COLUMNS")}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-m", "llmconsole", "--demo", *args], capture_output=True, text=True, env=env, timeout=60
    )


def id_cells(table: str) -> list[str]:
    """The first column's cells, with folded continuation lines joined back (a new id starts a new row)."""
    cells: list[str] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        parts = line.split("│")
        first, rest = parts[1].strip(), [p.strip() for p in parts[2:-1]]
        if cells and (not rest or not any(rest)):  # a continuation line of a folded id (other cells empty)
            cells[-1] += first
        else:
            cells.append(first)
    return cells


def headers(table: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.split("┃")[1:-1]]


@pytest.mark.parametrize("columns", ["60", "80", "120"])
def test_table_fits_the_terminal_and_keeps_every_id_whole(columns: str) -> None:
    result = cli("--list-models", columns=columns)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.rstrip("\n").splitlines()
    assert max(len(line.rstrip()) for line in lines) <= int(columns)
    assert "…" not in result.stdout
    assert id_cells(result.stdout) == CHAT_IDS
    shown = headers(result.stdout)
    assert shown[0] == "model"
    left_out = sorted((c.header for c in COLUMNS if c.header not in shown), key=DROP_ORDER.index)
    assert left_out == list(DROP_ORDER[: len(left_out)])  # the least useful ones went first
    if left_out:
        assert f"not shown at {columns} columns: {', '.join(left_out)}" in " ".join(" ".join(lines).split())
    for cell in ("2…", "$…"):
        assert cell not in result.stdout


def test_narrower_terminals_show_fewer_columns() -> None:
    counts = [len(headers(cli("--list-models", columns=c).stdout)) for c in ("60", "80", "120")]
    assert counts[0] < counts[1] < counts[2]
    assert counts[2] <= len(COLUMNS) + 1
    assert "context" in headers(cli("--list-models", columns="60").stdout)  # the most useful column stays


def test_piped_without_columns_is_never_squeezed() -> None:
    result = cli("--list-models", columns=None)
    assert headers(result.stdout) == ["model", *(c.header for c in COLUMNS)]
    assert "not shown" not in result.stdout


def test_json_ignores_the_width() -> None:
    narrow, wide = cli("--list-models", "--json", columns="60"), cli("--list-models", "--json", columns=None)
    assert narrow.stdout == wide.stdout
    assert [m["id"] for m in json.loads(narrow.stdout)] == CHAT_IDS


@pytest.mark.parametrize("width", [36, 60, 80])
def test_an_id_longer_than_its_room_folds_and_is_printed_whole(width: int) -> None:
    long_id = "azure/very-long-deployment-name-for-gpt-5.2-chat-2025-12-11-eastus2-ptu"
    models = [ModelInfo(id=long_id), *(ModelInfo(id=f"claude-sonnet-4-{i}") for i in range(9))]
    out = io.StringIO()
    dropped = render_models(models, "Models at proxy", out, width)
    text = out.getvalue()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    if dropped == list(DROP_ORDER):  # the id column alone: folded lines cannot be told from rows, join them all
        assert "".join(id_cells(text)) == "".join(m.id for m in models)
    else:
        assert id_cells(text) == [m.id for m in models]
    # one outlier id does not cost the others their columns: they stay on one line next to "context"
    assert "context" not in dropped


def test_terminal_width_prefers_columns() -> None:
    assert terminal_width(io.StringIO(), {"COLUMNS": "77"}) == 77
    assert terminal_width(io.StringIO(), {"COLUMNS": "junk"}) is None  # piped, no usable COLUMNS: no limit
    assert terminal_width(io.StringIO(), {}) is None

"""Smoke test of the tool-round bench (issue 19): two rounds through the session and a real local MCP server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.tool_bench import measure_tool_rounds  # noqa: E402

pytestmark = pytest.mark.anyio


async def test_the_tool_round_bench_measures_each_part() -> None:
    result = await measure_tool_rounds(rounds=2)
    assert result["rounds"] == 2
    for key in ("approval_ms", "next_request_ms", "call_ms"):
        assert result[key] > 0, key

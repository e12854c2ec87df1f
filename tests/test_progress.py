"""``doctor --probe``'s reporting (llmconsole/progress.py, issue 20 item 11): at most ``limit`` jobs at once, each
line as soon as it and the ones before it are done, in the jobs' order, and a live line on a terminal only.

The jobs are fakes that finish when the test says (events), so "as soon as" is checked as an order of events:
the first job's line is out while the second still runs (its release waits for that line), never by timing.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

import anyio
import pytest

from llmconsole.progress import LiveLine, run_in_order

pytestmark = pytest.mark.anyio


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def gated(name: str, gate: asyncio.Event, running: list[str], peak: list[int]) -> Callable[[], Awaitable[str]]:
    async def job() -> str:
        running.append(name)
        peak.append(len(running))
        try:
            await gate.wait()
        finally:
            running.remove(name)
        return f"{name} done"

    return job


async def test_lines_come_in_order_as_soon_as_they_can_with_a_bound() -> None:
    names = [f"m{i}" for i in range(7)]
    gates = {name: asyncio.Event() for name in names}
    running: list[str] = []
    peak: list[int] = []
    emitted: list[str] = []

    def emit(line: str) -> None:
        emitted.append(line)
        if line == "m0 done":
            gates["m1"].set()  # the slow second job ends only once the first line is out

    jobs = [(name, gated(name, gates[name], running, peak)) for name in names]

    async def release_when_full() -> None:
        while len(running) < 3:
            await asyncio.sleep(0.01)
        for _ in range(10):
            await asyncio.sleep(0)
        assert sorted(running) == ["m0", "m1", "m2"]  # started in order, and no fourth while three run
        for name in names[2:]:
            gates[name].set()  # the later ones end at once, but wait for m1's line to be printed after it
        gates["m0"].set()

    with anyio.fail_after(10):
        await asyncio.gather(run_in_order(jobs, emit, limit=3), release_when_full())
    assert emitted == [f"{name} done" for name in names]
    assert max(peak) == 3


async def test_a_terminal_gets_a_live_line_of_what_runs_and_it_is_cleared() -> None:
    out = Terminal()
    live = LiveLine.for_stream(out)
    assert live is not None and LiveLine.for_stream(io.StringIO()) is None  # a pipe or file: no live line
    slow = asyncio.Event()
    running: list[str] = []
    seen: list[str] = []

    def emit(line: str) -> None:
        out.write(line + "\n")

    async def watch() -> None:
        while "probing slow" not in out.getvalue():
            await asyncio.sleep(0.01)
        seen.append(out.getvalue())
        slow.set()

    quick = asyncio.Event()
    quick.set()
    jobs = [("quick", gated("quick", quick, running, [])), ("slow", gated("slow", slow, running, []))]
    with anyio.fail_after(10):
        await asyncio.gather(run_in_order(jobs, emit, live=live, what="probing"), watch())
    assert seen and seen[0].startswith("quick done\n")  # printed, then the live line under it
    text = out.getvalue()
    assert text.endswith("\r\x1b[2Kslow done\n")  # the live line cleared before the last line, none after
    lines = text.replace("\r\x1b[2K", "\n").split("\n")
    assert [line for line in lines if line.endswith("done")] == ["quick done", "slow done"]

"""Concurrent jobs reported one line each, in a stable order, as soon as they can be (``doctor --probe``).

:func:`run_in_order` runs at most ``limit`` jobs at once and hands each result to ``emit`` as soon as it and every
job before it have finished: the lines come out in the order the jobs were given, whatever order they finish in.
On a terminal, a :class:`LiveLine` under them says what is still running (rewritten in place, cleared before each
line and at the end); elsewhere (a pipe, a file) nothing but the lines is written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TextIO, TypeVar

T = TypeVar("T")

TICK_S = 0.5
"""How often the live line's clock moves."""
_CLEAR = "\r\x1b[2K"


class LiveLine:
    """One line at the bottom of a terminal, rewritten in place (nothing on anything else)."""

    def __init__(self, out: TextIO, *, width: int = 80) -> None:
        self.out = out
        self.width = max(20, width)
        self.shown = False

    @classmethod
    def for_stream(cls, out: TextIO) -> LiveLine | None:
        """A live line when ``out`` is a terminal, else None."""
        isatty = getattr(out, "isatty", None)
        if not callable(isatty) or not isatty():
            return None
        import shutil

        return cls(out, width=shutil.get_terminal_size().columns - 1)

    def show(self, text: str) -> None:
        if len(text) > self.width:
            text = text[: self.width - 1] + "…"
        self.out.write(_CLEAR + text)
        self.out.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.out.write(_CLEAR)
            self.out.flush()
            self.shown = False


class _Job(Generic[T]):
    def __init__(self, name: str, start: Callable[[], Awaitable[T]]) -> None:
        self.name = name
        self.start = start
        self.running = False


async def run_in_order(
    jobs: Sequence[tuple[str, Callable[[], Awaitable[T]]]],
    emit: Callable[[T], object],
    *,
    limit: int = 4,
    live: LiveLine | None = None,
    what: str = "running",
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``jobs`` ((name, start) pairs), at most ``limit`` at once, started in order; ``emit`` each result in
    the jobs' order as soon as it and the ones before it are done. ``live`` shows ``what`` is still running."""
    entries = [_Job(name, start) for name, start in jobs]
    semaphore = asyncio.Semaphore(max(1, limit))

    async def run(job: _Job[T]) -> T:
        async with semaphore:
            job.running = True
            try:
                return await job.start()
            finally:
                job.running = False

    tasks = [asyncio.ensure_future(run(job)) for job in entries]
    started = clock()
    printed = 0
    try:
        while printed < len(tasks):
            pending = [task for task in tasks[printed:] if not task.done()]
            if pending and not tasks[printed].done():
                await asyncio.wait(pending, timeout=TICK_S if live else None, return_when=asyncio.FIRST_COMPLETED)
            while printed < len(tasks) and tasks[printed].done():
                if live is not None:
                    live.clear()
                emit(tasks[printed].result())
                printed += 1
            if live is not None and printed < len(tasks):
                running = [job.name for job in entries[printed:] if job.running]
                waiting = len(tasks) - printed
                live.show(f"{what} {', '.join(running) or '…'} · {waiting} to go · {clock() - started:.0f} s")
    finally:
        if live is not None:
            live.clear()
        for task in tasks:
            task.cancel()

"""Micro-benchmark of `MarkdownView` (issue 5): streaming throughput, key latency, RSS, opening 200 messages.

Run from the repo root: `python bench/render_widget.py [--quick] [--only stream|baseline|open]`.
Each measurement runs in a fresh subprocess (so RSS figures do not include the others) and the
results are printed as one JSON object. The functions are importable for the full bench:
`make_markdown_deltas`, `measure_stream`, `measure_markdown_stream`, `measure_open`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from llmconsole.ui.widgets.markdown_view import MarkdownView, warm_up

KEY_INTERVAL = 0.05
_DELTA_SIZES = (3, 4, 5, 6, 7, 8)
_DELTA_WEIGHTS = (1, 1, 1, 1, 1, 2)  # mean ~5.9 characters: ~118 KB for 20,000 deltas

# ----------------------------------------------------------------------------------------------
# Workload

_WORDS = (
    "the proxy model request stream token latency cache budget router fallback provider key team "
    "usage limit window context output reasoning response header retry deployment region spend "
    "virtual user alias endpoint health config value default timeout batch queue"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    if rng.random() < 0.3:
        index = rng.randrange(len(words))
        words[index] = f"**{words[index]}**"
    if rng.random() < 0.3:
        index = rng.randrange(len(words))
        words[index] = f"`{words[index]}_{rng.randint(1, 99)}`"
    return " ".join(words).capitalize() + "."


def _code_block(rng: random.Random) -> str:
    lines = ["```python"]
    for index in range(rng.randint(8, 30)):
        kind = rng.random()
        if kind < 0.15:
            lines.append(f"def handler_{index}(request: dict[str, int], retries: int = 3) -> int:")
        elif kind < 0.3:
            lines.append(f'    """Handle {rng.choice(_WORDS)} {rng.choice(_WORDS)}."""')
        elif kind < 0.5:
            lines.append(f"    value = request.get({rng.choice(_WORDS)!r}, {rng.randint(0, 999)})")
        elif kind < 0.65:
            lines.append(f"    for item in range({rng.randint(2, 50)}):  # {rng.choice(_WORDS)}")
        elif kind < 0.8:
            lines.append(f"        total += item * {rng.randint(1, 9)}")
        elif kind < 0.9:
            lines.append("")
        else:
            lines.append("    return total")
    lines.append("```")
    return "\n".join(lines)


def _table(rng: random.Random) -> str:
    columns = rng.randint(3, 5)
    header = "| " + " | ".join(rng.choice(_WORDS).title() for _ in range(columns)) + " |"
    rows = [header, "|" + "---|" * columns]
    for _ in range(rng.randint(3, 8)):
        rows.append("| " + " | ".join(f"{rng.choice(_WORDS)} {rng.randint(1, 999)}" for _ in range(columns)) + " |")
    return "\n".join(rows)


def _list(rng: random.Random) -> str:
    ordered = rng.random() < 0.4
    items = []
    for index in range(rng.randint(3, 8)):
        marker = f"{index + 1}." if ordered else "-"
        items.append(f"{marker} {_sentence(rng)}")
    return "\n".join(items)


def make_markdown(size: int, seed: int = 0) -> str:
    """Realistic LLM-style Markdown of at least `size` characters."""
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    section = 0
    while length < size:
        kind = rng.random()
        if kind < 0.12 or not parts:
            section += 1
            part = f"{'#' * rng.randint(1, 3)} Section {section}: {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        elif kind < 0.45:
            part = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        elif kind < 0.62:
            part = _list(rng)
        elif kind < 0.74:
            part = _table(rng)
        elif kind < 0.92:
            part = _code_block(rng)
        else:
            part = "> " + _sentence(rng)
        parts.append(part)
        length += len(part) + 2
    return "\n\n".join(parts) + "\n"


def make_markdown_deltas(n: int, seed: int = 0) -> list[str]:
    """`n` token-sized deltas (3-8 characters) of realistic Markdown (~118 KB for 20,000)."""
    rng = random.Random(seed)
    text = make_markdown(int(n * 6.2), seed)
    deltas: list[str] = []
    position = 0
    while len(deltas) < n:
        if position >= len(text):
            text += "\n\n" + make_markdown(int(n * 2), seed + len(deltas))
        size = rng.choices(_DELTA_SIZES, _DELTA_WEIGHTS)[0]
        deltas.append(text[position : position + size])
        position += size
    return deltas


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB (Linux /proc)."""
    current = peak = 0.0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        import resource

        peak = current = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(current, 1), round(peak, 1)


# ----------------------------------------------------------------------------------------------
# Streaming


class _ProbeApp(App[None]):
    """An app with a key binding that records how long each injected key press waited."""

    BINDINGS = [Binding("x", "probe", "probe")]

    def __init__(self) -> None:
        super().__init__()
        self.key_sent: float | None = None
        self.key_latencies: list[float] = []

    def action_probe(self) -> None:
        if self.key_sent is not None:
            self.key_latencies.append(time.perf_counter() - self.key_sent)
            self.key_sent = None


class _StreamApp(_ProbeApp):
    def __init__(self, widget_factory: Any) -> None:
        super().__init__()
        self._widget_factory = widget_factory

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="scroll"):
            yield self._widget_factory()


async def _inject_keys(app: _ProbeApp, stop: asyncio.Event, loop_lags: list[float]) -> None:
    """Press "x" every KEY_INTERVAL until `stop`.

    A key "pressed" at time t waits until the loop can read it: the latency counts from the moment
    the press was due, so a blocked event loop shows up in it.
    """
    driver = app._driver
    assert driver is not None
    due = time.perf_counter() + KEY_INTERVAL
    while not stop.is_set():
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if stop.is_set():
            break
        now = time.perf_counter()
        loop_lags.append(now - due)
        if app.key_sent is None:
            app.key_sent = due
            driver.send_message(events.Key("x", "x"))
        due = max(due + KEY_INTERVAL, now)


def _latency_report(app: _ProbeApp, loop_lags: list[float]) -> dict[str, Any]:
    latencies_ms = [value * 1000 for value in app.key_latencies]
    lags_ms = [max(0.0, value * 1000) for value in loop_lags]
    return {
        "key_presses": len(latencies_ms),
        "key_latency_median_ms": round(statistics.median(latencies_ms), 2) if latencies_ms else None,
        "key_latency_p95_ms": round(_percentile(latencies_ms, 0.95), 2),
        "key_latency_max_ms": round(max(latencies_ms, default=0.0), 2),
        "loop_lag_p95_ms": round(_percentile(lags_ms, 0.95), 2),
        "loop_lag_max_ms": round(max(lags_ms, default=0.0), 2),
    }


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def _stream_run(
    deltas: list[str], kind: str, size: tuple[int, int], yield_every: int, rate: float | None = None
) -> dict[str, Any]:
    if kind == "view":
        warm_up()

        def factory() -> Any:
            return MarkdownView(streaming=True)
    else:

        def factory() -> Any:
            return Markdown()

    app = _StreamApp(factory)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        scroll = app.query_one("#scroll", VerticalScroll)
        scroll.anchor()
        widget = scroll.children[0]
        stop = asyncio.Event()
        loop_lags: list[float] = []

        injector = asyncio.create_task(_inject_keys(app, stop, loop_lags))
        start = time.perf_counter()
        if isinstance(widget, MarkdownView):
            for index, delta in enumerate(deltas):
                widget.append(delta)
                if rate is not None:
                    await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
                elif index % yield_every == 0:
                    await asyncio.sleep(0)
            widget.finish()
        else:
            assert isinstance(widget, Markdown)
            stream = Markdown.get_stream(widget)
            for index, delta in enumerate(deltas):
                await stream.write(delta)
                if rate is not None:
                    await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
                elif index % yield_every == 0:
                    await asyncio.sleep(0)
            await stream.stop()
        fed = time.perf_counter()
        await pilot.pause()
        await app.workers.wait_for_complete()
        if isinstance(widget, MarkdownView):
            while not widget._is_rendered():
                await pilot.pause()
        await pilot.pause()
        elapsed = time.perf_counter() - start
        stop.set()
        await injector
        current, peak = rss_mb()
        lines = widget._total_height() if isinstance(widget, MarkdownView) else len(widget.children)
    return {
        "deltas": len(deltas),
        "chars": sum(map(len, deltas)),
        "deltas_per_s": round(len(deltas) / elapsed, 1),
        "feed_s": round(fed - start, 3),
        "total_s": round(elapsed, 3),
        **_latency_report(app, loop_lags),
        "rss_mb": current,
        "peak_rss_mb": peak,
        "lines_or_blocks": lines,
        "renders": getattr(widget, "renders", None),
    }


async def measure_stream(
    deltas: list[str],
    *,
    size: tuple[int, int] = (120, 40),
    yield_every: int = 1,
    rate: float | None = None,
) -> dict[str, Any]:
    """Stream `deltas` into a `MarkdownView` in a VerticalScroll, a key press every 50 ms.

    As fast as possible by default: the feeding task yields to the event loop after every
    `yield_every` deltas (1: after each, as a network stream reading one SSE event at a time
    would). `rate`: deltas per second to pace the feed at instead.
    """
    return await _stream_run(deltas, "view", size, yield_every, rate)


async def measure_markdown_stream(
    deltas: list[str], *, size: tuple[int, int] = (120, 40), yield_every: int = 1
) -> dict[str, Any]:
    """The baseline: the same workload through Textual's `Markdown.get_stream()`."""
    return await _stream_run(deltas, "markdown", size, yield_every)


# ----------------------------------------------------------------------------------------------
# Opening a long conversation


class _PaintProbe(MarkdownView):
    painted_at: float | None = None

    def render_line(self, y: int) -> Any:
        if self.painted_at is None:
            self.painted_at = time.perf_counter()
        return super().render_line(y)


class _OpenApp(_ProbeApp):
    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="scroll")


async def measure_open(messages: list[str], *, size: tuple[int, int] = (120, 40)) -> dict[str, Any]:
    """Mount finished `MarkdownView`s for `messages` in a VerticalScroll that follows the bottom.

    Reports the time until the last message is painted (first paint of the opened conversation),
    the time until every message is rendered in the background (nearest to the viewport first),
    key latency while that happens, and RSS.
    """
    warm_up()
    app = _OpenApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        scroll = app.query_one("#scroll", VerticalScroll)
        scroll.anchor()
        rss_before, _ = rss_mb()
        stop = asyncio.Event()
        loop_lags: list[float] = []
        start = time.perf_counter()
        injector = asyncio.create_task(_inject_keys(app, stop, loop_lags))
        views = [_PaintProbe(text) for text in messages]
        constructed = time.perf_counter()
        await scroll.mount_all(views)
        mounted = time.perf_counter()
        while views[-1].painted_at is None:
            await pilot.pause()
        first_paint = views[-1].painted_at - start
        for _ in range(100_000):
            if all(view._is_rendered() for view in views):
                break
            await pilot.pause()
        all_rendered = time.perf_counter() - start
        await pilot.pause()
        stop.set()
        await injector
        at_bottom = scroll.scroll_y >= scroll.max_scroll_y - 1
        current, peak = rss_mb()
        total_lines = sum(view._total_height() for view in views)
    return {
        "messages": len(messages),
        "chars": sum(map(len, messages)),
        "construct_s": round(constructed - start, 3),
        "mount_s": round(mounted - start, 3),
        "first_paint_s": round(first_paint, 3),
        "all_rendered_s": round(all_rendered, 3),
        "at_bottom": at_bottom,
        "total_lines": total_lines,
        **_latency_report(app, loop_lags),
        "rss_before_mb": rss_before,
        "rss_mb": current,
        "peak_rss_mb": peak,
    }


def make_messages(count: int = 200, size: int = 2048, seed: int = 0) -> list[str]:
    """`count` finished messages of ~`size` characters of Markdown each."""
    return [make_markdown(size, seed + index) for index in range(count)]


# ----------------------------------------------------------------------------------------------
# CLI


def _run_one(which: str, quick: bool) -> dict[str, Any]:
    gc.collect()
    if which == "stream":
        return asyncio.run(measure_stream(make_markdown_deltas(20_000)))
    if which == "paced":
        # At a fast but realistic pace the work goes through the per-tick path, not the backlog.
        return asyncio.run(measure_stream(make_markdown_deltas(6_000 if quick else 20_000), rate=2_000))
    if which == "baseline":
        return asyncio.run(measure_markdown_stream(make_markdown_deltas(2_000 if quick else 20_000)))
    if which == "open":
        return asyncio.run(measure_open(make_messages()))
    raise SystemExit(f"unknown measurement {which!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="baseline with 2,000 deltas")
    parser.add_argument("--only", choices=["stream", "paced", "baseline", "open"], help="run one measurement here")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(_run_one(args.only, args.quick)))
        return
    results: dict[str, Any] = {}
    for which in ("stream", "paced", "baseline", "open"):
        command = [sys.executable, __file__, "--only", which] + (["--quick"] if args.quick else [])
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            results[which] = {"error": completed.stderr.strip().splitlines()[-5:]}
            continue
        results[which] = json.loads(completed.stdout.strip().splitlines()[-1])
    stream, baseline = results.get("stream", {}), results.get("baseline", {})
    if "deltas_per_s" in stream and "deltas_per_s" in baseline:
        results["render_vs_markdown_stream"] = round(stream["deltas_per_s"] / baseline["deltas_per_s"], 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

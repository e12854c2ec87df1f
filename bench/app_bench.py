"""App measurements, each run in a fresh subprocess: ``python -m bench.app_bench MODE JSON-ARGS``.

The child prints one JSON object on its last stdout line. :func:`run_child` starts it and parses it. Every
child runs headless (no terminal), but Textual still lays out and renders every frame: the only thing skipped
is writing the escape codes to a terminal.

Definitions (the same for llmconsole and its baseline):

- *frame*: a call of ``App._display`` (the compositor produced an update for the screen).
- *key latency*: a key (``f12``, bound on the app) is due every 50 ms while a reply streams; the latency is
  from the moment it was due until its action ran (a blocked event loop delays both the press and its handling).
- *startup to first screen*: from just before the parent spawns the child process to the first frame of a
  screen whose ``OptionList`` holds all the models.
- *RSS*: the process's peak resident set (``VmHWM``), read at the end of the measurement.
- *CPU*: process user + system CPU time over wall time, from Enter to the reply being rendered.

Module imports stay light (stdlib only at the top) so the startup measurement does not pay for the bench.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

KEY_INTERVAL = 0.05
SIZE = (120, 40)


# ----------------------------------------------------------------------------------------------------
# Parent side


def run_child(mode: str, args: dict[str, Any], env: dict[str, str], timeout: float = 600.0) -> dict[str, Any]:
    """Run ``mode`` in a fresh interpreter; its JSON result (``spawned_at``: when it was spawned, epoch s)."""
    command = [sys.executable, "-m", "bench.app_bench", mode, json.dumps(args)]
    spawned_at = time.time()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"bench child {mode} failed (exit {completed.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["spawned_at"] = spawned_at
    return result


# ----------------------------------------------------------------------------------------------------
# Child side: helpers


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class FrameProbe:
    """Counts frames (``App._display`` calls) and runs a check on each one."""

    def __init__(self) -> None:
        from textual.app import App

        self.frames = 0
        self.last_frame_at = 0.0
        self.on_frame: Any = None
        original = App._display
        probe = self

        def _display(app: Any, screen: Any, renderable: Any) -> None:
            original(app, screen, renderable)
            if renderable is None:
                return
            probe.frames += 1
            probe.last_frame_at = time.perf_counter()
            if probe.on_frame is not None:
                probe.on_frame(app, screen)

        App._display = _display  # type: ignore[method-assign]

    async def next_frame(self, after: int, timeout: float = 30.0) -> float:
        """Wait for a frame numbered beyond ``after``; its time (perf_counter)."""
        deadline = time.perf_counter() + timeout
        while self.frames <= after:
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame")
            await asyncio.sleep(0.0005)
        return self.last_frame_at


class KeyProbe:
    """Presses ``f12`` every :data:`KEY_INTERVAL` and records how late its binding runs."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent: float | None = None
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        app.bind("f12", "bench_probe", show=False)
        app.action_bench_probe = self._handled

    def _handled(self) -> None:
        if self.sent is not None:
            self.latencies.append(time.perf_counter() - self.sent)
            self.sent = None

    async def _run(self) -> None:
        from textual import events

        driver = self.app._driver
        due = time.perf_counter() + KEY_INTERVAL
        while not self._stop.is_set():
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            now = time.perf_counter()
            self.lags.append(now - due)
            if self.sent is None:
                self.sent = due
                driver.send_message(events.Key("f12", None))
            due = max(due + KEY_INTERVAL, now)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._task is not None:
            await self._task
        deadline = time.perf_counter() + 2.0
        while self.sent is not None and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)  # the last press is handled before the app closes
        values = sorted(v * 1000 for v in self.latencies)
        lags = sorted(max(0.0, v * 1000) for v in self.lags)

        def pct(data: list[float], q: float) -> float:
            return data[min(len(data) - 1, round(q * (len(data) - 1)))] if data else 0.0

        return {
            "key_presses": len(values),
            "key_latency_median_ms": pct(values, 0.5),
            "key_latency_p95_ms": pct(values, 0.95),
            "key_latency_max_ms": values[-1] if values else 0.0,
            "loop_lag_p95_ms": pct(lags, 0.95),
            "loop_lag_max_ms": lags[-1] if lags else 0.0,
        }


async def wait_for(predicate: Any, timeout: float, what: str, step: float = 0.002) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(step)


def bench_settings(base_url: str, model: str) -> Any:
    """Settings for the local server (a bench key, ``model`` as the default model)."""
    from llmconsole.core.config import Settings
    from llmconsole.core.secret import Secret

    return Settings(base_url=base_url, api_key=Secret("sk-bench"), default_model=model, idle_timeout=60.0)


def _make_app(base_url: str, model: str, history: Any = None) -> Any:
    """The real app as ``llmconsole`` builds it (the app makes its own ProxyClient)."""
    from llmconsole.ui.app import make_app

    return make_app(bench_settings(base_url, model), history=history)


async def _ready_main(app: Any, model: str | None, models: int | None = None) -> Any:
    """The main screen once discovery has chosen ``model`` (and listed ``models``) and the app is idle."""

    def ready() -> bool:
        screen = app.main_screen
        if screen is None or screen.model is None or (model is not None and screen.model.id != model):
            return False
        return models is None or len(screen.models) >= models

    await wait_for(ready, 30.0, "discovery")
    await app.workers.wait_for_complete()
    return app.main_screen


def _reply_rendered(screen: Any) -> bool:
    replies = screen.pane.replies
    if not replies or screen.pane.streaming:
        return False
    body = replies[-1].body
    is_rendered = getattr(body, "_is_rendered", None)
    return bool(is_rendered()) if is_rendered is not None else True


# ----------------------------------------------------------------------------------------------------
# Child side: modes


async def _ask(
    app: Any, pilot: Any, model: str, prompt: str, *, wait: bool = True
) -> tuple[Any, KeyProbe, float, float]:
    """Type ``prompt``, start the key probe, press Enter: (main screen, key probe, CPU and time at Enter).

    ``wait=False``: Enter goes straight to the driver, as a terminal sends it (``Pilot.press`` returns only
    once the app is idle, which a streaming reply delays by up to a second).
    """
    screen = await _ready_main(app, model)
    await pilot.press(*prompt)
    keys = KeyProbe(app)
    keys.start()
    cpu0, start = cpu_seconds(), time.perf_counter()
    if wait:
        await pilot.press("enter")
    else:
        from textual import events

        app._driver.send_message(events.Key("enter", "\r"))
    await wait_for(lambda: bool(screen.pane.replies), 10.0, "the reply widget")
    return screen, keys, cpu0, start


def _completed_chars(screen: Any) -> int:
    """The length of the last reply, which must have completed."""
    reply = screen.pane.replies[-1]
    if reply.message.status != "completed":
        raise RuntimeError(f"the reply ended {reply.message.status!r}")
    return len(reply.text)


async def mode_render(base_url: str, deltas: int, rate: float | None = None) -> dict[str, Any]:
    """A reply of ``deltas`` deltas through the real app (prompt typed, Enter pressed) until it is rendered."""
    model = f"bench-n{deltas}" + (f"-r{rate:g}" if rate else "")
    app = _make_app(base_url, model)
    async with app.run_test(size=SIZE) as pilot:
        screen, keys, cpu0, start = await _ask(app, pilot, model, "Write a long answer.")
        await wait_for(lambda: _reply_rendered(screen), 600.0, "the reply to finish", step=0.005)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
        latency = await keys.stop()
        chars = _completed_chars(screen)
    return {
        "deltas": deltas,
        "chars": chars,
        "seconds": elapsed,
        "deltas_per_s": deltas / elapsed,
        "cpu_percent": 100.0 * cpu / elapsed,
        "rss_mb": peak_rss_mb(),
        **latency,
    }


def _end_shown(screen: Any) -> bool:
    """The reply is complete and its last lines are rendered (exactly or on their own) with the pane at the bottom."""
    pane = screen.pane
    replies = pane.replies
    if not replies or pane.streaming or replies[-1].message.status == "streaming":
        return False
    body = replies[-1].body
    end_rendered = getattr(body, "end_rendered", None)
    shown = end_rendered() if end_rendered is not None else body._is_rendered()  # (before issue 11)
    return bool(shown) and (pane.scroll_y >= pane.max_scroll_y - 1 or not pane.max_scroll_y)


async def mode_huge(base_url: str, kind: str, settle: float = 60.0) -> dict[str, Any]:
    """A huge reply (``bench-huge-{kind}``, bench.sse_server) through the real app, a key every 50 ms.

    ``end_s``: from Enter to the first frame that shows the end of the reply; ``stream_s``: from Enter to the
    reply's last event; ``settled_s``: until every part is rendered exactly (None if not within ``settle`` s).
    """
    model = f"bench-huge-{kind}"
    frames = FrameProbe()
    app = _make_app(base_url, model)
    async with app.run_test(size=SIZE) as pilot:
        screen, keys, cpu0, start = await _ask(app, pilot, model, "Write a huge answer.", wait=False)
        await wait_for(lambda: not screen.pane.streaming, 600.0, "the end of the stream", step=0.002)
        streamed = time.perf_counter()
        await wait_for(lambda: _end_shown(screen), 600.0, "the end on screen", step=0.002)
        ready = time.perf_counter()
        try:
            shown = await frames.next_frame(frames.frames, timeout=1.0)
        except TimeoutError:  # nothing changed since: the last frame already showed it
            shown = ready
        cpu = cpu_seconds() - cpu0
        settled: float | None = None
        try:
            await wait_for(lambda: _reply_rendered(screen), settle, "every part rendered", step=0.01)
            settled = time.perf_counter() - start
        except TimeoutError:
            pass
        latency = await keys.stop()
        chars = _completed_chars(screen)
    return {
        "kind": kind,
        "chars": chars,
        "stream_s": streamed - start,
        "end_s": shown - start,
        "tail_s": shown - streamed,
        "settled_s": settled,
        "cpu_percent": 100.0 * cpu / (shown - start),
        "rss_mb": peak_rss_mb(),
        **latency,
    }


async def mode_markdown(deltas: int) -> dict[str, Any]:
    """Baseline: Textual's ``Markdown.get_stream`` on the same deltas (bench.render_widget)."""
    from bench.render_widget import make_markdown_deltas, measure_markdown_stream
    from bench.sse_server import DELTA_SEED

    result = await measure_markdown_stream(make_markdown_deltas(deltas, DELTA_SEED))
    return {"deltas": deltas, "deltas_per_s": result["deltas_per_s"], "rss_mb": peak_rss_mb(), "raw": result}


async def mode_open(base_url: str, conv_id: str, messages: int = 200) -> dict[str, Any]:
    """Open a stored conversation in the app: time from the request to the first frame showing its end."""
    from llmconsole.core.store.history import AsyncHistory, HistoryStore

    frames = FrameProbe()
    store = AsyncHistory(HistoryStore())  # what `llmconsole` gives the app
    app = _make_app(base_url, "bench-n50", history=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _ready_main(app, "bench-n50")
        await pilot.pause()
        rss_before = peak_rss_mb()
        keys = KeyProbe(app)
        keys.start()
        start = time.perf_counter()
        how = await _open_conversation(app, screen, store, conv_id)
        mounted = time.perf_counter()
        pane = screen.pane
        count = (lambda: pane.message_count) if hasattr(pane, "message_count") else (lambda: len(pane.children))
        await wait_for(lambda: count() >= messages, 60.0, "the messages")
        frame_at = await frames.next_frame(frames.frames)
        pane = screen.pane
        try:
            await wait_for(lambda: pane.scroll_y >= pane.max_scroll_y - 1 or not pane.max_scroll_y, 30.0, "the bottom")
        except TimeoutError:
            raise TimeoutError(f"not at the bottom: {pane.scroll_y} of {pane.max_scroll_y}") from None
        if pane.scroll_y < pane.max_scroll_y - 1:
            frame_at = await frames.next_frame(frames.frames)
        first_paint = frame_at - start
        shown_last = pane.replies[-1].message.id == screen.conversation.messages[-1].id
        # Let background rendering settle, then read memory.
        for _ in range(200):
            await pilot.pause()
            replies = pane.replies
            if all(getattr(r.body, "_is_rendered", lambda: True)() for r in replies):
                break
        settled = time.perf_counter() - start
        latency = await keys.stop()
        widgets = len(list(app.screen.walk_children()))
    return {
        "how": how,
        "messages": len(screen.conversation.messages),
        "last_message_mounted": shown_last,
        "mount_s": mounted - start,
        "first_paint_s": first_paint,
        "settled_s": settled,
        "widgets": widgets,
        "rss_before_mb": rss_before,
        "rss_mb": peak_rss_mb(),
        **latency,
    }


async def _open_conversation(app: Any, screen: Any, store: Any, conv_id: str) -> str:
    """Open ``conv_id`` through the app's public way to open a stored conversation, if it has one."""
    for owner, name in ((app, "open_conversation"), (screen, "open_conversation")):
        method = getattr(owner, name, None)
        if method is not None:
            result = method(conv_id)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
            return f"{type(owner).__name__}.{name}"
    # No public way yet: load it and mount it through the pane's public methods.
    conversation = await store.load(conv_id)
    screen.conversation = conversation
    pane = screen.pane
    for message in conversation.messages:
        if message.role == "user":
            pane.add_user(message)
        else:
            pane.add_reply(message, streaming=False)
    return "ConversationPane.add_user/add_reply (fallback)"


async def _startup(app: Any, models: int, phases: dict[str, float]) -> dict[str, Any]:
    """Run ``app`` to the first frame with ``models`` options; ``phases``: epoch times already taken."""
    from textual.widgets import OptionList

    frames = FrameProbe()
    seen: dict[str, Any] = {}
    phases["app_built_at"] = time.time()

    def check(app: Any, screen: Any) -> None:
        if seen:
            return
        phases.setdefault("first_frame_at", time.time())
        for option_list in screen.query(OptionList):
            if option_list.option_count >= models:
                seen["painted_at"] = time.time()
                seen["frames"] = frames.frames
                app.exit()
                return

    frames.on_frame = check

    guard = asyncio.get_running_loop().call_later(30, app.exit)
    await app.run_async(headless=True, size=SIZE)
    guard.cancel()
    if not seen:
        raise RuntimeError("the model list never painted")
    return {**seen, **phases, "rss_mb": peak_rss_mb()}


async def mode_startup_app(base_url: str, model: str, models: int) -> dict[str, Any]:
    """llmconsole (the cached model list of ``models`` models) to its first full frame."""
    phases = {"main_at": time.time()}
    from llmconsole.ui.loader import load_app_module  # as ``llmconsole`` loads it

    make_app = load_app_module().make_app
    phases["imported_at"] = time.time()
    return await _startup(make_app(bench_settings(base_url, model)), models, phases)


async def mode_startup_minimal(models: int) -> dict[str, Any]:
    """Baseline: a minimal Textual app with an OptionList of ``models`` items to its first full frame."""
    phases = {"main_at": time.time()}
    from textual.app import App, ComposeResult
    from textual.widgets import OptionList

    from bench.sse_server import model_ids

    names = model_ids(models)
    phases["imported_at"] = time.time()

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield OptionList(*names)

    return await _startup(Minimal(), models, phases)


async def mode_filter(base_url: str, models: int, query: str) -> dict[str, Any]:
    """Type ``query`` into the sidebar filter; per key, the time until a frame shows the matching list."""
    from textual import events

    from llmconsole.ui.widgets.formatting import filter_models

    frames = FrameProbe()
    app = _make_app(f"{base_url}/m{models}", "bench-n50")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _ready_main(app, "bench-n50", models)
        sidebar = screen.sidebar
        await wait_for(lambda: sidebar.option_list.option_count >= models, 30.0, "the model list")
        sidebar.filter_input.focus()
        await pilot.pause()
        driver = app._driver
        per_key: list[float] = []
        matches = 0
        for index, char in enumerate(query):
            typed = query[: index + 1]
            expected = [m.id for m in filter_models(screen.models, typed)]
            shown: dict[str, float] = {}

            def check(
                app: Any,
                screen: Any,
                typed: str = typed,
                expected: list[str] = expected,
                shown: dict[str, float] = shown,
            ) -> None:
                if not shown and sidebar.filter_input.value == typed and sidebar.shown_ids == expected:
                    if sidebar.option_list.option_count == len(expected):
                        shown["at"] = time.perf_counter()

            frames.on_frame = check
            start = time.perf_counter()
            driver.send_message(events.Key(char if char != " " else "space", char))
            await wait_for(lambda shown=shown: bool(shown), 10.0, "the filtered list", step=0.0002)
            per_key.append(shown["at"] - start)
            matches = len(expected)
            frames.on_frame = None
            await pilot.pause()
    per_key_ms = sorted(v * 1000 for v in per_key)
    return {
        "models": models,
        "query": query,
        "matches": matches,
        "per_key_ms": per_key_ms,
        "mean_ms": sum(per_key_ms) / len(per_key_ms),
        "max_ms": per_key_ms[-1],
    }


MODES = {
    "render": mode_render,
    "huge": mode_huge,
    "markdown": mode_markdown,
    "open": mode_open,
    "startup_app": mode_startup_app,
    "startup_minimal": mode_startup_minimal,
    "filter": mode_filter,
}


def main() -> None:
    mode, raw_args = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    args = json.loads(raw_args)
    modes: dict[str, Any] = dict(MODES)
    if mode not in modes:  # the conversation-tree modes live beside (bench.tree_bench)
        from bench.tree_bench import MODES as TREE_MODES

        modes.update(TREE_MODES)
    result = asyncio.run(modes[mode](**args))
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (a leftover worker thread must not hang the bench)


if __name__ == "__main__":
    main()

"""``python -m bench [--quick] [--json]``: llmconsole measured next to its baselines, in one run (issue 5).

Starts the local SSE server (:mod:`bench.sse_server`, a separate process on 127.0.0.1), then measures the stream
readers in this process and every app figure in a fresh subprocess (:mod:`bench.app_bench`), each repeated
(3 times, ``--quick`` once) and reported as the median. All files go to a temporary ``LLMCONSOLE_DATA_DIR``
(the generated 200,000-message history is cached in ``bench/.data/``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GROUPS = ("client", "render", "paced", "open", "startup", "scale", "huge", "tree", "tools")
REFERENCE_RAW_EVENTS_PER_S = 167_074
"""``raw_events_per_s`` of the reference run in README's table: ``machine_factor`` is it over this run's."""
STARTUP_RUNS = 9
"""Startups measured per app (at least), interleaved: single starts vary by tens of ms on a shared machine."""
HUGE = {"paragraph": "huge_paragraph", "table": "huge_table", "code": "huge_code", "10mb": "reply_10mb_event"}


def _le250(value: float) -> bool:
    return value <= 250


# key: (label, unit, baseline key or None, target text, check)
TARGETS: dict[str, tuple[str, str, str | None, str, Callable[[float], bool] | None]] = {
    "client_events_per_s": ("llmconsole client", "events/s", None, "", None),
    "raw_events_per_s": ("httpx aiter_raw (baseline)", "events/s", None, "", None),
    "openai_sdk_events_per_s": ("openai SDK (baseline)", "events/s", None, "", None),
    "client_vs_raw": ("client / raw", "x", None, ">= 0.6", lambda v: v >= 0.6),
    "client_vs_openai_sdk": ("client / openai SDK", "x", None, ">= 5", lambda v: v >= 5),
    "render_deltas_per_s": ("app render, 20k deltas", "deltas/s", None, ">= 5,000", lambda v: v >= 5000),
    "markdown_stream_deltas_per_s": ("Markdown.get_stream (baseline)", "deltas/s", None, "", None),
    "render_vs_markdown_stream": ("render / get_stream", "x", None, ">= 10", lambda v: v >= 10),
    "render_key_latency_p95_ms": ("key latency p95 while streaming", "ms", None, "< 25", lambda v: v < 25),
    "render_key_latency_max_ms": ("key latency max while streaming", "ms", None, "< 60", lambda v: v < 60),
    "render_rss_mb": ("peak RSS, 20k-delta reply", "MB", None, "< 100", lambda v: v < 100),
    "paced_cpu_percent": ("CPU at 100 deltas/s", "% of a core", None, "<= 25", lambda v: v <= 25),
    "open_200_messages_s": ("open 200 messages, first paint", "s", None, "<= 1.0", lambda v: v <= 1.0),
    "open_200_messages_rss_mb": ("open 200 messages, peak RSS", "MB", None, "<= 100", lambda v: v <= 100),
    "startup_first_screen_ms": ("startup to first screen, 500 models", "ms", None, "", None),
    "minimal_textual_startup_ms": ("minimal Textual app (baseline)", "ms", None, "", None),
    "startup_vs_minimal_textual": ("startup / minimal", "x", None, "<= 1.2", lambda v: v <= 1.2),
    "history_search_ms": ("search 200,000 messages", "ms", None, "<= 100", lambda v: v <= 100),
    "models_2000_filter_ms": ("filter 2,000 models, per key", "ms", None, "<= 50", lambda v: v <= 50),
    "huge_paragraph_s": ("600 KB paragraph, Enter to end on screen", "s", None, "", None),
    "huge_paragraph_raw_s": ("the same stream, httpx aiter_raw", "s", None, "", None),
    "huge_paragraph_vs_raw": ("600 KB paragraph / raw", "x", None, "<= 2", lambda v: v <= 2),
    "huge_paragraph_key_latency_max_ms": ("key latency max, 600 KB paragraph", "ms", None, "<= 250", _le250),
    "huge_table_s": ("3,000-row table, Enter to end on screen", "s", None, "", None),
    "huge_table_raw_s": ("the same stream, httpx aiter_raw", "s", None, "", None),
    "huge_table_vs_raw": ("3,000-row table / raw", "x", None, "<= 2", lambda v: v <= 2),
    "huge_table_key_latency_max_ms": ("key latency max, 3,000-row table", "ms", None, "<= 250", _le250),
    "huge_code_s": ("20,000-line code block, Enter to end on screen", "s", None, "", None),
    "huge_code_raw_s": ("the same stream, httpx aiter_raw", "s", None, "", None),
    "huge_code_vs_raw": ("20,000-line code block / raw", "x", None, "<= 2", lambda v: v <= 2),
    "huge_code_key_latency_max_ms": ("key latency max, 20,000-line code", "ms", None, "<= 250", _le250),
    "reply_10mb_event_s": ("one 10 MB event, Enter to end on screen", "s", None, "<= 5", lambda v: v <= 5),
    "reply_10mb_event_key_latency_max_ms": ("key latency max, 10 MB event", "ms", None, "<= 250", _le250),
    "open_tree_1000_s": ("open 1,000 messages, 50 branches, first paint", "s", None, "<= 1.0", lambda v: v <= 1.0),
    "open_tree_1000_rss_mb": ("open 1,000 messages, 50 branches, peak RSS", "MB", None, "<= 100", lambda v: v <= 100),
    "switch_branch_ms": ("switch a branch, to the next frame", "ms", None, "<= 100", lambda v: v <= 100),
    "context_estimate_ms": ("context gauge per keystroke, 1,000 messages", "ms", None, "<= 5", lambda v: v <= 5),
    "tool_round_approval_ms": ("tool round: reply's last byte to approval asked", "ms", None, "", None),
    "tool_round_next_request_ms": ("tool round: call's result to next request", "ms", None, "", None),
    "tool_call_local_ms": ("the call itself, local MCP server (stdio)", "ms", None, "", None),
    "machine_factor": ("machine factor (reference raw / this run's raw)", "x", None, "", None),
}
NORMALISED_UNITS = ("ms", "s", "% of a core")
"""Absolute figures: each is also reported divided by ``machine_factor`` (``<key>_norm``), and its target
applies to that normalised value (a machine twice as slow as the reference may take twice as long)."""


def _median_dict(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Field-wise median of numeric fields (other fields from the first run)."""
    out: dict[str, Any] = dict(runs[0])
    for key in runs[0]:
        values = [run.get(key) for run in runs]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:  # (a figure some runs could not give, e.g. `settled_s`, is the median of the others)
            out[key] = statistics.median(numbers)
    return out


def _startup_phases(result: dict[str, Any]) -> dict[str, float]:
    """The startup child's phases in ms: interpreter start, imports, app built, first frame, full frame."""
    stamps = ("spawned_at", "main_at", "imported_at", "app_built_at", "first_frame_at", "painted_at")
    names = ("interpreter", "imports", "build", "to_first_frame", "to_full_frame")
    spans = zip(names, stamps[:-1], stamps[1:], strict=True)
    return {name: round((result[end] - result[start]) * 1000, 1) for name, start, end in spans}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, *, quick: bool, repeats: int) -> None:
        self.quick = quick
        self.repeats = repeats
        self.results: dict[str, float] = {}
        self.details: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="llmconsole-bench-"))
        self.env = self._environment()
        self.server: subprocess.Popen[str] | None = None
        self.base_url = ""

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCONSOLE_"))}
        env["LLMCONSOLE_DATA_DIR"] = str(self.tmp / "data")
        env["LLMCONSOLE_CONFIG_DIR"] = str(self.tmp / "config")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env.pop("TEXTUAL", None)
        # This process reads the same folders (model cache, history) as its children.
        for key in ("LLMCONSOLE_DATA_DIR", "LLMCONSOLE_CONFIG_DIR"):
            os.environ[key] = env[key]
        for key in [k for k in os.environ if k.startswith("OPENAI_") or k == "LLMCONSOLE_CACHE_DIR"]:
            del os.environ[key]
        return env

    # -- plumbing -------------------------------------------------------------------------------------

    def start_server(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "bench.sse_server"], stdout=subprocess.PIPE, text=True, env=self.env, cwd=REPO
        )
        assert self.server.stdout is not None
        line = self.server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError("the SSE server did not start")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(5)
            except subprocess.TimeoutExpired:
                self.server.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def child(self, mode: str, **args: Any) -> dict[str, Any]:
        from bench.app_bench import run_child

        return run_child(mode, args, self.env)

    def repeat(self, mode: str, times: int | None = None, **args: Any) -> dict[str, Any]:
        return _median_dict([self.child(mode, **args) for _ in range(times or self.repeats)])

    def run(self, groups: tuple[str, ...]) -> None:
        self.start_server()
        for group in groups:
            started = time.perf_counter()
            try:
                getattr(self, f"bench_{group}")()
            except Exception as exc:  # one failing group must not lose the others
                self.errors[group] = f"{type(exc).__name__}: {exc}"
                _log(f"[bench] {group} failed: {exc}")
            _log(f"[bench] {group}: {time.perf_counter() - started:.1f} s")
        self._ratios()

    # -- groups ---------------------------------------------------------------------------------------

    def bench_client(self) -> None:
        from bench.client_bench import READERS

        async def measure() -> dict[str, dict[str, Any]]:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in READERS}
            for reader in READERS.values():
                await reader(self.base_url, 2_000)  # warm-up: connections, imports, caches
            for _ in range(max(self.repeats, 5)):  # cheap (~2 s a round): always 5+ runs, interleaved
                for name, reader in READERS.items():
                    runs[name].append(await reader(self.base_url, 20_000))
            return {name: _median_dict(values) for name, values in runs.items()}

        medians = asyncio.run(measure())
        for name, result in medians.items():
            self.results[f"{name}_events_per_s"] = round(result["events_per_s"])
        self.details["stream"] = {"events": medians["raw"]["events"], "bytes": self._stream_bytes()}

    def _stream_bytes(self) -> int:
        from bench.sse_server import stream_bytes

        return len(stream_bytes(20_000, "bench-n20000"))

    def bench_render(self) -> None:
        render = self.repeat("render", base_url=self.base_url, deltas=20_000)
        self.results["render_deltas_per_s"] = round(render["deltas_per_s"])
        self.results["render_key_latency_p95_ms"] = round(render["key_latency_p95_ms"], 1)
        self.results["render_key_latency_max_ms"] = round(render["key_latency_max_ms"], 1)
        self.results["render_rss_mb"] = round(render["rss_mb"], 1)
        baseline_deltas = 2_000 if self.quick else 20_000
        baseline = self.repeat("markdown", deltas=baseline_deltas)
        self.results["markdown_stream_deltas_per_s"] = round(baseline["deltas_per_s"], 1)
        self.details["render"] = {k: v for k, v in render.items() if k != "spawned_at"}
        self.details["markdown_stream"] = {"deltas": baseline_deltas, **baseline.get("raw", {})}

    def bench_paced(self) -> None:
        deltas = 300 if self.quick else 500
        paced = self.repeat("render", base_url=self.base_url, deltas=deltas, rate=100)
        self.results["paced_cpu_percent"] = round(paced["cpu_percent"], 1)
        self.details["paced"] = {k: v for k, v in paced.items() if k != "spawned_at"}

    def bench_open(self) -> None:
        from bench.render_widget import make_messages
        from llmconsole.core.chat.conversation import Conversation
        from llmconsole.core.store.history import HistoryStore

        conversation = Conversation(title="A long conversation")
        with HistoryStore() as store:
            for index, text in enumerate(make_messages(200, 2048)):
                if index % 2 == 0:
                    message = conversation.add_user(text)
                else:
                    message = conversation.add_assistant("bench-n50")
                    message.text, message.status = text, "completed"
                store.add_message(conversation, message)
        opened = self.repeat("open", base_url=self.base_url, conv_id=conversation.id)
        self.results["open_200_messages_s"] = round(opened["first_paint_s"], 3)
        self.results["open_200_messages_rss_mb"] = round(opened["rss_mb"], 1)
        self.details["open"] = {k: v for k, v in opened.items() if k != "spawned_at"}

    def bench_startup(self) -> None:
        from bench.app_bench import bench_settings

        async def prefill() -> None:
            from llmconsole.core.proxy.client import ProxyClient

            async with ProxyClient(bench_settings(self.base_url, "bench-n50")) as client:
                models = await client.discover()
            if len(models) != 500:
                raise RuntimeError(f"discovery found {len(models)} models, not 500")

        asyncio.run(prefill())  # the model cache the app shows at once
        # Byte-code for our sources, as a pip install has it (PYTHONDONTWRITEBYTECODE may be set, and
        # Textual's own .pyc files came with its install): otherwise every start recompiles ~20 ms of source.
        import compileall

        import llmconsole

        compileall.compile_dir(str(Path(llmconsole.__file__).parent), quiet=1)
        app_ms: list[float] = []
        minimal_ms: list[float] = []
        phases: dict[str, list[dict[str, float]]] = {"app": [], "minimal": []}
        for _ in range(max(self.repeats, STARTUP_RUNS)):  # ~0.4 s each, interleaved
            result = self.child("startup_app", base_url=self.base_url, model="bench-n50", models=500)
            app_ms.append((result["painted_at"] - result["spawned_at"]) * 1000)
            phases["app"].append(_startup_phases(result))
            result = self.child("startup_minimal", models=500)
            minimal_ms.append((result["painted_at"] - result["spawned_at"]) * 1000)
            phases["minimal"].append(_startup_phases(result))
        self.results["startup_first_screen_ms"] = round(statistics.median(app_ms), 1)
        self.results["minimal_textual_startup_ms"] = round(statistics.median(minimal_ms), 1)
        self.details["startup"] = {
            "app_ms": app_ms,
            "minimal_ms": minimal_ms,
            "phases_ms": {name: _median_dict(runs) for name, runs in phases.items()},
        }

    def bench_scale(self) -> None:
        from bench.scale_bench import history_db, measure_search

        path, generated = history_db()
        search = measure_search(path)
        self.results["history_search_ms"] = round(search["median_ms"], 2)
        self.details["history_search"] = {**search, "generated_s": generated, "db_mb": path.stat().st_size / 1e6}
        filtered = self.repeat("filter", base_url=self.base_url, models=2000, query="sonnet 01")
        self.results["models_2000_filter_ms"] = round(filtered["mean_ms"], 1)
        self.details["models_filter"] = {k: v for k, v in filtered.items() if k != "spawned_at"}

    def bench_tree(self) -> None:
        from bench.tree_bench import build_tree
        from llmconsole.core.store.history import HistoryStore

        with HistoryStore() as store:
            conv_id, path = build_tree(store)
        opened = self.repeat("open", base_url=self.base_url, conv_id=conv_id, messages=path)
        self.results["open_tree_1000_s"] = round(opened["first_paint_s"], 3)
        self.results["open_tree_1000_rss_mb"] = round(opened["rss_mb"], 1)
        switched = self.repeat("switch_branch", base_url=self.base_url, conv_id=conv_id)
        self.results["switch_branch_ms"] = round(switched["switch_ms"], 1)
        self.results["context_estimate_ms"] = round(switched["context_estimate_ms"], 3)
        self.details["tree"] = {
            "open": {k: v for k, v in opened.items() if k != "spawned_at"},
            "switch": {k: v for k, v in switched.items() if k != "spawned_at"},
        }

    def bench_huge(self) -> None:
        from bench.client_bench import measure_raw
        from bench.sse_server import parse_model

        details: dict[str, Any] = {}
        for kind, key in HUGE.items():
            model = f"bench-huge-{kind}"
            deltas, _ = parse_model(model)

            async def raw(model: str = model, deltas: int = deltas) -> list[float]:
                await measure_raw(self.base_url, deltas, model)  # warm-up (the server builds the stream)
                return [(await measure_raw(self.base_url, deltas, model))["seconds"] for _ in range(3)]

            raw_s = statistics.median(asyncio.run(raw()))
            result = self.repeat("huge", base_url=self.base_url, kind=kind, settle=20.0 if self.quick else 60.0)
            self.results[f"{key}_s"] = round(result["end_s"], 3)
            self.results[f"{key}_key_latency_max_ms"] = round(result["key_latency_max_ms"], 1)
            if kind != "10mb":
                self.results[f"{key}_raw_s"] = round(raw_s, 3)
                self.results[f"{key}_vs_raw"] = round(result["end_s"] / raw_s, 2)
            details[kind] = {"raw_s": raw_s, **{k: v for k, v in result.items() if k != "spawned_at"}}
        self.details["huge"] = details

    def bench_tools(self) -> None:
        from bench.tool_bench import measure_tool_rounds

        result = asyncio.run(measure_tool_rounds(5 if self.quick else 20))
        self.results["tool_round_approval_ms"] = round(result["approval_ms"], 3)
        self.results["tool_round_next_request_ms"] = round(result["next_request_ms"], 3)
        self.results["tool_call_local_ms"] = round(result["call_ms"], 2)
        self.details["tools"] = result

    def _ratios(self) -> None:
        r = self.results
        for key, num, den in (
            ("client_vs_raw", "client_events_per_s", "raw_events_per_s"),
            ("client_vs_openai_sdk", "client_events_per_s", "openai_sdk_events_per_s"),
            ("render_vs_markdown_stream", "render_deltas_per_s", "markdown_stream_deltas_per_s"),
            ("startup_vs_minimal_textual", "startup_first_screen_ms", "minimal_textual_startup_ms"),
        ):
            if num in r and den in r and r[den]:
                r[key] = round(r[num] / r[den], 2)
        if r.get("raw_events_per_s"):
            factor = REFERENCE_RAW_EVENTS_PER_S / r["raw_events_per_s"]
            r["machine_factor"] = round(factor, 2)
            for key, (_, unit, _, _, _) in TARGETS.items():
                if unit in NORMALISED_UNITS and key in r and not key.endswith("_raw_s"):
                    r[f"{key}_norm"] = round(r[key] / factor, 3 if unit == "s" else 1)

    # -- output ---------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions: dict[str, str | None] = {"python": platform.python_version()}
        for package in ("textual", "httpx", "openai", "rich", "llmconsole"):
            try:
                versions[package] = version(package)
            except PackageNotFoundError:
                versions[package] = None
        cpu_model = None
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        return {
            "versions": versions,
            "machine": {
                "cpu_count": os.cpu_count(),
                "cpu_model": cpu_model,
                "platform": platform.platform(),
                "memory_gb": _memory_gb(),
            },
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "quick": self.quick,
            "repeats": self.repeats,
            "command": "python -m bench" + (" --quick" if self.quick else "") + " --json",
            "errors": self.errors,
            "details": self.details,
        }


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _format(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def table(results: dict[str, float], meta: dict[str, Any]) -> str:
    rows = [("figure", "key", "value", "target", "")]
    for key, (label, unit, _, target, check) in TARGETS.items():
        if key not in results:
            rows.append((label, key, "n/a", target, "ERROR" if target else ""))
            continue
        value = results[key]
        shown = f"{_format(value)} {unit}"
        normalised = results.get(f"{key}_norm")
        if normalised is not None:
            shown += f" (normalised {_format(normalised)})"
            value = normalised
        verdict = "" if check is None else ("ok" if check(value) else "MISSED")
        rows.append((label, key, shown, target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    machine = meta["machine"]
    versions = meta["versions"]
    lines.append("")
    lines.append(
        f"{machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['platform']}; "
        f"Python {versions['python']}, Textual {versions['textual']}, httpx {versions['httpx']}, "
        f"openai {versions['openai']}, rich {versions['rich']}"
    )
    how = "quick (1 repeat)" if meta["quick"] else f"medians of {meta['repeats']}"
    lines.append(f"{how}; {meta['date']}")
    for group, error in meta["errors"].items():
        lines.append(f"ERROR in {group}: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one repeat, 2,000-delta baseline (< 3 minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (figures and meta)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per measurement (default 3, quick 1)")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}")
    args = parser.parse_args(argv)
    groups = tuple(g.strip() for g in args.only.split(",") if g.strip())
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    repeats = args.repeats or (1 if args.quick else 3)
    os.chdir(REPO)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    bench = Bench(quick=args.quick, repeats=repeats)
    started = time.perf_counter()
    try:
        bench.run(groups)
    finally:
        bench.close()
    meta = bench.meta()
    meta["wall_s"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps({**bench.results, "meta": meta}))
    else:
        print(table(bench.results, meta))
    return 1 if bench.errors else 0

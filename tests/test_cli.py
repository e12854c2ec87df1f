"""The command line as a script uses it: real subprocesses, the demo backend, exit codes, stdout/stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmconsole.core.demo import DEMO_MODELS


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "llmconsole", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=60,
        cwd=cwd,
    )


def test_help_shows_keys_and_environment() -> None:
    result = run("--help")
    assert result.returncode == 0
    for needle in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ctrl+l", "escape", "--list-models", "exit codes"):
        assert needle in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("llmconsole ")


def test_list_models_json_demo() -> None:
    result = run("--demo", "--list-models", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    models = json.loads(result.stdout)
    ids = [m["id"] for m in models]
    chat = list(dict.fromkeys(m.id for m in DEMO_MODELS if m.mode != "embedding"))
    assert ids == chat
    for model in models:
        assert {
            "id",
            "reasoning",
            "images",
            "context_window",
            "max_output_tokens",
            "params",
            "source",
            "sources",
        } <= set(model)
        assert isinstance(model["context_window"], int) and isinstance(model["max_output_tokens"], int)
        assert {"store", "prompt_cache_key"} <= set(model["params"])
    opus = next(m for m in models if "opus" in m["id"])
    assert opus["params"]["prompt_cache_key"] is False and opus["source"] == "model_info"


def test_list_models_table() -> None:
    result = run("--demo", "--list-models")
    assert result.returncode == 0
    assert "demo-gpt-5" in result.stdout and "200K" in result.stdout and "1M" in result.stdout


def test_prompt_streams_only_the_reply_and_is_silent_on_stderr(tmp_path: Path) -> None:
    result = run("--demo", "-p", "hello", env={"LLMCONSOLE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("# Welcome to the llmconsole demo")
    history = run("history", "--demo", "show", "last", env={"LLMCONSOLE_DATA_DIR": str(tmp_path)})
    assert history.returncode == 0 and "Welcome to the llmconsole demo" in history.stdout
    # the demo's conversations never mix with the real ones
    assert not (tmp_path / "history.sqlite3").exists()
    real = run("history", env={"LLMCONSOLE_DATA_DIR": str(tmp_path)})
    assert real.returncode == 0 and real.stdout == "" and "No saved conversations" in real.stderr


def test_prompt_from_stdin(tmp_path: Path) -> None:
    result = run(
        "--demo", "-p", "-", "--no-history", stdin="please show a table\n", env={"LLMCONSOLE_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0 and "|" in result.stdout
    assert not (tmp_path / "history.sqlite3").exists() and not (tmp_path / "demo-history.sqlite3").exists()


def test_rate_limit_exits_3_with_the_formatted_message() -> None:
    result = run("--demo", "-p", "hi", "--model", "demo-ratelimited", "--no-history")
    assert result.returncode == 3
    assert result.stdout == ""
    for line in (
        "Rate Limit Exceeded - Model: demo-ratelimited",
        "Limit Type: input tokens per minute",
        "Limit: 200000 | Current: 200150",
        "Retry After: 15 seconds",
        "What to do:",
        "Contact Databricks account team",
    ):
        assert line in result.stderr


def test_unknown_model_exits_4_with_hint() -> None:
    result = run("--demo", "-p", "hi", "--model", "no-such-model", "--no-history")
    assert result.returncode == 4
    assert "--list-models" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_interrupted_stream_keeps_partial_text_and_exits_4() -> None:
    result = run("--demo", "-p", "please cut", "--no-history")
    assert result.returncode == 4
    assert len(result.stdout) > 20
    assert "interrupted" in result.stderr.lower() and "Traceback" not in result.stderr


def test_truncated_reply_exits_0_with_one_line() -> None:
    result = run("--demo", "-p", "truncate", "--no-history")
    assert result.returncode == 0
    assert "truncated at" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("-p", "hi"), ("--list-models",)])
def test_missing_base_url_exits_2_naming_the_variable(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "OPENAI_BASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_missing_key_exits_2() -> None:
    result = run("-p", "hi", env={"OPENAI_BASE_URL": "http://127.0.0.1:9"})
    assert result.returncode == 2 and "OPENAI_API_KEY" in result.stderr


def test_unreachable_proxy_is_one_line_exit_4() -> None:
    result = run("--list-models", env={"OPENAI_BASE_URL": "http://127.0.0.1:9", "OPENAI_API_KEY": "sk-abc-123456"})
    assert result.returncode == 4
    assert "cannot connect" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "sk-abc-123456" not in result.stderr


def test_compare_prints_each_reply_under_its_heading_in_order() -> None:
    result = run(
        "--demo",
        "-p",
        "hi",
        "--model",
        "demo-claude-haiku-4-5",
        "--model",
        "demo-gpt-5",
        "--model",
        "demo-ratelimited",
        "--no-history",
    )
    assert result.returncode == 3
    out = result.stdout
    assert out.index("## demo-claude-haiku-4-5") < out.index("## demo-gpt-5") < out.index("## demo-ratelimited")
    assert "Rate Limit Exceeded" in result.stderr


def test_compare_is_stored_as_one_conversation_whose_answers_are_siblings() -> None:
    from llmconsole.core.chat.tree import Tree
    from llmconsole.core.store.history import HistoryStore, default_path

    result = run("--demo", "-p", "hi", "--model", "demo-claude-haiku-4-5", "--model", "demo-gpt-5")
    assert result.returncode == 0, result.stderr
    with HistoryStore(default_path(demo=True)) as store:
        (summary,) = store.list_conversations()
        assert summary.kind == "compare"
        conv = store.load(summary.id)
    tree = Tree.of(conv)
    (prompt,) = [m for m in tree.messages if m.role == "user"]
    answers = [m for m in tree.messages if m.role == "assistant"]
    assert prompt.text == "hi" and sorted(m.model or "" for m in answers) == ["demo-claude-haiku-4-5", "demo-gpt-5"]
    assert all(m.parent_id == prompt.id and m.status == "completed" for m in answers)
    assert tree.position(answers[0])[1] == 2  # siblings: left/right reaches each


def test_compare_more_than_four_models_exits_2() -> None:
    result = run("--demo", "-p", "hi", *[x for m in ("a", "b", "c", "d", "e") for x in ("--model", m)])
    assert result.returncode == 2


def test_closed_pipe_ends_quietly() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL",)}
    result = subprocess.run(
        f"{sys.executable} -m llmconsole --demo --no-history -p long | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.stdout and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_ctrl_c_exits_130_and_keeps_the_partial_reply_marked_cancelled(tmp_path: Path) -> None:
    """SIGINT mid-reply: exit 130, the partial reply stored as cancelled. The fake proxy sends one delta and then
    nothing until the test ends, so the reply cannot finish before the signal, however slow the machine (the demo
    reply once did: exit 0)."""
    import signal

    from tests.faultserver import Conn, FaultServer, cli_env, delta, history_show_last

    def one_delta_then_stall(conn: Conn) -> None:
        conn.start_stream()
        conn.write(delta("partial answer"))
        conn.stall(60)

    with FaultServer(responses=one_delta_then_stall) as server:
        env = cli_env(tmp_path, server.base_url, "sk-test")
        child = subprocess.Popen(
            [
                sys.executable,
                "-X",
                "faulthandler",
                "-m",
                "llmconsole",
                "-p",
                "write something long",
                "--model",
                "fault-model",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None
        printed = b""
        while b"partial answer" not in printed:  # the condition: the reply has started (and cannot end)
            chunk = child.stdout.read1(64)  # type: ignore[attr-defined]
            assert chunk, f"the child ended before its reply started: {child.wait(30)}"
            printed += chunk
        child.send_signal(signal.SIGINT)
        try:
            _, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # say where it hangs: faulthandler prints every thread's stack on SIGABRT
            child.send_signal(signal.SIGABRT)
            _, err = child.communicate(timeout=30)
            raise AssertionError("no exit after SIGINT:\n" + err.decode(errors="replace")[-6000:]) from None
    assert child.returncode == 130, err
    assert b"Traceback" not in err
    shown = history_show_last(env)
    assert "partial answer" in shown and "cancelled" in shown


def test_prompt_with_an_image(tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = run("--demo", "-p", f"what is this @{image}", "--no-history")
    assert result.returncode == 0, result.stderr
    assert "received an image of 72 bytes" in result.stdout
    refused = run("--demo", "-p", f"what is this @{image}", "--model", "demo-llama-3-70b", "--no-history")
    assert refused.returncode == 2 and "no image input" in refused.stderr
    assert "ctrl+" not in refused.stderr and "--list-models" in refused.stderr  # a command-line hint, not a key


def test_prompt_with_a_missing_text_file_sends_nothing(tmp_path: Path) -> None:
    """``@nope.txt`` is a file that is not there, as ``@nope.png`` is: one line naming it, exit 2, nothing sent
    (nothing stored either); ``@@nope.txt`` is the literal word."""
    env = {"LLMCONSOLE_DATA_DIR": str(tmp_path)}
    for ref in ("@nope.txt", "@nope.png", "@docs/nope"):
        result = run("--demo", "-p", f"summarise {ref}", env=env, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stdout == "" and result.stderr.count("\n") == 1
        assert ref[1:] in result.stderr and "no such file" in result.stderr
    literal = run("--demo", "-p", "summarise @@nope.txt", env=env, cwd=tmp_path)
    assert literal.returncode == 0, literal.stderr
    shown = run("history", "--demo", "show", "last", env=env)
    assert "summarise @nope.txt" in shown.stdout
    assert run("history", "--demo", "list", env=env).stdout.count("summarise") == 1  # the refused ones: none


def test_help_lists_the_console_keys_that_exist() -> None:
    """Every key the console's main screen and app bind (shown in the footer) is in --help, and no other."""
    from llmconsole.cli import EPILOG
    from llmconsole.ui.app import LLMConsoleApp
    from llmconsole.ui.screens.main import MainScreen

    keys = {
        key.strip()
        for binding in [*MainScreen.BINDINGS, *LLMConsoleApp.BINDINGS]
        if not isinstance(binding, tuple) and binding.show
        for key in binding.key.split(",")
    }
    from llmconsole.ui.widgets.prompt import PromptInput

    prompt_keys = {
        key.strip()
        for binding in PromptInput.BINDINGS
        if not isinstance(binding, tuple)
        for key in binding.key.split(",")
    }
    section = EPILOG.split("keys in the console")[1].split("examples:")[0]
    for key in keys | (prompt_keys - {"shift+enter"}):
        assert key in section, key
    for word in section.replace("·", " ").replace("/", " ").split():
        if word.startswith("ctrl+") or (word[:1] == "f" and word[1:].isdigit()):
            every = {k.strip() for b in MainScreen.BINDINGS if not isinstance(b, tuple) for k in b.key.split(",")}
            assert word in keys | every | prompt_keys | {"ctrl+p"}, word


def test_usage_names_the_subcommands() -> None:
    result = run("--no-such-flag")
    assert result.returncode == 2
    assert "llmconsole history" in result.stderr and "llmconsole doctor" in result.stderr
    assert "llmconsole history" in run("--help").stdout


def test_console_flags_reach_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmconsole.ui.app as ui_app
    from llmconsole.cli import main

    seen: dict[str, object] = {}

    def fake_run_app(settings: object, **kwargs: object) -> int:
        seen["settings"], seen["kwargs"] = settings, kwargs
        return 0

    monkeypatch.setattr(ui_app, "run_app", fake_run_app)
    code = main(
        ["--demo", "--model", "demo-claude-haiku-4-5", "--system", "Be brief.", "--effort", "low", "--no-history"]
    )
    assert code == 0
    settings = seen["settings"]
    assert settings.default_model == "demo-claude-haiku-4-5"  # type: ignore[attr-defined]
    assert settings.system_prompt == "Be brief." and settings.reasoning_effort == "low"  # type: ignore[attr-defined]
    assert seen["kwargs"] == {"history_factory": None}


def test_forget_learned_for_one_model_then_all_on_the_current_proxy_only() -> None:
    from llmconsole.core.proxy.params import LearnedParams

    learned = LearnedParams()
    learned.record("https://proxy.example", "gpt-5.2", "reasoning_summary")
    learned.record("https://proxy.example", "acme", "store")
    learned.record("https://other.example", "acme", "store")
    env = {"OPENAI_BASE_URL": "https://user:secret@proxy.example/"}
    result = run("--forget-learned", "gpt-5.2", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Forgot on https://proxy.example: gpt-5.2: reasoning_summary.\n"
    assert "secret" not in result.stdout + result.stderr
    after = LearnedParams(learned.path)
    assert not after.rejected("https://proxy.example", "gpt-5.2") and after.rejected("https://proxy.example", "acme")
    result = run("--forget-learned", env=env)
    assert result.stdout == "Forgot on https://proxy.example: acme: store.\n"
    assert LearnedParams(learned.path).rejected("https://other.example", "acme") == {"store"}
    result = run("--forget-learned", env=env)
    assert result.returncode == 0 and result.stdout == "Nothing learned on https://proxy.example.\n"
    assert run("--forget-learned").returncode == 2


def test_prompt_with_text_and_binary_files(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n", encoding="utf-8")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01")
    env = {"LLMCONSOLE_DATA_DIR": str(tmp_path)}
    ok = run("--demo", "--no-history", "-p", "summarise @notes.md", env=env, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stderr == ""
    bad = run("--demo", "--no-history", "-p", "what is @blob.bin", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "blob.bin: a binary file" in bad.stderr
    llama = run("--demo", "--no-history", "-p", "x @notes.md", "-m", "demo-llama-3-70b", env=env, cwd=tmp_path)
    assert llama.returncode == 0  # text goes to every model, image input or not


def test_ctrl_c_ends_a_run_even_when_its_first_cancellation_is_swallowed() -> None:
    """A cancellation that lands as a read completes can be absorbed below the console (seen under load: `-p` kept
    reading a stalled stream after ctrl+c). The run is cancelled again until it ends, then exits as interrupted."""
    import asyncio
    import os
    import signal

    from llmconsole import cli

    swallowed: list[bool] = []

    async def stubborn() -> int:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            swallowed.append(True)  # as a completed read can: the run goes on
        await asyncio.sleep(60)
        return 0

    with pytest.raises(KeyboardInterrupt):
        cli._run_interruptible(stubborn)
    assert swallowed == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

"""The console in a real terminal (tmux) against the real LiteLLM proxy: a regeneration that fails (the
connection drops) followed by a prompt (issue 17 §1), and the message mode that never goes stale (issue 20 item 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.faultserver import cli_env
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import LiteLLMProxy
from tests.tmux import SRC, Terminal, console, have_tmux

pytestmark = pytest.mark.proxy
MODEL = "gpt-5.2"


def footer(term: Terminal) -> str:
    return term.lines()[-1]


def replies_done(count: int):  # type: ignore[no-untyped-def]
    """The screen shows ``count`` finished replies (their telemetry lines) and nothing streams."""
    return lambda screen: screen.count(f"{MODEL} · in ") >= count and "streaming…" not in screen


def start(proxy: LiteLLMProxy, tmp_path: Path) -> dict[str, str]:
    assert have_tmux(), "tmux is needed for the real-terminal tests"
    return cli_env(tmp_path, proxy.base_url, proxy.master_key)


def test_a_failed_regeneration_then_a_prompt_keeps_the_question_and_its_answer(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    upstream.script(
        MODEL,
        Behaviour.reply("Four, of course.", times=1),
        Behaviour.cut(after=0, reset=True, times=1),  # the connection drops: nothing arrives
        Behaviour.reply("Six, then.", times=1),
    )
    env = start(proxy, tmp_path)
    with console(tmp_path, "-m", MODEL, env=env) as term:
        term.wait_for(MODEL)
        term.type("What is two plus two?")
        term.keys("Enter")
        term.wait_for("Four, of course.")
        term.wait(replies_done(1), what="the answer's end")
        term.keys("C-Up")
        term.wait(lambda s: "Regenerate" in s.splitlines()[-1], what="the message keys")
        term.keys("r")  # the regeneration fails before any text
        term.wait(lambda s: "‹2/2›" in s and "streaming…" not in s, what="the failed attempt beside the answer")
        screen = term.screen()
        assert "What is two plus two?" in screen
        term.type("And three plus three?")
        term.wait_for("And three plus three?")
        assert "What is two plus two?And three" not in term.screen(), "the failed prompt was not put back"
        term.keys("Enter")
        term.wait_for("Six, then.")
        sent = upstream.last_for(MODEL, "responses").body["input"]
        assert [item["content"] for item in sent] == [
            "What is two plus two?",
            "Four, of course.",
            "And three plus three?",
        ]
        term.keys("C-q")
        term.wait_closed()
    shown = subprocess.run(
        [sys.executable, "-m", "llmconsole", "history", "show", "last", "--tree"],
        env={**env, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    tree = shown.stdout
    for text in ("What is two plus two?", "Four, of course.", "And three plus three?", "Six, then."):
        assert text in tree
    assert "_(error" in tree  # the failed attempt is kept, beside the answer
    assert tree.count("‹") >= 2


def test_after_r_the_prompt_takes_the_keys_and_the_key_bar_offers_no_stale_key(
    proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path
) -> None:
    upstream.script(MODEL, Behaviour.reply("First version.", times=1), Behaviour.reply("Second version."))
    env = start(proxy, tmp_path)
    with console(tmp_path, "-m", MODEL, "--no-history", env=env) as term:
        term.wait_for(MODEL)
        term.type("hi")
        term.keys("Enter")
        term.wait(replies_done(1), what="the answer")
        term.keys("C-Up")
        term.wait(lambda s: "Regenerate" in s.splitlines()[-1], what="the message keys in the key bar")
        assert "Branch" not in footer(term) and "Edit" not in footer(term)  # a reply, one version only
        term.keys("r")
        term.wait(lambda s: "‹2/2›" in s and "Second version." in s and replies_done(1)(s), what="the new answer")
        bar = footer(term)
        assert not any(word in bar for word in ("Regenerate", "Branch", "Edit")), bar
        term.keys("Left")  # in the prompt: moves the cursor, no "Select a message first"
        term.type("typed here")
        term.wait_for("typed here")
        assert "Select a message first" not in term.screen()
        term.keys("C-Up")
        term.wait(lambda s: "Branch" in s.splitlines()[-1], what="the branch keys")
        term.keys("Left")  # keeps the selection on the version it shows
        term.wait(lambda s: "‹1/2›" in s and "First version." in s, what="the first version")
        assert "Branch" in footer(term)
        term.keys("Right")
        term.wait_for("Second version.")
        term.keys("C-q")
        term.wait_closed()

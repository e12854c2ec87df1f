"""Sending never deletes (issue 17 §1), in the console through the real LiteLLM proxy, driven by keys.

Every failure kind (a 429, a connection the upstream drops, an HTTP error, a stream cut after some text, a
cancel) after every way of sending (a prompt, a regeneration, an edit, a compared answer continued), then a
following prompt: what that prompt's request carries (as the upstream received it through the proxy) and
what ``llmconsole history show --tree`` keeps afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.test_app_proxy import TrackingTransport
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import MASTER_KEY, LiteLLMProxy
from tests.ui.helpers import FakeClock, type_text, wait_ready, wait_until
from textual.pilot import Pilot

from llmconsole.core.chat.tree import Tree
from llmconsole.core.config import Settings
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.secret import Secret
from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.history_cli import main as history_main
from llmconsole.ui.app import LLMConsoleApp, make_app
from llmconsole.ui.screens.compare import CompareScreen
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.rate_limit import RateLimitModal

pytestmark = [pytest.mark.proxy, pytest.mark.anyio]

SIZE = (150, 40)
MODEL = "gpt-5.2"
PARTIAL = "Partial words that arrive before the end"


def failure(kind: str) -> Behaviour:
    """One failing answer of ``kind`` (then the default reply again)."""
    return {
        "429": Behaviour.rate_limit(times=1),
        "dropped connection": Behaviour.cut(after=0, reset=True, times=1),
        "http error": Behaviour(status=500, body={"error": {"message": "upstream exploded"}}, times=1),
        "cut stream": Behaviour.cut(after=2, text=PARTIAL, deltas=4, delay=0.05, times=1),
        "cancel": Behaviour.stall(after=2, text=PARTIAL, deltas=4, delay=0.05, times=1),
    }[kind]


KEEPS_TEXT = {"cut stream", "cancel"}


def contents(body: dict[str, Any]) -> list[str]:
    """The text of every input item the upstream received."""
    out = []
    for item in body["input"]:
        content = item.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append(content)
    return out


def asked(upstream: FakeUpstream) -> int:
    return len(upstream.requests_for(MODEL, "responses"))


async def submit(pilot: Pilot[Any], main: MainScreen, text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")


async def settle(
    pilot: Pilot[Any], app: LLMConsoleApp, main: MainScreen, upstream: FakeUpstream, before: int, kind: str = ""
) -> None:
    """Wait for the reply asked after ``before`` upstream requests to end (cancelling it once text arrived
    for ``cancel``; closing a rate-limit dialog)."""
    await wait_until(pilot, lambda: asked(upstream) > before, timeout=30)
    if kind == "cancel":
        await wait_until(pilot, lambda: bool(main.pane.replies and main.pane.replies[-1].text), timeout=30)
        await pilot.press("escape")

    def ended() -> bool:
        last = main.conversation.messages[-1] if main.conversation.messages else None
        return not main.streaming and last is not None and last.role == "assistant" and last.status != "streaming"

    await wait_until(pilot, ended, timeout=30)
    await pilot.pause()
    if kind == "429":
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal), timeout=30)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)


async def good_turn(
    pilot: Pilot[Any], app: LLMConsoleApp, main: MainScreen, upstream: FakeUpstream, how: str
) -> list[str]:
    """q1 and its answer (or a compared answer continued); returns the texts of that good state."""
    if how != "compare-continue":
        await submit(pilot, main, "q1")
        await settle(pilot, app, main, upstream, 0)
        return ["q1", main.conversation.messages[-1].text]
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    ids = [m.id for m in screen.models]
    while screen.selection.highlighted is None or ids[screen.selection.highlighted] != "acme-large":
        await pilot.press("down")
    await pilot.press("space", "tab")
    await type_text(pilot, "q1")
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(screen.columns) == 2 and all(c.finished for c in screen.columns), timeout=30)
    await pilot.press("1")  # continue the gpt-5.2 answer
    await wait_until(pilot, lambda: app.screen is main and len(main.conversation.messages) == 2)
    return ["q1", main.conversation.messages[-1].text]


@pytest.mark.parametrize("kind", ["429", "dropped connection", "http error", "cut stream", "cancel"])
@pytest.mark.parametrize("how", ["send", "regenerate", "edit", "compare-continue"])
async def test_a_failure_then_a_prompt_deletes_nothing(
    proxy: LiteLLMProxy, upstream: FakeUpstream, how: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = HistoryStore()
    settings = Settings(base_url=proxy.base_url, api_key=Secret(MASTER_KEY), default_model=MODEL, idle_timeout=30.0)
    client = ProxyClient(settings, transport=TrackingTransport())
    app = make_app(settings, client=client, history=AsyncHistory(store), clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        good = await good_turn(pilot, app, main, upstream, how)
        upstream.script(MODEL, failure(kind))
        before = asked(upstream)
        if how in ("send", "compare-continue"):
            await submit(pilot, main, "q2")
            good = [*good, "q2"]
        elif how == "regenerate":
            await pilot.press("ctrl+up")  # the last message: the answer
            await wait_until(pilot, lambda: main.pane.selected_message is not None)
            await pilot.press("r")
        else:
            await pilot.press("ctrl+up", "up")  # the prompt
            await wait_until(pilot, lambda: getattr(main.pane.selected_message, "role", "") == "user")
            await pilot.press("e")
            await wait_until(pilot, lambda: main.prompt.text == "q1")
            await pilot.press("end")
            await type_text(pilot, " edited")
            await pilot.press("enter")
            good = ["q1 edited"]
        await settle(pilot, app, main, upstream, before, kind)
        failed = main.conversation.messages[-1]
        assert failed.role == "assistant" and failed.status in ("rate_limited", "error", "interrupted", "cancelled")
        assert bool(failed.text) == (kind in KEEPS_TEXT)
        assert main.prompt.text == "", "the failed prompt is not put back into the input"
        upstream.release()
        upstream.script(MODEL, Behaviour.reply("The next answer."))
        before = asked(upstream)
        await submit(pilot, main, "next")
        await settle(pilot, app, main, upstream, before)
        # What the following prompt's request carried.
        sent = contents(upstream.last_for(MODEL, "responses").body)
        if kind in KEEPS_TEXT:  # the partial reply is sent ("continue" sees it)
            expected = ["q1", failed.text] if how == "regenerate" else [*good, failed.text]
        else:  # a failed regeneration gives way to the answer it was to replace; a failed prompt goes along
            expected = good
        assert sent == [*expected, "next"]
        assert main.conversation.messages[-1].text == "The next answer."
        conv = main.conversation
        tree = Tree.of(conv)
        assert failed in tree.messages
        await app.history.drain()
    # Everything is stored: every message of the tree, the failed one with how it ended.
    stored = store.load(conv.id)
    assert {m.id for m in [*stored.messages, *stored.others]} == {m.id for m in tree.messages}
    assert [m.text for m in stored.messages][-2:] == ["next", "The next answer."]
    store.close()
    capsys.readouterr()
    assert history_main(["show", conv.id, "--tree"]) == 0
    shown = capsys.readouterr().out
    for message in tree.messages:
        if message.text:
            assert message.text.splitlines()[0] in shown
    # (a connection the upstream drops reaches the console before or after the stream started, as LiteLLM goes)
    endings = {"429": ["rate limited"], "cancel": ["cancelled"], "cut stream": ["interrupted"]}
    assert any(f"_({ending}" in shown for ending in endings.get(kind, ["error", "interrupted"]))

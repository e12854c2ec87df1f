"""Overflow and compaction through a real LiteLLM proxy, on a model whose model_info.max_input_tokens is small."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.faultserver import cli_env, run_cli
from tests.proxy.fake_upstream import Behaviour, FakeUpstream
from tests.proxy.litellm_proxy import LiteLLMProxy, litellm_executable, missing_proxy_message, start_proxy

from llmconsole.core.chat.compact import INSTRUCTION, SUMMARY_PROMPT
from llmconsole.core.store.history import DB_FILENAME, HistoryStore

pytestmark = [pytest.mark.proxy]

TINY = "tiny-window"
EXTRA_MODELS: list[dict[str, Any]] = [
    {
        "model_name": TINY,
        "litellm_params": {"model": f"openai/{TINY}", "api_base": "$UPSTREAM/v1"},
        "model_info": {"max_input_tokens": 2000, "max_output_tokens": 500, "mode": "chat"},
    }
]


@pytest.fixture(scope="module")
def tiny_proxy(fake_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    if not litellm_executable().exists():
        pytest.fail(missing_proxy_message(), pytrace=False)  # never a silent skip
    proxy = start_proxy(fake_upstream, tmp_path_factory.mktemp("tiny-proxy"), extra_models=EXTRA_MODELS)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def env(tiny_proxy: LiteLLMProxy, upstream: FakeUpstream, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, tiny_proxy.base_url, tiny_proxy.master_key)


def cli(*args: str, env: dict[str, str]) -> Any:
    result = run_cli(*args, env=env, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_prompt_that_does_not_fit_exits_2_before_sending(env: dict[str, str], upstream: FakeUpstream) -> None:
    result = cli("-p", "word " * 2_000, "--model", TINY, env=env)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "tokens (counted by the proxy) do not fit the context window of tiny-window" in line
    assert "1,500 tokens" in line
    assert "--compact" not in line and "nothing older to compact" in line  # a first prompt: nothing to summarise
    assert upstream.requests_for(TINY, "responses") == []


def test_compact_summarises_the_older_turns_into_a_new_branch_and_keeps_the_original(
    env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script(TINY, *(Behaviour.reply(f"answer {i}\n", times=1) for i in range(3)))
    for i in range(3):
        assert (
            cli(
                "-p", f"question {i} " + "lorem ipsum " * 150, "--model", TINY, *(["-c"] if i else []), env=env
            ).returncode
            == 0
        )
    nxt = "next question " + "z " * 600
    overflow = cli("-p", nxt, "-c", env=env)
    assert overflow.returncode == 2 and "--compact" in overflow.stderr
    upstream.script(TINY, Behaviour.reply("The user asked three lorem questions.", times=1), Behaviour.reply("final\n"))
    result = cli("-p", nxt, "-c", "--compact", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "final\n"
    assert "compacted 4 messages into a summary by tiny-window (in " in result.stderr
    summary_req, answer_req = upstream.requests_for(TINY, "responses")[-2:]
    assert INSTRUCTION in json.dumps(summary_req.body["input"]) and "question 0" in json.dumps(
        summary_req.body["input"]
    )
    sent = json.dumps(answer_req.body["input"])
    assert "three lorem questions" in sent and "question 2" in sent
    assert "question 0" not in sent and "question 1" not in sent
    with HistoryStore(Path(env["LLMCONSOLE_DATA_DIR"]) / DB_FILENAME) as store:
        conv = store.load(store.resolve("last"))
    texts = [m.text for m in conv.messages]
    assert texts[:2] == [SUMMARY_PROMPT, "The user asked three lorem questions."]
    assert texts[-2:] == [nxt, "final\n"]
    assert conv.messages[1].usage is not None  # the summary's tokens, like any reply's
    originals = [m.text for m in conv.others]
    assert any(t.startswith("question 0") for t in originals) and "answer 0\n" in originals  # nothing lost


OVERFLOW_BODY = {
    "error": {
        "message": "This model's maximum context length is 2000 tokens. However, your messages resulted in 2400 "
        "tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


@pytest.mark.anyio
async def test_console_overflow_from_the_proxy_then_compact_and_resend(
    tiny_proxy: LiteLLMProxy, upstream: FakeUpstream
) -> None:
    from tests.ui.helpers import FakeClock, send, wait_ready, wait_until

    from llmconsole.core.config import Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.secret import Secret
    from llmconsole.ui.app import make_app
    from llmconsole.ui.screens.overflow import ContextOverflowModal

    settings = Settings(
        base_url=tiny_proxy.base_url, api_key=Secret(tiny_proxy.master_key), default_model="gpt-5.2", idle_timeout=30
    )
    upstream.script(
        "gpt-5.2",
        Behaviour.reply("first answer", times=1),
        Behaviour.reply("second answer", times=1),
        Behaviour(status=400, body=OVERFLOW_BODY, times=1),
        Behaviour.reply("A summary of the first turn.", times=1),
        Behaviour.reply("the final answer"),
    )
    app = make_app(settings, client=ProxyClient(settings), clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        for prompt in ("one", "two", "three"):
            await send(pilot, app, prompt)
        await wait_until(pilot, lambda: isinstance(app.screen, ContextOverflowModal), timeout=20)
        await pilot.press("c")
        await wait_until(
            pilot, lambda: [m.text for m in main.conversation.messages][-1:] == ["the final answer"], timeout=30
        )
        await app.workers.wait_for_complete()
        texts = [m.text for m in main.conversation.messages]
    assert texts == [
        SUMMARY_PROMPT,
        "A summary of the first turn.",
        "two",
        "second answer",
        "three",
        "the final answer",
    ]
    summary_req = upstream.requests_for("gpt-5.2", "responses")[-2]
    assert INSTRUCTION in json.dumps(summary_req.body["input"])
    final = json.dumps(upstream.requests_for("gpt-5.2", "responses")[-1].body["input"])
    assert "A summary of the first turn." in final and "first answer" not in final

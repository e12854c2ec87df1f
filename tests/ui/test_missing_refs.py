"""A ``@path`` in the prompt that looks like a file and is not there (issue 20 item 4): one line naming it,
nothing sent, the prompt kept; ``@@word`` goes as the literal ``@word``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import ScriptedDemo, demo_app, wait_ready, wait_until

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def sent_from(folder: Path, monkeypatch: pytest.MonkeyPatch, prompt: str) -> AsyncIterator[tuple[Any, ...]]:
    """The console started in ``folder``, ``prompt`` typed and Enter pressed: (app, main screen, transport)."""
    monkeypatch.chdir(folder)
    transport = ScriptedDemo()
    app = demo_app(transport)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        app.clear_notifications()
        main.prompt.set_prompt(prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app._notifications or transport.posts))
        await app.workers.wait_for_complete()
        yield app, main, transport


@pytest.mark.parametrize("ref", ["@nope.txt", "@notes/todo", "@nope.png"])
async def test_a_missing_file_is_one_line_and_nothing_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    async with sent_from(tmp_path, monkeypatch, f"summarise {ref}") as (app, main, transport):
        errors = [n.message for n in app._notifications]
        assert len(errors) == 1 and ref[1:] in errors[0] and "no such file" in errors[0] and "\n" not in errors[0]
        assert transport.posts == [] and main.conversation.messages == []
        assert main.prompt.text == f"summarise {ref}"


async def test_a_doubled_at_sends_the_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with sent_from(tmp_path, monkeypatch, "what does @@nope.txt mean") as (_, main, transport):
        assert transport.posts[-1]["input"][-1]["content"] == "what does @nope.txt mean"
        assert main.conversation.messages[0].text == "what does @nope.txt mean"

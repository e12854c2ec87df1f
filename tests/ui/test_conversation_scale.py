"""Bounded mounting: a long stored conversation opens with a bounded number of widgets, and scrolling back
mounts every earlier message, correctly rendered, in order."""

from __future__ import annotations

import pytest

from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.config import load_settings
from llmconsole.core.demo import make_demo_transport
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.store.history import AsyncHistory, HistoryStore
from llmconsole.ui.app import make_app
from llmconsole.ui.widgets.conversation import MAX_MOUNTED, MOUNT_TAIL, AssistantReply, UserMessage
from tests.ui.helpers import FakeClock, send, wait_ready, wait_until

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def markdown_reply(index: int) -> str:
    """~2 KB of Markdown: a heading, paragraphs, a list, a code block and a table."""
    para = f"Paragraph of reply {index} with *emphasis*, `inline code` and a [link](https://example.com). " * 3
    code = "\n".join(f"    value_{i} = compute({i}, {index})" for i in range(12))
    table = "| a | b |\n|---|---|\n" + "\n".join(f"| {i} | {i * index} |" for i in range(5))
    return f"## Answer {index}\n\n{para}\n\n- one\n- two\n- three\n\n```python\ndef f():\n{code}\n```\n\n{table}\n"


def long_conversation(store: HistoryStore, messages: int = 200) -> Conversation:
    conv = Conversation(id="9" * 32)
    for index in range(messages // 2):
        store.add_message(conv, conv.add_user(f"question {index}"))
        reply = conv.add_assistant("demo-gpt-5")
        reply.text, reply.status = markdown_reply(index), "completed"
        store.add_message(conv, reply)
    return conv


def mounted(app: object) -> list[object]:
    main = app.main_screen  # type: ignore[attr-defined]
    return [w for w in main.pane.children if isinstance(w, UserMessage | AssistantReply)]


async def test_200_messages_open_bounded_and_scrolling_back_mounts_them_all() -> None:
    with HistoryStore() as store:
        conv = long_conversation(store)
        settings = load_settings(demo=True)
        client = ProxyClient(settings, transport=make_demo_transport(delta_delay=0))
        app = make_app(settings, client=client, history=AsyncHistory(store), clock=FakeClock())
        async with app.run_test(size=SIZE) as pilot:
            main = await wait_ready(pilot, app)
            assert await app.open_conversation(conv.id)
            await pilot.pause()
            pane = main.pane
            widgets = mounted(app)
            assert len(widgets) == MOUNT_TAIL, "only the last messages are mounted"
            assert pane.hidden_count == 200 - MOUNT_TAIL and pane.message_count == 200
            assert widgets[-1].message.id == conv.messages[-1].id  # type: ignore[attr-defined]
            assert pane.is_vertical_scroll_end, "the end is shown"
            # The last reply is rendered (its heading is on a line).
            last = widgets[-1]
            assert isinstance(last, AssistantReply)
            await wait_until(pilot, lambda: last.body.size.height > 0)
            # Scrolling up loads earlier batches, keeping the view on what was on screen.
            for _ in range(40):
                if pane.hidden_count == 0:
                    break
                anchor = mounted(app)[0]
                pane.scroll_home(animate=False, immediate=True)
                await wait_until(pilot, lambda a=anchor: mounted(app)[0] is not a)
                # The message that was at the top is still on screen once the layout settles (not pushed down
                # by the batch above it); under load the batch's heights may take a few layout passes.
                await wait_until(
                    pilot,
                    lambda a=anchor: pane.region.y <= a.region.y < pane.region.bottom,  # type: ignore[attr-defined]
                )
            assert pane.hidden_count == 0
            widgets = mounted(app)
            assert [w.message.id for w in widgets] == [m.id for m in conv.messages]  # type: ignore[attr-defined]
            # The first reply renders correctly once on screen.
            first_reply = widgets[1]
            assert isinstance(first_reply, AssistantReply)
            pane.scroll_to_widget(first_reply, top=True, animate=False, immediate=True)
            await pilot.pause()
            await wait_until(pilot, lambda: "Answer 0" in _lines(first_reply))
            assert "value_11 = compute(11, 0)" in _lines(first_reply)
            # Back at the bottom, a new exchange unmounts the far-away messages again.
            pane.anchor()
            await pilot.pause()
            await send(pilot, app, "one more")
            await wait_until(pilot, lambda: len(mounted(app)) <= MAX_MOUNTED)
            assert pane.hidden_count > 0
            assert mounted(app)[-1].message.status == "completed"  # type: ignore[attr-defined]


def _lines(reply: AssistantReply) -> str:
    body = reply.body
    return "\n".join(body.render_line(y).text for y in range(body.size.height))

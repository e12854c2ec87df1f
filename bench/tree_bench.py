"""Conversation-tree figures (issue 10): ``open_tree_1000_s``, ``switch_branch_ms``, ``context_estimate_ms``.

- *open_tree_1000_s*: a stored conversation whose active path has 1,000 messages (about 1 KB of Markdown
  each) and 50 branch points (a regenerated reply beside the first one), opened in the app: request to the
  first frame showing its end (the same measurement as ``open_200_messages_s``, :func:`bench.app_bench.mode_open`).
- *switch_branch_ms*: in that open conversation, switching the last reply to its sibling (the session rebuilds
  the path, the pane replaces what changed) until the next frame; the median of 10 switches. The details add
  ``switch_20_after_ms``: the branch point 20 messages before the end (20 widgets replaced).
- *context_estimate_ms*: what the console does per keystroke for the gauge (the local estimate over the
  1,000-message path plus the status bar update), the mean of 500 calls.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

MESSAGES = 1_000
BRANCHES = 50


def build_tree(store: Any, messages: int = MESSAGES, branches: int = BRANCHES) -> tuple[str, int]:
    """Store the bench conversation; returns its id and the length of its active path."""
    from bench.render_widget import make_messages
    from llmconsole.core.chat.conversation import Conversation, Message

    conversation = Conversation(title="A branched conversation")
    texts = make_messages(messages, 1024)
    every = max(messages // (2 * branches), 1) * 2  # a branch at every `every`-th message (a reply)
    made = 0
    base = time.time() - 10 * messages
    for index, text in enumerate(texts):
        if index % 2 == 0:
            message = conversation.add_user(text)
        else:
            message = conversation.add_assistant("bench-n50")
            message.text, message.status = text, "completed"
        message.created_at = base + 10 * index
        if index % 2 == 1 and (messages - 1 - index) % every == 0 and made < branches:
            sibling = Message(
                role="assistant",
                text="An earlier answer.\n\n" + text[: len(text) // 2],
                model="bench-n50",
                status="completed",
                parent_id=message.parent_id,
                created_at=message.created_at - 1,
            )
            store.add_message(conversation, sibling)  # stored first: the one on the path is the newer
            made += 1
        store.add_message(conversation, message)
    return conversation.id, len(conversation.messages)


async def mode_switch_branch(base_url: str, conv_id: str, switches: int = 10, keystrokes: int = 500) -> dict[str, Any]:
    """Open ``conv_id``, then time branch switches (to the next frame) and per-keystroke gauge updates."""
    from bench.app_bench import FrameProbe, _make_app, _ready_main, wait_for
    from llmconsole.core.chat.tree import Tree
    from llmconsole.core.store.history import AsyncHistory, HistoryStore

    frames = FrameProbe()
    store = AsyncHistory(HistoryStore())
    app = _make_app(base_url, "bench-n50", history=store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _ready_main(app, "bench-n50")
        await screen.open_conversation(conv_id)
        await pilot.pause()
        path = screen.conversation.messages
        tree = Tree.of(screen.conversation)
        branched = [m for m in reversed(path) if tree.position(m)[1] > 1]

        async def switch(target: Any) -> list[float]:
            times: list[float] = []
            for _ in range(switches):
                start = time.perf_counter()
                moved = screen.session.switch(target, 1)
                if moved is None:
                    raise RuntimeError("no sibling to switch to")
                await screen.branches.show_path(focus=moved.id)
                frame_at = await frames.next_frame(frames.frames)
                times.append((frame_at - start) * 1000)
                target = moved
                await pilot.pause()
            return times

        times = await switch(branched[0])  # the newest branch point: a regenerated last reply
        deeper = await switch(branched[1])  # one with 20 messages after it
        await wait_for(lambda: len(screen.conversation.messages) >= len(path) - 2, 10.0, "the path")
        screen.prompt.load_text("How does this compare with the first answer? " * 3)
        started = time.perf_counter()
        for _ in range(keystrokes):
            screen._update_context()
        estimate_ms = (time.perf_counter() - started) * 1000 / keystrokes
        gauge = screen.gauge
    return {
        "switch_ms": statistics.median(times),
        "switch_max_ms": max(times),
        "switch_20_after_ms": statistics.median(deeper),
        "context_estimate_ms": estimate_ms,
        "path_messages": len(screen.conversation.messages),
        "gauge": gauge.text() if gauge is not None else None,
    }


MODES = {"switch_branch": mode_switch_branch}

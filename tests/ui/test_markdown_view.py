"""MarkdownView: streamed Markdown rendered over cached lines, at a bounded rate."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Offset
from textual.selection import Selection

from llmconsole.ui.widgets import markdown_view
from llmconsole.ui.widgets.markdown_view import CODE_CHUNK_LINES, MarkdownView, warm_up

pytestmark = pytest.mark.anyio

REPLY = """# Release notes

Some **bold** text and `inline code`.

- first item
- second item

| Model | Context |
|-------|---------|
| alpha | 200K |
| beta | 1M |

```python
def greet(name: str) -> str:
    return f"hello {name}"
```

Done.
"""


class ViewApp(App[None]):
    def __init__(self, view: MarkdownView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.view


def rendered_text(view: MarkdownView) -> list[str]:
    """The text of every rendered line (rendering stale blocks as needed)."""
    lines = []
    for y in range(view._total_height()):
        segments = view._line_at(y)
        lines.append("".join(segment.text for segment in segments).rstrip() if segments else "")
    return lines


def pieces(text: str, size: int) -> list[str]:
    return [text[index : index + size] for index in range(0, len(text), size)]


async def test_streamed_deltas_render_headings_lists_tables_and_code() -> None:
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        heights = []
        for delta in pieces(REPLY, 5):
            view.append(delta)
            await pilot.pause()
            heights.append(view._total_height())
        view.finish()
        await pilot.pause()
        text = "\n".join(rendered_text(view))
        assert "Release notes" in text and "# Release" not in text  # a heading, not literal Markdown
        assert "• first item" in text and "• second item" in text
        assert "alpha" in text and "200K" in text and "────" in text  # a table with its rule
        assert 'return f"hello {name}"' in text and "```" not in text
        assert "inline code" in text and "`inline code`" not in text
        assert heights[-1] > heights[0] and heights == sorted(heights)  # the line count grows
        assert view.text == REPLY
        assert not view.streaming


async def test_render_line_returns_cached_strips_with_selection_offsets() -> None:
    view = MarkdownView(REPLY)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        strip = view.render_line(0)
        assert "Release notes" in strip.text
        assert strip.cell_length == view.size.width
        offsets = [style.meta.get("offset") for _, style, _ in strip if style is not None]
        assert offsets and all(offset is not None for offset in offsets)
        assert view.render_line(0) is strip  # cached while nothing changes


async def test_code_fence_split_across_deltas_is_one_code_block() -> None:
    source = "Intro\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter\n"
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        for delta in ["Intro\n\n`", "``py", "thon\nx = ", "1\n", "\ny = 2\n`", "``\n\nAf", "ter\n"]:
            view.append(delta)
            await pilot.pause()
        view.finish()
        await pilot.pause()
        assert view.code_blocks == ["x = 1\n\ny = 2"]
        code_blocks = [block for block in view._blocks if block.kind == "code"]
        assert len(code_blocks) == 1 and code_blocks[0].source == "x = 1\n\ny = 2"
        lines = rendered_text(view)
        assert "```" not in "\n".join(lines)
        # The blank line inside the fence stays inside the code block (code background on it).
        x_line = next(index for index, line in enumerate(lines) if "x = 1" in line)
        blank = view._line_at(x_line + 1)
        assert blank is not None and any(segment.style and segment.style.bgcolor for segment in blank)
        assert source == view.text


async def test_code_blocks_lists_every_fence_and_an_open_one_last() -> None:
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        view.append("```sh\nls -la\n```\n\n1. step\n   ```\n   nested\n   ```\n\n```js\nlet a")
        await pilot.pause()
        assert view.code_blocks == ["ls -la", "nested", "let a"]
        view.finish()
        assert view.code_blocks == ["ls -la", "nested", "let a"]


async def test_big_code_block_is_cached_in_chunks() -> None:
    code = "\n".join(f"value_{index} = {index}" for index in range(CODE_CHUNK_LINES * 3 + 5))
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        view.append(f"```python\n{code}\n```\n")
        view.finish()
        await pilot.pause()
        chunks = [block for block in view._blocks if block.kind == "code"]
        assert len(chunks) == 4
        assert chunks[0].top and not chunks[0].bottom and chunks[-1].bottom and not chunks[-1].top
        assert view.code_blocks == [code]
        text = rendered_text(view)
        assert sum(1 for line in text if "value_" in line) == CODE_CHUNK_LINES * 3 + 5


async def test_markup_like_text_shows_literally() -> None:
    view = MarkdownView("Model `acme/[bold]x` and [bold]x[/] and [red]y[/red]\n")
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = "\n".join(rendered_text(view))
        assert "acme/[bold]x" in text
        assert "[bold]x[/]" in text and "[red]y[/red]" in text


async def test_many_appends_in_one_turn_render_at_most_twice() -> None:
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = view.renders
        for index in range(1000):
            view.append(f"word{index} ")
        await pilot.pause()
        await pilot.pause()
        assert 1 <= view.renders - before <= 2
        assert "word999" in "".join(rendered_text(view))


async def test_render_rate_is_bounded_while_streaming() -> None:
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view.append("start ")
        await pilot.pause()
        before = view.renders
        last = view._last_render
        # Deltas keep coming on every loop turn; a render waits for RENDER_INTERVAL after the last.
        for index in range(50):
            view.append(f"w{index} ")
            await pilot.pause()
            if view.renders > before:
                assert view._last_render - last >= markdown_view.RENDER_INTERVAL * 0.9
                break
        else:
            pytest.fail("no render happened while deltas kept arriving")


async def test_finish_renders_the_tail_now() -> None:
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view.append("## Title\n\nLast words without newline")
        view.finish()  # no pause: rendered synchronously
        text = "\n".join(rendered_text(view))
        assert "Title" in text and "Last words without newline" in text
        assert view._render_timer is None and not view._render_scheduled
        assert view._tail is None


async def test_width_change_rerenders() -> None:
    paragraph = " ".join(f"word{index}" for index in range(60))
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        view.append(paragraph + "\n\n```python\nx = 1\n```\n")
        view.finish()
        await pilot.pause()
        wide = view._total_height()
        wide_width = view._blocks[0].width
        await pilot.resize_terminal(40, 24)
        await settle_with(pilot, view)
        assert view._width < wide_width
        assert all(block.width == view._width for block in view._blocks)
        assert view._total_height() > wide
        assert all(len(line) <= view._width for line in rendered_text(view))
        assert "word59" in "\n".join(rendered_text(view))


async def settle_with(pilot: object, view: MarkdownView) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(200):
        await pilot.pause()
        if view._is_rendered():
            return
    raise AssertionError("MarkdownView never finished rendering")


async def test_finished_messages_render_lazily_then_in_the_background() -> None:
    messages = [f"## Message {index}\n\n" + "Some text. " * 40 + "\n" for index in range(40)]
    views = [MarkdownView(text) for text in messages]
    assert all(block.lines is None for view in views for block in view._blocks)  # construction is cheap

    class ManyApp(App[None]):
        def compose(self) -> ComposeResult:
            with VerticalScroll():
                yield from views

    app = ManyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for view in views:
            await settle_with(pilot, view)
        assert all(view._is_rendered() for view in views)
        assert "Message 39" in "\n".join(rendered_text(views[-1]))


async def test_set_text_replaces_content() -> None:
    view = MarkdownView("old text\n")
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view.set_text("# New\n\n```\ncode\n```\n")
        await settle_with(pilot, view)
        text = "\n".join(rendered_text(view))
        assert "New" in text and "old text" not in text
        assert view.code_blocks == ["code"]
        assert view.text == "# New\n\n```\ncode\n```\n"


async def test_selection_extracts_rendered_text() -> None:
    view = MarkdownView("First paragraph here.\n\nSecond one.\n")
    app = ViewApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        selected = view.get_selection(Selection(Offset(0, 0), Offset(5, 2)))
        assert selected == ("First paragraph here.\n\nSecon", "\n")
        everything = view.get_selection(Selection(None, None))
        assert everything is not None and "Second one." in everything[0]
        # Highlighting a selected span keeps the text.
        app.screen.selections = {view: Selection(Offset(2, 0), Offset(8, 0))}
        await pilot.pause()
        assert view.render_line(0).text.startswith("First paragraph here.")


def test_warm_up_runs() -> None:
    warm_up()

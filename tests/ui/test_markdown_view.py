"""MarkdownView: streamed Markdown rendered over cached lines, at a bounded rate."""

from __future__ import annotations

import random

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Offset
from textual.selection import Selection

from llmconsole.ui.widgets import markdown_view
from llmconsole.ui.widgets.markdown_view import CODE_CHUNK_LINES, MarkdownView, warm_up
from llmconsole.ui.widgets.md_blocks import TABLE_RICH_ROWS

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


async def wait_until(pilot: object, predicate: object, turns: int = 20_000) -> None:
    """Let the app run until `predicate()` holds (a bounded number of event-loop turns)."""
    for _ in range(turns):
        if predicate():  # type: ignore[operator]
            return
        await pilot.pause()  # type: ignore[attr-defined]
    raise AssertionError("condition never held")


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


# ----------------------------------------------------------------------------------------------
# Bounded blocks (issue 11): chunked renders equal rich's Markdown render of the whole block


_WORDS = (
    "proxy model token **stream** usage `limit_1` window snake_case R&D 2_000 a * b [docs](http://x.y/z) _em_".split()
)


def _context() -> markdown_view._RenderContext:
    return markdown_view._RenderContext(
        console=markdown_view._make_console(), code_theme="monokai", code_background=None, generation=1
    )


def _same(lines: list[list[Segment]]) -> list[list[Segment]]:
    """Lines with adjacent segments of one style merged (how rich splits a run of text varies, not what shows)."""
    return [list(Segment.simplify(line)) for line in lines]


def _whole(text: str, width: int) -> list[list[Segment]]:
    return _same(markdown_view._render_markdown(text, width, _context()))


def _chunked(text: str, width: int, piece: int | None = None) -> tuple[list[list[Segment]], list[str]]:
    """Split as the view does (fed in `piece`-sized deltas), render every block in order, join with gaps."""
    splitter = markdown_view._Splitter()
    for delta in pieces(text, piece or len(text)):
        splitter.feed(delta)
    splitter.close()
    context = _context()
    lines: list[list[Segment]] = []
    kinds = []
    for index, block in enumerate(splitter.finished):
        block.lines = markdown_view._render_block(block, width, context, None)
        block.width, block.generation = width, context.generation
        if index and not block.continuation:
            lines.append([Segment(" " * width)])  # the view's gap line
        lines.extend(block.lines)
        kinds.append(block.kind)
    return _same(lines), kinds


def _paragraph(lines: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = [rng.choice(_WORDS[:3])] + [rng.choice(_WORDS) for _ in range(rng.randint(2, 14))]
        out.append(" ".join(words))
    return "\n".join(out)


@pytest.mark.parametrize("width", [23, 80, 119])
@pytest.mark.parametrize("piece", [None, 7, 997])
def test_chunked_paragraph_renders_as_rich(width: int, piece: int | None) -> None:
    text = _paragraph(400, seed=width)
    lines, kinds = _chunked(text, width, piece)
    assert kinds.count("para") > 5  # it was cut
    assert lines == _whole(text, width)


def test_inline_markdown_across_a_seam_renders_as_rich() -> None:
    text = _paragraph(60) + " **bold across\n" + _paragraph(60, seed=1) + " the seam** and `code\n" + "span` end."
    lines, kinds = _chunked(text, 61)
    assert kinds.count("para") > 2
    assert lines == _whole(text, 61)


@pytest.mark.parametrize("width", [17, 118])
def test_very_long_lines_are_cut_and_wrap_as_rich(width: int) -> None:
    spaced = " ".join(_paragraph(300).split("\n"))  # one 20 KB line
    word = "x" * 9000 + " tail"  # a word longer than any chunk
    for text in (spaced, word, ("0123456789abcdef" * 64 + "\n") * 40):
        lines, kinds = _chunked(text, width, 1000)
        assert kinds.count("para") > 2
        assert lines == _whole(text, width)


def test_paragraph_interrupted_by_a_list_keeps_the_list() -> None:
    text = _paragraph(100) + "\n- first item\n- second item"
    lines, kinds = _chunked(text, 80)
    assert kinds[-1] == "md"
    assert lines == _whole(text, 80)


@pytest.mark.parametrize("width", [40, 118])
def test_table_rendered_in_row_chunks_matches_rich(width: int) -> None:
    rng = random.Random(width)
    rows = [
        f"| {index} | **{rng.choice(_WORDS)}** | {rng.randint(1, 99999)} | {' '.join(rng.sample(_WORDS, 5))} |"
        for index in range(100)
    ]
    text = "| id | name | value | note |\n|---|:---:|--:|---|\n" + "\n".join(rows)
    lines, kinds = _chunked(text, width, 50)
    assert set(kinds) == {"table"} and len(kinds) > 3
    assert lines == _whole(text, width)


def test_big_table_falls_back_to_a_plain_layout_said_on_screen() -> None:
    rows = [f"| {index} | name {index} | `v{index}` |" for index in range(TABLE_RICH_ROWS + 50)]
    text = "| id | name | value |\n|---|---|---|\n" + "\n".join(rows)
    lines, kinds = _chunked(text, 80, 300)
    plain = ["".join(segment.text for segment in line).rstrip() for line in lines]
    assert set(kinds) == {"table"}
    assert "plain layout" in plain[0]
    assert plain[1].split() == ["id", "name", "value"] and set(plain[2].strip()) == {"─", " "}
    body = plain[3:]
    assert len(body) == len(rows)
    assert body[7].split() == ["7", "name", "7", "v7"]  # aligned cells, inline code as text
    assert len({line.index("name") for line in body}) == 1


async def test_huge_delta_is_split_over_several_turns_and_the_end_shows_first() -> None:
    text = ("0123456789abcdef" * 64 + "\n") * 3000  # 3 MB in one delta
    view = MarkdownView(streaming=True)
    app = ViewApp(view)
    async with app.run_test(size=(100, 30)) as pilot:
        scroll = app.query_one(VerticalScroll)
        scroll.anchor()
        view.append(text)
        view.finish()
        assert view._pending  # not all parsed in this call
        await wait_until(pilot, view.end_rendered)
        assert len(view._blocks) > 100  # cut into blocks (each bounded), not one 3 MB block
        assert view.text == text
        last = rendered_text(view)[-1]
        assert last and set(last) <= set("0123456789abcdef")


@pytest.mark.parametrize("width", [30, 100])
def test_long_block_quote_renders_as_rich(width: int) -> None:
    quoted = "\n".join(f"> {line}" for line in _paragraph(200, seed=3).split("\n"))
    lazy = quoted + "\na lazy continuation line\n> and more"
    two = quoted + "\n>\n" + quoted  # two paragraphs in one quote
    long_line = "> " + " ".join(_paragraph(200, seed=4).split("\n"))
    for text in (quoted, lazy, two, long_line):
        lines, kinds = _chunked(text, width, 333)
        assert kinds.count("para") > 3
        assert lines == _whole(text, width)


async def test_huge_finished_message_renders_everything_in_the_background() -> None:
    table = "| id | name |\n|---|---|\n" + "\n".join(f"| {index} | n{index} |" for index in range(1500))
    text = f"{_paragraph(300)}\n\n{table}\n\n" + "\n".join(f"> {line}" for line in _paragraph(200).split("\n"))
    view = MarkdownView(text)
    app = ViewApp(view)
    async with app.run_test(size=(90, 30)) as pilot:
        await wait_until(pilot, view._is_rendered)
        kinds = {block.kind for block in view._blocks}
        assert kinds == {"para", "table"} and len(view._blocks) > 40
        first_width = view._width
        await pilot.resize_terminal(60, 30)
        await wait_until(pilot, lambda: view._width != first_width and view._is_rendered())
        assert all(block.width == view._width for block in view._blocks)  # every block again, at the new width
        lines = rendered_text(view)
        assert any(line.split() == ["1499", "n1499"] for line in lines)

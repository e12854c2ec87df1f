"""Issue 12: narrow terminals, keys that always work (bursts, paging, remapping), the palette, small fixes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual._xterm_parser import XTermParser
from textual.command import CommandPalette
from textual.containers import Vertical
from textual.widgets import Checkbox

from llmconsole.core.events import Usage
from llmconsole.ui.app import LLMConsoleApp
from llmconsole.ui.screens.conversations import ConfirmModal
from llmconsole.ui.screens.help import HelpScreen
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.rate_limit import RateLimitModal
from llmconsole.ui.widgets.prompt import PromptInput
from llmconsole.ui.widgets.status_bar import DROP_ORDER, StatusBar
from tests.ui.helpers import FakeClock, ScriptedDemo, demo_app, demo_settings, send, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio


def feed(app: LLMConsoleApp, chunk: str) -> None:
    """Deliver ``chunk`` as the terminal driver does with one read: parsed, then every event posted at once."""
    for event in XTermParser().feed(chunk):
        app.post_message(event)


async def test_a_burst_of_keys_in_one_read_keeps_its_order() -> None:
    """ "aaa", ctrl+j (LF), "bbb", backspace, "c" in one chunk: a newline between, the backspace in its place."""
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        feed(app, "aaa\nbbb\x7fc")
        await wait_until(pilot, lambda: main.prompt.text.endswith("c"))
        await pilot.pause()
        assert main.prompt.text == "aaa\nbbc"


async def test_page_keys_scroll_the_conversation_while_the_prompt_has_focus() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "please show a table")
        await send(pilot, app, "long please")
        pane = main.pane
        assert pane.max_scroll_y > 20
        # The end is read when it is checked: background rendering may still grow the replies under load.
        await pilot.press("ctrl+home")
        await wait_until(pilot, lambda: pane.scroll_y == 0)
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: pane.scroll_y > 0)
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y > 20)
        await pilot.press("pageup")
        await wait_until(pilot, lambda: pane.scroll_y < pane.max_scroll_y)
        assert isinstance(app.focused, PromptInput)
        assert main.prompt.text == ""


async def test_f1_leads_the_footer_and_f5_says_what_it_did() -> None:
    from textual.widgets._footer import FooterKey

    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.pause()
        keys = list(main.footer.query(FooterKey))
        assert keys and keys[0].action == "help" and keys[0].region.right <= 60  # visible even at 60 columns
        app.clear_notifications()
        await pilot.press("f5")
        await wait_until(pilot, lambda: any("reloaded" in n.message for n in app._notifications))
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Reloading the model list from demo") for m in messages)
        assert any(m == "Model list reloaded: 6 models from demo." for m in messages), messages


async def test_ctrl_x_cancels_the_automatic_resend_while_the_dialog_is_open() -> None:
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-gpt-5"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        modal = app.screen
        assert isinstance(modal, RateLimitModal)
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert app.screen is modal, "the dialog stays open"
        assert main.countdown is not None and not main.countdown.auto_resend
        assert modal.query_one("#rl-auto", Checkbox).value is False
        clock.advance(16)
        main.tick()
        await pilot.pause()
        assert len(transport.posts) == 1, "no automatic resend after ctrl+x"
        assert "of 200000" in main.status_bar.plain and "200150 of" in main.status_bar.plain  # current of limit


async def test_keys_remapped_in_config_by_binding_id() -> None:
    settings = replace(demo_settings(), keys={"new-conversation": "f11", "copy-code": "f12", "no-such-id": "f10"})
    app = demo_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        assert main.conversation.messages
        await pilot.press("f11")
        await wait_until(pilot, lambda: not main.conversation.messages)
        warnings = [n for n in app._notifications if "no-such-id" in n.message]
        assert len(warnings) == 1 and "[keys]" in warnings[0].message
        help_keys = {b.id: b.key for b in app.all_bindings() if b.id}
        assert help_keys["new-conversation"] == "f11" and help_keys["copy-code"] == "f12"
        palette = " ".join(c.help for c in app.get_system_commands(main))
        assert "(f11)" in palette and "(f12)" in palette and "(ctrl+n)" not in palette


async def test_every_binding_has_an_id_and_ids_are_unique() -> None:
    from llmconsole.ui.keys import all_console_bindings

    bindings = all_console_bindings()
    assert all(b.id for b in bindings), [b.key for b in bindings if not b.id]
    # one id, one meaning: the same id may appear on several screens only for the same action
    by_id: dict[str, set[str]] = {}
    for b in bindings:
        by_id.setdefault(b.id or "", set()).add(b.action)
    assert all(len(actions) == 1 for actions in by_id.values()), by_id
    assert "ctrl+b" not in {k.strip() for b in bindings for k in b.key.split(",")}, "tmux's prefix"


async def test_sidebar_starts_hidden_below_100_columns_and_f6_toggles_it() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.pause()
        assert not main.sidebar.display
        assert main.pane.size.width >= 70  # the conversation has the width
        assert main.status_bar.plain.startswith("demo-gpt-5 think img 200K")  # model and badges stay in view
        assert "ctrl+o" in main.prompt.placeholder  # the first screen hints at the earlier conversations
        await pilot.press("f6")
        await pilot.pause()
        assert main.sidebar.display and main.sidebar.filter_input.has_focus
        await pilot.press("f6")
        await pilot.pause()
        assert not main.sidebar.display and isinstance(app.focused, PromptInput)
    wide = demo_app()
    async with wide.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, wide)
        assert main.sidebar.display
        await pilot.press("f6")
        await pilot.pause()
        assert not main.sidebar.display


async def test_status_bar_drops_the_least_useful_parts_never_cuts_one() -> None:
    from llmconsole.core.proxy.models import ModelInfo

    model = ModelInfo(id="demo-gpt-5", reasoning=True, images=True, context_window=200_000)
    bar = StatusBar()
    bar.model = model
    bar.context_percent = 12
    bar.total_cost = "total $0.0123"
    bar.usage = Usage(input_tokens=1234, output_tokens=5678, cost=0.0123)
    full = bar.build()
    assert "last: in 1,234" in full.plain and "total $0.0123" in full.plain
    for width in (120, 80, 60, 40, 20):
        line = bar.build(width).plain
        assert line.startswith(model.id)
        shown = [part for part in ("last:", "total", "ctx") if part in line]
        dropped = [p for p in ("last:", "total", "ctx") if p not in shown]
        # parts go whole, in DROP_ORDER: never "…", never a part without the ones less useful gone first
        assert "…" not in line
        order = {
            "last:": DROP_ORDER.index("usage"),
            "total": DROP_ORDER.index("cost"),
            "ctx": DROP_ORDER.index("context"),
        }
        assert all(order[d] < order[s] for d in dropped for s in shown)
        assert len(line) <= width or line == model.id


async def test_last_usage_goes_with_a_model_switch() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        assert "last: in" in main.status_bar.plain
        assert main.select_model("demo-claude-haiku-4-5")
        assert "last:" not in main.status_bar.plain


async def test_sidebar_filter_is_cleared_after_picking() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        main.sidebar.filter_input.focus()
        await type_text(pilot, "haiku")
        assert main.sidebar.shown_ids == ["demo-claude-haiku-4-5"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.model is not None and main.model.id == "demo-claude-haiku-4-5")
        assert main.sidebar.filter_input.value == ""
        assert "demo-gpt-5" in main.sidebar.shown_ids
        # a filter that would hide the model picked elsewhere (ctrl+l) is cleared too
        main.sidebar.filter_input.value = "llama"
        await pilot.pause()
        assert main.select_model("demo-gpt-5")
        await pilot.pause()
        assert "demo-gpt-5" in main.sidebar.shown_ids


async def test_palette_offers_every_main_action_and_finds_export() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        main = await wait_ready(pilot, app)
        helps = " ".join(f"{c.title} {c.help}" for c in app.get_system_commands(main))
        for binding in [*MainScreen.BINDINGS, *LLMConsoleApp.BINDINGS]:
            assert not isinstance(binding, tuple)
            if binding.id in ("cancel-resend", "quit"):  # only while a resend is pending / Textual's own "Quit"
                continue
            key = app.current_binding(binding).key.split(",")[0]
            assert f"({key})" in helps, f"{binding.id} ({key}) is not in the palette"
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "export")
        await pilot.pause(0.5)
        texts = " ".join(str(o.prompt) for o in app.screen.query_one("CommandList").options)  # type: ignore[attr-defined]
        assert "xport" in texts


async def test_help_lists_binding_ids_and_wraps_under_the_description() -> None:
    """At 60 columns nothing is cut: a long description wraps under itself, never under the keys (issue 20)."""
    from llmconsole.ui.screens.help import KeyTable

    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        keys = app.screen.query_one("#help-keys", KeyTable)
        text = keys.plain
        lines = text.splitlines()
        assert "[new-conversation]" in text and "[toggle-sidebar]" in text and "[scroll-page-up]" in text
        assert "…" not in text and max(len(line) for line in lines) <= keys.content_region.width
        assert keys.virtual_size.height == len(lines)
        words = " ".join(" ".join(lines).split())
        assert "Stop the streaming reply, keep its text [cancel-reply]" in words  # whole, if wrapped
        column = lines[lines.index(next(line for line in lines if line.startswith("escape")))].index("Stop")
        continued = lines[lines.index(next(line for line in lines if line.startswith("escape"))) + 1]
        assert continued[:column].strip() == "" and continued[column] != " "  # under the description


async def test_delete_confirmation_is_framed_and_centred() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        app.push_screen(ConfirmModal("Delete it?", confirm="Delete"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.pause()
        box = app.screen.query_one(Vertical)
        assert box.styles.border_top[0] != ""  # framed
        region = box.region
        assert region.x > 5 and abs((region.x + region.width / 2) - 50) <= 2  # centred, not in the corner


# -- memory between runs ----------------------------------------------------------------------------------------


async def test_prompt_recall_survives_a_restart(tmp_path: Any) -> None:
    from llmconsole.core.store.history import AsyncHistory, HistoryStore

    path = tmp_path / "history.sqlite3"
    opened: list[bool] = []

    async def factory(demo: bool) -> AsyncHistory:
        opened.append(demo)
        return await AsyncHistory.open(path)

    first = LLMConsoleApp(demo_settings(), client=demo_app().client, history_factory=factory, clock=FakeClock())
    async with first.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, first)
        await wait_until(pilot, lambda: first.history.enabled)
        await send(pilot, first, "first prompt")
        await send(pilot, first, "second prompt")
    assert opened == [True]  # the demo backend gets its own history (see test_cli for the file)
    with HistoryStore(path) as store:
        assert store.recent_prompts() == ["first prompt", "second prompt"]

    again = LLMConsoleApp(demo_settings(), client=demo_app().client, history_factory=factory, clock=FakeClock())
    async with again.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, again)
        await wait_until(pilot, lambda: bool(main.prompt.sent))
        await pilot.press("up")
        assert main.prompt.text == "second prompt"
        await pilot.press("up")
        assert main.prompt.text == "first prompt"


async def test_no_history_means_no_recall_from_earlier_runs() -> None:
    app = demo_app()  # no history at all (--no-history)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("up")
        assert main.prompt.text == "" and main.prompt.sent == []


# -- attachments beyond images ----------------------------------------------------------------------------------


async def test_text_file_and_long_paste_go_as_fenced_blocks_and_the_paste_can_be_opened_and_removed(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual import events
    from textual.widgets import OptionList

    from llmconsole.ui.screens.attachments import AttachmentsModal, TextViewModal

    (tmp_path / "notes.md").write_text("# Notes\nremember the milk\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    transport = ScriptedDemo()
    app = demo_app(transport)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt("summarise @notes.md")
        await pilot.pause()
        assert "≡ @notes.md" in main.attachments.plain  # the chip, before sending
        assert main.gauge is not None
        before = main.gauge.tokens
        pasted = "\n".join(f"line {i}" for i in range(120))
        main.prompt.post_message(events.Paste(pasted))
        await wait_until(pilot, lambda: bool(main.attachments.pastes))
        assert main.gauge is not None and main.gauge.tokens >= before + len(pasted) // 8  # the gauge counts it
        assert "[pasted 120 lines]" in main.attachments.plain
        assert main.prompt.text == "summarise @notes.md"  # the paste did not land in the prompt
        short = "one\ntwo"
        main.prompt.post_message(events.Paste(short))
        await wait_until(pilot, lambda: "two" in main.prompt.text)  # a short paste is plain text
        main.prompt.set_prompt("summarise @notes.md")
        # f9 opens the list; enter shows the paste; delete removes it
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachmentsModal))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewModal))
        assert app.screen.query_one("#text-view").text == pasted  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachmentsModal))
        assert app.screen.query_one(OptionList).option_count == 2
        await pilot.press("delete")
        await pilot.pause()
        assert main.attachments.pastes == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        # paste again and send: the file and the paste travel as fenced blocks headed by their names
        main.prompt.post_message(events.Paste(pasted))
        await wait_until(pilot, lambda: bool(main.attachments.pastes))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        sent = transport.posts[-1]["input"][-1]["content"]
        assert sent.startswith("summarise notes.md\n\nnotes.md\n```markdown\n# Notes\nremember the milk\n```")
        assert "\n\npasted text (120 lines)\n```\nline 0\n" in sent and sent.endswith("line 119\n```")
        assert not main.attachments.display  # sent: the chips are gone


async def test_binary_file_is_refused_with_one_line_and_the_prompt_stays(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
    monkeypatch.chdir(tmp_path)
    transport = ScriptedDemo()
    app = demo_app(transport)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        main.prompt.set_prompt("what is @blob.bin")
        await pilot.pause()
        assert "✗ binary @blob.bin" in main.attachments.plain
        await pilot.press("enter")
        await pilot.pause()
        assert transport.posts == [] and main.prompt.text == "what is @blob.bin"
        errors = [n.message for n in app._notifications if "binary" in n.message]
        assert len(errors) == 1 and "blob.bin" in errors[0] and "\n" not in errors[0]


async def test_no_two_bindings_of_one_screen_share_a_key() -> None:
    """Helpers add keys in parallel: a clash (f8 twice) would silently shadow one of them."""
    from llmconsole.ui.keys import binding_owners

    main_chain = [b for where, bs in binding_owners() if where in ("main", "everywhere") for b in bs]
    seen: dict[str, str] = {}
    for binding in main_chain:
        for key in (k.strip() for k in binding.key.split(",")):
            assert key not in seen or seen[key] == binding.action, f"{key}: {seen.get(key)} and {binding.action}"
            seen[key] = binding.action


async def test_a_stream_cut_mid_reply_is_not_labelled_cannot_reach_the_proxy() -> None:
    import httpx

    from tests.ui.helpers import GatedStream

    class CutStream(GatedStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def, override]
            for delta in self.first:
                yield self._event({"type": "response.output_text.delta", "delta": delta})
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    class Cutting(ScriptedDemo):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith("/responses"):
                stream = CutStream(["Hello", " partial"], [])
                return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
            return await super().handle_async_request(request)

    app = demo_app(Cutting())
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        reply = main.pane.replies[-1].message
        assert reply.status == "interrupted" and reply.text == "Hello partial"
        assert reply.error is not None and "mid-reply" in reply.error and "Cannot reach" not in reply.error


async def test_compare_at_80_columns_keeps_readable_columns_and_scrolls_sideways() -> None:
    from llmconsole.ui.screens.compare import CompareScreen

    app = demo_app(clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.start("hello there", ["demo-gpt-5", "demo-claude-haiku-4-5", "demo-llama-3-70b"])
        await wait_until(pilot, lambda: all(c.finished for c in screen.columns))
        await pilot.pause()
        assert all(c.size.width >= 38 for c in screen.columns)  # never 20-column slivers of code
        holder = screen.query_one("#compare-columns")
        assert holder.max_scroll_x > 0  # the others are a sideways scroll away
        screen.columns[2].focus()
        await wait_until(pilot, lambda: holder.scroll_x > 0)  # focusing a column brings it into view


async def test_paste_chip_lines_zero_keeps_every_paste_in_the_prompt() -> None:
    from textual import events

    app = demo_app(settings=replace(demo_settings(), paste_chip_lines=0))
    async with app.run_test(size=(100, 30)) as pilot:
        main = await wait_ready(pilot, app)
        pasted = "\n".join(f"line {i}" for i in range(120))
        main.prompt.post_message(events.Paste(pasted))
        await wait_until(pilot, lambda: "line 119" in main.prompt.text)
        assert main.attachments.pastes == []

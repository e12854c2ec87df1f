"""Pilot tests of the console in demo mode: real keys, the real client over the demo transport."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox
from textual.widgets._footer import FooterKey

from llmconsole.core.config import Settings
from llmconsole.ui.screens.help import HelpScreen
from llmconsole.ui.screens.main import MainScreen
from llmconsole.ui.screens.model_picker import ModelPickerModal
from llmconsole.ui.screens.rate_limit import RateLimitModal
from llmconsole.ui.screens.welcome import WelcomeScreen
from llmconsole.ui.widgets.prompt import PromptInput
from tests.ui.helpers import FakeClock, ScriptedDemo, demo_app, send, type_text, wait_ready, wait_until

pytestmark = pytest.mark.anyio

SIZE = (120, 40)


async def test_starts_with_models_focus_in_prompt_and_title() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert "demo-claude-opus-4-6" in main.sidebar.shown_ids
        assert "demo-text-embedding" not in main.sidebar.shown_ids  # not a chat model
        assert isinstance(app.focused, PromptInput)
        assert main.status_bar.plain.startswith("demo-gpt-5 think img 200K")
        assert app.sub_title == "demo · demo-gpt-5"


async def test_ctrl_l_letters_enter_switches_model() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await type_text(pilot, "haiku")
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        assert picker.highlighted_id == "demo-claude-haiku-4-5"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "demo-claude-haiku-4-5"
        assert "demo-claude-haiku-4-5" in main.status_bar.plain
        assert isinstance(app.focused, PromptInput)  # focus returns to the prompt


async def test_escape_closes_picker_without_change() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        await type_text(pilot, "llama")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert main.model is not None and main.model.id == "demo-gpt-5"
        assert isinstance(app.focused, PromptInput)


async def test_sidebar_filter_and_enter_selects() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.sidebar.filter_input.focus()
        await type_text(pilot, "gemini")
        assert main.sidebar.shown_ids == ["demo-gemini-2-flash"]
        await pilot.press("enter")
        assert main.model is not None and main.model.id == "demo-gemini-2-flash"
        assert "1M" in main.status_bar.plain


async def test_prompt_streams_reply_with_telemetry() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello there")
        replies = main.pane.replies
        assert len(replies) == 1
        reply = replies[0]
        assert reply.text.strip(), "the reply streamed into the MarkdownView"
        assert reply.message.status == "completed"
        telemetry = str(reply.telemetry.render())
        assert "demo-gpt-5" in telemetry and "completed" in telemetry and "TTFT" in telemetry
        assert [m.role for m in main.conversation.messages] == ["user", "assistant"]
        assert main.prompt.text == ""
        assert "last: in" in main.status_bar.plain
        assert "ctx " in main.status_bar.plain


async def test_reasoning_summary_in_collapsible() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "think about it")
        reply = main.pane.replies[0]
        assert reply.message.reasoning, "demo-gpt-5 is a reasoning model: a summary arrived"
        from textual.widgets import Collapsible

        assert reply.query_one(Collapsible).display


async def test_escape_cancels_streaming_reply_and_keeps_partial_text() -> None:
    transport = ScriptedDemo(gated=True)
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "slow")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(transport.streams) and main.pane.replies[0].text == "Hello partial")
        assert main.streaming
        await pilot.press("escape")
        await wait_until(pilot, lambda: not main.streaming)
        await pilot.pause()
        reply = main.pane.replies[0]
        assert reply.message.status == "cancelled"
        assert reply.text == "Hello partial"
        assert reply.has_class("-cancelled")
        assert transport.streams[0].closed, "cancelling closed the HTTP response"
        assert "streaming" not in main.status_bar.plain
        # the partial reply stays in the conversation
        assert main.conversation.messages[-1].text == "Hello partial"


async def test_ctrl_j_newline_and_up_recalls_previous_prompt() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "one")
        await pilot.press("ctrl+j")
        await type_text(pilot, "two")
        assert main.prompt.text == "one\ntwo"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.conversation.messages[0].text == "one\ntwo"
        assert main.prompt.text == ""
        await pilot.press("up")
        assert main.prompt.text == "one\ntwo"
        await pilot.press("down")  # cursor is on the last line: back to the (empty) draft
        assert main.prompt.text == ""


async def test_new_conversation_and_resend() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hi")
        await pilot.press("ctrl+r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [m.text for m in main.conversation.messages if m.role == "user"] == ["hi", "hi"]
        assert len(main.pane.replies) == 2
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert main.conversation.messages == []
        assert main.pane.replies == []


async def test_switching_model_keeps_the_conversation() -> None:
    transport = ScriptedDemo()
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "first")
        main.select_model("demo-llama-3-70b")
        await pilot.pause()
        await send(pilot, app, "second")
        last = transport.posts[-1]
        assert last["model"] == "demo-llama-3-70b"
        sent = last["input"]
        assert [item["role"] for item in sent] == ["user", "assistant", "user"]
        assert main.pane.replies[-1].message.status == "completed"


async def test_copy_last_reply_and_code_block() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "show me some code")
        await pilot.press("ctrl+t")
        assert app.clipboard == main.pane.replies[0].text
        await pilot.press("ctrl+g")
        code = main.pane.replies[0].code_blocks[-1]
        assert app.clipboard == code and code.strip()


async def test_connection_error_shows_one_line_and_keeps_the_prompt_in_the_conversation() -> None:
    transport = ScriptedDemo(connect_error=True)
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "are you there")
        reply = main.pane.replies[0]
        assert reply.message.status == "error"
        error = reply.message.error or ""
        assert error.startswith("Cannot reach the proxy") and "\n" not in error
        assert reply.error_line.display
        assert main.prompt.text == "", "the prompt is not put back: a follow-up typed now is not appended to it"
        assert app.is_running
        assert any(n.severity == "error" for n in app._notifications)
        # The next prompt follows the failed one: both are sent (nothing a person wrote is deleted).
        transport.connect_error = False
        await send(pilot, app, "hello")
        assert [item["content"] for item in transport.posts[-1]["input"]] == ["are you there", "hello"]
        assert [m.role for m in main.conversation.messages] == ["user", "assistant", "user", "assistant"]


async def test_mid_stream_break_marks_interrupted_and_keeps_text() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "please cut this")
        reply = main.pane.replies[0]
        assert reply.message.status == "interrupted"
        assert reply.text
        assert app.is_running


async def test_truncated_reply_says_at_how_many_tokens() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "truncate please")
        reply = main.pane.replies[0]
        assert reply.message.status == "truncated"
        assert reply.message.end_reason == "max_output_tokens"
        tokens = reply.message.usage.output_tokens if reply.message.usage else 0
        assert tokens > 0
        assert str(reply.telemetry.render()).endswith(f"· truncated at {tokens:,} output tokens")
        assert f"last reply truncated at {tokens:,} output tokens" in main.status_bar.plain


async def test_model_id_is_shown_literally() -> None:
    app = demo_app(ScriptedDemo(model_ids=["acme/[bold]x", "other[/]"]))
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.sidebar.shown_ids == ["acme/[bold]x", "other[/]"]
        option = main.sidebar.option_list.get_option_at_index(0)
        assert "acme/[bold]x" in option.prompt.plain  # type: ignore[union-attr]
        assert main.status_bar.plain.startswith("acme/[bold]x")
        assert "acme/[bold]x" in app.sub_title


async def test_discovery_error_state_and_retry_key() -> None:
    transport = ScriptedDemo(discovery_status=401)
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        state = main.sidebar.state_line
        assert state.has_class("-error")
        assert "API key" in str(state.render()) and "f5" in str(state.render())
        transport.discovery_status = None
        await pilot.press("f5")
        await wait_until(pilot, lambda: bool(main.models))
        assert not state.display
        assert main.model is not None


async def test_help_screen_lists_keys() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys").render())
        for key in ("ctrl+l", "escape", "ctrl+n", "ctrl+r", "ctrl+q", "ctrl+t", "ctrl+g", "f2", "f6"):
            assert key in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.focused, PromptInput)


async def test_settings_modal_sets_system_prompt_and_effort() -> None:
    transport = ScriptedDemo()
    app = demo_app(transport)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await pilot.press("f2")
        await pilot.pause()
        await type_text(pilot, "be brief")
        app.screen.query_one("#effort-high").value = True  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert main.system_prompt == "be brief" and main.reasoning_effort == "high"
        await send(pilot, app, "hi")
        body = transport.posts[-1]
        assert body["instructions"] == "be brief"
        assert body["reasoning"]["effort"] == "high"


async def test_welcome_screen_offers_the_demo() -> None:
    app = demo_app(settings=Settings())
    app.client = None  # as run_app makes it: no proxy configured
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        text = str(app.screen.query_one("#welcome-text").render())
        assert "OPENAI_BASE_URL" in text and "OPENAI_API_KEY" in text
        await pilot.press("d")
        main = await wait_ready(pilot, app)
        assert app.settings.demo
        assert "demo-gpt-5" in main.sidebar.shown_ids


# -- rate limits --------------------------------------------------------------------------------------


async def test_rate_limit_modal_shows_limit_and_live_countdown() -> None:
    clock = FakeClock()
    app = demo_app(clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.select_model("demo-ratelimited")
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        modal = app.screen
        assert isinstance(modal, RateLimitModal)
        assert "input tokens per minute" in str(modal.query_one("#rl-type").render())
        assert "Limit: 200000 | Current: 200150" in str(modal.query_one("#rl-limits").render())
        assert "Retry in 15s" in str(modal.countdown_line.render())
        todo = str(modal.query_one("#rl-todo").render())
        assert "Wait 15 seconds" in todo and "Reduce prompt length" in todo
        assert "smaller model" not in todo  # the demo serves nothing smaller of its family: no advice to switch
        assert "Databricks" in todo  # demo-ratelimited is a Databricks deployment
        clock.advance(4.2)
        main.tick()
        assert "Retry in 11s" in str(modal.countdown_line.render())
        assert "11s" in main.status_bar.plain and "input tokens per minute" in main.status_bar.plain
        assert main.pane.replies[0].message.status == "rate_limited"


async def test_escape_keeps_countdown_in_status_bar_and_ctrl_x_cancels_resend() -> None:
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-gpt-5"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert isinstance(app.focused, PromptInput)
        assert "rate limit" in main.status_bar.plain and "15s" in main.status_bar.plain
        assert "ctrl+x" in main.status_bar.plain
        await pilot.press("ctrl+x")
        assert main.countdown is not None and not main.countdown.auto_resend
        assert main.prompt.text == "", "the prompt stays in the conversation (ctrl+r sends it), not in the input"
        clock.advance(16)
        main.tick()
        await pilot.pause()
        assert len(transport.posts) == 1, "no automatic resend after ctrl+x"
        assert "ready" in main.status_bar.plain


async def test_the_advice_fits_the_model_and_s_lists_its_smaller_siblings_first() -> None:
    """Issue 20 item 8: no "haiku instead of opus" for another vendor's model and no Databricks line for a model
    that is not Databricks'; the switch opens the picker with the smaller siblings first."""
    clock = FakeClock()
    app = demo_app(ScriptedDemo(rate_limited=["demo-claude-opus-4-6"]), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        assert main.select_model("demo-claude-opus-4-6")
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        todo = str(app.screen.query_one("#rl-todo").render())
        assert "Switch to a smaller model (e.g., demo-claude-haiku-4-5 instead of demo-claude-opus-4-6)" in todo
        assert "Databricks" in todo  # the demo's Claude models are served by Databricks
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        assert picker.highlighted_id == "demo-claude-haiku-4-5"
        assert picker.option_list.get_option_at_index(0).id == "demo-claude-haiku-4-5"


async def test_no_advice_about_other_vendors_models() -> None:
    clock = FakeClock()
    app = demo_app(ScriptedDemo(rate_limited=["demo-gpt-5"]), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        todo = str(app.screen.query_one("#rl-todo").render())
        assert "haiku" not in todo and "opus" not in todo and "Databricks" not in todo


async def test_ctrl_x_in_the_dialog_unchecks_hides_its_key_and_nothing_reopens() -> None:
    """Issue 20 item 8: after ctrl+x the checkbox is off, the key bar no longer offers ctrl+x, and closing the
    dialog does not bring it back at zero (nothing is resent)."""
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-gpt-5"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        modal = app.screen
        assert isinstance(modal, RateLimitModal)
        assert "ctrl+x" in {b.binding.key for b in app.active_bindings.values()}
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert not modal.query_one("#rl-auto", Checkbox).value
        assert "ctrl+x" not in {b.binding.key for b in app.active_bindings.values()}
        assert "auto-resend" not in main.status_bar.plain
        # the key bar on screen is the main screen's, under the dialog: it drops ^x too
        await wait_until(pilot, lambda: "ctrl+x" not in {k.key for k in main.query(FooterKey)})
        assert "ctrl+r" in {k.key for k in main.query(FooterKey)}
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        clock.advance(16)
        main.tick()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is main and len(transport.posts) == 1


async def test_a_in_the_dialog_keeps_the_status_bar_in_step() -> None:
    clock = FakeClock()
    app = demo_app(ScriptedDemo(rate_limited=["demo-gpt-5"]), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        assert "auto-resend (ctrl+x cancels)" in main.status_bar.plain
        await pilot.press("a")
        await pilot.pause()
        assert main.countdown is not None and not main.countdown.auto_resend
        assert "auto-resend" not in main.status_bar.plain
        await pilot.press("a")
        await pilot.pause()
        assert main.countdown.auto_resend and "auto-resend (ctrl+x cancels)" in main.status_bar.plain


async def test_ctrl_x_is_cut_when_nothing_is_pending() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await type_text(pilot, "abc")
        await pilot.press("shift+left")
        await pilot.press("ctrl+x")
        assert main.prompt.text == "ab"


async def test_auto_resend_at_zero_at_most_three_times() -> None:
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-gpt-5"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        for expected_posts in (2, 3, 4, 4):
            await wait_until(pilot, lambda: main.countdown is not None and not main.streaming)
            before = len(transport.posts)
            clock.advance(14.5)
            main.tick()
            assert len(transport.posts) == before, "nothing before zero"
            clock.advance(0.6)
            main.tick()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(transport.posts) == expected_posts
        assert all(body["input"][-1]["content"] == "hello" for body in transport.posts)
        # one user message in the conversation: resends happen in place; the failed replies stay, siblings
        assert [m.role for m in main.conversation.messages] == ["user", "assistant"]
        assert main.pane.replies[-1].position == (4, 4)
        assert isinstance(app.screen, RateLimitModal)
        checkbox = app.screen.query_one("#rl-auto", Checkbox)
        assert checkbox.disabled and not checkbox.value
        assert main.prompt.text == "", "the prompt stays in the conversation, not put back into the input"
        assert "ctrl+r resends" in main.status_bar.plain


async def test_auto_resend_succeeds_when_the_limit_is_gone() -> None:
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-gpt-5"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        transport.rate_limited.clear()
        clock.advance(15)
        main.tick()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: app.screen is main)
        assert main.pane.replies[-1].message.status == "completed"
        assert main.countdown is None
        assert "rate limit" not in main.status_bar.plain


async def test_rate_limit_without_retry_after_counts_60s_estimate() -> None:
    clock = FakeClock()
    app = demo_app(ScriptedDemo(rate_limited=["demo-gpt-5"], retry_after=None), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "hello")
        # the modal is pushed before it composes: wait for its countdown line
        await wait_until(
            pilot, lambda: isinstance(app.screen, RateLimitModal) and bool(app.screen.query("#rl-countdown"))
        )
        modal = app.screen
        assert isinstance(modal, RateLimitModal)
        line = str(modal.countdown_line.render())
        assert "60s" in line and "estimate" in line


async def test_switch_model_from_modal_preselects_haiku_for_opus() -> None:
    clock = FakeClock()
    transport = ScriptedDemo(rate_limited=["demo-claude-opus-4-6"])
    app = demo_app(transport, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_ready(pilot, app)
        main.select_model("demo-claude-opus-4-6")
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: isinstance(app.screen, RateLimitModal))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        assert picker.highlighted_id == "demo-claude-haiku-4-5"
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.model is not None and main.model.id == "demo-claude-haiku-4-5"
        assert transport.posts[-1]["model"] == "demo-claude-haiku-4-5", "resent at once to the new model"
        assert main.pane.replies[-1].message.status == "completed"
        assert main.countdown is None


async def test_plain_http_to_another_host_warns_in_the_app() -> None:
    from pydantic import SecretStr

    from llmconsole.core.demo import make_demo_transport
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.ui.app import make_app

    settings = Settings(base_url="http://10.20.30.40:4000", api_key=SecretStr("sk-x"))
    client = ProxyClient(settings, transport=make_demo_transport(delta_delay=0))
    app = make_app(settings, client=client, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.pause()
        warnings = [n for n in app._notifications if n.severity == "warning"]
        assert any("unencrypted" in n.message for n in warnings)
        assert "UNENCRYPTED" in app.sub_title
        main = app.main_screen
        assert main is not None and "UNENCRYPTED" in main.header.text.plain  # what the title bar shows
    trusted = Settings(base_url="http://127.0.0.1:4000", api_key=SecretStr("sk-x"))
    app = make_app(
        trusted, client=ProxyClient(trusted, transport=make_demo_transport(delta_delay=0)), clock=FakeClock()
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.pause()
        assert not any("unencrypted" in n.message for n in app._notifications)

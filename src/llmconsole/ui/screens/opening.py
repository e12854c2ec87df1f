"""The main screen's conversations: a new one, the list, opening one; copying; the chat settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmconsole.ui.widgets.formatting import last_code_block, reply_ending

if TYPE_CHECKING:
    from llmconsole.core.config import ReasoningEffort
    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.screens.settings import ChatSettings


class ConversationActions:
    """New, open and copy; the chat settings."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def new(self) -> None:
        self.screen.pane.cancel_reply()
        self.screen.pane.clear()
        self.screen.session.new_conversation()
        self.screen._clear_countdown()
        self.screen.status_bar.set_usage(None)
        self.screen.status_bar.set_activity("")
        self.screen.status_bar.set_ending(None)
        self.screen._update_context()
        self.screen._update_total_cost()
        self.screen.focus_prompt()
        self.screen.notify("New conversation.")

    def open_list(self) -> None:
        """The conversation list; Enter opens one here."""
        from llmconsole.ui.screens.conversations import ConversationsScreen, OpenRequest

        if not self.screen.history.enabled:
            self.screen.notify("History is off (started with --no-history).", severity="warning")
            return

        def chosen(request: OpenRequest | None) -> None:
            self.screen.focus_prompt()
            if request is not None:
                self.screen.run_worker(
                    self.open_conversation(request.conv_id, request.message_id), group="open-conversation"
                )

        self.screen.app.push_screen(
            ConversationsScreen(self.screen.history, current_id=self.screen.conversation.id), chosen
        )

    async def open_conversation(self, conv_id: str, message_id: str | None = None) -> bool:
        """Load a stored conversation and continue it here (scrolled to ``message_id`` when given)."""
        try:
            conv = await self.screen.history.load(conv_id)
        except Exception as exc:  # noqa: BLE001 - a broken or missing conversation is one line
            self.screen.notify(f"Cannot open the conversation: {exc}", severity="error")
            return False
        self.screen.pane.cancel_reply()
        self.screen._clear_countdown()
        shown, unsent = self.screen.session.open(conv, focus=message_id)
        last = next((m for m in reversed(shown) if m.role == "assistant"), None)
        model = self.screen.find_model(last.model) if last is not None and last.model else None
        if model is not None and model is not self.screen.model:
            self.screen.model = model
            self.screen.sidebar.set_current(model.id)
            self.screen.model_actions.model_changed()
        self.screen._update_positions()
        focus = await self.screen.pane.show_messages(shown, unsent=unsent, focus=message_id)
        self.screen.status_bar.set_usage(last.usage if last is not None else None)
        self.screen.status_bar.set_activity("")
        self.screen.status_bar.set_ending(reply_ending(last) if last is not None else None)
        self.screen._update_context()
        self.screen._update_total_cost()
        if last is not None and last.model and model is None:
            current = self.screen.model.id if self.screen.model else "no model"
            self.screen.pane.add_notice(f"{last.model} is not served here; the conversation continues with {current}.")
        if message_id is not None and focus is None:
            self.screen.notify("The match is far back: scroll up to it.")
        self.screen.focus_prompt()
        return True

    def copy_reply(self) -> None:
        replies = [r for r in self.screen.pane.replies if r.text]
        if not replies:
            self.screen.notify("No reply to copy yet.", severity="warning")
            return
        text = replies[-1].text
        self.screen.app.copy_to_clipboard(text)
        self.screen.notify(f"Copied the last reply ({len(text):,} characters).")

    def copy_code(self) -> None:
        for reply in reversed(self.screen.pane.replies):
            blocks = reply.code_blocks
            code = blocks[-1] if blocks else last_code_block(reply.text)
            if code is not None:
                self.screen.app.copy_to_clipboard(code)
                self.screen.notify(f"Copied the last code block ({len(code.splitlines())} lines).")
                return
        self.screen.notify("No code block to copy.", severity="warning")

    def settings(self) -> None:
        from llmconsole.ui.screens.settings import ChatSettings, SettingsModal

        def saved(result: ChatSettings | None) -> None:
            self.screen.focus_prompt()
            if result is not None:
                self.apply_settings(result)

        current = ChatSettings(system_prompt=self.screen.system_prompt, reasoning_effort=self.screen.reasoning_effort)
        self.screen.app.push_screen(SettingsModal(current), saved)

    def apply_settings(self, settings: ChatSettings) -> None:
        self.screen.session.set_system_prompt(settings.system_prompt)
        self.screen.reasoning_effort = settings.reasoning_effort
        self.screen._update_context()
        prompt = "set" if settings.system_prompt else "cleared"
        self.screen.notify(f"Reasoning effort {settings.reasoning_effort}; system prompt {prompt}.")

    def set_reasoning_effort(self, effort: ReasoningEffort) -> None:
        self.screen.reasoning_effort = effort
        self.screen.notify(f"Reasoning effort: {effort}")

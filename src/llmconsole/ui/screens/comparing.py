"""The main screen's side of compare mode: opening it, and continuing the chosen answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmconsole.ui.widgets.formatting import reply_ending

if TYPE_CHECKING:
    from llmconsole.ui.screens.compare import CompareChoice, CompareRequest
    from llmconsole.ui.screens.main import MainScreen


class CompareActions:
    """Compare mode from the main screen: open it, and continue the chosen answer here."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def open(self) -> None:
        """Open compare mode: the current model preselected, the prompt's text carried over."""
        from llmconsole.ui.screens.compare import CompareScreen

        if len(self.screen.models) < 2:
            self.screen.notify(
                "Compare needs at least two models (discovery may still be running).", severity="warning"
            )
            return
        selected = [self.screen.model.id] if self.screen.model is not None else []
        screen = CompareScreen(
            self.screen.models,
            self.compare_request,
            selected=selected,
            prompt=self.screen.prompt.text.strip(),
            history=self.screen.history,
        )
        self.screen.app.push_screen(screen, self.continue_compare)

    def compare_request(self, prompt: str) -> CompareRequest:
        """What the columns of a comparison share (this screen's client, settings and clock)."""
        from llmconsole.ui.screens.compare import CompareRequest

        return CompareRequest(
            client=self.screen.client,
            prompt=prompt,
            system_prompt=self.screen.system_prompt,
            reasoning_effort=self.screen.reasoning_effort,
            clock=self.screen.clock,
            on_started=self.screen.model_actions.record_reply_started,
        )

    def continue_compare(self, choice: CompareChoice | None) -> None:
        """Continue the comparison's conversation with the chosen answer (its model; the others beside it)."""
        self.screen.focus_prompt()
        if choice is None:
            return
        self.screen.pane.cancel_reply()
        self.screen.pane.clear()
        self.screen._clear_countdown()
        self.screen.select_model(choice.model_id)
        user, reply = self.screen.session.continue_compare(choice.conversation, choice.reply)
        self.screen._update_positions()
        self.screen.pane.add_user(user)
        self.screen.pane.add_reply(reply, streaming=False)
        self.screen.status_bar.set_usage(reply.usage)
        self.screen.status_bar.set_ending(reply_ending(reply))
        self.screen._update_context()
        self.screen._update_total_cost()
        others = len(self.screen.conversation.others)
        more = f" The other {others} answer{'s' if others != 1 else ''} stay beside it (‹ ›)." if others else ""
        self.screen.notify(f"Continuing with {choice.model_id}.{more}")

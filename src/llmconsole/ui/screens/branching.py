"""The main screen's branches, context overflow and compaction: what the message cursor's keys, the overflow
offer and f8 do (the flow itself is the session's: ``llmconsole.core.chat.session``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llmconsole.core.errors import LLMConsoleError

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Message
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.main import MainScreen


class BranchActions:
    """Edit, regenerate, switch siblings, compact, and the offer when a conversation does not fit."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def update_positions(self) -> None:
        from llmconsole.core.chat.tree import Tree

        tree = Tree.of(self.screen.conversation)
        self.screen.pane.set_positions({m.id: tree.position(m) for m in self.screen.conversation.messages})

    async def show_path(
        self,
        *,
        focus: str | None = None,
        then_reply: bool = False,
        select: bool = False,
        then: Callable[[], object] | None = None,
    ) -> None:
        """Show the active path again (after an edit, a regenerate or a branch switch)."""
        self.update_positions()
        await self.screen.pane.show_path(list(self.screen.conversation.messages), focus=focus)
        self.screen._update_context()
        self.screen._update_total_cost()
        if then_reply:
            self.screen.pane.anchor()
            self.screen._start_reply()
        if select and focus is not None:
            await self.screen.pane.select_message(focus)
        if then is not None:
            then()

    def summariser(self) -> ModelInfo | None:
        wanted = self.screen.settings.compact_model
        return (self.screen.find_model(wanted) if wanted else None) or self.screen.model

    def offer_overflow(
        self,
        headline: str,
        detail: str,
        *,
        send: Callable[[], object],
        recheck: Callable[[], object] | None = None,
        prompt: str = "",
        images: int = 0,
    ) -> None:
        """Compact / drop the oldest turns into a new branch (each only where it can help: the session says) /
        send anyway (``send``) / cancel. After compacting or dropping, ``recheck`` sends if it fits now and
        offers again if not (``send`` when not given)."""
        from llmconsole.ui.screens.overflow import ContextOverflowModal, OverflowChoice

        summariser = self.summariser()
        model = self.screen.model
        choices = self.screen.session.room_choices(model, prompt=prompt, images=images) if model else frozenset()
        retry = recheck or send

        def chosen(choice: OverflowChoice | None) -> None:
            self.screen.focus_prompt()
            if choice == "send":
                send()
            elif choice == "compact":
                self.screen.run_worker(self.compact_now(then=retry), group="compact", exclusive=True)
            elif choice == "drop" and self.screen.model is not None:
                dropped = self.screen.session.drop_oldest(self.screen.model, prompt=self.screen.prompt.text)
                if not dropped:
                    self.screen.notify("Nothing older to drop: the latest turn alone does not fit.", severity="warning")
                    return
                self.screen.notify(f"Left out the {dropped} oldest messages (a new branch; the original stays).")
                self.screen.run_worker(self.show_path(then=retry), group="branch")

        modal = ContextOverflowModal(
            headline, detail, summariser=summariser.id if summariser else "the model", choices=choices
        )
        self.screen.app.push_screen(modal, chosen)

    def compact(self) -> None:
        """Summarise the older turns into a new branch (the original stays)."""
        if not self.idle():
            return
        self.screen.run_worker(self.compact_now(), group="compact", exclusive=True)

    async def compact_now(self, then: Callable[[], object] | None = None) -> bool:
        """Compact with ``compact_model`` (config) or the current model; show the new branch; then ``then``."""
        from llmconsole.core.chat.compact import CompactionError
        from llmconsole.ui.widgets.formatting import format_cost

        model = self.summariser()
        if model is None:
            self.screen.notify("No model to summarise with yet.", severity="warning")
            return False
        session = self.screen.session
        conversation = session.conversation
        self.screen.status_bar.set_activity(f"compacting with {model.id}…")
        try:
            done = await session.compact(self.screen.client, model)
        except (CompactionError, LLMConsoleError) as exc:
            self.screen.notify(str(exc), title="Compaction failed", severity="error")
            return False
        finally:
            if session.conversation is conversation:
                self.screen.status_bar.set_activity("")
        if session.conversation is not conversation:
            if done is not None:
                self.screen.notify("The summary was saved with the conversation it was made for (ctrl+o).")
            return False
        if done is None:
            self.screen.notify("Nothing to compact yet: too few turns.", severity="warning")
            return False
        usage = done.summary.usage
        figures = (
            f"{usage.input_tokens:,} in · {usage.output_tokens:,} out · {format_cost(usage.cost)}" if usage else ""
        )
        self.screen.notify(
            f"{done.summarised} messages summarised by {model.id} ({figures}). The original stays: "
            "left/right on the first message switches back.",
            title="Compacted",
        )
        await self.show_path()
        if then is not None:
            then()
        return True

    def select_message(self) -> None:
        """Move from the prompt into the conversation: the last message is selected."""
        if not self.screen.pane.message_count:
            self.screen.notify("No message to select yet.", severity="warning")
            return
        self.screen.pane.focus()
        self.screen.run_worker(self.screen.pane.action_cursor_to(-1), group="cursor")

    def leave_messages(self) -> None:
        """Back to the prompt, the selection cleared: where every action of the mode (e, r, m, c) ends."""
        self.screen.run_worker(self.screen.pane.select(None), group="cursor")
        self.screen.focus_prompt()

    def available(self, action: str) -> bool:
        """Whether a key of the message mode does something now (the key bar shows only those): a message is
        selected; a prompt on the path for e, a message on the path for r / m, other versions for left/right."""
        message = self.screen.pane.selected_message
        if message is None:
            return False
        on_path = message in self.screen.conversation.messages
        if action == "edit_message":
            return message.role == "user" and on_path
        if action in ("regenerate", "regenerate_with"):
            return on_path
        if action == "sibling":
            from llmconsole.core.chat.tree import Tree

            return len(Tree.of(self.screen.conversation).siblings(message)) > 1
        return True

    def selected(self, role: str | None = None) -> Message | None:
        message = self.screen.pane.selected_message
        if message is None:
            self.screen.notify("Select a message first (ctrl+up).", severity="warning")
            return None
        if role is not None and message.role != role:
            return None
        return message

    def idle(self) -> bool:
        """False, with one line saying why, while the conversation is busy (a reply, a compaction)."""
        return not self.screen.refuse_busy()

    def edit_message(self) -> None:
        """The selected prompt goes into the prompt; sending it makes a sibling branch (the original stays)."""
        message = self.selected()
        if message is None:
            return
        refused = self.screen.session.start_edit(message)
        if refused is not None:
            self.screen.notify(refused, severity="warning")
            return
        self.screen.prompt.set_prompt(message.text)
        self.leave_messages()
        images = f" (with its {len(message.attachments)} image(s))" if message.attachments else ""
        self.screen.status_bar.set_activity(f"editing a prompt{images} · enter sends it as a new branch")

    def regenerate(self, model_id: str | None = None) -> None:
        """A new answer beside the selected reply (or to the selected prompt), by the current model."""
        message = self.selected()
        if message is None or not self.idle():
            return
        if model_id is not None and not self.screen.select_model(model_id):
            return
        if self.screen.model is None:
            self.screen.notify("No model to send to yet.", severity="warning")
            return
        if message not in self.screen.conversation.messages:
            self.screen.notify("This message is not on the conversation's path.", severity="warning")
            return
        self.screen._clear_countdown()
        self.screen.session.branch_for_answer(message)
        self.leave_messages()
        self.screen.run_worker(self.show_path(then_reply=True), group="branch")

    def regenerate_with(self) -> None:
        """Pick a model, then regenerate the selected message with it."""
        from llmconsole.ui.screens.model_picker import ModelPickerModal

        message = self.selected()
        if message is None or not self.idle() or not self.screen.models:
            return

        def picked(model_id: str | None) -> None:
            if model_id is not None:
                self.regenerate(model_id)
            else:
                self.leave_messages()

        current = self.screen.model.id if self.screen.model else None
        self.screen.app.push_screen(
            ModelPickerModal(self.screen.models, current_id=current, title="Regenerate with"), picked
        )

    def sibling(self, step: int) -> None:
        """Switch the selected message to its previous / next sibling (and that branch's newest turns)."""
        message = self.selected()
        if message is None or not self.idle():
            return
        target = self.screen.session.switch(message, step)
        if target is None:
            self.screen.notify("This message has no other version.", severity="warning")
            return
        self.screen.run_worker(self.show_path(focus=target.id, select=True), group="branch")

    def copy_message(self) -> None:
        message = self.selected()
        if message is None:
            return
        text = self.screen.pane.selected_tool_text()  # a selected tool call or result: its text
        what = "message" if text is None else "tool block"
        text = message.text if text is None else text
        self.screen.app.copy_to_clipboard(text)
        self.leave_messages()
        self.screen.notify(f"Copied the {what} ({len(text):,} characters).")

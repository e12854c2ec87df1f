"""The main screen's sending: a prompt into the session, a reply started, and how a reply's end is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from llmconsole.core.errors import BudgetError, ContextOverflowError, RateLimitError
from llmconsole.ui.widgets.formatting import describe_error, reply_ending

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llmconsole.ui.messages import ReplyFinished
    from llmconsole.ui.screens.main import MainScreen


class SendActions:
    """Sending a prompt (attachments read, the context checked, the session's edit-or-new), retrying, and
    showing what the end of a reply means (the session decided it: ``ReplyEnded.outcome``)."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def send_prompt(self, text: str, *, images: Sequence[str] = (), force: bool = False) -> bool:
        """Send ``text`` as a new user message, with ``images`` (data URLs: a resent prompt's) before its own.
        False (and the text stays in the prompt) when it can't, or when it would not fit the context window
        (then the overflow offer opens; ``force`` sends anyway)."""
        if self.screen.model is None:
            self.screen.notify("No model to send to yet (ctrl+l picks one once discovery has run).", severity="warning")
            return False
        if self.screen.refuse_busy():
            return False
        if images and not self.screen.model.images:
            self.screen.notify(
                f"{self.screen.model.id} has no image input: pick a model with the img badge (ctrl+l).",
                title="Image not attached",
                severity="error",
            )
            return False
        if self.screen.attachment_actions.reads_files(text):  # files are read off the event loop, then on
            self.screen.run_worker(self.send_after_reading(text, images, force), group="attach", exclusive=True)
            return True
        found = self.screen.attachment_actions.files_for(text)
        return found is not None and self.send_found(text, images, force, found)

    async def send_after_reading(self, text: str, images: Sequence[str], force: bool) -> None:
        found = await self.screen.attachment_actions.read_files(text)
        if (
            found is not None and self.screen.model is not None and not self.screen.refuse_busy()
        ):  # (it may have changed)
            self.send_found(text, images, force, found)

    def send_found(self, text: str, images: Sequence[str], force: bool, found: tuple[str, list[str]]) -> bool:
        """The rest of :meth:`send_prompt`, once the attachments are read: ``found`` is the text to send and
        the data URLs of its files."""
        assert self.screen.model is not None
        send_text, urls = found
        urls = [*images, *urls]
        if not force:
            gauge = self.screen.session.gauge(self.screen.model, prompt=send_text, images=len(urls))
            if not gauge.fits:
                self.screen.branches.offer_overflow(
                    f"This prompt would not fit the context window of {self.screen.model.id}",
                    gauge.describe(),
                    send=lambda: self.send_prompt(text, images=images, force=True),
                    recheck=lambda: self.send_prompt(text, images=images),  # checked again after any choice
                    prompt=send_text,
                    images=len(urls),
                )
                return False
        if self.screen.prompt.text == text:
            self.screen.prompt.clear()
        self.screen.attachments.clear()
        self.screen._clear_countdown()
        self.screen.status_bar.set_activity("")
        submitted = self.screen.session.submit(send_text, attachments=urls)  # an edit's sibling, or a new message
        if submitted.reshow:
            self.screen.run_worker(self.screen._show_path(then_reply=True), group="branch")
        else:
            self.screen.pane.add_user(submitted.message)
            self.screen._start_reply()
        return True

    def retry_if_it_fits(self) -> None:
        """After making room: send the unanswered prompt again if the conversation fits now, else offer again."""
        model = self.screen.model
        if model is None:
            return
        gauge = self.screen.session.gauge(model)
        if gauge.fits:
            self.retry_last()
            return
        self.screen.branches.offer_overflow(
            f"This conversation still does not fit the context window of {model.id}",
            gauge.describe(),
            send=self.retry_last,
            recheck=self.retry_if_it_fits,
        )

    def retry_last(self) -> bool:
        """Send the unanswered prompt again in place (its failed reply stays, a sibling), else the last prompt
        as a new message (the session decides which)."""
        if self.screen.model is None or self.screen.refuse_busy():
            return False
        plan = self.screen.session.retry()
        if plan.kind == "in_place":
            self.screen.run_worker(self.screen._show_path(then_reply=True), group="branch")
            return True
        last = plan.prompt
        text = last.text if last is not None else (self.screen.prompt.sent[-1] if self.screen.prompt.sent else None)
        if text is None:
            self.screen.notify("Nothing to resend yet.", severity="warning")
            return False
        return self.send_prompt(text, images=last.attachments if last is not None else ())

    def reply_finished(self, event: ReplyFinished) -> None:
        """Show how a reply ended; what it means (``end.outcome``) was decided by the session."""
        end = event.end
        message, error = end.message, end.error
        if message not in self.screen.conversation.messages:
            return  # a reply of a conversation left meanwhile (ctrl+n, ctrl+o)
        self.screen.status_bar.set_activity("")
        self.screen.status_bar.set_ending(reply_ending(message))
        if message.usage is not None:
            self.screen.status_bar.set_usage(message.usage)
        self.screen._update_positions()
        self.screen._update_context()
        self.screen._update_total_cost()
        if end.outcome == "rate_limited" and isinstance(error, RateLimitError):
            self.screen.rate_limits.rate_limited(error, end.model)
        elif end.outcome == "overflow":
            from llmconsole.core.proxy.http_errors import overflow_numbers

            numbers = (
                overflow_numbers(window=error.window, requested=error.requested)
                if isinstance(error, ContextOverflowError)
                else ""
            )
            self.screen.branches.offer_overflow(
                f"The proxy says this conversation does not fit {end.model.id}" + (f" ({numbers})" if numbers else ""),
                message.error or str(error),
                send=self.retry_last,
                recheck=self.retry_if_it_fits,
            )
        elif end.outcome == "budget" and isinstance(error, BudgetError):
            from llmconsole.ui.screens.budget import show_budget

            show_budget(self.screen, error, end.model)
        elif end.outcome == "failed":
            self.screen.notify(message.error or str(error), title="Request failed", severity="error")

    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Anything unexpected in a worker: one line, a notification, and the app carries on."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        line = describe_error(error) if error is not None else "Unexpected error"
        self.screen.log.error(f"worker {event.worker.name} failed: {error!r}")
        if event.worker.group == "response":
            self.screen.status_bar.set_activity("")
            run = self.screen._session.run if self.screen._session is not None else None
            if run is not None and run.end is None:
                run.fail(error or RuntimeError(line))
            for reply in self.screen.pane.replies:
                if reply.message.status == "streaming":
                    reply.message.status = "error"
                    reply.message.error = line
                    reply.show_end(reply.message)
        else:
            self.screen.pane.add_notice(line, error=True)
        self.screen.notify(line, title="Error", severity="error")

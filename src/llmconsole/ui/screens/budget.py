"""The budget dialog: a spent budget is not a rate limit (no countdown, nothing resent automatically)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from llmconsole.core.proxy.http_errors import budget_numbers, budget_words
from llmconsole.ui.styles import MODALS_CSS

if TYPE_CHECKING:
    from llmconsole.core.errors import BudgetError
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.main import MainScreen

BudgetChoice = Literal["switch", "close"]


class BudgetModal(ModalScreen[BudgetChoice]):
    """Whose budget is spent, what was spent of what, and who can raise it.

    | Key | Action |
    | :- | :- |
    | s | Pick another model (a provider's or a deployment's budget is per model). |
    | escape | Close (the prompt stays in the conversation: ctrl+r sends it again). |
    """

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close; ctrl+r sends the prompt again later", id="budget-close"),
        Binding("s", "switch", "Switch model", tooltip="Pick another model", id="budget-switch"),
    ]

    def __init__(self, error: BudgetError, model_id: str) -> None:
        super().__init__()
        self.error = error
        self.model_id = model_id

    def compose(self) -> ComposeResult:
        error = self.error
        whose, raiser = budget_words(error.scope)
        owner = f" ({error.owner})" if error.owner and error.scope not in ("provider", "deployment") else ""
        with Vertical(id="budget-dialog"):
            yield Static(Content.assemble(("Budget exceeded", "bold"), " — model: ", self.model_id), id="budget-title")
            yield Static(Content(f"{whose[0].upper()}{whose[1:]}{owner} is spent."), id="budget-whose", markup=False)
            numbers = budget_numbers(error.spent, error.budget)
            if numbers:
                yield Static(Content(numbers[0].upper() + numbers[1:] + "."), id="budget-numbers", markup=False)
            yield Static(
                Content(f"Waiting does not help: {raiser}. Nothing is resent automatically; ctrl+r sends it again."),
                id="budget-raise",
                markup=False,
            )
            with Horizontal(id="budget-buttons"):
                yield Button("Switch model (s)", id="budget-switch")
                yield Button("Close (esc)", id="budget-close", variant="primary")

    @on(Button.Pressed, "#budget-switch")
    def action_switch(self) -> None:
        self.dismiss("switch")

    @on(Button.Pressed, "#budget-close")
    def action_close(self) -> None:
        self.dismiss("close")


def show_budget(screen: MainScreen, error: BudgetError, model: ModelInfo) -> None:
    """A spent budget on the main screen: the dialog says whose and who can raise it; no countdown, nothing
    resent; ``s`` opens the model picker (another model may have its own budget)."""

    def chosen(choice: BudgetChoice | None) -> None:
        screen.focus_prompt()
        if choice == "switch":
            screen.action_pick_model(then_resend=True)

    screen.app.push_screen(BudgetModal(error, model.id), chosen)

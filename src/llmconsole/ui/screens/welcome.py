"""Shown when no proxy is configured: how to connect, and the demo one key away."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Static

from llmconsole.ui.styles import MODALS_CSS
from llmconsole.ui.widgets.footer import ConsoleFooter

WelcomeChoice = Literal["demo", "quit"]

WELCOME_TEXT = Content.assemble(
    ("Welcome to llmconsole", "bold $accent"),
    "\n\nllmconsole talks to the models behind a LiteLLM proxy. Tell it where the proxy is:\n\n",
    ("  export OPENAI_BASE_URL=https://your-proxy.example.com", "bold"),
    "\n",
    ("  export OPENAI_API_KEY=sk-your-litellm-key", "bold"),
    "\n\nthen start llmconsole again. The URL may end in /v1 or not; the key is never shown or logged.\n"
    "A config file (config.toml in the llmconsole config folder) can set a default model, a system prompt\n"
    "and the reasoning effort.\n\nNo proxy at hand? The demo has scripted models, streaming, reasoning and\n"
    "rate limits, with no network at all.",
)


class WelcomeScreen(Screen[WelcomeChoice]):
    """How to connect, or try the demo (d)."""

    CSS_PATH = MODALS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "demo", "Try the demo", tooltip="Switch to the in-process demo backend", id="welcome-demo"),
        Binding("q", "quit_app", "Quit", tooltip="Quit llmconsole", id="welcome-quit"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="welcome-dialog"):
            yield Static(WELCOME_TEXT, id="welcome-text")
            with Horizontal(id="welcome-buttons"):
                yield Button("Try the demo (d)", id="welcome-demo", variant="primary")
                yield Button("Quit (q)", id="welcome-quit")
        yield ConsoleFooter()

    @on(Button.Pressed, "#welcome-demo")
    def action_demo(self) -> None:
        self.dismiss("demo")

    @on(Button.Pressed, "#welcome-quit")
    def action_quit_app(self) -> None:
        self.dismiss("quit")

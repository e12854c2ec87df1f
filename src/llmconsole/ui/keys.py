"""Every key binding of the console in one list: what ``[keys]`` in config.toml may remap (by binding id), what
F1 shows and what the command palette offers. The screens are imported only when this is asked for."""

from __future__ import annotations

from textual.binding import Binding


def binding_owners() -> list[tuple[str, list[Binding]]]:
    """(where, bindings) for the app, the main screen and its prompt, then every other screen and modal."""
    from llmconsole.ui.app import LLMConsoleApp
    from llmconsole.ui.screens.attachments import AttachmentsModal, TextViewModal
    from llmconsole.ui.screens.compare import CompareColumn, CompareScreen
    from llmconsole.ui.screens.conversations import ConfirmModal, ConversationsScreen, TextPromptModal
    from llmconsole.ui.screens.help import HelpScreen
    from llmconsole.ui.screens.image_picker import ImagePickerModal
    from llmconsole.ui.screens.main import MainScreen
    from llmconsole.ui.screens.model_picker import ModelPickerModal
    from llmconsole.ui.screens.rate_limit import RateLimitModal
    from llmconsole.ui.screens.settings import SettingsModal
    from llmconsole.ui.screens.tool_approval import ToolApprovalModal
    from llmconsole.ui.screens.tool_picker import ToolPickerModal
    from llmconsole.ui.screens.welcome import WelcomeScreen
    from llmconsole.ui.widgets.conversation import ConversationPane
    from llmconsole.ui.widgets.prompt import PromptInput
    from llmconsole.ui.widgets.search_bar import SearchBar

    owners: list[tuple[str, type[object]]] = [
        ("main", MainScreen),
        ("prompt", PromptInput),
        ("everywhere", LLMConsoleApp),
        ("selected message", ConversationPane),
        ("search", SearchBar),
        ("compare", CompareScreen),
        ("compare column", CompareColumn),
        ("conversations", ConversationsScreen),
        ("rate limit", RateLimitModal),
        ("tool approval", ToolApprovalModal),
        ("tool picker", ToolPickerModal),
        ("model picker", ModelPickerModal),
        ("settings", SettingsModal),
        ("image picker", ImagePickerModal),
        ("help", HelpScreen),
        ("text prompt", TextPromptModal),
        ("confirm", ConfirmModal),
        ("attachments", AttachmentsModal),
        ("text view", TextViewModal),
        ("welcome", WelcomeScreen),
    ]
    return [(where, [b for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding)]) for where, cls in owners]


def all_console_bindings() -> list[Binding]:
    """Every binding (those with an id can be remapped in ``[keys]``)."""
    return [binding for _, bindings in binding_owners() for binding in bindings]


def binding_ids() -> dict[str, Binding]:
    """Binding id -> binding (the names ``[keys]`` accepts)."""
    return {b.id: b for b in all_console_bindings() if b.id is not None}

"""The prompt's place in the first frame.

The prompt is a Textual ``TextArea`` (:class:`~llmconsole.ui.widgets.prompt.PromptInput`): importing and
building it takes about 20 ms, a fifth of the console's first frame. So the first frame draws the empty,
focused prompt instead (the same cells), and the editor replaces the drawing just after that frame. What is
typed in between (text, pastes, Enter, up/down to recall a prompt) is kept and typed into the editor, in order,
before any later key; other keys (ctrl+l, f1 ...) work as usual meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from textual import events
from textual.content import Content
from textual.widgets import Static

Typed = tuple[Literal["text", "paste", "enter", "up", "down"], str]
"""One thing typed into the drawing: a character, a paste, Enter, or up/down (prompt recall)."""

PLACEHOLDER = "Ask something…  (enter sends · ctrl+j newline · ctrl+o chats · f1 keys)"
"""What the empty prompt says."""


class Editor(Protocol):
    def replay(self, typed: Sequence[Typed]) -> None: ...


class PromptPreview(Static, can_focus=True):
    """The empty prompt as the editor draws it with focus: cursor on the first cell, the placeholder dimmed."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's parameter name
        super().__init__(
            Content.assemble(
                (PLACEHOLDER[0], "$input-cursor-foreground on $input-cursor-background"),
                (PLACEHOLDER[1:], "$text 40%"),
            ),
            id=id,
            markup=False,
        )
        self.typed: list[Typed] = []
        """What was typed before the editor came, oldest first."""
        self.editor: Editor | None = None
        """The editor, once it has taken over (keys still on their way here go on to it)."""

    def _keep(self, typed: Typed) -> None:
        if self.editor is not None:
            self.editor.replay([typed])
        else:
            self.typed.append(typed)

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            self._keep(("enter", ""))
        elif event.key == "up":
            self._keep(("up", ""))
        elif event.key == "down":
            self._keep(("down", ""))
        elif event.is_printable and event.character:
            self._keep(("text", event.character))
        else:
            return  # the screen's and the app's keys
        event.stop()
        event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self._keep(("paste", event.text))

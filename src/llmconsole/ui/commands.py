"""Command palette providers: ``model: <id>`` for every discovered model."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from llmconsole.ui.widgets.formatting import badge_parts

if TYPE_CHECKING:
    from llmconsole.ui.screens.main import MainScreen


class ModelCommands(Provider):
    """``model: <id>`` switches the current model (ids shown literally, never as markup)."""

    def _main(self) -> MainScreen | None:
        from llmconsole.ui.screens.main import MainScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _select(self, main: MainScreen, model_id: str) -> None:
        if main.select_model(model_id):
            main.focus_prompt()

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for model in main.models:
            title = f"model: {model.id}"
            yield DiscoveryHit(
                Content(title),
                partial(self._select, main, model.id),
                text=title,
                help=" ".join(text for text, _ in badge_parts(model)),
            )

    async def search(self, query: str) -> Hits:
        main = self._main()
        if main is None:
            return
        matcher = self.matcher(query)
        for model in main.models:
            title = f"model: {model.id}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._select, main, model.id),
                    text=title,
                    help=" ".join(text for text, _ in badge_parts(model)),
                )

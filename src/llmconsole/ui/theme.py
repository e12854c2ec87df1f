"""The colour theme kept between runs: ``theme = "…"`` in ``config.toml``, applied before the first frame and
written when the command palette's "Theme" changes it (only that line; see :mod:`llmconsole.core.config_edit`).
Imported when a theme is configured or changed, never on a plain start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from llmconsole.core.config import Settings


def apply_configured_theme(app: App[Any], name: str) -> str | None:
    """Make ``name`` the app's theme before it runs (no restyle: the stylesheet is not built yet). A warning
    line when no such theme exists (the default stays)."""
    if name not in app.available_themes:
        known = ", ".join(sorted(app.available_themes))
        return f"config.toml: unknown theme {name!r} (the palette's Theme lists them: {known})"
    app.set_reactive(type(app).theme, name)  # (its watcher needs a running app; set what it would set)
    dark = app.current_theme.dark
    app.set_class(True, f"-theme-{name}", update=False)
    app.set_class(dark, "-dark-mode", update=False)
    app.set_class(not dark, "-light-mode", update=False)
    return None


def config_path(settings: Settings) -> Path:
    """The file the theme goes to: the one that was read, else the default ``config.toml``."""
    from llmconsole.core.config import config_file_path

    return settings.config_path or config_file_path()


def save_theme(path: Path, name: str) -> None:
    """Write ``theme = "name"`` into ``path`` (run in a thread: file IO). :class:`ConfigError` when it can't."""
    from llmconsole.core.config_edit import set_string

    set_string(path, "theme", name)

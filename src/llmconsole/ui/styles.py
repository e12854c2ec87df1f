"""Where the ``.tcss`` files are, and which screen loads which.

The app loads ``app.tcss`` and ``main.tcss`` at start; dialogs (``modals.tcss``; the tool dialogs' ``tools.tcss``)
and the compare screen (``compare.tcss``) load theirs the first time one opens, so the first frame parses and
matches only the rules it can use.
"""

from __future__ import annotations

from pathlib import Path


def styles_dir() -> Path:
    """``llmconsole/styles`` in a wheel (force-included), else the repository's top-level ``styles/``."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "styles"
    if packaged.is_dir():
        return packaged
    return package.parent.parent / "styles"


STYLES_DIR = styles_dir()
"""Where the ``.tcss`` files were found (resolved once, at import)."""
APP_CSS = [STYLES_DIR / "app.tcss", STYLES_DIR / "main.tcss"]
MODALS_CSS = STYLES_DIR / "modals.tcss"
"""The dialogs' rules: each dialog screen's ``CSS_PATH``."""
COMPARE_CSS = STYLES_DIR / "compare.tcss"
TOOLS_CSS = STYLES_DIR / "tools.tcss"
"""The tool approval dialog's and the tool picker's rules (loaded when one first opens)."""

"""How the console's modules are loaded: :func:`load_app_module` (what ``llmconsole`` runs).

Importing Textual and the console creates about 40,000 objects that live as long as the process and no garbage
at all; the garbage collector would walk them again and again while they are created (20-40 ms of a ~250 ms
import). So the import runs with the collector paused, and what it created is then frozen out of the
collector's reach (``gc.freeze``): later collections, at startup and while replies stream, skip it.
"""

from __future__ import annotations

import gc
import importlib
from types import ModuleType


def load_app_module() -> ModuleType:
    """``llmconsole.ui.app``, imported with the garbage collector paused, its objects then frozen."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        module = importlib.import_module("llmconsole.ui.app")
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    return module

"""llmconsole: a terminal console for models behind a LiteLLM proxy.

Importing the package imports nothing else: the UI and the core are loaded on demand.
"""

import sys as _sys

__version__ = "0.1.0"

# httpx imports its own command line (click, pygments and rich: ~20 ms) whenever click is installed, and the
# ``mcp`` SDK brings click in. llmconsole never runs httpx's command line: its import is declined (httpx expects that).
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "no such module" (PEP 451)

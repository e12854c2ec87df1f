"""llmconsole: a terminal console for models behind a LiteLLM proxy.

Importing the package imports nothing else: the UI and the core are loaded on demand.
"""

__version__ = "0.1.0"

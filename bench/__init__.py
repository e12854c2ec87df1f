"""The llmconsole benchmark suite (issue 5): ``python -m bench [--quick] [--json]`` from the repo root."""

from __future__ import annotations

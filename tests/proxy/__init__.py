"""Test harness: a real LiteLLM proxy (subprocess) in front of a fake upstream the tests control.

- :mod:`tests.proxy.fake_upstream` — in-process HTTP server speaking OpenAI Responses, Chat Completions
  (Databricks style), embeddings and ``/v1/models``; scriptable per model, records every request.
- :mod:`tests.proxy.litellm_proxy` — starts/stops ``litellm --config ...`` by PID; its module docstring
  documents the observed behaviour of LiteLLM 1.99.4 that the client relies on.
"""

from __future__ import annotations

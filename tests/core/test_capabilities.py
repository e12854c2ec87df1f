from __future__ import annotations

import pytest

from llmconsole.core.proxy.capabilities import pattern_capabilities


@pytest.mark.parametrize(
    ("model_id", "reasoning", "images", "context", "max_out", "cache_key"),
    [
        ("claude-opus-4-6", True, True, 200_000, 8192, False),
        ("claude-opus-4.6", True, True, 200_000, 8192, False),
        ("databricks-claude-opus-4-5", True, True, 200_000, 4096, False),
        ("claude-haiku-4-5", False, True, 128_000, 4096, False),
        ("claude-sonnet-4-5", False, True, 128_000, 4096, False),
        ("gemini-2-5-pro", False, True, 1_000_000, 4096, False),
        ("gemini-2.5-flash", False, True, 1_000_000, 4096, False),
        ("gpt-5.2", True, True, 200_000, 8192, True),
        ("openai/gpt-5-mini", True, True, 200_000, 8192, True),
        ("databricks-gpt-5", True, True, 200_000, 8192, False),
        ("gpt-4o", False, True, 128_000, 4096, True),
        ("o3-mini", True, False, 128_000, 4096, True),
        ("o1", True, False, 128_000, 4096, True),
        ("llama-with-reasoning", True, False, 128_000, 4096, True),
        ("amazon-nova-pro", False, True, 128_000, 4096, True),
        ("databricks-llama-4", False, False, 128_000, 4096, False),
        ("acme-large", False, False, 128_000, 4096, True),
        ("foo3", False, False, 128_000, 4096, True),
    ],
)
def test_seed_tables(model_id: str, reasoning: bool, images: bool, context: int, max_out: int, cache_key: bool) -> None:
    caps = pattern_capabilities(model_id)
    assert caps.reasoning is reasoning
    assert caps.images is images
    assert caps.context_window == context
    assert caps.max_output_tokens == max_out
    assert caps.params == {"store": True, "prompt_cache_key": cache_key, "reasoning_summary": cache_key}

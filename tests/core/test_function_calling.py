"""Which models are offered tools: ``supports_function_calling`` from /model/info, else the name, else the config."""

from __future__ import annotations

import pytest

from llmconsole.core.config import ModelOverride, Settings
from llmconsole.core.proxy.capabilities import pattern_capabilities
from llmconsole.core.proxy.discovery import build_model
from llmconsole.core.proxy.models import ModelInfo


@pytest.mark.parametrize(
    ("name", "calls"),
    [
        ("gpt-5.2", True),
        ("openai/gpt-4o-mini", True),
        ("o3-mini", True),
        ("claude-opus-4-6", True),
        ("databricks-claude-haiku-4-5", True),
        ("gemini-2-5-pro", True),
        ("llama-3.3-70b", True),
        ("qwen2.5-coder", True),
        ("acme-large", False),
        ("text-embedding-3-small", False),
        ("proto3-model", False),
    ],
)
def test_name_patterns(name: str, calls: bool) -> None:
    assert pattern_capabilities(name).function_calling is calls


def test_model_info_wins_over_the_name_and_the_config_over_both() -> None:
    said_no = build_model("gpt-5.2", [{"supports_function_calling": False}], Settings())
    assert not said_no.function_calling and said_no.sources["function_calling"] == "model_info"
    said_yes = build_model("acme-large", [{"supports_function_calling": True}], Settings())
    assert said_yes.function_calling
    unknown = build_model("acme-large", [{"supports_function_calling": None}], Settings())
    assert not unknown.function_calling and unknown.sources["function_calling"] == "pattern"
    forced = Settings(models={"acme-large": ModelOverride(function_calling=True)})
    assert build_model("acme-large", [], forced).function_calling
    # one of two deployments that cannot: not offered
    assert not build_model(
        "x", [{"supports_function_calling": True}, {"supports_function_calling": False}], Settings()
    ).function_calling


def test_the_cache_keeps_it() -> None:
    model = ModelInfo(id="m", function_calling=True)
    assert ModelInfo.from_json_dict(model.to_json_dict()).function_calling
    assert not ModelInfo.from_json_dict({"id": "m"}).function_calling  # an older cache: not offered

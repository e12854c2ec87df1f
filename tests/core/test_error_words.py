"""The wording tables: each row's own example is read by it (the corpus test covers the real bodies)."""

from __future__ import annotations

import pytest

from llmconsole.core.proxy.errorwords import read_budget, read_model, read_overflow
from llmconsole.core.proxy.limitwords import LIMIT_WORDINGS, LimitWording, kind_and_period, read_prose


@pytest.mark.parametrize("row", LIMIT_WORDINGS, ids=[row.provider for row in LIMIT_WORDINGS])
def test_each_limit_wording_reads_its_example(row: LimitWording) -> None:
    assert row.pattern.search(row.example) is not None
    fields, _signal = read_prose(row.example)
    assert fields, row.example


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("input_tokens_per_minute", ("input_tokens", "minute")),
        ("ITPM", ("input_tokens", "minute")),
        ("tokens per min (TPM)", ("tokens", "minute")),
        ("GenerateRequestsPerDayPerProjectPerModel-FreeTier", ("requests", "day")),
        ("generativelanguage.googleapis.com/generate_content_free_tier_input_token_count", ("input_tokens", None)),
        ("max_parallel_requests", ("concurrency", None)),
        ("queries_per_hour", ("requests", "hour")),
        ("something else", (None, None)),
    ],
)
def test_kind_and_period(name: str, expected: tuple[str | None, str | None]) -> None:
    assert kind_and_period(name) == expected


def test_numbers_are_only_what_is_written() -> None:
    fields, signal = read_prose(
        "Rate limit reached for gpt-4 in organization org-x on tokens per min. Limit: 10000 / min."
    )
    assert signal and fields["limit"] == 10000 and "current" not in fields and "requested" not in fields
    budget = read_budget("Budget has been exceeded! Team=abc")
    assert budget is not None and (budget.scope, budget.owner, budget.spent, budget.budget) == (
        "team",
        "abc",
        None,
        None,
    )
    overflow = read_overflow("Input is too long for requested model.", [])
    assert overflow is not None and (overflow.window, overflow.requested) == (None, None)


def test_a_model_name_never_keeps_the_repr_around_it() -> None:
    body = "400: {'error': 'Invalid model name passed in model=gpt-5-foo'}"
    assert read_model(body) == "gpt-5-foo"
    assert read_model("Invalid model 'sonar-pro '. Permitted models ...") == "sonar-pro "


@pytest.mark.parametrize(
    ("text", "window", "requested"),
    [
        # cline/cline#3120
        ('400 "This model\'s maximum prompt length is 131072 but the request contains 136973 tokens."', 131072, 136973),
        # cohere-ai/sandbox-topically#4
        (
            "CohereError: too many tokens: total number of tokens (prompt and prediction) cannot exceed 2048 - "
            "received 6354. Try using a shorter prompt or a smaller max_tokens value.",
            2048,
            6354,
        ),
        # AstrBotDevs/AstrBot#1 (the oldest OpenAI wording: a comma and "your prompt; … for the completion")
        (
            "openai.error.InvalidRequestError: This model's maximum context length is 4097 tokens, however you "
            "requested 4569 tokens (3545 in your prompt; 1024 for the completion). Please reduce your prompt; or "
            "completion length.",
            4097,
            4569,
        ),
    ],
)
def test_overflow_wordings_outside_the_corpus(text: str, window: int, requested: int) -> None:
    overflow = read_overflow(text, [])
    assert overflow is not None and (overflow.window, overflow.requested) == (window, requested)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("limit_rpm/google/gemini-2.5-pro-exp-03-25", ("requests", "minute")),
        ("free-models-per-min", (None, "minute")),
        ("API calls / month", ("requests", "month")),
    ],
)
def test_kind_and_period_of_names_with_abbreviations(name: str, expected: tuple[str | None, str | None]) -> None:
    assert kind_and_period(name) == expected

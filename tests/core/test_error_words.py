"""The wording tables: each row's own example is read by it (the corpus test covers the real bodies)."""

from __future__ import annotations

import pytest

from llmconsole.core.proxy.errorwords import read_budget, read_model, read_overflow
from llmconsole.core.proxy.limitwords import LIMIT_WORDINGS, LimitWording, kind_and_period, read_prose


@pytest.mark.parametrize("row", LIMIT_WORDINGS, ids=[row.provider for row in LIMIT_WORDINGS])
def test_each_limit_wording_reads_its_example(row: LimitWording) -> None:
    assert row.pattern.search(row.example) is not None
    fields, signal = read_prose(row.example)
    assert fields or (signal and row.signal), row.example  # a row without numbers or names says "rate limit"


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
        # huggingface/chat-ui#327: the backticks around the numbers lost where it was pasted
        (
            "Input validation error: `inputs` tokens + `max_new_tokens`  must be <= 1512. Given: 603 `inputs tokens "
            "and 1024 `max_new_tokens",
            1512,
            1627,
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


@pytest.mark.parametrize(
    ("text", "use"),
    [
        # router-for-me/CLIProxyAPIPlus#473 (GitHub Copilot)
        (
            '{"error":{"message":"model \\"gpt-5.4-mini\\" is not accessible via the /chat/completions endpoint",'
            '"code":"unsupported_api_for_model"}}',
            "responses",
        ),
        # n3d1117/chatgpt-telegram-bot#386: the legacy endpoint, which this console does not speak
        (
            "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use "
            "v1/completions?",
            "completions",
        ),
    ],
)
def test_endpoint_wordings_outside_the_corpus(text: str, use: str) -> None:
    from llmconsole.core.proxy.errorwords import read_wrong_endpoint

    assert read_wrong_endpoint(text) == use


@pytest.mark.parametrize(
    "body",
    [
        # anthropics/claude-code#6195: the message wrapped where it was pasted
        '{"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content\n     filtering '
        'policy"},"request_id":null}',
        # microsoft/PyRIT#1463
        "Error code: 400 - {'error': {'message': \"Invalid prompt: we've limited access to this content for safety "
        "reasons. This type of information may be used to benefit or to harm people.\", 'type': "
        "'invalid_request_error', 'param': None, 'code': 'invalid_prompt'}}",
        # google-gemini/generative-ai-js (its own test of a SAFETY block)
        "[GoogleGenerativeAI Error]: Text not available. Response was blocked due to SAFETY",
    ],
)
def test_content_filter_wordings_outside_the_corpus(body: str) -> None:
    from llmconsole.core.errors import ContentFilterError
    from llmconsole.core.proxy.http_errors import error_from_response

    error = error_from_response(400, {}, body, model="m", secrets=[])
    assert isinstance(error, ContentFilterError) and error.rejected == ()


@pytest.mark.parametrize(
    ("body", "scope", "spent", "budget"),
    [
        # LiteLLM's docs, quoted in OWASP/OpenCRE#1102: a budget per model
        (
            '{ "error": { "message": "LiteLLM User: engineer-1, exceeded budget for model=claude-opus-4-8", '
            '"type": "budget_exceeded", "param": null, "code": "429" }}',
            "user",
            None,
            None,
        ),
        # BerriAI/litellm#40002: an estimated cost between the two numbers
        (
            '{"error":{"message":"Budget has been exceeded! Key=e7fbc61f Current cost: 0.0, Estimated request cost: '
            '3.6432300000000004, Max budget: 2.5","type":"budget_exceeded","param":null,"code":"429"}}',
            "key",
            0.0,
            2.5,
        ),
        # BerriAI/litellm#37000: an admin's own wording; the type still says it
        (
            '{"error":{"message":"Your monthly allowance is used up.","type":"budget_exceeded","code":"429"}}',
            None,
            None,
            None,
        ),
    ],
)
def test_budget_wordings_outside_the_corpus(
    body: str, scope: str | None, spent: float | None, budget: float | None
) -> None:
    from llmconsole.core.errors import BudgetError
    from llmconsole.core.proxy.http_errors import error_from_response

    error = error_from_response(429, {}, body, model="m", secrets=[])
    assert isinstance(error, BudgetError) and error.exit_code == 3
    assert (error.scope, error.spent, error.budget) == (scope, spent, budget)


@pytest.mark.parametrize(
    ("text", "limit", "requested"),
    [
        # continuedev/continue#11717: a "(for limit …)" after the model
        (
            "Request too large for gpt-4.1-2025-04-14 (for limit gpt-4.1) in organization org-x on tokens per min "
            "(TPM): Limit 30000, Requested 37313.",
            30000,
            37313,
        ),
        # vanna-ai/vanna-flask#11: no organization at all
        ("Request too large for gpt-4o on tokens per min (TPM): Limit 30000, Requested 342389.", 30000, 342389),
    ],
)
def test_request_too_large_with_or_without_the_organization(text: str, limit: int, requested: int) -> None:
    fields, signal = read_prose(text)
    assert signal and (fields["kind"], fields["period"], fields["limit"], fields["requested"]) == (
        "tokens",
        "minute",
        limit,
        requested,
    )


def test_a_rate_limit_said_in_words_is_one_whatever_the_status() -> None:
    from llmconsole.core.errors import RateLimitError
    from llmconsole.core.proxy.http_errors import error_from_response

    body = '{"error": "Rate limit is exceeded. Try again in 30 seconds."}'
    error = error_from_response(400, {}, body, model="m", secrets=[])
    assert isinstance(error, RateLimitError) and error.info.retry_after == 30


def test_a_python_repr_wrapped_where_it_was_pasted_is_still_read() -> None:
    from llmconsole.core.proxy.errorbody import analyse

    # microsoft/PyRIT#1463's body, wrapped by a console inside the message (as in alan-turing-institute/t0-1#69)
    body = (
        "Error code: 400 - {'error': {'message': \"Invalid prompt: we've limited access to this content for safety\n"
        "reasons.\", 'type': 'invalid_request_error', 'param': None, 'code': 'invalid_prompt'}}"
    )
    found = analyse(body).embedded_dicts
    assert any(d.get("code") == "invalid_prompt" and "for safety reasons" in d.get("message", "") for d in found)


def test_a_limit_wrapped_over_lines_is_read_as_one_line() -> None:
    # TheR1D/shell_gpt#653: the message broken over lines where it was pasted
    fields, signal = read_prose(
        "Request too large for gpt-4o in organization org-x on tokens per min (TPM): \nLimit 30000, Requested 31538. "
        "\nThe input or output tokens must be reduced in order to run successfully."
    )
    assert signal and (fields["limit"], fields["requested"], fields["period"]) == (30000, 31538, "minute")


def test_a_typographic_apostrophe_reads_as_a_plain_one() -> None:
    # RooCodeInc/Roo-Code#554: "organization’s" (U+2019)
    fields, signal = read_prose(
        "This request would exceed your organization\u2019s rate limit of 80,000 input tokens per minute."
    )
    assert signal and (fields["kind"], fields["period"], fields["limit"]) == ("input_tokens", "minute", 80000)

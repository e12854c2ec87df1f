"""Rejected request fields: one test per provider wording, the structured shapes, the field mapping, and non-fields."""

from __future__ import annotations

import json

import pytest

from llmconsole.core.errors import BadRequestError, ContextOverflowError, NotFoundError, ProxyError, ServerError
from llmconsole.core.proxy.http_errors import error_from_response
from llmconsole.core.proxy.params import carries, rejected_fields
from llmconsole.core.proxy.rejections import WORDINGS, Wording, is_not_about_a_field, rejected_paths, request_field


def litellm(message: str, code: str = "400") -> str:
    """LiteLLM's own error body around ``message`` (as it wraps every upstream body)."""
    tail = ". Received Model Group=m\nAvailable Model Group Fallbacks=None"
    return json.dumps({"error": {"message": message + tail, "type": None, "param": None, "code": code}})


def databricks_wrapped(message: str) -> str:
    """Databricks' error body, wrapped by LiteLLM."""
    inner = json.dumps({"error_code": "BAD_REQUEST", "message": message})
    return litellm("litellm.BadRequestError: DatabricksException - " + inner)


# ------------------------------------------------------------------------------------------- the table


@pytest.mark.parametrize("row", WORDINGS, ids=[w.provider for w in WORDINGS])
def test_every_wording_row_finds_its_fields(row: Wording) -> None:
    assert tuple(rejected_paths(row.example)) == row.expected
    assert row.source  # every row says where its wording comes from


@pytest.mark.parametrize("row", WORDINGS, ids=[w.provider for w in WORDINGS])
def test_every_wording_row_also_inside_litellms_escaped_message(row: Wording) -> None:
    wrapped = litellm("litellm.BadRequestError: SomeException - " + json.dumps({"message": row.example}))
    assert tuple(rejected_paths(wrapped)) == row.expected


# ------------------------------------------------------------------------------------ structured shapes

UNVERIFIED = {
    "error": {
        "message": "Your organization must be verified to generate reasoning summaries. Please go to: "
        "https://platform.openai.com/settings/organization/general and click on Verify Organization.",
        "type": "invalid_request_error",
        "param": "reasoning.summary",
        "code": "unsupported_value",
    }
}


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        # OpenAI's structured error, plain, escaped inside LiteLLM's message, and as a Python repr.
        (json.dumps(UNVERIFIED), ["reasoning.summary"]),
        (litellm("litellm.BadRequestError: OpenAIException - " + json.dumps(UNVERIFIED)), ["reasoning.summary"]),
        (
            litellm(f"litellm.BadRequestError: OpenAIException - Error code: 400 - {UNVERIFIED!r}"),
            ["reasoning.summary"],
        ),
        (
            json.dumps({"error": {"message": "x", "param": "prompt_cache_key", "code": "unknown_parameter"}}),
            ["prompt_cache_key"],
        ),
        # FastAPI/pydantic detail lists: Mistral (message holds the detail, once as JSON text), vLLM (a repr).
        (
            '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","n"],'
            '"msg":"Extra inputs are not permitted","input":1}]},"type":"invalid_request_error","code":null}',
            ["n"],
        ),
        (
            '{"object":"error","message":"{\\"detail\\":[{\\"type\\":\\"extra_forbidden\\",\\"loc\\":[\\"body\\",'
            '\\"frequency_penalty\\"],\\"msg\\":\\"Extra inputs are not permitted\\",\\"input\\":0.0}]}",'
            '"type":"internal_error_proxy","param":null,"code":"1000"}',
            ["frequency_penalty"],
        ),
        (
            "Error code: 400 - {'object': 'error', 'message': \"[{'type': 'extra_forbidden', 'loc': ('body', "
            "'stream_options'), 'msg': 'Extra inputs are not permitted', 'input': {}}]\", 'type': "
            "'BadRequestError', 'param': None, 'code': 400}",
            ["stream_options"],
        ),
        (
            '{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted"},'
            '{"type":"extra_forbidden","loc":["body","max_completion_tokens"],'
            '"msg":"Extra inputs are not permitted"}]}',
            ["store", "max_completion_tokens"],
        ),
        # pydantic's text form (vLLM behind a gateway): a nested location stays nested.
        (
            "1 validation error for ChatCompletionRequest\nmessages.0.user.name\n  Extra inputs are not permitted "
            "[type=extra_forbidden, input_value='bob', input_type=str]",
            ["messages.0.user.name"],
        ),
        # Gemini: several lines, nested locations.
        (
            'Invalid JSON payload received. Unknown name "ref" at '
            "'tools[0].function_declarations[0].parameters': Cannot find field.",
            ["tools.0.function_declarations.0.parameters.ref"],
        ),
        # Bedrock: a nested location.
        (
            "Malformed input request: #/messages/0/content/0: extraneous key [type] is not permitted",
            ["messages.0.content.0.type"],
        ),
        # LiteLLM's Responses-path check prints a dict of the values.
        (
            "openai does not support parameters: {'prompt_cache_key': 'c1', 'reasoning': {'effort': 'low'}}, "
            "for model=x. To drop these, set `litellm.drop_params=True`",
            ["prompt_cache_key", "reasoning"],
        ),
    ],
)
def test_structured_and_wrapped_shapes(body: str, paths: list[str]) -> None:
    assert rejected_paths(body) == paths


@pytest.mark.parametrize(
    "text",
    [
        "",
        "temperature must be <= 1",
        "Unsupported parameter: '123abc'",
        'Unknown name ""',
        '{"detail":[{"type":"missing","loc":["body","input"],"msg":"Field required"}]}',
        "Extra inputs are not permitted",
        "rate limit exceeded",
        '{"error": {"message": "Invalid value", "param": "input", "code": "invalid_value"}}',
    ],
)
def test_nothing_named(text: str) -> None:
    assert rejected_paths(text) == []


# ------------------------------------------------------------------------------------- field mapping


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("prompt_cache_key", "prompt_cache_key"),
        ("temperature", "temperature"),
        ("max_output_tokens", "max_output_tokens"),
        ("max_tokens", "max_output_tokens"),
        ("max_completion_tokens", "max_output_tokens"),
        ("maxOutputTokens", "max_output_tokens"),
        ("reasoning_effort", "reasoning"),
        ("reasoning.effort", "reasoning"),
        ("reasoning", "reasoning"),
        ("thinking", "reasoning"),
        ("reasoning.summary", "reasoning_summary"),
        ("reasoning.generate_summary", "reasoning_summary"),
        ("promptCacheKey", "prompt_cache_key"),
        ("input", None),
        ("model", None),
        ("messages", None),
        ("stream", None),
        ("messages.0.user.name", None),
        ("input.0.content.0.cache_control", None),
        ("tools.0.function_declarations.0.parameters.ref", None),
    ],
)
def test_request_field(path: str, field: str | None) -> None:
    assert request_field(path) == field


# ------------------------------------------------------------------------ what the client may drop

BODY = {
    "model": "m",
    "input": [{"role": "user", "content": "hi"}],
    "stream": True,
    "max_output_tokens": 100,
    "store": False,
    "prompt_cache_key": "c1",
    "reasoning": {"effort": "low", "summary": "auto"},
}


def bad_request(body: str, status: int = 400, cls: type[BadRequestError] | None = None) -> ProxyError:
    """The error the client makes of this answer (``cls``: one made by hand, holding no fields read)."""
    if cls is not None:
        return cls(f"HTTP {status}: x", status=status, body=body)
    return error_from_response(status, {}, body, model="m", secrets=[])


def test_droppable_fields_are_the_named_ones_the_body_carries() -> None:
    error = bad_request(litellm("litellm.BadRequestError: OpenAIException - " + json.dumps(UNVERIFIED)))
    assert rejected_fields(error, BODY) == ["reasoning_summary"]
    two = bad_request(
        '{"detail":[{"type":"extra_forbidden","loc":["body","store"]},'
        '{"type":"extra_forbidden","loc":["body","max_completion_tokens"]}]}'
    )
    assert rejected_fields(two, BODY) == ["store", "max_output_tokens"]
    assert rejected_fields(bad_request("Unsupported parameter: 'temperature'"), BODY) == []  # not sent
    assert carries(BODY, "reasoning_summary") and not carries({"reasoning": {"effort": "low"}}, "reasoning_summary")
    chat = {
        "model": "m",
        "messages": [],
        "max_completion_tokens": 10,
        "reasoning_effort": {"effort": "low", "summary": "auto"},
    }
    assert carries(chat, "max_output_tokens") and carries(chat, "reasoning") and carries(chat, "reasoning_summary")
    assert rejected_fields(bad_request("Unsupported parameter: 'max_completion_tokens'"), chat) == ["max_output_tokens"]


@pytest.mark.parametrize(
    "error",
    [
        # a required field, in any wording
        bad_request(
            '{"error": {"message": "Unknown parameter: \'input\'.", "param": "input", "code": "unknown_parameter"}}'
        ),
        bad_request("messages: Extra inputs are not permitted"),
        bad_request("Unsupported parameter: 'model' is not supported with this model."),
        # not about a field at all
        bad_request(
            '{"error": {"message": "Unsupported parameter: \'store\'. The response was filtered due to the prompt '
            'triggering Azure OpenAI\'s content management policy.", "code": "content_filter"}}'
        ),
        bad_request("prompt is too long: Unsupported parameter: 'store'", cls=ContextOverflowError),
        NotFoundError("HTTP 400: Model 'x' is not served", status=400, body="Unsupported parameter: 'store'"),
        ServerError("HTTP 500: boom", status=500, body="Unsupported parameter: 'store'"),
    ],
)
def test_never_a_field(error: BadRequestError) -> None:
    assert rejected_fields(error, BODY) == []


def test_litellm_unsupported_params_as_a_500_is_a_field() -> None:
    error = bad_request(
        litellm(
            "litellm.UnsupportedParamsError: x does not support parameters: {'store': False}, for model=m.", code="500"
        ),
        status=500,
    )
    assert isinstance(error, ServerError) and rejected_fields(error, BODY) == ["store"]


def test_echoed_request_content_never_changes_the_verdict() -> None:
    vllm = (
        "{'object': 'error', 'message': \"[{'type': 'extra_forbidden', 'loc': ('body', 'instructions'), "
        "'msg': 'Extra inputs are not permitted', 'input': 'Mind the context window and the content "
        "management policy'}]\", 'type': 'BadRequestError', 'param': None, 'code': 400}"
    )
    assert not is_not_about_a_field(vllm)
    assert rejected_fields(bad_request(vllm), {**BODY, "instructions": "Mind the context window"}) == ["instructions"]


def test_not_about_a_field() -> None:
    assert is_not_about_a_field('{"error": {"code": "context_length_exceeded", "param": "input"}}')
    assert is_not_about_a_field("The response was filtered due to Azure OpenAI's content management policy")
    assert not is_not_about_a_field(json.dumps(UNVERIFIED))


# ------------------------------------------------------------------- more wordings, as one field each


@pytest.mark.parametrize(
    ("message", "param"),
    [
        ("prompt_cache_key: Extra inputs are not permitted", "prompt_cache_key"),
        (
            "1 validation error for ResponsesRequest\nprompt_cache_key\n"
            "  Extra inputs are not permitted [type=extra_forbidden]",
            "prompt_cache_key",
        ),
        (
            "litellm.UnsupportedParamsError: databricks does not support parameters: "
            "['prompt_cache_key', 'store'], for model=databricks-claude. "
            "To drop these, set `litellm.drop_params=True`",
            "prompt_cache_key",
        ),
        ("Unrecognized request argument supplied: prompt_cache_key", "prompt_cache_key"),
        ("Unsupported parameter: 'max_tokens' is not supported with this model.", "max_output_tokens"),
        ("Unsupported parameter: 'reasoning.effort' is not supported with this model.", "reasoning"),
        ("Unknown parameter: 'store'.", "store"),
        (
            'Invalid JSON payload received. Unknown name "prompt_cache_key": Cannot find field.',
            "prompt_cache_key",
        ),
        ('Unknown name "store"', "store"),
        (
            '{"detail":[{"type":"extra_forbidden","loc":["body","prompt_cache_key"],'
            '"msg":"Extra inputs are not permitted","input":"c1"}]}',
            "prompt_cache_key",
        ),
        ("body.prompt_cache_key: Extra inputs are not permitted", "prompt_cache_key"),
        (databricks_wrapped("prompt_cache_key: Extra inputs are not permitted"), "prompt_cache_key"),
        (
            # Gemini's text, escaped by Vertex inside LiteLLM's message, escaped again in the body.
            json.dumps(
                {
                    "error": {
                        "message": "litellm.BadRequestError: VertexAIException - "
                        + json.dumps(
                            {
                                "error": {
                                    "code": 400,
                                    "message": 'Invalid JSON payload received. Unknown name "store": '
                                    "Cannot find field.",
                                }
                            }
                        ),
                        "code": "400",
                    }
                }
            ),
            "store",
        ),
        (
            "Error code: 400 - {'detail': [{'type': 'extra_forbidden', 'loc': ('body', 'prompt_cache_key'), "
            "'msg': 'Extra inputs are not permitted'}]}",
            "prompt_cache_key",
        ),
    ],
)
def test_first_named_field(message: str, param: str) -> None:
    paths = rejected_paths(message)
    assert paths and request_field(paths[0]) == param


@pytest.mark.parametrize(
    "prefix",
    ["{", "[{", "Unmapped reasoning effort: {", "does not support parameters: {", "{'a': ", "#: ", 'Unknown name "'],
)
def test_a_huge_repeated_prefix_is_read_in_bounded_time_and_names_nothing(prefix: str) -> None:
    """Every wording row and the not-a-field check are bounded (no quadratic backtracking on 200,000 characters)."""
    body = prefix * (200_000 // len(prefix))
    assert rejected_paths(body) == [] and not is_not_about_a_field(body)


# ------------------------------------------------------- issue 18 §6: the wordings it lists, end to end


@pytest.mark.parametrize(
    ("status", "message", "field"),
    [
        (400, "Invalid JSON payload received. property 'frequencyPenalty' is unsupported", "frequency_penalty"),
        (400, "This model does not support the parameter `top_k`.", "top_k"),
        (400, "deepseek-reasoner does not support the logprobs parameter", "logprobs"),
        (400, "This model doesn't support temperature=0.5 while reasoning is active", "temperature"),
        (
            500,
            "TypeError: AsyncCompletions.create() got an unexpected keyword argument 'prompt_cache_key'",
            "prompt_cache_key",
        ),
        (400, 'Bad request: json: unknown field "store"', "store"),
        (422, "Extra inputs are not permitted, field: 'reasoning_effort'", "reasoning_effort"),
    ],
)
def test_the_listed_wordings_drop_the_field_they_name(status: int, message: str, field: str) -> None:
    body = litellm(f"litellm.APIError: APIError: OpenAIException - {message}", code=str(status))
    error = bad_request(body, status=status)
    request = {"model": "m", "input": [], field: 1}
    assert rejected_fields(error, request) == [request_field(field)]
    assert rejected_fields(error, {"model": "m", "input": []}) == []  # only a field the request holds

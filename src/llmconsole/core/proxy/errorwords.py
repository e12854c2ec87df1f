"""The words providers and gateways use for budgets, context windows, content filters, bad keys, wrong endpoints
and unknown models: one table per kind, one row per wording, each with its source.

Each reader takes the search text of a body (:func:`llmconsole.core.proxy.errorbody.search_text`) and the
dicts found in it, and returns what the words state, never more. Everything is pure and never raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BAD_KEY_WORDS",
    "BUDGET_WORDINGS",
    "CONTENT_FILTER_WORDS",
    "ENDPOINT_WORDINGS",
    "MODEL_WORDINGS",
    "OVERFLOW_WORDINGS",
    "Budget",
    "Overflow",
    "Row",
    "is_bad_key",
    "read_budget",
    "read_content_filter",
    "read_model",
    "read_overflow",
    "read_wrong_endpoint",
]

_I = re.IGNORECASE
_NUM = r"\d+(?:[,_]\d{3})*(?:\.\d+)?(?:e-?\d+)?"


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    value = _number(raw) if isinstance(raw, str) else None
    return int(value) if value is not None and value.is_integer() else None


@dataclass(frozen=True, slots=True)
class Row:
    """One wording: a pattern (named groups per table), where it was read, and what it says."""

    provider: str
    """Who says it."""
    pattern: re.Pattern[str]
    """The words (named groups as the table's docstring says)."""
    source: str
    """Where the wording was read (a public source)."""


# --------------------------------------------------------------------------------------------------
# Budgets


@dataclass(frozen=True, slots=True)
class Budget:
    """A spent budget, as the answer states it."""

    spent: float | None = None
    """What was spent."""
    budget: float | None = None
    """The budget."""
    scope: str | None = None
    """Whose: ``key``, ``team``, ``user``, ``end_user``, ``team_member``, ``organization``, ``project``, ``tag``,
    ``provider`` or ``deployment``."""
    owner: str | None = None
    """The id the answer names for that scope."""


BUDGET_WORDINGS: tuple[Row, ...] = (
    Row(
        "LiteLLM (key, team, team member, organization, project, tag budgets)",
        re.compile(
            r"Budget has been exceeded!?(?:\s+(?P<scope>Key|Team|User|Organization|Project|Tag)=(?P<owner>\S+?)"
            r"(?:\s+in\s+Team=(?P<team>\S+?))?)?(?=[\s.,'\"]|$)"
            rf"(?:[^\n]{{0,80}}?Current cost:\s*(?P<spent>{_NUM}))?(?:,?\s*Max budget:\s*(?P<budget>{_NUM}))?",
            _I,
        ),
        "BerriAI/litellm litellm/proxy/auth/auth_checks.py and litellm/exceptions.py (1.99.4)",
    ),
    Row(
        "LiteLLM (user and end-user budgets)",
        re.compile(
            r"ExceededBudget:\s*(?P<scope>End User|User)=(?P<owner>\S+?) over budget\.?"
            rf"(?:\s*Spend=(?P<spent>{_NUM}))?(?:,?\s*Budget=(?P<budget>{_NUM}))?",
            _I,
        ),
        "BerriAI/litellm litellm/proxy/auth/auth_checks.py (1.99.4)",
    ),
    Row(
        "LiteLLM router (provider and deployment budgets; the deployment row compares with the duration)",
        re.compile(
            rf"Exceeded budget for (?P<scope>provider|deployment)\b[^\n]{{0,400}}?:\s*(?P<spent>{_NUM})\s*>=\s*"
            rf"(?:(?P<budget>{_NUM})(?![\w.])|\S+)",
            _I,
        ),
        "BerriAI/litellm litellm/router_strategy/budget_limiter.py (1.99.4)",
    ),
    Row(
        "LiteLLM (token budget, older versions)",
        re.compile(
            rf"ExceededTokenBudget:\s*Current spend for token:\s*(?P<spent>{_NUM});\s*"
            rf"Max Budget for Token:\s*(?P<budget>{_NUM})",
            _I,
        ),
        "BerriAI/litellm#1453",
    ),
)
"""Every budget wording we know (groups: ``scope``, ``owner``, ``spent``, ``budget``; ``team`` for a team member)."""

_SCOPES = {"key": "key", "team": "team", "user": "user", "end user": "end_user", "organization": "organization"}


def read_budget(search: str) -> Budget | None:
    """The budget an answer says is spent, or None when it is not about a budget."""
    for row in BUDGET_WORDINGS:
        match = row.pattern.search(search)
        if match is None:
            continue
        groups = match.groupdict()
        raw_scope = (groups.get("scope") or "").lower()
        scope = _SCOPES.get(raw_scope, raw_scope or None)
        if groups.get("team"):
            scope = "team_member"
        owner = (groups.get("owner") or "").strip("'\".,") or None
        return Budget(
            spent=_number(groups.get("spent")), budget=_number(groups.get("budget")), scope=scope, owner=owner
        )
    return None


# --------------------------------------------------------------------------------------------------
# Context windows


@dataclass(frozen=True, slots=True)
class Overflow:
    """A context overflow, with the numbers the answer states."""

    window: int | None = None
    """The model's window (tokens)."""
    requested: int | None = None
    """What the request holds or needs (tokens)."""


OVERFLOW_WORDINGS: tuple[Row, ...] = (
    Row(
        "OpenAI / Azure OpenAI / vLLM / DeepSeek",
        re.compile(
            rf"maximum context length is (?P<window>{_NUM}) tokens?\.?\s*However,? (?:you requested|your messages? "
            rf"resulted in|your prompt (?:contains|resulted in)) (?P<requested>{_NUM}) tokens",
            _I,
        ),
        "openai/openai-python#1428; vLLM: vllm-project/vllm#1960",
    ),
    Row(
        "vLLM (max_tokens too large)",
        re.compile(
            rf"maximum context length is (?P<window>{_NUM}) tokens and your request has (?P<input>{_NUM}) input "
            rf"tokens \((?P<output>{_NUM}) > {_NUM} - {_NUM}\)",
            _I,
        ),
        "vllm-project/vllm vllm/entrypoints/openai/serving_engine.py",
    ),
    Row(
        "Anthropic",
        re.compile(rf"prompt is too long:\s*(?P<requested>{_NUM}) tokens?\s*>\s*(?P<window>{_NUM})", _I),
        "anthropics/claude-code#1158",
    ),
    Row(
        "Anthropic (input and max_tokens)",
        re.compile(
            rf"input length and `?max_tokens`? exceed context limit:\s*(?P<input>{_NUM})\s*\+\s*(?P<output>{_NUM})"
            rf"\s*>\s*(?P<window>{_NUM})",
            _I,
        ),
        "anthropics/anthropic-sdk-python#586",
    ),
    Row(
        "Google Gemini / Vertex",
        re.compile(
            rf"input token count \(?(?P<requested>{_NUM})?\)?\s*exceeds the maximum number of tokens allowed"
            rf"\s*\(?(?P<window>{_NUM})?",
            _I,
        ),
        "google-gemini/gemini-cli#4206",
    ),
    Row(
        "Hugging Face TGI (inputs + max_new_tokens)",
        re.compile(
            rf"`inputs` tokens \+ `max_new_tokens` must be <= (?P<window>{_NUM})\.\s*Given:\s*(?P<input>{_NUM}) "
            rf"`inputs` tokens and (?P<output>{_NUM}) `max_new_tokens`",
            _I,
        ),
        "huggingface/text-generation-inference router/src/validation.rs",
    ),
    Row(
        "Hugging Face TGI (inputs alone)",
        re.compile(rf"`inputs` must have less than (?P<window>{_NUM}) tokens\.\s*Given:\s*(?P<requested>{_NUM})", _I),
        "huggingface/text-generation-inference router/src/validation.rs",
    ),
    Row(
        "llama-cpp-python",
        re.compile(rf"Requested tokens \((?P<requested>{_NUM})\) exceed context window of (?P<window>{_NUM})", _I),
        "abetlen/llama-cpp-python llama_cpp/llama.py",
    ),
    Row(
        "llama-box / llama.cpp (prefill)",
        re.compile(rf"prefill (?P<requested>{_NUM}) tokens exceed n_ctx", _I),
        "gpustack/llama-box",
    ),
    Row(
        "Mistral",
        re.compile(
            rf"Prompt contains (?P<requested>{_NUM}) tokens.{{0,40}}?too large for model with (?P<window>{_NUM}) "
            r"maximum context length",
            _I,
        ),
        "mistralai/client-python#41",
    ),
    Row(
        "xAI",
        re.compile(
            rf"maximum prompt length is (?P<window>{_NUM}) but the request contains (?P<requested>{_NUM}) tokens", _I
        ),
        "xAI API errors as relayed by LiteLLM",
    ),
    Row(
        "Azure AI / others (configured limit)",
        re.compile(
            rf"(?:Requested|request(?:ed)? (?:contains|has)) (?P<requested>{_NUM}) tokens?,? (?:which )?exceeds? "
            rf"(?:the )?(?:configured |maximum )?limit (?:of )?(?P<window>{_NUM})",
            _I,
        ),
        "Azure AI model inference answers",
    ),
    Row(
        "OpenAI / LiteLLM (the window alone)",
        re.compile(rf"maximum context length is (?P<window>{_NUM}) tokens", _I),
        "BerriAI/litellm litellm/exceptions.py ContextWindowExceededError messages",
    ),
    Row(
        "Generic (N tokens > M / exceeds the context window of M)",
        re.compile(
            rf"(?P<requested>{_NUM}) tokens? (?:>|exceeds?) (?:the )?(?:context window|context length|maximum)"
            rf"(?: of| size)? (?P<window>{_NUM})",
            _I,
        ),
        "various OpenAI-compatible servers",
    ),
)
"""Context wordings with numbers (groups: ``window``, ``requested``, or ``input`` + ``output`` summed)."""

_OVERFLOW_WORDS = (
    "context_length_exceeded",
    "maximum context length",
    "contextwindowexceedederror",
    "prompt is too long",
    "input is too long",
    "exceed context limit",
    "exceeds the context window",
    "exceeds the available context size",
    "exceed_context_size_error",
    "context window exceeded",
    "exceeds the maximum number of tokens",
    "`inputs` tokens + `max_new_tokens` must be",
    "`inputs` must have less than",
    "exceed context window",
    "exceed n_ctx",
    "maximum prompt length",
    "too large for model with",
    "reduce the length of the messages",
    "input length and `max_tokens` exceed",
    "too many input tokens",
    "context length exceeded",
    "prompt too long",
    "exceeds the model's context",
    "exceeds the context length",
    "exceeds maximum context",
)
"""Lower-case words that say the request does not fit the model's window (with or without numbers)."""


def read_overflow(search: str, dicts: Iterable[Mapping[str, Any]]) -> Overflow | None:
    """The window and the requested tokens an overflow answer states (each may be None), or None when the
    answer is not about the context window. JSON fields first (llama.cpp's ``n_ctx``/``n_prompt_tokens``)."""
    lowered = search.lower()
    for d in dicts:
        if "n_ctx" in d or "n_prompt_tokens" in d:
            return Overflow(window=_int(d.get("n_ctx")), requested=_int(d.get("n_prompt_tokens")))
    for row in OVERFLOW_WORDINGS:
        match = row.pattern.search(search)
        if match is None:
            continue
        groups = match.groupdict()
        requested = _int(groups.get("requested"))
        if requested is None and groups.get("input") is not None:
            parts = (_int(groups.get("input")), _int(groups.get("output")))
            if parts[0] is not None and parts[1] is not None:
                requested = parts[0] + parts[1]
        return Overflow(window=_int(groups.get("window")), requested=requested)
    if any(words in lowered for words in _OVERFLOW_WORDS):
        return Overflow()
    return None


# --------------------------------------------------------------------------------------------------
# Content filters and guardrails

CONTENT_FILTER_WORDS: tuple[tuple[str, str], ...] = (
    ("flagged as potentially violating our usage policy", "OpenAI (invalid_prompt)"),
    ("rejected as a result of our safety system", "OpenAI images (content_policy_violation)"),
    ("content_policy_violation", "OpenAI"),
    ("output blocked by content filtering policy", "Anthropic"),
    ("content management policy", "Azure OpenAI (content_filter)"),
    ("responsibleaipolicyviolation", "Azure OpenAI (innererror code)"),
    ("violated guardrail", "LiteLLM guardrails"),
    ("guardrail_intervened", "AWS Bedrock guardrails via LiteLLM"),
    ("blocked by guardrail", "LiteLLM guardrails"),
    ("violated content safety policy", "LiteLLM Bedrock guardrail"),
    ("violated openai moderation policy", "LiteLLM OpenAI moderation guardrail"),
    ("prohibited_content", "Google Gemini (blockReason)"),
    ("blockreason", "Google Gemini (promptFeedback)"),
    ("moderation_blocked", "various"),
    ("content filter", "various"),
    ("safety filter", "various"),
)
"""Lower-case words of a content filter or a guardrail, each with who says it."""
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation", "moderation_blocked", "guardrail_intervened"})
_GOOGLE_CATEGORY_RE = re.compile(r"HARM_CATEGORY_([A-Z_]+)")


def read_content_filter(search: str, dicts: Sequence[Mapping[str, Any]]) -> tuple[bool, str | None]:
    """Whether a content filter or guardrail blocked the request, and what it found (``violence``), if stated.

    The category comes from Azure's ``content_filter_result``/``content_filter_results`` (the ones
    ``filtered``), Gemini's blocked ``safetyRatings``, or a ``category`` field next to the filter's code."""
    lowered = search.lower()
    coded = any(
        isinstance(d.get(key), str) and str(d.get(key)).lower() in _FILTER_CODES
        for d in dicts
        for key in ("code", "type", "finish_reason", "finishReason")
    )
    if not coded and not any(words in lowered for words, _who in CONTENT_FILTER_WORDS):
        return False, None
    categories: list[str] = []
    for d in dicts:
        for key in ("content_filter_result", "content_filter_results"):
            results = d.get(key)
            if isinstance(results, Mapping):
                categories += [
                    str(name)
                    for name, verdict in results.items()
                    if isinstance(verdict, Mapping) and verdict.get("filtered") is True
                ]
        if d.get("blocked") is True and isinstance(d.get("category"), str):
            match = _GOOGLE_CATEGORY_RE.search(str(d["category"]))
            categories.append(match.group(1).lower() if match else str(d["category"]).lower())
    seen = list(dict.fromkeys(categories))
    return True, ", ".join(seen) if seen else None


# --------------------------------------------------------------------------------------------------
# Keys

BAD_KEY_WORDS: tuple[tuple[str, str], ...] = (
    ("api key not valid", "Google AI Studio (400 INVALID_ARGUMENT, reason API_KEY_INVALID)"),
    ("api_key_invalid", "Google AI Studio"),
    ("no connected db", "LiteLLM without a database (a key other than its master key)"),
    ("no_db_connection", "LiteLLM"),
    ("invalid api key", "various"),
    ("incorrect api key provided", "OpenAI"),
    ("invalid x-api-key", "Anthropic"),
    ("invalid proxy server token passed", "LiteLLM"),
    ("the security token included in the request is invalid", "AWS Bedrock"),
    ("authentication_error", "Anthropic"),
    ("api key expired", "Google AI Studio"),
)
"""Lower-case words that refuse the key whatever the status (a 400 included), each with who says it."""


def is_bad_key(search: str) -> bool:
    """Whether the answer refuses the API key (also when the status is a 400)."""
    lowered = search.lower()
    return any(words in lowered for words, _who in BAD_KEY_WORDS)


# --------------------------------------------------------------------------------------------------
# Endpoints

ENDPOINT_WORDINGS: tuple[tuple[Row, str], ...] = (
    (
        Row(
            "OpenAI (Responses-only models on Chat Completions)",
            re.compile(
                r"only supported in v1/responses|not accessible via the /?(?:v1/)?chat/completions endpoint|"
                r"Please use (?:the )?/?(?:v1/)?responses|not supported (?:in|on|with) (?:the )?"
                r"/?(?:v1/)?chat/completions|use the Responses API",
                _I,
            ),
            "openai/codex#2019; BerriAI/litellm#14826",
        ),
        "responses",
    ),
    (
        Row(
            "OpenAI-compatible servers without the Responses API",
            re.compile(
                r"only supported in v1/chat/completions|not accessible via the /?(?:v1/)?responses endpoint|"
                r"Please use (?:the )?/?(?:v1/)?chat/completions",
                _I,
            ),
            "the Responses wording, mirrored",
        ),
        "chat",
    ),
)
"""Wordings that point to the other endpoint, with the endpoint they point to."""


def read_wrong_endpoint(search: str) -> str | None:
    """``responses`` or ``chat`` when the answer says to use that endpoint instead, else None."""
    for row, use in ENDPOINT_WORDINGS:
        if row.pattern.search(search):
            return use
    return None


# --------------------------------------------------------------------------------------------------
# Unknown models

_NAME = r"[`'\"]?(?P<model>[^\s`'\"]{1,200}?)[`'\"]?"
MODEL_WORDINGS: tuple[Row, ...] = (
    Row(
        "LiteLLM (proxy)",
        re.compile(r"Invalid model name passed in model=(?P<model>[^\s'\"`]{1,200}?)(?=[.,;]?(?:['\"`}\s]|$))", _I),
        "BerriAI/litellm litellm/proxy/route_llm_request.py",
    ),
    Row(
        "LiteLLM (router)",
        re.compile(r"You passed in model=(?P<model>[^\s'\"`]{1,200}?)(?=[.,;]?(?:['\"`}\s]|$))", _I),
        "BerriAI/litellm litellm/router.py",
    ),
    Row(
        "OpenAI / Groq / vLLM / DeepSeek",
        re.compile(rf"The model {_NAME} does not exist", _I),
        "openai/openai-python#1086",
    ),
    Row(
        "Ollama",
        re.compile(rf"model {_NAME} not found", _I),
        "ollama/ollama#3288",
    ),
    Row(
        "Google Gemini",
        re.compile(r"models/(?P<model>[\w.:-]{1,200}) is not found", _I),
        "google-gemini/gemini-cli#1280",
    ),
    Row(
        "Anthropic",
        re.compile(r"\"message\"\s*:\s*\"model:\s*(?P<model>[\w.:@/-]{1,200})\"", _I),
        "anthropics/anthropic-sdk-python#720 (not_found_error, message model: NAME)",
    ),
    Row(
        "Mistral / others",
        re.compile(rf"(?:Invalid|Unknown) model:?\s+{_NAME}(?=[.,;]?(?:['\"`}}\s]|$))", _I),
        "mistralai/client-python",
    ),
    Row(
        "OpenRouter",
        re.compile(rf"{_NAME} is not a valid model ID", _I),
        "OpenRouterTeam/openrouter-runner",
    ),
)
"""Wordings that name a model nobody serves (group ``model``)."""


def read_model(search: str) -> str | None:
    """The model an unknown-model answer names, without the quotes and brackets around it, or None."""
    for row in MODEL_WORDINGS:
        match = row.pattern.search(search)
        if match:
            name = match.group("model").strip("'\"`{}[](),;").rstrip(".")
            if name:
                return name
    return None

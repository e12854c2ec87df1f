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
    "ACCOUNT_WORDINGS",
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
_NUM = r"(?<!\d)\d+(?:[,_]\d{3})*(?:\.\d+)?(?:e-?\d+)?"
"""A number as written (``40,000``, ``0.0010747``, ``1e-05``); never tried from inside another number (a long run
of digits would otherwise be tried from each of its digits)."""


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
    needle: str = ""
    """Lower-case words the text must hold for the pattern to be tried (a pattern that does not start with
    fixed words would otherwise be tried at every position of a long body)."""

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The pattern's first match in ``text`` (``lowered``: ``text.lower()``, when the caller has it)."""
        if self.needle and self.needle not in (lowered if lowered is not None else text.lower()):
            return None
        return self.pattern.search(text)


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
    ``provider``, ``deployment``, or ``account`` (a provider account's prepaid balance)."""
    owner: str | None = None
    """The id the answer names for that scope."""


BUDGET_WORDINGS: tuple[Row, ...] = (
    Row(
        "LiteLLM (key, team, team member, organization, project, tag budgets)",
        re.compile(
            r"Budget has been exceeded!?(?:\s+(?P<scope>Key|Team|User|Organization|Project|Tag)=(?P<owner>\S+?)"
            r"(?:\s+in\s+Team=(?P<team>\S+?))?)?(?=[\s.,'\"]|$)",
            _I,
        ),
        "BerriAI/litellm litellm/proxy/auth/auth_checks.py and litellm/exceptions.py (1.99.4)",
    ),
    Row(
        "LiteLLM (user and end-user budgets)",
        re.compile(r"ExceededBudget:\s*(?P<scope>End User|User)=(?P<owner>\S+?) over budget", _I),
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
        "LiteLLM (a budget per model, for a user, key or team)",
        re.compile(
            r"LiteLLM (?P<scope>User|Team|Key|End User|Tag):? ?(?P<owner>[^,\s]+), exceeded budget for model=", _I
        ),
        "LiteLLM's docs as quoted in OWASP/OpenCRE#1102",
    ),
    Row(
        "LiteLLM (token budget, older versions)",
        re.compile(r"ExceededTokenBudget", _I),
        "LiteLLM before 1.30 (no corpus body yet)",
    ),
)
"""LiteLLM's budget wordings (groups: ``scope``, ``owner``, ``spent``, ``budget``; ``team`` for a team member).
The numbers, when a row has no group for them, are read from :data:`_SPENT_RE` and :data:`_BUDGET_RE` after it."""
ACCOUNT_WORDINGS: tuple[Row, ...] = (
    Row(
        "Anthropic (prepaid credits)",
        re.compile(r"credit balance is too low", _I),
        "corpus: anthropic-credit-balance-1 (anthropics/claude-code#66314), anthropic-credit-balance-2",
    ),
    Row(
        "DeepSeek, Moonshot, Zhipu, SiliconFlow (account balance)",
        re.compile(r"insufficient (?:account )?balance|余额不足|欠费", _I),
        "corpus: deepseek-insufficient-balance-1 (continuedev/continue#10121) and 4 more",
    ),
)
"""A provider account that has run out of money: a budget the provider's billing raises (a 429 with these words
is read as a quota rate limit, as the provider sends it)."""
_SPENT_RE = re.compile(rf"(?:Current cost|Spend|Current spend for token)\s*[:=]\s*\$?(?P<n>{_NUM})(?![\w.])", _I)
_BUDGET_RE = re.compile(rf"(?:Max budget|Budget|Max Budget for Token)\s*[:=]\s*\$?(?P<n>{_NUM})(?![\w])", _I)
_BUDGET_SPAN = 400
"""Characters after a budget wording searched for its numbers."""

_SCOPES = {"key": "key", "team": "team", "user": "user", "end user": "end_user", "organization": "organization"}


_BUDGET_TYPES = frozenset({"budget_exceeded", "budgetexceedederror"})
"""``type``/``code`` values LiteLLM gives a spent budget (whatever its wording: admins can set their own)."""


def read_budget(search: str, status: int | None = None, dicts: Sequence[Mapping[str, Any]] = ()) -> Budget | None:
    """The budget an answer says is spent, or None when it is not about a budget (``status`` 429: a provider
    account's empty balance is a quota, not a budget). LiteLLM's ``type: budget_exceeded`` says so in any words."""
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
        tail = search[match.start() : match.end() + _BUDGET_SPAN]
        spent = _number(groups.get("spent")) if groups.get("spent") else _first(_SPENT_RE, tail)
        budget = _number(groups.get("budget")) if groups.get("budget") else _first(_BUDGET_RE, tail)
        return Budget(spent=spent, budget=budget, scope=scope, owner=owner)
    if status != 429 and any(row.pattern.search(search) for row in ACCOUNT_WORDINGS):
        return Budget(scope="account")
    for d in dicts:
        if any(isinstance(d.get(k), str) and str(d[k]).lower() in _BUDGET_TYPES for k in ("type", "code")):
            return Budget()
    return None


def _first(pattern: re.Pattern[str], text: str) -> float | None:
    match = pattern.search(text)
    return _number(match.group("n")) if match else None


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
            rf"maximum context length is (?P<window>{_NUM}) tokens?[.,]?\s*However,? (?:you requested|your messages? "
            rf"resulted in|your prompt (?:contains|resulted in))(?: about)? (?P<requested>{_NUM}) tokens",
            _I,
        ),
        "corpus: deepseek-context-length-1 (FoundationAgents/OpenManus#79), vllm-context-repr-1 and 9 more",
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
        "corpus: anthropic-prompt-too-long-1 (earendil-works/pi#102) and 5 more",
    ),
    Row(
        "Anthropic (input and max_tokens)",
        re.compile(
            rf"input length and `?max_tokens`? exceed context limit:\s*(?P<input>{_NUM})\s*\+\s*(?P<output>{_NUM})"
            rf"\s*>\s*(?P<window>{_NUM})",
            _I,
        ),
        "Anthropic API (kept from the earlier table; no corpus body yet)",
    ),
    Row(
        "Google Gemini / Vertex",
        re.compile(
            rf"input token count \(?(?P<requested>{_NUM})?\)?\s*exceeds the maximum number of tokens allowed"
            rf"\s*\(?(?P<window>{_NUM})?",
            _I,
        ),
        "corpus: gemini-input-token-count-1 (google-gemini/gemini-cli#4231) and 4 more",
    ),
    Row(
        "Hugging Face TGI (inputs + max_new_tokens)",
        re.compile(
            rf"`inputs` tokens \+ `max_new_tokens`\s+must be <= (?P<window>{_NUM})\.\s*Given:\s*(?P<input>{_NUM}) "
            rf"`?inputs`? tokens and (?P<output>{_NUM}) `?max_new_tokens",
            _I,
        ),
        "corpus: huggingface-tgi-inputs-plus-new-1 (huggingface/chat-ui#340), -2; backticks lost in the numbers: "
        "tgi-inputs-broken-backticks-probe-2 (huggingface/chat-ui#327)",
    ),
    Row(
        "Hugging Face TGI (inputs alone)",
        re.compile(rf"`inputs` must have less than (?P<window>{_NUM}) tokens\.\s*Given:\s*(?P<requested>{_NUM})", _I),
        "corpus: huggingface-tgi-inputs-less-than-3 (huggingface/text-generation-inference#937)",
    ),
    Row(
        "llama-cpp-python",
        re.compile(rf"Requested tokens \((?P<requested>{_NUM})\) exceed context window of (?P<window>{_NUM})", _I),
        "corpus: llama-cpp-python-requested-exceed-4 (fedora-copr/logdetective-website#193)",
    ),
    Row(
        "llama-box / llama.cpp (prefill)",
        re.compile(rf"prefill (?P<requested>{_NUM}) tokens exceed n_ctx", _I),
        "corpus: llama-box-prefill-exceeds-3 (gpustack/gpustack#1845)",
    ),
    Row(
        "xAI (Grok)",
        re.compile(
            rf"maximum prompt length is (?P<window>{_NUM}) but the request contains (?P<requested>{_NUM}) tokens", _I
        ),
        "cline/cline#3120",
    ),
    Row(
        "Cohere",
        re.compile(
            rf"total number of tokens (?:\(prompt and prediction\) |in the prompt )?cannot exceed (?P<window>{_NUM})"
            rf"\s*-\s*received (?P<requested>{_NUM})",
            _I,
        ),
        "cohere-ai/sandbox-topically#4",
    ),
    Row(
        "Azure AI / others (configured limit)",
        re.compile(
            rf"(?:Requested|request(?:ed)? (?:contains|has)) (?P<requested>{_NUM}) tokens?,? (?:which )?exceeds? "
            rf"(?:the )?(?:configured |maximum )?limit (?:of )?(?P<window>{_NUM})",
            _I,
        ),
        'issue 18 §4 (Azure\'s "configured limit"; no corpus body yet)',
    ),
    Row(
        "LM Studio",
        re.compile(
            rf"keep the first (?P<requested>{_NUM}) tokens when context (?:the )?overflows\.?\s*However, the model is "
            rf"loaded with (?:a )?context length of only (?P<window>{_NUM}) tokens",
            _I,
        ),
        "corpus: lmstudio-keep-first-tokens-1 (lmstudio-ai/lmstudio-bug-tracker#546), -2",
    ),
    Row(
        "Alibaba DashScope (Qwen)",
        re.compile(rf"Range of input length should be \[\d+, ?(?P<window>{_NUM})\]", _I),
        "corpus: dashscope-input-range-2 (QwenLM/qwen-code#98) and 2 more",
    ),
    Row(
        "GitHub Models (Azure AI)",
        re.compile(rf"Request body too large for \S+ model\. Max size: (?P<window>{_NUM}) tokens", _I),
        "corpus: github-models-request-too-large-2 (Aider-AI/aider#2296), github-models-tokens-limit-reached-1",
    ),
    Row(
        "OpenAI / LiteLLM (the window alone)",
        re.compile(rf"maximum context length is (?P<window>{_NUM}) tokens", _I),
        "corpus: deepseek-context-length-litellm-1 (BerriAI/litellm#10431) and 10 more",
    ),
    Row(
        "Generic (N tokens > M / exceeds the context window of M)",
        re.compile(
            rf"(?P<requested>{_NUM}) tokens? (?:>|exceeds?) (?:the )?(?:context window|context length|maximum)"
            rf"(?: of| size)? (?P<window>{_NUM})",
            _I,
        ),
        "generic (no corpus body yet)",
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
    "range of input length should be",
    "request body too large for",
    "tokens_limit_reached",
    "tokens when context",
    "greater than the context length",
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
    ("limited access to this content for safety reasons", "OpenAI (invalid_prompt): microsoft/PyRIT#1463"),
    ("content_policy_violation", "OpenAI"),
    ("output blocked by content filtering policy", "Anthropic"),
    ("content management policy", "Azure OpenAI (content_filter)"),
    ("responsibleaipolicyviolation", "Azure OpenAI (innererror code)"),
    ("violated guardrail", "LiteLLM guardrails"),
    ("guardrail failed", "LiteLLM Bedrock guardrail (as a 500)"),
    ("guardrail intervened", "AWS Bedrock guardrails"),
    ("guardrail_intervened", "AWS Bedrock guardrails via LiteLLM"),
    ("blocked by guardrail", "LiteLLM guardrails"),
    ("violated content safety policy", "LiteLLM Bedrock guardrail"),
    ("violated openai moderation policy", "LiteLLM OpenAI moderation guardrail"),
    ("prohibited_content", "Google Gemini (blockReason)"),
    ("blockreason", "Google Gemini (promptFeedback)"),
    ("blocked for reason: safety", "Google Gemini (finishReason SAFETY) as NextChat words it: NextChat#3714"),
    ("blocked due to safety", "Google Gemini JS SDK: 'Response was blocked due to SAFETY' (generative-ai-js tests)"),
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
        flagged = d.get("categories")  # OpenAI moderation, Lakera: {"violence": true, ...}
        if isinstance(flagged, Mapping):
            categories += [str(name) for name, hit in flagged.items() if hit is True]
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
    ("not authenticated", "DeepInfra (400)"),
    ("missing api key", "LiteLLM (no upstream key set)"),
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
            "OpenAI (a chat model on the legacy Completions endpoint)",
            re.compile(r"Did you mean to use v1/chat/completions", _I),
            "corpus: openai-chat-model-on-completions-1 (tmc/langchaingo#201)",
        ),
        "chat",
    ),
    (
        Row(
            "Fireworks (a base model without a chat template)",
            re.compile(
                r"please use /?(?:v1/)?completions API instead|only supported (?:in|on) v1/completions|"
                r"Did you mean to use v1/completions",
                _I,
            ),
            "corpus: fireworks-use-completions-litellm-1 (BerriAI/litellm#3465), openai-not-chat-model-1",
        ),
        "completions",
    ),
    (
        Row(
            "OpenAI (Responses-only models on Chat Completions)",
            re.compile(
                r"only supported in v1/responses|not accessible via the /?(?:v1/)?chat/completions endpoint|"
                r"Please use (?:the )?/?(?:v1/)?responses|not supported (?:in|on|with) (?:the )?"
                r"/?(?:v1/)?chat/completions|use the Responses API",
                _I,
            ),
            "corpus: openai-responses-only-1 (n8n-io/n8n#18352); router-for-me/CLIProxyAPIPlus#473; issue 18 §7",
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
            "the Responses wording, mirrored (no corpus body yet)",
        ),
        "chat",
    ),
)
"""Wordings that point to another endpoint, with the endpoint they point to (``completions``: the legacy one,
which this console does not speak)."""


def read_wrong_endpoint(search: str) -> str | None:
    """``responses`` or ``chat`` when the answer says to use that endpoint instead, else None."""
    for row, use in ENDPOINT_WORDINGS:
        if row.pattern.search(search):
            return use
    return None


# --------------------------------------------------------------------------------------------------
# Unknown models

_NAME = r"(?:\\?[`'\"](?P<quoted>[^`'\"\n\\]{1,200})\\?[`'\"]|(?P<model>[^\s`'\"]{1,200}?))"
"""A model name: quoted (kept as written, spaces included) or bare (up to a space or a quote)."""
_END = r"(?=[.,;:]?(?:['\"`}\s]|$))"
MODEL_WORDINGS: tuple[Row, ...] = (
    Row(
        "LiteLLM (proxy)",
        re.compile(rf"Invalid model name passed in model={_NAME}{_END}", _I),
        "BerriAI/litellm litellm/proxy/route_llm_request.py",
    ),
    Row(
        "LiteLLM (router)",
        re.compile(rf"You passed in model={_NAME}{_END}", _I),
        "BerriAI/litellm litellm/router.py",
    ),
    Row(
        "OpenAI / Groq / vLLM / DeepSeek",
        re.compile(rf"The model:? {_NAME} does not exist", _I),
        "corpus: openai-model-not-found-1 (mshumer/gpt-llm-trainer#10) and 5 more",
    ),
    Row(
        "Ollama",
        re.compile(rf"model {_NAME} not found", _I),
        "corpus: ollama-not-found-pull-1 (ollama/ollama#718) and 3 more",
    ),
    Row(
        "Google Gemini",
        re.compile(r"models/(?P<model>[\w.:-]{1,200}) is not found", _I),
        "Gemini API 404 wording (no corpus body yet)",
    ),
    Row(
        "Anthropic",
        re.compile(r"\"message\"\s*:\s*\"model:\s*(?P<model>[\w.:@/-]{1,200})\"", _I),
        "Anthropic API not_found_error (no corpus body yet)",
    ),
    Row(
        "Perplexity / Mistral / others",
        re.compile(rf"(?:Invalid|Unknown) model:?\s+{_NAME}{_END}", _I),
        "corpus: perplexity-invalid-model-1 and 4 more (Perplexity)",
    ),
    Row(
        "OpenRouter",
        re.compile(rf"{_NAME} is not a valid model ID", _I),
        "OpenRouter (no corpus body yet)",
        needle="is not a valid model id",
    ),
    Row(
        "Databricks (serving endpoints)",
        re.compile(rf"Endpoint with name {_NAME} does not exist", _I),
        "corpus: databricks-endpoint-does-not-exist-6 (databricks-demos/dbdemos#220)",
    ),
    Row(
        "Together (dedicated-only models)",
        re.compile(rf"Unable to access (?:non-serverless )?model {_NAME}{_END}", _I),
        "corpus: together-non-serverless-1 (HeyPuter/puter#3168)",
    ),
)
"""Wordings that name a model nobody serves (group ``model``)."""


def read_model(search: str, fallback: str = "") -> str | None:
    """The model an unknown-model answer names, without the quotes and brackets around it, or None
    (``fallback``: more text to read when ``search`` names none, e.g. a body whose JSON does not parse)."""
    lowered, fallback_lowered = search.lower(), fallback.lower()
    for row in MODEL_WORDINGS:
        match = row.search(search, lowered) or (row.search(fallback, fallback_lowered) if fallback else None)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("quoted"):
            return str(groups["quoted"])
        name = (groups.get("model") or "").strip("'\"`{}[](),;").rstrip(".")
        if name:
            return name
    return None

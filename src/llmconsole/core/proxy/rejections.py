"""Which request fields an error answer says are not accepted: structured fields first, then every provider's words.

:func:`rejected_paths` returns the paths an error body names as rejected (``reasoning.summary``,
``prompt_cache_key``, ``messages.0.user.name`` ...), in the order they appear; :func:`request_field`
maps one onto the field of our Responses request body it stands for (``max_tokens`` ->
``max_output_tokens``, ``reasoning_effort`` -> ``reasoning``, ``reasoning.summary`` ->
``reasoning_summary``), or None when it is not an optional top-level field of ours.

Structured shapes are read first, wherever they sit (top level, or wrapped inside LiteLLM's own message as
escaped JSON or a Python-repr dict): OpenAI's ``{"param", "code": "unsupported_parameter" |
"unsupported_value" | "unknown_parameter"}`` and pydantic's ``{"type": "extra_forbidden", "loc": [...]}``
(FastAPI ``detail`` lists: Mistral, vLLM, LiteLLM). Then :data:`WORDINGS`, one row per provider wording.

Everything here is pure and never raises on bad input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmconsole.core.proxy.errorbody import analyse, own_words, search_text

__all__ = ["WORDINGS", "Wording", "is_not_about_a_field", "rejected_paths", "request_field"]

_FIELD_CODES = frozenset({"unsupported_parameter", "unsupported_value", "unknown_parameter"})
"""OpenAI ``error.code`` values that name a rejected field in ``error.param``."""
_NOT_FIELD_WORDS = (
    "context_length_exceeded",
    "content_policy_violation",
    "content_filter",
    "invalid_prompt",
    "model_not_found",
    "invalid_api_key",
    "insufficient_quota",
    "rate_limit_exceeded",
    "content management policy",
    "content_policy",
    "responsibleaipolicyviolation",
    "safety system",
    "context length",
    "context window",
    "prompt is too long",
)
"""Codes and words that say a 400 is about something else than a field (never retried)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """One provider's words for "this field is not accepted"."""

    provider: str
    """Who says it."""
    pattern: re.Pattern[str]
    """Named groups: ``names`` (one name, or a list of them) and optionally ``at`` (where they sit)."""
    source: str
    """Where the wording was read (a public source)."""
    example: str
    """A real message of this shape (tested)."""
    expected: tuple[str, ...]
    """What :func:`rejected_paths` finds in ``example``."""


_N = r"[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*"
"""A (possibly dotted) field name."""

WORDINGS: tuple[Wording, ...] = (
    Wording(
        "OpenAI / Azure OpenAI (current API versions)",
        re.compile(rf"Unsupported parameter:\s*['\"`](?P<names>{_N})['\"`]"),
        "openai/openai-python#2194; Azure: langgenius/dify#9746 (code unsupported_parameter)",
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        ("max_tokens",),
    ),
    Wording(
        "OpenAI (unsupported value, e.g. an unverified organisation and reasoning summaries)",
        re.compile(rf"Unsupported value:\s*['\"`](?P<names>{_N})['\"`] does not support"),
        "OpenAI API answers quoted in continuedev/continue#9602 (code unsupported_value)",
        "Unsupported value: 'temperature' does not support 0.2 with this model. "
        "Only the default (1) value is supported.",
        ("temperature",),
    ),
    Wording(
        "OpenAI (reasoning summaries need a verified organisation; the text alone, when the code was lost)",
        re.compile(r"(?P<names>)organization must be verified to generate reasoning summaries"),
        "continuedev/continue#9602, #9697 (param reasoning.summary, code unsupported_value)",
        "Your organization must be verified to generate reasoning summaries. Please go to: "
        "https://platform.openai.com/settings/organization/general and click on Verify Organization.",
        ("reasoning.summary",),
    ),
    Wording(
        "OpenAI (unknown parameter)",
        re.compile(rf"Unknown parameter:\s*['\"`](?P<names>{_N})['\"`]"),
        "BerriAI/litellm litellm/llms/openai/responses/transformation.py (quotes OpenAI's 400)",
        "Unknown parameter: 'prompt_cache_key'.",
        ("prompt_cache_key",),
    ),
    Wording(
        "OpenAI (legacy) / Azure OpenAI (older API versions)",
        re.compile(rf"Unrecognized request arguments? supplied:?\s*(?P<names>{_N}(?:\s*,\s*{_N})*)"),
        "quarkiverse/quarkus-langchain4j#285 (plural list), CherryHQ/cherry-studio#6160, guidance-ai/guidance#89",
        "Unrecognized request arguments supplied: frequencyPenalty, presencePenalty, topP",
        ("frequencyPenalty", "presencePenalty", "topP"),
    ),
    Wording(
        "Anthropic / Bedrock-Anthropic / Mistral / Databricks (pydantic text)",
        re.compile(rf"(?<![\w.\\])(?P<names>{_N})['\"`]?\s*:?\s+Extra inputs are not permitted"),
        "Aider-AI/aider#4404 (AnthropicException 'extra_body: Extra inputs are not permitted'), "
        "anthropics/claude-code#4378, Mistral: mistralai/client-ts#65",
        '{"type":"error","error":{"type":"invalid_request_error",'
        '"message":"context_management: Extra inputs are not permitted"}}',
        ("context_management",),
    ),
    Wording(
        "Google AI Studio / Vertex AI (Gemini)",
        re.compile(r"Unknown name \\*[\"'](?P<names>[\w$-]+)\\*[\"'](?:\s+at\s+\\*['\"](?P<at>[\w.\[\]$-]+)\\*['\"])?"),
        "zed-industries/zed#62539, lbjlaq/Antigravity-Manager#611, Alishahryar1/free-claude-code#542",
        "Invalid JSON payload received. Unknown name \"effortLevel\" at 'request.generation_config': "
        "Cannot find field.",
        ("effortLevel",),
    ),
    Wording(
        "AWS Bedrock (InvokeModel / Converse)",
        re.compile(r"(?:#(?P<at>[\w/$-]*)\s*:\s*)?extraneous key \[(?P<names>[^\]\s]+)\] is not permitted"),
        "BerriAI/litellm#9106, #30314; fumito-ito/AnthropicSwiftSDK#19; crmne/ruby_llm#586",
        'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}'
        "#: extraneous key [stream] is not permitted#: extraneous key [top_k] is not permitted, "
        "please reformat your input and try again.",
        ("stream", "top_k"),
    ),
    Wording(
        "LiteLLM UnsupportedParamsError (chat and Responses paths)",
        re.compile(
            r"does not support parameters?(?!\w):?\s*"
            r"(?P<names>\{.{0,600}?\}(?=,?\s*for model)|\[[^\]]{0,400}\]|\{[^}]{0,400}\}|['\"`]?[\w.]+)"
        ),
        "BerriAI/litellm litellm/utils.py and litellm/responses/utils.py (1.99.4)",
        "litellm.UnsupportedParamsError: databricks does not support parameters: ['prompt_cache_key', 'store'], "
        "for model=databricks-claude. To drop these, set `litellm.drop_params=True` or for proxy:",
        ("prompt_cache_key", "store"),
    ),
    Wording(
        "LiteLLM per-provider checks (GradientAI, OCI)",
        re.compile(rf"(?:does not support parameter|param)\s+['\"`](?P<names>{_N})['\"`]\s*(?:\.|is not supported)"),
        "BerriAI/litellm litellm/llms/gradient_ai/chat/transformation.py, litellm/llms/oci/chat/transformation.py",
        "param `top_k` is not supported on OCI",
        ("top_k",),
    ),
    Wording(
        "Ollama (a model without tool support) and others: does not support X / the parameter X / the X parameter",
        re.compile(
            r"(?:does not|doesn't|do not) support (?:the )?(?:parameter )?[`'\"]?"
            r"(?!(?:the|this|that|a|an|it|model|parameters?|streaming|requests?|images?|vision)\b)"
            r"(?P<names>[a-z_][\w.]*)[`'\"]?(?: (?:parameter|field|argument)s?\b)?(?=[\s.,;:=}\]]|$)"
        ),
        "corpus: ollama-no-tools-openai-5 (ollama/ollama#6027), ollama-no-tools-native-6 (ollama/ollama#14795); "
        "issue 18 §6",
        "registry.ollama.ai/library/gemma3:4b does not support tools",
        ("tools",),
    ),
    Wording(
        "Python servers passing unknown fields on (vLLM, TGI, custom): even inside a 500",
        re.compile(r"unexpected keyword argument ['\"`](?P<names>[\w.]+)['\"`]"),
        "issue 18 §6 (no corpus body yet)",
        "TypeError: create() got an unexpected keyword argument 'prompt_cache_key'",
        ("prompt_cache_key",),
    ),
    Wording(
        "Go servers (Databricks, Ollama): json: unknown field",
        re.compile(r"json: unknown field \\?[\"'`](?P<names>[\w.]+)\\?[\"'`]"),
        "corpus: databricks-json-unknown-field-2 (databricks/databricks-sdk-py#1263); issue 18 §6",
        'Bad request: json: unknown field "inputs"',
        ("inputs",),
    ),
    Wording(
        "pydantic, field named after the words",
        re.compile(r"Extra inputs are not permitted,? (?:field|param(?:eter)?):? ['\"`]?(?P<names>[\w.]+)['\"`]?"),
        "issue 18 §6 (no corpus body yet)",
        "Extra inputs are not permitted, field: 'reasoning_effort'",
        ("reasoning_effort",),
    ),
    Wording(
        "pydantic errors pasted as text (Mistral, vLLM): 'type': 'extra_forbidden', 'loc': ('body', 'x')",
        re.compile(
            r"['\"]type['\"]:\s*['\"]extra_forbidden['\"],\s*['\"]loc['\"]:\s*[\(\[]\s*['\"]body['\"],\s*"
            r"['\"](?P<names>[\w.$-]+)['\"]\s*[\)\]]"
        ),
        "corpus: mistral-extra-forbidden-safe-prompt-1 (mistralai/client-ts#65), "
        "mistral-extra-forbidden-n-1 (crewAIInc/crewAI#60)",
        "'type': 'extra_forbidden', 'loc': ('body', 'safe_prompt'), 'msg': 'Extra inputs are not permitted'",
        ("safe_prompt",),
    ),
    Wording(
        "Providers refusing a field under a mode (reasoning): doesn't support x=… while …",
        re.compile(r"(?:doesn't|does not) support (?P<names>[a-z_][\w.]*)=\S+ (?:while|when|with)"),
        "issue 18 §6 (no corpus body yet)",
        "This model doesn't support temperature=0.5 while reasoning is active",
        ("temperature",),
    ),
    Wording(
        "JSON-schema style (Vertex, others): property 'x' is unsupported",
        re.compile(r"property ['\"`](?P<names>[\w.]+)['\"`] is (?:unsupported|not supported|not allowed)"),
        "issue 18 §6 (no corpus body yet)",
        "Invalid JSON payload: property 'frequencyPenalty' is unsupported",
        ("frequencyPenalty",),
    ),
    Wording(
        "LiteLLM chat bridge (Anthropic/Databricks): reasoning.summary has no mapping",
        re.compile(r"Unmapped reasoning effort:\s*\{[^}]{0,300}?['\"](?P<names>summary)['\"]"),
        "BerriAI/litellm litellm/llms/anthropic/chat/transformation.py (1.99.4)",
        "litellm.BadRequestError: Unmapped reasoning effort: {'effort': 'low', 'summary': 'auto'}. Must be one of: ...",
        ("reasoning.summary",),
    ),
)
"""Every provider wording we know, one row each (each row's example is a unit test)."""

_IMPLIED = {
    "organization must be verified to generate reasoning summaries": "reasoning.summary",
    "Unmapped reasoning effort": "reasoning.summary",
}
"""Rows whose field is implied by the wording rather than named in it."""

_ESCAPED_WHITESPACE_RE = re.compile(r"\\+[nrt]")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")
_INDEX_RE = re.compile(r"\[(\d+)\]")
_QUOTED_RE = re.compile(r"['\"]([\w.$-]+)['\"]")
_DICT_KEY_RE = re.compile(r"['\"]([\w.$-]+)['\"]\s*:")
_SKIP_NAMES = frozenset({"msg", "message", "detail", "error", "type", "loc", "body", "ctx", "url", "none", "null"})

_REQUIRED = frozenset({"model", "input", "messages", "contents", "prompt", "stream"})
"""Fields without which there is no request: a complaint about them is never a droppable field."""
_GOOGLE_CONFIG = frozenset({"generation_config", "generationConfig", "request.generation_config"})
"""Where Gemini names the sampling and thinking settings LiteLLM built from our top-level fields."""
_ALIASES = {
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_new_tokens": "max_output_tokens",
    "max_tokens_to_sample": "max_output_tokens",
    "reasoning_effort": "reasoning",
    "reasoning.effort": "reasoning",
    "thinking": "reasoning",
    "thinking_config": "reasoning",
    "thinking_budget": "reasoning",
    "effort_level": "reasoning",
    "reasoning_summary": "reasoning_summary",
    "reasoning.summary": "reasoning_summary",
    "reasoning.generate_summary": "reasoning_summary",
    "system": "instructions",
    "system_instruction": "instructions",
    "top_p": "top_p",
}
"""Names other APIs (Chat Completions, Anthropic, Gemini) give to the fields of our Responses request."""


def _dicts(text: str) -> list[dict[str, Any]]:
    body = analyse(text)
    return body.top_dicts + body.embedded_dicts


def _loc_path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts)


def _structured(dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for d in dicts:
        code = d.get("code")
        param = d.get("param")
        if isinstance(code, str) and code.lower() in _FIELD_CODES and isinstance(param, str) and param.strip():
            found.append(param.strip())
        kind = d.get("type")
        msg = d.get("msg")
        loc = d.get("loc")
        extra = kind == "extra_forbidden" or (isinstance(msg, str) and "Extra inputs are not permitted" in msg)
        if extra and isinstance(loc, list | tuple) and loc:
            found.append(_loc_path(loc))
    return found


def _names(raw: str) -> list[str]:
    """The names in a ``names`` group: one name, ``a, b``, ``['a', 'b']`` or ``{'a': 1, 'b': 2}``."""
    raw = raw.strip()
    if raw[:1] in "[{":
        try:
            value = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, dict | list | tuple | set):
            return [str(v) for v in value if isinstance(v, str)]
        quoted = _DICT_KEY_RE if raw[0] == "{" else _QUOTED_RE
        return [n for n in quoted.findall(raw) if n.lower() not in _SKIP_NAMES]
    return [part.strip().strip("'\"`") for part in raw.split(",") if part.strip().strip("'\"`")]


def _at_path(at: str | None, name: str) -> str:
    if not at:
        return name
    at = at.strip("/").replace("/", ".")
    if not at or at in _GOOGLE_CONFIG:
        return name
    return f"{at}.{name}"


def _worded(text: str) -> list[str]:
    found: list[str] = []
    for row in WORDINGS:
        for match in row.pattern.finditer(text):
            implied = next((path for words, path in _IMPLIED.items() if words in match.group(0)), None)
            if implied:
                found.append(implied)
                continue
            at = match.groupdict().get("at")
            found.extend(_at_path(at, name) for name in _names(match.group("names")))
    return found


def rejected_paths(text: str | None) -> list[str]:
    """The request fields an error body (or message) names as not accepted, as dotted paths, in order."""
    if not isinstance(text, str) or not text:
        return []
    found = _structured(_dicts(text))
    found += _worded(_ESCAPED_WHITESPACE_RE.sub(" ", search_text(text)))
    seen: dict[str, None] = {}
    for path in found:
        path = _INDEX_RE.sub(r".\1", path.strip().strip("'\"`")).removeprefix("body.").removeprefix("#/")
        if path and path.lower() not in _SKIP_NAMES and len(path) <= 200:
            seen.setdefault(path, None)
    return list(seen)


def _snake(name: str) -> str:
    return _CAMEL_RE.sub(r"_\1", name).lower()


def request_field(path: str) -> str | None:
    """The optional field of our Responses request that ``path`` stands for, or None.

    ``max_tokens``/``max_completion_tokens`` -> ``max_output_tokens``; ``reasoning_effort``,
    ``reasoning.effort``, ``thinking`` -> ``reasoning``; ``reasoning.summary`` -> ``reasoning_summary``;
    camelCase names are read as snake_case. Required fields (``model``, ``input``, ``messages`` ...) and
    anything nested inside the conversation (``messages.0.content``) give None.
    """
    if not isinstance(path, str):
        return None
    parts = [_snake(p) for p in path.split(".") if p]
    if not parts:
        return None
    dotted = ".".join(parts)
    if dotted in _ALIASES:
        return _ALIASES[dotted]
    if len(parts) == 1:
        name = parts[0]
        if name in _REQUIRED or not (name.isidentifier() and name.isascii()):
            return None
        return _ALIASES.get(name, name)
    if parts[0] == "reasoning" and len(parts) == 2:
        return "reasoning"
    return None


def is_not_about_a_field(text: str) -> bool:
    """Whether an error body says it is about something else (context, content policy, model, quota).

    Only the error's own words count (:func:`llmconsole.core.proxy.errorbody.own_words`), never echoed
    request content: pydantic's ``input`` (the rejected value, e.g. a system prompt) and anything nested
    inside a message (read as its own dict) are left out.
    """
    lowered = own_words(analyse(text)).lower()
    return any(words in lowered for words in _NOT_FIELD_WORDS)

"""What a rate limit counts, per what, and its numbers, as providers word them (prose, quota names, headers).

:data:`LIMIT_WORDINGS` holds one row per provider wording, each with its source and a real example (each row's
example is a unit test); :func:`read_prose` applies them. :func:`kind_and_period` turns any limit name
(``input_tokens_per_minute``, ``ITPM``, ``tokens per min (TPM)``, Google's
``GenerateRequestsPerDayPerProjectPerModel-FreeTier``) into what is counted and per what;
:func:`read_google_details` reads ``google.rpc.RetryInfo`` and ``QuotaFailure``; :func:`read_limit_headers`
reads ``anthropic-ratelimit-*`` and ``x-ratelimit-*`` on a refused request.

Only what the words state is read: nothing here fills in a number or a period that is not written.
Everything is pure and never raises on bad input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LIMIT_WORDINGS",
    "LimitWording",
    "kind_and_period",
    "read_google_details",
    "read_limit_headers",
    "read_prose",
]

_I = re.IGNORECASE
_NUM = r"(?<!\d)\d+(?:[,_]\d{3})*(?:\.\d+)?"
"""A number as providers write it (``40,000``, ``10000.000000``)."""


def _number(raw: str | None) -> int | float | None:
    if raw is None:
        return None
    text = raw.replace(",", "").replace("_", "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value >= 2**62:
        return None
    return int(value) if value.is_integer() else value


# --------------------------------------------------------------------------------------------------
# What is counted, per what

_KIND_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"concurren|parallel|simultaneous|in[ _-]?flight|connections", _I), "concurrency"),
    (re.compile(r"input[ _-]?tokens?|input[ _-]?token[ _-]?count|prompt[ _-]?tokens?|\bITPM\b", _I), "input_tokens"),
    (re.compile(r"output[ _-]?tokens?|completion[ _-]?tokens?|\bOTPM\b", _I), "output_tokens"),
    (re.compile(r"tokens?|(?<![A-Za-z])TP[MDHS](?![A-Za-z])", _I), "tokens"),
    (re.compile(r"requests?|quer(?:y|ies)|calls?|(?<![A-Za-z])[RQ]P[MDHS](?![A-Za-z])", _I), "requests"),
    (re.compile(r"quota|credits?|balance|neurons|allocation", _I), "quota"),
)
"""The first rule that matches a limit's name says what it counts (input tokens before tokens)."""
_ABBR = r"(?<![A-Za-z])[A-Z]{1,3}P%s(?![A-Za-z])"
"""An abbreviation per period: RPM, TPD, ITPM, QPS (not inside a word)."""
_PERIOD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"per[ _-]?min(?:ute)?|/\s*min\b|\bminute|PerMinute|_minute|" + _ABBR % "M", _I), "minute"),
    (re.compile(r"per[ _-]?day|/\s*day\b|\bdaily\b|\bday\b|PerDay|_day|" + _ABBR % "D", _I), "day"),
    (re.compile(r"per[ _-]?hour|/\s*h(?:ou)?r\b|\bhourly\b|PerHour|_hour|" + _ABBR % "H", _I), "hour"),
    (re.compile(r"per[ _-]?sec(?:ond)?|/\s*s(?:ec)?\b|PerSecond|_second|" + _ABBR % "S", _I), "second"),
    (re.compile(r"per[ _-]?month|/\s*month\b|monthly|PerMonth|_month", _I), "month"),
    (re.compile(r"per 60 ?s\b", _I), "minute"),
)


def kind_and_period(name: str | None) -> tuple[str | None, str | None]:
    """What a limit's name counts and per what: ``("input_tokens", "minute")`` for ``input_tokens_per_minute``,
    ``ITPM`` or ``GenerateContentInputTokensPerModelPerMinute-FreeTier``; None where the name does not say."""
    if not isinstance(name, str) or not name.strip():
        return None, None
    text = name[:300]
    # CamelCase quota ids (Google): split the words so "InputTokensPerModelPerMinute" reads like the rest.
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    kind = next((k for pattern, k in _KIND_RULES if pattern.search(spaced) or pattern.search(text)), None)
    period = next((p for pattern, p in _PERIOD_RULES if pattern.search(text) or pattern.search(spaced)), None)
    return kind, period


# --------------------------------------------------------------------------------------------------
# Prose


@dataclass(frozen=True, slots=True)
class LimitWording:
    """One provider's words for a rate limit."""

    provider: str
    """Who says it."""
    pattern: re.Pattern[str]
    """Named groups, each optional: ``what`` (the limit's name: read by :func:`kind_and_period`), ``limit``,
    ``used``, ``requested``, ``model``."""
    source: str
    """Where the wording was read (a public source)."""
    example: str
    """A real message of this shape (tested)."""
    kind: str | None = None
    """What is counted when the words imply it rather than name it."""
    period: str | None = None
    """Per what, when the words imply it."""
    signal: bool = True
    """Whether these words alone make an answer a rate limit (else they only add to one)."""
    needle: str = ""
    """Lower-case words the text must hold for the pattern to be tried (see ``errorwords.Row.needle``)."""


LIMIT_WORDINGS: tuple[LimitWording, ...] = (
    LimitWording(
        "OpenAI / Groq / Azure (current and older wordings)",
        re.compile(
            r"Rate limit reached for (?:(?:requests|tokens) )?(?:for )?(?:model )?"
            r"[`'\"]?(?P<model>[\w.:/-]+)?[`'\"]? ?(?:\([^()\n]{0,80}\) )?(?:in (?:organization|project) \S+ )?"
            r"(?:service tier \S+ )?"
            r"on (?P<what>[\w ]{1,60}?(?: \([A-Z]{2,5}\))?)[.:]? "
            rf"Limit:? (?P<limit>{_NUM})(?: ?/ ?\w+)?"
            rf"(?:[.,] (?:Used|Current):? (?P<used>{_NUM})(?: ?/ ?\w+)?)?(?:, Requested:? ~?(?P<requested>{_NUM}))?",
            _I,
        ),
        "corpus: groq-tpd-1 (continuedev/continue#10920), openai-tpm-old-ms-1 and 12 more",
        "Rate limit reached for gpt-4 in organization org-abc on tokens per min (TPM): Limit 10000, Used 9000, "
        "Requested 2000. Please try again in 6ms.",
    ),
    LimitWording(
        "OpenAI (oldest wording, no organization)",
        re.compile(
            rf"Rate limit reached for (?P<what>requests|tokens)\.? Limit:? (?P<limit>{_NUM}) ?(?P<period_words>/ ?\w+)?"
            rf"(?:[.,] (?:Used|Current):? (?P<used>{_NUM}))?",
            _I,
        ),
        "corpus: openai-tpm-old-current-1 (stanford-crfm/helm#97)",
        "Rate limit reached for tokens. Limit: 150000.000000 / min. Current: 176000.000000 / min.",
    ),
    LimitWording(
        "OpenAI / Groq (a request larger than the per-minute limit itself)",
        re.compile(
            r"Request too large for (?:model )?[`'\"]?(?P<model>[\w.:/-]+)[`'\"]?(?: \([^()\n]{0,80}\))?"
            r"(?: in (?:organization|project) \S+)? (?:service tier \S+ )?"
            r"on (?P<what>[\w ]{1,60}?(?: \([A-Z]{2,5}\))?)[.:]? "
            rf"Limit:? (?P<limit>{_NUM})(?:, Used:? (?P<used>{_NUM}))?, Requested:? ~?(?P<requested>{_NUM})",
            _I,
        ),
        "corpus: groq-request-too-large-1 (elizaOS/eliza#4040) and 4 more; heldout probe: without the organization "
        "(vanna-ai/vanna-flask#11), with '(for limit gpt-4.1)' (continuedev/continue#11717)",
        "Request too large for gpt-4-turbo-preview in organization org-abc on tokens per min (TPM): Limit 30000, "
        "Requested 36321. The input or output tokens must be reduced in order to run successfully.",
    ),
    LimitWording(
        "OpenAI (2023 wording: rate limit exceeded for a kind, Limit: N/1min. Current: M/1min)",
        re.compile(
            r"Rate limit exceeded for (?P<what>[\w ]{1,40}?) in (?:organization|project) \S{1,100}? ?[.,]? "
            rf"Limit:? (?P<limit>{_NUM})(?: ?/ ?\w+)?(?:[.,] Current:? (?P<used>{_NUM}))?",
            _I,
        ),
        "heldout probe: openai-images-per-minute-probe-1 (songquanpeng/one-api#881)",
        "Rate limit exceeded for images per minute in organization org-abc. Limit: 0/1min. Current: 1/1min.",
    ),
    LimitWording(
        "Anthropic",
        re.compile(
            r"(?:exceed|exceeded) (?:the|your)(?: organization's)? rate limit (?:for your organization )?"
            rf"(?:\([^)]{{0,80}}\) )?of (?P<limit>{_NUM}) (?P<what>[\w ]{{1,40}}? per (?:minute|day|hour|second))",
            _I,
        ),
        "corpus: anthropic-itpm-1 (stagewise-io/stagewise#927) and 4 more",
        "This request would exceed the rate limit for your organization (abc) of 40,000 input tokens per minute.",
    ),
    LimitWording(
        "Anthropic (older wording)",
        re.compile(
            r"Number of (?P<what>request tokens|concurrent connections|requests) has exceeded your "
            r"(?P<period_words>per-minute |daily )?rate limit",
            _I,
        ),
        "Anthropic's older 429 wording (no corpus body yet)",
        "Number of request tokens has exceeded your per-minute rate limit",
    ),
    LimitWording(
        "Azure OpenAI",
        re.compile(r"exceeded (?P<what>token|call|request) rate limit", _I),
        "corpus: azure-token-rate-limit-1 (alex-wolf-ps/dbchatprov2#2) and 2 more",
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2023-07-01-preview have "
        "exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.",
    ),
    LimitWording(
        "Google Gemini / Vertex (quota metric, quoted)",
        re.compile(
            r"Quota exceeded for (?:quota )?metric:? '(?P<what>[^'\n]{3,160})'"
            r"(?: and limit '(?P<limit_name>[^'\n]{3,160})')?",
            _I,
        ),
        "corpus: gemini-rpm-region-body-1 (tech-shrimp/gemini-playground#10), gemini-rpm-region-grpc-1",
        "Quota exceeded for quota metric 'Generate Content API requests per minute' and limit 'GenerateContent "
        "request limit per minute for a region' of service 'generativelanguage.googleapis.com'",
    ),
    LimitWording(
        "Google Gemini / Vertex (quota metric name)",
        re.compile(
            rf"Quota exceeded for (?:quota )?metric:? (?P<what>[\w./-]{{3,160}})(?:, limit: (?P<limit>{_NUM}))?", _I
        ),
        "corpus: gemini-free-tier-retry-1 (wuchalejs/wuchale#218)",
        "Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, "
        "limit: 250000, model: gemini-2.0-flash",
    ),
    LimitWording(
        "Vertex AI (quota name)",
        re.compile(r"Quota exceeded for (?P<what>aiplatform\.googleapis\.com/[\w./-]+)", _I),
        "corpus: vertex-rpm-base-model-1 (GoogleCloudPlatform/Open_Data_QnA#61) and 2 more",
        "Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model "
        "with base model: gemini-1.5-pro.",
    ),
    LimitWording(
        "AWS Bedrock",
        re.compile(
            r"Too many (?P<what>tokens|requests|connections)(?P<period_words> per (?:day|minute))?,? please wait", _I
        ),
        "corpus: bedrock-tokens-per-day-1 (minorun365/agent-book#29), bedrock-too-many-tokens-1 and 5 more",
        "Too many tokens per day, please wait before trying again.",
    ),
    LimitWording(
        "Moonshot (Kimi)",
        re.compile(
            r"request reach\s?ed (?:max )?(?:organization |project )?(?:max )?"
            rf"(?P<what>RPM|TPM|TPD|RPD|concurrency)(?: rate limit)?(?::\s*(?P<limit>{_NUM}))?",
            _I,
        ),
        "corpus: moonshot-concurrency-2, moonshot-rpm-3 (LLM-Red-Team/kimi-cc#16) and 2 more",
        "Your account org-abc request reached organization TPD rate limit, current: 1526210, limit: 1500000",
    ),
    LimitWording(
        "xAI",
        re.compile(rf"(?P<what>[\w ]{{3,40}}) \(actual/limit\):\s*(?P<used>{_NUM})\s*/\s*(?P<limit>{_NUM})", _I),
        "corpus: xai-team-tpm-1 (cline/cline#4826)",
        "Your team's rate limit is — Tokens per Minute (actual/limit): 65605/16000.",
        needle="(actual/limit)",
    ),
    LimitWording(
        "GitHub Models (Azure AI)",
        re.compile(rf"Rate limit of (?P<limit>{_NUM}) per (?P<period_words>\w+) exceeded for (?P<what>\w+)", _I),
        "corpus: github-models-user-by-model-minute-tokens-3 (microsoft/foundry-dev-tools#222)",
        "Rate limit of 40000 per 60s exceeded for UserByModelByMinuteTokens. Please wait 60 seconds before retrying.",
    ),
    LimitWording(
        "Cloudflare Workers AI",
        re.compile(rf"used up your (?P<period_words>daily|monthly) free allocation of (?P<limit>{_NUM}) neurons", _I),
        "corpus: cloudflare-workers-ai-neurons-docs-1 (developers.cloudflare.com/workers-ai/platform/errors)",
        "You have used up your daily free allocation of 10,000 neurons.",
        kind="quota",
    ),
    LimitWording(
        "Hugging Face Inference Providers",
        re.compile(r"exceeded your (?P<period_words>monthly|daily) included credits", _I),
        "corpus: huggingface-monthly-credits-6 (huggingface/agents-course#386)",
        "You have exceeded your monthly included credits for Inference Providers.",
        kind="quota",
    ),
    LimitWording(
        "Concurrency (various)",
        re.compile(
            r"(?P<what>too many concurrent (?:requests|connections)|concurrency limit|"
            r"maximum (?:number of )?concurrent|max(?:imum)? parallel requests?)",
            _I,
        ),
        'issue 18 §2 ("too many concurrent requests"); bedrock-too-many-connections-1 reads through the Bedrock row',
        "Too many concurrent requests for this model",
        kind="concurrency",
    ),
    LimitWording(
        "Quota (OpenAI insufficient_quota, Moonshot, Zhipu and others)",
        re.compile(
            r"(?P<what>exceeded (?:your )?current quota|insufficient[_ ]quota|quota (?:has been )?exhausted|"
            r"insufficient (?:account )?balance|余额不足|欠费)",
            _I,
        ),
        "corpus: moonshot-exceeded-quota-403-7, moonshot-suspended-balance-9, zhipu-insufficient-balance-4 and more",
        "You exceeded your current quota, please check your plan and billing details.",
        kind="quota",
    ),
    LimitWording(
        "Limits stated as N per period (Cohere, Replicate, Together)",
        re.compile(
            rf"(?P<limit>{_NUM}) (?P<what>(?:API )?(?:calls|requests|tokens|queries)) ?(?:/|per) ?"
            r"(?P<period_words>minute|min|day|hour|second|sec|month)\b",
            _I,
        ),
        "corpus: cohere-trial-key-rpm-1 (swarmauri/swarmauri-sdk#634), replicate-throttled-low-credit-1, "
        "together-model-rate-limit-1",
        "You are using a Trial key, which is limited to 10 API calls / minute.",
        signal=False,
    ),
    LimitWording(
        "What is counted, named without numbers (Cerebras, Mistral, OpenRouter ...)",
        re.compile(
            r"(?P<what>(?:input |output )?(?:requests?|tokens?|quer(?:y|ies))(?: per (?:minute|min|day|hour|second))?)"
            r" (?:rate )?limit(?: exceeded|s? reached)",
            _I,
        ),
        "corpus: cerebras-rpm-body-1 (nminaya/grammar-nazi-bot#958), cerebras-tpm-message-2, mistral-rps-body-1",
        "Requests per minute limit exceeded - too many requests sent.",
        signal=False,
    ),
    LimitWording(
        "Azure API Management and others (rate limit is / has been exceeded)",
        re.compile(r"\brate limit (?:is|has been) exceeded\b", _I),
        "heldout probe: azure-rate-limit-try-again-probe-1 (Azure-Samples/azure-search-openai-demo#177)",
        "Rate limit is exceeded. Try again in 30 seconds.",
    ),
    LimitWording(
        "Being rate limited, said of the caller (Together and others)",
        re.compile(r"\b(?:you have been|you've been|you are being|you're being) rate[ -]?limited\b", _I),
        "heldout probe: together-queries-per-minute-credit-limit-probe-2 (togethercomputer/MoA#27)",
        "You have been rate limited. Your rate limit is 60 queries per minute.",
    ),
    LimitWording(
        "What is counted, within an unnamed time frame (Llama API)",
        re.compile(
            r"exceeded the maximum number of (?P<what>tokens|requests) allowed within a (?:given )?time "
            r"(?:frame|window|period)",
            _I,
        ),
        "heldout probe: meta-llama-tokens-time-frame-probe-3 (meta-llama/llama-models#354)",
        "You have exceeded the maximum number of tokens allowed within a given time frame. Wait a bit and try again.",
    ),
    LimitWording(
        "A named limit (OpenRouter: free-models-per-day)",
        re.compile(r"Rate limit exceeded: (?P<what>[\w-]{3,80})", _I),
        "corpus: openrouter-free-per-day-1 (Gitlawb/openclaude#1549), openrouter-free-per-day-2",
        "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
        signal=False,
    ),
    LimitWording(
        "A usage limit per period (Ollama cloud)",
        re.compile(r"(?P<period_words>hourly|daily|weekly|monthly) usage limit", _I),
        "corpus: ollama-cloud-hourly-limit-8 (continuedev/continue#9233)",
        "you've reached your hourly usage limit, please wait or upgrade to continue",
        signal=False,
    ),
    LimitWording(
        "What is counted, per period (anywhere in a rate-limit answer)",
        re.compile(r"(?P<what>\b(?:requests|tokens|queries) per (?:minute|day|hour|second))\b", _I),
        "corpus: openrouter-free-per-day-2 (n8n-io/n8n#19117)",
        "Add 10 credits to unlock 1000 free model requests per day",
        signal=False,
    ),
)
"""Every rate-limit wording we know, one row each (each row's example is a unit test)."""
_CURRENT_RE = re.compile(rf"\bcurrent:\s*(?P<n>{_NUM})", _I)
_LIMIT_RE = re.compile(rf"\blimit(?: value)?:\s*(?P<n>{_NUM})\b", _I)
_GRPC_LIMIT_RE = re.compile(rf"key: \"quota_limit_value\"\s*value: \"(?P<n>{_NUM})\"")
_SPACES_RE = re.compile(r"\s+")
_SPAN = 240
"""Characters after a wording searched for the numbers it did not hold (``current: N, limit: M``)."""


def read_prose(search: str) -> tuple[dict[str, Any], bool]:
    """Fields read from the wordings that match ``search``, and whether one of them says "rate limit" by itself.

    Fields: ``kind``, ``period``, ``limit``, ``current`` (what was used), ``requested``, ``model`` and
    ``limit_type`` (the limit's own name), each only if stated. The first row that matches gives its numbers;
    later rows only add what is counted and per what.
    """
    fields: dict[str, Any] = {}
    signal = False
    # A message wrapped where it was pasted reads as one line; a typographic apostrophe as a plain one.
    search = _SPACES_RE.sub(" ", search).replace("\u2019", "'")
    lowered = search.lower()
    for row in LIMIT_WORDINGS:
        if row.needle and row.needle not in lowered:
            continue
        match = row.pattern.search(search)
        if match is None:
            continue
        signal = signal or row.signal
        found = _row_fields(row, match, search)
        if not fields:
            fields = found
            continue
        for key in ("kind", "period"):
            if key in found:
                fields.setdefault(key, found[key])
    return fields, signal


def _row_fields(row: LimitWording, match: re.Match[str], search: str) -> dict[str, Any]:
    groups = match.groupdict()
    what = " ".join(g for g in (groups.get("what"), groups.get("period_words")) if g)
    kind, period = kind_and_period(what) if what else (None, None)
    fields: dict[str, Any] = {
        "kind": row.kind or kind,
        "period": row.period or period,
        "limit": _number(groups.get("limit")),
        "current": _number(groups.get("used")),
        "requested": _number(groups.get("requested")),
        "model": groups.get("model"),
    }
    tail = search[match.end() : match.end() + _SPAN]
    if fields["current"] is None and (current := _CURRENT_RE.search(tail)):
        fields["current"] = _number(current.group("n"))
    if fields["limit"] is None:
        limit = _LIMIT_RE.search(tail) or _GRPC_LIMIT_RE.search(search)
        fields["limit"] = _number(limit.group("n")) if limit else None
    name = (groups.get("what") or "").strip()
    if fields["kind"] and fields["period"]:
        fields["limit_type"] = f"{fields['kind']}_per_{fields['period']}"
    elif name and row.kind is None and (kind or period):
        fields["limit_type"] = name
    return {k: v for k, v in fields.items() if v is not None}


# --------------------------------------------------------------------------------------------------
# Google's error details


def read_google_details(dicts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``retry_after`` from ``google.rpc.RetryInfo``; ``limit_type``, ``kind``, ``period`` and ``limit`` from the
    first ``google.rpc.QuotaFailure`` violation (its ``quotaId`` and ``quotaMetric``, its ``quotaValue``)."""
    fields: dict[str, Any] = {}
    for d in dicts:
        kind = d.get("@type")
        if not isinstance(kind, str):
            continue
        if kind.endswith("RetryInfo") and "retry_after" not in fields:
            delay = d.get("retryDelay")
            seconds = _delay(delay)
            if seconds is not None:
                fields["retry_after"] = seconds
        elif kind.endswith("ErrorInfo") and isinstance(d.get("metadata"), Mapping):
            metadata = d["metadata"]
            value = metadata.get("quota_limit_value")
            limit = _number(value) if isinstance(value, str) else None
            if limit is not None:
                fields.setdefault("limit", limit)
            name = metadata.get("quota_limit") or metadata.get("quota_metric")
            if isinstance(name, str) and name:
                fields.setdefault("limit_type", name)
                counted, period = kind_and_period(name)
                if counted:
                    fields.setdefault("kind", counted)
                if period:
                    fields.setdefault("period", period)
        elif kind.endswith("QuotaFailure") and "limit_type" not in fields:
            violations = d.get("violations")
            first = violations[0] if isinstance(violations, list) and violations else None
            if not isinstance(first, Mapping):
                continue
            quota_id = first.get("quotaId")
            metric = first.get("quotaMetric")
            names = " ".join(v for v in (metric, quota_id) if isinstance(v, str))
            counted, period = kind_and_period(names)
            if isinstance(quota_id, str) and quota_id:
                fields["limit_type"] = quota_id
            elif isinstance(metric, str) and metric:
                fields["limit_type"] = metric
            if counted:
                fields["kind"] = counted
            if period:
                fields["period"] = period
            value = first.get("quotaValue")
            limit = _number(str(value)) if isinstance(value, str | int) and not isinstance(value, bool) else None
            if limit is not None:
                fields["limit"] = limit
    return fields


def _delay(value: Any) -> float | None:
    """``"52s"``, ``"1.5s"`` or ``{"seconds": 52, "nanos": 0}`` (a RetryInfo delay) in seconds."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", value)
        return float(match.group(1)) if match else None
    if isinstance(value, Mapping):
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
        if isinstance(seconds, int | float | str) and isinstance(nanos, int | float):
            whole = _number(str(seconds))
            return None if whole is None else float(whole) + float(nanos) / 1e9
    return None


# --------------------------------------------------------------------------------------------------
# Headers on a refused request

_DIMENSIONS = ("input-tokens", "output-tokens", "tokens", "requests")
_DIMENSION_KINDS = {"input-tokens": "input_tokens", "output-tokens": "output_tokens", "tokens": "tokens"}


def _header_number(value: str | None) -> int | float | None:
    return _number(value) if isinstance(value, str) and len(value) <= 40 else None


def read_limit_headers(h: Mapping[str, str]) -> dict[str, Any]:
    """The exhausted limit the headers of a refused request name (``remaining`` 0): ``kind``, ``limit``.

    Reads Anthropic's ``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining}``
    and the ``x-ratelimit-{limit,remaining}-{requests,tokens}`` of OpenAI, Groq and others (also relayed by
    LiteLLM as ``llm_provider-…``), and OpenRouter's bare ``x-ratelimit-limit``/``-remaining``. With no
    dimension at zero nothing is read: which limit tripped is not stated.
    """
    for prefix in ("anthropic-ratelimit-", "llm_provider-anthropic-ratelimit-"):
        for dimension in _DIMENSIONS:
            remaining = _header_number(h.get(f"{prefix}{dimension}-remaining"))
            if remaining == 0:
                fields: dict[str, Any] = {"kind": _DIMENSION_KINDS.get(dimension, "requests")}
                limit = _header_number(h.get(f"{prefix}{dimension}-limit"))
                if limit is not None:
                    fields["limit"] = limit
                return fields
    for prefix in ("x-ratelimit-", "llm_provider-x-ratelimit-"):
        for dimension in ("tokens", "requests"):
            remaining = _header_number(h.get(f"{prefix}remaining-{dimension}"))
            if remaining == 0:
                fields = {"kind": dimension}
                limit = _header_number(h.get(f"{prefix}limit-{dimension}"))
                if limit is not None:
                    fields["limit"] = limit
                return fields
        if _header_number(h.get(f"{prefix}remaining")) == 0:
            limit = _header_number(h.get(f"{prefix}limit"))
            return {"limit": limit} if limit is not None else {}
    return {}

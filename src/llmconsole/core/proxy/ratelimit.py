"""Rate limits, read reactively from what the proxy says (no client-side token bucket).

:func:`parse_rate_limit` recognises every shape a LiteLLM proxy can hand back for a rate limit:

- the structured body ``{"error": {"type": "rate_limit_exceeded", "limit_type", "limit", "current",
  "retry_after", "message"}}`` (Databricks' shape; also at top level or under ``detail``);
- the same JSON embedded, escaped once or twice (or as a Python dict repr), inside LiteLLM's own
  ``error.message`` (``litellm.RateLimitError: ... - {...}``);
- Databricks' ``REQUEST_LIMIT_EXCEEDED`` text;
- the messages of LiteLLM's own limiters, in any capitalisation (parallel request limiter, also its older
  ``Crossed TPM, RPM Limit``; v3 with its ``Limit resets at …``; dynamic limiter v1/v3; router cooldown);
- the headers ``Retry-After`` (seconds or HTTP date), ``retry-after-ms``, ``llm_provider-retry-after``
  (-ms) and ``x-ratelimit-reset-*`` / ``llm_provider-x-ratelimit-reset-*``;
- a mid-stream ``response.failed`` / ``error`` event with a rate-limit code;
- and any other 429.

:func:`format_rate_limit` renders the result as the seed's ``formatRateLimitError`` does, and
:func:`parse_quota` reads what the headers of a *successful* reply say is left.

Everything here is pure, never raises on bad input, and imports neither textual nor rich.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from llmconsole.core.errors import MAX_RETRY_AFTER_S, RateLimitInfo
from llmconsole.core.events import Quota
from llmconsole.core.proxy.errorbody import (
    Body,
    analyse,
    event_error,
    lower_headers,
    message_from_body,
    message_of,
    search_text,
    strip_wrappers,
    to_text,
)
from llmconsole.core.proxy.limitwords import kind_and_period, read_google_details, read_limit_headers, read_prose
from llmconsole.core.redact import one_line

__all__ = [
    "RateLimitInfo",
    "describe_limit_type",
    "format_rate_limit",
    "limit_numbers",
    "limit_words",
    "parse_quota",
    "parse_rate_limit",
    "rate_limit_from_body",
    "rate_limit_summary",
    "seconds_text",
    "wait_text",
    "waiting_helps",
    "what_to_do",
]


# --------------------------------------------------------------------------------------------------
# Small, total conversions


_UNLIMITED = 2**62
"""LiteLLM reports "no limit" as ``sys.maxsize``: numbers this large are not limits."""

_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_DURATION_RE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s))+")
_UNIT_SECONDS = {"ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "h": 3600.0, "m": 60.0, "s": 1.0}
_WORD_UNIT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(milliseconds?|msecs?|seconds?|secs?|minutes?|mins?|hours?|hrs?)\.?")
_WORD_UNIT_SECONDS = {"ms": 1e-3, "mi": 60.0, "se": 1.0, "ho": 3600.0, "hr": 3600.0}


def _number(value: Any) -> int | float | None:
    """A finite, non-negative number from a JSON value or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value < _UNLIMITED else None
    if isinstance(value, str):
        raw = value.strip().replace(",", "").replace("_", "")
        if not raw or len(raw) > 40:
            return None
        try:
            parsed: float = float(raw)
        except ValueError:
            return None
        value = parsed
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0 or value >= _UNLIMITED:
            return None
        return int(value) if value.is_integer() else value
    return None


def _duration(value: Any) -> float | None:
    """Seconds from a number or a string like ``15``, ``1.5``, ``20ms``, ``1m30s``, ``15 seconds``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            return None
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    if not isinstance(value, str):
        return None
    raw = value.strip().lower()
    if not raw or len(raw) > 64:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    if _DURATION_RE.fullmatch(raw):
        total = sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART_RE.findall(raw))
        return total if math.isfinite(total) else None
    word = _WORD_UNIT_RE.fullmatch(raw)
    if word:
        return _word_seconds(word.group(1), word.group(2))
    return None


def _word_seconds(number: str, unit: str) -> float | None:
    try:
        amount = float(number)
    except ValueError:
        return None
    unit = unit.lower()
    scale = 1e-3 if unit.startswith(("ms", "milli")) else _WORD_UNIT_SECONDS.get(unit[:2], 1.0)
    total = amount * scale
    return total if math.isfinite(total) and total >= 0 else None


def _seconds_until(when: datetime, now: float) -> float | None:
    """Seconds from ``now`` (a Unix time) to ``when`` (naive means UTC), never negative; None when absurd."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        delta = when.timestamp() - now
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, delta) if math.isfinite(delta) else None


def _http_date_seconds(value: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return _seconds_until(when, now)


def _iso_date_seconds(value: str, now: float) -> float | None:
    if len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _seconds_until(when, now)


# --------------------------------------------------------------------------------------------------
# Rate-limit parsing

_RL_TYPES = frozenset({"rate_limit_exceeded", "rate_limit_error", "ratelimiterror", "rate_limited"})
"""``type``/``code`` values that make a dict a structured rate-limit error."""
_RL_SIGNALS = _RL_TYPES | {
    "429",
    "request_limit_exceeded",
    "resource_exhausted",
    "too_many_requests",
    "too_many_requests_error",
    "rate_limit_reached_error",
    "exceeded_current_quota_error",
    "request_quota_exceeded",
    "ratelimitreached",
    "throttlingexception",
}
"""``type``/``code``/``error_code``/``status`` values that say "rate limit" on any status."""
_STREAM_TYPES = frozenset({"response.failed", "error"})
_RETRY_KEYS = ("retry_after", "retry_after_seconds", "retryAfter", "retry_after_s")
_RETRY_MS_KEYS = ("retry_after_ms", "retryAfterMs")

_DATABRICKS_MESSAGE = "Exceeded Databricks workspace rate limit"
_DB_MODEL_RE = re.compile(r"rate limits? for (?:model |endpoint )?[`'\"]?([\w.:/@-]+)", re.IGNORECASE)
_DB_TOKENS_RE = re.compile(r"\b(input|output)[ _]tokens?[ _]per[ _]minute", re.IGNORECASE)
_DB_QUERIES_RE = re.compile(r"\b(?:queries|requests)[ _]per[ _](hour|minute)", re.IGNORECASE)
_DB_ABBR_RE = re.compile(r"\b(ITPM|OTPM|QPH|QPM|QPS|TPM|RPM)\b")

# LiteLLM's limiters, in any capitalisation (proxies and versions differ); read in litellm/proxy/hooks/ of 1.99.4
# and, for the older "Crossed TPM, RPM Limit", of the parallel_request_limiter.py it replaced.
_I = re.IGNORECASE
_CROSSED_RE = re.compile(
    r"Crossed TPM(?:, | / )RPM(?: / Max Parallel Request)? Limit|Max parallel request limit reached", _I
)
_V2_SCOPE_RE = re.compile(r"rate limit type = ([\w-]+)", _I)
_V2_HIT_SCOPE_RE = re.compile(r"Hit limit for ([\w-]+)", _I)
_V2_NUMBER_RES = {
    name: re.compile(rf"(?<!current )(?<![\w]){re.escape(name)}: (\d+(?:\.\d+)?)", _I)
    for name in (
        "current rpm",
        "rpm limit",
        "current tpm",
        "tpm limit",
        "current max_parallel_requests",
        "max_parallel_requests",
        "tpm_limit",
        "rpm_limit",
    )
}
_V3_RE = re.compile(
    r"Rate limit exceeded for ([\w:.-]+): .{0,400}?Limit type: (\w+)\. Current limit: (\d+), Remaining: (-?\d+)",
    re.DOTALL | _I,
)
_DYNAMIC_RE = re.compile(r"over available (TPM|RPM)=(-?\d+)\. Model (?:TPM|RPM)=(\w+)", _I)
_DYNAMIC_V3_RE = re.compile(
    r"(?:Model capacity reached for (?P<model1>[^\s.]+(?:\.[^\s.]+)*)\.|Priority-based rate limit exceeded\. "
    r"Model: (?P<model2>[^,]{1,200}),).{0,400}?Rate limit type: (?P<type>\w+), Model TPM: (?P<tpm>\w[\w ]{0,40}?), "
    r"Model RPM: (?P<rpm>\w[\w ]{0,40}?), Remaining: (?P<remaining>-?\d+)",
    re.DOTALL | _I,
)
_COOLDOWN_RE = re.compile(r"No deployments available for selected model", _I)
_PASSED_MODEL_RE = re.compile(r"Passed model=([^\s.,]+(?:\.[^\s.,]+)*)", _I)
_RESETS_AT_RE = re.compile(r"Limit resets at:?\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(?:\s*UTC)?", _I)
"""The v3 limiter's reset time (``%Y-%m-%d %H:%M:%S UTC``): used when no header gives the wait."""
_RETRY_TEXT_RE = re.compile(
    r"(?:(?:try again|retry(?: again)?|resets?)\s+(?:in|after)|wait)\s+~?"
    r"(\d+(?:\.\d+)?(?:(?:ms|h|m|s)(?:\d+(?:\.\d+)?(?:ms|h|m|s))*)?)"
    r"(?:\s*(milliseconds?|msecs?|seconds?|secs?|minutes?|mins?|hours?))?",
    re.IGNORECASE,
)
_V3_LIMIT_TYPES = {
    "requests": "requests_per_minute",
    "tokens": "tokens_per_minute",
    "max_parallel_requests": "max_parallel_requests",
    "concurrent_requests": "max_parallel_requests",
}
_SCOPE_WORDS = {
    "key": "this API key",
    "api_key": "this API key",
    "model_per_key": "this model on this API key",
    "user": "this user",
    "team": "this team",
    "customer": "this customer",
    "end_user": "this end user",
    "organization": "this organization",
    "model_per_team": "this model on this team",
    "model_per_user": "this model for this user",
}


def _lower_str(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip().lower() if isinstance(value, str) else ""


def _is_rl_dict(d: Mapping[str, Any]) -> bool:
    return _lower_str(d.get("type")) in _RL_TYPES or _lower_str(d.get("code")) in _RL_TYPES


def _has_signal(d: Mapping[str, Any]) -> bool:
    return any(_lower_str(d.get(key)) in _RL_SIGNALS for key in ("type", "code", "error_code", "status"))


def _retry_from_dict(d: Mapping[str, Any]) -> float | None:
    for key in _RETRY_KEYS:
        if key in d:
            seconds = _duration(d[key])
            if seconds is not None:
                return seconds
    for key in _RETRY_MS_KEYS:
        if key in d:
            ms = _duration(d[key])
            if ms is not None:
                return ms / 1000
    delay = d.get("retryDelay")  # google.rpc.RetryInfo, as Gemini sends it
    return _duration(delay) if delay is not None else None


def _limit_type_of(value: Any) -> str | None:
    if isinstance(value, str):
        text = one_line(value, 80)
        return text or None
    return None


def _fields(d: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "limit_type": _limit_type_of(d.get("limit_type")),
        "limit": _number(d.get("limit")),
        "current": _number(d.get("current")),
        "retry_after": _retry_from_dict(d),
    }
    return {k: v for k, v in fields.items() if v is not None}


def _databricks(search: str) -> dict[str, Any] | None:
    if "REQUEST_LIMIT_EXCEEDED" not in search:
        return None
    fields: dict[str, Any] = {"message": _DATABRICKS_MESSAGE}
    tokens = _DB_TOKENS_RE.search(search)
    queries = _DB_QUERIES_RE.search(search)
    if tokens:
        fields["limit_type"] = f"{tokens.group(1).lower()}_tokens_per_minute"
    elif queries:
        fields["limit_type"] = f"queries_per_{queries.group(1).lower()}"
    else:
        abbr = _DB_ABBR_RE.search(search)
        if abbr:
            fields["limit_type"] = abbr.group(1)
    model = _DB_MODEL_RE.search(search)
    if model:
        name = model.group(1).rstrip(".:/-")
        if name:
            fields["model"] = name
    return fields


def _scope_words(scope: str) -> str:
    return _SCOPE_WORDS.get(scope.lower(), f"the {scope.replace('_', ' ')} scope")


def _v2_numbers(search: str) -> dict[str, int | float]:
    numbers: dict[str, int | float] = {}
    for name, pattern in _V2_NUMBER_RES.items():
        match = pattern.search(search)
        if match:
            value = _number(match.group(1))
            if value is not None:
                numbers[name] = value
    return numbers


def _litellm(search: str) -> dict[str, Any] | None:
    """Fields from the messages of LiteLLM's own limiters (see the module docstring)."""
    if _CROSSED_RE.search(search):
        numbers = _v2_numbers(search)
        scope_match = _V2_SCOPE_RE.search(search) or _V2_HIT_SCOPE_RE.search(search)
        scope = scope_match.group(1) if scope_match else None
        fields: dict[str, Any] = {
            "message": f"Exceeded the LiteLLM proxy's rate limit for {_scope_words(scope)}"
            if scope
            else "Exceeded the LiteLLM proxy's rate limit"
        }
        if "current rpm" in numbers or "current max_parallel_requests" in numbers:
            # "... current rpm: A, rpm limit: B, current tpm: C, tpm limit: D, current
            # max_parallel_requests: E, max_parallel_requests: F" — the first exhausted one tripped.
            checks = (
                ("max_parallel_requests", "current max_parallel_requests", "max_parallel_requests"),
                ("tokens_per_minute", "current tpm", "tpm limit"),
                ("requests_per_minute", "current rpm", "rpm limit"),
            )
            for limit_type, current_key, limit_key in checks:
                current, limit = numbers.get(current_key), numbers.get(limit_key)
                if current is not None and limit is not None and current >= limit:
                    fields.update(limit_type=limit_type, limit=limit, current=current)
                    break
        else:
            # "Hit limit for key. Current limits: max_parallel_requests: 0, tpm_limit: 0, rpm_limit: 0"
            # (a dimension set to 0), or the bare global "Max parallel request limit reached".
            zero_checks = (
                ("max_parallel_requests", "max_parallel_requests"),
                ("tokens_per_minute", "tpm_limit"),
                ("requests_per_minute", "rpm_limit"),
            )
            for limit_type, key in zero_checks:
                if numbers.get(key) == 0:
                    fields.update(limit_type=limit_type, limit=0)
                    break
            else:
                fields["limit_type"] = "max_parallel_requests"
        return fields
    match = _V3_RE.search(search)
    if match:
        scope, kind, limit = match.group(1), match.group(2).lower(), _number(match.group(3))
        fields = {
            "message": f"Exceeded the LiteLLM proxy's rate limit for {_scope_words(scope)}",
            "limit_type": _V3_LIMIT_TYPES.get(kind, kind),
        }
        if limit is not None:
            fields["limit"] = limit
        return fields
    match = _DYNAMIC_V3_RE.search(search)
    if match:
        kind = match.group("type").lower()
        fields = {
            "message": "The model's capacity on the LiteLLM proxy is reached for this priority",
            "limit_type": _V3_LIMIT_TYPES.get(kind, kind),
        }
        model = (match.group("model1") or match.group("model2") or "").strip()
        if model:
            fields["model"] = model
        limit = _number(match.group("tpm" if kind == "tokens" else "rpm"))
        if limit is not None and kind in ("tokens", "requests"):
            fields["limit"] = limit
        return fields
    match = _DYNAMIC_RE.search(search)
    if match:
        return {
            "message": "This key's share of the model's capacity on the LiteLLM proxy is used up",
            "limit_type": "tokens_per_minute" if match.group(1).upper() == "TPM" else "requests_per_minute",
        }
    return None


def _cooldown(search: str) -> dict[str, Any] | None:
    """The router's "No deployments available for selected model, Try again in N seconds. Passed model=M"."""
    if not _COOLDOWN_RE.search(search):
        return None
    fields: dict[str, Any] = {"message": "No deployment of this model is available right now (cooling down)"}
    model_match = _PASSED_MODEL_RE.search(search)
    if model_match:
        fields["model"] = model_match.group(1)
    return fields


def _retry_from_text(search: str) -> float | None:
    match = _RETRY_TEXT_RE.search(search)
    if not match:
        return None
    if match.group(2):
        return _word_seconds(match.group(1), match.group(2))
    return _duration(match.group(1))


def _resets_at(search: str, now: float | None) -> float | None:
    """Seconds until LiteLLM's "Limit resets at: 2025-01-01 12:00:00 UTC"; None when absent or already past."""
    match = _RESETS_AT_RE.search(search)
    if not match:
        return None
    seconds = _iso_date_seconds(match.group(1).replace(" ", "T"), time.time() if now is None else now)
    return seconds if seconds else None


def _reset_seconds(value: str, now: float) -> float | None:
    seconds = _duration(value)
    if seconds is not None:
        if seconds > 1e11:  # an epoch timestamp in milliseconds (OpenRouter's X-RateLimit-Reset)
            return max(0.0, seconds / 1000 - now)
        if seconds > 1e9:  # an epoch timestamp, not a duration
            return max(0.0, seconds - now)
        return seconds
    return _iso_date_seconds(value, now) or _http_date_seconds(value, now)


def _retry_from_headers(h: Mapping[str, str], now: float | None) -> float | None:
    when = time.time() if now is None else now
    for prefix in ("", "llm_provider-"):
        ms = h.get(f"{prefix}retry-after-ms")
        if ms is not None:
            value = _duration(ms)
            if value is not None:
                return value / 1000
        seconds = h.get(f"{prefix}retry-after")
        if seconds is not None:
            value = _duration(seconds)
            if value is None:
                value = _http_date_seconds(seconds, when)
            if value is not None:
                return value
    # x-ratelimit-reset-*: the longest reset among the exhausted dimensions (else among all).
    for prefix in ("llm_provider-x-ratelimit-", "x-ratelimit-"):
        resets: dict[str, float] = {}
        for kind in ("requests", "tokens"):
            raw = h.get(f"{prefix}reset-{kind}")
            value = _reset_seconds(raw, when) if raw is not None else None
            if value is not None:
                resets[kind] = value
        plain = h.get(f"{prefix}reset")
        plain_value = _reset_seconds(plain, when) if plain is not None else None
        if not resets and plain_value is None:
            continue
        if not resets:
            return plain_value
        exhausted = [
            resets[kind]
            for kind in resets
            if (remaining := _int_header(h.get(f"{prefix}remaining-{kind}"))) is not None and remaining <= 0
        ]
        return max(exhausted or resets.values())
    # anthropic-ratelimit-{dimension}-reset (an RFC 3339 time): the exhausted dimensions' (else the latest).
    for prefix in ("anthropic-ratelimit-", "llm_provider-anthropic-ratelimit-"):
        anthropic: dict[str, float] = {}
        for dimension in ("requests", "tokens", "input-tokens", "output-tokens"):
            raw = h.get(f"{prefix}{dimension}-reset")
            value = _reset_seconds(raw, when) if raw is not None else None
            if value is not None:
                anthropic[dimension] = value
        if anthropic:
            spent = [
                anthropic[d]
                for d in anthropic
                if (left := _int_header(h.get(f"{prefix}{d}-remaining"))) is not None and left <= 0
            ]
            return max(spent or anthropic.values())
    return None


def parse_rate_limit(
    status: int | None,
    headers: Mapping[str, str] | None,
    body: str | bytes | None,
    *,
    now: float | None = None,
) -> RateLimitInfo | None:
    """The rate-limit details of an answer, or None when it is not a rate limit.

    A 429 is always a rate limit. Any other status (``None`` for a mid-stream event passed as
    ``body``) is one only when the body's structure says so: a ``rate_limit_exceeded`` type or
    code, Databricks' ``REQUEST_LIMIT_EXCEEDED``, a ``429`` code, LiteLLM's ``RateLimitError`` or
    one of its limiters' messages. Never raises.
    """
    text = to_text(body)
    return rate_limit_from_body(status, lower_headers(headers), analyse(text), now=now)


def rate_limit_from_body(
    status: int | None, h: Mapping[str, str], body: Body, *, now: float | None = None
) -> RateLimitInfo | None:
    """:func:`parse_rate_limit` on a body already taken apart (``h``: lower-cased headers)."""
    search = search_text(body.text)
    all_dicts = body.top_dicts + body.embedded_dicts
    signal = (
        status == 429
        or any(_has_signal(d) for d in all_dicts)
        or "REQUEST_LIMIT_EXCEEDED" in search
        or "litellm.RateLimitError" in search
    )
    litellm_fields = _litellm(search)
    prose, prose_signal = read_prose(search)
    if not signal and litellm_fields is None and not prose_signal:
        return None
    if litellm_fields is None:
        litellm_fields = _cooldown(search)

    fields: dict[str, Any] = {}
    specific = False  # a structured dict, Databricks' text or a LiteLLM limiter said what the limit is

    # 1/2. A structured dict (top level or embedded): the one carrying most fields.
    best: tuple[int, int, dict[str, Any]] | None = None
    for rank, group in ((1, body.top_dicts), (0, body.embedded_dicts)):
        for d in group:
            found = _fields(d)
            typed = _is_rl_dict(d)
            if not typed and "limit_type" not in found and not ("limit" in found and "current" in found):
                continue
            score = (len(found), rank)
            if best is None or score > best[:2]:
                best = (score[0], score[1], d)
    if best is not None:
        d = best[2]
        fields.update(_fields(d))
        message = message_of(d)
        if message:
            fields["message"] = one_line(message)
        model = d.get("model")
        if isinstance(model, str) and model.strip():
            fields["model"] = one_line(model, 120)
        specific = True

    if "retry_after" not in fields:  # a retry_after field beside the message (Replicate's {"detail", "retry_after"})
        for d in all_dicts:
            retry = _retry_from_dict(d)
            if retry is not None:
                fields["retry_after"] = retry
                break

    # 3. Databricks' REQUEST_LIMIT_EXCEEDED text.
    databricks = _databricks(search)
    if databricks is not None:
        for key, value in databricks.items():
            fields.setdefault(key, value)
        specific = True

    # 4. LiteLLM's own limiters (and the header they set: rate_limit_type).
    if litellm_fields is not None:
        for key, value in litellm_fields.items():
            fields.setdefault(key, value)
        specific = True
    header_type = h.get("rate_limit_type")
    if header_type and "limit_type" not in fields:
        mapped = _V3_LIMIT_TYPES.get(header_type.lower())
        if mapped:
            fields["limit_type"] = mapped
            specific = True
    for d in all_dicts:  # the dynamic limiter's fallback detail {"error": ..., "rate_limit_type": ...}
        kind = d.get("rate_limit_type")
        if isinstance(kind, str) and kind.lower() in _V3_LIMIT_TYPES:
            fields.setdefault("limit_type", _V3_LIMIT_TYPES[kind.lower()])
            specific = True
            break

    # Google's details, the providers' prose, and the headers naming the exhausted dimension: numbers and names.
    # A name read so far says what is counted first (LiteLLM's "Max Parallel Request" text is not the kind).
    _kind_from_name(fields)
    for extra in (read_google_details(all_dicts), prose, _headers_limit(h, all_dicts)):
        for key, value in extra.items():
            fields.setdefault(key, value)
    _kind_from_name(fields)

    # 5. Retry-after: the body's wins (structured, then text), then the headers.
    if "retry_after" not in fields:
        from_text = _retry_from_text(search)
        if from_text is not None:
            fields["retry_after"] = from_text
    header_retry = _retry_from_headers(h, now)
    if header_retry is None:
        embedded = _embedded_headers(all_dicts)
        header_retry = _retry_from_headers(embedded, now) if embedded else None
    if "retry_after" not in fields and header_retry is not None:
        fields["retry_after"] = header_retry
    if "retry_after" not in fields:
        resets_at = _resets_at(search, now)
        if resets_at is not None:
            fields["retry_after"] = resets_at

    # 6. A mid-stream event: its own message; 7. anything else: a generic rate limit with the server's message.
    top = body.top
    stream = False
    if status is None and isinstance(top, dict):
        kind = top.get("type")
        stream = (isinstance(kind, str) and kind in _STREAM_TYPES) or isinstance(top.get("error"), dict)
    if stream and "message" not in fields and isinstance(top, dict):
        message = message_of(event_error(top))
        if message:
            fields["message"] = one_line(message)
    if "message" not in fields and (stream or not specific):
        fields["message"] = _generic_message(body)

    retry = fields.get("retry_after")
    if isinstance(retry, int | float) and retry > MAX_RETRY_AFTER_S:
        retry = MAX_RETRY_AFTER_S + 1  # huge (1e300, a date in 2999): honest as "more than 24 hours"
    return RateLimitInfo(
        message=fields.get("message"),
        limit_type=fields.get("limit_type"),
        limit=fields.get("limit"),
        current=fields.get("current"),
        retry_after=retry,
        model=fields.get("model"),
        kind=fields.get("kind"),
        period=fields.get("period"),
        requested=fields.get("requested"),
    )


def _kind_from_name(fields: dict[str, Any]) -> None:
    """``kind`` and ``period`` from ``limit_type`` where not read already."""
    kind, period = kind_and_period(fields.get("limit_type"))
    if kind is not None:
        fields.setdefault("kind", kind)
    if period is not None:
        fields.setdefault("period", period)


def _embedded_headers(dicts: list[dict[str, Any]]) -> dict[str, str]:
    """Headers a gateway copied into the body (OpenRouter's ``metadata.headers``), lower-cased; {} if none."""
    for d in dicts:
        inner = d.get("headers")
        if isinstance(inner, dict) and inner:
            return lower_headers({str(k): str(v) for k, v in inner.items()})
    return {}


def _headers_limit(h: Mapping[str, str], dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`read_limit_headers` on the answer's headers, else on headers copied into the body."""
    return read_limit_headers(h) or read_limit_headers(_embedded_headers(dicts))


def _generic_message(body: Body) -> str:
    server = strip_wrappers(message_from_body(body))
    boring = re.sub(r"^(?:http\s*)?429\s*:?\s*", "", server.lower()).rstrip(".!")
    if not boring or boring in {"rate limit exceeded", "too many requests", "429"}:
        return "Rate limit exceeded"
    server = one_line(server, 240)
    if "rate limit" in server.lower():
        return server
    return f"Rate limit exceeded: {server}"


# --------------------------------------------------------------------------------------------------
# Formatting

_ABBREVIATIONS = {
    "itpm": "input tokens per minute",
    "otpm": "output tokens per minute",
    "qph": "queries per hour",
    "qpm": "queries per minute",
    "qps": "queries per second",
    "rpm": "requests per minute",
    "rph": "requests per hour",
    "rpd": "requests per day",
    "tpm": "tokens per minute",
    "tpd": "tokens per day",
}


def describe_limit_type(limit_type: str) -> str:
    """``input_tokens_per_minute`` -> ``input tokens per minute``; ITPM/OTPM/QPH/RPM/TPM -> words."""
    words = re.split(r"[\s_\-]+", limit_type.strip())
    return " ".join(_ABBREVIATIONS.get(w.lower(), w) for w in words if w)


def seconds_text(seconds: float) -> str:
    """``15`` for whole seconds, else one decimal (never below 0.1)."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{max(seconds, 0.1):.1f}"


def wait_text(seconds: float) -> str:
    """``15 seconds``; beyond :data:`MAX_RETRY_AFTER_S` ``more than 24 hours`` (never a 300-digit number)."""
    if seconds > MAX_RETRY_AFTER_S:
        return f"more than {MAX_RETRY_AFTER_S / 3600:.0f} hours"
    return f"{seconds_text(seconds)} seconds"


_KIND_WORDS = {
    "requests": "requests",
    "tokens": "tokens",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "concurrency": "concurrent requests",
    "quota": "quota",
}
_PLAIN_NAME_RE = re.compile(r"[a-z][a-z_ ]{2,40}|[A-Z]{3,4}")
"""A limit name that reads as words once its underscores are spaces (``input_tokens_per_minute``, ``ITPM``)."""
_TOKEN_KINDS = frozenset({"tokens", "input_tokens", "output_tokens"})


def limit_words(info: RateLimitInfo) -> str | None:
    """What was hit, in words: ``input tokens per minute``, ``requests per day``, ``concurrent requests``; None
    when nothing says. A plain name from the server is kept; a quota id (``GenerateRequestsPerDay…``) is told
    by what it counts and per what."""
    if info.limit_type and _PLAIN_NAME_RE.fullmatch(info.limit_type.strip()):
        return describe_limit_type(info.limit_type)
    if info.kind:
        words = _KIND_WORDS.get(info.kind, info.kind.replace("_", " "))
        return f"{words} per {info.period}" if info.period else words
    if info.limit_type:
        return describe_limit_type(info.limit_type)
    return f"per {info.period}" if info.period else None


def _count(value: int | float) -> str:
    """A number as the answer wrote it (``200150``, ``0.5``)."""
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def limit_numbers(info: RateLimitInfo) -> str | None:
    """``Limit: 200000 | Current: 200150 | Requested: 2000``: the numbers the answer states, none invented."""
    parts = [
        f"{label}: {value}"
        for label, value in (("Limit", info.limit), ("Current", info.current), ("Requested", info.requested))
        if value is not None
    ]
    return " | ".join(parts) or None


def rate_limit_summary(info: RateLimitInfo) -> str:
    """One line: the message and, in parentheses, the limit type, usage and retry-after it carries."""
    details: list[str] = []
    words = limit_words(info)
    if words:
        details.append(words)
    if info.limit is not None and info.current is not None:
        details.append(f"{_count(info.current)} of {_count(info.limit)}")
    elif info.limit is not None:
        details.append(f"limit {_count(info.limit)}")
    if info.requested is not None:
        details.append(f"requested {_count(info.requested)}")
    if info.retry_after:
        details.append(f"retry after {wait_text(info.retry_after)}")
    summary = info.message or "Rate limit exceeded"
    return f"{summary} ({'; '.join(details)})" if details else summary


def _too_large(info: RateLimitInfo) -> bool:
    return info.requested is not None and info.limit is not None and info.requested > info.limit


def waiting_helps(info: RateLimitInfo) -> bool:
    """False when the answer says waiting will not help: a request larger than the limit itself, or a quota or a
    spent balance with no wait given (Gemini words every limit as a quota, and then says how long to wait).
    Then nothing is resent automatically."""
    return not _too_large(info) and not (info.kind == "quota" and not info.retry_after)


def what_to_do(info: RateLimitInfo, model_id: str, *, databricks: bool, smaller: str | None = None) -> list[str]:
    """The advice for this limit, fitted to what was read and to the model (``smaller``: a smaller model of the
    same family that the proxy serves, if any; the Databricks line only for a Databricks model)."""
    lines: list[str] = []
    if _too_large(info):
        lines.append(
            f"This request alone ({_count(info.requested or 0)}) is more than the limit ({_count(info.limit or 0)}): "
            "waiting will not help; shorten it"
        )
    elif not waiting_helps(info):
        lines.append(
            "This is a quota or a spent balance, not a per-minute limit: waiting a minute will not help; "
            "check the account's plan or billing"
        )
    elif info.retry_after:
        lines.append(f"Wait {wait_text(info.retry_after)} before retrying")
    elif info.period in ("day", "month"):
        lines.append(f"Wait for the {info.period}'s limit to reset (the answer does not say when)")
    else:
        lines.append("Wait 60 seconds before retrying (the answer does not say how long)")
    if smaller:
        lines.append(f"Switch to a smaller model (e.g., {smaller} instead of {model_id})")
    if info.kind == "concurrency":
        lines.append("Send fewer requests at the same time (other sessions or scripts on this key count too)")
    elif info.kind == "requests":
        lines.append(f"Send fewer requests per {info.period or 'minute'}")
    elif info.kind != "quota" and (info.kind in _TOKEN_KINDS or info.kind is None):
        lines.append("Reduce prompt length or max_tokens")
    if databricks:
        lines.append("Contact Databricks account team for higher limits")
    return lines


def format_rate_limit(info: RateLimitInfo, model_id: str, *, databricks: bool, smaller: str | None = None) -> str:
    """The seed's ``formatRateLimitError``: title, message, details (only what was read), and the "What to do"
    list fitted to the limit and the model (:func:`what_to_do`)."""
    lines = [
        f"⚠️  Rate Limit Exceeded - Model: {model_id}",
        "",
        info.message or "Rate limit exceeded",
        "",
    ]
    words = limit_words(info)
    if words:
        lines.append(f"Limit Type: {words}")
    numbers = limit_numbers(info)
    if numbers:
        lines.append(numbers)
    if info.retry_after:
        lines.append(f"Retry After: {wait_text(info.retry_after)}")
    lines.append("")
    lines.append("What to do:")
    lines += [f"  • {line}" for line in what_to_do(info, model_id, databricks=databricks, smaller=smaller)]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Quota from a successful reply

_SCOPED_RE = re.compile(r"x-ratelimit-([\w-]+?)-(remaining|limit)-(requests|tokens)")


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip()
    if not raw or len(raw) > 40:
        return None
    try:
        number = float(raw)
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) >= _UNLIMITED:
        return None
    return int(number)


def parse_quota(headers: Mapping[str, str]) -> Quota | None:
    """What is left, from the rate-limit headers of a successful reply; None when there are none.

    Per dimension (requests, tokens) the upstream's ``llm_provider-x-ratelimit-*`` win over the plain
    ``x-ratelimit-*``, which win over LiteLLM's own scoped ``x-ratelimit-{scope}-remaining-*`` (of
    which the most restrictive scope is taken). Negative remaining values are clamped to 0.
    """
    h = lower_headers(headers)
    if not any("ratelimit" in key for key in h):
        return None
    now = time.time()
    values: dict[str, Any] = {}
    for kind in ("requests", "tokens"):
        remaining: int | None = None
        limit: int | None = None
        reset: float | None = None
        for prefix in ("llm_provider-x-ratelimit-", "x-ratelimit-"):
            r = _int_header(h.get(f"{prefix}remaining-{kind}"))
            lim = _int_header(h.get(f"{prefix}limit-{kind}"))
            if r is None and lim is None:
                continue
            remaining, limit = r, lim
            raw_reset = h.get(f"{prefix}reset-{kind}")
            reset = _reset_seconds(raw_reset, now) if raw_reset is not None else None
            break
        if remaining is None and limit is None:
            remaining, limit = _scoped(h, kind)
        values[f"remaining_{kind}"] = max(0, remaining) if remaining is not None else None
        values[f"limit_{kind}"] = max(0, limit) if limit is not None else None
        values[f"reset_{kind}_s"] = reset
    if all(v is None for v in values.values()):
        return None
    return Quota(**values)


def _scoped(h: Mapping[str, str], kind: str) -> tuple[int | None, int | None]:
    """LiteLLM's ``x-ratelimit-{scope}-{remaining|limit}-{kind}``: the scope with least remaining."""
    scopes: dict[str, dict[str, int]] = {}
    for key, value in h.items():
        match = _SCOPED_RE.fullmatch(key)
        if not match or match.group(3) != kind:
            continue
        number = _int_header(value)
        if number is not None:
            scopes.setdefault(match.group(1), {})[match.group(2)] = number
    best: tuple[int | None, int | None] = (None, None)
    for entry in scopes.values():
        remaining, limit = entry.get("remaining"), entry.get("limit")
        if best == (None, None):
            best = (remaining, limit)
        elif remaining is not None and (best[0] is None or remaining < best[0]):
            best = (remaining, limit)
    return best

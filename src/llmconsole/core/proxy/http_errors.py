"""Turn what the proxy answered (an error status and body, or a mid-stream failure event) into typed errors.

Every message is one line, starts with ``HTTP {status}:`` for status errors, and is redacted: the API
key (and any other secret passed in) never survives into ``str()``, ``repr()`` or ``args``.
All functions are pure and never raise on bad input.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from llmconsole.core.errors import (
    AuthenticationError,
    BadRequestError,
    BudgetError,
    ContentFilterError,
    ContextOverflowError,
    NotFoundError,
    ProxyError,
    ProxyStatusError,
    RateLimitError,
    ServerError,
    StreamError,
    WrongEndpointError,
)
from llmconsole.core.proxy.errorbody import (
    analyse,
    event_error,
    is_html,
    lower_headers,
    message_from_body,
    own_words,
    search_text,
    tidy,
    to_text,
    unwrap,
)
from llmconsole.core.proxy.errorwords import (
    Budget,
    is_bad_key,
    read_budget,
    read_content_filter,
    read_model,
    read_overflow,
    read_wrong_endpoint,
)
from llmconsole.core.proxy.ratelimit import RateLimitInfo, rate_limit_from_body, rate_limit_summary
from llmconsole.core.proxy.rejections import is_not_about_a_field, rejected_paths
from llmconsole.core.redact import REDACTED, one_line, redact

__all__ = [
    "budget_line",
    "budget_numbers",
    "budget_words",
    "error_from_event",
    "error_from_response",
    "overflow_numbers",
]

E = TypeVar("E", bound=ProxyStatusError)

_SERVER_PART = 220
"""Characters of the server's own message kept inside our messages."""
_BODY_KEEP = 20_000
"""Characters of the (redacted) body kept on the exception for ``--debug``."""
_LIST_MODELS_HINT = "Run `llmconsole --list-models` to see the models."

# Keys a proxy or an upstream may echo whoever they belong to (LiteLLM echoes its own upstream key in a 401:
# "Incorrect API key provided: sk-…"; Databricks tokens are dapi…): never shown, ours or not.
_FOREIGN_KEY_RE = re.compile(r"\b(?:sk-[A-Za-z0-9_\-]{16,}|dapi[0-9a-f]{32}(?:-\d+)?)")
_LIST_MODELS_HINT_ROUTE = "Not Found — the proxy has no such endpoint; check OPENAI_BASE_URL"
_MODEL_NOT_FOUND_PATTERNS = (
    "invalid model name passed in model=",
    "model_not_found",
    "no healthy deployments",
    "no deployments available for selected model",
    "llm provider not provided",
    "endpoint_not_found",
    "model not found",
    "unknown model",
    "is not a valid model",
    "there is no 'model_name' with this string",
    "deploymentnotfound",
    "deployment for this resource does not exist",
    "model name is invalid",
    "model not supported by provider",
    "model_not_available",
)
_MODEL_DOES_NOT_EXIST_RE = re.compile(r"\bmodel\b[^.]{0,200}?\b(?:does not exist|not found)", re.IGNORECASE)
_FIELD_IN_5XX = ("does not support parameter", "unexpected keyword argument")
"""Wordings of a rejected field that count even in a 5xx (LiteLLM and Python servers answer them as 500)."""


# --------------------------------------------------------------------------------------------------
# Status errors


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` without our secrets and without any other API key a server echoed."""
    return _FOREIGN_KEY_RE.sub(REDACTED, redact(text, secrets))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _redact_info(info: RateLimitInfo, secrets: Sequence[str]) -> RateLimitInfo:
    return dataclasses.replace(
        info,
        message=_scrub(tidy(info.message), secrets) if info.message else info.message,
        model=_scrub(info.model, secrets) if info.model else info.model,
        limit_type=_scrub(info.limit_type, secrets) if info.limit_type else info.limit_type,
    )


def _is_model_not_found(lowered: str) -> bool:
    return any(p in lowered for p in _MODEL_NOT_FOUND_PATTERNS) or bool(_MODEL_DOES_NOT_EXIST_RE.search(lowered))


def _money(value: float | None) -> str:
    return "?" if value is None else f"{value:,.8f}".rstrip("0").rstrip(".")


_BUDGET_WHOSE = {
    "key": ("this API key's budget", "the proxy's admin (or whoever issued the key) can raise the key's max_budget"),
    "team": ("the team's budget", "a team admin or the proxy's admin can raise the team's max_budget"),
    "team_member": ("your budget in the team", "a team admin can raise your budget in the team"),
    "user": ("your user budget", "the proxy's admin can raise your user's max_budget"),
    "end_user": ("the end user's budget", "the proxy's admin can raise the end user's budget"),
    "organization": ("the organization's budget", "an organization admin or the proxy's admin can raise it"),
    "project": ("the project's budget", "the proxy's admin can raise the project's max_budget"),
    "tag": ("the tag's budget", "the proxy's admin can raise the tag's budget"),
    "provider": ("the provider's budget on the proxy", "the proxy's admin can raise it (or another model may work)"),
    "deployment": (
        "the deployment's budget on the proxy",
        "the proxy's admin can raise it (or another model may work)",
    ),
    "account": ("the provider account's balance", "whoever pays for the provider account can add credits"),
}
"""Per budget scope: whose budget it is, and who can raise it."""


def budget_words(scope: str | None) -> tuple[str, str]:
    """Whose budget ``scope`` is, and who can raise it, in words."""
    return _BUDGET_WHOSE.get(scope or "", ("a budget on the proxy", "the proxy's admin can raise it"))


def budget_numbers(spent: float | None, budget: float | None) -> str:
    """``spent $26.08 of $0.25``, ``spent $0.36``, ``budget $100`` (what was stated), or ""."""
    if spent is not None and budget is not None:
        return f"spent ${_money(spent)} of ${_money(budget)}"
    if spent is not None:
        return f"spent ${_money(spent)}"
    if budget is not None:
        return f"budget ${_money(budget)}"
    return ""


def budget_line(budget: Budget) -> str:
    """One line naming the budget: whose, what was spent and what it is, and who can raise it."""
    whose, raiser = budget_words(budget.scope)
    owner = f" ({budget.owner})" if budget.owner and budget.scope not in ("provider", "deployment") else ""
    numbers = budget_numbers(budget.spent, budget.budget)
    stated = f" ({numbers})" if numbers else ""
    return f"Budget exceeded: {whose}{owner} is spent{stated}; waiting does not help, {raiser}"


def overflow_numbers(window: int | None, requested: int | None) -> str:
    """``130,000 tokens, the window is 128,000`` (what was stated of it), or ""."""
    if requested is not None and window is not None:
        return f"{requested:,} tokens, the window is {window:,}"
    if window is not None:
        return f"the window is {window:,} tokens"
    if requested is not None:
        return f"{requested:,} tokens"
    return ""


def _with_server(lead: str, server: str) -> str:
    server = one_line(server, _SERVER_PART)
    return f"{lead} ({server})" if server else lead


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: str | bytes,
    *,
    model: str | None,
    secrets: Sequence[str],
) -> ProxyError:
    """The typed error for an error answer (status, headers, body) from the proxy.

    A spent budget -> :class:`BudgetError`; a rate limit -> :class:`RateLimitError`; 401/403, or a refused
    key in other words ("API key not valid", "No connected db") -> :class:`AuthenticationError`; a content
    filter or guardrail -> :class:`ContentFilterError`; a context overflow -> :class:`ContextOverflowError`
    (with the numbers stated); "use /v1/responses" -> :class:`WrongEndpointError`; a model the proxy does not
    serve (404, or a 4xx saying so) -> :class:`NotFoundError`; other 400/422 -> :class:`BadRequestError`
    (``rejected``: the fields it names); 5xx -> :class:`ServerError`; anything else -> :class:`ProxyStatusError`.

    Everything is read from the original body; only what is kept and shown is redacted (a one-character key
    must not blind the readers).
    """
    h = lower_headers(headers)
    text = to_text(body)
    parsed = analyse(text)
    server = message_from_body(parsed)
    search = search_text(text)
    lowered = search.lower()
    dicts = parsed.top_dicts + parsed.embedded_dicts
    own = own_words(parsed)  # what the error itself says (never echoed request content)
    request_id = h.get("x-request-id") or h.get("x-litellm-call-id") or None
    kept_body = _scrub(text[:_BODY_KEEP], secrets)
    prefix = f"HTTP {status}: "

    def done(cls: type[E], message: str, **fields: Any) -> E:
        error = cls(
            one_line(_scrub(prefix + message, secrets), 1000),
            status=status,
            body=kept_body,
            request_id=request_id,
        )
        for name, value in fields.items():
            setattr(error, name, _scrub(value, secrets) if isinstance(value, str) else value)
        return error

    budget = read_budget(own, status, dicts) if status >= 400 else None
    if budget is not None:
        return done(
            BudgetError,
            budget_line(budget),
            spent=budget.spent,
            budget=budget.budget,
            scope=budget.scope,
            owner=budget.owner,
        )

    info = rate_limit_from_body(status, h, parsed)
    if info is not None:
        info = _redact_info(info, secrets)
        message = one_line(_scrub(prefix + rate_limit_summary(info), secrets), 1000)
        return RateLimitError(message, info=info, status=status, body=kept_body, request_id=request_id)

    if status in (401, 403) or (400 <= status < 500 and is_bad_key(own)):
        if "no_db_connection" in lowered or "no connected db" in lowered:
            # LiteLLM without a key database answers a key other than its master key with "No connected db."
            lead = "The proxy refused the API key (it only knows its master key) — check OPENAI_API_KEY"
        elif status == 403:
            lead = "The proxy refused access with this API key — check OPENAI_API_KEY and what the key may use"
        else:
            lead = "The proxy refused the API key — check OPENAI_API_KEY"
        return done(AuthenticationError, _with_server(lead, server))

    if status >= 400:
        blocked, category = read_content_filter(own, dicts)
        if blocked:
            what = f" ({category})" if category else ""
            return done(ContentFilterError, f"blocked by the provider's content filter{what}", category=category)

        overflow = read_overflow(own, dicts)
        if overflow is not None:
            whose = f"{model}'s" if model else "the model's"
            numbers = overflow_numbers(overflow.window, overflow.requested)
            lead = (
                f"The conversation is too long for {whose} context window"
                + (f" ({numbers})" if numbers else "")
                + " — start a new conversation (ctrl+n) or pick a model with a larger window"
            )
            return done(
                ContextOverflowError, _with_server(lead, server), window=overflow.window, requested=overflow.requested
            )

    use = read_wrong_endpoint(own) if 400 <= status < 500 else None
    if use is not None:
        where = "the Responses API (/v1/responses)" if use == "responses" else "Chat Completions (/v1/chat/completions)"
        return done(WrongEndpointError, _with_server(f"This model is served on {where}", server), use=use)

    named = read_model(own, search) if 400 <= status < 500 else None
    if status == 404 or named is not None or (400 <= status < 500 and _is_model_not_found(lowered)):
        fastapi_route = server in ("", "Not Found") or is_html(text.strip())
        if status == 404 and fastapi_route and named is None and not _is_model_not_found(lowered):
            lead = _with_server(_LIST_MODELS_HINT_ROUTE, "" if server == "Not Found" else server)
            return done(NotFoundError, lead, route_missing=True)
        name = named or model
        lead = f"Model {name!r} is not served by this proxy" if name else "The model is not served by this proxy"
        return done(NotFoundError, f"{_with_server(lead, server)}. {_LIST_MODELS_HINT}", model=name)

    rejected: tuple[str, ...] = ()
    if (status in (400, 422) or (status >= 500 and any(w in search for w in _FIELD_IN_5XX))) and (
        not is_not_about_a_field(text)
    ):
        rejected = tuple(rejected_paths(text))
    if status in (400, 422):
        return done(BadRequestError, server or _phrase(status), rejected=rejected)
    if 500 <= status < 600:
        if is_html(text.strip()):
            title = server or _phrase(status)
            return done(ServerError, f"{title} (an HTML page from a gateway in front of the proxy)")
        return done(ServerError, server or _phrase(status), rejected=rejected)
    return done(ProxyStatusError, server or _phrase(status), rejected=rejected)


# --------------------------------------------------------------------------------------------------
# Mid-stream failures


def error_from_event(payload: Mapping[str, Any], *, model: str | None, secrets: Sequence[str]) -> ProxyError:
    """The typed error for a mid-stream ``response.failed`` or ``error`` event.

    A rate limit -> :class:`RateLimitError` (status 429); anything else -> :class:`StreamError`.
    """
    top: Any = dict(payload) if isinstance(payload, Mapping) else payload
    # Only the error decides: a `response.failed` also echoes the request (instructions, input, output),
    # whose words ("rate limit", "internal", ...) must not change the verdict.
    scope: Any = top
    if isinstance(top, Mapping):
        error_part = event_error(top)
        scope = {"type": top.get("type"), "error": error_part} if error_part is not top else top
    try:
        text = json.dumps(scope, default=str)
    except (ValueError, TypeError, RecursionError):
        text = ""
    parsed = analyse(text, scope, parsed=True)
    info = rate_limit_from_body(None, {}, parsed)
    kept_body = _scrub(text[:_BODY_KEEP], secrets)
    if info is not None:
        info = _redact_info(info, secrets)
        message = one_line(_scrub("Rate limited mid-stream: " + rate_limit_summary(info), secrets), 1000)
        return RateLimitError(message, info=info, status=429, body=kept_body)

    error = event_error(top) if isinstance(top, Mapping) else {}
    raw_message = error.get("message")
    if not isinstance(raw_message, str) or not raw_message.strip():
        raw_message = payload.get("message") if isinstance(payload, Mapping) else None
    detail = one_line(unwrap(raw_message), _SERVER_PART) if isinstance(raw_message, str) else ""
    code = error.get("code") or (error.get("type") if error is not top else None)
    if not isinstance(code, str | int) or isinstance(code, bool):
        code = None
    code_text = one_line(str(code), 60) if code is not None else ""
    if detail:
        lead = f"The server reported an error mid-stream: {detail}"
        message = f"{lead} ({code_text})" if code_text and code_text not in detail else lead
    else:
        message = f"The server reported an error mid-stream ({code_text or 'no details'})"
    return StreamError(one_line(_scrub(message, secrets), 1000))

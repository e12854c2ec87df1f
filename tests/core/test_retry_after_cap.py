"""A huge Retry-After (header, body number, far date) is capped and said honestly: "more than 24 hours"."""

from __future__ import annotations

import json

import pytest

from llmconsole.core.errors import MAX_RETRY_AFTER_S, RateLimitInfo
from llmconsole.core.proxy.ratelimit import format_rate_limit, parse_rate_limit, rate_limit_summary, wait_text
from llmconsole.ui.screens.rate_limit import RateLimitCountdown
from llmconsole.ui.widgets.formatting import countdown_text

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"retry-after": "99999999999"}, b""),
        ({"retry-after": "1e300"}, b""),
        ({"retry-after": "Fri, 31 Dec 2999 23:59:59 GMT"}, b""),
        ({"retry-after-ms": "9" * 30}, b""),
        ({}, json.dumps({"error": {"type": "rate_limit_exceeded", "retry_after": 1e300}}).encode()),
    ],
)
def test_huge_retry_after_is_capped_and_worded(headers: dict[str, str], body: bytes) -> None:
    info = parse_rate_limit(429, headers, body, now=NOW)
    assert info is not None and info.retry_after == MAX_RETRY_AFTER_S + 1
    text = format_rate_limit(info, "m", databricks=False)
    assert "Retry After: more than 24 hours" in text and "Wait more than 24 hours before retrying" in text
    assert "retry after more than 24 hours" in rate_limit_summary(info)
    assert max(len(word) for word in text.split()) < 40  # no 300-digit number anywhere


def test_an_integer_beyond_any_limit_is_no_retry_after() -> None:
    body = json.dumps({"error": {"type": "rate_limit_exceeded", "retry_after": 10**400}}).encode()
    info = parse_rate_limit(429, {}, body, now=NOW)
    assert info is not None and info.retry_after is None
    assert "Wait 60 seconds before retrying" in format_rate_limit(info, "m", databricks=False)


def test_ordinary_waits_keep_their_seconds() -> None:
    info = parse_rate_limit(429, {"retry-after": "15"}, b"", now=NOW)
    assert info is not None and info.retry_after == 15
    assert "Retry After: 15 seconds" in format_rate_limit(info, "m", databricks=False)
    assert wait_text(MAX_RETRY_AFTER_S) == f"{MAX_RETRY_AFTER_S:.0f} seconds"
    assert wait_text(MAX_RETRY_AFTER_S + 1) == "more than 24 hours"


def test_countdown_words_and_no_auto_resend_beyond_the_cap() -> None:
    assert countdown_text(14.2) == "15s"
    assert countdown_text(3700) == "1h 02m"
    assert countdown_text(MAX_RETRY_AFTER_S + 1) == "more than 24 h"
    capped = RateLimitCountdown.start("m", RateLimitInfo(retry_after=MAX_RETRY_AFTER_S + 1), now=0.0)
    assert not capped.can_auto_resend
    assert "more than 24 h" in capped.status(0.0).plain
    assert RateLimitCountdown.start("m", RateLimitInfo(retry_after=15), now=0.0).can_auto_resend

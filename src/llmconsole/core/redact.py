"""Keep secrets out of anything we show, and squeeze server text onto one safe line.

Both functions run on error paths with arbitrary server-supplied text: they never raise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["REDACTED", "one_line", "redact"]

REDACTED = "[REDACTED]"
"""What a secret is replaced with."""

_MIN_PARTIAL = 8
"""A token that is a prefix (or suffix) of a secret is redacted only from this length on."""

# Tokens a server may echo back: ``Bearer <token>`` and ``sk-...``-style keys (possibly cut short,
# e.g. ``sk-1234abcd...`` or ``sk-****abcd``). Each one is checked against the secrets.
_TOKEN_RE = re.compile(r"(?i:bearer)\s+([^\s\"'\\,;]+)|\b(sk-[A-Za-z0-9_\-.*]+)")
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_WS_RE = re.compile(r"\s+")
# C0/C1 controls other than whitespace (collapsed separately), and the bidi overrides/isolates that
# can reorder what a terminal shows.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


@lru_cache(maxsize=32)
def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    variants: set[str] = set()
    for secret in secrets:
        variants.add(secret)
        # The same secret as it appears inside a JSON string (a body echoing a key with quotes or
        # backslashes in it).
        escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
        variants.add(escaped)
    if not variants:
        return None
    ordered = sorted(variants, key=len, reverse=True)  # longest first: no partial leftovers
    return re.compile("|".join(re.escape(v) for v in ordered))


def _clean_secrets(secrets: Iterable[str]) -> tuple[str, ...]:
    try:
        return tuple(sorted({s for s in secrets if isinstance(s, str) and s}))
    except TypeError:
        return ()


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in ``text`` with ``[REDACTED]``.

    Also redacts a ``Bearer <token>`` or ``sk-...`` token that is a prefix or suffix of a secret
    (8 characters or more), as servers often echo a key cut short or masked.
    """
    if not isinstance(text, str):
        text = str(text)
    cleaned = _clean_secrets(secrets)
    if not cleaned or not text:
        return text
    pattern = _secret_pattern(cleaned)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)

    def _partial(match: re.Match[str]) -> str:
        token = match.group(1) or match.group(2) or ""
        cores = {token.strip(".*"), token.removeprefix("sk-").strip(".*")}
        cores = {core for core in cores if len(core) >= _MIN_PARTIAL}
        if any(s.startswith(core) or s.endswith(core) for core in cores for s in cleaned):
            whole = match.group(0)
            return whole[: match.start(match.lastindex or 0) - match.start(0)] + REDACTED
        return match.group(0)

    return _TOKEN_RE.sub(_partial, text)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace to single spaces, drop control characters, cut at ``limit`` with "…"."""
    if not isinstance(text, str):
        text = str(text)
    if limit <= 0:
        return ""
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    text = _WS_RE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text

"""The error corpus (tests/data/error_corpus/*.json): loading its entries and reading each one as the client does.

Shared by ``tests/core/test_error_corpus.py`` (one test per entry) and ``scripts/error_corpus_report.py`` (the
counts per category and provider the README gives).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmconsole.core.errors import (
    AuthenticationError,
    BudgetError,
    ContentFilterError,
    ContextOverflowError,
    NotFoundError,
    ProxyError,
    RateLimitError,
    WrongEndpointError,
)
from llmconsole.core.proxy.http_errors import error_from_response
from llmconsole.core.proxy.params import rejected_fields
from llmconsole.core.proxy.rejections import request_field

CORPUS = Path(__file__).resolve().parents[1] / "data" / "error_corpus"
DEFAULT_STATUS = 400
"""The status an entry is answered with when its thread does not give one (the readers go by the words)."""
SECRETS = ("sk-corpus-test-key-0000",)
UNREAD: frozenset[str] = frozenset()
"""Entries whose wording is still not read (listed in the corpus README): expected to fail, strictly, so that
a reader that learns one is noticed and the entry leaves this list."""


@dataclass(frozen=True)
class Entry:
    """One corpus entry and the file it is in."""

    file: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> int:
        status = self.data.get("status")
        return status if isinstance(status, int) else DEFAULT_STATUS

    def http_body(self) -> str:
        """The body as the client receives it: as pasted, or the pasted message inside LiteLLM's envelope."""
        body = self.data["body"]
        if self.data.get("shape") == "message":
            envelope = {"error": {"message": body, "type": None, "param": None, "code": str(self.status)}}
            return json.dumps(envelope, ensure_ascii=False)  # as LiteLLM (Starlette) sends it
        return str(body)


def read_params(found: list[Entry]) -> list[Any]:
    """``found`` as pytest params, the ones in :data:`UNREAD` marked as strictly expected to fail."""
    unread = pytest.mark.xfail(strict=True, reason="wording not read yet")
    return [pytest.param(e, marks=unread, id=e.id) if e.id in UNREAD else pytest.param(e, id=e.id) for e in found]


def entries() -> list[Entry]:
    """Every entry of every corpus file, in file order."""
    found: list[Entry] = []
    for path in sorted(CORPUS.glob("*.json")):
        for data in json.loads(path.read_text(encoding="utf-8")):
            found.append(Entry(path.name, data))
    return found


def error_of(entry: Entry) -> ProxyError:
    """What the client makes of the entry's answer (the same function it calls on an error status)."""
    headers = entry.data.get("headers") or {}
    return error_from_response(entry.status, headers, entry.http_body(), model=None, secrets=SECRETS)


def category_of(error: ProxyError, expect: dict[str, Any]) -> str:
    """The corpus category the typed error stands for."""
    if isinstance(error, BudgetError):
        return "budget"
    if isinstance(error, RateLimitError):
        return "rate_limit"
    if isinstance(error, ContextOverflowError):
        return "context_overflow"
    if isinstance(error, ContentFilterError):
        return "content_filter"
    if isinstance(error, AuthenticationError):
        return "auth"
    if isinstance(error, WrongEndpointError):
        return "wrong_endpoint"
    if isinstance(error, NotFoundError) and not error.route_missing:
        return "unknown_model"
    field = expect.get("field")
    if isinstance(field, str) and _drops(error, field):
        return "rejected_field"
    if expect.get("category") == "rejected_field" and isinstance(field, str):
        return "other"
    if getattr(error, "rejected", ()):
        return "rejected_field"
    return "other"


def _drops(error: ProxyError, field: str) -> bool:
    """Whether the client would drop ``field`` from a request holding it (``params.rejected_fields``)."""
    ours = request_field(field)
    if ours is None:
        return False
    request = {"model": "m", "messages": [], "input": [], field: 1}
    return ours in rejected_fields(error, request)


def reading(error: ProxyError, expect: dict[str, Any]) -> dict[str, Any]:
    """What was read, in the corpus's terms (only the keys ``expect`` holds beyond its category)."""
    read: dict[str, Any] = {"category": category_of(error, expect)}
    if isinstance(error, RateLimitError):
        info = error.info
        read.update(
            limit_type=info.kind,
            period=info.period,
            limit=info.limit,
            used=info.current,
            requested=info.requested,
            retry_after=info.retry_after,
        )
    elif isinstance(error, BudgetError):
        read.update(spent=error.spent, budget=error.budget, scope=error.scope)
    elif isinstance(error, ContextOverflowError):
        read.update(window=error.window, requested=error.requested)
    elif isinstance(error, ContentFilterError):
        read.update(filter_category=error.category)
    elif isinstance(error, NotFoundError):
        read.update(model=error.model)
    elif isinstance(error, WrongEndpointError):
        read.update(use=error.use)
    if read["category"] == "rejected_field" and isinstance(expect.get("field"), str):
        read["field"] = expect["field"]  # category_of checked that the client drops exactly that field
    return {key: read.get(key) for key in expect}


def matches(key: str, want: Any, got: Any) -> bool:
    """A key of ``expect`` against what was read (numbers equal; seconds within 0.5 s)."""
    if key == "retry_after":
        return isinstance(got, int | float) and isinstance(want, int | float) and math.isclose(got, want, abs_tol=0.5)
    if isinstance(want, int | float) and isinstance(got, int | float) and not isinstance(want, bool):
        return math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-12)
    return bool(want == got)


def misread(entry: Entry) -> dict[str, tuple[Any, Any]]:
    """The keys of the entry's ``expect`` read wrong: ``{key: (expected, read)}`` (empty when read right)."""
    expect = dict(entry.data["expect"])
    got = reading(error_of(entry), expect)
    return {key: (want, got.get(key)) for key, want in expect.items() if not matches(key, want, got.get(key))}


def report() -> str:
    """The counts per category and per provider (read right / all), and every entry read wrong."""
    by_category: dict[str, list[int]] = {}
    by_provider: dict[str, list[int]] = {}
    wrong: list[str] = []
    for entry in entries():
        bad = misread(entry)
        category = str(entry.data["expect"].get("category"))
        for table, key in ((by_category, category), (by_provider, str(entry.data.get("provider")))):
            counts = table.setdefault(key, [0, 0])
            counts[0] += not bad
            counts[1] += 1
        if bad:
            detail = ", ".join(f"{k}: expected {w!r}, read {g!r}" for k, (w, g) in bad.items())
            wrong.append(f"  {entry.id} ({entry.file}): {detail}")
    lines = ["| category | read right | entries | share |", "| :- | -: | -: | -: |"]
    total = [0, 0]
    for key, (right, count) in sorted(by_category.items()):
        lines.append(f"| {key} | {right} | {count} | {right / count:.0%} |")
        total[0] += right
        total[1] += count
    if total[1]:
        lines.append(f"| **all** | {total[0]} | {total[1]} | {total[0] / total[1]:.0%} |")
    lines += ["", "| provider | read right | entries |", "| :- | -: | -: |"]
    lines += [f"| {key} | {right} | {count} |" for key, (right, count) in sorted(by_provider.items())]
    lines += ["", f"Wordings still not read ({len(wrong)}):" if wrong else "Wordings still not read: none.", *wrong]
    return "\n".join(lines)


def readme_section() -> str:
    """The "What is read" section of the corpus README, from the corpus as it is."""
    all_entries = entries()
    providers = {str(e.data.get("provider")) for e in all_entries}
    return "\n".join(
        [
            "## What is read",
            f"{len(all_entries)} entries from {len(providers)} providers and gateways, each run through",
            "`error_from_response` (the function the client calls on an error status) by",
            "`tests/core/test_error_corpus.py`; the body-shaped ones from upstream providers also go through the real",
            "LiteLLM proxy (`tests/integration/test_error_corpus_proxy.py`). Regenerate this section with",
            "`python -m tests.core.error_corpus --readme`.",
            "",
            "How the test answers each entry: with its `status`, or 400 where the thread gives none (the readers go by",
            "the words, never by the status alone); a `message` entry inside LiteLLM's envelope as LiteLLM sends it",
            "(UTF-8, not `\\u` escapes). A provider's empty balance is a `budget` (scope `account`) unless it comes",
            "as a 429, which the providers that send it mean as a quota (`rate_limit`, `quota`).",
            "",
            report(),
        ]
    )


if __name__ == "__main__":  # python -m tests.core.error_corpus [--readme]
    import sys

    print(readme_section() if "--readme" in sys.argv[1:] else report())

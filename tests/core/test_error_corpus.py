"""Every real error body of the corpus (tests/data/error_corpus) read as the client reads it.

One test per entry: the body (verbatim, as its thread gave it; a pasted message goes inside LiteLLM's envelope)
goes through ``error_from_response``, the function the client calls on an error status, and each key of its
``expect`` must be read exactly. ``python -m tests.core.error_corpus`` prints the counts per category and
provider. The checks on the corpus itself (unique ids, a source, known categories) are here too.
"""

from __future__ import annotations

import pytest

from llmconsole.core.errors import BudgetError, ContentFilterError, RateLimitError
from tests.core.error_corpus import SECRETS, Entry, entries, error_of, misread, read_params

ENTRIES = entries()
CATEGORIES = {
    "rate_limit",
    "budget",
    "context_overflow",
    "content_filter",
    "rejected_field",
    "auth",
    "unknown_model",
    "wrong_endpoint",
    "other",
}


@pytest.mark.parametrize("entry", read_params(ENTRIES))
def test_corpus_entry_is_read_right(entry: Entry) -> None:
    assert misread(entry) == {}


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_corpus_entry_is_shown_on_one_redacted_line(entry: Entry) -> None:
    error = error_of(entry)
    assert "\n" not in str(error) and not any(secret in str(error) for secret in SECRETS)
    if isinstance(error, BudgetError | ContentFilterError):
        assert error.rejected == ()  # never a field drop
    if isinstance(error, RateLimitError) and entry.data["expect"].get("category") == "rate_limit":
        assert error.info.retry_after is None or error.info.retry_after >= 0


def test_the_corpus_is_well_formed() -> None:
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for entry in ENTRIES:
        data = entry.data
        assert str(data.get("source", "")).startswith("http"), entry.id
        assert data.get("shape") in ("body", "message"), entry.id
        assert isinstance(data.get("body"), str) and data["body"], entry.id
        assert data["expect"].get("category") in CATEGORIES, entry.id

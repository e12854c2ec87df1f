"""Secrets never survive into text we show; server text becomes one safe line."""

from __future__ import annotations

import json

import pytest

from llmconsole.core.redact import REDACTED, one_line, redact

KEY = "sk-proj-AbCdEf0123456789ghij"


def test_redacts_every_occurrence() -> None:
    text = f"key={KEY} again {KEY}."
    assert redact(text, [KEY]) == f"key={REDACTED} again {REDACTED}."


def test_redacts_several_secrets_longest_first() -> None:
    short, long = "abcd1234", "abcd1234-and-more"
    assert redact(f"{long} / {short}", [short, long]) == f"{REDACTED} / {REDACTED}"


def test_short_secrets_are_still_redacted_and_empty_ones_ignored() -> None:
    assert redact("pin is 42!", ["42", ""]) == f"pin is {REDACTED}!"
    assert redact("nothing here", ["", ""]) == "nothing here"
    assert redact("nothing here", []) == "nothing here"


def test_secret_with_regex_characters() -> None:
    secret = "a.b*c+(d)?[e]"
    assert redact(f"x {secret} y axbxc", [secret]) == f"x {REDACTED} y axbxc"


def test_secret_as_it_appears_escaped_inside_json() -> None:
    secret = 'we"ird\\key-123'
    body = json.dumps({"error": {"message": f"bad key {secret}"}})
    assert secret not in json.loads(redact(body, [secret]))["error"]["message"]
    assert REDACTED in redact(body, [secret])


@pytest.mark.parametrize(
    "echo",
    [
        f"Authorization: Bearer {KEY[:12]}",  # cut short
        f"Bearer {KEY[:10]}...",
        f"got {KEY[:16]}...",
        f"Received sk-{KEY[-12:]}",  # the tail of the key
    ],
)
def test_partial_key_echoes_are_redacted(echo: str) -> None:
    out = redact(echo, [KEY])
    assert REDACTED in out
    assert KEY[:10] not in out and KEY[-12:] not in out


def test_short_prefixes_and_unrelated_tokens_survive() -> None:
    assert redact("Received API Key = sk-...ghij", [KEY]) == "Received API Key = sk-...ghij"
    assert redact("Bearer someone-elses-token", [KEY]) == "Bearer someone-elses-token"
    assert redact(f"Bearer {KEY}", [KEY]) == f"Bearer {REDACTED}"


def test_redact_never_raises_on_odd_input() -> None:
    assert redact("", [KEY]) == ""
    assert redact("\x00\udcff text", ["\udcff"]) == f"\x00{REDACTED} text"
    assert redact("abc", iter(["b"])) == f"a{REDACTED}c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\r\nc\td", "a b c d"),
        ("  lead and trail  ", "lead and trail"),
        ("bell\x07 and nul\x00 gone", "bell and nul gone"),
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("bidi \u202eevil\u202c end", "bidi evil end"),
        ("emoji ⚠️ stays", "emoji ⚠️ stays"),
        ("", ""),
    ],
)
def test_one_line(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_one_line_truncates_with_ellipsis() -> None:
    out = one_line("word " * 100, 20)
    assert len(out) <= 20 and out.endswith("…")
    assert one_line("exactly ten", 11) == "exactly ten"
    assert one_line("anything", 0) == ""

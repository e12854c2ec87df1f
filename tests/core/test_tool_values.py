"""The typed tool values: argument parsing, the result cap, the cache round trip, one-line summaries."""

from __future__ import annotations

import json

import pytest

from llmconsole.core.tools.events import ToolApprovalRequest, ToolRoundsExhausted
from llmconsole.core.tools.values import MAX_RESULT_BYTES, ToolArgumentsError, ToolCall, ToolResult, ToolSpec


def test_arguments_parse_to_a_dict_and_empty_text_is_no_arguments() -> None:
    assert ToolCall("c1", "add", '{"a": 1, "b": 2}').parsed_arguments() == {"a": 1, "b": 2}
    assert ToolCall("c1", "now", "").parsed_arguments() == {}


@pytest.mark.parametrize("text", ['{"a": 1', "[1, 2]", '"x"', "nan-ish"])
def test_arguments_that_are_not_a_json_object_raise_one_typed_error(text: str) -> None:
    with pytest.raises(ToolArgumentsError, match="arguments of add"):
        ToolCall("c1", "add", text).parsed_arguments()


def test_pretty_and_short_arguments() -> None:
    call = ToolCall("c1", "search", json.dumps({"query": "x" * 200, "limit": 3}))
    assert call.pretty_arguments().startswith('{\n  "query"')
    short = call.short_arguments(40)
    assert len(short) == 40 and short.endswith("…") and "\n" not in short
    assert ToolCall("c2", "bad", "{oops\n}").pretty_arguments() == "{oops\n}"  # raw text when not JSON


def test_a_result_over_the_cap_is_cut_on_a_character_boundary_and_says_so() -> None:
    text = "é" * MAX_RESULT_BYTES  # two bytes each: twice the cap
    result = ToolResult.capped("c1", text)
    assert result.truncated and not result.is_error
    body, _, note = result.text.rpartition("\n")
    assert len(body.encode()) <= MAX_RESULT_BYTES and set(body) == {"é"}
    assert note == f"[result cut at {MAX_RESULT_BYTES:,} of {2 * MAX_RESULT_BYTES:,} bytes]"
    small = ToolResult.capped("c1", "fine", is_error=True)
    assert (small.text, small.truncated, small.is_error, small.outcome) == ("fine", False, True, "error")


def test_declined_results_tell_the_model_and_say_declined() -> None:
    result = ToolResult.user_declined("c9")
    assert result.call_id == "c9" and result.declined and result.outcome == "declined"
    assert "declined" in result.text


def test_spec_round_trips_through_json_and_rejects_garbage() -> None:
    spec = ToolSpec("add", "Adds.\nTwo numbers.", {"type": "object"}, "calc", "id-1", "proxy")
    assert ToolSpec.from_json_dict(json.loads(json.dumps(spec.to_json_dict()))) == spec
    assert spec.qualified_name == "calc/add" and spec.summary() == "Adds."
    for bad in ({}, {"name": 3}, {"name": "x", "source": "elsewhere"}, {"name": "x", "input_schema": []}):
        with pytest.raises(ValueError):
            ToolSpec.from_json_dict(bad)


def test_summary_is_one_printable_line() -> None:
    spec = ToolSpec("t", "\n  Does \x1b[31m things\tand more  \nsecond line")
    assert spec.summary() == "Does things and more"
    assert spec.summary(6) == "Does…"


def test_approval_request_titles_and_round_limit_line() -> None:
    call = ToolCall("c1", "add", '{"a":1}')
    assert ToolApprovalRequest(call, ToolSpec("add", server_name="calc")).title == "calc/add"
    assert ToolApprovalRequest(call, None).title == "add"
    assert ToolApprovalRequest(call, None).pretty_arguments == '{\n  "a": 1\n}'
    assert "8 tool rounds" in ToolRoundsExhausted(8).describe()

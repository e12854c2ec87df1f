"""MCP's ``tools/list`` entries and ``CallToolResult`` documents, read by core/tools/wire (pydantic)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmconsole.core.tools.wire import ListedTool, parse_tool_list, result_of

GATEWAY_ENTRY = {
    "name": "add",
    "description": "Add two numbers.\nReturns the sum.",
    "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]},
    "annotations": {"readOnlyHint": True},
    "mcp_info": {"server_name": "calc", "server_id": "3f2c", "description": "x", "logo_url": None},
}


def test_a_gateway_entry_keeps_its_server_id_schema_and_description() -> None:
    (spec,) = parse_tool_list({"tools": [GATEWAY_ENTRY]})
    assert (spec.name, spec.server_name, spec.server_id, spec.source) == ("add", "calc", "3f2c", "proxy")
    assert spec.input_schema == GATEWAY_ENTRY["inputSchema"]
    assert spec.summary() == "Add two numbers."


def test_a_local_listing_names_the_configured_server_and_reads_snake_case_schema() -> None:
    entry = {"name": " echo ", "input_schema": {"type": "object", "properties": {}}}
    (spec,) = parse_tool_list([entry], source="local", server_name="mine")
    assert (spec.name, spec.server_name, spec.server_id, spec.source) == ("echo", "mine", None, "local")


@pytest.mark.parametrize(
    "entry",
    [
        {"description": "no name"},
        {"name": ""},
        {"name": "   "},
        {"name": 7},
        {"name": None},
        "add",
        None,
    ],
)
def test_entries_without_a_usable_name_are_skipped_and_the_rest_kept(entry: Any) -> None:
    tools = parse_tool_list({"tools": [entry, GATEWAY_ENTRY]})
    assert [t.name for t in tools] == ["add"]


@pytest.mark.parametrize(
    ("schema", "kept"),
    [
        ({"type": "object", "properties": {"q": {"type": "string"}}}, True),
        ({"properties": {"q": {"type": "string"}}}, True),  # no type: an object schema by default
        ({"type": "string"}, False),
        ([], False),
        ("{}", False),
        (None, False),
    ],
)
def test_only_object_schemas_are_kept(schema: Any, kept: bool) -> None:
    (spec,) = parse_tool_list({"tools": [{"name": "t", "inputSchema": schema}]})
    assert spec.input_schema == (schema if kept else {"type": "object", "properties": {}})


def test_odd_descriptions_and_server_info_are_read_as_empty() -> None:
    info = {"server_name": 5, "alias": "al", "server_id": ""}
    entry = {"name": "t", "description": ["not", "text"], "mcp_info": info}
    (spec,) = parse_tool_list({"tools": [entry]})
    assert (spec.description, spec.server_name, spec.server_id) == ("", "al", None)
    (spec,) = parse_tool_list({"tools": [{"name": "t", "mcp_info": "calc"}]}, server_name="fallback")
    assert spec.server_name == "fallback"


def test_the_same_tool_of_the_same_server_is_kept_once() -> None:
    assert len(parse_tool_list({"tools": [GATEWAY_ENTRY, dict(GATEWAY_ENTRY, description="again")]})) == 1


def test_the_model_ignores_fields_it_does_not_read() -> None:
    listed = ListedTool.model_validate(GATEWAY_ENTRY)
    assert "annotations" not in listed.model_dump()


def test_an_error_result_is_kept_as_an_error_and_the_key_redacted() -> None:
    payload = {"content": [{"type": "text", "text": "boom sk-secret-123"}], "isError": True}
    result = result_of("c1", payload, secrets=["sk-secret-123"])
    assert result.is_error and "sk-secret-123" not in result.text and "boom" in result.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(payload=json_values)
def test_any_json_document_gives_a_list_and_never_raises(payload: Any) -> None:
    tools = parse_tool_list(payload)
    assert all(t.name.strip() == t.name and t.name for t in tools)
    result_of("c", payload)


def test_the_toolbox_loads_pydantic_only_when_tools_are_listed() -> None:
    """`-p` builds a toolbox on every run; pydantic (~190 ms) must wait until tools are actually listed."""
    import subprocess
    import sys

    code = (
        "import sys, llmconsole.core.chat.toolbox, llmconsole.core.proxy.gateway, llmconsole.core.tools.local; "
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

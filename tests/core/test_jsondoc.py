"""The one bounded reader of JSON documents (``core.jsondoc``): not JSON, too deep, too large are one
``DocumentError`` each, never a ``RecursionError``; every reader of a proxy document uses it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import llmconsole
from llmconsole.core.jsondoc import MAX_DEPTH, DocumentError, read_document, too_deep


def nested(depth: int, *, inner: bytes = b"1") -> bytes:
    return b'{"a":' * depth + inner + b"}" * depth


def test_a_usual_document_is_read() -> None:
    assert read_document(b'{"data": [{"id": "m"}]}') == {"data": [{"id": "m"}]}
    assert read_document('{"a": [1, 2]}') == {"a": [1, 2]}
    assert read_document(nested(MAX_DEPTH)) is not None  # the limit itself is fine


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5_000, 1_000_000])
def test_a_deep_document_is_refused_with_one_reason(depth: int) -> None:
    for raw in (nested(depth), b"[" * depth + b"]" * depth):
        with pytest.raises(DocumentError) as info:
            read_document(raw)
        assert info.value.reason == "nested too deeply"


@pytest.mark.parametrize("raw", [b"", b"{", b"<html>login</html>", b"\xff\xfe{}", b'{"a": NaN'])
def test_what_is_not_json_says_so(raw: bytes) -> None:
    with pytest.raises(DocumentError) as info:
        read_document(raw)
    assert info.value.reason == "not JSON" and isinstance(info.value, ValueError)


def test_a_document_too_large_is_not_parsed() -> None:
    with pytest.raises(DocumentError) as info:
        read_document(b"[" + b"1," * 100 + b"1]", max_bytes=50)
    assert info.value.reason == "too large"


def test_the_depth_walk_needs_no_recursion() -> None:
    value: list[object] = []
    for _ in range(200_000):  # built by hand: deeper than any parser or recursive walk could go
        value = [value]
    assert too_deep(value) and not too_deep([[{"a": [1]}]], 4) and too_deep([[{"a": [1]}]], 3)


def test_no_reader_of_a_document_parses_json_itself() -> None:
    """``response.json()`` and ``json.loads`` appear only where a stream's events are parsed (hot path, caught
    there), in the demo backend (our own bytes) and in the history (our own database); everything else reads
    documents through ``read_document``."""
    allowed = {
        "core/jsondoc.py",
        "core/proxy/client.py",  # stream events
        "core/proxy/chat_completions.py",  # stream chunks
        "core/proxy/errorbody.py",  # error bodies: bounded by their own reader
        "core/demo.py",
        "core/store/history.py",
        "core/tools/values.py",  # a tool call's arguments (a model's text, caught there)
    }
    root = Path(llmconsole.__file__).parent
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if name in allowed or not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            func = node.func  # json.loads(...) or response.json()
            owner_is_json = isinstance(func.value, ast.Name) and func.value.id == "json"
            if (func.attr == "loads" and owner_is_json) or (func.attr == "json" and not node.args):
                found.append(f"{name}:{node.lineno}")
    assert found == []

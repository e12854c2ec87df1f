"""Reading one JSON document: every reader of a proxy's answer (``/v1/models``, ``/model/info``, ``/key/info``,
a token count, a tool list, a whole Chat Completions answer) and of our own cache files goes through
:func:`read_document`, so a broken or hostile document is one :class:`DocumentError` (a ``ValueError``) with
a reason to show, never a ``RecursionError`` — neither while parsing nor later, in code that walks the result.

Streamed events are parsed on the hot path by their decoders, which catch the same errors themselves.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects accepted (LiteLLM's documents nest under 10; JSON Schemas of tools
under 30). Deeper documents are refused before anything walks them."""
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""Largest document parsed (a ``/model/info`` of thousands of deployments is a few MB)."""


class DocumentError(ValueError):
    """A document that cannot be read: ``reason`` is ``not JSON``, ``nested too deeply`` or ``too large``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_document(raw: bytes | str, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """The JSON value of ``raw``; :class:`DocumentError` when it is not JSON, too deep or too large."""
    if len(raw) > max_bytes:
        raise DocumentError("too large")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise DocumentError("nested too deeply") from None
    except ValueError:  # JSONDecodeError, and bytes that are not UTF-8
        raise DocumentError("not JSON") from None
    if too_deep(value, max_depth):
        raise DocumentError("nested too deeply")
    return value


def too_deep(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests arrays and objects deeper than ``max_depth`` (an iterative walk: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False

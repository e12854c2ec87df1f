"""A key command's key on every request (:class:`CommandAuth`): fetched on first use, off the event loop, and
once more after the key is refused, when the request is sent again once. Refused: a 401, or a 400/403 whose body
says so in a provider's words ("API key not valid", LiteLLM's "No connected db": see :func:`key_refused`).

How often a 401 may rerun the command is the caller's, through the request extension :data:`KEY_REFRESH`: a
:class:`RefreshBudget` that the requests of one send share (a send reruns the command at most once, whatever
its attempts), or None for optional routes (``/model/info``, ``/key/info``: their 401 says nothing about the
key, so the command does not run again). Without the extension a request may refresh once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from llmconsole.core.keycommand import KeyCommand

KEY_REFRESH = "llmconsole.key_refresh"
"""The request extension naming the :class:`RefreshBudget` a 401 may draw on (None: never refresh)."""


class RefreshBudget:
    """How many more times a 401 may rerun the key command, shared by the requests of one send."""

    __slots__ = ("left",)

    def __init__(self, left: int = 1) -> None:
        self.left = left

    def take(self) -> bool:
        """Use one refresh; False when none is left."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def may_refresh(request: httpx.Request) -> bool:
    """Whether a 401 to ``request`` may rerun the key command (see :data:`KEY_REFRESH`)."""
    if KEY_REFRESH not in request.extensions:
        return True
    budget = request.extensions[KEY_REFRESH]
    return isinstance(budget, RefreshBudget) and budget.take()


_REFUSAL_STATUSES = frozenset({400, 403})
"""Statuses that refuse a key only when their body says so (a 401 always does)."""
_MAX_REFUSAL_BODY = 64 * 1024


def key_refused(status: int, body: bytes) -> bool:
    """Whether an answer refuses the key: a 401, or a 400/403 in the words of a refused key."""
    if status == 401:
        return True
    if status not in _REFUSAL_STATUSES:
        return False
    from llmconsole.core.proxy.errorbody import analyse, own_words, to_text
    from llmconsole.core.proxy.errorwords import is_bad_key

    return is_bad_key(own_words(analyse(to_text(body[:_MAX_REFUSAL_BODY]))))


class CommandAuth(httpx.Auth):
    """``Authorization: Bearer <key from the command>``; when the key is refused (:func:`key_refused`), a fresh
    key and one more try (when allowed)."""

    def __init__(self, command: KeyCommand) -> None:
        self.command = command

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self.command.key()
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code in _REFUSAL_STATUSES:
            response.read()  # (an error answer is small; the client reads it anyway)
        if key_refused(response.status_code, response.content if response.is_stream_consumed else b"") and (
            may_refresh(request)
        ):
            fresh = self.command.refresh(key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import anyio.to_thread  # the command runs on a worker thread: the event loop keeps going

        key = await anyio.to_thread.run_sync(self.command.key)
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code in _REFUSAL_STATUSES:
            await response.aread()  # (an error answer is small; the client reads it anyway)
        if key_refused(response.status_code, response.content if response.is_stream_consumed else b"") and (
            may_refresh(request)
        ):
            fresh = await anyio.to_thread.run_sync(self.command.refresh, key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

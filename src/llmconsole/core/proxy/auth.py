"""A key command's key on every request (:class:`CommandAuth`): fetched on first use, off the event loop, and
once more after a 401, when the request is sent again once.

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


class CommandAuth(httpx.Auth):
    """``Authorization: Bearer <key from the command>``; on a 401, a fresh key and one more try (when allowed)."""

    def __init__(self, command: KeyCommand) -> None:
        self.command = command

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self.command.key()
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code == 401 and may_refresh(request):
            fresh = self.command.refresh(key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import anyio.to_thread  # the command runs on a worker thread: the event loop keeps going

        key = await anyio.to_thread.run_sync(self.command.key)
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code == 401 and may_refresh(request):
            fresh = await anyio.to_thread.run_sync(self.command.refresh, key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

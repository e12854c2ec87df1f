"""A key command's key on every request (:class:`CommandAuth`): fetched on first use, off the event loop, and once
more after a 401, when the request is sent again once."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from llmconsole.core.keycommand import KeyCommand


class CommandAuth(httpx.Auth):
    """``Authorization: Bearer <key from the command>``; on a 401, a fresh key and one more try."""

    def __init__(self, command: KeyCommand) -> None:
        self.command = command

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self.command.key()
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code == 401:
            fresh = self.command.refresh(key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import anyio.to_thread  # the command runs on a worker thread: the event loop keeps going

        key = await anyio.to_thread.run_sync(self.command.key)
        request.headers["Authorization"] = f"Bearer {key}"
        response = yield request
        if response.status_code == 401:
            fresh = await anyio.to_thread.run_sync(self.command.refresh, key)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

"""Tool rounds, free of any UI: which tools a model is offered, and running the calls of a reply.

A turn with tools goes: the reply streams (its calls arrive as ``ToolCallDone`` events and are kept on the reply
message as :class:`~llmconsole.core.chat.conversation.ToolExchange` through :meth:`ToolRunner.record`); when it
completed with calls, :meth:`ToolRunner.run_round` asks for approval of each call (through the
:data:`~llmconsole.core.tools.events.ApprovalCallback` the console or the CLI gives), runs the approved ones and
settles every exchange; then the next reply (a child message) is sent with the results. At most
``max_rounds`` rounds per prompt: the reply asking for more gets its calls cancelled and
:class:`~llmconsole.core.tools.events.ToolRoundsExhausted` says so. :func:`tool_turn` drives that loop over
any reply runner. Answering ``cancel`` ends the turn (:class:`TurnCancelled`): the calls not answered yet are
cancelled (the model is told so if the conversation continues). Nothing here imports Textual or rich.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from llmconsole.core.chat.conversation import ToolExchange
from llmconsole.core.config import DEFAULT_MAX_TOOL_ROUNDS
from llmconsole.core.tools.catalog import offered_names
from llmconsole.core.tools.events import (
    ApprovalCallback,
    ToolApprovalRequest,
    ToolCallFinished,
    ToolCallRunning,
    ToolRoundEvent,
    ToolRoundsExhausted,
)
from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Message
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.core.proxy.request import RequestInput

__all__ = ["ToolCaller", "ToolRunner", "TurnCancelled", "function_tools", "tool_turn"]


class ToolCaller(Protocol):
    """What runs a call (:class:`~llmconsole.core.chat.toolbox.Toolbox`): never raises for a failed call."""

    async def call(self, spec: ToolSpec, call: ToolCall) -> ToolResult: ...


class TurnCancelled(Exception):
    """The user answered ``cancel`` to an approval: the turn ends, nothing more runs or is sent."""


def function_tools(offered: dict[str, ToolSpec]) -> list[dict[str, Any]]:
    """The Responses function tools for ``offered`` (function name -> tool)."""
    return [
        {"type": "function", "name": name, "description": spec.description, "parameters": dict(spec.input_schema)}
        for name, spec in offered.items()
    ]


class ToolRunner:
    """The tools of the current conversation: what is offered, what was approved for good, running a round."""

    def __init__(
        self,
        caller: ToolCaller,
        tools: Sequence[ToolSpec] = (),
        *,
        approve: ApprovalCallback,
        max_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.caller = caller
        self.tools: tuple[ToolSpec, ...] = tuple(tools)
        """The tools selected (``--tools``, ``tools = [...]``, the console's picker); offered to capable models."""
        self.approve = approve
        self.max_rounds = max_rounds
        """Tool rounds allowed per prompt."""
        self.clock = clock
        self.always: set[str] = set()
        """Tools (``server/name``) the user said to run without asking again, for this conversation."""

    def new_conversation(self) -> None:
        """A new (or another) conversation: every tool asks again."""
        self.always.clear()

    def offered(self, model: ModelInfo) -> dict[str, ToolSpec]:
        """Function name -> tool for ``model``: nothing when it cannot call functions or no tool is selected."""
        if not self.tools or not model.function_calling:
            return {}
        return offered_names(self.tools)

    def with_tools(self, request: RequestInput, model: ModelInfo) -> RequestInput:
        """``request`` carrying the function tools offered to ``model`` (unchanged when none are)."""
        offered = self.offered(model)
        return replace(request, tools=function_tools(offered)) if offered else request

    def spec_for(self, call: ToolCall) -> ToolSpec | None:
        """The tool a call names (by the name it was offered under), None for a name never offered."""
        return offered_names(self.tools).get(call.name)

    def record(self, reply: Message, call: ToolCall) -> ToolExchange:
        """Keep a call the model made on its reply (``pending`` until the round settles it)."""
        exchange = ToolExchange.of(call, self.spec_for(call))
        reply.tool_calls.append(exchange)
        return exchange

    async def run_round(self, reply: Message) -> AsyncIterator[ToolRoundEvent]:
        """Ask, run and settle every pending call of ``reply``, in order: :class:`ToolCallRunning` before a call
        runs, :class:`ToolCallFinished` after each (declined and unknown ones too). :class:`TurnCancelled` when
        the user cancels; cancelling the task running this (Escape) cancels the call running and the rest."""
        pending = [exchange for exchange in reply.tool_calls if exchange.status == "pending"]
        try:
            for exchange in pending:
                call = ToolCall(exchange.call_id, exchange.name, exchange.arguments)
                spec = self.spec_for(call)
                if spec is None:
                    result = ToolResult.failure(call.call_id, f"no tool named {call.name!r} was offered")
                    exchange.settle(result)
                    yield ToolCallFinished(call, None, result)
                    continue
                if spec.qualified_name not in self.always:
                    choice = await self.approve(ToolApprovalRequest(call, spec))
                    if choice == "cancel":
                        raise TurnCancelled
                    if choice == "decline":
                        result = ToolResult.user_declined(call.call_id)
                        exchange.settle(result)
                        yield ToolCallFinished(call, spec, result)
                        continue
                    if choice == "always":
                        self.always.add(spec.qualified_name)
                yield ToolCallRunning(call, spec)
                started = self.clock()
                result = await self.caller.call(spec, call)
                duration = self.clock() - started
                exchange.settle(result, duration)
                yield ToolCallFinished(call, spec, result, duration)
        except (TurnCancelled, asyncio.CancelledError):
            for exchange in pending:
                exchange.cancel()
            raise


class ReplyRunLike(Protocol):
    """One reply being streamed (the session's ``ReplyRun``, or the CLI's): its events, its message, its end."""

    @property
    def message(self) -> Message: ...

    def events(self) -> AsyncIterator[Any]: ...


async def tool_turn(start_reply: Callable[[], ReplyRunLike], runner: ToolRunner | None) -> AsyncIterator[Any]:
    """Every event of one turn: the first reply's, then for each round the round's and the next reply's.

    ``start_reply`` starts a reply (a child of the last message) whose events record its calls on the message
    (:meth:`ToolRunner.record`). A reply that did not complete, or asked for nothing, ends the turn; past
    ``runner.max_rounds`` rounds the pending calls are cancelled and :class:`ToolRoundsExhausted` is the last
    event. :class:`TurnCancelled` propagates (the caller ends the turn quietly).
    """
    rounds = 0
    while True:
        run = start_reply()
        async for event in run.events():
            yield event
        reply = run.message
        if runner is None or reply.status != "completed" or not any(c.status == "pending" for c in reply.tool_calls):
            return
        if rounds >= runner.max_rounds:
            for exchange in reply.tool_calls:
                exchange.cancel()
            yield ToolRoundsExhausted(runner.max_rounds)
            return
        rounds += 1
        async for event in runner.run_round(reply):
            yield event

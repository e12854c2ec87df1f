"""Events of tools: what a stream yields while the model writes a call, and what a tool round tells the UI.

**Stream events** (from :meth:`~llmconsole.core.proxy.client.ProxyClient.stream_response`, both endpoints,
between :class:`~llmconsole.core.events.ResponseStarted` and the terminal event): for each call the model makes,
one :class:`ToolCallStarted`, any number of :class:`ToolCallDelta` (pieces of the arguments' JSON), then one
:class:`ToolCallDone` carrying the whole :class:`~.values.ToolCall`. Several calls may interleave (``index``
tells them apart). A reply that asks for calls still ends with ``Completed``: the calls are the
:class:`ToolCallDone` events before it.

**Round events** (from the tool-round flow in :mod:`llmconsole.core.chat`): before a call runs the flow asks for
approval through an :data:`ApprovalCallback` with a :class:`ToolApprovalRequest`; the UI or the CLI answers an
:data:`ApprovalChoice`. Then :class:`ToolCallRunning`, :class:`ToolCallFinished`; past the round limit one
:class:`ToolRoundsExhausted`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from llmconsole.core.tools.values import ToolCall, ToolResult, ToolSpec

__all__ = [
    "ApprovalCallback",
    "ApprovalChoice",
    "ToolApprovalRequest",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallFinished",
    "ToolCallRunning",
    "ToolCallStarted",
    "ToolRoundEvent",
    "ToolRoundsExhausted",
    "ToolStreamEvent",
]

# -- stream events ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ToolCallStarted:
    """The model began a call: its id and the function name are known, the arguments follow."""

    call_id: str
    """The call's id (``call_id`` on Responses, ``tool_calls[].id`` on Chat Completions)."""
    name: str
    """The function name the model chose."""
    index: int = 0
    """The call's position in the reply (several calls may stream at once)."""
    type: Literal["tool_call_started"] = "tool_call_started"


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of a call's arguments (``response.function_call_arguments.delta`` / ``delta.tool_calls[].function``)."""

    call_id: str
    text: str
    """The next characters of the arguments' JSON text."""
    type: Literal["tool_call_delta"] = "tool_call_delta"


@dataclass(slots=True)
class ToolCallDone:
    """A call is complete (``response.function_call_arguments.done`` / the chat stream's end of that call)."""

    call: ToolCall
    type: Literal["tool_call_done"] = "tool_call_done"


ToolStreamEvent = ToolCallStarted | ToolCallDelta | ToolCallDone
"""What a stream yields about calls."""

# -- round events ---------------------------------------------------------------------------------------------

ApprovalChoice = Literal["once", "always", "decline", "cancel"]
"""The answer to an approval request: ``once`` runs this call; ``always`` runs it and every later call of the same
tool in this conversation without asking; ``decline`` runs nothing and tells the model the user declined;
``cancel`` ends the turn (nothing more runs or is sent)."""


@dataclass(frozen=True, slots=True)
class ToolApprovalRequest:
    """The flow asks whether to run ``call`` (the dialog shows the server, the tool and the pretty arguments)."""

    call: ToolCall
    spec: ToolSpec | None
    """The tool the call names; None when the model named a tool it was not offered (it will not run)."""

    @property
    def title(self) -> str:
        """``server/tool`` (or the bare name the model used when the tool is unknown)."""
        return self.spec.qualified_name if self.spec is not None else self.call.name

    @property
    def pretty_arguments(self) -> str:
        """The arguments as indented JSON (their raw text when not JSON)."""
        return self.call.pretty_arguments()


ApprovalCallback = Callable[[ToolApprovalRequest], Awaitable[ApprovalChoice]]
"""How the flow asks: the console opens its dialog, ``-p --yes`` answers ``once``."""


@dataclass(frozen=True, slots=True)
class ToolCallRunning:
    """An approved call started running."""

    call: ToolCall
    spec: ToolSpec
    type: Literal["tool_call_running"] = "tool_call_running"


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A call ended (ran, failed, timed out or was declined); ``result`` is what goes back to the model."""

    call: ToolCall
    spec: ToolSpec | None
    result: ToolResult
    duration_s: float = 0.0
    """How long the call itself took (0 when nothing ran)."""
    type: Literal["tool_call_finished"] = "tool_call_finished"


@dataclass(frozen=True, slots=True)
class ToolRoundsExhausted:
    """The model asked for more calls after ``limit`` rounds: the turn stops here, with one line."""

    limit: int
    type: Literal["tool_rounds_exhausted"] = "tool_rounds_exhausted"

    def describe(self) -> str:
        """The line shown: why the turn stopped."""
        return f"stopped after {self.limit} tool rounds (max_tool_rounds in config.toml)"


ToolRoundEvent = ToolCallRunning | ToolCallFinished | ToolRoundsExhausted
"""What the tool-round flow reports besides the stream's own events."""

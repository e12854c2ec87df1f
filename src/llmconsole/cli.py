"""The ``llmconsole`` command: the app, ``--list-models``, ``-p`` and ``history``.

Exit codes (every command): 0 success (a truncated or refused reply too, with one line on stderr); 2 configuration
or usage error; 3 rate limited; 4 any other API or connection error; 130 on Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from llmconsole import __version__

if TYPE_CHECKING:
    from llmconsole.core.chat.conversation import Conversation, Message
    from llmconsole.core.chat.tool_round import ToolRunner
    from llmconsole.core.config import Settings
    from llmconsole.core.errors import LLMConsoleError
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.models import ModelInfo

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_RATE_LIMITED = 3
EXIT_API = 4
EXIT_INTERRUPTED = 130
MAX_COMPARE_MODELS = 4

DESCRIPTION = """\
A fast, keyboard-driven terminal console for models behind a LiteLLM proxy.

Without options it opens the full-screen console. With -p it answers one prompt on stdout
(for scripts), with --list-models it prints the proxy's models and their capabilities."""

EPILOG = """\
environment:
  OPENAI_BASE_URL        the LiteLLM proxy, e.g. https://litellm.example.com (with or without /v1)
  OPENAI_API_KEY         the proxy key (never printed, logged or stored; no flag takes it)
  LLMCONSOLE_PROFILE     a [profiles.NAME] of config.toml (base_url plus api_key_env or
                         api_key_command); --profile wins, OPENAI_BASE_URL wins over default_profile
  HTTPS_PROXY, NO_PROXY  honoured for the connection to the proxy
  SSL_CERT_FILE/_DIR     CA certificates trusted on top of the system trust store
                         (e.g. a corporate TLS-inspecting proxy's CA)
  LLMCONSOLE_DATA_DIR    where the history lives (default: the user data directory)
  LLMCONSOLE_CONFIG_DIR  where config.toml is read from (default model, system prompt,
                         per-model overrides such as prompt_cache_key = false)

keys in the console (F1 shows them all; [keys] in config.toml remaps any by its id):
  enter send · ctrl+j newline · ctrl+l pick model · escape cancel reply · ctrl+r resend
  ctrl+n new conversation · ctrl+o conversations · ctrl+t copy reply · ctrl+g copy code
  f2 settings · f3 compare models · f4 attach image · f5 reload models · ctrl+x cancel auto-resend
  ctrl+up or alt+up messages: then up/down select · e edit (a new branch) · r regenerate · m regenerate
    with another model · left/right switch branches ‹2/3› · c copy · escape back to the prompt
  f8 compact (summarise older turns into a new branch; the original stays)
  f6 show/hide sidebar · f9 attachments · pageup/pagedown/ctrl+home/ctrl+end scroll the conversation
  ctrl+p command palette · f1 help · ctrl+q quit

examples:
  llmconsole --demo                       try everything without a proxy
  llmconsole --list-models --json | jq .  the proxy's models and what they support
  llmconsole -p "Explain SSE" --model gpt-5.2
  git diff | llmconsole -p -              the prompt from stdin
  llmconsole -p "Hi" --model a --model b  compare models side by side
  llmconsole -p "And in Go?" -c           continue the last conversation (--cid ID: another one)
  llmconsole history show last --tree     the last conversation, every branch
  llmconsole history show last            the last conversation as Markdown
  llmconsole --forget-learned gpt-5.2     send the fields this proxy's gpt-5.2 once rejected again
  llmconsole tools                        the tools of the proxy's MCP gateway and of local servers
  llmconsole doctor --probe               why it cannot connect: DNS, proxy, TLS, key, models

exit codes: 0 ok · 2 configuration/usage · 3 rate limited · 4 API or connection error · 130 interrupted"""


SUBCOMMAND_USAGE = """\
       llmconsole history [list | show ID | export ID -o FILE | search WORDS]
       llmconsole tools [--json]
       llmconsole doctor
"""
"""The usage lines of the subcommands (dispatched before argparse sees them)."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"llmconsole: {message}\n")

    def format_usage(self) -> str:  # noqa: D102 - argparse API: the subcommands belong in the usage too
        return super().format_usage() + SUBCOMMAND_USAGE

    def format_help(self) -> str:  # noqa: D102
        usage = super().format_usage()
        return super().format_help().replace(usage, usage + SUBCOMMAND_USAGE, 1)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="llmconsole",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-p", "--prompt", metavar="PROMPT", help='answer PROMPT on stdout and exit ("-" reads stdin)')
    parser.add_argument(
        "-m",
        "--model",
        action="append",
        metavar="ID",
        help="model for -p (repeat 2-4 times to compare models); in the console: the first model",
    )
    parser.add_argument("--list-models", action="store_true", help="print the proxy's models and capabilities")
    parser.add_argument("--json", action="store_true", help="with --list-models: a JSON array")
    parser.add_argument(
        "--forget-learned",
        nargs="?",
        const="",
        metavar="MODEL",
        help="forget the request fields learned as rejected on this proxy (for MODEL, or for every model)",
    )
    parser.add_argument("--base-url", metavar="URL", help="the proxy URL (overrides OPENAI_BASE_URL)")
    parser.add_argument(
        "--profile", metavar="NAME", help="use [profiles.NAME] of config.toml (overrides LLMCONSOLE_PROFILE)"
    )
    parser.add_argument("--demo", action="store_true", help="use the built-in demo backend (no proxy, no network)")
    parser.add_argument("--system", metavar="TEXT", help="system prompt for this run")
    parser.add_argument(
        "--effort", choices=["minimal", "low", "medium", "high"], help="reasoning effort for reasoning models"
    )
    parser.add_argument(
        "-c", "--continue", dest="resume", action="store_true", help="with -p: continue the most recent conversation"
    )
    parser.add_argument(
        "--cid",
        metavar="ID",
        help="with -p: continue conversation ID (a unique prefix, or `last`), on its active branch",
    )
    parser.add_argument(
        "--compact", action="store_true", help="with -p -c/--cid: summarise the older turns first (a new branch)"
    )
    parser.add_argument(
        "--tools",
        metavar="NAME[,NAME...]",
        help="offer these tools to the model (a tool, server/tool, a server, or `all`; see `llmconsole tools`)",
    )
    parser.add_argument(
        "-y", "--yes", action="store_true", help="with -p and tools: run the model's tool calls without asking"
    )
    parser.add_argument("--no-history", action="store_true", help="do not save conversations (the console or -p)")
    parser.add_argument("--debug", action="store_true", help="log to stderr and show tracebacks")
    parser.add_argument("--version", action="version", version=f"llmconsole {__version__}")
    return parser


# -- helpers --------------------------------------------------------------------------------------------


def _err(message: str) -> None:
    try:
        sys.stderr.write(message.rstrip("\n") + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _settings(args: argparse.Namespace, *, need_url: bool) -> Settings:
    from llmconsole.core.config import load_settings
    from llmconsole.core.errors import ConfigError

    settings = load_settings(base_url=args.base_url, demo=args.demo, profile=args.profile)
    if need_url and not settings.demo:
        if not settings.base_url:
            raise ConfigError(
                "OPENAI_BASE_URL is not set: export OPENAI_BASE_URL=https://your-litellm-proxy "
                "(or try llmconsole --demo)"
            )
        if settings.key_command is not None:
            settings.key_command.key()  # a failing command is one line and exit 2 before any request
        elif not settings.api_key.get_secret_value() and settings.basic_credentials() is None:
            where = f" (profile {settings.profile!r})" if settings.profile else ""
            raise ConfigError(f"{settings.key_env} is not set{where}: export {settings.key_env}=<your proxy key>")
    warning = settings.insecure_warning()
    if warning:
        _err(f"llmconsole: {warning}")
    if getattr(args, "tools", None) is not None:  # --tools replaces the config's `tools = [...]`
        from dataclasses import replace

        from llmconsole.core.config import parse_tool_names

        settings = replace(settings, tools=parse_tool_names(args.tools))
    return settings


def _configure_logging(debug: bool, secrets: Sequence[str] | Callable[[], Sequence[str]]) -> None:
    """Log to stderr, redacted (``secrets`` may be a function: keys from a command change while running)."""
    from llmconsole.core.redact import redact

    class _Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = redact(record.getMessage(), secrets() if callable(secrets) else secrets)
            record.args = None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Redact())
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR, handlers=[handler], force=True)
    if debug:
        logging.getLogger("httpcore").setLevel(logging.INFO)


def _error_text(
    error: LLMConsoleError, model: ModelInfo | None, models: Sequence[ModelInfo] = (), *, older: bool = False
) -> str:
    """What ``-p`` writes for ``error``: the rate-limit report, or one line (``older``: the conversation has
    turns before the last prompt, so ``--compact`` could help an overflow)."""
    from llmconsole.core.errors import ContextOverflowError, RateLimitError
    from llmconsole.core.proxy.ratelimit import format_rate_limit

    if isinstance(error, RateLimitError):
        model_id = model.id if model else (error.info.model or "unknown")
        databricks = model.is_databricks if model else "databricks" in model_id
        smaller = None
        if model is not None:
            from llmconsole.core.proxy.siblings import smaller_model

            sibling = smaller_model(model, models)
            smaller = sibling.id if sibling is not None else None
        return format_rate_limit(error.info, model_id, databricks=databricks, smaller=smaller)
    if isinstance(error, ContextOverflowError):
        from llmconsole.core.proxy.http_errors import overflow_numbers

        numbers = overflow_numbers(window=error.window, requested=error.requested)
        name = model.id if model else "the model"
        hint = "add --compact to summarise the older turns first" if older else "shorten the prompt"
        stated = f" ({numbers})" if numbers else ""
        return (
            f"llmconsole: HTTP {error.status}: the conversation does not fit the context window of {name}{stated}; "
            f"{hint} or pick a model with a larger window"
        )
    return f"llmconsole: {error.message}"


def _read_prompt(value: str) -> str:
    from llmconsole.core.errors import ConfigError

    if value == "-":
        text = sys.stdin.read()
    else:
        text = value
    if not text.strip():
        raise ConfigError("the prompt is empty")
    return text


# -- --forget-learned ---------------------------------------------------------------------------------------


def forget_learned(settings: Settings, model: str | None) -> int:
    """Forget what this proxy's models were learned to reject; one line says what went."""
    from llmconsole.core.errors import ConfigError
    from llmconsole.core.proxy.endpoints import LearnedEndpoints
    from llmconsole.core.proxy.params import LearnedParams, proxy_key

    if not settings.base_url:
        raise ConfigError("--forget-learned forgets for one proxy: set OPENAI_BASE_URL (or --base-url)")
    where = proxy_key(settings.base_url)
    gone = dict(LearnedParams().forget(where, model))
    for name, endpoint in LearnedEndpoints().forget(where, model).items():
        gone[name] = gone.get(name, frozenset()) | {f"endpoint {endpoint}"}  # "*": the whole server
    if not gone:
        whose = f"for {model} " if model else ""
        print(f"Nothing learned {whose}on {printable(where)}.")
        return EXIT_OK
    parts = "; ".join(f"{printable(m)}: {', '.join(sorted(f))}" for m, f in sorted(gone.items()))
    print(f"Forgot on {printable(where)}: {parts}.")
    return EXIT_OK


# -- --list-models ----------------------------------------------------------------------------------------


_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, bidi overrides) shown escaped."""
    return _UNPRINTABLE_RE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def list_models(args: argparse.Namespace, settings: Settings) -> int:
    from llmconsole.core.proxy.client import ProxyClient

    async def run() -> list[ModelInfo]:
        async with ProxyClient(settings) as client:
            return await client.discover()

    models = asyncio.run(run())
    out = sys.stdout
    if args.json:
        out.write(json.dumps([m.to_json_dict() for m in models], indent=2) + "\n")
        return EXIT_OK
    from llmconsole.model_table import render_models, terminal_width

    title = f"Models at {settings.host}" + (" (demo)" if settings.demo else "")
    render_models(models, title, out, terminal_width(out))
    if not models:
        _err("llmconsole: the proxy serves no chat models")
    return EXIT_OK


# -- -p ---------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """How one model's reply ended."""

    model_id: str
    text: str = ""
    code: int = EXIT_OK
    messages: list[str] = field(default_factory=list)


class _Recorder:
    """Saves the exchange in the history while it streams (no-op with --no-history or on a broken store)."""

    def __init__(
        self, enabled: bool, conversation: Conversation, kind: str = "chat", *, stored: int = 0, demo: bool = False
    ) -> None:
        """``stored``: how many of the conversation's messages are in the history already (``-c``); ``demo``:
        the demo backend's own history."""
        self.store: Any = None
        self.conversation = conversation
        self.recorder: Any = None
        if not enabled:
            return
        try:
            from llmconsole.core.store.history import HistoryStore, default_path

            self.store = HistoryStore(default_path(demo=demo))
            self.store.save_conversation(conversation, kind=kind)
            for message in conversation.messages[stored:]:
                self.store.add_message(conversation, message)
        except Exception as exc:  # the history must never stop an answer
            logging.getLogger(__name__).warning("history disabled: %s", exc)
            self.store = None

    def start_reply(self, message: Message) -> None:
        if self.store is None:
            return
        from llmconsole.core.store.history import ReplyRecorder

        self.store.add_message(self.conversation, message)
        self.recorder = ReplyRecorder(self.store, self.conversation, message)

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def append(self, text: str) -> None:
        if self.recorder is not None and self.recorder.append(text):
            self.recorder.flush()

    def finish(self, message: Message) -> None:
        if self.recorder is not None:
            self.recorder.finish(message.status, message.usage, message.error)
        elif self.store is not None:
            self.store.update_message(self.conversation.id, message)

    def update(self, message: Message) -> None:
        """Write a finished message again (its tool calls, once a round settled them)."""
        if self.store is not None:
            self.store.update_message(self.conversation.id, message)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


async def _stream_one(
    client: ProxyClient,
    model: ModelInfo,
    conversation: Conversation,
    args: argparse.Namespace,
    *,
    out: TextIO | None,
    recorder: _Recorder | None,
    runner: ToolRunner | None = None,
) -> _Outcome:
    """Stream one reply; write deltas to ``out`` as they come (None: collect only). With a ``runner`` the
    reply is offered its tools, and the calls it makes are kept on its message."""
    from llmconsole.core.errors import LLMConsoleError, RateLimitError
    from llmconsole.core.events import (
        Completed,
        Failed,
        Incomplete,
        ReasoningDelta,
        RefusalDelta,
        ResponseStarted,
        TextDelta,
    )
    from llmconsole.core.tools.events import ToolCallDone

    outcome = _Outcome(model.id)
    message = conversation.add_assistant(model.id)
    if recorder is not None:
        recorder.start_reply(message)
    started = time.monotonic()
    try:
        request = conversation.to_request()
        if runner is not None:
            request = runner.with_tools(request, model)
        stream = client.stream_response(model, request, reasoning_effort=args.effort, system_prompt=args.system)
        async for event in stream:
            if isinstance(event, TextDelta | RefusalDelta):  # a refusal is the reply
                if message.ttft_s is None:
                    message.ttft_s = time.monotonic() - started
                if out is not None:
                    out.write(event.text)
                    out.flush()
                if recorder is not None and recorder.recording:
                    recorder.append(event.text)  # appends to message.text and saves while it streams
                else:
                    message.text += event.text
            elif isinstance(event, ReasoningDelta):
                message.reasoning += event.text
            elif isinstance(event, ToolCallDone):
                if runner is not None:
                    runner.record(message, event.call)
            elif isinstance(event, ResponseStarted):
                if runner is not None and "tools" in event.dropped_params:
                    outcome.messages.append(
                        f"llmconsole: {model.id} does not accept tools (learned; "
                        f"`llmconsole --forget-learned {model.id}` offers them again)"
                    )
                continue
            elif isinstance(event, Completed):
                message.status, message.usage = ("refused" if event.refused else "completed"), event.usage
                if event.refused:
                    outcome.messages.append("llmconsole: the model refused (its refusal is the reply)")
            elif isinstance(event, Incomplete):
                message.usage, message.status, message.end_reason = event.usage, "truncated", event.reason
                outcome.messages.append(f"llmconsole: reply {event.describe()}")
            elif isinstance(event, Failed):
                message.usage = event.usage
                message.error = event.error.message
                rate = isinstance(event.error, RateLimitError)
                message.status = "rate_limited" if rate else ("interrupted" if event.interrupted else "error")
                outcome.code = EXIT_RATE_LIMITED if rate else getattr(event.error, "exit_code", EXIT_API)
                outcome.messages.append(
                    _error_text(event.error, model, client.models, older=len(conversation.messages) > 2)
                )
    except LLMConsoleError as exc:
        rate = isinstance(exc, RateLimitError)
        message.status = "rate_limited" if rate else "error"
        message.error = exc.message
        outcome.code = exc.exit_code
        outcome.messages.append(_error_text(exc, model, client.models, older=len(conversation.messages) > 2))
    except (asyncio.CancelledError, KeyboardInterrupt):
        message.status = "cancelled"
        raise
    finally:
        message.duration_s = time.monotonic() - started
        if message.status == "streaming":
            message.status = "cancelled"
        if recorder is not None:
            recorder.finish(message)
    outcome.text = message.text  # the recorder (or the loop) appended every delta to it
    return outcome


def _with_images(prompt: str, models: list[ModelInfo]) -> tuple[str, list[str]]:
    """``@path`` references in the prompt (images, PDFs, text files as fenced blocks), checked against every
    model that will get them."""
    from llmconsole.core.attachments import attach_files

    # The check needs the first model without image input (if any); the files are read once for all models.
    judge = next((model for model in models if not model.images), models[0])
    attached = attach_files(
        prompt,
        images_supported=judge.images,
        model_id=judge.id,
        hint="choose one with images = yes in `llmconsole --list-models`",
    )
    return attached.text, attached.urls


def _pick_models(client: ProxyClient, wanted: list[str] | None) -> list[ModelInfo]:
    from llmconsole.core.errors import ConfigError, ProxyError

    if wanted:
        return [client.find_model(model_id) for model_id in wanted]
    model = client.default_model()
    if model is None:
        if client.settings.base_url:
            raise ProxyError("the proxy serves no chat models (llmconsole --list-models shows what it has)")
        raise ConfigError("no model to use")
    return [model]


def _resumed(args: argparse.Namespace) -> Conversation | None:
    """The stored conversation ``-c``/``--cid`` continues (its active path), None without them."""
    from llmconsole.core.errors import ConfigError

    ref = args.cid if args.cid is not None else ("last" if args.resume else None)
    if ref is None:
        return None
    if args.no_history:
        raise ConfigError("-c/--cid continue a saved conversation: they cannot go with --no-history")
    if args.model and len(args.model) > 1:
        raise ConfigError("-c/--cid continue one conversation: compare (several -m) starts a new one")
    from llmconsole.core.store.history import default_path
    from llmconsole.core.store.resume import load_to_continue

    return load_to_continue(ref, default_path(demo=args.demo))


def _resumed_model(client: ProxyClient, conv: Conversation | None) -> list[str] | None:
    """A continued conversation goes on with its last reply's model when the proxy still serves it."""
    from llmconsole.core.store.resume import last_reply_model

    model_id = last_reply_model(conv) if conv is not None else None
    if model_id is None or all(m.id != model_id for m in client.models):
        return None
    return [model_id]


async def _fit_context(
    client: ProxyClient, model: ModelInfo, conversation: Conversation, *, compact: bool
) -> bool | None:
    """``--compact``: summarise the older turns first (a new branch; True). Then, when the estimate still
    exceeds the model's window, one line and None (exit 2, nothing sent). False: unchanged and it fits."""
    from llmconsole.core.chat.compact import CompactionError
    from llmconsole.core.chat.compact import compact as compact_path
    from llmconsole.core.chat.context import ContextMeter

    compacted = False
    if compact:
        summariser = model
        wanted = client.settings.compact_model
        if wanted and any(m.id == wanted for m in client.models):
            summariser = client.find_model(wanted)
        try:
            done = await compact_path(conversation, client, summariser)
        except CompactionError as exc:
            _err(f"llmconsole: {exc}")
            return None
        if done is not None:
            compacted = True
            usage = done.summary.usage
            figures = f"in {usage.input_tokens:,} · out {usage.output_tokens:,}" if usage is not None else "no usage"
            cost = f" · ${usage.cost:.4f}" if usage is not None and usage.cost is not None else ""
            _err(
                f"llmconsole: compacted {done.summarised} messages into a summary by {summariser.id} ({figures}{cost})"
            )
    meter = ContextMeter()
    gauge = meter.gauge(model, conversation.system_prompt, conversation.messages)
    if not gauge.fits:  # the 4-characters rule may be wrong: the proxy's tokenizer decides when it is offered
        from llmconsole.core.chat.context import ProxyTokenCounter

        meter.counter = ProxyTokenCounter(client)
        await meter.refine(model, conversation.system_prompt, conversation.messages)
        gauge = meter.gauge(model, conversation.system_prompt, conversation.messages)
    if not gauge.fits:
        from llmconsole.core.chat.compact import compactable

        if compacted:
            hint = "it is compacted already"
        elif compactable(conversation.messages).older:
            hint = "add --compact to summarise the older turns first"
        else:  # (--compact would have nothing to summarise)
            hint = "nothing older to compact: shorten the prompt, or pick a model with a larger window (-m)"
        how = "counted by the proxy" if gauge.exact else "estimated"
        _err(
            f"llmconsole: ~{gauge.tokens:,} tokens ({how}) do not fit the context window of {model.id} "
            f"({gauge.window:,} tokens for the input); {hint}"
        )
        return None
    return compacted


def prompt_once(args: argparse.Namespace, settings: Settings) -> int:
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.errors import ConfigError
    from llmconsole.core.proxy.client import ProxyClient

    if args.model and len(args.model) > MAX_COMPARE_MODELS:
        raise ConfigError(f"at most {MAX_COMPARE_MODELS} models can be compared (got {len(args.model)})")
    if args.model and len(set(args.model)) != len(args.model):
        raise ConfigError("the same model is named twice")
    resumed = _resumed(args)
    prompt = _read_prompt(args.prompt)

    async def run() -> int:
        async with ProxyClient(settings) as client:
            await client.discover()
            models = _pick_models(client, args.model or _resumed_model(client, resumed))
            if len(models) == 1:
                conversation = resumed or Conversation(system_prompt=args.system, model=models[0].id)
                stored = len(conversation.messages)
                if resumed is not None and args.system is not None:
                    conversation.system_prompt = args.system
                text, images = _with_images(prompt, models)
                conversation.add_user(text, attachments=images)
                fitted = await _fit_context(client, models[0], conversation, compact=args.compact)
                if fitted is None:
                    return EXIT_USAGE
                if fitted:
                    stored = 0  # a new branch: every message of the path is new
                from llmconsole.core.chat.toolbox import Toolbox
                from llmconsole.prompt_tools import prepare

                box = Toolbox(client)
                try:
                    runner = await prepare(box, models[0], args, settings.tools)  # before anything is stored
                    recorder = _Recorder(not args.no_history, conversation, stored=stored, demo=args.demo)
                    try:
                        return await _answer(client, models[0], conversation, args, recorder, runner)
                    finally:
                        recorder.close()
                finally:
                    await box.aclose()
            if settings.tools:
                _err("llmconsole: tools are not offered when comparing models (one -m offers them)")
            return await _compare(client, models, prompt, args)

    return _run_interruptible(run)


RECANCEL_AFTER_S = 1.0
"""After ctrl+c, how long the run may go on before it is cancelled again (a cancellation can be lost)."""


def _run_interruptible(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """``asyncio.run(main())`` where ctrl+c cancels the run, and cancels it again every :data:`RECANCEL_AFTER_S`
    until it ends: a cancellation that lands as a read completes can be absorbed below us (seen under load: the
    reply went on reading a stalled stream, and ctrl+c did nothing). Ends in :class:`KeyboardInterrupt` (exit 130)."""
    interrupted = False

    async def runner() -> int:
        nonlocal interrupted
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def cancel_until_done() -> None:
            if task is not None and not task.done():
                task.cancel()
                loop.call_later(RECANCEL_AFTER_S, cancel_until_done)

        def on_sigint() -> None:
            nonlocal interrupted
            if interrupted:  # a second ctrl+c: at once
                raise KeyboardInterrupt
            interrupted = True
            cancel_until_done()

        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here (Windows, a thread)
            return await main()
        try:
            return await main()
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(runner())
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise


async def _answer(
    client: ProxyClient,
    model: ModelInfo,
    conversation: Conversation,
    args: argparse.Namespace,
    recorder: _Recorder,
    runner: ToolRunner | None,
) -> int:
    """The reply to the prompt on stdout; with tools, each round's calls on stderr (one line each) and the replies
    that follow them. The exit code of the last reply (130 when a call's approval cancelled the turn)."""
    from llmconsole.core.chat.tool_round import TurnCancelled, tool_turn
    from llmconsole.core.tools.events import ToolCallFinished, ToolRoundsExhausted
    from llmconsole.prompt_tools import call_line

    outcomes: list[_Outcome] = []

    class _Run:
        message = conversation.messages[-1]

        async def events(self) -> AsyncIterator[object]:
            outcome = await _stream_one(
                client, model, conversation, args, out=sys.stdout, recorder=recorder, runner=runner
            )
            self.message = conversation.messages[-1]
            outcomes.append(outcome)
            if outcome.text and not outcome.text.endswith("\n"):
                sys.stdout.write("\n")
                sys.stdout.flush()
            for line in outcome.messages:
                _err(line)
            return
            yield  # an async generator that yields nothing: the reply went to stdout

    try:
        async for event in tool_turn(_Run, runner):
            if isinstance(event, ToolCallFinished):
                _err(call_line(event))
                recorder.update(conversation.messages[-1])
            elif isinstance(event, ToolRoundsExhausted):
                recorder.update(conversation.messages[-1])
                _err(f"llmconsole: {event.describe()}")
                return EXIT_API
    except TurnCancelled:
        recorder.update(conversation.messages[-1])
        _err("llmconsole: the turn was cancelled")
        return EXIT_INTERRUPTED
    return outcomes[-1].code


async def _compare(client: ProxyClient, models: list[ModelInfo], prompt: str, args: argparse.Namespace) -> int:
    """One prompt to several models at once; each reply printed whole under ``## <model>``, in order; stored as
    one conversation whose answers are siblings."""
    import dataclasses

    from llmconsole.core.chat.conversation import Conversation

    text, images = _with_images(prompt, models)
    # One conversation (one id): the prompt, each model's answer beside the others. Each model streams into a
    # view of it whose path is the prompt (so its answer follows the prompt, a sibling of the other answers).
    first = Conversation(system_prompt=args.system, model=models[0].id)
    first.add_user(text, attachments=images)
    conversations = [dataclasses.replace(first, model=m.id, messages=list(first.messages), others=[]) for m in models]
    recorders = [
        _Recorder(not args.no_history, c, kind="compare", stored=1 if i else 0, demo=args.demo)  # the prompt once
        for i, c in enumerate(conversations)
    ]
    try:
        outcomes = await asyncio.gather(
            *(
                _stream_one(client, model, conv, args, out=None, recorder=rec)
                for model, conv, rec in zip(models, conversations, recorders, strict=True)
            )
        )
    finally:
        for rec in recorders:
            rec.close()
    for index, outcome in enumerate(outcomes):
        if index:
            sys.stdout.write("\n")
        sys.stdout.write(f"## {outcome.model_id}\n\n{outcome.text.rstrip()}\n")
        sys.stdout.flush()
        for line in outcome.messages:
            prefix = "llmconsole: "
            if line.startswith(prefix):  # name the model: several replies end here
                _err(f"{prefix}{outcome.model_id}: {line.removeprefix(prefix)}")
            else:
                _err(f"[{outcome.model_id}]\n{line}")
    return max(outcome.code for outcome in outcomes)


# -- entry point ----------------------------------------------------------------------------------------------


def run_console(args: argparse.Namespace) -> int:
    from dataclasses import replace

    settings = _settings(args, need_url=False)
    # --model, --system and --effort set the console's first model, system prompt and reasoning effort.
    settings = replace(
        settings,
        default_model=args.model[0] if args.model else settings.default_model,
        system_prompt=args.system if args.system is not None else settings.system_prompt,
        reasoning_effort=args.effort or settings.reasoning_effort,
    )
    from llmconsole.ui.loader import load_app_module

    run_app = load_app_module().run_app
    # The app opens the history after its first paint (and closes it); a failure is a notification there.
    return int(run_app(settings, history_factory=None if args.no_history else _open_history))


async def _open_history(demo: bool) -> Any:
    """The console's history (an ``AsyncHistory``: SQLite opened and used on its own thread); the demo's own."""
    from llmconsole.core.store.history import AsyncHistory, default_path

    return await AsyncHistory.open(default_path(demo=demo))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["history"]:
        from llmconsole.history_cli import main as history_main

        return _guard(lambda: history_main(argv[1:]), debug="--debug" in argv)
    if argv[:1] == ["tools"]:
        from llmconsole.tools_cli import main as tools_main

        return _guard(lambda: tools_main(argv[1:]), debug="--debug" in argv)
    if argv[:1] == ["doctor"]:
        from llmconsole.doctor import main as doctor_main

        return _guard(lambda: doctor_main(argv[1:]), debug="--debug" in argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json and not args.list_models:
        parser.error("--json goes with --list-models")
    if (args.resume or args.cid is not None) and args.prompt is None:
        parser.error("-c/--cid go with -p (in the console, ctrl+o opens a saved conversation)")

    def command() -> int:
        if args.forget_learned is not None:
            return forget_learned(_settings(args, need_url=False), args.forget_learned or None)
        if args.list_models:
            settings = _settings(args, need_url=True)
            _configure_logging(args.debug, settings.secrets)
            return list_models(args, settings)
        if args.prompt is not None:
            settings = _settings(args, need_url=True)
            _configure_logging(args.debug, settings.secrets)
            return prompt_once(args, settings)
        return run_console(args)

    return _guard(command, debug=args.debug)


def _guard(command: Any, *, debug: bool) -> int:
    """Run a command: typed errors become one line and an exit code; a closed pipe ends quietly."""
    from llmconsole.core.errors import LLMConsoleError

    try:
        code: int = command()
        sys.stdout.flush()
        return code
    except LLMConsoleError as exc:
        if debug:
            raise
        _err(_error_text(exc, None))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("llmconsole: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `llmconsole -p ... | head`: the reader left. Quietly stop writing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise SystemExit(main())

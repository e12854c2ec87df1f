"""Configuration: environment (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``), an optional TOML file, flags.

The API key is a :class:`~llmconsole.core.secret.Secret` (a redacting string, as pydantic's ``SecretStr``):
it never appears in ``repr``, logs or exceptions. No flag takes the key (it would show in ``ps``).

The settings themselves are plain frozen dataclasses validated by hand (pydantic model classes cost
~25 ms to build at start-up, on a first-screen budget of ~250 ms). The config file is only parsed when it
exists; a bad value is one line naming the file, the key and what is wrong.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit

from llmconsole.core import paths
from llmconsole.core.errors import ConfigError
from llmconsole.core.secret import Secret

if TYPE_CHECKING:
    from llmconsole.core.keycommand import KeyCommand
    from llmconsole.core.profiles import Profile

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = get_args(ReasoningEffort)

DEMO_BASE_URL = "http://demo.llmconsole.invalid"
"""Base URL of the in-process demo backend (never reaches the network)."""


class _Invalid(ValueError):
    """One invalid value: ``where`` (dotted key) and ``msg`` (what is wrong)."""

    def __init__(self, where: str, msg: str) -> None:
        super().__init__(f"{where}: {msg}")
        self.where = where
        self.msg = msg


def _check_positive(where: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise _Invalid(where, "Input should be greater than 0")


DEFAULT_PASTE_CHIP_LINES = 20
"""A paste of more lines than this becomes a chip instead of text in the prompt (``paste_chip_lines``)."""


@dataclass(frozen=True, slots=True)
class ModelOverride:
    """Per-model settings from ``[models."<id>"]`` in the config file. Unset fields change nothing."""

    store: bool | None = None
    """Force sending (true) or leaving out (false) ``store``."""
    prompt_cache_key: bool | None = None
    """Force sending (true) or leaving out (false) ``prompt_cache_key``."""
    reasoning_summary: bool | None = None
    """Force asking for (true) or leaving out (false) ``reasoning.summary``."""
    max_output_tokens: int | None = None
    """The ``max_output_tokens`` every request to this model carries."""
    context_window: int | None = None
    """The model's context window, when the proxy and the name patterns get it wrong."""
    reasoning: bool | None = None
    """Whether to send ``reasoning`` settings."""
    images: bool | None = None
    """Whether the model accepts image input."""
    function_calling: bool | None = None
    """Whether the model can call functions (tools are offered to it only then)."""
    endpoint: Literal["responses", "chat"] | None = None
    """The API to use: ``responses`` (``/v1/responses``) or ``chat`` (``/v1/chat/completions``)."""

    def __post_init__(self) -> None:
        _check_positive("max_output_tokens", self.max_output_tokens)
        _check_positive("context_window", self.context_window)


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """``[mcp.servers.NAME]``: a local MCP server the console starts over stdio (never given the proxy key)."""

    command: str
    """The program to run (looked up on ``PATH``)."""
    args: tuple[str, ...] = ()
    """Its arguments."""
    env: dict[str, str] = field(default_factory=dict)
    """Variables set for it, on top of a clean environment (``HOME``, ``PATH``, ``USER``, ... only)."""


DEFAULT_MAX_TOOL_ROUNDS = 8
"""Tool rounds allowed per prompt (``max_tool_rounds``)."""
DEFAULT_TOOL_TIMEOUT = 60.0
"""Seconds one tool call may take (``tool_timeout``)."""


@dataclass(frozen=True, slots=True)
class FileConfig:
    """What ``config.toml`` may hold."""

    default_model: str | None = None
    """The model used when none is chosen (``-p`` and the app's first model)."""
    system_prompt: str | None = None
    """Sent as ``instructions`` with every request."""
    compact_model: str | None = None
    """The model that summarises a conversation when it is compacted (None: the conversation's own)."""
    reasoning_effort: ReasoningEffort = "medium"
    """``reasoning.effort`` for reasoning models."""
    idle_timeout: float = 300.0
    """Seconds without a byte before a stream is declared stalled (reasoning models can think in silence)."""
    discovery_timeout: float = 3.0
    """Seconds allowed for ``/model/info`` before falling back to name patterns."""
    allow_insecure_http: bool = False
    """Silence the warning for a plain ``http://`` proxy on a non-loopback host (trusted networks)."""
    models: dict[str, ModelOverride] = field(default_factory=dict)
    """Per-model overrides."""
    default_profile: str | None = None
    """The profile used when neither ``--profile``, ``LLMCONSOLE_PROFILE`` nor ``OPENAI_BASE_URL`` says otherwise."""
    profiles: dict[str, Profile] = field(default_factory=dict)
    """``[profiles.NAME]``: named proxies (see :mod:`llmconsole.core.profiles`)."""
    keys: dict[str, str] = field(default_factory=dict)
    """``[keys]``: binding id -> keys (``"ctrl+g"``, ``"f7,ctrl+y"``), remapping the console's keys."""
    paste_chip_lines: int = DEFAULT_PASTE_CHIP_LINES
    """A paste of more lines than this becomes an attachment chip (0: never)."""
    theme: str | None = None
    """The console's colour theme (a Textual theme name); the palette's "Theme" choice writes it here."""
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    """``[mcp.servers.NAME]``: local MCP servers (stdio)."""
    tools: tuple[str, ...] = ()
    """``tools = [...]``: the tools offered to models (names, ``server/name``, a server's name, or ``"all"``)."""
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS
    """Tool rounds allowed per prompt before the turn stops."""
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    """Seconds one tool call may take."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the core needs, frozen. Built once by :func:`load_settings` and passed down.

    ``api_key`` may be given as a plain ``str`` (or anything with ``get_secret_value()``); it is kept as a
    :class:`Secret`. Change a field with ``dataclasses.replace``.
    """

    base_url: str | None = None
    """The proxy's root URL, normalised (no trailing ``/``, no ``/v1``); None when not configured."""
    api_key: Secret = Secret("")
    """The proxy key. Never printed."""
    demo: bool = False
    """Use the in-process demo backend."""
    default_model: str | None = None
    system_prompt: str | None = None
    compact_model: str | None = None
    """The model that writes compaction summaries (None: the current one)."""
    reasoning_effort: ReasoningEffort = "medium"
    idle_timeout: float = 300.0
    discovery_timeout: float = 3.0
    connect_timeout: float = 10.0
    allow_insecure_http: bool = False
    models: dict[str, ModelOverride] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys from ``[keys]`` (the UI checks the ids)."""
    paste_chip_lines: int = DEFAULT_PASTE_CHIP_LINES
    """A paste of more lines than this becomes an attachment chip in the console (0: never)."""
    theme: str | None = None
    """The console's colour theme from ``config.toml`` (None: Textual's default)."""
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    """Local MCP servers from ``[mcp.servers.NAME]``."""
    tools: tuple[str, ...] = ()
    """The tools offered to models (``--tools`` or ``tools = [...]``; ``("all",)`` for every one; empty: none)."""
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS
    """Tool rounds allowed per prompt."""
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    """Seconds one tool call may take."""
    config_path: Path | None = None
    """The config file that was read, if any."""
    profile: str | None = None
    """The profile in use (None: the plain environment or ``--base-url``)."""
    profiles: tuple[str, ...] = ()
    """Every profile in the config file (for the console's palette)."""
    source: str = "environment"
    """What chose the proxy: ``--base-url``, ``--profile``, ``LLMCONSOLE_PROFILE``, ``default_profile``, ..."""
    key_env: str = "OPENAI_API_KEY"
    """The variable the key was read from (when it does not come from a command)."""
    key_command: KeyCommand | None = None
    """The profile's ``api_key_command``: the key is fetched on first use and again after a 401."""
    url_credentials: Secret = Secret("")
    """A ``user:password`` the configured URL carried (kept out of :attr:`base_url`, so never shown, logged
    or cached; sent as HTTP basic auth only when there is no API key, which would otherwise replace it)."""

    def __post_init__(self) -> None:
        key: object = self.api_key
        if not isinstance(key, Secret):
            if isinstance(key, str):
                key = Secret(key)
            elif callable(getattr(key, "get_secret_value", None)):
                key = Secret(str(key.get_secret_value()))  # type: ignore[attr-defined]
            else:
                raise TypeError(f"api_key must be a str or a Secret, not {type(key).__name__}")
        value = key.get_secret_value()
        if value != value.strip():  # `export OPENAI_API_KEY=$(cat key.txt)` keeps a newline: never sent
            key = Secret(value.strip())
        if key is not self.api_key:
            object.__setattr__(self, "api_key", key)
        if self.base_url and "@" in urlsplit(self.base_url).netloc:  # built by hand: keep the password out
            base, credentials = split_base_url(self.base_url)
            object.__setattr__(self, "base_url", base)
            object.__setattr__(self, "url_credentials", Secret(credentials))
        if self.reasoning_effort not in REASONING_EFFORTS:
            raise ValueError(f"reasoning_effort must be one of {', '.join(REASONING_EFFORTS)}")

    @property
    def v1_url(self) -> str:
        """``{base}/v1``."""
        if self.base_url is None:
            raise ConfigError("OPENAI_BASE_URL is not set: export OPENAI_BASE_URL=https://your-proxy (or use --demo)")
        return f"{self.base_url}/v1"

    @property
    def host(self) -> str:
        """The proxy host for titles (``demo`` in demo mode)."""
        if self.demo:
            return "demo"
        if not self.base_url:
            return "not connected"
        return urlsplit(self.base_url).netloc.rpartition("@")[2] or self.base_url

    @property
    def label(self) -> str:
        """The profile and host for titles (``work · proxy.corp``), or the host alone."""
        return f"{self.profile} · {self.host}" if self.profile and not self.demo else self.host

    def secrets(self) -> tuple[str, ...]:
        """Strings that must be redacted from anything shown or stored."""
        key = self.api_key.get_secret_value()
        keys: tuple[str, ...] = (key,) if key else ()
        credentials = self.url_credentials.get_secret_value()
        if credentials:  # the whole user:password, and the password alone, as written and %-decoded
            from urllib.parse import unquote

            password = credentials.partition(":")[2]
            keys += (credentials, password) if password else (credentials,)
            if unquote(password) != password:
                keys += (unquote(password),)
        return keys + self.key_command.secrets() if self.key_command is not None else keys

    def basic_credentials(self) -> tuple[str, str] | None:
        """The URL's user name and password for HTTP basic auth, ``%``-decoded (``p%40ss`` is ``p@ss``), when
        they are what authenticates: no API key and no key command (both would replace them). None otherwise."""
        from urllib.parse import unquote

        user, _, password = self.url_credentials.get_secret_value().partition(":")
        if not user or self.api_key.get_secret_value() or self.key_command is not None:
            return None
        return unquote(user), unquote(password)

    def insecure_warning(self) -> str | None:
        """A warning when the key would travel unencrypted to a non-loopback host, else None."""
        if self.demo or not self.base_url or self.allow_insecure_http:
            return None
        parts = urlsplit(self.base_url)
        if parts.scheme != "http":
            return None
        host = parts.hostname or ""
        if host == "localhost" or host.endswith(".localhost"):
            return None
        import ipaddress  # only for a plain-http proxy

        try:
            if ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return (
            f"warning: {host} is plain http://: the API key travels unencrypted "
            "(set allow_insecure_http = true in config.toml on a trusted network)"
        )


_URL_PROBLEMS = (
    ("port out of range", "the port is out of range (1-65535)"),
    ("port could not be cast", "the port is not a number"),
    ("invalid ipv6 url", "the [IPv6 address] is not closed"),
    ("does not appear to be an ipv4 or ipv6 address", "the address in [ ] is not an IPv6 address"),
)


def without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@`` (safe to show)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{tail}"


def split_base_url(url: str, *, name: str = "OPENAI_BASE_URL") -> tuple[str, str]:
    """The normalised proxy URL (see :func:`normalize_base_url`) and the ``user:password`` it carried ("").

    Any malformed URL is a :class:`ConfigError` of one line naming ``name`` and what is wrong; the line never
    shows the ``user:password@`` part.
    """
    cleaned = url.strip()
    if not cleaned:
        raise ConfigError(f"{name} is empty: export OPENAI_BASE_URL=https://your-proxy")
    shown = repr(without_userinfo(cleaned))
    if any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise ConfigError(f"{name} contains a space or a control character: {shown}")
    if "://" not in cleaned:
        raise ConfigError(f"{name} must start with http:// or https:// (got {shown})")
    scheme = cleaned.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"{name} must start with http:// or https:// (got {without_userinfo(scheme)}://)")
    try:
        parts = urlsplit(cleaned)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        text = str(exc).lower()
        why = next((words for key, words in _URL_PROBLEMS if key in text), "it is not a valid URL")
        raise ConfigError(f"{name} is malformed ({why}): {shown}") from None
    if not host:
        raise ConfigError(f"{name} has no host: {shown}")
    if port == 0:
        raise ConfigError(f"{name} is malformed (the port is out of range (1-65535)): {shown}")
    if parts.query or parts.fragment or cleaned.endswith(("?", "#")):
        raise ConfigError(f"{name} must not carry a ?query or #fragment: {shown}")
    credentials, _, netloc = parts.netloc.rpartition("@")
    base = f"{parts.scheme.lower()}://{netloc}{parts.path}".rstrip("/")
    while base.lower().endswith("/v1"):
        base = base[:-3].rstrip("/")
    return base, credentials


def normalize_base_url(url: str, *, name: str = "OPENAI_BASE_URL") -> str:
    """``https://h/``, ``https://h/v1`` and ``https://h/v1/`` all become ``https://h``; a ``user:password@``
    is left out (:func:`split_base_url` returns it). Anything malformed is a one-line :class:`ConfigError`."""
    return split_base_url(url, name=name)[0]


def config_file_path() -> Path:
    """``config.toml`` in the user config directory (``LLMCONSOLE_CONFIG_DIR`` overrides it)."""
    return paths.config_dir() / "config.toml"


# -- validation of config.toml (TOML gives str, int, float, bool, datetimes, lists and tables) ----------


def _opt_str(where: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(where, "Input should be a valid string")


def _opt_bool(where: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _Invalid(where, "Input should be a valid boolean")


def _positive_float(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid(where, "Input should be a valid number")
    _check_positive(where, value)
    return float(value)


def _opt_positive_int(where: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(where, "Input should be a valid integer")
    _check_positive(where, value)
    return value


def _table(where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(where, "Input should be a valid dictionary")
    return value


def _no_extra(prefix: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in data:
        if key not in allowed:
            raise _Invalid(f"{prefix}{key}", "Extra inputs are not permitted")


_OVERRIDE_KEYS = frozenset(f.name for f in fields(ModelOverride))
_FILE_KEYS = frozenset(f.name for f in fields(FileConfig)) - {"mcp_servers"} | {"mcp"}
_MCP_SERVER_KEYS = frozenset({"command", "args", "env"})


def _model_override(where: str, value: object) -> ModelOverride:
    data = _table(where, value)
    _no_extra(f"{where}.", data, _OVERRIDE_KEYS)
    return ModelOverride(
        store=_opt_bool(f"{where}.store", data.get("store")),
        prompt_cache_key=_opt_bool(f"{where}.prompt_cache_key", data.get("prompt_cache_key")),
        reasoning_summary=_opt_bool(f"{where}.reasoning_summary", data.get("reasoning_summary")),
        max_output_tokens=_opt_positive_int(f"{where}.max_output_tokens", data.get("max_output_tokens")),
        context_window=_opt_positive_int(f"{where}.context_window", data.get("context_window")),
        reasoning=_opt_bool(f"{where}.reasoning", data.get("reasoning")),
        images=_opt_bool(f"{where}.images", data.get("images")),
        function_calling=_opt_bool(f"{where}.function_calling", data.get("function_calling")),
        endpoint=_opt_endpoint(f"{where}.endpoint", data.get("endpoint")),
    )


def _opt_endpoint(where: str, value: object) -> Literal["responses", "chat"] | None:
    if value is None:
        return None
    if value == "responses":
        return "responses"
    if value == "chat":
        return "chat"
    raise _Invalid(where, "Input should be 'responses' or 'chat'")


def _paste_chip_lines(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid("paste_chip_lines", "Input should be a whole number of lines, 0 or more (0: never)")
    return value


def _mcp_servers(value: object) -> dict[str, McpServerConfig]:
    """``[mcp]`` holds ``[mcp.servers.NAME]`` tables of ``command``, ``args`` and ``env``."""
    mcp = _table("mcp", value)
    _no_extra("mcp.", mcp, frozenset({"servers"}))
    servers: dict[str, McpServerConfig] = {}
    for name, table in _table("mcp.servers", mcp.get("servers", {})).items():
        where = f"mcp.servers.{name}"
        if not str(name).strip() or "/" in str(name):
            raise _Invalid(where, "a server's name must be non-empty and without '/'")
        server = _table(where, table)
        _no_extra(f"{where}.", server, _MCP_SERVER_KEYS)
        command = server.get("command")
        if not isinstance(command, str) or not command.strip():
            raise _Invalid(f"{where}.command", "Input should be the program to run")
        args = server.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise _Invalid(f"{where}.args", "Input should be a list of strings")
        env = _table(f"{where}.env", server.get("env", {}))
        if not all(isinstance(v, str) for v in env.values()):
            raise _Invalid(f"{where}.env", "Input should be a table of strings")
        servers[str(name)] = McpServerConfig(command, tuple(args), {str(k): str(v) for k, v in env.items()})
    return servers


def parse_tool_names(value: object, where: str = "tools") -> tuple[str, ...]:
    """``tools``: a list of names (or ``"all"``); ``--tools``: ``NAME[,NAME...]`` or ``all``. Empty: no tools."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(where, 'Input should be a list of tool names, or "all"')
    names = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    return ("all",) if "all" in names else names


def _rounds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid("max_tool_rounds", "Input should be a whole number of rounds, 1 or more")
    return value


def parse_file_config(data: Mapping[str, Any]) -> FileConfig:
    """Validate the parsed TOML; :class:`ValueError` (``"key.path: what is wrong"``) on the first bad value."""
    _no_extra("", data, _FILE_KEYS)
    effort = data.get("reasoning_effort", "medium")
    if effort not in REASONING_EFFORTS:
        choices = ", ".join(f"'{e}'" for e in REASONING_EFFORTS[:-1])
        raise _Invalid("reasoning_effort", f"Input should be {choices} or '{REASONING_EFFORTS[-1]}'")
    allow = _opt_bool("allow_insecure_http", data.get("allow_insecure_http", False))
    models = {
        str(name): _model_override(f"models.{name}", value)
        for name, value in _table("models", data.get("models", {})).items()
    }
    from llmconsole.core.profiles import ProfileInvalid, parse_profiles

    try:
        profiles = parse_profiles(data.get("profiles"))
    except ProfileInvalid as exc:
        raise _Invalid(exc.where, exc.msg) from None
    default_profile = _opt_str("default_profile", data.get("default_profile"))
    keys: dict[str, str] = {}
    for binding_id, value in _table("keys", data.get("keys", {})).items():
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(f"keys.{binding_id}", 'Input should be keys such as "ctrl+g" or "f7,ctrl+y"')
        keys[str(binding_id)] = ",".join(k.strip() for k in value.split(",") if k.strip())
    return FileConfig(
        default_profile=default_profile,
        profiles=profiles,
        default_model=_opt_str("default_model", data.get("default_model")),
        system_prompt=_opt_str("system_prompt", data.get("system_prompt")),
        compact_model=_opt_str("compact_model", data.get("compact_model")),
        reasoning_effort=effort,
        idle_timeout=_positive_float("idle_timeout", data.get("idle_timeout", 300.0)),
        discovery_timeout=_positive_float("discovery_timeout", data.get("discovery_timeout", 3.0)),
        allow_insecure_http=bool(allow),
        models=models,
        keys=keys,
        paste_chip_lines=_paste_chip_lines(data.get("paste_chip_lines", DEFAULT_PASTE_CHIP_LINES)),
        theme=_opt_str("theme", data.get("theme")),
        mcp_servers=_mcp_servers(data.get("mcp", {})),
        tools=parse_tool_names(data.get("tools", [])),
        max_tool_rounds=_rounds(data.get("max_tool_rounds", DEFAULT_MAX_TOOL_ROUNDS)),
        tool_timeout=_positive_float("tool_timeout", data.get("tool_timeout", DEFAULT_TOOL_TIMEOUT)),
    )


def read_config_file(path: Path) -> FileConfig:
    """Read and validate a config file; a missing file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FileConfig()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    import tomllib  # only when there is a file

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return parse_file_config(data)
    except _Invalid as exc:
        raise ConfigError(f"{path}: {exc.where}: {exc.msg}") from None


def load_settings(
    *,
    base_url: str | None = None,
    demo: bool = False,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
    profile: str | None = None,
) -> Settings:
    """Build :class:`Settings` from flags (``base_url``, ``demo``, ``profile``), the environment and the config file.

    The proxy comes from ``--profile``, else ``LLMCONSOLE_PROFILE``, else ``--base-url``/``OPENAI_BASE_URL``,
    else the file's ``default_profile`` (``--base-url`` with a profile replaces only its URL). An unknown
    profile is a :class:`ConfigError` listing the known ones.

    A missing ``OPENAI_BASE_URL`` is not an error here (the app shows how to connect); callers that
    need it use :attr:`Settings.v1_url`, which raises :class:`ConfigError` naming the variable.
    """
    env = os.environ if environ is None else environ
    path = config_path or config_file_path()
    file_config = read_config_file(path)
    from llmconsole.core.profiles import choose_profile

    choice = choose_profile(file_config, flag=profile, base_url=base_url, environ=env, demo=demo, path=path)
    credentials = ""
    if demo:
        url: str | None = DEMO_BASE_URL
        key = "demo-key"
    else:
        raw_url = base_url if base_url is not None else choice.base_url
        where = "--base-url" if base_url is not None else "OPENAI_BASE_URL"
        if base_url is None and choice.name:
            where = f"base_url of profile {choice.name!r}"
        url, credentials = split_base_url(raw_url, name=where) if raw_url else (None, "")
        key = env.get(choice.key_env, "").strip() if choice.key_command is None else ""
    return Settings(
        base_url=url,
        api_key=Secret(key),
        demo=demo,
        default_model=choice.default_model or file_config.default_model,
        system_prompt=file_config.system_prompt,
        compact_model=file_config.compact_model,
        reasoning_effort=file_config.reasoning_effort,
        idle_timeout=file_config.idle_timeout,
        discovery_timeout=file_config.discovery_timeout,
        allow_insecure_http=file_config.allow_insecure_http,
        models=dict(file_config.models),
        keys=dict(file_config.keys),
        paste_chip_lines=file_config.paste_chip_lines,
        theme=file_config.theme,
        mcp_servers=dict(file_config.mcp_servers),
        tools=file_config.tools,
        max_tool_rounds=file_config.max_tool_rounds,
        tool_timeout=file_config.tool_timeout,
        config_path=path if path.exists() else None,
        profile=None if demo else choice.name,
        profiles=tuple(file_config.profiles),
        source=choice.source,
        key_env=choice.key_env,
        key_command=None if demo else choice.key_command,
        url_credentials=Secret(credentials),
    )

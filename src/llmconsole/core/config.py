"""Configuration: environment (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``), an optional TOML file, flags.

The API key is a :class:`pydantic.SecretStr`: it never appears in ``repr``, logs or exceptions.
No flag takes the key (it would show in ``ps``).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from llmconsole.core import paths
from llmconsole.core.errors import ConfigError

ReasoningEffort = Literal["minimal", "low", "medium", "high"]

DEMO_BASE_URL = "http://demo.llmconsole.invalid"
"""Base URL of the in-process demo backend (never reaches the network)."""


class ModelOverride(BaseModel):
    """Per-model settings from ``[models."<id>"]`` in the config file. Unset fields change nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: bool | None = None
    """Force sending (true) or leaving out (false) ``store``."""
    prompt_cache_key: bool | None = None
    """Force sending (true) or leaving out (false) ``prompt_cache_key``."""
    max_output_tokens: int | None = Field(default=None, gt=0)
    """The ``max_output_tokens`` every request to this model carries."""
    context_window: int | None = Field(default=None, gt=0)
    """The model's context window, when the proxy and the name patterns get it wrong."""
    reasoning: bool | None = None
    """Whether to send ``reasoning`` settings."""
    images: bool | None = None
    """Whether the model accepts image input."""


class FileConfig(BaseModel):
    """What ``config.toml`` may hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_model: str | None = None
    """The model used when none is chosen (``-p`` and the app's first model)."""
    system_prompt: str | None = None
    """Sent as ``instructions`` with every request."""
    reasoning_effort: ReasoningEffort = "medium"
    """``reasoning.effort`` for reasoning models."""
    idle_timeout: float = Field(default=300.0, gt=0)
    """Seconds without a byte before a stream is declared stalled (reasoning models can think in silence)."""
    discovery_timeout: float = Field(default=3.0, gt=0)
    """Seconds allowed for ``/model/info`` before falling back to name patterns."""
    allow_insecure_http: bool = False
    """Silence the warning for a plain ``http://`` proxy on a non-loopback host (trusted networks)."""
    models: dict[str, ModelOverride] = Field(default_factory=dict)
    """Per-model overrides."""


class Settings(BaseModel):
    """Everything the core needs, frozen. Built once by :func:`load_settings` and passed down."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None = None
    """The proxy's root URL, normalised (no trailing ``/``, no ``/v1``); None when not configured."""
    api_key: SecretStr = SecretStr("")
    """The proxy key. Never printed."""
    demo: bool = False
    """Use the in-process demo backend."""
    default_model: str | None = None
    system_prompt: str | None = None
    reasoning_effort: ReasoningEffort = "medium"
    idle_timeout: float = 300.0
    discovery_timeout: float = 3.0
    connect_timeout: float = 10.0
    allow_insecure_http: bool = False
    models: dict[str, ModelOverride] = Field(default_factory=dict)
    config_path: Path | None = None
    """The config file that was read, if any."""

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
        return urlsplit(self.base_url).netloc or self.base_url

    def secrets(self) -> tuple[str, ...]:
        """Strings that must be redacted from anything shown or stored."""
        key = self.api_key.get_secret_value()
        return (key,) if key else ()

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
        try:
            if ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return (
            f"warning: {host} is plain http://: the API key travels unencrypted "
            "(set allow_insecure_http = true in config.toml on a trusted network)"
        )


def normalize_base_url(url: str) -> str:
    """``https://h/``, ``https://h/v1`` and ``https://h/v1/`` all become ``https://h``."""
    cleaned = url.strip()
    if not cleaned:
        raise ConfigError("OPENAI_BASE_URL is empty: export OPENAI_BASE_URL=https://your-proxy")
    if "://" not in cleaned:
        raise ConfigError(f"OPENAI_BASE_URL must start with http:// or https:// (got {cleaned!r})")
    scheme = cleaned.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"OPENAI_BASE_URL must start with http:// or https:// (got {scheme}://)")
    cleaned = cleaned.rstrip("/")
    while cleaned.lower().endswith("/v1"):
        cleaned = cleaned[:-3].rstrip("/")
    if not urlsplit(cleaned).netloc:
        raise ConfigError(f"OPENAI_BASE_URL has no host: {url!r}")
    return cleaned


def config_file_path() -> Path:
    """``config.toml`` in the user config directory (``LLMCONSOLE_CONFIG_DIR`` overrides it)."""
    return paths.config_dir() / "config.toml"


def read_config_file(path: Path) -> FileConfig:
    """Read and validate a config file; a missing file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FileConfig()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return FileConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None


def load_settings(
    *,
    base_url: str | None = None,
    demo: bool = False,
    environ: dict[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Build :class:`Settings` from flags (``base_url``, ``demo``), the environment and the config file.

    A missing ``OPENAI_BASE_URL`` is not an error here (the app shows how to connect); callers that
    need it use :attr:`Settings.v1_url`, which raises :class:`ConfigError` naming the variable.
    """
    env = os.environ if environ is None else environ
    path = config_path or config_file_path()
    file_config = read_config_file(path)
    if demo:
        url: str | None = DEMO_BASE_URL
        key = "demo-key"
    else:
        raw_url = base_url if base_url is not None else env.get("OPENAI_BASE_URL")
        url = normalize_base_url(raw_url) if raw_url else None
        key = env.get("OPENAI_API_KEY", "")
    return Settings(
        base_url=url,
        api_key=SecretStr(key),
        demo=demo,
        default_model=file_config.default_model,
        system_prompt=file_config.system_prompt,
        reasoning_effort=file_config.reasoning_effort,
        idle_timeout=file_config.idle_timeout,
        discovery_timeout=file_config.discovery_timeout,
        allow_insecure_http=file_config.allow_insecure_http,
        models=dict(file_config.models),
        config_path=path if path.exists() else None,
    )

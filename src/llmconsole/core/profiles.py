"""Profiles: named proxies in ``config.toml``, chosen by ``--profile``, ``LLMCONSOLE_PROFILE`` or ``default_profile``.

.. code-block:: toml

    default_profile = "work"

    [profiles.work]
    base_url = "https://litellm.corp.example"
    api_key_command = "~/bin/lite auth print-token --team $TEAM"   # split and expanded like a shell would,
                                                                    # run without one

    [profiles.home]
    base_url = "http://localhost:4000"
    api_key_env = "HOME_LITELLM_KEY"              # the NAME of a variable, never the key itself
    default_model = "gpt-5.2"                     # optional: this profile's first model

Without a selected profile, ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` work as before. A profile without
``api_key_env`` or ``api_key_command`` takes the key from ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from llmconsole.core.errors import ConfigError
from llmconsole.core.shellwords import check_syntax, split_words

if TYPE_CHECKING:
    from llmconsole.core.keycommand import KeyCommand

__all__ = [
    "PROFILE_ENV",
    "Profile",
    "ProfileChoice",
    "ProfileInvalid",
    "choose_profile",
    "parse_profiles",
]

PROFILE_ENV = "LLMCONSOLE_PROFILE"
"""The variable that selects a profile (``--profile`` wins over it)."""

_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYS = frozenset({"base_url", "api_key_env", "api_key_command", "default_model"})


class ProfileInvalid(ValueError):
    """One invalid value in ``[profiles]``: ``where`` (dotted key) and ``msg``."""

    def __init__(self, where: str, msg: str) -> None:
        super().__init__(f"{where}: {msg}")
        self.where = where
        self.msg = msg


@dataclass(frozen=True, slots=True)
class Profile:
    """One ``[profiles.NAME]`` table."""

    name: str
    base_url: str
    """The proxy's URL as written (normalised when the settings are built)."""
    api_key_env: str | None = None
    """The name of the variable that holds the key."""
    api_key_command: str | None = None
    """The command line that prints the key, as written (split and expanded when the profile is chosen:
    :func:`llmconsole.core.shellwords.split_words`)."""
    default_model: str | None = None
    """This profile's first model (overrides the file's ``default_model``)."""


def _string(where: str, value: object, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProfileInvalid(where, "Input should be a non-empty string")
    return value.strip()


def parse_profiles(value: object) -> dict[str, Profile]:
    """The ``profiles`` table; :class:`ProfileInvalid` on the first bad value."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ProfileInvalid("profiles", "Input should be a valid dictionary")
    profiles: dict[str, Profile] = {}
    for name, table in value.items():
        where = f"profiles.{name}"
        if not isinstance(table, Mapping):
            raise ProfileInvalid(where, "Input should be a valid dictionary")
        for key in table:
            if key not in _KEYS:
                raise ProfileInvalid(f"{where}.{key}", "Extra inputs are not permitted")
        base_url = _string(f"{where}.base_url", table.get("base_url"), required=True)
        env_name = _string(f"{where}.api_key_env", table.get("api_key_env"))
        command_line = _string(f"{where}.api_key_command", table.get("api_key_command"))
        if env_name is not None and command_line is not None:
            raise ProfileInvalid(where, "set api_key_env or api_key_command, not both")
        if env_name is not None and not _ENV_NAME_RE.match(env_name):
            raise ProfileInvalid(f"{where}.api_key_env", "should be the NAME of an environment variable")
        if command_line is not None:
            try:
                check_syntax(command_line)  # its syntax now; it is expanded when the profile is chosen
            except ValueError as exc:
                raise ProfileInvalid(f"{where}.api_key_command", f"cannot be split: {exc}") from None
        profiles[str(name)] = Profile(
            name=str(name),
            base_url=str(base_url),
            api_key_env=env_name,
            api_key_command=command_line,
            default_model=_string(f"{where}.default_model", table.get("default_model")),
        )
    return profiles


@dataclass(frozen=True, slots=True)
class ProfileChoice:
    """Where the proxy and its key come from, as :func:`choose_profile` decided."""

    name: str | None
    """The profile (None: the plain environment)."""
    base_url: str | None
    """The URL as configured (not yet normalised); None when nothing names one."""
    source: str
    """What decided: ``--profile``, ``LLMCONSOLE_PROFILE``, ``--base-url``, ``OPENAI_BASE_URL``, ..."""
    key_env: str = "OPENAI_API_KEY"
    key_command: KeyCommand | None = None
    default_model: str | None = None


class ProfilesConfig(Protocol):
    """What :func:`choose_profile` reads of the config file (``FileConfig``; no import of config: no cycle)."""

    @property
    def profiles(self) -> Mapping[str, Profile]: ...

    @property
    def default_profile(self) -> str | None: ...


def choose_profile(
    file_config: ProfilesConfig,
    *,
    flag: str | None,
    base_url: str | None,
    environ: Mapping[str, str],
    demo: bool = False,
    path: Path | None = None,
) -> ProfileChoice:
    """``--profile``, else ``LLMCONSOLE_PROFILE``, else ``--base-url``/``OPENAI_BASE_URL``, else ``default_profile``.

    An unknown profile name is a :class:`ConfigError` (one line listing the known ones).
    """
    profiles = file_config.profiles
    shown_path = path if path is not None and path.exists() else None
    candidates: list[tuple[str | None, str]] = [(flag, "--profile"), (environ.get(PROFILE_ENV) or None, PROFILE_ENV)]
    if not demo and base_url is None and not environ.get("OPENAI_BASE_URL"):
        where = f"default_profile in {shown_path}" if shown_path else "default_profile"
        candidates.append((file_config.default_profile, where))
    if demo:
        candidates = []
    for name, why in candidates:
        if name is None:
            continue
        profile = profiles.get(name)
        if profile is None:
            known = ", ".join(sorted(profiles)) or "none"
            where = f" in {shown_path}" if shown_path else ""
            raise ConfigError(f"unknown profile {name!r} (from {why}); known profiles{where}: {known}")
        command = None
        if profile.api_key_command is not None:
            from llmconsole.core.keycommand import KeyCommand  # subprocess: only when needed

            try:
                argv = split_words(profile.api_key_command, environ)  # ~ and $VAR as a shell would expand them
            except ValueError as exc:  # e.g. only an unset variable: nothing left to run
                raise ConfigError(f"profile {name!r}: api_key_command: {exc} once expanded") from None
            command = KeyCommand(argv, label=f"profile {name!r}: api_key_command")
        return ProfileChoice(
            name=name,
            base_url=profile.base_url,
            source=why,
            key_env=profile.api_key_env or "OPENAI_API_KEY",
            key_command=command,
            default_model=profile.default_model,
        )
    if base_url is not None:
        return ProfileChoice(name=None, base_url=base_url, source="--base-url")
    url = environ.get("OPENAI_BASE_URL") or None
    return ProfileChoice(name=None, base_url=url, source="OPENAI_BASE_URL" if url else "nothing")

"""Which certificates TLS trusts: the operating system's store (``truststore``) plus ``SSL_CERT_FILE``/``SSL_CERT_DIR``.

``truststore`` verifies against the OS store (Keychain on macOS, the Windows store, the distribution's bundle on
Linux), so a company CA installed the usual way is trusted. ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` add
certificates on top of it. (On Linux OpenSSL would otherwise let those variables *replace* the system bundle;
here the bundle is loaded as well.)
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmconsole.core.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from llmconsole.core.config import Settings

__all__ = ["TrustSources", "network_options", "ssl_context", "trust_sources"]

_LINUX_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/cert.pem",  # Alpine, Arch, BSD
    "/etc/ssl/ca-bundle.pem",  # SUSE
)


@dataclass(frozen=True, slots=True)
class TrustSources:
    """What a context trusts, for ``doctor`` (``system`` is always true)."""

    cert_file: str | None
    cert_dir: str | None
    system: bool = True

    def describe(self) -> str:
        parts = ["the system trust store"]
        if self.cert_file:
            parts.append(f"SSL_CERT_FILE={self.cert_file}")
        if self.cert_dir:
            parts.append(f"SSL_CERT_DIR={self.cert_dir}")
        return " + ".join(parts)


def trust_sources(environ: Mapping[str, str] | None = None) -> TrustSources:
    env = os.environ if environ is None else environ
    return TrustSources(cert_file=env.get("SSL_CERT_FILE") or None, cert_dir=env.get("SSL_CERT_DIR") or None)


def _system_bundle() -> str | None:
    compiled = ssl.get_default_verify_paths().openssl_cafile
    for candidate in (compiled, *_LINUX_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def ssl_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """A client context that verifies against the OS store plus ``SSL_CERT_FILE``/``SSL_CERT_DIR``.

    A variable naming a missing or unreadable file is a :class:`ConfigError` naming it.
    """
    import truststore

    sources = trust_sources(environ)
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for variable, value, kind in (
        ("SSL_CERT_FILE", sources.cert_file, "cafile"),
        ("SSL_CERT_DIR", sources.cert_dir, "capath"),
    ):
        if value is None:
            continue
        if not os.path.exists(value):
            raise ConfigError(f"{variable}={value} does not exist: point it at your CA bundle or unset it")
        try:
            context.load_verify_locations(**{kind: value})
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
            raise ConfigError(f"{variable}={value} cannot be used as CA certificates ({reason})") from None
    if (sources.cert_file or sources.cert_dir) and sys.platform.startswith("linux"):
        # OpenSSL's defaults (which truststore uses on Linux) follow the variables instead of the system bundle.
        bundle = _system_bundle()
        if bundle is not None:
            try:
                context.load_verify_locations(cafile=bundle)
            except (OSError, ssl.SSLError):  # pragma: no cover - a broken system bundle
                pass
    return context


def network_options(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """``httpx.AsyncClient`` arguments every connection to the proxy shares.

    TLS verified by :func:`ssl_context`, ``HTTPS_PROXY``/``NO_PROXY`` honoured (``trust_env``), and the key
    from ``api_key_command`` put on each request (fetched again once on a 401). With a ``transport``
    (tests, the demo) no TLS context is built.
    """
    options: dict[str, Any] = {"trust_env": True}
    if transport is None:
        options["verify"] = ssl_context()
    if settings.key_command is not None:
        from llmconsole.core.proxy.auth import CommandAuth

        options["auth"] = CommandAuth(settings.key_command)
    return options

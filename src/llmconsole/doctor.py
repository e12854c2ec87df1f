"""``llmconsole doctor [--probe [MODEL...]]``: why llmconsole can (or cannot) talk to the proxy, one line per check.

    ok           configuration  profile 'work' (--profile), /home/me/.config/llmconsole/config.toml
    ok           key            from api_key_command (lite), 64 characters
    ok           URL            https://litellm.corp.example:443
    ok           proxy          via http://proxy.corp:3128 (HTTPS_PROXY; NO_PROXY=localhost)
    ok           DNS            proxy.corp -> 10.1.2.3 (litellm.corp.example is resolved by the proxy)
    ok           TCP connect    proxy.corp:3128 in 2 ms
    fail         TLS handshake  certificate verify failed: self-signed certificate in certificate chain
                                — fix: export SSL_CERT_FILE=/path/to/company-ca.pem (or add the CA to the system store)

Required checks: configuration, key, URL, DNS, TCP connect, TLS handshake, ``/v1/models``. Optional ones
(``/model/info``, ``/key/info``, ``/utils/token_counter``) that a proxy does not offer are "not offered", never
a failure. Each failure carries its fix on the same line. Exit 0 when every required check passes, 4 when one
fails, 2 for a configuration error. No key is ever printed. Imports neither textual nor rich.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TextIO
from urllib.parse import urlsplit

from llmconsole.core.errors import ConfigError, LLMConsoleError
from llmconsole.core.jsondoc import DocumentError, read_document
from llmconsole.core.redact import one_line, redact

if TYPE_CHECKING:
    import httpx

    from llmconsole.core.config import Settings
    from llmconsole.core.proxy.client import ProxyClient
    from llmconsole.core.proxy.models import ModelInfo

PROG = "llmconsole doctor"
EXIT_OK, EXIT_CONFIG, EXIT_FAIL = 0, 2, 4
NET_TIMEOUT = 5.0
"""Seconds for each DNS, TCP and TLS step."""
PROBE_MAX_OUTPUT_TOKENS = 16
"""The probe's output cap: the smallest the Responses API accepts (16), so the reply stays a few tokens long."""
PROBE_CONCURRENCY = 4
"""Probes running at once (a proxy with many models is not sent them all together)."""

Status = Literal["ok", "fail", "warn", "not offered", "skip", "info"]

DESCRIPTION = """\
Check, one line each, what stands between llmconsole and the proxy: where the configuration came from,
the key, the URL, DNS, the TCP connection, the proxy variables (HTTPS_PROXY, NO_PROXY), the TLS handshake,
/v1/models (a 401/403 explained), /model/info, /key/info (budget left) and /utils/token_counter.
A failing check says how to fix it. Endpoints a proxy does not offer are "not offered", not failures."""

EPILOG = """\
--probe sends one tiny request (at most 16 output tokens) to every chat model, or to the models named,
and reports the endpoint used, the parameters learned and the latency.

exit codes: 0 every required check passed · 2 configuration error · 4 a check failed
No key is printed: keys from api_key_command or variables are only ever sent to the proxy."""


@dataclass
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str
    fix: str | None = None
    config_error: bool = False
    """A failure of the configuration itself (exit 2)."""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    secrets: tuple[str, ...] = ()
    out: TextIO = sys.stdout

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        detail = redact(check.detail, self.secrets)
        line = f"{check.status:<12} {check.name:<20} {one_line(detail, 400)}"
        if check.fix:
            line += f" — fix: {one_line(redact(check.fix, self.secrets), 300)}"
        self.out.write(line.rstrip() + "\n")
        self.out.flush()
        return check

    @property
    def exit_code(self) -> int:
        failed = [c for c in self.checks if c.status == "fail"]
        if any(c.config_error for c in failed):
            return EXIT_CONFIG
        return EXIT_FAIL if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--probe",
        nargs="*",
        metavar="MODEL",
        help="also send a 1-line request to every chat model (or to the MODELs named)",
    )
    parser.add_argument("--profile", metavar="NAME", help="check [profiles.NAME] of config.toml")
    parser.add_argument("--base-url", metavar="URL", help="check this proxy URL (overrides OPENAI_BASE_URL)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return asyncio.run(run(args))


# -- the checks ------------------------------------------------------------------------------------------


def _describe_source(settings: Settings) -> str:
    path = f", {settings.config_path}" if settings.config_path else ""
    if settings.profile:
        return f"profile {settings.profile!r} ({settings.source}){path}"
    if settings.source == "--base-url":
        return f"--base-url{path}"
    return f"OPENAI_BASE_URL from the environment{path}"


async def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Every check, one line each, then a summary line; the exit code."""
    report = Report(out=out or sys.stdout)
    started = time.monotonic()
    await _run_checks(report, args)
    report.out.write(f"{'done':<12} {'':<20} {_summary(report)} in {time.monotonic() - started:.2f} s\n")
    return report.exit_code


async def _run_checks(report: Report, args: argparse.Namespace) -> None:
    from llmconsole.core.config import load_settings

    try:
        settings = load_settings(base_url=args.base_url, profile=args.profile)
    except ConfigError as exc:
        about_url = any(word in exc.message for word in ("BASE_URL", "base_url", "--base-url"))
        name = "URL" if about_url else "configuration"
        report.add(Check(name, "fail", exc.message, _config_fix(exc.message), config_error=True))
        return
    if not settings.base_url:
        report.add(
            Check(
                "configuration",
                "fail",
                "no proxy configured",
                "export OPENAI_BASE_URL=https://your-litellm-proxy, or use --profile NAME / default_profile",
                config_error=True,
            )
        )
        return
    report.add(Check("configuration", "ok", _describe_source(settings)))
    key_ok = await _check_key(report, settings)
    report.secrets = settings.secrets()

    url_check = _check_url(report, settings)
    if url_check.status == "fail":
        return
    parts = urlsplit(settings.base_url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    proxy = _check_proxy_vars(report, settings.base_url)
    if proxy is not None and proxy.status == "fail":
        return
    proxy_url = proxy.proxy_url if proxy is not None else None
    tls_ready = await _check_connection(report, settings, host, port, https, proxy_url)
    if not tls_ready:
        _skip(report, "/v1/models", "the connection failed")
        return
    if not key_ok:
        _skip(report, "/v1/models", "no key")
        return

    from llmconsole.core.proxy.client import ProxyClient

    try:
        async with ProxyClient(settings) as client:
            models = await _check_models(report, client, settings)
            if models is not None:
                await _check_model_info(report, client, settings)
                await _check_key_info(report, client, settings)
                await _check_token_counter(report, client, settings, models)
                if args.probe is not None:
                    await _probe(report, client, models, args.probe)
    except ConfigError as exc:  # the key command failed on a refresh, or SSL_CERT_FILE is broken
        report.add(Check("configuration", "fail", exc.message, _config_fix(exc.message), config_error=True))


def _summary(report: Report) -> str:
    failed = [c.name for c in report.checks if c.status == "fail"]
    if not failed:
        return f"{len(report.checks)} checks, every required one passed"
    return f"{len(failed)} failed ({', '.join(dict.fromkeys(failed))})"


def _skip(report: Report, name: str, why: str) -> None:
    report.add(Check(name, "skip", f"not checked: {why}"))


def _config_fix(message: str) -> str:
    if "unknown profile" in message:
        return "use one of the known profiles, or add [profiles.NAME] to config.toml"
    if any(word in message for word in ("BASE_URL", "base_url", "--base-url")):
        return "correct the URL: https://host[:port][/path], with or without /v1"
    return "correct the value named above"


async def _check_key(report: Report, settings: Settings) -> bool:
    command = settings.key_command
    if command is not None:
        import anyio.to_thread

        started = time.monotonic()
        try:
            key = await anyio.to_thread.run_sync(command.key)
        except ConfigError as exc:
            report.add(Check("key", "fail", exc.message, "run the command by hand, then fix it in config.toml", True))
            return False
        took = time.monotonic() - started
        report.add(Check("key", "ok", f"from api_key_command ({command.program}), {len(key)} characters, {took:.2f} s"))
        return True
    key = settings.api_key.get_secret_value()
    where = f" (profile {settings.profile!r})" if settings.profile else ""
    if not key and settings.url_credentials.get_secret_value():
        report.add(Check("key", "ok", f"no {settings.key_env}: the URL's user name and password (basic auth)"))
        return True
    if not key:
        report.add(
            Check(
                "key",
                "fail",
                f"{settings.key_env} is not set{where}",
                f"export {settings.key_env}=<your proxy key>",
                config_error=True,
            )
        )
        return False
    if key != key.strip() or any(ch in key for ch in "\r\n"):
        report.add(
            Check("key", "fail", f"{settings.key_env} has spaces or a line break around it", "export it again", True)
        )
        return False
    report.add(Check("key", "ok", f"from {settings.key_env}{where}, {len(key)} characters"))
    return True


def _check_url(report: Report, settings: Settings) -> Check:
    assert settings.base_url is not None
    parts = urlsplit(settings.base_url)
    try:
        port = parts.port
    except ValueError:
        return report.add(
            Check("URL", "fail", f"{settings.base_url}: the port is not a number", "fix the URL", config_error=True)
        )
    if not parts.hostname:
        return report.add(Check("URL", "fail", f"{settings.base_url}: no host", "fix the URL", config_error=True))
    default = 443 if parts.scheme == "https" else 80
    shown = f"{parts.scheme}://{parts.netloc}{parts.path} (API at {settings.base_url}/v1, port {port or default})"
    if settings.url_credentials.get_secret_value():
        shown += "; a user name and password from the URL (basic auth when there is no key)"
    warning = settings.insecure_warning()
    if warning:
        return report.add(Check("URL", "warn", shown + " — " + warning.removeprefix("warning: ")))
    return report.add(Check("URL", "ok", shown))


@dataclass
class _ProxyCheck:
    status: Status
    proxy_url: str | None


def _env_proxy(environ: Mapping[str, str], scheme: str) -> tuple[str | None, str | None]:
    """The proxy for ``scheme`` and the variable it came from (httpx's rules: lower case first)."""
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
        value = environ.get(name)
        if value:
            return value, name
    return None, None


def _hide_password(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.password is None and parts.username is None:
        return url
    netloc = f"***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def _check_proxy_vars(report: Report, base_url: str) -> _ProxyCheck | None:
    """Which proxy (if any) httpx will use for ``base_url``, and which variable says so."""
    import httpx
    from httpx._utils import URLPattern, get_environment_proxies  # private: pinned by tests/test_private_apis.py

    environ = os.environ
    scheme = urlsplit(base_url).scheme
    raw, variable = _env_proxy(environ, scheme)
    no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    no_proxy_text = f"NO_PROXY={no_proxy}" if no_proxy else "NO_PROXY not set"
    if raw is None:
        report.add(Check("proxy", "ok", f"direct (no {scheme.upper()}_PROXY or ALL_PROXY set)"))
        return _ProxyCheck("ok", None)
    url = httpx.URL(base_url)
    chosen: str | None = None  # no pattern matches: httpx uses its default transport (direct)
    patterns = sorted(((URLPattern(k), v) for k, v in get_environment_proxies().items()), key=lambda kv: kv[0])
    for pattern, value in patterns:
        if pattern.matches(url):
            chosen = value
            break
    shown = _hide_password(raw)
    if chosen is None:  # NO_PROXY names the host, or is `*` (httpx then mounts nothing: every URL goes direct)
        report.add(Check("proxy", "ok", f"direct: {no_proxy_text} covers {url.host} ({variable}={shown} unused)"))
        return _ProxyCheck("ok", None)
    proxy_url = chosen
    proxy_scheme = urlsplit(proxy_url).scheme
    if proxy_scheme not in ("http", "https", "socks5", "socks5h"):
        report.add(
            Check(
                "proxy",
                "fail",
                f"{variable}={shown}: {proxy_scheme}:// proxies are not supported",
                f"use http://host:port in {variable}",
                config_error=True,
            )
        )
        return _ProxyCheck("fail", None)
    if proxy_scheme.startswith("socks"):
        import importlib.util

        if importlib.util.find_spec("socksio") is None:
            report.add(
                Check(
                    "proxy",
                    "fail",
                    f"{variable}={shown}: a SOCKS proxy needs the socksio package",
                    "pip install socksio (into llmconsole's environment), or use an http:// proxy",
                    config_error=True,
                )
            )
            return _ProxyCheck("fail", None)
    report.add(Check("proxy", "ok", f"via {_hide_password(proxy_url)} ({variable}; {no_proxy_text})"))
    return _ProxyCheck("ok", proxy_url)


async def _check_connection(
    report: Report, settings: Settings, host: str, port: int, https: bool, proxy_url: str | None
) -> bool:
    """DNS, TCP connect and (for https) the TLS handshake, through the proxy when one is in effect."""
    if proxy_url is not None:
        proxy_parts = urlsplit(proxy_url)
        connect_host = proxy_parts.hostname or ""
        connect_port = proxy_parts.port or (
            443 if proxy_parts.scheme == "https" else 1080 if "socks" in proxy_parts.scheme else 80
        )
        note = f" ({host} is resolved by the proxy)"
    else:
        connect_host, connect_port, note = host, port, ""
    addresses = await _check_dns(report, connect_host, connect_port, note, proxied=proxy_url is not None)
    if addresses is None:
        _skip(report, "TCP connect", "DNS failed")
        return False
    connection = await _check_tcp(report, connect_host, connect_port, addresses, proxied=proxy_url is not None)
    if connection is None:
        if https:
            _skip(report, "TLS handshake", "no connection")
        return False
    reader, writer = connection
    try:
        if proxy_url is not None and https:
            if urlsplit(proxy_url).scheme != "http":
                report.add(Check("TLS handshake", "skip", f"not checked through a {urlsplit(proxy_url).scheme} proxy"))
                return True
            if not await _connect_tunnel(report, reader, writer, host, port, proxy_url):
                return False
        if not https:
            report.add(Check("TLS handshake", "skip", "plain http: no TLS"))
            return True
        return await _check_tls(report, writer, host)
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


async def _check_dns(report: Report, host: str, port: int, note: str, *, proxied: bool) -> list[tuple[Any, ...]] | None:
    what = "the proxy's host" if proxied else "the host"
    try:
        ipaddress.ip_address(host.strip("[]"))
        report.add(Check("DNS", "ok", f"{host} is an IP address: nothing to resolve{note}"))
        return [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), port))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), NET_TIMEOUT)
    except TimeoutError:
        report.add(Check("DNS", "fail", f"{host}: no answer within {NET_TIMEOUT:g} s", "check your DNS server or VPN"))
        return None
    except socket.gaierror as exc:
        fix = f"check {what} name" + (" in HTTPS_PROXY" if proxied else " in the URL") + ", your VPN or DNS"
        report.add(Check("DNS", "fail", f"{host}: {exc.strerror or exc}", fix))
        return None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    took = (time.monotonic() - started) * 1000
    shown = ", ".join(addresses[:3]) + (" …" if len(addresses) > 3 else "")
    report.add(Check("DNS", "ok", f"{host} -> {shown} in {took:.0f} ms{note}"))
    return [(info[0], info[4]) for info in infos]


async def _check_tcp(
    report: Report, host: str, port: int, addresses: list[tuple[Any, ...]], *, proxied: bool
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    started = time.monotonic()
    errors: list[str] = []
    timed_out = False
    for _family, sockaddr in addresses[:4]:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(sockaddr[0], sockaddr[1]), NET_TIMEOUT)
        except TimeoutError:
            timed_out = True
            errors.append(f"{sockaddr[0]}: no answer within {NET_TIMEOUT:g} s")
            continue
        except OSError as exc:
            errors.append(f"{sockaddr[0]}: {os.strerror(exc.errno) if exc.errno else exc}")
            continue
        took = (time.monotonic() - started) * 1000
        what = "the proxy " if proxied else ""
        report.add(Check("TCP connect", "ok", f"{what}{host}:{port} ({sockaddr[0]}) in {took:.0f} ms"))
        return reader, writer
    refused = any("refused" in e.lower() for e in errors)
    if proxied:
        fix = f"is the proxy in HTTPS_PROXY running on port {port}?"
    elif refused:
        fix = f"nothing listens on {host}:{port}: is the proxy running, and is the port in the URL right?"
    elif timed_out:
        fix = "a firewall drops the connection: are you on the VPN, or does your network need HTTPS_PROXY?"
    else:
        fix = "check the host and port in the URL, your network and VPN"
    report.add(Check("TCP connect", "fail", f"{host}:{port}: " + "; ".join(errors), fix))
    return None


async def _connect_tunnel(
    report: Report,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    port: int,
    proxy_url: str,
) -> bool:
    """``CONNECT host:port`` through an http:// proxy (credentials from the proxy URL, as httpx sends them)."""
    import base64

    parts = urlsplit(proxy_url)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if parts.username is not None:
        from urllib.parse import unquote

        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(token).decode()}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), NET_TIMEOUT)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        report.add(
            Check(
                "TLS handshake",
                "fail",
                f"the proxy did not open a tunnel to {target} ({type(exc).__name__})",
                "check HTTPS_PROXY: is it an HTTP proxy?",
            )
        )
        return False
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    code = fields[1] if len(fields) > 1 else "?"
    if code != "200":
        fix = (
            "put the proxy's user and password in HTTPS_PROXY (http://user:password@host:port)"
            if code == "407"
            else f"the proxy refuses {target}: ask its admin, or add the host to NO_PROXY if it is internal"
        )
        report.add(Check("TLS handshake", "fail", f"the proxy answered CONNECT with {status_line[:80]!r}", fix))
        return False
    return True


async def _check_tls(report: Report, writer: asyncio.StreamWriter, host: str) -> bool:
    from llmconsole.core.proxy.trust import ssl_context, trust_sources

    try:
        context = ssl_context()
    except ConfigError as exc:
        report.add(Check("TLS handshake", "fail", exc.message, "fix or unset the variable", config_error=True))
        return False
    trusted = trust_sources().describe()
    started = time.monotonic()
    try:
        await asyncio.wait_for(writer.start_tls(context, server_hostname=host), NET_TIMEOUT)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        report.add(
            Check(
                "TLS handshake",
                "fail",
                f"certificate verify failed: {reason} (trusted: {trusted})",
                _tls_fix(reason, host),
            )
        )
        return False
    except TimeoutError:
        report.add(Check("TLS handshake", "fail", f"no TLS answer within {NET_TIMEOUT:g} s", "is the port a TLS port?"))
        return False
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        fix = (
            "the server does not speak TLS on this port: use http:// in the URL, or the proxy's https port"
            if "wrong_version_number" in str(reason).lower() or "wrong version number" in str(exc).lower()
            else "check the URL's scheme and port"
        )
        report.add(Check("TLS handshake", "fail", f"{reason}", fix))
        return False
    took = (time.monotonic() - started) * 1000
    ssl_object = writer.get_extra_info("ssl_object")
    version = ssl_object.version() if ssl_object is not None else "TLS"
    report.add(
        Check("TLS handshake", "ok", f"{version}, certificate for {host} verified by {trusted} in {took:.0f} ms")
    )
    return True


def _tls_fix(reason: str, host: str) -> str:
    lowered = reason.lower()
    if "hostname mismatch" in lowered or "ip address mismatch" in lowered:
        return f"the certificate is not for {host}: use the host name the certificate names"
    if "expired" in lowered or "not yet valid" in lowered:
        return "the server's certificate is out of date (or this machine's clock is wrong)"
    return (
        "if your company inspects TLS, export SSL_CERT_FILE=/path/to/company-ca.pem "
        "or install that CA in the system trust store"
    )


async def _get(client: ProxyClient, path: str, timeout: float) -> httpx.Response | str:
    """A GET through the app's own HTTP client (same TLS, proxy and key); a string when it did not connect."""
    import httpx

    try:
        return await client.http.get(path, timeout=timeout)
    except httpx.HTTPError as exc:
        return one_line(str(exc) or type(exc).__name__, 200)


def _server_message(response: httpx.Response, settings: Settings) -> str:
    from llmconsole.core.proxy.http_errors import error_from_response

    error = error_from_response(
        response.status_code, response.headers, response.content, model=None, secrets=settings.secrets()
    )
    return error.message


async def _check_models(report: Report, client: ProxyClient, settings: Settings) -> list[ModelInfo] | None:
    from llmconsole.core.proxy import discovery

    started = time.monotonic()
    response = await _get(client, "/models", settings.connect_timeout + 10)
    if isinstance(response, str):
        report.add(Check("/v1/models", "fail", response, "see the lines above: the connection works there?"))
        return None
    took = (time.monotonic() - started) * 1000
    status = response.status_code
    key_from = "the profile's api_key_command" if settings.key_command else settings.key_env
    if status in (401, 403):
        message = _server_message(response, settings)
        if status == 401:
            again = " (a fresh key from the command was refused too)" if settings.key_command else ""
            fix = f"the proxy does not accept the key in {key_from}{again}: it may be wrong, expired or blocked"
        else:
            fix = "the key is valid but may not list models: ask the proxy's admin for access to models"
        report.add(Check("/v1/models", "fail", message, fix))
        return None
    if status == 404:
        report.add(
            Check(
                "/v1/models",
                "fail",
                f"HTTP 404 at {settings.base_url}/v1/models",
                "the URL is not an OpenAI-compatible API root: use the proxy's base URL (with or without /v1)",
            )
        )
        return None
    if status >= 400:
        report.add(Check("/v1/models", "fail", _server_message(response, settings), "see the proxy's logs"))
        return None
    try:
        payload = read_document(response.content)
    except DocumentError as exc:
        kind = response.headers.get("content-type", "unknown").split(";")[0]
        report.add(
            Check(
                "/v1/models",
                "fail",
                f"HTTP {status} with {kind}, {exc.reason}",
                "a login page or another server answers: check the URL (and NO_PROXY/HTTPS_PROXY)",
            )
        )
        return None
    ids = discovery.parse_model_ids(payload)
    if not ids and not (isinstance(payload, dict) and isinstance(payload.get("data"), list)):
        report.add(Check("/v1/models", "fail", "the answer has no model list", "is the URL an OpenAI-compatible API?"))
        return None
    models = [
        discovery.build_model(model_id, [], settings, client.learned.rejected(client.proxy_key, model_id))
        for model_id in ids
    ]
    chat = [m for m in models if m.is_chat]
    shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
    report.add(Check("/v1/models", "ok", f"{len(ids)} models ({shown}) in {took:.0f} ms"))
    return chat


def _not_offered(status: int) -> bool:
    return status in (404, 405, 501)


async def _check_model_info(report: Report, client: ProxyClient, settings: Settings) -> None:
    from llmconsole.core.proxy import discovery

    root = settings.base_url
    last: httpx.Response | str | None = None
    for path in (f"{root}/v1/model/info", f"{root}/model/info"):
        response = await _get(client, path, settings.discovery_timeout + 5)
        last = response
        if isinstance(response, str) or response.status_code >= 400:
            continue
        try:
            groups = discovery.group_model_info(read_document(response.content))
        except ValueError:
            continue
        report.add(Check("/model/info", "ok", f"capabilities and prices for {len(groups)} models"))
        return
    if isinstance(last, str):
        report.add(Check("/model/info", "warn", f"{last} (capabilities from name patterns)"))
    elif last is not None and (_not_offered(last.status_code) or last.status_code < 400):
        report.add(Check("/model/info", "not offered", "not a LiteLLM proxy? capabilities come from name patterns"))
    elif last is not None and last.status_code in (401, 403):
        report.add(Check("/model/info", "not offered", f"not for this key (HTTP {last.status_code}): name patterns"))
    elif last is not None:
        report.add(Check("/model/info", "warn", _server_message(last, settings)))


def _no_database(text: str) -> bool:
    """LiteLLM without a database: "Database not connected. Connect a database…" / "No connected db." """
    return ("database" in text or " db" in text) and ("not connected" in text or "no connected" in text)


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


async def _check_key_info(report: Report, client: ProxyClient, settings: Settings) -> None:
    response = await _get(client, f"{settings.base_url}/key/info", settings.discovery_timeout + 5)
    if isinstance(response, str):
        report.add(Check("/key/info", "warn", response))
        return
    status = response.status_code
    text = response.text[:2000].lower()
    if status >= 400:
        if _not_offered(status):
            report.add(Check("/key/info", "not offered", "no key information at this server"))
        elif _no_database(text):
            report.add(Check("/key/info", "not offered", "the proxy has no database (no budgets, no key info)"))
        elif status in (401, 403):
            report.add(Check("/key/info", "not offered", f"not for this key (HTTP {status})"))
        else:
            report.add(Check("/key/info", "warn", _server_message(response, settings)))
        return
    try:
        payload = read_document(response.content)
    except ValueError:
        payload = None
    info = payload.get("info") if isinstance(payload, dict) else None
    if not isinstance(info, dict):
        report.add(Check("/key/info", "not offered", "the answer has no key information"))
        return

    def number(value: Any) -> float | None:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    alias = info.get("key_alias")
    spend, budget = number(info.get("spend")), number(info.get("max_budget"))
    who = f"key {alias!r}" if isinstance(alias, str) and alias else "the key"
    spent = _money(spend) if spend is not None else "an unknown amount"
    if budget is None:
        report.add(Check("/key/info", "ok", f"{who}: spent {spent}, no budget set"))
        return
    left = budget - (spend or 0.0)
    if left <= 0:
        report.add(
            Check(
                "/key/info",
                "fail",
                f"{who}: spent {spent} of {_money(budget)}: budget exhausted",
                "ask the proxy's admin to raise the key's max_budget",
            )
        )
        return
    report.add(Check("/key/info", "ok", f"{who}: spent {spent} of {_money(budget)}, {_money(left)} left"))


async def _check_token_counter(
    report: Report, client: ProxyClient, settings: Settings, models: list[ModelInfo]
) -> None:
    import httpx

    if not models:
        report.add(Check("/utils/token_counter", "skip", "no chat model to count for"))
        return
    body = {"model": models[0].id, "messages": [{"role": "user", "content": "How many tokens is this?"}]}
    try:
        response = await client.http.post(
            f"{settings.base_url}/utils/token_counter",
            content=json.dumps(body).encode(),
            timeout=settings.discovery_timeout + 5,
        )
    except httpx.HTTPError as exc:
        report.add(Check("/utils/token_counter", "warn", one_line(str(exc) or type(exc).__name__, 200)))
        return
    if response.status_code >= 400:
        if _not_offered(response.status_code) or response.status_code in (401, 403):
            report.add(Check("/utils/token_counter", "not offered", "context estimates use a local count"))
        else:
            report.add(Check("/utils/token_counter", "warn", _server_message(response, settings)))
        return
    try:
        total = read_document(response.content).get("total_tokens")
    except (ValueError, AttributeError):
        total = None
    if not isinstance(total, int):
        report.add(Check("/utils/token_counter", "not offered", "the answer has no token count"))
        return
    report.add(Check("/utils/token_counter", "ok", f"{total} tokens for a short prompt to {models[0].id}"))


async def _probe(report: Report, client: ProxyClient, models: list[ModelInfo], wanted: list[str]) -> None:
    """One tiny request per model: the endpoint used, what was learned, the latency."""
    from dataclasses import replace

    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.config import ModelOverride
    from llmconsole.core.events import Completed, Failed, Incomplete, ResponseStarted, TextDelta

    discovered = await client.discover()  # the full discovery: /model/info, overrides, what was learned
    by_id = {m.id: m for m in discovered}
    if wanted:
        targets = []
        for model_id in wanted:
            model = by_id.get(model_id)
            if model is None:
                report.add(Check("probe", "fail", f"{model_id}: not served by this proxy", "llmconsole --list-models"))
            else:
                targets.append(model)
    else:
        targets = discovered
    # The probe asks for very little output; a per-model override carries the cap into the request.
    overrides = dict(client.settings.models)
    for model in targets:
        base = overrides.get(model.id) or ModelOverride()
        overrides[model.id] = replace(base, max_output_tokens=PROBE_MAX_OUTPUT_TOKENS)
    client.settings = replace(client.settings, models=overrides)

    async def one(model: ModelInfo) -> Check:
        before = client.learned.rejected(client.proxy_key, model.id)
        conversation = Conversation(model=model.id)
        conversation.add_user("Reply with the single word: ok")
        started = time.monotonic()
        first: float | None = None
        outcome = "no answer"
        endpoint: str = model.endpoint
        failed: Failed | None = None
        try:
            stream = client.stream_response(model, conversation.to_request(), reasoning_effort="low")
            async for event in stream:
                if isinstance(event, ResponseStarted):
                    endpoint = event.endpoint  # the API that answered (after a fallback: chat)
                    continue
                if isinstance(event, TextDelta) and first is None:
                    first = time.monotonic() - started
                elif isinstance(event, Completed):
                    outcome = f"{event.usage.output_tokens} tokens out"
                elif isinstance(event, Incomplete):
                    outcome = f"stopped at the cap ({event.reason})"
                elif isinstance(event, Failed):
                    failed = event
        except LLMConsoleError as exc:
            return Check("probe", "fail", f"{model.id}: {exc.message}", _probe_fix(exc))
        total = time.monotonic() - started
        if failed is not None:
            return Check("probe", "fail", f"{model.id}: {failed.error.message}", _probe_fix(failed.error))
        learned = sorted(client.learned.rejected(client.proxy_key, model.id) - before)
        learned_text = f"learned: drops {', '.join(learned)}" if learned else "nothing learned"
        ttft = f"first token {first * 1000:.0f} ms, " if first is not None else ""
        return Check(
            "probe",
            "ok",
            f"{model.id}: {_ENDPOINT_PATHS.get(endpoint, endpoint)}, {outcome}; "
            f"{ttft}total {total * 1000:.0f} ms; {learned_text}",
        )

    from functools import partial

    from llmconsole.progress import LiveLine, run_in_order

    # At most PROBE_CONCURRENCY at once; each line as soon as it and the ones above it are done, in the models'
    # order; on a terminal a live line below says which are still running.
    jobs = [(model.id, partial(one, model)) for model in targets]
    live = LiveLine.for_stream(report.out)
    await run_in_order(jobs, report.add, limit=PROBE_CONCURRENCY, live=live, what="probing")


_ENDPOINT_PATHS = {"responses": "/v1/responses", "chat": "/v1/chat/completions"}


def _probe_fix(error: LLMConsoleError) -> str:
    from llmconsole.core.errors import AuthenticationError, BudgetError, ContentFilterError, RateLimitError

    if isinstance(error, BudgetError):
        return "a budget is spent: waiting does not help; the proxy's admin can raise it"
    if isinstance(error, ContentFilterError):
        return "a content filter blocked the probe's prompt (the model is reachable)"
    if isinstance(error, RateLimitError):
        return "rate limited: try again later (the model works)"
    if isinstance(error, AuthenticationError):
        return "the key may not use this model: ask the proxy's admin"
    return "see the message; llmconsole -p 'hi' --model ID --debug shows more"

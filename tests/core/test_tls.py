"""TLS: verified against the OS trust store (truststore) plus SSL_CERT_FILE / SSL_CERT_DIR, with a throwaway CA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmconsole.core.config import Settings
from llmconsole.core.errors import ProxyConnectionError
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.secret import Secret

# -- the system trust store (truststore) plus SSL_CERT_FILE / SSL_CERT_DIR, with a throwaway CA -----------------


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from tests.netservers import OpenAIServer, throwaway_ca

    with throwaway_ca(tmp_path) as (_ca, pem, server_context), OpenAIServer(["ca-model"], tls=server_context) as srv:
        yield srv.url, pem


def test_the_context_is_the_system_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    import truststore

    from llmconsole.core.proxy.trust import ssl_context

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ssl_context()
    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.anyio
async def test_unknown_ca_refused_then_trusted_through_ssl_cert_file(
    throwaway: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, pem = throwaway
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with ProxyClient(Settings(base_url=url, api_key=Secret("sk-tls"))) as client:
        with pytest.raises(ProxyConnectionError, match="(?i)certificate verify failed"):
            await client.discover()
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    async with ProxyClient(Settings(base_url=url, api_key=Secret("sk-tls"))) as client:
        assert [m.id for m in await client.discover()] == ["ca-model"]
    # OpenSSL reads SSL_CERT_FILE by itself on Linux, so the lines above pass without our code: here the variable
    # reaches ssl_context() alone (the process environment does not have it), so only our loading trusts the CA.
    monkeypatch.delenv("SSL_CERT_FILE")
    await assert_refused_then_trusted(url, {"SSL_CERT_FILE": str(pem)})


async def assert_refused_then_trusted(url: str, environ: dict[str, str]) -> None:
    """``ssl_context(environ)`` trusts the server's CA; ``ssl_context({})`` does not."""
    import httpx

    from llmconsole.core.proxy.trust import ssl_context

    async with httpx.AsyncClient(verify=ssl_context({}), trust_env=False) as http:
        with pytest.raises(httpx.ConnectError, match="(?i)certificate verify failed"):
            await http.get(f"{url}/v1/models")
    async with httpx.AsyncClient(verify=ssl_context(environ), trust_env=False) as http:
        assert (await http.get(f"{url}/v1/models")).status_code == 200


@pytest.mark.anyio
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for the subject hash")
async def test_ssl_cert_dir_is_honoured(
    throwaway: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, pem = throwaway
    folder = tmp_path / "certs"
    folder.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(pem)], capture_output=True, text=True, check=True
    ).stdout.strip()
    (folder / f"{subject_hash}.0").write_bytes(pem.read_bytes())
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    async with ProxyClient(Settings(base_url=url, api_key=Secret("sk-tls"))) as client:
        assert [m.id for m in await client.discover()] == ["ca-model"]
    monkeypatch.delenv("SSL_CERT_DIR")  # as above: only our code sees the folder now
    await assert_refused_then_trusted(url, {"SSL_CERT_DIR": str(folder)})


@pytest.mark.anyio
async def test_ssl_cert_file_adds_to_the_system_bundle(
    throwaway: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """OpenSSL lets SSL_CERT_FILE replace the system bundle; here it is added to it (server by the "system" CA)."""
    import trustme

    from llmconsole.core.proxy import trust

    url, system_pem = throwaway  # this CA plays the system bundle
    other = trustme.CA()
    other_pem = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(other_pem))
    monkeypatch.setattr(trust, "_system_bundle", lambda: str(system_pem))
    monkeypatch.setattr(trust.sys, "platform", "linux")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with ProxyClient(Settings(base_url=url, api_key=Secret("sk-tls"))) as client:
        assert [m.id for m in await client.discover()] == ["ca-model"]


def test_a_missing_ssl_cert_file_is_one_config_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from llmconsole.core.errors import ConfigError
    from llmconsole.core.proxy.trust import ssl_context

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE=.*missing\.pem does not exist"):
        ssl_context()
    (tmp_path / "garbage.pem").write_text("not a certificate")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "garbage.pem"))
    with pytest.raises(ConfigError, match="cannot be used as CA certificates"):
        ssl_context()

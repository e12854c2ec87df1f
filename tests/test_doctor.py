"""``llmconsole doctor`` against real servers: a closed port, a TLS server with an unknown CA, a bare
OpenAI-compatible server, a real forward proxy (proxy.py) in HTTPS_PROXY. (The LiteLLM proxy: tests/integration.)"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmconsole.cli import main
from tests.faultserver import closed_port
from tests.netservers import ForwardProxy, OpenAIServer, throwaway_ca

KEY = "sk-doctor-secret-0123456789"
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
PROXY_VARS += tuple(name.lower() for name in PROXY_VARS)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*PROXY_VARS, "SSL_CERT_FILE", "SSL_CERT_DIR", "LLMCONSOLE_PROFILE", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("LLMCONSOLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LLMCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LLMCONSOLE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[OpenAIServer, Path]]:
    with throwaway_ca(tmp_path) as (_ca, pem, context), OpenAIServer(["m-1", "m-2"], tls=context) as server:
        yield server, pem


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str], str]:
    """Exit code, {check name: its line}, all output. Asserts one line per check and no key anywhere."""
    code = main(["doctor", *args])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert KEY not in out and "Traceback" not in out
    lines: dict[str, str] = {}
    for line in captured.out.splitlines():
        status, rest = line[:12].strip(), line[13:]
        name = rest[:20].strip()
        assert status in {"ok", "fail", "warn", "not offered", "skip", "info", "done"}, line
        lines[name or status] = line
    return code, lines, out


def test_closed_port_fails_at_tcp_connect(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    code, lines, _ = doctor(capsys)
    assert code == 4
    assert lines["configuration"].startswith("ok") and "OPENAI_BASE_URL" in lines["configuration"]
    assert lines["key"].startswith("ok") and "OPENAI_API_KEY" in lines["key"]
    assert lines["TCP connect"].startswith("fail") and "Connection refused" in lines["TCP connect"]
    assert "fix: nothing listens" in lines["TCP connect"]
    assert lines["/v1/models"].startswith("skip")
    assert "1 failed (TCP connect)" in lines["done"]


def test_unknown_ca_names_the_failure_and_the_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tls: tuple[OpenAIServer, Path]
) -> None:
    server, pem = tls
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    code, lines, _ = doctor(capsys)
    assert code == 4
    assert lines["TCP connect"].startswith("ok")
    line = lines["TLS handshake"]
    assert line.startswith("fail") and "certificate verify failed" in line
    assert "unable to get local issuer certificate" in line or "self-signed" in line
    assert "SSL_CERT_FILE" in line and "system trust store" in line
    assert server.paths == []  # nothing was sent over an unverified connection

    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    code, lines, _ = doctor(capsys)
    assert code == 0, lines
    assert lines["TLS handshake"].startswith("ok") and f"SSL_CERT_FILE={pem}" in lines["TLS handshake"]
    assert lines["/v1/models"].startswith("ok") and "2 models (m-1, m-2)" in lines["/v1/models"]
    # a plain OpenAI-compatible server: the optional endpoints are not offered, not failures
    for name in ("/model/info", "/key/info", "/utils/token_counter"):
        assert lines[name].startswith("not offered"), lines[name]


def test_a_real_forward_proxy_in_https_proxy(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tls: tuple[OpenAIServer, Path],
    tmp_path: Path,
) -> None:
    server, pem = tls
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    # A proxy that is down: the doctor connects to the proxy, not to the server.
    dead = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("HTTPS_PROXY", dead)
    code, lines, _ = doctor(capsys)
    assert code == 4
    assert lines["proxy"].startswith("ok") and f"via {dead} (HTTPS_PROXY" in lines["proxy"]
    assert lines["TCP connect"].startswith("fail") and "HTTPS_PROXY" in lines["TCP connect"]
    assert server.paths == []

    with ForwardProxy(tmp_path) as forward:
        monkeypatch.setenv("HTTPS_PROXY", forward.url)
        code, lines, _ = doctor(capsys)
        assert code == 0, (lines, forward.log())
        assert f"via {forward.url} (HTTPS_PROXY; NO_PROXY not set)" in lines["proxy"]
        assert "resolved by the proxy" in lines["DNS"]
        assert lines["TCP connect"].startswith("ok") and f":{forward.port}" in lines["TCP connect"]
        assert lines["TLS handshake"].startswith("ok")
        assert lines["/v1/models"].startswith("ok")

    # NO_PROXY covering the host: direct again (the proxy is gone, and it still works)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    code, lines, _ = doctor(capsys)
    assert code == 0 and lines["proxy"].startswith("ok") and "direct: NO_PROXY=localhost,127.0.0.1" in lines["proxy"]


def test_key_info_budget_left_and_exhausted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    info = {"info": {"key_alias": "team-a", "spend": 1.25, "max_budget": 10.0}}
    model_info = {"data": [{"model_name": "m", "model_info": {"max_input_tokens": 1000}}]}
    routes: dict[str, tuple[int, object]] = {"/key/info": (200, info), "/v1/model/info": (200, model_info)}
    with OpenAIServer(["m"], routes=routes) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        code, lines, _ = doctor(capsys)
        assert code == 0
        assert (
            lines["/key/info"].startswith("ok")
            and "key 'team-a': spent $1.25 of $10.00, $8.75 left" in lines["/key/info"]
        )
        assert lines["/model/info"].startswith("ok")
        server.routes["/key/info"] = (200, {"info": {"spend": 10.5, "max_budget": 10.0}})
        code, lines, _ = doctor(capsys)
    assert code == 4
    assert lines["/key/info"].startswith("fail") and "budget exhausted" in lines["/key/info"]
    assert "max_budget" in lines["/key/info"]


def test_a_forbidden_model_list_is_explained(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    routes: dict[str, tuple[int, object]] = {"/v1/models": (403, {"error": {"message": "key not allowed"}})}
    with OpenAIServer(["m"], routes=routes) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        code, lines, _ = doctor(capsys)
    assert code == 4
    assert lines["/v1/models"].startswith("fail") and "403" in lines["/v1/models"]
    assert "ask the proxy's admin" in lines["/v1/models"]


def test_a_certificate_for_another_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("proxy.example.test").configure_cert(context)
    with OpenAIServer(["m"], tls=context) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        code, lines, _ = doctor(capsys)
    assert code == 4
    line = lines["TLS handshake"]
    assert line.startswith("fail") and "mismatch" in line and "not for 127.0.0.1" in line


def test_a_forward_proxy_that_wants_a_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tls: tuple[OpenAIServer, Path], tmp_path: Path
) -> None:
    server, pem = tls
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    with ForwardProxy(tmp_path, basic_auth="alice:s3cret-pw") as forward:
        monkeypatch.setenv("HTTPS_PROXY", forward.url)
        code, lines, out = doctor(capsys)
        assert code == 4
        assert lines["TLS handshake"].startswith("fail") and "407" in lines["TLS handshake"]
        assert "http://user:password@host:port" in lines["TLS handshake"]
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:s3cret-pw@127.0.0.1:{forward.port}")
        code, lines, out = doctor(capsys)
    assert code == 0, lines
    assert f"via http://***@127.0.0.1:{forward.port}" in lines["proxy"]
    assert "s3cret-pw" not in out


def test_proxy_variables_that_cannot_work(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example.test")
    monkeypatch.setenv("HTTPS_PROXY", "ftp://proxy.corp:21")
    code, lines, _ = doctor(capsys)
    assert code == 2 and lines["proxy"].startswith("fail") and "ftp:// proxies are not supported" in lines["proxy"]
    if importlib.util.find_spec("socksio") is None:
        monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy.corp:1080")
        code, lines, _ = doctor(capsys)
        assert code == 2 and "needs the socksio package" in lines["proxy"]


def test_a_refused_key_is_explained(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with OpenAIServer(["m"], key="sk-the-right-one-000") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        code, lines, _ = doctor(capsys)
    assert code == 4
    line = lines["/v1/models"]
    assert line.startswith("fail") and "401" in line and "OPENAI_API_KEY" in line and "expired" in line


def test_a_malformed_url_is_the_url_check(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://user:pw-secret@proxy.example.test:99999/v1")
    code, lines, out = doctor(capsys)
    assert code == 2 and lines["URL"].startswith("fail") and "port" in lines["URL"]
    assert "fix: correct the URL" in lines["URL"] and "pw-secret" not in out


def test_unknown_profile_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[profiles.a]\nbase_url = "http://127.0.0.1:1"\n[profiles.b]\nbase_url = "http://127.0.0.1:2"\n'
    )
    code, lines, _ = doctor(capsys, "--profile", "c")
    assert code == 2 and "known profiles" in lines["configuration"] and "a, b" in lines["configuration"]


def test_a_failing_key_command_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = tmp_path / "helper.py"
    helper.write_text(f"import sys\nprint({KEY!r})\nsys.stderr.write('session expired for {KEY}')\nsys.exit(1)\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        f'[profiles.work]\nbase_url = "http://127.0.0.1:{closed_port()}"\n'
        f"api_key_command = '{sys.executable} {helper}'\n"
    )
    monkeypatch.setenv("LLMCONSOLE_PROFILE", "work")
    code, lines, out = doctor(capsys)
    assert code == 2
    assert "profile 'work' (LLMCONSOLE_PROFILE)" in lines["configuration"]
    assert lines["key"].startswith("fail") and "session expired for [REDACTED]" in lines["key"]
    assert lines["TCP connect"].startswith("fail")  # the network checks still run


def test_help_documents_the_checks_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["doctor", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--probe", "HTTPS_PROXY", "TLS", "/key/info", "not offered", "exit codes", "--profile"):
        assert word in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "llmconsole doctor" in capsys.readouterr().out


DEEP = b"[" * 100_000 + b"]" * 100_000
"""A document nested far deeper than any reader allows (json.loads alone raises RecursionError)."""


@pytest.mark.parametrize("depth", [101, 100_000])
def test_deep_documents_are_one_line_each(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    """Every document doctor reads goes through the one bounded reader (core.jsondoc): no RecursionError."""
    deep = b'{"data":' + b"[" * depth + b"]" * depth + b"}"
    routes: dict[str, tuple[int, object]] = {"/v1/models": (200, deep)}
    with OpenAIServer(["m"], routes=routes) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        code, lines, _ = doctor(capsys)
        assert code == 4
        assert lines["/v1/models"].startswith("fail") and "nested too deeply" in lines["/v1/models"]
        server.routes = {path: (200, deep) for path in ("/v1/model/info", "/model/info", "/key/info")}
        server.routes["/utils/token_counter"] = (200, deep)
        code, lines, _ = doctor(capsys)
    assert lines["/v1/models"].startswith("ok")
    assert lines["/model/info"].startswith("not offered")
    assert lines["/key/info"].startswith("not offered") and "no key information" in lines["/key/info"]
    assert "no token count" in lines["/utils/token_counter"]

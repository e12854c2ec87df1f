"""Private APIs of dependencies that llmconsole uses on purpose, each pinned here: an upgrade that moves or
changes one fails these tests loudly, naming the file that must follow.

* ``rich._wrap.divide_line`` (``ui/widgets/formatting.py``: ``ModelPrompt.get_height``): the function Textual's
  own ``Content`` wrapping calls, so the sidebar measures 500 entries the way Textual will draw them.
* ``httpx._utils.get_environment_proxies`` and ``URLPattern`` (``doctor.py``: ``_check_proxy_vars``): the rules
  the client itself applies to ``HTTPS_PROXY``/``NO_PROXY``, so doctor says what the client will do.
* ``httpx._main`` (``llmconsole/__init__.py``): the module httpx imports for its command line, declined.
"""

from __future__ import annotations

import inspect
import subprocess
import sys

import httpx
import pytest

from llmconsole.doctor import Report, _check_proxy_vars

FIX = "an upgrade changed a private API llmconsole relies on: see tests/test_private_apis.py"


def test_rich_divide_line_is_what_textual_wraps_with() -> None:
    from rich._wrap import divide_line
    from textual import content

    assert getattr(content, "divide_line", None) is divide_line, (
        f"{FIX}: Textual's Content no longer wraps with rich._wrap.divide_line; "
        "ModelPrompt.get_height (ui/widgets/formatting.py) must measure with what Textual uses now"
    )
    assert list(inspect.signature(divide_line).parameters) == ["text", "width", "fold"], FIX
    assert divide_line("hello world again", 11) == [12], FIX  # break offsets, words kept whole
    assert divide_line("abcdefghij", 4, fold=True) == [4, 8], FIX
    assert divide_line("abcdefghij", 4, fold=False) == [], FIX


def _routes_through_proxy(url: str) -> bool:
    """Whether a real httpx client (trust_env) sends ``url`` through a proxy (its mount for the URL)."""
    with httpx.Client(trust_env=True) as client:
        return client._transport_for_url(httpx.URL(url)) is not client._transport


@pytest.mark.parametrize(
    ("no_proxy", "url"),
    [
        ("", "https://llm.example.com"),
        ("llm.example.com", "https://llm.example.com"),
        ("example.com", "https://llm.example.com"),
        (".example.com", "https://example.com"),
        ("other.org", "https://llm.example.com"),
        ("10.0.0.5", "http://10.0.0.5:4000"),
        ("localhost", "http://localhost:4000"),
        ("*", "https://llm.example.com"),
        ("", "http://plain.example"),
    ],
)
def test_doctor_says_what_the_client_does_with_proxy_variables(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, url: str
) -> None:
    """Doctor reads httpx's private proxy rules; a real client decides: they must agree, row by row."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://corp-proxy:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    from httpx._utils import URLPattern, get_environment_proxies

    assert callable(get_environment_proxies) and hasattr(URLPattern, "matches"), FIX
    check = _check_proxy_vars(Report(), url)
    assert check is not None
    assert (check.proxy_url is not None) == _routes_through_proxy(url), (FIX, no_proxy, url)


def test_httpx_still_imports_its_command_line_lazily() -> None:
    """``llmconsole`` declines ``httpx._main`` (click, rich: ~20 ms); httpx must still import without it."""
    code = "import llmconsole, httpx, sys; print('httpx._main' in sys.modules and sys.modules['httpx._main'] is None)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{FIX}: {done.stderr[-500:]}"
    assert done.stdout.strip() == "True"

"""Fixtures for tests against a real LiteLLM proxy in front of the fake upstream.

* ``fake_upstream`` (session): the :class:`~tests.proxy.fake_upstream.FakeUpstream` server.
* ``litellm_proxy`` (session): a :class:`~tests.proxy.litellm_proxy.LiteLLMProxy` — ``.base_url``,
  ``.master_key``, ``.upstream``, ``.log_path``, ``.start_seconds``, ``.client()``, ``.auth_headers``.
  Its MCP gateway runs :data:`MCP_SERVERS` (tests/proxy/mcp_tool_server.py over stdio).
  Started once per session (per xdist worker, each on its own ports; ~5 s, ~300 MB RSS each).
  If the ``litellm`` executable is missing the tests FAIL, saying how to install it (never a silent skip;
  ``-m "not proxy"`` leaves them out on purpose).
* ``upstream`` (function): the fake upstream, reset (scripts, records, stalls) before and after the test.
* ``proxy`` (function): ``litellm_proxy`` with the upstream reset — the usual fixture for a proxy test.

Every test collected under ``tests/integration/`` gets the ``proxy`` marker.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:  # `tests.proxy` is imported as a package from the repo root
    sys.path.insert(0, _REPO)

from tests.proxy.fake_upstream import FakeUpstream  # noqa: E402
from tests.proxy.litellm_proxy import (  # noqa: E402
    LiteLLMProxy,
    litellm_executable,
    mcp_test_servers,
    missing_proxy_message,
    start_proxy,
)

_HERE = Path(__file__).resolve().parent
MCP_SERVERS = ("testtools", "mirror")
"""The ``mcp_servers:`` of the session's proxy: tests/proxy/mcp_tool_server.py over stdio, twice."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.proxy)


@pytest.fixture(scope="session")
def fake_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as up:
        yield up


@pytest.fixture(scope="session")
def litellm_proxy(fake_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    exe = litellm_executable()
    if not exe.exists():
        pytest.fail(missing_proxy_message(exe), pytrace=False)  # never a silent skip
    workdir = tmp_path_factory.mktemp("litellm-proxy")
    try:
        # Two MCP servers behind the gateway (the same tools under two server names: names collide).
        proxy = start_proxy(fake_upstream, workdir, mcp_servers=mcp_test_servers(*MCP_SERVERS))
    except (RuntimeError, FileNotFoundError) as e:
        pytest.fail(f"could not start the LiteLLM proxy: {e}", pytrace=False)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def upstream(fake_upstream: FakeUpstream) -> Iterator[FakeUpstream]:
    fake_upstream.reset()
    yield fake_upstream
    fake_upstream.reset()


@pytest.fixture
def proxy(litellm_proxy: LiteLLMProxy, upstream: FakeUpstream) -> LiteLLMProxy:
    return litellm_proxy

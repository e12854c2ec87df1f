"""The core must not import Textual (nor rich, nor the openai SDK or litellm); the package import is light."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = [
    "llmconsole.core.config",
    "llmconsole.core.proxy.discovery",
    "llmconsole.core.proxy.capabilities",
    "llmconsole.core.proxy.client",
    "llmconsole.core.proxy.ratelimit",
    "llmconsole.core.proxy.http_errors",
    "llmconsole.core.proxy.sse",
    "llmconsole.core.proxy.params",
    "llmconsole.core.store.history",
    "llmconsole.core.demo",
    "llmconsole.core.chat.session",
    "llmconsole.cli",
]


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_core_imports_no_textual_rich_openai_or_litellm() -> None:
    modules = loaded_after("\n".join(f"import {name}" for name in CORE_MODULES))
    for forbidden in ("textual", "rich", "openai", "litellm", "llmconsole.ui"):
        assert not any(m == forbidden or m.startswith(forbidden + ".") for m in modules), forbidden


def test_package_import_is_empty() -> None:
    modules = loaded_after("import llmconsole")
    assert not any(m.startswith("llmconsole.") for m in modules)
    assert "httpx" not in modules

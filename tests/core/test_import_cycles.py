"""No import cycle among the core modules, nor among its packages: every import counts (top level, in functions,
under TYPE_CHECKING). The layers: ``core.proxy`` knows no conversation (it never imports ``core.chat``); ``core.chat``
may use ``core.proxy``; the store may use both."""

from __future__ import annotations

import ast
from pathlib import Path

import llmconsole.core

CORE = Path(llmconsole.core.__file__).parent
PREFIX = "llmconsole.core."


def module_name(path: Path) -> str:
    """``proxy.client`` for core/proxy/client.py, ``chat`` for core/chat/__init__.py."""
    parts = path.relative_to(CORE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The core modules ``path`` imports, by name below ``llmconsole.core`` (``errors``, ``proxy.ratelimit`` ...)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name.removeprefix(PREFIX) for a in node.names if a.name.startswith(PREFIX))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "llmconsole.core":
                found.update(a.name for a in node.names)
            elif node.module.startswith(PREFIX):
                base = node.module.removeprefix(PREFIX)
                # `from llmconsole.core.proxy import client` imports the module proxy.client
                found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in CORE.rglob("*.py") if p.parent != CORE or p.stem != "__init__"}
    known = set(modules)
    return {name: imports_of(path, known) & known - {name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_core_modules_import_each_other_without_a_cycle() -> None:
    edges = graph()
    assert {"errors", "proxy.ratelimit", "proxy.http_errors", "events", "proxy.errorbody", "chat.session"} <= set(edges)
    assert cycles(edges) == []


def test_errors_imports_no_other_core_module() -> None:
    assert graph()["errors"] == set()


def package_of(module: str) -> str:
    """``proxy`` for ``proxy.client``; a module at the top of core is its own package (``errors``, ``config``)."""
    return module.split(".", 1)[0]


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which core package imports which (a top-level module counts as a package of its own)."""
    packages: dict[str, set[str]] = {}
    for module, targets in edges.items():
        source = package_of(module)
        packages.setdefault(source, set()).update(package_of(t) for t in targets if package_of(t) != source)
    return packages


def test_the_package_graph_is_made_from_module_imports() -> None:
    edges = {"proxy.client": {"chat.conversation", "errors"}, "chat.session": {"proxy.client"}, "errors": set()}
    assert package_graph(edges) == {"proxy": {"chat", "errors"}, "chat": {"proxy"}, "errors": set()}
    assert cycles(package_graph(edges)) == [["chat", "proxy", "chat"]]


def test_core_packages_import_each_other_without_a_cycle() -> None:
    packages = package_graph(graph())
    assert {"proxy", "chat", "store"} <= set(packages)
    assert cycles(packages) == []


def test_the_proxy_package_knows_no_conversation() -> None:
    """``core.proxy`` takes plain request data (``proxy.request.RequestInput``), built by ``core.chat``."""
    packages = package_graph(graph())
    assert "chat" not in packages["proxy"]
    assert "store" not in packages["proxy"]

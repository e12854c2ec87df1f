"""Start and stop a real LiteLLM proxy (subprocess, by PID) in front of :class:`FakeUpstream`.

FINDINGS_PLACEHOLDER
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.proxy.fake_upstream import FakeUpstream

REPO_ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-test-master-0123456789"
#: The key the proxy sends upstream (what a 401 from the upstream would echo).
UPSTREAM_KEY = "sk-upstream-secret-9876543210"
LITELLM_ENV = "LLMCONSOLE_LITELLM"

# Environment variables never passed to the proxy (credentials, databases, proxies of the developer).
_DROP_ENV_PREFIXES = (
    "DATABASE_",
    "DIRECT_URL",
    "OPENAI_",
    "AZURE_",
    "ANTHROPIC_",
    "DATABRICKS_",
    "GEMINI_",
    "GOOGLE_",
    "AWS_",
    "LITELLM_",
    "REDIS_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "LANGFUSE_",
    "OTEL_",
)

# Prices the config sets explicitly (so /model/info returns them whatever the cost map says).
PRICES: dict[str, dict[str, float]] = {
    "gpt-5.2": {
        "input_cost_per_token": 1.75e-06,
        "output_cost_per_token": 1.4e-05,
        "cache_read_input_token_cost": 1.75e-07,
    },
    "claude-opus-4-6": {"input_cost_per_token": 5e-06, "output_cost_per_token": 2.5e-05},
    "gpt-balanced": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
}


def litellm_executable() -> Path:
    """The ``litellm`` CLI: ``$LLMCONSOLE_LITELLM`` or ``<repo>/.venv-proxy/bin/litellm``."""
    env = os.environ.get(LITELLM_ENV)
    return Path(env) if env else REPO_ROOT / ".venv-proxy" / "bin" / "litellm"


def build_config(upstream_base: str, master_key: str = MASTER_KEY) -> dict[str, Any]:
    """The proxy config: every model points at the fake upstream (``upstream_base`` = ``http://127.0.0.1:P``)."""
    openai_base = f"{upstream_base}/v1"
    dbx_base = f"{upstream_base}/serving-endpoints"

    def openai(name: str, model_info: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "model_name": name,
            "litellm_params": {"model": f"openai/{name}", "api_base": openai_base, "api_key": UPSTREAM_KEY},
        }
        if model_info:
            entry["model_info"] = model_info
        return entry

    def databricks(name: str, model_info: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "model_name": name,
            "litellm_params": {
                "model": f"databricks/databricks-{name}",
                "api_base": dbx_base,
                "api_key": UPSTREAM_KEY,
            },
        }
        if model_info:
            entry["model_info"] = model_info
        return entry

    model_list = [
        openai("gpt-5.2", {**PRICES["gpt-5.2"], "supports_reasoning": True, "supports_vision": True}),
        databricks(
            "claude-opus-4-6",
            {**PRICES["claude-opus-4-6"], "supports_reasoning": True, "supports_vision": True},
        ),
        databricks("claude-haiku-4-5"),
        databricks("claude-sonnet-4-5"),
        databricks("gemini-2-5-pro"),
        openai("acme-large"),
        openai("text-embedding-3-small", {"mode": "embedding"}),
        openai(
            "gpt-balanced",
            {**PRICES["gpt-balanced"], "max_input_tokens": 128000, "max_output_tokens": 16000, "mode": "chat"},
        ),
        databricks(
            "gpt-balanced",
            {**PRICES["gpt-balanced"], "max_input_tokens": 64000, "max_output_tokens": 8000, "mode": "chat"},
        ),
        databricks("ratelimited-model"),
    ]
    return {
        "model_list": model_list,
        "general_settings": {"master_key": master_key},
        "litellm_settings": {
            "num_retries": 0,
            "request_timeout": 30,
            "drop_params": False,
            "telemetry": False,
        },
        "router_settings": {
            "num_retries": 0,
            "retry_after": 0,
            "allowed_fails": 1000,
            "cooldown_time": 0,
            "disable_cooldowns": True,
        },
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proxy_env(master_key: str = MASTER_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_ENV_PREFIXES)}
    env.update(
        {
            "LITELLM_MASTER_KEY": master_key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOCAL_BLOG_POSTS": "True",
            "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
            "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
            "DISABLE_SCHEMA_UPDATE": "True",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def _kill_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)
    else:
        # The leader is gone; make sure nothing else of its group survives.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _LIVE.pop(proc.pid, None)


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE.values()):
        _kill_group(proc, timeout=5)


@dataclass
class LiteLLMProxy:
    base_url: str
    master_key: str
    upstream: FakeUpstream
    log_path: Path
    config_path: Path
    port: int
    pid: int
    start_seconds: float
    _proc: subprocess.Popen[bytes] = field(repr=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}

    def client(self, **kw: Any) -> httpx.Client:
        """An httpx client on the proxy with the master key."""
        kw.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.base_url, headers=self.auth_headers, **kw)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def is_running(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        _kill_group(self._proc)


def start_proxy(
    upstream: FakeUpstream,
    workdir: Path,
    *,
    master_key: str = MASTER_KEY,
    port: int | None = None,
    ready_timeout: float = 60.0,
    executable: Path | None = None,
) -> LiteLLMProxy:
    """Start ``litellm --config`` on 127.0.0.1 and wait until it answers ``/health/liveliness``."""
    exe = executable or litellm_executable()
    if not exe.exists():
        raise FileNotFoundError(
            f"LiteLLM proxy executable not found: {exe} (set ${LITELLM_ENV}, or run scripts/start-proxy-venv.sh)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "litellm_config.yaml"
    # JSON is valid YAML: no YAML library needed in the test venv.
    config_path.write_text(json.dumps(build_config(upstream.base_url, master_key), indent=2))
    attempts = 1 if port is not None else 3
    last_error: Exception | None = None
    for attempt in range(attempts):
        p = port if port is not None else free_port()
        log_path = workdir / f"litellm-{p}.log"
        t0 = time.monotonic()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(exe), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(p)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=proxy_env(master_key),
                cwd=str(workdir),
                start_new_session=True,  # own process group: stopped with killpg
            )
        _LIVE[proc.pid] = proc
        proxy = LiteLLMProxy(
            base_url=f"http://127.0.0.1:{p}",
            master_key=master_key,
            upstream=upstream,
            log_path=log_path,
            config_path=config_path,
            port=p,
            pid=proc.pid,
            start_seconds=0.0,
            _proc=proc,
        )
        try:
            _wait_ready(proxy, proc, ready_timeout)
        except RuntimeError as e:
            _kill_group(proc)
            last_error = e
            if "address already in use" in proxy.log_tail().lower() and attempt + 1 < attempts:
                continue
            raise
        proxy.start_seconds = time.monotonic() - t0
        return proxy
    assert last_error is not None
    raise last_error


def _wait_ready(proxy: LiteLLMProxy, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"LiteLLM proxy exited with code {proc.returncode} during start; log {proxy.log_path}:\n"
                    + proxy.log_tail()
                )
            try:
                if c.get(f"{proxy.base_url}/health/liveliness").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise RuntimeError(
        f"LiteLLM proxy not ready after {timeout:.0f}s; log {proxy.log_path}:\n" + proxy.log_tail()
    )

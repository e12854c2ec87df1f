#!/usr/bin/env bash
# Create (or repair) .venv-proxy: the real LiteLLM proxy the integration tests start as a subprocess.
# LiteLLM pins rich<14, which Textual cannot use, so the proxy lives in its own venv.
# Idempotent: does nothing when litellm==1.99.4 and prisma are already installed there.
# Prints the path of the `litellm` executable (what $LLMCONSOLE_LITELLM should point to) on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${LLMCONSOLE_PROXY_VENV:-.venv-proxy}
REQ=tests/proxy/requirements.txt
export PIP_DISABLE_PIP_VERSION_CHECK=1

ok() {
  [ -x "$VENV/bin/litellm" ] && "$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as m
assert m.version("litellm") == "1.99.4", m.version("litellm")
m.version("prisma")
import fastapi, uvicorn, mcp  # noqa: F401  (the [proxy] extra; mcp runs the gateway tests' stdio server)
EOF
}

if ! ok; then
  echo "start-proxy-venv: installing litellm[proxy]==1.99.4 + prisma into $VENV" >&2
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  if [ -f "$REQ" ]; then
    "$VENV/bin/pip" install -q -r "$REQ"
  else
    "$VENV/bin/pip" install -q "litellm[proxy]==1.99.4" "prisma==0.15.0"
  fi
  ok || { echo "start-proxy-venv: $VENV is still incomplete" >&2; exit 1; }
fi
case "$VENV" in /*) echo "$VENV/bin/litellm" ;; *) echo "$PWD/$VENV/bin/litellm" ;; esac

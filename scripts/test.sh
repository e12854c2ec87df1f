#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then lint, types and every test.
#   .venv        the app + test tools (pip install -e ".[test]")
#   .venv-proxy  a real LiteLLM proxy (litellm[proxy] pins rich<14, which Textual cannot use: own venv)
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not proxy"` for a quick loop.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/pip install -q -e ".[test]"
LLMCONSOLE_LITELLM=$(bash scripts/start-proxy-venv.sh | tail -n 1)
export LLMCONSOLE_LITELLM
echo "== ruff"; .venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench
echo "== mypy --strict src"; .venv/bin/mypy src
echo "== pytest"; .venv/bin/python -m pytest -n 2 "$@"

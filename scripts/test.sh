#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then lint, types and every test.
#   .venv-test   the app + test tools (pip install -e ".[test]"). Its own venv: the README's install command
#                puts the console in .venv, and reinstalling into a venv a running console imports from
#                breaks that console, so the tests never touch .venv.
#   .venv-proxy  a real LiteLLM proxy (litellm[proxy] pins rich<14, which Textual cannot use: own venv)
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not proxy"` for a quick loop.
# LLMCONSOLE_TEST_VENV moves the test venv, LLMCONSOLE_PROXY_VENV the proxy venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${LLMCONSOLE_TEST_VENV:-.venv-test}
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x "$VENV/bin/python" ]; then "$PY" -m venv "$VENV"; fi
"$VENV/bin/pip" install -q -e ".[test]"
LLMCONSOLE_LITELLM=$(bash scripts/start-proxy-venv.sh | tail -n 1)
export LLMCONSOLE_LITELLM
echo "== ruff"; "$VENV/bin/ruff" check src tests bench && "$VENV/bin/ruff" format --check src tests bench
echo "== mypy --strict src"; "$VENV/bin/mypy" src
echo "== pytest"; "$VENV/bin/python" -m pytest -n 2 "$@"

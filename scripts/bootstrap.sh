#!/usr/bin/env bash
# Set-up entry point: creates .venv with Python 3.11 if missing, installs the pinned
# requirements, the `lakehouse` CLI and the DuckDB extensions when they changed, then runs
# `lakehouse "$@"`. Idempotent: a second call reinstalls nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv with $python"
    "$python" -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "bootstrap: installing pinned requirements"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
    .venv/bin/lakehouse extensions
    rm -f .venv/.installed-*
    touch "$stamp"
fi
exec .venv/bin/lakehouse "$@"

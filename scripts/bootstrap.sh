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
    echo "bootstrap: installing pinned requirements into .venv (half a minute on a fresh machine)"
    # uv (from PyPI) installs the same pinned set as pip, in a third of pip's time; unlike
    # pip it writes no bytecode unless told, and where PYTHONDONTWRITEBYTECODE is set (as on
    # the CI machine) none is ever cached: every dbt process then compiled dbt's sources
    # again (2-3 s of each, here)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
    .venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python \
        -r requirements.txt
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
    echo "bootstrap: installing the lakehouse command and the DuckDB extensions"
    .venv/bin/lakehouse extensions
    rm -f .venv/.installed-*
    touch "$stamp"
fi
if [ "${1:-}" = "test" ]; then
    # Debian packages the tests drive: headless Chromium (docs site, dashboard) and a real
    # PostgreSQL server (captured by the embedded Debezium engine)
    missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "bootstrap: installing ${missing[*]} (Debian packages) for the tests"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "bootstrap: missing Debian packages for the tests: ${missing[*]}" >&2
        fi
    fi
fi
exec .venv/bin/lakehouse "$@"

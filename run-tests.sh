#!/usr/bin/env bash
# Run the NicheLab test suite (sets itself up on first use). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup_env.sh test
export QT_QPA_PLATFORM=xcb
exec .venv/bin/python -m pytest -q "$@"

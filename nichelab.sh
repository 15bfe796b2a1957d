#!/usr/bin/env bash
# Launch NicheLab (sets itself up on first use). Extra arguments go to main.py.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup_env.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = "Linux" ] && command -v xvfb-run >/dev/null; then
  echo "nichelab: no display found; running on a virtual display (use --screenshot to see the result)" >&2
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python main.py "$@"
fi
exec .venv/bin/python main.py "$@"

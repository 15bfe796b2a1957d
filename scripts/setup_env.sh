#!/usr/bin/env bash
# Idempotent set-up used by ./nichelab.sh and ./run-tests.sh:
#  - on Debian/Ubuntu as root, installs the system libraries Qt and the virtual display need;
#  - creates .venv and installs the Python dependencies declared in pyproject.toml.
# Usage: scripts/setup_env.sh [extra ...]   (extras from [project.optional-dependencies], e.g. test)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0
 libxcb-randr0 libxcb-shape0 libxcb-xkb1 libxcb-cursor0 libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1
 libgl1-mesa-dri libglx-mesa0 libfontconfig1 libdbus-1-3 libxrender1 libxi6"

if command -v dpkg-query >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  missing=""
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "setup: installing system packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    echo "setup: NicheLab needs Python 3.11 or newer; '$PY' is $("$PY" -V 2>&1 | head -n 1) (set PYTHON=python3.11)" >&2
    exit 1
  fi
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >&2
fi

extras="$*"
stamp=".venv/.nichelab-deps-${extras// /-}"   # one stamp per set of extras: launching and testing don't undo each other
want="$(cat pyproject.toml) $extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  reqs=$(.venv/bin/python - "$@" <<'PYEOF'
import sys, tomllib
with open("pyproject.toml", "rb") as fh:
    proj = tomllib.load(fh)["project"]
deps = list(proj["dependencies"])
for extra in sys.argv[1:]:
    deps += proj.get("optional-dependencies", {}).get(extra, [])
print("\n".join(deps))
PYEOF
)
  echo "setup: installing Python packages" >&2
  # shellcheck disable=SC2086
  echo "$reqs" | .venv/bin/python -m pip install -q -r /dev/stdin >&2
  printf '%s' "$want" > "$stamp"
fi

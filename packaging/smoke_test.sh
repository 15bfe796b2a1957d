#!/usr/bin/env bash
# Build the Linux bundle and check that it works as an installed program would.
#
#   bash packaging/smoke_test.sh            build (packaging/build.py), then test
#   SMOKE_SKIP_BUILD=1 bash packaging/smoke_test.sh   test the existing packaging/dist
#
# Checks, each with a fresh per-user folder (NICHELAB_HOME) so the first launch is a cold one:
#   1. sizes: the folder, the .deb and the .tar.gz (installers must stay under 250 MB); the bundle ships
#      compiled kernels (engine/shipped_kernels.py)
#   2. the frozen GUI under Xvfb writes a non-blank window screenshot: cold launch (empty per-user
#      folders, as just after installing: the shipped kernels are copied, nothing compiles, no splash),
#      then warm launches; then a cold launch that cannot use the shipped kernels (NUMBA_CPU_NAME set),
#      so the on-demand compile behind the splash, the fallback, still works. Prints the times from
#      starting the program to the screenshot written after one simulated hour (--days 0.05), which
#      is when the window is usable, and MB = 10^6 bytes
#   3. the frozen headless command writes a CSV with rows (NicheLab run --scenario ... --csv)
#   4. numba's kernel cache lands in the per-user cache; the log file exists
#   5. an unwritable home still starts (falls back to a temporary folder) and says so
#   6. the portable .tar.gz unpacks and runs
#   7. the .deb installs with dpkg, its installed command runs headless and opens its window, and the
#      package removes cleanly (needs root or password-less sudo; skipped otherwise)
# Needs: xvfb-run (Debian package xvfb), the Qt xcb libraries, dpkg-deb; Python venv at .venv
# (or $PYTHON) with the project's dependencies. Prints 'smoke: PASS' at the end or exits non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
LIMIT_MB=250
TIMEOUT=900
WORK="$(mktemp -d /tmp/nichelab-smoke.XXXXXX)"
DEB_INSTALLED=0
SUDO=""

log() { echo "smoke: $*"; }
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
    if [ "$DEB_INSTALLED" = 1 ] && [ "${SMOKE_KEEP_DEB:-0}" != 1 ]; then
        $SUDO dpkg -r nichelab >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v xvfb-run >/dev/null || fail "xvfb-run not found (apt-get install xvfb)"
XVFB=(xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp")

# ------------------------------------------------------------------ build
if [ "${SMOKE_SKIP_BUILD:-0}" != 1 ]; then
    if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
        log "installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
        "$PY" -m pip install -q "pyinstaller>=6.5"
    fi
    t0=$(now)
    "$PY" packaging/build.py
    log "build took $(elapsed "$t0") s"
fi

APPDIR="$ROOT/packaging/dist/NicheLab"
APP="$APPDIR/NicheLab"
VERSION="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
DEB="$(ls "$ROOT"/packaging/dist/nichelab_"$VERSION"_*.deb 2>/dev/null | head -n1 || true)"
TGZ="$(ls "$ROOT"/packaging/dist/NicheLab-"$VERSION"-linux-*.tar.gz 2>/dev/null | head -n1 || true)"
[ -x "$APP" ] || fail "no frozen program at $APP"
ls -d "$APPDIR"/_internal/licenses/numpy-* "$APPDIR"/_internal/resources/licenses/LGPL-3.0.txt \
    "$APPDIR"/_internal/resources/THIRD_PARTY_LICENSES.md "$APPDIR"/_internal/pyproject.toml >/dev/null \
    || fail "licence files, resources or pyproject.toml missing from the bundle"
[ -f "$DEB" ] || fail "no .deb for version $VERSION in packaging/dist"
[ -f "$TGZ" ] || fail "no .tar.gz for version $VERSION in packaging/dist"

# ------------------------------------------------------------------ 1. sizes
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
folder_b=$(du -sb "$APPDIR" | cut -f1)
deb_b=$(stat -c %s "$DEB")
tgz_b=$(stat -c %s "$TGZ")
log "sizes: folder $(mb "$folder_b") MB, $(basename "$DEB") $(mb "$deb_b") MB, $(basename "$TGZ") $(mb "$tgz_b") MB"
for f in "$DEB" "$TGZ"; do
    b=$(stat -c %s "$f")
    [ "$b" -lt $((LIMIT_MB * 1000000)) ] || fail "$(basename "$f") is $(mb "$b") MB, over $LIMIT_MB MB"
done

# PNG must be a real window picture: big enough, many colours, not one flat colour
check_png() {
    "$PY" - "$1" <<'EOF'
import sys
import imageio.v3 as iio
import numpy as np
path = sys.argv[1]
img = np.asarray(iio.imread(path))
h, w = img.shape[:2]
rgb = img[..., :3].reshape(-1, 3).astype(np.int64)
q = (rgb // 8) @ np.array([1024, 32, 1])
values, counts = np.unique(q, return_counts=True)
top = counts.max() / counts.sum()
lum = rgb @ np.array([0.299, 0.587, 0.114])
print(f"  {path}: {w}x{h}, {len(values)} colours, most common colour {100 * top:.0f}% of pixels, "
      f"luminance sd {lum.std():.1f}")
ok = w >= 640 and h >= 400 and len(values) >= 64 and top < 0.9 and lum.std() > 8
sys.exit(0 if ok else 1)
EOF
}

# CSV must have a header with the observables and at least $2 data rows of finite numbers
check_csv() {
    "$PY" - "$1" "$2" <<'EOF'
import csv, math, sys
path, min_rows = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
rows = list(csv.DictReader(lines))
assert rows, f"{path}: no data rows"
for col in ("day", "platelets", "mk"):
    assert col in rows[0], f"{path}: no column {col!r} (columns: {list(rows[0])})"
vals = [float(r["platelets"]) for r in rows]
assert all(math.isfinite(v) and v > 0 for v in vals), f"{path}: platelet counts not positive/finite"
print(f"  {path}: {len(rows)} rows, days {rows[0]['day']}..{rows[-1]['day']}, platelets {vals[-1]:.0f}")
sys.exit(0 if len(rows) >= min_rows else 1)
EOF
}

# ------------------------------------------------------------------ 2. GUI screenshot, cold then warm
[ -s "$APPDIR/_internal/kernels/manifest.json" ] || fail "no shipped kernels in the bundle ($APPDIR/_internal/kernels)"
shipped=$(find "$APPDIR/_internal/kernels" -name '*.nbi' | wc -l)
export NICHELAB_HOME="$WORK/home"
unset NUMBA_CACHE_DIR NUMBA_CPU_NAME NUMBA_CPU_FEATURES || true
# launch to the screenshot after one simulated hour (the window is up and usable then); $1 name, $2 days
launch() {
    local t0 rc=0
    t0=$(now)
    timeout "$TIMEOUT" "${XVFB[@]}" "$APP" --screenshot "$WORK/$1.png" --days "$2" > "$WORK/$1.log" 2>&1 || rc=$?
    LAUNCH_S=$(elapsed "$t0")
    [ "$rc" = 0 ] || { cat "$WORK/$1.log"; fail "frozen GUI ($1 launch) failed"; }
    [ -s "$WORK/$1.png" ] || { cat "$WORK/$1.log"; fail "no screenshot written ($1 launch)"; }
    check_png "$WORK/$1.png" || fail "screenshot looks blank: $WORK/$1.png"
}
launch cold 0.05
cold=$LAUNCH_S
grep -q "copied [0-9]* compiled kernel files shipped with the app" "$NICHELAB_HOME/data/nichelab.log" \
    || { cat "$NICHELAB_HOME/data/nichelab.log"; fail "the cold launch did not use the shipped kernels"; }
if grep -q "kernels compiled and cached in" "$NICHELAB_HOME/data/nichelab.log"; then
    fail "the cold launch compiled the kernels although they are shipped"
fi
log "cold first launch (empty per-user folders, $shipped shipped kernels) to a usable window: $cold s"
launch warm 0.05
warm=$LAUNCH_S
log "warm launch to a usable window: $warm s"
launch day 1
day=$LAUNCH_S
log "warm launch to a screenshot after one simulated day: $day s"
if [ -n "${SMOKE_SCREENSHOT:-}" ]; then cp "$WORK/day.png" "$SMOKE_SCREENSHOT"; fi

# the fallback: kernels for another CPU than the shipped ones are compiled behind the splash, once
home_shipped="$NICHELAB_HOME"
export NICHELAB_HOME="$WORK/home-compile"
export NUMBA_CPU_NAME=x86-64
launch compile 0.05
compiled=$LAUNCH_S
unset NUMBA_CPU_NAME
compile=$(grep -o "kernels compiled and cached in [0-9.]* s" "$NICHELAB_HOME/data/nichelab.log" | head -n1 || true)
[ -n "$compile" ] || { cat "$NICHELAB_HOME/data/nichelab.log"; fail "no on-demand compile without usable shipped kernels"; }
log "cold launch without usable shipped kernels (NUMBA_CPU_NAME=x86-64: compiled on demand) to a usable window: $compiled s ($compile)"
export NICHELAB_HOME="$home_shipped"

# ------------------------------------------------------------------ 3. headless scenario
t0=$(now)
timeout "$TIMEOUT" "$APP" run --scenario wt_steady_state --days 5 --csv "$WORK/out.csv" \
    || fail "frozen 'NicheLab run' failed"
log "headless 5-day run: $(elapsed "$t0") s"
check_csv "$WORK/out.csv" 5 || fail "CSV has too few rows"

# ------------------------------------------------------------------ 4. per-user folders
nbi=$(find "$NICHELAB_HOME/cache/numba" -name '*.nbi' | wc -l)
[ "$nbi" -gt 5 ] || fail "numba cache has $nbi index files under $NICHELAB_HOME/cache/numba (kernels not cached)"
[ -s "$NICHELAB_HOME/data/nichelab.log" ] || fail "no log file at $NICHELAB_HOME/data/nichelab.log"
log "kernel cache: $nbi kernels in $(ls -d "$NICHELAB_HOME"/cache/numba/*/); log: $NICHELAB_HOME/data/nichelab.log"

# ------------------------------------------------------------------ 5. unwritable home
NICHELAB_HOME=/proc/nichelab-not-writable timeout "$TIMEOUT" "$APP" run --scenario wt_steady_state --days 1 \
    --csv "$WORK/fallback.csv" > "$WORK/fallback.log" 2>&1 \
    || { cat "$WORK/fallback.log"; fail "did not start with an unwritable home folder"; }
grep -q "not writable.*; using" "$WORK/fallback.log" \
    || { cat "$WORK/fallback.log"; fail "no 'not writable' message with an unwritable home folder"; }
check_csv "$WORK/fallback.csv" 1 || fail "fallback run wrote no rows"
log "unwritable home: started, fell back to a temporary folder and said so"

# ------------------------------------------------------------------ 6. portable archive
mkdir -p "$WORK/tar"
tar -xzf "$TGZ" -C "$WORK/tar"
TAPP="$(ls -d "$WORK"/tar/NicheLab-*/NicheLab/NicheLab)"
# unpacked elsewhere, fresh per-user folders: every kernel comes from the shipped ones, none compiles
NICHELAB_HOME="$WORK/home-tar" timeout "$TIMEOUT" "$TAPP" kernels --expect-cached \
    || fail "the unpacked .tar.gz had to compile kernels (shipped kernels not used)"
timeout "$TIMEOUT" "$TAPP" run --scenario wt_steady_state --days 1 --csv "$WORK/tar.csv" --quiet \
    || fail "program from the .tar.gz failed"
check_csv "$WORK/tar.csv" 1 || fail "tar.gz run wrote no rows"
log "portable .tar.gz: unpacked and ran"
rm -rf "$WORK/tar"

# ------------------------------------------------------------------ 7. .deb
if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
if [ "$SUDO" = none ]; then
    log "SKIP .deb install (needs root or password-less sudo)"
else
    if ! $SUDO dpkg -i "$DEB" > "$WORK/dpkg.log" 2>&1; then
        log "dpkg -i reported missing dependencies; resolving them with apt-get"
        $SUDO apt-get install -f -y -q >> "$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i failed"; }
    fi
    DEB_INSTALLED=1
    dpkg -s nichelab | grep -q "Status: install ok installed" || fail "nichelab not installed"
    [ -f /usr/share/applications/nichelab.desktop ] || fail "no .desktop entry installed"
    [ -f /usr/share/icons/hicolor/256x256/apps/nichelab.png ] || fail "no icon installed"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate /usr/share/applications/nichelab.desktop || fail ".desktop entry invalid"
    fi
    CMD="$(command -v nichelab)" || fail "installed command 'nichelab' not on PATH"
    NICHELAB_HOME="$WORK/home-deb" timeout "$TIMEOUT" "$CMD" kernels --expect-cached \
        || fail "the installed .deb had to compile kernels (shipped kernels not used)"
    timeout "$TIMEOUT" "$CMD" run --scenario wt_steady_state --days 1 --csv "$WORK/deb.csv" --quiet \
        || fail "installed 'nichelab run' failed"
    check_csv "$WORK/deb.csv" 1 || fail "installed command wrote no rows"
    t0=$(now)
    NICHELAB_HOME="$WORK/home-deb-gui" timeout "$TIMEOUT" "${XVFB[@]}" "$CMD" --screenshot "$WORK/deb.png" \
        --days 0.05 > "$WORK/deb.log" 2>&1 || { cat "$WORK/deb.log"; fail "installed 'nichelab' GUI failed"; }
    deb_cold=$(elapsed "$t0")
    check_png "$WORK/deb.png" || fail "installed GUI screenshot looks blank"
    log "installed .deb: 'nichelab run' and the window both work (cold first launch to a usable window $deb_cold s)"
    if [ "${SMOKE_KEEP_DEB:-0}" != 1 ]; then
        $SUDO dpkg -r nichelab > /dev/null || fail "dpkg -r nichelab failed"
        DEB_INSTALLED=0
        [ ! -e /opt/nichelab/NicheLab ] || fail "/opt/nichelab/NicheLab left behind after dpkg -r"
        log "package removed cleanly"
    fi
fi

log "PASS (folder $(mb "$folder_b") MB, deb $(mb "$deb_b") MB, tar.gz $(mb "$tgz_b") MB; launch to a usable window: cold $cold s, warm $warm s (cold without shipped kernels: $compiled s); warm to one simulated day $day s)"

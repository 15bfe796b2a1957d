#!/usr/bin/env python3
"""Build NicheLab's installers for the platform this runs on.

    python packaging/build.py              # PyInstaller folder, then this platform's installer(s)
    python packaging/build.py --dry-run    # print the plan only (add --platform to see another's)
    python packaging/build.py --skip-pyinstaller   # reuse packaging/dist/NicheLab, redo the installers
    python packaging/build.py --no-kernels # do not ship compiled kernels (first launch compiles them)

Outputs go to packaging/dist/:
  Linux    NicheLab/ (the folder), nichelab_<version>_<arch>.deb, NicheLab-<version>-linux-<arch>.tar.gz,
           NicheLab-<version>-<arch>.AppImage when appimagetool is on PATH (CI downloads it)
  Windows  NicheLab/, NicheLab-<version>-windows-x64-setup.exe (Inno Setup 6, per-user, no admin rights),
           NicheLab-<version>-windows-x64.zip (portable)
  macOS    NicheLab.app, NicheLab-<version>-macos-<arm64|x86_64>.dmg

Needs PyInstaller in this Python (pip install "pyinstaller>=6.5", the 'build' extra of pyproject.toml),
and per platform: dpkg-deb (Linux), Inno Setup's ISCC.exe (Windows), hdiutil (macOS, built in).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PKG = Path(__file__).resolve().parent
ROOT = PKG.parent
DIST = PKG / "dist"
WORK = PKG / "build"
SPEC = PKG / "nichelab.spec"
APP_NAME = "NicheLab"
DEB_NAME = "nichelab"
ICONS = ROOT / "resources" / "icons"
MAINTAINER = "NicheLab authors <nichelab-authors@users.noreply.github.com>"
SUMMARY = "Bone-marrow niche simulator: thrombopoiesis, TPO and transplant recovery in 3D"
DESCRIPTION = """\
NicheLab simulates a piece of bone marrow in 3D: megakaryocytes crawl to the
sinusoids and shed platelets, stem cells home to their niches, and live plots
show platelet counts and engraftment recover after myelosuppression or a
transplant. Made for classrooms and for researchers exploring recovery."""
#: used when the build machine cannot tell which packages provide the system libraries
FALLBACK_DEB_DEPENDS = ["libc6", "libgl1", "libegl1", "libfontconfig1", "libfreetype6", "libx11-6",
                        "libx11-xcb1", "libxcb1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0",
                        "libxcb-keysyms1", "libxcb-randr0", "libxcb-render-util0", "libxcb-shape0",
                        "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon0", "libxkbcommon-x11-0", "libdbus-1-3",
                        "libglib2.0-0"]
#: system libraries the app can run without (dlopened optionally) and that must not become Depends
OPTIONAL_LIB_PREFIXES = ("libwayland", "libgtk", "libgdk", "libatk", "libpango", "libcairo", "libvulkan")


# ---------------------------------------------------------------- facts about this machine

def host_platform() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def machine_arch() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}.get(m, m or "unknown")


def deb_arch() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine_arch(), machine_arch())


def app_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return str(tomllib.loads(text)["project"]["version"])


def find_iscc() -> str | None:
    """Inno Setup 6's command-line compiler."""
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return found
    for env in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA"):
        base = os.environ.get(env)
        if not base:
            continue
        for sub in ("Inno Setup 6", os.path.join("Programs", "Inno Setup 6")):
            cand = Path(base) / sub / "ISCC.exe"
            if cand.is_file():
                return str(cand)
    return None


def find_appimagetool() -> str | None:
    return os.environ.get("APPIMAGETOOL") or shutil.which("appimagetool") or \
        shutil.which("appimagetool-x86_64.AppImage")


# ---------------------------------------------------------------- the plan

@dataclass
class Step:
    name: str
    what: str
    outputs: list[Path] = field(default_factory=list)
    run: Callable[[], None] | None = None
    skip_reason: str | None = None


def folder() -> Path:
    return DIST / APP_NAME


def frozen_command(plat: str) -> Path:
    """The built app's console program (it runs the headless subcommands)."""
    if plat == "macos":
        return DIST / f"{APP_NAME}.app" / "Contents" / "MacOS" / APP_NAME
    if plat == "windows":
        return folder() / "nichelab-cli.exe"
    return folder() / APP_NAME


def shipped_kernels_dir(plat: str) -> Path:
    """Where the shipped kernels go: the bundle's data folder (``sys._MEIPASS``; on macOS the app's
    Resources, linked from Frameworks as PyInstaller does for data)."""
    if plat == "macos":
        return DIST / f"{APP_NAME}.app" / "Contents" / "Resources" / "kernels"
    return folder() / "_internal" / "kernels"


def plan(plat: str, version: str, skip_pyinstaller: bool = False, bundle_ffmpeg: bool = True,
         ship_kernels_enabled: bool = True) -> list[Step]:
    steps = [Step("icons", "render PNG/.ico/.icns from resources/icons/nichelab.svg when out of date",
                  [ICONS / "nichelab.ico", ICONS / "nichelab.icns"], run=make_icons)]
    frozen = [DIST / f"{APP_NAME}.app"] if plat == "macos" else [folder()]
    what = f"one-folder app from {SPEC.relative_to(ROOT)}" + ("" if bundle_ffmpeg else " (without ffmpeg)")
    steps.append(Step("pyinstaller", what, frozen, run=lambda: run_pyinstaller(bundle_ffmpeg),
                      skip_reason="--skip-pyinstaller: reusing the existing folder" if skip_pyinstaller else None))
    steps.append(Step("kernels", "compile the engine's kernels with the built app for portable CPU targets "
                      "(NUMBA_CPU_NAME=generic, and x86-64-v3 on x86-64) and ship them in it: the first launch "
                      "compiles nothing",
                      [shipped_kernels_dir(plat)], run=lambda: ship_kernels(plat),
                      skip_reason=None if ship_kernels_enabled else "--no-kernels: compiled at the first launch"))
    native = plat == host_platform()
    if plat == "linux":
        arch, darch = (machine_arch(), deb_arch()) if native else ("<arch>", "<arch>")
        steps.append(Step("deb", "Debian package: /opt/nichelab, /usr/bin/nichelab, .desktop entry, icons",
                          [DIST / f"{DEB_NAME}_{version}_{darch}.deb"], run=lambda: build_deb(version, darch)))
        steps.append(Step("tar.gz", "portable archive (unpack anywhere, run NicheLab/NicheLab)",
                          [DIST / f"{APP_NAME}-{version}-linux-{arch}.tar.gz"],
                          run=lambda: build_tarball(version, arch)))
        tool = find_appimagetool()
        steps.append(Step(
            "appimage", "single-file AppImage (appimagetool)", [DIST / f"{APP_NAME}-{version}-{arch}.AppImage"],
            run=lambda: build_appimage(version, arch, tool),
            skip_reason=None if tool else "appimagetool not on PATH (it and the AppImage runtime are "
            "published only as GitHub release binaries, not on PyPI or in Debian; CI downloads it)"))
    elif plat == "windows":
        iscc = find_iscc()
        steps.append(Step("inno-setup", "per-user installer (no admin rights): Start menu, desktop icon, uninstaller",
                          [DIST / f"{APP_NAME}-{version}-windows-x64-setup.exe"],
                          run=lambda: build_inno(version, iscc),
                          skip_reason=None if iscc or host_platform() != "windows" else
                          "Inno Setup 6 (ISCC.exe) not found: install it (choco install innosetup)"))
        steps.append(Step("zip", "portable zip of the folder", [DIST / f"{APP_NAME}-{version}-windows-x64.zip"],
                          run=lambda: build_zip(version)))
    elif plat == "macos":
        arch = machine_arch() if native else "<arm64|x86_64>"
        steps.append(Step("dmg", "disk image with NicheLab.app and an Applications link (ad-hoc signed)",
                          [DIST / f"{APP_NAME}-{version}-macos-{arch}.dmg"], run=lambda: build_dmg(version, arch)))
    else:
        raise SystemExit(f"build.py: unknown platform {plat!r}")
    return steps


def print_plan(plat: str, version: str, steps: list[Step]) -> None:
    arch = machine_arch() if plat == host_platform() else "target arch"
    print(f"{APP_NAME} {version} build plan for {plat} ({arch}):")
    for i, s in enumerate(steps, 1):
        outs = ", ".join(str(p.relative_to(ROOT)) for p in s.outputs)
        print(f"  {i}. {s.name:<12} {s.what}")
        print(f"     {'':<12} -> {outs}" + (f"  [skipped: {s.skip_reason}]" if s.skip_reason else ""))


# ---------------------------------------------------------------- steps

def sh(cmd: list[str], **kw) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def make_icons() -> None:
    sys.path.insert(0, str(PKG))
    import make_icons as mi

    if mi.up_to_date():
        print("icons up to date")
        return
    for p in mi.make_icons():
        print(f"wrote {p.relative_to(ROOT)}")


def run_pyinstaller(bundle_ffmpeg: bool = True) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit('build.py: PyInstaller is not installed in this Python; run: '
                         f'{sys.executable} -m pip install "pyinstaller>=6.5"') from None
    env = dict(os.environ, NICHELAB_BUNDLE_FFMPEG="1" if bundle_ffmpeg else "0")
    sh([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", DIST, "--workpath", WORK / "pyinstaller", SPEC], cwd=ROOT, env=env)


def _shipped_kernels_module():
    """engine/shipped_kernels.py (the targets to ship), loaded without importing the engine package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_shipped_kernels", ROOT / "engine" / "shipped_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ship_kernels(plat: str) -> None:
    """Run the built app to compile every kernel for each portable target (engine/shipped_kernels.py:
    SHIP_TARGETS) into an empty cache, check in a second run per target that nothing is left to
    compile, then copy the cache and its manifest into the bundle (engine/shipped_kernels.py explains
    how the app uses them)."""
    cache, home = WORK / "kernels", WORK / "kernels-home"
    for d in (cache, home):
        if d.exists():
            shutil.rmtree(d)
    cache.mkdir(parents=True, mode=0o700)
    os.chmod(cache, 0o700)
    dest = shipped_kernels_dir(plat)
    if dest.exists():       # (a rebuild over an existing folder: the app must not see old kernels)
        shutil.rmtree(dest)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(cache), NICHELAB_HOME=str(home))
    app = frozen_command(plat)
    sk = _shipped_kernels_module()
    targets = sk.SHIP_TARGETS.get(machine_arch(), (sk.PORTABLE_CPU,))
    host = sk.host_features()
    for cpu in targets:
        lacking = set(sk.TARGET_REQUIRES[cpu]) - host
        if lacking:
            print(f"build.py: warning: not shipping {cpu} kernels: this build machine cannot run them "
                  f"(no {', '.join(sorted(lacking))}); machines that can will run the {targets[-1]} ones")
            continue
        target_env = dict(env, NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="")
        sh([app, "kernels", "--ship"], env=target_env)
        sh([app, "kernels", "--expect-cached"], env=target_env)   # a fresh process: all loads, nothing compiles
    import json

    manifest = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    dest.mkdir(parents=True)
    for name in ["manifest.json", *manifest["files"]]:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / name, target)
        target.chmod(0o644)
    for d in [dest, *(p for p in dest.rglob("*") if p.is_dir())]:
        d.chmod(0o755)
    if plat == "macos":
        link = DIST / f"{APP_NAME}.app" / "Contents" / "Frameworks" / "kernels"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(Path("..") / "Resources" / "kernels")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"shipped {len(manifest['files'])} kernel cache files ({size / 1e6:.1f} MB) for {manifest['key']}, "
          f"targets {', '.join(t['cpu_name'] for t in manifest['targets'])}, in {dest.relative_to(ROOT)}")


def _copy_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


def _desktop_entry(exec_line: str, icon: str) -> str:
    return "\n".join([
        "[Desktop Entry]", "Type=Application", f"Name={APP_NAME}",
        "GenericName=Bone-marrow niche simulator",
        f"Comment={SUMMARY}", f"Exec={exec_line}", f"Icon={icon}", "Terminal=false",
        "Categories=Education;Science;Biology;", "Keywords=bone marrow;platelets;megakaryocyte;stem cell;biology;",
        f"StartupWMClass={APP_NAME}", ""])


def _system_lib_packages(root: Path) -> list[str]:
    """Debian packages providing the system libraries the bundle links to (ldd + dpkg -S)."""
    if not (shutil.which("ldd") and shutil.which("dpkg")):
        return []
    bundled = {p.name for p in root.rglob("*.so*")}
    libs: set[str] = set()
    missing: dict[str, str] = {}
    elfs = [p for p in root.rglob("*") if p.is_file() and (".so" in p.name or os.access(p, os.X_OK))]
    for p in elfs:
        with open(p, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(p)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split("=>")
            if len(parts) != 2:
                continue
            name, target = parts[0].strip(), parts[1].split("(")[0].strip()
            if target == "not found" and name not in bundled and not name.startswith(OPTIONAL_LIB_PREFIXES):
                missing.setdefault(name, str(p.relative_to(root)))
            if not target.startswith("/") or name in bundled or str(root) in target:
                continue
            if name.startswith(OPTIONAL_LIB_PREFIXES):
                continue
            libs.add(target)
    for name, user in sorted(missing.items()):
        if name.startswith("libtbb"):  # numba's optional TBB threading layer; it falls back to OpenMP
            continue
        print(f"build.py: warning: {user} needs {name}, which is neither bundled nor on this machine")
    pkgs: set[str] = set()
    for lib in sorted(libs):
        candidates = {lib, os.path.realpath(lib)}
        for c in list(candidates):  # usrmerge: /lib/... and /usr/lib/... are the same file
            if c.startswith("/usr/lib/"):
                candidates.add(c[4:])
            elif c.startswith("/lib/"):
                candidates.add("/usr" + c)
        for c in candidates:
            r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                pkgs.add(r.stdout.split(":")[0].strip())
                break
    return sorted(pkgs)


def build_deb(version: str, darch: str) -> None:
    src = folder()
    stage = WORK / "deb" / f"{DEB_NAME}_{version}_{darch}"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / DEB_NAME
    _copy_tree(src, opt)
    (stage / "usr" / "bin").mkdir(parents=True)
    launcher = stage / "usr" / "bin" / DEB_NAME
    launcher.write_text(f'#!/bin/sh\nexec /opt/{DEB_NAME}/{APP_NAME} "$@"\n')
    launcher.chmod(0o755)
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / f"{DEB_NAME}.desktop").write_text(_desktop_entry(f"/opt/{DEB_NAME}/{APP_NAME}", DEB_NAME))
    icons = stage / "usr" / "share" / "icons" / "hicolor"
    for png in sorted(ICONS.glob("nichelab-*.png")):
        size = png.stem.split("-")[1]
        d = icons / f"{size}x{size}" / "apps"
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, d / f"{DEB_NAME}.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(ICONS / "nichelab.svg", icons / "scalable" / "apps" / f"{DEB_NAME}.svg")
    doc = stage / "usr" / "share" / "doc" / DEB_NAME
    doc.mkdir(parents=True)
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8") if (ROOT / "LICENSE").is_file() else "MIT"
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {APP_NAME}\n\nFiles: *\nCopyright: NicheLab authors\nLicense: MIT\n "
        + "\n ".join(line if line.strip() else "." for line in licence.strip().splitlines())
        + f"\n\nFiles: opt/{DEB_NAME}/_internal/*\nComment: bundled third-party components (Python, Qt/PySide6 "
        f"under LGPLv3, numpy, numba, llvmlite, ffmpeg, ...); see /opt/{DEB_NAME}/_internal/resources/"
        "THIRD_PARTY_LICENSES.md\nLicense: various\n")
    # permissions: directories and executables 0755, everything else 0644
    for p in stage.rglob("*"):
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o755)
        else:
            p.chmod(0o755 if os.access(p, os.X_OK) else 0o644)
    depends = _system_lib_packages(opt) or FALLBACK_DEB_DEPENDS
    # Qt's xcb platform plugin loads these at run time; ldd cannot see every one of them
    for extra in ("libxcb-cursor0", "libxkbcommon-x11-0", "libgl1", "libegl1", "libfontconfig1"):
        if extra not in depends:
            depends.append(extra)
    size_kb = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = stage / "DEBIAN" / "control"
    control.parent.mkdir()
    long_desc = "\n".join(" " + (line if line.strip() else ".") for line in DESCRIPTION.splitlines())
    control.write_text(
        f"Package: {DEB_NAME}\nVersion: {version}\nSection: science\nPriority: optional\n"
        f"Architecture: {darch}\nMaintainer: {MAINTAINER}\nInstalled-Size: {size_kb}\n"
        f"Depends: {', '.join(sorted(set(depends)))}\nRecommends: xdg-utils\n"
        f"Description: {SUMMARY}\n{long_desc}\n")
    control.chmod(0o644)
    control.parent.chmod(0o755)
    out = DIST / f"{DEB_NAME}_{version}_{darch}.deb"
    sh(["dpkg-deb", "--root-owner-group", "-Zxz", "-z6", "--build", stage, out])
    print(f"Depends: {', '.join(sorted(set(depends)))}")


def build_tarball(version: str, arch: str) -> None:
    src = folder()
    top = f"{APP_NAME}-{version}"
    out = DIST / f"{APP_NAME}-{version}-linux-{arch}.tar.gz"
    extra = WORK / "tar-extra"
    if extra.exists():
        shutil.rmtree(extra)
    extra.mkdir(parents=True)
    (extra / "install-desktop-entry.sh").write_text(INSTALL_DESKTOP_SH.replace("@APP@", APP_NAME))
    (extra / "install-desktop-entry.sh").chmod(0o755)
    (extra / "README.txt").write_text(PORTABLE_README.format(app=APP_NAME, version=version))

    def filt(ti: tarfile.TarInfo) -> tarfile.TarInfo:
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    tmp = out.with_suffix(".part")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tf:
        tf.add(src, arcname=f"{top}/{APP_NAME}", filter=filt)
        tf.add(extra / "install-desktop-entry.sh", arcname=f"{top}/install-desktop-entry.sh", filter=filt)
        tf.add(extra / "README.txt", arcname=f"{top}/README.txt", filter=filt)
    os.replace(tmp, out)


def build_appimage(version: str, arch: str, tool: str | None) -> None:
    appdir = WORK / f"{APP_NAME}.AppDir"
    if appdir.exists():
        shutil.rmtree(appdir)
    _copy_tree(folder(), appdir / "usr" / "lib" / DEB_NAME)
    apprun = appdir / "AppRun"
    apprun.write_text('#!/bin/sh\nHERE="$(dirname "$(readlink -f "$0")")"\n'
                      f'exec "$HERE/usr/lib/{DEB_NAME}/{APP_NAME}" "$@"\n')
    apprun.chmod(0o755)
    (appdir / f"{DEB_NAME}.desktop").write_text(_desktop_entry(APP_NAME, DEB_NAME))
    shutil.copy2(ICONS / "nichelab-256.png", appdir / f"{DEB_NAME}.png")
    out = DIST / f"{APP_NAME}-{version}-{arch}.AppImage"
    env = dict(os.environ, ARCH=arch, APPIMAGE_EXTRACT_AND_RUN="1")
    sh([tool, appdir, out], env=env)


def build_inno(version: str, iscc: str | None) -> None:
    if not iscc:
        raise SystemExit("build.py: Inno Setup 6 (ISCC.exe) not found; install it (choco install innosetup)")
    sh([iscc, f"/DAppVersion={version}", f"/DSourceDir={folder()}", f"/DOutputDir={DIST}",
        f"/DIconFile={ICONS / 'nichelab.ico'}", f"/DLicenseFile={ROOT / 'LICENSE'}",
        PKG / "windows" / "nichelab.iss"])


def build_zip(version: str) -> None:
    out = DIST / f"{APP_NAME}-{version}-windows-x64.zip"
    tmp = out.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for p in sorted(folder().rglob("*")):
            if p.is_file():
                zf.write(p, f"{APP_NAME}/{p.relative_to(folder()).as_posix()}")
    os.replace(tmp, out)


def build_dmg(version: str, arch: str) -> None:
    app = DIST / f"{APP_NAME}.app"
    # PyInstaller signs each binary ad hoc; sign the bundle as a whole so Apple silicon accepts it
    sh(["codesign", "--force", "--deep", "--sign", "-", app])
    stage = WORK / "dmg"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    sh(["ditto", app, stage / f"{APP_NAME}.app"])
    (stage / "Applications").symlink_to("/Applications")
    out = DIST / f"{APP_NAME}-{version}-macos-{arch}.dmg"
    sh(["hdiutil", "create", "-volname", f"{APP_NAME} {version}", "-srcfolder", stage, "-fs", "HFS+",
        "-format", "UDZO", "-ov", out])


INSTALL_DESKTOP_SH = """#!/bin/sh
# Adds @APP@ to your desktop's application menu (for this user only; no administrator rights).
set -e
HERE="$(cd "$(dirname "$0")" && pwd)"
APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
ICONDIR="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$APPS" "$ICONDIR"
cp "$HERE/@APP@/_internal/resources/icons/nichelab-256.png" "$ICONDIR/nichelab.png"
cat > "$APPS/nichelab.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=@APP@
Comment=Bone-marrow niche simulator
Exec="$HERE/@APP@/@APP@"
Icon=nichelab
Terminal=false
Categories=Education;Science;Biology;
EOF
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
echo "Added @APP@ to the application menu ($APPS/nichelab.desktop)."
"""

PORTABLE_README = """{app} {version} for Linux (portable)

Run:     ./{app}/{app}            (double-click it in a file manager, or run from a terminal)
Menu:    ./install-desktop-entry.sh   adds {app} to your application menu (this user only)
Terminal use:  ./{app}/{app} run --scenario wt_steady_state --days 5 --csv out.csv

The simulation engine comes compiled (for any processor of this architecture): the first launch
takes a few seconds, like every later one.
Needs an X11 or Wayland desktop with OpenGL (Mesa is fine) and the xcb libraries most desktops have
(on a minimal Debian/Ubuntu: sudo apt install libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1).
"""


# ---------------------------------------------------------------- main

def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build NicheLab's installers for this platform.")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    ap.add_argument("--platform", choices=["linux", "windows", "macos"], default=None,
                    help="plan for another platform (only with --dry-run; builds always target this one)")
    ap.add_argument("--skip-pyinstaller", action="store_true", help="reuse the existing PyInstaller output")
    ap.add_argument("--only", metavar="STEP[,STEP]", help="run only these steps of the plan (e.g. pyinstaller)")
    ap.add_argument("--no-kernels", action="store_true",
                    help="do not ship compiled kernels (the first launch then compiles them: a minute or two)")
    ap.add_argument("--no-ffmpeg", action="store_true",
                    help="leave out imageio-ffmpeg's ffmpeg (GPL-3.0, ~50 MB compressed); movie export then "
                    "needs an ffmpeg on PATH")
    args = ap.parse_args(argv)
    plat = args.platform or host_platform()
    if plat != host_platform() and not args.dry_run:
        ap.error(f"cannot build {plat} installers on {host_platform()} (PyInstaller does not cross-compile); "
                 "use --dry-run to see the plan, or the CI workflow")
    version = app_version()
    steps = plan(plat, version, skip_pyinstaller=args.skip_pyinstaller, bundle_ffmpeg=not args.no_ffmpeg,
                 ship_kernels_enabled=not args.no_kernels)
    print_plan(plat, version, steps)
    if args.dry_run:
        return 0
    DIST.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= {s.name for s in steps}:
        ap.error(f"--only: unknown step(s) {', '.join(sorted(only - {s.name for s in steps}))}")
    for s in steps:
        if only and s.name not in only:
            continue
        if s.skip_reason:
            print(f"== {s.name}: skipped ({s.skip_reason})")
            continue
        print(f"== {s.name}: {s.what}", flush=True)
        t0 = time.perf_counter()
        s.run()
        print(f"== {s.name}: done in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\nBuilt in {time.perf_counter() - t_all:.0f} s:")
    for s in steps:
        if s.name == "icons" or s.skip_reason or (only and s.name not in only):
            continue
        for out in s.outputs:
            if out.exists():
                print(f"  {out.relative_to(ROOT)}  {dir_size(out) / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-user folders are private: a folder or file another local user could have planted is refused.

The attack (issue 17): when the home cache is not writable, NicheLab used ``/tmp/nichelab-cache-<uid>``
and accepted it if it existed; another user could create it first with a numba cache index in it,
which numba unpickles (their code runs as the student), or a symbolic link for the log file. Each
test below pre-creates such a hostile folder or file and checks that it is refused and a safe
folder used. Tests that need a folder owned by another user change owners, so they need root
(CI runs as root); the others run as anyone.
"""
from __future__ import annotations

import logging
import os
import pickle
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine import private_folders, runtime
from engine.private_folders import UnsafeFolder, open_private_file, private_dir, trusted_file

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
OTHER_UID = 4242           # "another local user"
needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="giving a folder to another user needs root")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX owners and modes")


class _Payload:
    """Unpickling this makes the folder ``marker``: proof that a planted pickle was run."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _plant_index(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Payload(marker)))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# ------------------------------------------------------------------ the folders themselves

@posix_only
def test_folders_are_made_private_and_an_old_loose_one_is_tightened(monkeypatch, tmp_path, fresh_runtime):
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    os.chmod(home / "cache", 0o755)                    # as an older NicheLab left it
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    assert runtime.user_dir("cache") == home / "cache"
    assert _mode(home / "cache") == 0o700
    data = runtime.user_dir("data")
    assert data == home / "data" and _mode(data) == 0o700


@pytest.mark.parametrize("hostile", ["symlink", "world_writable_parent", "file"])
def test_a_hostile_folder_is_refused_and_a_private_one_used(monkeypatch, tmp_path, fresh_runtime, caplog, hostile):
    elsewhere = tmp_path / "attackers"
    elsewhere.mkdir()
    marker = tmp_path / "payload-ran"
    _plant_index(elsewhere / "numba" / "planted.nbi", marker)
    home = tmp_path / "home"
    home.mkdir()
    if hostile == "symlink":
        (home / "cache").symlink_to(elsewhere, target_is_directory=True)
        expect = "symbolic link"
    elif hostile == "world_writable_parent":
        os.chmod(home, 0o777)                         # anyone may rename home/cache and put their own there
        expect = "writable by every user"
    else:
        (home / "cache").write_text("not a folder")
        expect = "is not writable"
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        d = runtime.user_dir("cache")
    assert d.parent == fresh_runtime and d.name.startswith("nichelab-cache-")
    assert _mode(d) == 0o700 and os.lstat(d).st_uid == os.geteuid()
    assert f"cache folder {home / 'cache'} " in caplog.text and expect in caplog.text
    assert f"using {d} instead" in caplog.text
    assert not marker.exists()


def test_a_sticky_shared_parent_is_accepted(monkeypatch, tmp_path, fresh_runtime):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)                          # like /tmp: others cannot rename what is ours
    monkeypatch.setenv("NICHELAB_HOME", str(shared / "me"))
    assert runtime.user_dir("data") == shared / "me" / "data"


@needs_root
def test_a_folder_of_another_user_is_refused(monkeypatch, tmp_path, fresh_runtime, caplog):
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    os.chown(home / "cache", OTHER_UID, OTHER_UID)
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        d = runtime.user_dir("cache")
    assert d != home / "cache" and d.parent == fresh_runtime
    assert f"owned by another user (uid {OTHER_UID})" in caplog.text
    # and a folder owned by another user above ours (they could swap ours for theirs)
    home2 = tmp_path / "theirs"
    home2.mkdir()
    os.chown(home2, OTHER_UID, OTHER_UID)
    monkeypatch.setenv("NICHELAB_HOME", str(home2))
    with pytest.raises(UnsafeFolder, match="owned by another user"):
        private_dir(home2 / "data")


def test_fallback_is_never_a_predictable_shared_name(monkeypatch, tmp_path, fresh_runtime):
    """The old fallback name, pre-created by someone else with a planted index, is not used; each
    process gets a fresh private folder."""
    uid = os.geteuid() if hasattr(os, "geteuid") else "user"
    old = fresh_runtime / f"nichelab-cache-{uid}"
    marker = tmp_path / "payload-ran"
    _plant_index(old / "numba" / "planted.nbi", marker)
    os.chmod(old, 0o777)
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("x")               # home unusable: a fallback is needed
    first = runtime.user_dir("cache")
    monkeypatch.setattr(runtime, "_fallbacks", {})    # as in another process
    second = runtime.user_dir("cache")
    assert len({first, second, old}) == 3
    assert not marker.exists()


@posix_only
def test_fallback_in_the_private_session_runtime_folder(monkeypatch, tmp_path, fresh_runtime):
    run = tmp_path / "run-user"
    run.mkdir(mode=0o700)
    os.chmod(run, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "file"))
    d = runtime.user_dir("cache")
    assert d == run / "nichelab" / "cache" and _mode(d) == 0o700
    # a runtime folder others may write in is not trusted
    os.chmod(run, 0o777)
    monkeypatch.setattr(runtime, "_fallbacks", {})
    assert runtime.user_dir("cache").parent == fresh_runtime


def test_numba_cache_dir_from_the_environment_must_be_private(monkeypatch, tmp_path, caplog):
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(loose))
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        assert runtime._numba_cache_from_environment() is None
    assert "ignoring NUMBA_CACHE_DIR" in caplog.text and "NUMBA_CACHE_DIR" not in os.environ
    good = tmp_path / "good"
    good.mkdir(mode=0o700)
    os.chmod(good, 0o700)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(good))
    assert runtime._numba_cache_from_environment() == good


# ------------------------------------------------------------------ files

def test_symlinked_log_file_is_not_followed(monkeypatch, tmp_path, fresh_runtime):
    victim = tmp_path / "victims-bashrc"
    victim.write_text("export PATH=/usr/bin\n")
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "nichelab.log").symlink_to(victim)
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    logger = logging.getLogger("nichelab")
    monkeypatch.setattr(logger, "handlers", [])
    path = runtime.setup_logging()
    try:
        logger.warning("hello from the test")
        for h in logger.handlers:
            h.flush()
    finally:
        for h in logger.handlers:
            h.close()
    assert victim.read_text() == "export PATH=/usr/bin\n"
    assert not path.is_symlink() and "hello from the test" in path.read_text(encoding="utf-8")
    if os.name == "posix":
        assert _mode(path) == 0o600


@needs_root
def test_log_file_of_another_user_is_replaced(tmp_path):
    d = private_dir(tmp_path / "data")
    theirs = d / "nichelab.log"
    theirs.write_text("theirs\n")
    os.chown(theirs, OTHER_UID, OTHER_UID)
    fd = open_private_file(theirs)
    try:
        os.write(fd, b"mine\n")
    finally:
        os.close(fd)
    assert theirs.read_text() == "mine\n" and os.lstat(theirs).st_uid == os.geteuid()


def test_trusted_file(tmp_path):
    f = tmp_path / "index.nbi"
    f.write_bytes(b"x")
    os.chmod(f, 0o644)
    assert trusted_file(f)
    os.chmod(f, 0o666)
    assert not trusted_file(f) or os.name != "posix"   # anyone could have written it
    link = tmp_path / "link.nbi"
    link.symlink_to(f)
    assert not trusted_file(link) and not trusted_file(tmp_path / "missing.nbi")


# ------------------------------------------------------------------ end to end: the cache hijack

HIJACK = textwrap.dedent("""
    import os, sys, types
    sys.frozen = True                      # as in a PyInstaller bundle
    sys._MEIPASS = sys.argv[1]
    sys.path.insert(0, sys.argv[1])
    from engine.runtime import configure_numba_cache
    cache = configure_numba_cache()
    src = "from numba import njit\\n@njit(cache=True)\\ndef twice(x):\\n    return 2 * x\\n"
    mod = sys.modules["kern.mod"] = types.ModuleType("kern.mod")
    exec(compile(src, os.path.join("kern", "mod.py"), "exec"), mod.__dict__)
    assert mod.twice(21) == 42
    print(cache)
""")


def _index_names() -> list[str]:
    ver = f"py{sys.version_info[0]}{sys.version_info[1]}{getattr(sys, 'abiflags', '')}"
    return [f"mod.twice-{line}.{ver}.nbi" for line in (1, 2, 3)]


def _run_hijack(tmp_path, env) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-c", HIJACK, str(ROOT)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)


@posix_only
def test_cache_hijack_through_the_old_temp_fallback_fails(tmp_path):
    """The classroom case of issue 17: home not writable, the attacker pre-created the old fallback
    folder with a numba index that runs their code when unpickled. It is never read."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = tmp_path / "payload-ran"
    key = runtime.kernel_cache_key()
    old = tmp / f"nichelab-cache-{os.geteuid()}"
    for name in _index_names():
        _plant_index(old / "numba" / key / "kern" / name, marker)
    for p in [old, *old.rglob("*")]:
        os.chmod(p, 0o777 if p.is_dir() else 0o666)
    env = dict(os.environ, NICHELAB_HOME="/proc/nichelab-not-writable", TMPDIR=str(tmp))
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("XDG_RUNTIME_DIR", None)
    out = _run_hijack(tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    cache = Path(out.stdout.strip().splitlines()[-1])
    assert old not in cache.parents and cache.parts[-2] == "numba"
    assert "not writable" in out.stderr


@posix_only
@pytest.mark.parametrize("owner", ["loose_mode", "other_user"])
def test_planted_index_in_our_own_cache_is_never_unpickled(tmp_path, owner):
    """A cache folder that was once writable by others (or a file in it someone else owns): the file
    is removed unread, the kernel compiled, and one line says so."""
    if owner == "other_user" and os.geteuid() != 0:
        pytest.skip("needs root")
    home = tmp_path / "home"
    marker = tmp_path / "payload-ran"
    key = runtime.kernel_cache_key()
    folder = home / "cache" / "numba" / key / "kern"
    for name in _index_names():
        _plant_index(folder / name, marker)
        if owner == "other_user":
            os.chown(folder / name, OTHER_UID, OTHER_UID)
        else:
            os.chmod(folder / name, 0o666)
    env = dict(os.environ, NICHELAB_HOME=str(home))
    env.pop("NUMBA_CACHE_DIR", None)
    out = _run_hijack(tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    assert "compiled-kernel cache was damaged" in out.stderr and "not a private file" in out.stderr
    # the kernel's own index was compiled again and saved, privately (the other planted names are no
    # kernel's: never opened)
    assert len([p for p in folder.glob("mod.twice-*.nbi") if trusted_file(p)]) == 1
    assert _mode(home / "cache") == 0o700


def test_private_folders_module_has_no_heavy_imports():
    out = subprocess.run([PY, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                          "import importlib.util as u; s = u.spec_from_file_location('pf', sys.argv[2]); "
                          "m = u.module_from_spec(s); s.loader.exec_module(m); "
                          "print(sorted(k for k in sys.modules if k.split('.')[0] in ('numba', 'numpy')))",
                          str(ROOT), str(ROOT / "engine" / "private_folders.py")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert private_folders.POSIX == (os.name == "posix")

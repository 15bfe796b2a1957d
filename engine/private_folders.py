"""Private per-user folders and files: created safely, checked before NicheLab trusts them.

NicheLab's per-user folders hold files it later reads back and trusts: numba's kernel cache (whose
index numba unpickles: whoever can write it can run code as the user), the kept tiles, the log, the
autosave. So each such folder must be writable by this user only, and a folder or file that another
local user could have made or redirected is refused, never reused.

What is checked, per operating system:

POSIX (Linux, macOS)
  - NicheLab's own folders (``private_dir``: the per-user data/cache/config folders, the kernel cache
    and the folders under it) are created with mode 0700; an existing one must be a real folder
    (``lstat``: not a symbolic link), owned by this user (effective uid); group and other access
    bits are then removed (an older NicheLab made them 0755 or, with umask 002, 0775), through a
    descriptor opened with ``O_NOFOLLOW | O_DIRECTORY``.
  - The folders above them (``~/.cache``, ``NICHELAB_HOME``, ...) must be owned by this user or
    root, and writable by nobody else unless the sticky bit is set (``/tmp``) or the group is the
    user's own private group (Debian/Ubuntu "user private groups"); a symbolic link among them must
    be owned by this user or root, and its target is checked the same way.
  - Files are opened with ``O_NOFOLLOW`` (``open_private_file``); a file NicheLab reads back and
    trusts must be a regular file owned by this user and writable by nobody else
    (``trusted_file``).
  - Fallbacks (home not writable, or refused): ``$XDG_RUNTIME_DIR/nichelab`` when that folder is
    private (the login session's runtime folder, e.g. /run/user/1000), otherwise a fresh
    ``tempfile.mkdtemp`` folder for this process. A predictable name in a shared folder such as
    ``/tmp`` is never used.
Windows
  - Modes and owners are not POSIX: the preferred folders are under ``%LOCALAPPDATA%`` (the user's
    profile, which NTFS permissions reserve to the user, SYSTEM and administrators). A folder or file
    that is a reparse point (symbolic link or junction) is refused. Fallbacks are always a fresh
    ``tempfile.mkdtemp`` folder (in the per-user ``%TEMP%``), never a predictable reused name.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

POSIX = os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_REPARSE = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)


class UnsafeFolder(OSError):
    """A folder or file that another user could have made or redirected."""


def _uid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _is_link(st: os.stat_result) -> bool:
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & _REPARSE)


def _private_group(gid: int) -> bool:
    """True for the user's own private group (Debian/Ubuntu: a group of the user's name, the user's
    primary group, with no other members): writable by that group means writable by the user only."""
    try:
        import grp
        import pwd

        me = pwd.getpwuid(_uid())
        group = grp.getgrgid(gid)
    except (ImportError, KeyError, OSError):
        return False
    return gid == me.pw_gid and group.gr_name == me.pw_name and set(group.gr_mem) <= {me.pw_name}


def _check_trusted_ancestor(path: str, st: os.stat_result) -> None:
    """A folder above NicheLab's own: nobody but this user (or root) can add, remove or rename in it."""
    if not POSIX:
        return
    if st.st_uid not in (0, _uid()):
        raise UnsafeFolder(errno.EPERM, f"owned by another user (uid {st.st_uid})", path)
    if st.st_mode & stat.S_ISVTX:
        return
    if st.st_mode & stat.S_IWOTH:
        raise UnsafeFolder(errno.EPERM, "writable by every user", path)
    if st.st_mode & stat.S_IWGRP and not (st.st_uid == _uid() and _private_group(st.st_gid)):
        raise UnsafeFolder(errno.EPERM, "writable by its group", path)


def _check_ancestors(path: Path) -> None:
    """Every existing folder from the root down to ``path`` (inclusive), both as written and resolved."""
    if not POSIX:
        return
    parts = Path(os.path.abspath(path)).parts
    for i in range(1, len(parts) + 1):
        p = os.path.join(*parts[:i])
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid not in (0, _uid()):
                raise UnsafeFolder(errno.EPERM, f"a symbolic link owned by another user (uid {st.st_uid})", p)
            continue          # its target is checked below, with the resolved path
        _check_trusted_ancestor(p, st)
    real = os.path.realpath(path)
    if real != os.path.abspath(path):
        rparts = Path(real).parts
        for i in range(1, len(rparts) + 1):
            p = os.path.join(*rparts[:i])
            _check_trusted_ancestor(p, os.stat(p))


def _own_folder(path: str, *, tighten: bool) -> None:
    """``path`` exists: it must be a real folder of this user's; group and other access is removed."""
    st = os.lstat(path)
    if _is_link(st):
        raise UnsafeFolder(errno.ELOOP, "is a symbolic link (or junction)", path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder", path)
    if not POSIX:
        return
    if st.st_uid != _uid():
        raise UnsafeFolder(errno.EPERM, f"owned by another user (uid {st.st_uid})", path)
    if st.st_mode & 0o077 == 0:
        return
    if not tighten:
        if st.st_mode & 0o002 or (st.st_mode & 0o020 and not _private_group(st.st_gid)):
            raise UnsafeFolder(errno.EPERM, f"writable by other users (mode {stat.S_IMODE(st.st_mode):o})", path)
        return
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _DIRECTORY)
    try:
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or fst.st_uid != _uid():
            raise UnsafeFolder(errno.EPERM, "changed while being checked", path)
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def private_dir(path: str | Path, root: str | Path | None = None, *, tighten: bool = True) -> Path:
    """Create (mode 0700) or check the private folder ``path`` and return it.

    ``root``: the topmost folder that is NicheLab's own (``path`` itself when None); every folder
    from ``root`` down to ``path`` must be a real folder of this user's (made private when
    ``tighten``), every folder above ``root`` a trusted one (see the module's docstring). Raises
    ``UnsafeFolder`` when a check fails and ``OSError`` when the folder cannot be made.
    """
    path = Path(os.path.abspath(path))
    root = path if root is None else Path(os.path.abspath(root))
    if root != path and root not in path.parents:
        raise ValueError(f"{path} is not inside {root}")
    os.makedirs(root.parent, mode=0o700, exist_ok=True)
    _check_ancestors(root.parent)
    below = [p for p in reversed(path.parents) if root in p.parents]        # strictly between root and path
    for p in [root, *below, *([path] if path != root else [])]:
        try:
            os.mkdir(p, 0o700)
        except FileExistsError:
            pass
        _own_folder(str(p), tighten=tighten)
    return path


def trusted_file(path: str | Path) -> bool:
    """True when ``path`` is a regular file (not a link) of this user's that nobody else may write:
    safe to read back and trust (a numba cache index, a kept tile)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if _is_link(st) or not stat.S_ISREG(st.st_mode):
        return False
    if POSIX and (st.st_uid != _uid() or st.st_mode & 0o022):
        return False
    return True


def open_private_file(path: str | Path, flags: int = os.O_WRONLY | os.O_APPEND | os.O_CREAT) -> int:
    """Open (mode 0600 if created) a file in a private folder without following a symbolic link.

    A link or a file of another user's in its place (only possible if the folder was not private
    before) is removed and a fresh file made; returns the descriptor."""
    path = os.fspath(path)
    flags |= _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for attempt in range(2):
        try:
            if not POSIX and os.path.lexists(path) and _is_link(os.lstat(path)):
                raise OSError(errno.ELOOP, "is a symbolic link", path)
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            if attempt or exc.errno not in (errno.ELOOP, errno.EMLINK):
                raise
            os.unlink(path)      # a link in our own folder: remove the link (not its target)
            flags |= os.O_EXCL
            continue
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and (not POSIX or (st.st_uid == _uid() and st.st_nlink == 1)):
            return fd
        os.close(fd)
        if attempt:
            raise UnsafeFolder(errno.EPERM, "is not a private regular file", path)
        os.unlink(path)
        flags |= os.O_EXCL
    raise AssertionError("unreachable")


def runtime_root() -> Path | None:
    """``$XDG_RUNTIME_DIR`` (POSIX) when it is a private folder of this user's, else None."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if not (POSIX and base and os.path.isabs(base)):
        return None
    try:
        _own_folder(base, tighten=False)
        st = os.lstat(base)
        if st.st_mode & 0o077:
            return None
        _check_ancestors(Path(base).parent)
    except OSError:
        return None
    return Path(base)


def fallback_dir(kind: str, app: str = "nichelab") -> Path:
    """A private folder for ``kind`` when the usual one cannot be used: in the session's private
    runtime folder (kept for the session), else a fresh temporary folder of this process's."""
    rt = runtime_root()
    if rt is not None:
        try:
            return private_dir(rt / app / kind, rt / app)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix=f"{app}-{kind}-"))   # 0700, a new unpredictable name


def describe(exc: OSError) -> str:
    """One line for a refused or unwritable folder."""
    where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
    return f"{where}{exc.strerror or exc}"


__all__ = ["UnsafeFolder", "private_dir", "trusted_file", "open_private_file", "runtime_root", "fallback_dir",
           "describe"]

"""Equilibrated tiles on disk: a scenario's tile as it stands after its spin-up.

Opening a scenario builds its marrow tile and runs the genotype's spin-up (14 simulated days for
the built-in scenarios), about a second of every launch. The result depends only on the engine
build, the species, the genotype, every parameter value and the seed, so it is kept: the next
opening of the same scenario (every launch opens the default one) restores it instead, with the
same numbers to the last bit (tests/test_tile_cache.py runs both ways and compares).

A tile is an ``.npz`` of the simulation's arrays plus a JSON text of its scalars, lists and the
random generator's state; nothing is unpickled. A kept tile is untrusted input: it is read only if it
is a private regular file of this user's (``engine.private_folders.trusted_file``, opened without
following a link), only if its members' declared sizes stay under the cap (checked in the zip
directory and each array's header before anything is decompressed or allocated), only if it names
the key it is read for, and it is used only after every array and value passed the checks of
``engine/tile_checks.py`` (dtypes, shapes, index ranges, finiteness, positions inside the tile, ...).
A file that fails any of this, is unreadable or from another build is removed with a logged warning
and the tile is built as usual. The folder (private, mode 0700) keeps the most recently used tiles only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .private_folders import private_dir, trusted_file
from .simulation import Simulation
from .tile_checks import TileRefused, validate

log = logging.getLogger("nichelab")

FORMAT = 1
#: room for the JSON part and the zip directory beside the arrays (the arrays are capped by max_bytes)
_OVERHEAD = 16e6
#: at most this many arrays in a tile file
_MAX_MEMBERS = 256
#: dtypes an array in a tile file may have (no objects, no strings)
_DTYPE_KINDS = "biuf"
#: parts of a Simulation whose own attributes are saved (dotted prefix -> attribute of the simulation)
PARTS = ("store", "particles", "tile", "tile.field", "tile.vessels", "tile.grid", "systemic", "neutrophils",
         "msc_secretome", "obs")
#: attributes rebuilt from the scenario and seed when the tile is restored (never saved): derived
#: from the geometry and the parameters, and the same in every build of the same key
REBUILT = {"scenario", "params", "schedule", "tile.vessels.lookup", "tile.wall_voxels", "tile.wall_segments",
           "tile.field.factors", "obs.columns", "obs.units", "kept_rows", "sdf1_lists", *PARTS}
_SCALARS = (bool, int, float, str, type(None), np.bool_, np.integer, np.floating)


def _scalar(v):
    """(JSON value, type tag) of a Python or numpy scalar."""
    if isinstance(v, np.generic):
        return v.item(), np.dtype(type(v)).str
    return v, ""


def _unscalar(v, tag):
    return np.dtype(tag).type(v) if tag else v


def _objects(sim):
    yield "", sim
    for part in PARTS:
        obj = sim
        for name in part.split("."):
            obj = getattr(obj, name)
        yield part + ".", obj


def capture(sim: Simulation) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, JSON-able rest) of everything a step can change. Raises TypeError for an attribute
    it does not know how to keep, so that a new kind of state cannot be silently left out."""
    arrays, rest = {}, {}
    for prefix, obj in _objects(sim):
        for name, v in vars(obj).items():
            key = prefix + name
            if key in REBUILT:
                continue
            if isinstance(v, np.ndarray):
                arrays[key] = v
            elif isinstance(v, _SCALARS):
                rest[key] = {"scalar": _scalar(v)}
            elif isinstance(v, np.random.Generator):
                rest[key] = {"rng": v.bit_generator.state}
            elif isinstance(v, dict) and all(isinstance(x, _SCALARS) for x in v.values()):
                rest[key] = {"dict": {k: _scalar(x) for k, x in v.items()}}
            elif isinstance(v, (list, tuple)) and all(
                    isinstance(x, _SCALARS) or (isinstance(x, (list, tuple)) and all(isinstance(y, _SCALARS) for y in x))
                    for x in v):
                rest[key] = {"list": [[_scalar(y)[0] for y in x] if isinstance(x, (list, tuple)) else _scalar(x)[0]
                                      for x in v], "tuple": isinstance(v, tuple),
                             "inner_tuple": any(isinstance(x, tuple) for x in v)}
            else:
                raise TypeError(f"tile cache: cannot keep Simulation attribute {key!r} "
                                f"of type {type(v).__name__}")
    return arrays, rest


def restore(sim: Simulation, arrays: dict[str, np.ndarray], rest: dict) -> None:
    """Put captured state into ``sim`` (a tile of the same key built without its spin-up)."""
    objs = dict(_objects(sim))
    for key, v in arrays.items():
        prefix, _, name = key.rpartition(".")
        obj = objs[prefix + "." if prefix else ""]
        old = getattr(obj, name, None)    # (None: set by the first step, absent before)
        if old is not None and (not isinstance(old, np.ndarray) or old.dtype != v.dtype
                                or old.ndim != v.ndim):
            raise ValueError(f"array {key!r} does not fit this tile")
        setattr(obj, name, np.array(v))
    for key, spec in rest.items():
        prefix, _, name = key.rpartition(".")
        obj = objs[prefix + "." if prefix else ""]
        if "scalar" in spec:
            v = _unscalar(*spec["scalar"])
        elif "rng" in spec:
            v = getattr(obj, name)
            v.bit_generator.state = spec["rng"]
        elif "dict" in spec:
            v = {k: _unscalar(*x) for k, x in spec["dict"].items()}
        else:
            items = [tuple(x) if spec["inner_tuple"] else x for x in spec["list"]]
            v = tuple(items) if spec["tuple"] else items
        setattr(obj, name, v)


def tile_key(scenario, seed: int, build: str) -> str:
    """Names a tile: engine build, species, genotype, every parameter value, seed."""
    params = scenario.parameter_set().as_dict()
    text = json.dumps({"format": FORMAT, "build": build, "species": scenario.species,
                       "genotype": scenario.genotype, "seed": int(seed),
                       "parameters": {k: repr(v) for k, v in sorted(params.items())}}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class TileCache:
    """Equilibrated tiles in ``folder`` (None: keep nothing, always build)."""

    def __init__(self, folder: Path | str | None, build: str, *, max_files: int = 12,
                 max_bytes: float = 64e6):
        self.folder = None if folder is None else Path(folder)
        self.build = build
        self.max_files = int(max_files)
        self.max_bytes = float(max_bytes)

    def path_for(self, scenario, seed: int) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"tile-{tile_key(scenario, seed, self.build)}.npz"

    def simulation(self, scenario, seed: int | None = None, spinup_progress=None) -> tuple[Simulation, bool]:
        """(simulation of ``scenario`` after its spin-up, True if it came from the cache)."""
        seed = int(scenario.seed if seed is None else seed)
        path = self.path_for(scenario, seed)
        if path is not None and os.path.lexists(path):
            sim = self._load(path, scenario, seed)
            if sim is not None:
                return sim, True
        sim = Simulation(scenario, seed, spinup_progress=spinup_progress)
        if path is not None:
            self._save(path, sim)
        return sim, False

    def _load(self, path: Path, scenario, seed: int) -> Simulation | None:
        try:
            if not trusted_file(path):
                raise TileRefused("not a private regular file of this user's")
            arrays = read_tile_file(path, self.max_bytes + _OVERHEAD)
            payload = arrays.pop("__rest__", None)
            if payload is None or payload.dtype != np.uint8 or payload.ndim != 1:
                raise TileRefused("no description of the tile")
            rest = json.loads(payload.tobytes().decode())
            if not isinstance(rest, dict) or rest.pop("__key__", None) != path.stem.removeprefix("tile-"):
                raise TileRefused("written for another tile")
            sim = Simulation(scenario, seed, spinup=False)
            validate(sim, arrays, rest)
            restore(sim, arrays, rest)
        except Exception as exc:  # noqa: BLE001 - a bad cache file only costs the spin-up
            log.warning("ignoring the cached tile %s (%s); building it again", path, str(exc)[:300])
            try:
                path.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(path)       # most recently used: pruned last
        except OSError:
            pass
        return sim

    def _save(self, path: Path, sim: Simulation) -> None:
        try:
            arrays, rest = capture(sim)
            if sum(a.nbytes for a in arrays.values()) > self.max_bytes:
                return
            rest["__key__"] = path.stem.removeprefix("tile-")
            payload = np.frombuffer(json.dumps(rest).encode(), np.uint8)
            private_dir(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tile-", suffix=".npz", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, __rest__=payload, **arrays)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except (OSError, TypeError, ValueError) as exc:
            log.warning("could not keep the equilibrated tile in %s: %s", self.folder, exc)


    def _prune(self) -> None:
        tiles = sorted(self.folder.glob("tile-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in tiles[self.max_files:]:
            old.unlink(missing_ok=True)


def read_tile_file(path: Path, max_bytes: float) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` written by ``TileCache._save``, read defensively: the file is opened
    without following a link; the zip directory's sizes, then each array's header (dtype, shape) are
    checked against ``max_bytes`` before anything is decompressed or allocated; every array must
    fill its member exactly. Raises ``TileRefused`` (or zipfile's and numpy's errors) otherwise."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > max_bytes:
            raise TileRefused("file larger than a tile may be")
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > _MAX_MEMBERS or total > max_bytes:
                raise TileRefused(f"{len(infos)} arrays expanding to {total / 1e6:.0f} MB: more than a tile holds")
            arrays = {}
            for info in infos:
                name = info.filename.removesuffix(".npy")
                if not info.filename.endswith(".npy") or not name or "/" in name or name in arrays:
                    raise TileRefused(f"unexpected member {info.filename[:80]!r}")
                with zf.open(info) as member:
                    arrays[name] = _read_npy(member, info.file_size, name)
    return arrays


def _read_npy(member, size: int, name: str) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(member, max_header_size=10000)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(member, max_header_size=10000)
    else:
        raise TileRefused(f"array {name!r}: unknown .npy version {version}")
    if dtype.kind not in _DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
        raise TileRefused(f"array {name!r}: dtype {dtype} is not a plain number type")
    count = 1
    for n in shape:
        if not isinstance(n, int) or n < 0:
            raise TileRefused(f"array {name!r}: bad shape {shape}")
        count *= n
    nbytes = count * dtype.itemsize
    if member.tell() + nbytes != size:
        raise TileRefused(f"array {name!r}: shape {shape} does not fill its {size} bytes")
    data = member.read(nbytes)
    if len(data) != nbytes:
        raise TileRefused(f"array {name!r} is truncated")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C").copy()

"""What a kept tile (engine/tile_cache.py) may contain: checked before any of it is used.

A kept tile is a file in the user's cache: anyone who can write there, a full disk or a bad copy
can hand the engine arrays that would make a kernel read or write out of bounds (a crash, or worse),
garbage (short arrays, NaN positions) or a huge allocation. So a tile is restored only after every
array and value in it passed the checks below; any doubt and the tile is built afresh.

The checks compare the file with the same tile built from the scenario and seed without its
spin-up (``fresh``), which holds the tile's fixed geometry and sizes:

- ``ARRAY_RULES``: one line per array that a run changes: its dtype, its shape (numbers or the
  names of ``dims``: ``C`` the agent store's capacity, ``P`` the display particles' buffer, ``S`` the sinusoid segments, ``sites`` the
  niche sites, ``cells`` the neighbour grid's cells, ``field`` the SDF-1 grid's three sizes, ``*``
  any size up to the capacity's bound) and what its values may be (``finite``, a range, an index
  into something: ``index("C")`` is a slot 0..C-1, ``index("S", -1)`` a segment or -1).
- ``REST_RULES``: the same for the scalars, lists and the generator state kept beside the arrays.
- anything not listed is fixed geometry or a constant: it must equal the fresh tile's, bit for bit.
- ``relations``: what must hold between arrays: the free-slot stack lists exactly the free slots,
  every agent's link points where its kind and state say (a niche site for a lodged stem cell, whose
  site lists it as occupant; a sinusoid segment for a docked or releasing megakaryocyte), no
  platelet particle among the cells (they have a buffer of their own), cells' ids are distinct, living agents sit inside the tile.

When the engine gains or changes state, adapt the tables (tests/test_tile_cache.py checks that every
built-in scenario's tile passes and that each class of forged file is refused).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import agents as A
from . import census as C

#: the agent store never holds more slots than this (bounds every per-slot array before reading it)
MAX_CAPACITY = 1 << 24


class TileRefused(ValueError):
    """A kept tile that is not used (the reason is the message)."""


# ---------------------------------------------------------------- value rules

def finite(a, dims) -> str | None:
    return None if np.isfinite(a).all() else "not finite"


def between(lo, hi) -> Callable:
    def check(a, dims):
        if a.size == 0:
            return None
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            return "not finite"
        if a.min() < lo or a.max() > hi:
            return f"values {a.min()}..{a.max()} outside {lo}..{hi}"
        return None
    return check


def index(dim: str, low: int = 0) -> Callable:
    """Indices into ``dim`` (0..n-1), or ``low`` (-1: none) upwards."""
    def check(a, dims):
        return between(low, dims[dim] - 1)(a, dims)
    return check


def kinds(a, dims) -> str | None:
    return None if np.isin(a, [A.DEAD, A.HSPC, A.MKP, A.MK, A.STROMA, A.MSC, A.PLATELET]).all() \
        else "unknown agent kind"


@dataclass(frozen=True)
class Rule:
    dtype: str
    shape: tuple
    values: Callable | None = None


#: every array a run changes (anything else must equal the freshly built tile's)
ARRAY_RULES: dict[str, Rule] = {
    # the agents, one slot each (engine/agents.py)
    "store.kind": Rule("int8", ("C",), kinds),
    "store.origin": Rule("int8", ("C",), between(A.HOST, A.DONOR)),
    "store.state": Rule("int8", ("C",), between(0, 2)),
    "store.link": Rule("int32", ("C",), None),                 # per kind and state: see relations
    "store.pos": Rule("float64", ("C", 3), finite),
    "store.age": Rule("float64", ("C",), finite),
    "store.maturity": Rule("float64", ("C",), finite),
    "store.timer": Rule("float64", ("C",), finite),
    "store.ploidy": Rule("float64", ("C",), between(0.0, 64.0)),
    "store.uid": Rule("int64", ("C",), None),
    "store.next_uid": Rule("int64", (1,), between(0, 1 << 62)),
    "store.free": Rule("int64", ("C",), index("C")),
    "store.top": Rule("int64", (1,), None),
    "occupant": Rule("int64", ("sites",), index("C", -1)),
    # per-slot scratch of a step (each step fills them before reading them; ranges still checked)
    "flags": Rule("uint8", ("C",), None),
    "nspawn": Rule("int32", ("C",), between(0, 1 << 20)),
    "released": Rule("float64", ("C",), finite),
    "active": Rule("int64", ("C",), index("C")),
    "counters": Rule("float64", ("counters",), finite),
    "counts": Rule("float64", ("counts",), finite),
    "bodies": Rule("float64", ("C", 4), finite),
    "mobile": Rule("int64", ("C",), index("C", -1)),     # (-1: a row of the body sort that stays put)
    "mobile_q": Rule("int64", ("C",), index("C")),
    "new_pos": Rule("float64", ("C", 3), finite),
    "near_seg": Rule("int32", ("C",), index("S", -1)),
    "near_d": Rule("float64", ("C",), finite),
    "near_c": Rule("float64", ("C",), finite),
    "cell_slots": Rule("int64", ("C",), index("C")),
    # released-platelet display particles (engine/platelet_particles.py): a buffer of P rows
    "particles.pos": Rule("float64", ("P", 3), finite),
    "particles.seg": Rule("int64", ("P",), index("S")),
    "particles.along": Rule("float64", ("P",), between(0.0, 1.0)),
    "particles.life": Rule("float64", ("P",), finite),
    # what changes in the tile: the SDF-1 field, the sinusoids' state, the neighbour grid's sort scratch
    "tile.field.values": Rule("float64", ("field",), finite),
    "tile.field.source": Rule("float64", ("field",), finite),
    "tile.field.lam": Rule("float64", ("field",), finite),
    "tile.vessels.integrity": Rule("float64", ("S",), between(0.0, 1.0)),
    "tile.vessels.vcam": Rule("float64", ("S",), between(0.0, 1e6)),
    "tile.vessels.pending_loss": Rule("float64", ("S",), between(0.0, 1e3)),
    "tile.grid.start": Rule("int32", ("cells+1",), index("C+1")),
    "tile.grid.order": Rule("int64", ("*",), index("C")),
    "tile.grid.keys": Rule("int32", ("*",), index("cells", -1)),   # (-1: a kept stroma row, engine/kept_rows.py)
    "tile.grid._counts": Rule("int32", ("*", "cells"), index("C+1")),
    # the blood compartments
    "systemic.chain": Rule("float64", ("stages",), between(0.0, 1e12)),
    "systemic.donor_chain": Rule("float64", ("stages",), between(0.0, 1e12)),
    "systemic.activation_chain": Rule("float64", ("activation_stages",), between(0.0, 1e3)),
    "systemic.transit_deficit": Rule("float64", ("transit_stages",), between(0.0, 1.0)),
    "systemic.transit_stress": Rule("float64", ("transit_stages",), between(0.0, 1e3)),
    "systemic.spleen_chain": Rule("float64", ("spleen_stages",), between(0.0, 1e3)),
    "neutrophils.chain": Rule("float64", (5,), between(0.0, 1e6)),    # Prol, T1..T3, blood (10^9/L)
    "neutrophils.transit": Rule("float64", ("anc_transit_stages",), between(0.0, 1e6)),   # relative to steady state
    "neutrophils.graft_transit": Rule("float64", ("graft_myeloid_stages",), between(0.0, 1e6)),
}


#: type tags a changing scalar may carry (tile_cache._scalar: "" for Python numbers)
_TAGS = ("", "<f8", "<f4", "<i8", "<i4", "<u8", "<u4", "|b1")


def _count(v, spec) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 62 else "not a count"


def _number(lo=-math.inf, hi=math.inf) -> Callable:
    def check(v, spec):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi) or math.isnan(v):
            return f"not a number in {lo}..{hi}"
        return None
    return check


def _flag(v, spec) -> str | None:
    return None if isinstance(v, bool) else "not true/false"


def _infusions(v, spec) -> str | None:
    for item in v:
        if not (isinstance(item, list) and len(item) == 3 and _number(0.0, 1e7)(item[0], None) is None
                and item[1] in (A.HSPC, A.MKP, A.MK, A.STROMA, A.MSC) and _count(item[2], None) is None
                and item[2] <= MAX_CAPACITY):
            return f"bad infusion {item!r:.80}"
    return None


#: scalars, lists and generator state a run changes: (kind of entry, check of its value); anything else
#: must equal the freshly built tile's
REST_RULES: dict[str, tuple[str, Callable | None]] = {
    "step_index": ("scalar", _count),
    "steps_done": ("scalar", _count),
    "phase_agent_updates": ("scalar", _count),
    "time_hours": ("scalar", _number(0.0, 1e7)),
    "_next_sample": ("scalar", _number(-1e7, 1e7)),
    "released_cum": ("scalar", _number(0.0, math.inf)),
    "release_rate": ("scalar", _number(0.0, math.inf)),
    "donor_release_rate": ("scalar", _number(0.0, math.inf)),
    "wall_seconds": ("scalar", _number(0.0, math.inf)),
    "phase_seconds": ("dict", _number(0.0, math.inf)),
    "store.capacity": ("scalar", _count),
    "particles.n": ("scalar", _count),        # (at most the buffer's rows: checked in validate)
    "systemic.tpo": ("scalar", _number(0.0, 1e12)),
    "systemic.tpo_agonist": ("scalar", _number(0.0, 1e12)),
    "systemic.production": ("scalar", _number(0.0, 1e12)),
    "systemic.mpl": ("scalar", _number(0.0, 1e12)),
    "systemic.levels": ("dict", _number(0.0, 1e9)),
    "tile.field.base_loss": ("scalar", _number(0.0, 1e9)),
    "rng": ("rng", None),
    "obs._rows": ("list", None),           # rows of numbers, one per observable (checked below)
    "pending_infusions": ("list", _infusions),
}


# ---------------------------------------------------------------- the checks

def _shape(rule: Rule, dims: dict) -> tuple | None:
    out = []
    for d in rule.shape:
        if d == "field":
            out.extend(dims["field"])
        elif d == "*":
            out.append(None)
        else:
            out.append(d if isinstance(d, int) else dims[d])
    return tuple(out)


def _check_array(key: str, a: np.ndarray, fresh: np.ndarray | None, dims: dict) -> None:
    rule = ARRAY_RULES.get(key)
    if rule is None:
        if fresh is None:
            raise TileRefused(f"array {key!r} is not part of a tile")
        if a.dtype != fresh.dtype or a.shape != fresh.shape or not np.array_equal(a, fresh, equal_nan=True):
            raise TileRefused(f"array {key!r} differs from this tile's fixed geometry")
        return
    if a.dtype != np.dtype(rule.dtype):
        raise TileRefused(f"array {key!r} is {a.dtype}, expected {rule.dtype}")
    want = _shape(rule, dims)
    if len(want) != a.ndim or any(w is not None and w != s for w, s in zip(want, a.shape)) \
            or any(s > dims["C+1"] * 2 + 64 for w, s in zip(want, a.shape) if w is None):
        raise TileRefused(f"array {key!r} has shape {a.shape}, expected {want}")
    if rule.values is not None:
        problem = rule.values(a, dims)
        if problem:
            raise TileRefused(f"array {key!r}: {problem}")


def relations(arrays: dict, dims: dict, size: np.ndarray) -> None:
    """What must hold between the agent arrays (see the module's docstring)."""
    kind, state, link = arrays["store.kind"], arrays["store.state"], arrays["store.link"]
    C = dims["C"]
    top = int(arrays["store.top"][0])
    if not 0 <= top <= C:
        raise TileRefused(f"free-slot count {top} outside 0..{C}")
    if not np.array_equal(np.sort(arrays["store.free"][:top]), np.flatnonzero(kind == A.DEAD)):
        raise TileRefused("the free-slot stack does not list exactly the free slots")
    alive = kind != A.DEAD
    if (kind == A.PLATELET).any():
        raise TileRefused("platelet particles among the cells (they live in their own buffer)")
    cell = alive
    uid, next_uid = arrays["store.uid"], arrays["store.next_uid"][0]
    if cell.any() and (uid[cell].min() < 0 or uid[cell].max() >= next_uid
                       or np.unique(uid[cell]).size != np.count_nonzero(cell)):
        raise TileRefused("cell ids are not distinct ids below the next id")
    pos = arrays["store.pos"][alive]
    if pos.size and ((pos < -1e-6).any() or (pos > size + 1e-6).any()):
        raise TileRefused("living agents outside the tile")
    for name in ("store.maturity",):
        v = arrays[name][alive]
        if v.size and (v.min() < 0.0 or v.max() > 1.0):
            raise TileRefused(f"{name} outside 0..1")
    if (arrays["store.age"][alive] < 0.0).any():
        raise TileRefused("negative agent ages")
    occupant = arrays["occupant"]
    hspc = kind == A.HSPC
    lodged = hspc & (state == A.LODGED)
    mk = kind == A.MK
    on_wall = mk & ((state == A.DOCKED) | (state == A.RELEASING))
    S, n_sites = dims["S"], dims["sites"]
    rules = [
        (hspc, (state == A.FREE) | (state == A.LODGED), "stem cell state"),
        (mk, (state == A.FREE) | (state == A.DOCKED) | (state == A.RELEASING), "megakaryocyte state"),
        (alive & ~hspc & ~mk, state == 0, "state of a progenitor or stromal cell"),
        (lodged, (link >= 0) & (link < n_sites), "lodged stem cell's niche site"),
        (on_wall, (link >= 0) & (link < S), "sinusoid segment of a megakaryocyte"),
        (alive & ~lodged & ~on_wall, link == -1, "link of an unattached agent"),
    ]
    for which, ok, what in rules:
        if (which & ~ok).any():
            raise TileRefused(f"bad {what} (slot {int(np.flatnonzero(which & ~ok)[0])})")
    slots = np.flatnonzero(lodged)
    if (occupant[link[slots]] != slots).any():
        raise TileRefused("a lodged stem cell's niche site lists another occupant")
    held = np.flatnonzero(occupant >= 0)
    holders = occupant[held]
    if not (lodged[holders].all() and (link[holders] == held).all()):
        raise TileRefused("a niche site's occupant is not a stem cell lodged there")


def _check_rest(rest: dict, fresh_rest: dict, dims: dict) -> None:
    for key, spec in rest.items():
        rule = REST_RULES.get(key)
        if rule is None:
            if key not in fresh_rest or spec != fresh_rest[key]:
                raise TileRefused(f"{key!r} differs from this tile's")
            continue
        entry, check = rule
        if not isinstance(spec, dict) or entry not in spec:
            raise TileRefused(f"{key!r} is not a {entry}")
        value = spec[entry]
        if entry == "scalar":
            if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
                raise TileRefused(f"{key!r} is not a scalar")
            if value[1] not in _TAGS:     # (a Python number, or a numpy one: either may be kept)
                raise TileRefused(f"{key!r} has an unexpected type")
            value = value[0]
        elif entry == "dict":
            if not isinstance(value, dict) or key not in fresh_rest or value.keys() != fresh_rest[key]["dict"].keys():
                raise TileRefused(f"{key!r} does not have this tile's entries")
            for name, item in value.items():
                if not (isinstance(item, list) and len(item) == 2 and item[1] == fresh_rest[key]["dict"][name][1]) \
                        or (check and check(item[0], spec)):
                    raise TileRefused(f"{key!r}: bad value")
            continue
        elif entry == "rng":
            fresh = fresh_rest.get(key, {}).get("rng", {})
            if not isinstance(value, dict) or value.get("bit_generator") != fresh.get("bit_generator") \
                    or not isinstance(value.get("state"), dict) or value["state"].keys() != fresh["state"].keys():
                raise TileRefused(f"{key!r} is not this tile's kind of generator state")
            if not all(isinstance(x, int) and 0 <= x < 1 << 128 for x in value["state"].values()) \
                    or not isinstance(value.get("has_uint32"), int) or not isinstance(value.get("uinteger"), int):
                raise TileRefused(f"{key!r}: bad generator state")
            continue
        elif entry == "list":
            if not isinstance(value, list) or spec.get("tuple") is not False \
                    or not isinstance(spec.get("inner_tuple"), bool):
                raise TileRefused(f"{key!r} is not a list")
            if key == "obs._rows":
                n = dims["columns"]
                for row in value:
                    if not (isinstance(row, list) and len(row) == n
                            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row)):
                        raise TileRefused("recorded rows do not fit the observables")
                continue
        problem = check(value, spec) if check else None
        if problem:
            raise TileRefused(f"{key!r}: {problem}")


def validate(fresh, arrays: dict[str, np.ndarray], rest: dict) -> None:
    """Raise ``TileRefused`` unless ``arrays`` and ``rest`` (read from a kept tile) may be put into
    ``fresh`` (the same tile built without its spin-up)."""
    from .tile_cache import capture

    import json

    fresh_arrays, fresh_rest = capture(fresh)
    fresh_rest = json.loads(json.dumps(fresh_rest))      # as it reads back from a file (tuples become lists)
    missing = (fresh_arrays.keys() - arrays.keys()) | (fresh_rest.keys() - rest.keys())
    extra = (arrays.keys() - fresh_arrays.keys() - ARRAY_RULES.keys()) | (rest.keys() - fresh_rest.keys())
    if missing or extra:
        raise TileRefused(f"entries missing {sorted(missing)[:3]} or unknown {sorted(extra)[:3]}")
    capacity = rest["store.capacity"].get("scalar", [None])[0] if isinstance(rest["store.capacity"], dict) else None
    if not (isinstance(capacity, int) and fresh.store.capacity <= capacity <= MAX_CAPACITY):
        raise TileRefused(f"agent capacity {capacity!r:.20} outside {fresh.store.capacity}..{MAX_CAPACITY}")
    tile = fresh.tile
    dims = {"C": capacity, "C+1": capacity + 1, "S": len(tile.vessels.p0), "sites": len(tile.sites),
            "cells": tile.grid.start.size - 1, "cells+1": tile.grid.start.size, "field": tuple(tile.field.shape),
            "counters": fresh.counters.size, "stages": fresh.systemic.chain.size,
            "activation_stages": fresh.systemic.activation_chain.size,
            "transit_stages": fresh.systemic.transit_deficit.size,
            "spleen_stages": fresh.systemic.spleen_chain.size,
            "anc_transit_stages": fresh.neutrophils.transit.size,
            "graft_myeloid_stages": fresh.neutrophils.graft_transit.size,
            "counts": C.C_SIZE, "columns": len(fresh.obs.columns)}
    life = arrays.get("particles.life")
    dims["P"] = life.shape[0] if isinstance(life, np.ndarray) and life.ndim == 1 else -1
    if not 0 <= dims["P"] <= MAX_CAPACITY:
        raise TileRefused("the display particles' buffer has no valid size")
    n_particles = rest.get("particles.n", {}).get("scalar", [None])[0] if isinstance(rest.get("particles.n"), dict) else None
    if not (isinstance(n_particles, int) and 0 <= n_particles <= dims["P"]):
        raise TileRefused(f"display particle count {n_particles!r:.20} outside 0..{dims['P']}")
    for key, a in arrays.items():
        _check_array(key, a, fresh_arrays.get(key), dims)
    relations(arrays, dims, np.asarray(tile.size, float))
    _check_rest(rest, fresh_rest, dims)

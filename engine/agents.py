"""Agent state as structure-of-arrays with preallocated capacity and a free list.

One slot per agent; ``kind == DEAD`` marks a free slot. Slots are handed out
from a stack so that allocation order (and so every result) is deterministic.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# agent kinds
DEAD = -1
HSPC = 0        # haematopoietic stem/progenitor cell (engrafting unit), host or donor
MKP = 1         # CXCR4+ megakaryocyte progenitor
MK = 2          # maturing megakaryocyte
STROMA = 3      # resident CAR cell / MSC (SDF-1 source)
MSC = 4         # infused (donor) mesenchymal stromal cell
PLATELET = 5    # released-platelet display particle (in snapshots only: see engine/platelet_particles.py)

KIND_NAMES = {HSPC: "HSPC", MKP: "MK progenitor", MK: "megakaryocyte", STROMA: "CAR/MSC stroma",
              MSC: "infused MSC", PLATELET: "platelet"}

# states
FREE = 0        # HSPC homing / MK not attached
LODGED = 1      # HSPC in a niche site
DOCKED = 1      # MK adherent to a sinusoid (VLA-4/VCAM-1)
RELEASING = 2   # MK shedding proplatelets into the lumen

HOST = 0
DONOR = 1

#: pos, kind, origin, state, link, age/maturity/timer/ploidy, id
BYTES_PER_AGENT = 3 * 8 + 1 + 1 + 1 + 4 + 8 * 4 + 8


class AgentStore:
    """All agents. Arrays are indexed by slot; read them, do not resize them.

    A slot is reused after its agent dies; ``uid`` gives every agent an id of its own for its
    whole life (never reused within a run), so that a view can follow a cell from frame to frame.
    Ids are handed out in allocation order (serial code), so they are the same in every run of the
    same scenario and seed."""

    def __init__(self, capacity: int):
        self.capacity = 0
        self.pos = np.zeros((0, 3))
        self.kind = np.zeros(0, np.int8)
        self.origin = np.zeros(0, np.int8)
        self.state = np.zeros(0, np.int8)
        self.link = np.zeros(0, np.int32)
        self.age = np.zeros(0)
        self.maturity = np.zeros(0)
        self.timer = np.zeros(0)
        #: a megakaryocyte's ploidy class (N: 2, 4, ... 64), set when it is born from its progenitor;
        #: it reaches that class as it matures (see engine/fates.py); 0 for other cells
        self.ploidy = np.zeros(0)
        self.uid = np.zeros(0, np.int64)
        #: the id the next allocated agent gets
        self.next_uid = np.zeros(1, np.int64)
        self.free = np.zeros(0, np.int64)
        self.top = np.zeros(1, np.int64)
        self.grow(capacity)

    def grow(self, capacity: int) -> None:
        old = self.capacity
        if capacity <= old:
            return

        def ext(a, fill, shape_tail=()):
            new = np.full((capacity,) + shape_tail, fill, dtype=a.dtype)
            new[:old] = a
            return new

        self.pos = ext(self.pos, 0.0, (3,))
        self.kind = ext(self.kind, DEAD)
        self.origin = ext(self.origin, 0)
        self.state = ext(self.state, 0)
        self.link = ext(self.link, -1)
        self.age = ext(self.age, 0.0)
        self.maturity = ext(self.maturity, 0.0)
        self.timer = ext(self.timer, 0.0)
        self.ploidy = ext(self.ploidy, 0.0)
        self.uid = ext(self.uid, -1)
        # free stack: pop from the end. New slots go underneath the ones already free,
        # in descending order, so the lowest new index is handed out first.
        new_slots = np.arange(capacity - 1, old - 1, -1, dtype=np.int64)
        n_free = int(self.top[0])
        stack = np.concatenate([new_slots, self.free[:n_free]])
        # (zeros, not np.empty: the entries above the stack are never read, but a tile file keeps
        # the whole array and its checks want every entry a valid slot, and the bytes the same)
        self.free = np.zeros(capacity, np.int64)
        self.free[: stack.size] = stack
        self.top[0] = stack.size
        self.capacity = capacity

    def ensure_free(self, n: int) -> None:
        if int(self.top[0]) < n:
            self.grow(max(2 * self.capacity, self.capacity + n - int(self.top[0]) + 1024))

    @property
    def n_alive(self) -> int:
        return self.capacity - int(self.top[0])

    def alive(self) -> np.ndarray:
        return np.flatnonzero(self.kind >= 0)

    def arrays(self):
        return (self.pos, self.kind, self.origin, self.state, self.link, self.age, self.maturity,
                self.timer, self.ploidy, self.uid)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays()) + self.free.nbytes


    def slot_of(self, agent_id: int) -> int:
        """Slot of the living agent with id ``agent_id``; -1 when it no longer lives."""
        hit = np.flatnonzero((self.uid == agent_id) & (self.kind >= 0))
        return int(hit[0]) if hit.size else -1


@njit(cache=True, nogil=True)
def alloc(kind, free, top, new_kind, uid, next_uid):
    """Take the slot on top of the free-slot stack for a new agent of ``new_kind`` with the next
    id; -1 when none is free."""
    if top[0] <= 0:
        return -1
    top[0] -= 1
    i = free[top[0]]
    kind[i] = new_kind
    uid[i] = next_uid[0]
    next_uid[0] += 1
    return i


@njit(cache=True, nogil=True)
def release(kind, free, top, i):
    kind[i] = DEAD
    free[top[0]] = i
    top[0] += 1


@njit(cache=True, nogil=True)
def radius_of(kind, maturity, rp):
    """Cell radius (um) by kind; rp = [hspc, mkp, mk_min, mk_max, stroma]."""
    if kind == HSPC:
        return rp[0]
    if kind == MKP:
        return rp[1]
    if kind == MK:
        return rp[2] + (rp[3] - rp[2]) * maturity
    if kind == STROMA or kind == MSC:
        return rp[4]
    return 1.0

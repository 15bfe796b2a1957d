"""Counter-based random numbers: a pure function of (seed, step, agent, stream).

No generator state is shared between agents or threads, so a run gives the
same numbers whatever the number of threads or the order in which agents are
visited (the property PhysiCell/Morpheus users ask for).
"""
from __future__ import annotations

import numpy as np
from numba import njit, uint64

from .vector_math import ln, sincos_turn

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_K_STEP = uint64(0xD1B54A32D192ED03)
_K_AGENT = uint64(0xABC98388FB8FAC03)
_K_STREAM = uint64(0x8CB92BA72F3D8DD7)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(z):
    z = uint64(z)
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def uniform(seed, step, agent, stream):
    """Uniform float in [0, 1) from the four counters."""
    key = (uint64(step) * _K_STEP) ^ (uint64(agent) * _K_AGENT) ^ (uint64(stream) * _K_STREAM)
    z = mix64(mix64(uint64(seed) + _GOLDEN) ^ key)
    return float(z >> uint64(11)) * _INV53


@njit(cache=True, inline="always")
def normal(seed, step, agent, stream):
    """Standard normal deviate (Box-Muller on two counter-based uniforms)."""
    u1 = uniform(seed, step, agent, stream)
    u2 = uniform(seed, step, agent, stream + 7919)
    if u1 < 1e-300:
        u1 = 1e-300
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def normal3(seed, step, agent, stream):
    """Three independent standard normal deviates from two Box-Muller pairs: both members
    of the pair on (stream, stream + 7919), the first of the pair on (stream + 1, stream + 7920).
    Four uniforms, two logarithms: a third cheaper than three :func:`normal` calls. The
    logarithms and the sine/cosine are those of :mod:`engine.vector_math` (no libm calls), so a
    loop drawing these for many agents vectorises; they agree with libm's within 2e-15."""
    u1 = max(uniform(seed, step, agent, stream), 1e-300)
    u2 = uniform(seed, step, agent, stream + 7919)
    u3 = max(uniform(seed, step, agent, stream + 1), 1e-300)
    u4 = uniform(seed, step, agent, stream + 7920)
    r1 = np.sqrt(-2.0 * ln(u1))
    r2 = np.sqrt(-2.0 * ln(u3))
    s1, c1 = sincos_turn(u2)
    s2, c2 = sincos_turn(u4)
    return r1 * c1, r1 * s1, r2 * c2


# stream ids, so that different decisions of one agent in one step never share numbers
S_MOVE = 1    # 1..2 with normal3 (movement)
S_DEATH, S_DOCK, S_UNDOCK, S_BIRTH, S_DIVIDE, S_PLOIDY = 10, 11, 12, 13, 14, 15
S_PLACE = 20  # 20..29 placement of new agents
S_EVENT = 40  # 40..49 event kills
S_GEOM = 100  # geometry generation
#: display particles: 1000..2999 (emission per releasing MK: count, then place and life per
#: particle k as 1002 + 2k and 1003 + 2k; movement: 3000 + hop). Never read by a cell's fate.
S_PARTICLE = 1000

"""Natural logarithm and sine/cosine of a fraction of a turn, in plain arithmetic.

The movement draws three normal deviates per mobile cell and step (Box-Muller: two logarithms,
one sine, two cosines). Calls into the C maths library keep a loop from being vectorised; these
versions are additions, multiplications, one division and bit operations, so LLVM turns a loop
over cells into AVX/AVX-512 code (docs/performance.md, appendix). They also give the same bits on
every platform, where libm results may differ in the last place between systems.

Accuracy (checked in tests/test_engine_kernels.py against NumPy): ``ln`` within 2 ulp on
(0, 1]; ``sincos_turn`` within 1e-15 absolute. Branch-free on purpose: a branch in the loop body
(a nested conditional expression, a division that may raise) stops the vectoriser, and kernels
calling these need ``error_model="numpy"``.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import int64, njit, types
from numba.extending import intrinsic

_LN2_HI = 6.93147180369123816490e-01   # ln 2 split in a part exact in double and the rest
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_MANTISSA = (1 << 52) - 1
_EXP_ONE = 1023 << 52
_QUARTER_TURN = np.pi / 2


@intrinsic
def f64_bits(typingctx, x):
    """The IEEE-754 bits of a float64, as an int64 (a reinterpretation, not a conversion)."""
    if not (isinstance(x, types.Float) and x.bitwidth == 64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


@intrinsic
def bits_f64(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits``."""
    if not (isinstance(bits, types.Integer) and bits.bitwidth == 64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


@njit(cache=True, nogil=True, inline="always")
def ln(u):
    """Natural logarithm of a positive normal float64 (the movement calls it on (0, 1]).

    u = 2^e * f with f in [sqrt(1/2), sqrt(2)); ln f = 2 atanh(s), s = (f - 1) / (f + 1),
    |s| < 0.172, from its series to s^23."""
    b = f64_bits(u)
    e = (b >> 52) - 1023
    f = bits_f64((b & _MANTISSA) | _EXP_ONE)
    big = f > _SQRT2
    f = 0.5 * f if big else f
    e = e + 1 if big else e
    s = (f - 1.0) / (f + 1.0)
    z = s * s
    p = 1.0 / 23.0
    p = p * z + 1.0 / 21.0
    p = p * z + 1.0 / 19.0
    p = p * z + 1.0 / 17.0
    p = p * z + 1.0 / 15.0
    p = p * z + 1.0 / 13.0
    p = p * z + 1.0 / 11.0
    p = p * z + 1.0 / 9.0
    p = p * z + 1.0 / 7.0
    p = p * z + 1.0 / 5.0
    p = p * z + 1.0 / 3.0
    ef = float(e)
    return ef * _LN2_HI + ((2.0 * s + 2.0 * s * z * p) + ef * _LN2_LO)


@njit(cache=True, nogil=True, inline="always")
def sincos_turn(u):
    """(sin 2 pi u, cos 2 pi u) for u in [0, 1].

    4u = j + r exactly, with j the nearest integer and |r| <= 1/2: the angle r pi/2 lies in
    [-pi/4, pi/4], where the Taylor series to degree 15 (sine) and 16 (cosine) are exact in
    double; the quarter turns j then swap and negate the pair."""
    t = 4.0 * u
    j = np.floor(t + 0.5)
    a = (t - j) * _QUARTER_TURN
    z = a * a
    s = 1.0 / 1307674368000.0
    s = s * -z + 1.0 / 6227020800.0
    s = s * -z + 1.0 / 39916800.0
    s = s * -z + 1.0 / 362880.0
    s = s * -z + 1.0 / 5040.0
    s = s * -z + 1.0 / 120.0
    s = s * -z + 1.0 / 6.0
    s = a - a * z * s
    c = 1.0 / 20922789888000.0
    c = c * -z + 1.0 / 87178291200.0
    c = c * -z + 1.0 / 479001600.0
    c = c * -z + 1.0 / 3628800.0
    c = c * -z + 1.0 / 40320.0
    c = c * -z + 1.0 / 720.0
    c = c * -z + 1.0 / 24.0
    c = 1.0 + z * (c * z - 0.5)
    q = int64(j)
    odd = (q & 1) == 1           # a quarter turn swaps sine and cosine ...
    sn = c if odd else s
    cs = s if odd else c
    sn = -sn if (q & 2) != 0 else sn           # ... the sine is negative in the 3rd and 4th ...
    cs = -cs if ((q + 1) & 2) != 0 else cs     # ... the cosine in the 2nd and 3rd
    return sn, cs

"""A memory prefetch hint for loops whose reads are scattered over big grids.

The movement reads the SDF-1 field (28 MB at 100k agents) at each mobile cell; those reads miss
every cache level, and a loop body waits for them one cell at a time. ``prefetch(a, i)`` asks the
CPU to start loading the cache line of ``a.flat[i]`` now, so that a loop can request the lines of
the cell it will reach a few iterations later (LLVM's ``llvm.prefetch``; a no-op where the target
has no such instruction). A hint only: no result depends on it.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: loops with scattered reads request the lines of the item this many iterations ahead
PREFETCH_AHEAD = 16

_I8P = ir.IntType(8).as_pointer()
#: the intrinsic's name carries its pointer type: typed (LLVM 14, "i8*") or opaque ("ptr")
_NAME = "llvm.prefetch.p0i8" if str(_I8P) == "i8*" else "llvm.prefetch.p0"


@intrinsic
def prefetch(typingctx, arr, index):
    """Hint: the cache line holding ``arr[index]`` (1-d array, index within bounds) is read soon."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and isinstance(index, types.Integer)):
        return None
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        fnty = ir.FunctionType(ir.VoidType(), [_I8P, ir.IntType(32), ir.IntType(32), ir.IntType(32)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _NAME)
        i32 = ir.IntType(32)
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(fn, [builder.bitcast(ptr, _I8P), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen

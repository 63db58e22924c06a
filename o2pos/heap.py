"""The cyclic garbage collector while the till starts.

Starting the till builds some 150,000 objects (modules, classes, the stylesheet, the first
screen's widgets) that live as long as it does, none of them garbage. With the collector
on, the allocations on the way to the login screen set it off about 130 times, and each
pass walked all that had been built so far: ~50 ms of a ~280 ms start here, where a bare
Textual app spends ~18 ms (``docs/benchmarks.md``). So ``o2pos run`` holds the collector
off from its first line (``hold``), and once the first screen is up the till collects
once and freezes what survives (``settle``): later passes, during a sale or a shift, no
longer walk what start-up built. A till started any other way (the tests' ``TillApp``)
never held it, and ``settle`` leaves its collector alone.

Standard library only: the command line uses it before anything else is imported.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """Stop the collector until ``settle`` (a no-op when it is already off)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def settle() -> None:
    """After ``hold``: collect once, freeze the survivors and turn the collector on again.
    Without ``hold`` first, nothing."""
    global _held
    if not _held:
        return
    _held = False
    gc.collect()
    gc.freeze()
    gc.enable()

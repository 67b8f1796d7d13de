"""Pure-Python arithmetic loops: CPU-bound work that holds the GIL throughout.

Isolates: interpreting bytecode. No C code releases the GIL here.
Probes claims 1, 2 and 5: threads do not speed up CPU-bound Python (and may
slow it down); processes run it in parallel on several cores.
Predicts: threads speedup about 1 or below; processes speedup close to
min(WORKERS, cores).
"""

from __future__ import annotations

TASKS = 16
CLAIMS = [1, 2, 5, 9]
ITERATIONS = 1_000_000


def task(i: int) -> int:
    total = 0
    for k in range(ITERATIONS):
        total += (k * k + i) % 7
    return total

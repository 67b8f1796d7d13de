"""json.loads of a 2 MB document per task: C code that keeps the GIL.

Isolates: native code that looks like "C work" but never releases the GIL (the
json and re accelerators hold it throughout). Probes claim 10's counterpart: such
code does not scale with threads.
Predicts: threads speedup about 1 (below 1.3); processes scale with the cores.
"""

from __future__ import annotations

import json

TASKS = 16
CLAIMS = [10]
DOCUMENT = json.dumps(
    [
        {"id": k, "name": f"item-{k}", "tags": ["a", "b", "c"], "score": k * 0.5}
        for k in range(25_000)
    ]
)


def task(i: int) -> int:
    return len(json.loads(DOCUMENT)) + i

"""os.stat('/') 20,000 times per task: a very short GIL release in every call.

Isolates: the cost of releasing and retaking the GIL (each stat call drops it for
about a microsecond), and the observer effect of exact GIL tracing: perf's uprobes
fire three times per GIL cycle, hundreds of thousands of times a second here.
Predicts: threads about as fast as sequential (the GIL is held most of the time,
and handing it over costs more than the call); processes scale with the cores; the
observed run with perf is much slower than the timing runs (the report says by how
much), and after the probes' cost is taken out, a single thread shows no GIL wait.
"""

from __future__ import annotations

import os

TASKS = 16
CALLS = 20_000


def task(i: int) -> int:
    found = 0
    for _ in range(CALLS):
        found += os.stat("/").st_nlink > 0
    return found + i

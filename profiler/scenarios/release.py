"""SHA-256 of 64 MB per task: CPU work in C code that releases the GIL.

Isolates: native code that drops the GIL while it runs (hashlib releases it for
inputs over 2 KB; zlib does too). Probes claim 10, beyond the article's rule:
where C code releases the GIL, threads do speed up CPU work.
Predicts: threads speedup close to the core count; the threads spend their time
in nogil_running, not hold.
"""

from __future__ import annotations

import hashlib

TASKS = 16
CLAIMS = [10]
BUFFER = b"\x5a" * (16 * 1024 * 1024)


def task(i: int) -> str:
    digest = hashlib.sha256(i.to_bytes(4, "little"))
    for _ in range(4):  # each update hashes 16 MB with the GIL released
        digest.update(BUFFER)
    return digest.hexdigest()

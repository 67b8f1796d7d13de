"""Calibration: four named threads with designed GIL duty cycles.

Isolates: known GIL behaviour, to check the accuracy of the GIL figures.
Under the threads model (WORKERS = 4), task i plays one role for
CONCPROF_GIL_DURATION_S seconds (default 1.0):
- `spinner`: pure-Python loop, holds the GIL whenever it can;
- `duty20`: spins 20 ms, then sleeps 80 ms (holds the GIL about 20% of the
  time when alone);
- `sleeper`: only sleeps (holds the GIL well under 2%);
- `io_1ms`: sleeps 1 ms at a time, like a thread waiting on fast I/O; beside
  the spinner each wake-up must wait for the GIL (up to the 5 ms switch
  interval): the convoy effect, visible as its wait per acquisition.
Probes claims 4 and 9: threads that wait release the GIL; only one thread
holds it at a time (shares in a process never sum above 100%).
"""

from __future__ import annotations

import os
import threading
import time

TASKS = 4
WORKERS = 4
CLAIMS = [4, 9]
ROLES = ("spinner", "duty20", "sleeper", "io_1ms")
DURATION_S = float(os.environ.get("CONCPROF_GIL_DURATION_S", "1.0"))


def _spin_until(deadline: float) -> int:
    spins = 0
    while time.monotonic() < deadline:
        spins += 1
    return spins


def task(i: int) -> str:
    role = ROLES[i % len(ROLES)]
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        thread.name = role  # the name the report shows for this thread
    end = time.monotonic() + DURATION_S
    if role == "spinner":
        _spin_until(end)
    elif role == "duty20":
        while time.monotonic() < end:
            _spin_until(min(end, time.monotonic() + 0.020))
            time.sleep(max(0.0, min(0.080, end - time.monotonic())))
    elif role == "sleeper":
        time.sleep(DURATION_S)
    else:
        while time.monotonic() < end:
            time.sleep(0.001)
    return role

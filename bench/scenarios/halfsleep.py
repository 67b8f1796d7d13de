"""Half sleep, half pure Python per task, 8 workers: the GIL is released and retaken often.

Isolates: how much harness work between tasks (a file read, a resource probe) costs
threads that must win the GIL back after each release (bench: harness fidelity).
"""

import time

TASKS = 400
WORKERS = 8


def task(i: int) -> int:
    time.sleep(0.002)
    total = 0
    for k in range(20_000):
        total += k * i % 7
    return total

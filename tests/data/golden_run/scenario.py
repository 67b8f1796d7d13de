"""A little pure-Python CPU and a little sleep per task: every recorder has something to show."""

import time

TASKS = 4
WORKERS = 2


def task(i):
    n = 0
    for k in range(60_000):
        n += k & 7
    time.sleep(0.01)
    return n + i

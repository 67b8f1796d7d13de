"""What serialisation accounting (profiler.workload.ipc_watch) costs a process pool.

Interleaved pairs in this process: the same ProcessPoolExecutor (fork, 2 workers) runs
TASKS tasks that each return PAYLOAD bytes, once as it is and once with every pickle
and unpickle timed and sized in the parent and the workers (what the processes model's
observed run does). overhead_us_per_task = (accounted − plain) / tasks, medians.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context, reduction

import pandas as pd

from profiler.workload import ipc_watch

TASKS = 5_000
IPC_TEXT = (
    "Interleaved pairs in one process: the same ProcessPoolExecutor (fork, 2 workers) "
    "runs the tasks as they are, then with every pickle and unpickle timed and sized in "
    "the parent and the workers (profiler.workload.ipc_watch, what the processes model's "
    "observed run does; timing runs never do). overhead_us_per_task = the medians' "
    "difference per task (for the first two rows, per pickle or unpickle: a task makes "
    "four of them). Target: at most 5 µs per task (four events), beside the tens of µs a "
    "pickle round trip through the pool costs; the pool pairs vary by ±10% from run to "
    "run on this machine, more than the accounting costs."
)


def _payload_4k(i: int) -> bytes:
    return bytes(4096)


def _payload_128k(i: int) -> bytes:
    return bytes(128 * 1024)


def _plain_start() -> None:
    return None


def _accounted_start(directory: str) -> None:
    ipc_watch.install()
    ipc_watch.write_at_exit(directory)


def _once(task: object, accounted: bool, tasks: int) -> float:
    with tempfile.TemporaryDirectory() as directory:
        if accounted:
            ipc_watch.install()
        else:
            ipc_watch.uninstall()
        ipc_watch.take()
        start = time.perf_counter()
        with ProcessPoolExecutor(
            2,
            mp_context=get_context("fork"),
            initializer=_accounted_start if accounted else _plain_start,
            initargs=(directory,) if accounted else (),
        ) as pool:
            for future in [pool.submit(task, i) for i in range(tasks)]:  # type: ignore[arg-type]
                future.result()
        wall = time.perf_counter() - start
        ipc_watch.take()
    ipc_watch.uninstall()
    return wall


def _per_call_us(fn: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def bench_per_call() -> list[dict[str, object]]:
    """One pickle and one unpickle of a pool's result item holding 4 KB, plain and timed
    (the best of 15 repeats of 20,000 each, interleaved): what the accounting adds to each
    of its events."""
    from concurrent.futures import process

    item = process._ResultItem(5, result=bytes(4096))
    pickler = reduction.ForkingPickler
    data = pickler.dumps(item)
    rows = []
    calls = (("pickle", lambda: pickler.dumps(item)), ("unpickle", lambda: pickler.loads(data)))
    for name, call in calls:
        plains, timeds = [], []
        for _ in range(5):  # interleaved: the machine's drift falls on both
            ipc_watch.uninstall()
            plains.append(_per_call_us(call, 20_000))
            ipc_watch.install()
            timeds.append(_per_call_us(call, 20_000))
            ipc_watch.take()
        ipc_watch.uninstall()
        plain, timed = min(plains), min(timeds)
        rows.append(
            {
                "workload": f"one {name} of a 4 KB result item (timeit)",
                "pairs": 15,
                "plain_median_s": round(plain / 1e6, 8),
                "accounted_median_s": round(timed / 1e6, 8),
                "ratio": round(timed / plain, 3),
                "overhead_us_per_task": round(timed - plain, 2),
            }
        )
    return rows


def bench_ipc(pairs: int) -> pd.DataFrame:
    rows = bench_per_call()
    for name, task, tasks in (
        ("4 KB results", _payload_4k, TASKS),
        ("128 KB results", _payload_128k, TASKS // 5),
    ):
        plain, accounted = [], []
        for _ in range(pairs):
            plain.append(_once(task, False, tasks))
            accounted.append(_once(task, True, tasks))
        p, a = statistics.median(plain), statistics.median(accounted)
        rows.append(
            {
                "workload": f"{tasks:,} tasks, {name}",
                "pairs": pairs,
                "plain_median_s": round(p, 4),
                "accounted_median_s": round(a, 4),
                "ratio": round(a / p, 3),
                "overhead_us_per_task": round((a - p) / tasks * 1e6, 2),
            }
        )
    return pd.DataFrame(rows)

"""Predict each model's speedup from the sequential run's own measurements, then set the
prediction beside what the timing runs measured (docs/measurement.md, "Predicted against
measured").

The model: the sequential run's main thread spends, of each task's time T, a share h
holding the GIL (running Python), a share n running without it (C code that released it)
and the rest b blocked (I/O, sleep). With W workers on C cores:

- threads (one GIL): the held parts run one at a time, all the running parts share the
  cores, and W tasks overlap: wall = N·T·max(h, (h+n)/C, 1/W); speedup = 1/max(...).
- processes (a GIL each): the running parts share the cores and W tasks overlap; the
  parent pickles every call and unpickles every result on its own (measured in the
  processes run's observed run: analyse.ipc), the workers pay their side on top of T, and
  the pool starts once: wall = startup + N·max((T+w)·max((h+n)/C, 1/W), p), where w and p
  are the workers' and the parent's pickling time per task.
- asyncio: coroutine tasks (named atask-*) overlap their waits on one thread, W at a time:
  speedup = 1/max(h+n, 1/W); plain functions run one after another: 1.

What it leaves out, where a measurement disagrees: the GIL's hand-over (a thread that
wakes waits for the holder's switch interval), the pool's own bookkeeping, contention
for memory bandwidth, and anything the sequential run does not show (a lock taken only
under concurrency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from profiler.analyse.evidence import ipc_evidence
from profiler.answer import NAN, known

PREDICTION_COLUMNS = [
    "model",
    "predicted_speedup",
    "limited_by",
    "measured_speedup",
    "measured_ci_low",
    "measured_ci_high",
    "measured_over_predicted",
    "agrees",
    "held_share",
    "nogil_share",
    "task_s",
    "workers",
    "cores",
    "parent_ipc_s",
    "worker_ipc_s",
    "startup_s",
    "source",
]


@dataclass(frozen=True)
class Shares:
    """The sequential run's main thread: GIL held, running without it, per task."""

    held: float  # of its window (hold + hold_preempted), 0..1
    nogil: float  # running without the GIL, 0..1
    source: str  # the recorder; procfs gives only on-CPU time, counted as held


def sequential_shares(threads: pd.DataFrame | None) -> Shares | None:
    if threads is None or threads.empty:
        return None
    rows = threads[
        (threads["model"] == "sequential")
        & (threads["process_role"] == "main")
        & (threads["thread_name"] == "MainThread")
        & threads["best"].astype(bool)
    ]
    if rows.empty:
        return None
    row = rows.iloc[0]

    def pct(column: str) -> float:
        value = row.get(column)
        return float(cast(float, value)) / 100.0 if known(value) else 0.0

    if known(row.get("gil_hold_pct")):
        held = pct("gil_hold_pct") + pct("gil_hold_preempted_pct")
        return Shares(held, pct("nogil_running_pct"), str(row["source"]))
    if not known(row.get("on_cpu_pct")):
        return None
    return Shares(pct("on_cpu_pct"), 0.0, f"{row['source']} (on-CPU time, counted as held)")


def _threads(s: Shares, workers: int, cores: int) -> tuple[float, str]:
    limits = {"the GIL": s.held, "the cores": (s.held + s.nogil) / cores, "workers": 1 / workers}
    name = max(limits, key=limits.__getitem__)
    return 1.0 / max(limits[name], 1e-9), name


def _processes(
    s: Shares,
    workers: int,
    cores: int,
    task_s: float,
    n_tasks: int,
    pool: tuple[float, float, float] | None,
) -> tuple[float, str]:
    worker_ipc, parent_ipc, startup_s = pool or (0.0, 0.0, 0.0)
    cpu = (s.held + s.nogil) / cores
    limits = {
        "the cores" if cpu > 1 / workers else "workers": (task_s + worker_ipc)
        * max(cpu, 1 / workers),
        "the parent's pickling": parent_ipc,
    }
    name = max(limits, key=limits.__getitem__)
    wall = startup_s + n_tasks * limits[name]
    return n_tasks * task_s / max(wall, 1e-12), name


def _asyncio(s: Shares, workers: int, coroutines: bool) -> tuple[float, str]:
    if not coroutines:
        return 1.0, "plain functions, run one at a time"
    cpu = s.held + s.nogil
    return (1.0 / max(cpu, 1 / workers), "the thread's CPU" if cpu > 1 / workers else "workers")


def predict(
    comparison: pd.DataFrame,
    threads: pd.DataFrame | None,
    tasks: pd.DataFrame | None,
    ipc: pd.DataFrame | None,
    workers: int,
    cores: int,
    margin: float,
) -> pd.DataFrame:
    """One row per model the run measured (not sequential): PREDICTION_COLUMNS."""
    shares = sequential_shares(threads)
    seq = comparison[comparison["model"] == "sequential"]
    if shares is None or seq.empty or tasks is None or workers < 1:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    observed = tasks[(tasks["model"] == "sequential") & (tasks["rep"] == 0)]
    n_tasks = max(1, len(observed))
    task_s = float(seq["wall_median_s"].iloc[0]) / n_tasks
    coroutines = bool(
        tasks.loc[tasks["model"] == "asyncio", "thread_name"]
        .astype(str)
        .str.startswith("atask")
        .any()
    )
    rows = []
    for r in comparison.to_dict("records"):
        model = str(r["model"])
        pool = None
        if model == "threads":
            speedup, limit = _threads(shares, workers, cores)
        elif model == "processes":
            pool = _pool_costs(ipc, model)
            speedup, limit = _processes(shares, workers, cores, task_s, n_tasks, pool)
        elif model == "asyncio":
            speedup, limit = _asyncio(shares, workers, coroutines)
        else:
            continue
        low, high, measured = (
            float(r["speedup_ci_low"]),
            float(r["speedup_ci_high"]),
            float(r["speedup"]),
        )
        agrees = low / (1 + margin) <= speedup <= high * (1 + margin) if known(low) else None
        rows.append(
            {
                "model": model,
                "predicted_speedup": speedup,
                "limited_by": limit,
                "measured_speedup": measured,
                "measured_ci_low": low,
                "measured_ci_high": high,
                "measured_over_predicted": measured / speedup if speedup > 0 else NAN,
                "agrees": agrees,
                "held_share": shares.held,
                "nogil_share": shares.nogil,
                "task_s": task_s,
                "workers": workers,
                "cores": cores,
                "parent_ipc_s": pool[1] if pool else NAN,
                "worker_ipc_s": pool[0] if pool else NAN,
                "startup_s": pool[2] if pool else NAN,
                "source": shares.source,
            }
        )
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


def _pool_costs(ipc: pd.DataFrame | None, model: str) -> tuple[float, float, float] | None:
    """(workers' pickling per task, the parent's per task, a worker's start-up), as the
    answer's evidence has them (analyse.evidence.ipc_evidence)."""
    pool = ipc_evidence(ipc).get(model)
    if pool is None:
        return None
    return pool.in_workers_s, pool.in_parent_s, pool.startup_s

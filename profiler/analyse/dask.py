"""The dask model's cluster from its observed run (Dask's task stream, read by
profiler.workload.models.dask_model) and its timing runs: per task and per worker, and what a
task costs beyond its own work.

Per-task overhead: with S worker threads running n tasks that take t each alone in a wall
time W, the threads are busy n·t of their S·W; the rest, per task, is o = S·W/n − t:
scheduling, sending the task and its result, deserialising it, waiting idle, and on a
worker with several threads their turns at the GIL. Dask pays it back when n(t + o)/S <
n·t, so against one process from tasks longer than o/(S − 1): the break-even task length on
this cluster. Both W and t come from the timing runs (t: the sequential model's median wall
over n; o's interval from W's); S counts only the threads that can run at once (on this
machine, at most its cores). Without a sequential run, t is the mean compute the task
stream of the observed run measured.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from profiler.answer import DaskEvidence, known
from profiler.workload.documents import RunResult

DASK_TASK_COLUMNS = [
    "model",
    "index",
    "key",
    "worker",
    "pid",
    "tid",
    "thread_name",
    "start_s",
    "compute_s",
    "transfer_s",
    "deserialize_s",
    "other_s",
    "nbytes",
    "status",
    "runs",
]
DASK_WORKER_COLUMNS = [
    "model",
    "worker",
    "host",
    "pid",
    "local",
    "nthreads",
    "tasks",
    "compute_s",
    "transfer_s",
    "deserialize_s",
    "window_s",
    "busy_pct",
    "cpu_s",
    "peak_rss_mb",
    "scheduler",
    "started_here",
    "startup_s",
    "left",
]
SOURCE = "Dask's task stream, observed run; wall time, timing runs"


def tasks(doc: RunResult, model: str) -> pd.DataFrame:
    """One row per task run (a task rerun after its worker died has two: `runs` counts
    them), times in seconds from the window's start."""
    if doc.dask is None or not doc.dask.tasks:
        return pd.DataFrame(columns=DASK_TASK_COLUMNS)
    t0 = doc.start_ns or 0
    rows = [
        (
            model,
            t.index,
            t.key,
            t.worker,
            t.pid,
            t.tid,
            t.thread,
            (t.start_ns - t0) / 1e9,
            (t.end_ns - t.start_ns) / 1e9,
            t.transfer_s,
            t.deserialize_s,
            t.other_s,
            t.nbytes,
            t.status,
        )
        for t in doc.dask.tasks
    ]
    frame = pd.DataFrame(rows, columns=DASK_TASK_COLUMNS[:-1])
    frame["runs"] = frame.groupby("index")["index"].transform("size")
    return frame


def workers(doc: RunResult, model: str, per_task: pd.DataFrame) -> pd.DataFrame:
    """One row per worker at the window's end (and one per worker that left during it)."""
    if doc.dask is None:
        return pd.DataFrame(columns=DASK_WORKER_COLUMNS)
    d = doc.dask
    window_s = (doc.wall_s or 0.0) / max(1, doc.passes)
    by = per_task.groupby("worker") if len(per_task) else None
    rows = []
    for w in d.workers:
        mine = by.get_group(w.address) if by is not None and w.address in by.groups else None
        compute = float(mine["compute_s"].sum()) if mine is not None else 0.0
        rows.append(
            (
                model,
                w.address,
                w.host,
                w.pid,
                w.local,
                w.nthreads,
                len(mine) if mine is not None else 0,
                compute,
                float(mine["transfer_s"].sum()) if mine is not None else 0.0,
                float(mine["deserialize_s"].sum()) if mine is not None else 0.0,
                window_s,
                100.0 * compute / (window_s * w.nthreads) if window_s > 0 else np.nan,
                w.user_s + w.sys_s,
                w.peak_rss_kb / 1024.0,
                d.scheduler,
                d.started_here,
                d.startup_s,
                False,
            )
        )
    for address in d.left:
        rows.append((model, address, "", 0, False, 0, 0, 0.0, 0.0, 0.0, window_s, np.nan,
                     np.nan, np.nan, d.scheduler, d.started_here, d.startup_s, True))  # fmt: skip
    return pd.DataFrame(rows, columns=DASK_WORKER_COLUMNS)


def evidence(
    dask_tasks: pd.DataFrame | None,
    dask_workers: pd.DataFrame | None,
    comparison: pd.DataFrame,
    task_rows: pd.DataFrame | None,
    cores: int,
) -> dict[str, DaskEvidence]:
    """Per Dask model: the per-task overhead (module docstring) with its interval, the
    break-even task length, the transfer and deserialisation per task, the workers' idle
    share, the start-up, and how much longer a task computed than it did alone (threads of
    one worker taking turns at the GIL)."""
    if dask_workers is None or dask_workers.empty:
        return {}
    out = {}
    for model, ws in dask_workers.groupby("model", sort=False):
        present = ws[~ws["left"].astype(bool)]
        slots = int(present["nthreads"].sum())
        mine = (
            dask_tasks[dask_tasks["model"] == model] if dask_tasks is not None else pd.DataFrame()
        )
        ok = mine[mine["status"] == "OK"] if len(mine) else mine
        row = comparison[comparison["model"] == model]
        if row.empty or slots < 1 or ok.empty:
            continue
        n = int(mine["index"].nunique())
        local = bool(present["local"].astype(bool).all())
        running = min(slots, cores) if local else slots  # threads that can run at once
        baseline = comparison[comparison["model"] == "sequential"]["wall_median_s"]
        streamed = float(ok["compute_s"].mean())
        t = float(baseline.iloc[0]) / n if len(baseline) else streamed
        walls = [
            float(row[c].iloc[0]) for c in ("wall_median_s", "wall_ci_low_s", "wall_ci_high_s")
        ]
        o, o_low, o_high = (running * w / n - t if known(w) and n else math.nan for w in walls)
        alone = _sequential_task_s(task_rows)
        window = float(present["window_s"].max())
        out[str(model)] = DaskEvidence(
            workers=len(present),
            threads_per_worker=int(present["nthreads"].max()),
            slots=slots,
            running=running,
            tasks=n,
            task_s=t,
            overhead_s=o,
            overhead_low_s=o_low,
            overhead_high_s=o_high,
            share_pct=100.0 * max(0.0, o) / (max(0.0, o) + t) if known(o) and t > 0 else math.nan,
            break_even_s=o / (running - 1) if running > 1 and known(o) else math.nan,
            transfer_s=float(ok["transfer_s"].sum()) / n,
            deserialize_s=float(ok["deserialize_s"].sum()) / n,
            idle_pct=100.0 - 100.0 * float(ok["compute_s"].sum()) / (slots * window)
            if window > 0
            else math.nan,
            startup_s=float(present["startup_s"].iloc[0]),
            stretch=streamed / alone if known(alone) and alone > 0 else math.nan,
            reruns=int((mine.groupby("index").size() > 1).sum()) if len(mine) else 0,
            left=int(ws["left"].astype(bool).sum()),
            local=local,
            scheduler=str(present["scheduler"].iloc[0]),
            started_here=bool(present["started_here"].iloc[0]),
            cores=cores,
        )
    return out


def _sequential_task_s(task_rows: pd.DataFrame | None) -> float:
    """A task's mean time alone: the sequential model's observed run (tasks.csv)."""
    if task_rows is None or task_rows.empty:
        return math.nan
    seq = task_rows[(task_rows["model"] == "sequential") & task_rows["start_s"].notna()]
    if seq.empty:
        return math.nan
    return float((seq["end_s"] - seq["start_s"]).mean())

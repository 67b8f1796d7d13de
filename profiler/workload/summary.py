"""What a model run's document says about the whole tree once the window closed: CPU and
peak RSS of this process and its workers, every thread's name, the results' digest."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from profiler.workload.documents import RunError, RunResult, TaskRecord, ThreadRecord, WorkerStart
from profiler.workload.models import WorkloadSpec
from profiler.workload.models.base import ModelRun, TaskOutcome, snapshot_threads


def digest(results: list[Any]) -> str:
    """A short hash of the ordered results, built one result at a time (no giant string)."""
    h = hashlib.sha256()
    for result in results:
        h.update(repr(result).encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


def task_record(o: TaskOutcome) -> TaskRecord:
    return TaskRecord(
        o.task_index, o.pid, o.tid, o.thread_name, o.start_ns, o.end_ns, o.ok, o.error
    )


def merge_passes(run: ModelRun, later: list[ModelRun]) -> None:
    """The threads and workers of later passes, named by their pass, into the first's.

    Results and task records stay those of the first pass; every thread and
    process that ran in the window is named.
    """
    known = {tid for tid, _, _ in run.threads}
    for number, again in enumerate(later, 2):
        for tid, name, ident in again.threads:
            if tid not in known:
                run.threads.append((tid, f"{name} (pass {number})", ident))
                known.add(tid)
        run.worker_starts += [
            (pid, tid, f"{name} (pass {number})", ident, start_ns)
            for pid, tid, name, ident, start_ns in again.worker_starts
        ]
        run.worker_usage.update(again.worker_usage)


def summarise(
    run: ModelRun,
    spec: WorkloadSpec,
    model: str,
    usage_delta: tuple[float, float],
    children_delta: tuple[float, float],
    rss_kb: int,
    doc: RunResult,
) -> None:
    """Into `doc`: whole-tree CPU and peak RSS: this process plus each worker process.

    CPU: this process, plus the children reaped during the run (getrusage, exact,
    exit included: pool workers under fork and spawn, programs a task ran). Under
    forkserver the workers are the fork server's children, so their CPU is what
    /proc said once, after all tasks. Peak RSS: each worker's VmHWM from that read.
    """
    me = os.getpid()
    per_pid: dict[int, tuple[float, float, int]] = dict(run.worker_usage)
    # forkserver's workers are not our children; a Dask cluster's workers say their own
    # (usage deltas over the window, read on each local worker: models.dask_model)
    via_proc = (spec.start_method == "forkserver" and model == "processes") or model == "dask"
    user_s = usage_delta[0] + children_delta[0]
    sys_s = usage_delta[1] + children_delta[1]
    if via_proc:
        user_s += sum(v[0] for v in per_pid.values())
        sys_s += sum(v[1] for v in per_pid.values())
    max_rss_kb = rss_kb + sum(v[2] for v in per_pid.values())
    outcomes = run.outcomes()
    worker_pids = (
        set(per_pid)
        | {o.pid for o in outcomes if o.pid != me}
        | {s[0] for s in run.worker_starts if s[0] != me}
    )
    failure = run.first_failure()
    results = run.ordered_results()  # sorted once, after the measured run
    names = {(me, tid): name for tid, name, _ in (run.threads or snapshot_threads())}
    idents = {(me, tid): ident for tid, _, ident in (run.threads or snapshot_threads())}
    for pid, tid, name, ident, _ in run.worker_starts:
        names.setdefault((pid, tid), name)
        idents.setdefault((pid, tid), ident)
    for o in outcomes:
        names.setdefault((o.pid, o.tid), o.thread_name)
    for pid in worker_pids:
        names.setdefault((pid, pid), "MainThread")
    doc.user_s, doc.sys_s, doc.max_rss_mb = user_s, sys_s, max_rss_kb / 1024.0
    doc.tasks_ok = len(results)
    doc.digest = digest(results) if failure is None else None
    doc.worker_pids = sorted(worker_pids)
    doc.threads = [
        ThreadRecord(pid, tid, name, idents.get((pid, tid))) for (pid, tid), name in names.items()
    ]
    doc.worker_starts = [
        WorkerStart(pid, tid, name, start_ns) for pid, tid, name, _, start_ns in run.worker_starts
    ]
    doc.task_records = [task_record(o) for o in sorted(outcomes, key=lambda o: o.task_index)]
    doc.error = None if failure is None else RunError("task", model, failure[0], failure[1])

"""Dask: the scenario's tasks mapped over a dask.distributed cluster, as a plain program does:

    futures = client.map(task, range(n), pure=False)
    results = client.gather(futures)          # in submission order; the first error raises

(`pure=False`: every run computes; with the default a second pass on the same cluster could
be answered from results still held.) The cluster is up, connected and holds the scenario
before the measured window opens (`open_cluster`), and its start-up is reported like a
pool's; inside the window runs only the map and the gather. By default the cluster is a
`LocalCluster` this run starts on 127.0.0.1 (WORKERS worker processes of `--dask-threads`
threads each, no dashboard) and stops after the window; with `--dask-scheduler ADDRESS`
it is an existing one, which is never stopped (its workers get the scenario file through a
worker plugin, registered for the run and removed after it).

An observed run also opens Dask's task stream before the window (the scheduler's own
record of every task: worker, thread, compute, transfer and deserialisation spans) and reads
it after; each worker's CPU is read on the worker once before and once after the window.

The only module of the workload side that imports a third-party package: dask.distributed
is what this model measures, imported only when it runs.
"""

from __future__ import annotations

import os
import sys
import time
import types
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from profiler.workload.documents import DaskRun, DaskTask, DaskWorker, RunResult
from profiler.workload.models.base import (
    ModelRun,
    ThreadIds,
    WorkloadSpec,
    describe_error,
    snapshot_threads,
)

PLUGIN = "concprof-scenario"  # the worker plugin's name on the cluster
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CONNECT_TIMEOUT_S = 10.0


def _ship(source: str, path: str, module_name: str) -> str:
    """On a worker or the scheduler: the scenario file imported as `module_name` (what
    pickle looks up for `task`), afresh for each run. Self-contained: it is sent by value,
    so a worker needs neither concprof nor the file."""
    module = types.ModuleType(module_name)
    module.__file__ = path
    sys.modules[module_name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module_name


def _usage() -> tuple[int, float, float, int]:
    """On a worker: its pid, user and system CPU seconds so far, and peak RSS (kB)."""
    import os as _os
    import resource as _resource

    ru = _resource.getrusage(_resource.RUSAGE_SELF)
    return _os.getpid(), ru.ru_utime, ru.ru_stime, int(ru.ru_maxrss)


def _threads() -> dict[int, tuple[int, str]]:
    """On a worker: each thread's ident -> (native id, name)."""
    import threading as _threading

    return {t.ident or 0: (t.native_id or 0, t.name) for t in _threading.enumerate()}


def _plugin_classes() -> tuple[type, type]:
    """A worker plugin and a scheduler plugin that import the scenario where they run: on
    every worker (those that join later included), and on the scheduler, which unpickles
    the task graph (since distributed 2024.x) and so needs the module too."""
    from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

    class Carries:
        name = PLUGIN

        def __init__(self, source: str, path: str, module_name: str) -> None:
            self.source, self.path, self.module_name = source, path, module_name

        def ship(self) -> None:
            _ship(self.source, self.path, self.module_name)

    class ScenarioOnWorkers(Carries, WorkerPlugin):  # type: ignore[misc,unused-ignore]
        def setup(self, worker: Any) -> None:
            self.ship()

    class ScenarioOnScheduler(Carries, SchedulerPlugin):  # type: ignore[misc,unused-ignore]
        async def start(self, scheduler: Any) -> None:
            self.ship()

    return ScenarioOnWorkers, ScenarioOnScheduler


@dataclass
class Cluster:
    """The run's client and cluster, opened before the window and closed after it."""

    client: Any
    cluster: Any  # the LocalCluster this run started, or None
    doc: DaskRun
    usage_before: dict[str, tuple[int, float, float, int]] = field(default_factory=dict)
    stream: Any = None  # distributed.get_task_stream, observed runs
    first: list[Any] | None = None  # the first pass's futures (observed runs), in order
    offset_ns: int = 0  # this machine's wall clock minus its CLOCK_MONOTONIC

    def close(self) -> None:
        try:
            if not self.doc.started_here:  # leave a cluster as it was found
                self.client.unregister_worker_plugin(PLUGIN)
                self.client.unregister_scheduler_plugin(PLUGIN)
        except Exception:  # a cluster gone or a plugin never registered: nothing to undo
            pass
        finally:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


_open: Cluster | None = None


def check_cluster(address: str, path: str, module_name: str, timeout_s: float) -> list[str]:
    """Before any run (the toolkit's check): the scheduler answers within `timeout_s`, has
    workers, and each can import the scenario. Returns the workers' addresses; raises
    OSError (no answer) or ImportError naming the worker and what it lacks."""
    from distributed import Client

    client = Client(address, timeout=timeout_s, set_as_default=False)
    try:
        workers = sorted(client.scheduler_info().get("workers", {}))
        if not workers:
            raise ImportError(f"the scheduler at {address} has no workers")
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        _by_value()
        found = client.run(_ship, source, path, module_name, on_error="return")
        try:
            found["the scheduler"] = client.run_on_scheduler(_ship, source, path, module_name)
        except Exception as exc:  # the scheduler unpickles the task graph: it needs it too
            found["the scheduler"] = exc
        for worker, answer in sorted(found.items()):
            if isinstance(answer, BaseException):
                where = worker if worker == "the scheduler" else f"worker {worker}"
                raise ImportError(
                    f"{where} cannot import {os.path.basename(path)}: "
                    f"{type(answer).__name__}: {answer}"
                )
        return workers
    finally:
        client.close()


def _by_value() -> None:
    """What this module sends to workers (the plugin, _ship, _usage, _threads) goes by
    value: a worker of another machine has no concprof."""
    import cloudpickle

    if __name__ not in cloudpickle.list_registry_pickle_by_value():
        cloudpickle.register_pickle_by_value(sys.modules[__name__])


def open_cluster(spec: WorkloadSpec, observed: bool) -> Cluster:
    """The cluster up, the client connected, the scenario on every worker, before the window
    (its start-up time is the model's, like a pool's); an observed run's task stream open."""
    global _open
    import distributed
    from distributed import Client, LocalCluster

    started = time.monotonic()
    address = spec.dask_scheduler
    cluster = None
    if address:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    else:
        import logging

        cluster = LocalCluster(
            n_workers=max(1, spec.workers),
            threads_per_worker=spec.dask_threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster, set_as_default=False)
        address = cluster.scheduler_address
    try:
        _by_value()
        with open(spec.scenario_path, encoding="utf-8") as fh:
            source = fh.read()
        for plugin in _plugin_classes():
            client.register_plugin(plugin(source, spec.scenario_path, spec.module_name))
        doc = DaskRun(
            scheduler=str(address),
            started_here=cluster is not None,
            threads_per_worker=spec.dask_threads,
            version=distributed.__version__,
        )
        opened = Cluster(client, cluster, doc)
        opened.usage_before = _run_on_workers(client, _usage)
        if observed:
            opened.stream = distributed.get_task_stream(client)
            opened.stream.__enter__()
        opened.offset_ns = time.time_ns() - time.monotonic_ns()
        doc.startup_s = time.monotonic() - started
    except BaseException:
        client.close()
        if cluster is not None:
            cluster.close()
        raise
    _open = opened
    return opened


def _run_on_workers(client: Any, fn: Any) -> dict[str, Any]:
    found = client.run(fn, on_error="return")
    return {w: v for w, v in found.items() if not isinstance(v, BaseException)}


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    """The measured part: map, then gather in submission order (O(1) per task here)."""
    result = ModelRun(model="dask")
    if _open is None:
        raise RuntimeError("the dask model runs on a cluster opened by open_cluster")
    futures = _open.client.map(scenario.task, range(spec.tasks), pure=False)
    try:
        result.results = _open.client.gather(futures)
    except Exception as exc:
        failed = next((i for i, f in enumerate(futures) if f.status == "error"), len(futures) - 1)
        result.failure = (failed, describe_error(exc))
    if _open.stream is not None and _open.first is None:
        _open.first = futures  # its keys are read after the window (O(1) here)
    return result


def close_cluster(opened: Cluster, run: ModelRun, doc: RunResult) -> None:
    """After the window: the workers' CPU, the task stream as the run's task records, which
    workers left or joined, then the cluster closed (stopped only if this run started it).
    Nothing here is measured."""
    global _open
    run.threads = run.threads or snapshot_threads()  # the cluster's threads, named while alive
    try:
        dask = opened.doc
        info = opened.client.scheduler_info().get("workers", {})
        after = _run_on_workers(opened.client, _usage)
        before = opened.usage_before
        dask.left = sorted(set(before) - set(after))
        dask.joined = sorted(set(after) - set(before))
        here = _this_host()  # once: a name lookup
        for address, (pid, user_s, sys_s, rss_kb) in sorted(after.items()):
            was = before.get(address)
            meta = info.get(address, {})
            host = str(meta.get("host", address.split("://")[-1].rsplit(":", 1)[0]))
            dask.workers.append(
                DaskWorker(
                    address,
                    pid,
                    host,
                    int(meta.get("nthreads", dask.threads_per_worker)),
                    user_s - (was[1] if was else 0.0),
                    sys_s - (was[2] if was else 0.0),
                    rss_kb,
                    host in LOCAL_HOSTS or host == here,
                )
            )
        if opened.stream is not None:
            opened.stream.__exit__(None, None, None)
            threads = _run_on_workers(opened.client, _threads)
            dask.tasks = _tasks(opened, opened.stream.data, threads, after)
            run.raw = _raw(dask.tasks, run.results)
        local = [w for w in dask.workers if w.local]
        run.worker_usage.update({w.pid: (w.user_s, w.sys_s, w.peak_rss_kb) for w in local})
        doc.dask = dask
    finally:
        _open = None
        opened.first = None
        opened.close()


def _this_host() -> str:
    import socket

    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return ""


def _tasks(
    opened: Cluster,
    stream: list[dict[str, Any]],
    threads: dict[str, dict[int, tuple[int, str]]],
    usage: dict[str, tuple[int, float, float, int]],
) -> list[DaskTask]:
    """The first pass's tasks from the task stream, on this machine's monotonic clock."""
    index = {str(f.key): i for i, f in enumerate(opened.first or [])}
    out = []
    for entry in stream:
        key = str(entry.get("key", ""))
        if key not in index:
            continue
        worker = str(entry.get("worker", ""))
        ident = int(entry.get("thread") or 0)
        tid, name = threads.get(worker, {}).get(ident, (0, f"thread {ident}"))
        spans: dict[str, float] = {}
        compute = (0.0, 0.0)
        for s in entry.get("startstops", ()):
            action = str(s.get("action", ""))
            start, stop = float(s.get("start", 0.0)), float(s.get("stop", 0.0))
            if action == "compute":
                compute = (start, stop)
            else:
                spans[action] = spans.get(action, 0.0) + (stop - start)
        out.append(
            DaskTask(
                index=index[key],
                key=key,
                worker=worker,
                pid=usage.get(worker, (0,))[0],
                tid=tid,
                thread=name,
                start_ns=int(compute[0] * 1e9) - opened.offset_ns,
                end_ns=int(compute[1] * 1e9) - opened.offset_ns,
                transfer_s=spans.pop("transfer", 0.0),
                deserialize_s=spans.pop("deserialize", 0.0),
                other_s=sum(spans.values()),
                nbytes=int(entry.get("nbytes") or 0),
                status=str(entry.get("status", "")),
            )
        )
    return sorted(out, key=lambda t: (t.index, t.start_ns))


def _raw(tasks: list[DaskTask], results: list[Any]) -> list[Any]:
    """The run's per-task records (tasks.csv, the timeline) from the task stream: the last
    run of each task (a task rerun after its worker died ran twice)."""
    last: dict[int, DaskTask] = {}
    for t in tasks:
        last[t.index] = t
    raw = []
    for i, t in sorted(last.items()):
        ids: ThreadIds = (t.pid, t.tid, t.thread, 0)
        ok = t.status == "OK" and i < len(results)
        value, error = (results[i], None) if ok else (None, f"task {t.key}: {t.status}")
        raw.append((i, ids, t.start_ns, t.end_ns, value, error))
    return raw

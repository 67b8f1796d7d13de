"""From a run directory's raw/ files to its tables: load, then analyse.

One row per (thread, source) in threads.csv and per (process, source) in
processes.csv, so every number says which recorder measured it; `best`
marks the row to prefer (perf, else py-spy for GIL shares with procfs for
CPU, else procfs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from profiler.analyse import cores as cores_mod
from profiler.analyse import disturbance, gil, observer
from profiler.analyse.claims import judge
from profiler.analyse.compare import DEFAULT_MARGIN, compare
from profiler.analyse.observer import DEFAULT_MAX_SLOWDOWN
from profiler.analyse.sampled import (
    DEFAULT_SAMPLED_ERROR_PCT,
    extrapolate,
    late_found,
    native_tids,
    procfs_shares,
    pyspy_process_shares,
    pyspy_shares,
    subtree,
)
from profiler.analyse.spans import top_spans
from profiler.errors import RunFailed
from profiler.load.perf import exit_commands, load_perf
from profiler.load.procfs import load_procfs
from profiler.load.pyspy import load_pyspy, sampling_starts
from profiler.load.runner_json import (
    OBSERVED_DOC,
    TASK_COLUMNS,
    identity,
    load_timing,
    process_roles,
    read_doc,
    task_rows,
    thread_idents,
)
from profiler.load.viztracer import load_viztracer
from profiler.models.base import MEASURED_FRAME
from profiler.rundir import read_json
from profiler.schema import PROCESS_COLUMNS, THREAD_COLUMNS

OBSERVED_REP = 0  # tasks.csv: the observed run's tasks (timing runs do not time each task)
SOURCE_RANK = {"perf": 0, "py-spy": 1, "procfs": 2}
ROUND_FRAME = "holding_gil_through_window ("  # the reference's samples inside the window


def _name(ids: pd.DataFrame, roles: dict[int, str], frame: pd.DataFrame) -> pd.DataFrame:
    named = frame.merge(ids, on=["pid", "tid"], how="left")
    named["process_role"] = named["process_role"].fillna(named["pid"].map(roles)).fillna("other")
    fallback = np.where(
        named["pid"] == named["tid"], "MainThread", "tid " + named["tid"].astype(str)
    )
    named["thread_name"] = named["thread_name"].fillna(pd.Series(fallback, index=named.index))
    return named


class ModelTables:
    """The tables of one model's observed run."""

    def __init__(self, model: str, raw: Path, doc: dict[str, Any], cpu_count: int) -> None:
        self.model, self.raw, self.doc, self.cpu_count = model, raw, doc, cpu_count
        self.t0, self.t1 = int(doc["start_ns"]), int(doc["end_ns"])
        self.window_us = (self.t1 - self.t0) / 1e3
        self.ids = identity(doc)
        self.roles = process_roles(doc)
        # py-spy's round counter (profiler.models.reference): not part of the workload
        self.reference_pid = int(doc.get("gil_reference_pid") or -1)
        self.gil_traced_pct: float | None = None  # how much of the window perf's GIL trace covers
        self.commands: dict[int, str] = {}  # pid -> its command (procfs comm, perf's exit comm)
        self.last_seen_ns: dict[int, int] = {}  # pid -> when procfs last saw it (+ one poll)
        self.threads: list[pd.DataFrame] = []
        self.processes: list[pd.DataFrame] = []
        self.cores: list[pd.DataFrame] = []
        self.timeline: list[pd.DataFrame] = []
        self.extra: dict[str, list[pd.DataFrame]] = {
            "function_spans": [],
            "traced_threads": [],
            "gil_intervals": [],
            "gil_stats": [],
            "checks": [],
        }

    def add_procfs(self) -> None:
        frames = load_procfs(self.raw, self.t0)
        if frames is None:
            return
        pids = subtree(frames.processes, int(self.doc["pid"])) - {self.reference_pid}
        last = frames.processes.drop_duplicates("pid", keep="last")
        # a process ended within one poll after it was last seen
        ended_us = last["t_us"] + frames.interval_s * 1e6
        self.last_seen_ns = dict(
            zip(last["pid"].astype(int), (self.t0 + ended_us * 1e3).astype(int), strict=True)
        )
        self.commands.update(zip(last["pid"].astype(int), last["comm"].astype(str), strict=True))
        helpers = {p for h in self.doc.get("helper_pids", []) for p in subtree(frames.processes, h)}
        workload = pids - helpers
        shares = procfs_shares(
            frames.threads[frames.threads["pid"].isin(pids)], self.window_us, frames.interval_s
        )
        shares["wall_s"] = self.window_us / 1e6
        self.threads.append(shares.assign(source="procfs"))
        per_proc = shares.groupby("pid", as_index=False)["cpu_s"].sum()
        rss = frames.processes[frames.processes["pid"].isin(pids)].groupby("pid")["rss_kb"].max()
        per_proc["peak_rss_mb"] = per_proc["pid"].map(rss) / 1024.0
        self.processes.append(per_proc.assign(source="procfs"))
        summary, timeline = cores_mod.cores_from_procfs(
            frames.threads,
            frames.cores,
            workload,
            self.window_us,
            frames.clock_ticks_per_s,
            self.cpu_count,
        )
        self.cores.append(summary)
        self.timeline.append(timeline)

    def add_pyspy(self) -> None:
        path = self.raw / "pyspy.txt"
        meta = read_doc(self.raw / "pyspy_meta.json")
        if not path.exists() or meta is None:
            return
        samples = native_tids(load_pyspy(path), thread_idents(self.doc))
        reference = samples["pid"] == self.reference_pid
        in_window = reference & samples["leaf"].str.startswith(ROUND_FRAME)  # not its start-up
        rounds = int(samples.loc[in_window, "samples"].sum())
        # helpers (a server started by setup) live before and after the window, and raw
        # output has no timestamps: their samples cannot be placed in it, so no rows
        helpers = {int(p) for p in self.doc.get("helper_pids", [])}
        samples = samples[~reference & ~samples["pid"].isin(helpers)]
        # the runner's main thread is inside the model run only within measured_model_run();
        # its other samples are start-up, the scenario's import, setup and teardown (raw
        # output has no timestamps): before this filter they made MainThread "hold" 60%
        main = (samples["pid"] == self.doc["pid"]) & (samples["tid"] == self.doc["main_tid"])
        samples = samples[~main | samples["stack"].str.contains(MEASURED_FRAME, regex=False)]
        # a named thread py-spy never saw holding the GIL held it 0% of the time
        unseen = self.ids[["pid", "tid"]].assign(samples=0, leaf="", stack="")
        samples = pd.concat([samples, unseen], ignore_index=True)
        counted = rounds if self.doc.get("gil_reference_ok") else None
        shares = pyspy_shares(samples, float(meta["rate_hz"]), self.window_us / 1e6, counted)
        shares["wall_s"] = self.window_us / 1e6
        busy = pyspy_process_shares(samples, float(meta["rate_hz"]), self.window_us / 1e6, counted)
        shares, busy = extrapolate(shares, busy, self._found_late(meta))
        self.threads.append(shares.assign(source="py-spy"))
        self.processes.append(busy.assign(source="py-spy"))

    def _found_late(self, meta: dict[str, Any]) -> dict[int, tuple[float, float]]:
        """Processes py-spy began to sample after they started (analyse.sampled.late_found)."""
        log = self.raw / "pyspy.log"
        offset = meta.get("realtime_minus_monotonic_ns")
        if offset is None or not log.exists():
            return {}
        found = {pid: t - int(offset) for pid, t in sampling_starts(log.read_text()).items()}
        started: dict[int, int] = {}
        for start in self.doc.get("worker_starts", []):
            pid = int(start["pid"])
            started[pid] = min(started.get(pid, start["start_ns"]), int(start["start_ns"]))
        return late_found(found, started, self.last_seen_ns, (self.t0, self.t1))

    def add_perf(self) -> None:
        path = self.raw / "perf.txt"
        if not path.exists():
            return
        events = load_perf(path)
        for tid, command in exit_commands(path).items():
            self.commands.setdefault(tid, command)
        # the GIL probes' trace ends where its budget was spent (profiler.record.gil_trace):
        # GIL states are known from the window's start to there, sched events for all of it
        meta = read_doc(self.raw / "perf_meta.json")
        sched_end = sched_trace_end(meta, events, self.t1)
        gil_end = min(gil_trace_end(meta, self.t1), sched_end)
        if gil_end <= self.t0:
            self.gil_traced_pct = 0.0
            return
        gil_window_us = (gil_end - self.t0) / 1e3
        self.gil_traced_pct = min(100.0, gil_window_us / self.window_us * 100.0)
        intervals = gil.gil_intervals(events, int(self.doc["pid"]), self.t0, gil_end)
        intervals = intervals[intervals["pid"] != self.reference_pid]
        if intervals.empty:
            return
        intervals, correction = observer.correct_probe_cost(
            intervals, gil.gil_events_us(events, self.t0, gil_end)
        )
        # shares of the window less the time the probes stalled each process (analyse/observer)
        windows_us = {
            pid: gil_window_us - correction.stall_us.get(pid, 0.0)
            for pid in intervals["pid"].astype(int).unique()
        }
        helpers = set(self.doc.get("helper_pids", []))
        shares = gil.state_shares(intervals, windows_us).rename(
            columns={
                "hold_pct": "gil_hold_pct",
                "hold_preempted_pct": "gil_hold_preempted_pct",
                "wait_pct": "gil_wait_pct",
            }
        )
        raw = observer.raw_shares_us(intervals)
        shares = shares.merge(raw, on=["pid", "tid"], how="left")
        shares["gil_hold_raw_pct"] = shares.pop("hold_raw_us") / gil_window_us * 100.0
        shares["gil_wait_raw_pct"] = shares.pop("wait_raw_us") / gil_window_us * 100.0
        shares["on_cpu_pct"] = shares["gil_hold_pct"] + shares["nogil_running_pct"]
        shares["gil_hold_err_pct"] = 0.0
        shares["on_cpu_err_pct"] = 0.0
        self.threads.append(shares.assign(source="perf"))
        procs = gil.process_shares(intervals, windows_us)
        self.processes.append(procs.assign(source="perf"))
        spans = cores_mod.cpu_spans_from_switches(events, self.t0, sched_end)
        owner = gil.tid_owner(events, gil.tree_pids(events, int(self.doc["pid"])))
        skip = helpers | {self.reference_pid}
        tids = {tid for tid, pid in owner.items() if pid not in skip}  # the whole window
        sched_window_us = (sched_end - self.t0) / 1e3
        summary, timeline = cores_mod.cores_from_perf(spans, tids, sched_window_us, self.cpu_count)
        self.cores.append(summary)
        self.timeline.append(timeline)
        self.extra["gil_intervals"].append(intervals)
        self.extra["gil_stats"].append(gil.gil_stats(events, intervals, self.t0, gil_end))
        checks = gil.check(intervals, events[events["t_ns"] <= gil_end])
        self.extra["checks"].append(
            pd.DataFrame(
                [
                    {
                        "overlapping_holders": checks.overlapping_holders,
                        "max_overlap_us": checks.max_overlap_us,
                        "acquisitions_without_request": checks.acquisitions_without_request,
                        "negative_intervals": checks.negative_intervals,
                        "inferred_switch_ins": checks.inferred_switch_ins,
                        "probe_hit_us": correction.probe_us,
                        "uncontended_acquisitions": correction.uncontended,
                        "contended_acquisitions": correction.contended,
                        "probe_removed_ms": correction.removed_us / 1e3,
                        "probe_wait_removed_ms": correction.wait_removed_us / 1e3,
                        "probe_stall_max_ms": max(correction.stall_us.values(), default=0.0) / 1e3,
                        "ok": checks.ok,
                    }
                ]
            )
        )

    def add_viztracer(self) -> None:
        """Function spans of the separate viztracer run, on that run's own clock origin."""
        path = self.raw / "viztracer.json"
        doc = read_doc(self.raw / "viztracer_run.json")
        if not path.exists() or doc is None or "start_ns" not in doc:
            return
        spans, names = load_viztracer(path, int(doc["start_ns"]))
        window = (spans["start_us"] + spans["dur_us"] >= 0) & (
            spans["start_us"] <= (int(doc["end_ns"]) - int(doc["start_ns"])) / 1e3
        )
        self.extra["function_spans"].append(top_spans(spans[window]))
        self.extra["traced_threads"].append(names)

    def tables(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        programs = self.programs()
        if self.threads:
            threads = _name(self.ids, self.roles, pd.concat(self.threads, ignore_index=True))
            threads = _as_programs(threads, programs)
            out["threads"] = _mark_best(threads.assign(model=self.model), ["pid", "tid"])
        if self.processes:
            procs = pd.concat(self.processes, ignore_index=True)
            procs["process_role"] = procs["pid"].map(self.roles).fillna("other")
            procs = _as_programs(procs, programs)
            out["processes"] = _mark_best(procs.assign(model=self.model), ["pid"])
        if self.cores:
            out["cores"] = _mark_best(pd.concat(self.cores).assign(model=self.model), ["core"])
            out["cores_timeline"] = pd.concat(self.timeline).assign(model=self.model)
        for name, frames in self.extra.items():
            if frames:
                out[name] = pd.concat(frames, ignore_index=True).assign(model=self.model)
        return out

    def programs(self) -> dict[int, str]:
        """Processes of the run that are not Python (a task started /bin/sleep): pid -> command.

        Not the runner, its workers or helpers, and a command that is not a Python
        interpreter's: they have no GIL, so no GIL columns, and their command as name.
        """
        return {
            pid: command
            for pid, command in self.commands.items()
            if pid not in self.roles
            and pid != self.reference_pid
            and not command.startswith("python")
        }


GIL_COLUMNS = [
    "gil_hold_pct",
    "gil_hold_preempted_pct",
    "gil_wait_pct",
    "gil_wait_raw_pct",
    "gil_hold_raw_pct",
    "probe_s",
    "gil_hold_err_pct",
    "gil_busy_pct",
    "gil_busy_err_pct",
    "gil_contended_pct",
    "sample_rounds",
    "unsampled_pct",
]


def _as_programs(frame: pd.DataFrame, programs: dict[int, str]) -> pd.DataFrame:
    """Rows of processes that are not Python: named by their command, role `program`, no GIL."""
    mine = frame["pid"].isin(list(programs))
    if not mine.any():
        return frame
    frame = frame.copy()
    frame.loc[mine, "process_role"] = "program"
    if "thread_name" in frame:
        command = frame.loc[mine, "pid"].map(programs)
        main = frame.loc[mine, "pid"] == frame.loc[mine, "tid"]
        frame.loc[mine, "thread_name"] = command.where(
            main, command + " tid " + frame.loc[mine, "tid"].astype(str)
        )
    if "on_cpu_pct" in frame and "nogil_running_pct" in frame:
        # without a GIL, holding and running without it are both just running
        held = frame.loc[mine, ["gil_hold_pct", "gil_hold_preempted_pct"]].fillna(0.0).sum(axis=1)
        frame.loc[mine, "nogil_running_pct"] = frame.loc[mine, "nogil_running_pct"] + held
    gil = [c for c in GIL_COLUMNS if c in frame]
    frame.loc[mine, gil] = np.nan
    return frame


def sched_trace_end(meta: dict[str, Any] | None, events: pd.DataFrame, t1_ns: int) -> int:
    """Where the sched trace ends: t1, or (capped: perf stopped mid-drain) the earliest
    of each core's last switch, up to which every core's switches are all there."""
    if not ((meta or {}).get("sched_trace") or {}).get("capped"):
        return t1_ns
    switches = events[events["kind"] == "switch"]
    if switches.empty:
        return t1_ns
    return min(t1_ns, int(switches.groupby("cpu")["t_ns"].max().min()))


def gil_trace_end(meta: dict[str, Any] | None, t1_ns: int) -> int:
    """Where the GIL trace of a model window ending at `t1_ns` ends: its budget's stop, or t1."""
    stopped = ((meta or {}).get("gil_trace") or {}).get("stopped_ns")
    return min(t1_ns, int(stopped)) if stopped else t1_ns


def _mark_best(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rank = frame["source"].map(SOURCE_RANK)
    best_rank = rank.groupby([frame[k] for k in keys]).transform("min")
    return frame.assign(best=rank == best_rank)


def _front(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    rest = [c for c in frame.columns if c not in first]
    return frame.reindex(columns=[*first, *rest])


def own_claims(scenario: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The claims this run's scenario settles on its own (others need other scenarios)."""
    judged = judge({scenario: tables})
    mine = judged["scenario"].str.split(", ").map(lambda names: scenario in names)
    return judged[mine & ~judged["evidence"].str.startswith("not measured")].reset_index(drop=True)


def build_tables(run_dir: Path, manifest: dict[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a run directory, from its raw/ files."""
    manifest = manifest or read_json(run_dir / "run.json")
    timing, tasks, workers = load_timing(run_dir / "raw" / "timing")
    observed_tasks = []
    if timing.empty:
        raise RunFailed(f"{run_dir} holds no timing results (raw/timing/ is empty)")
    timing = disturbance.mark(timing)
    comparison = compare(timing, float(manifest.get("margin", DEFAULT_MARGIN)))
    collected: dict[str, list[pd.DataFrame]] = {}
    overhead: dict[str, float] = {}
    traced: dict[str, float] = {}
    passes: dict[str, int] = {}
    cpu_count = int(manifest.get("cpu_count") or 1)
    for model in manifest.get("models", []):
        raw = run_dir / "raw" / model
        doc = read_doc(raw / OBSERVED_DOC)
        if doc is None or not doc.get("ok"):
            continue
        per_model = ModelTables(model, raw, doc, cpu_count)
        per_model.add_procfs()
        per_model.add_pyspy()
        per_model.add_perf()
        per_model.add_viztracer()
        for name, frame in per_model.tables().items():
            collected.setdefault(name, []).append(frame)
        overhead[model] = float(doc["wall_s"]) / max(1, int(doc.get("passes") or 1))
        passes[model] = int(doc.get("passes") or 1)
        if per_model.gil_traced_pct is not None:
            traced[model] = per_model.gil_traced_pct
        observed_tasks.append(pd.DataFrame(task_rows(doc, OBSERVED_REP), columns=TASK_COLUMNS))
    medians = comparison.set_index("model")["wall_median_s"]
    comparison["recording_overhead"] = comparison["model"].map(
        lambda m: overhead[m] / medians[m] if m in overhead and medians[m] > 0 else np.nan
    )
    comparison["max_slowdown"] = float(manifest.get("max_slowdown", DEFAULT_MAX_SLOWDOWN))
    comparison["gil_traced_pct"] = comparison["model"].map(traced)
    unprobed = {
        str(model): str(o["unprobed"])
        for model, o in (manifest.get("observed") or {}).items()
        if isinstance(o, dict) and o.get("unprobed")
    }
    comparison["unprobed"] = comparison["model"].map(unprobed)
    comparison["observed_passes"] = comparison["model"].map(passes)
    comparison["max_sampled_err_pct"] = float(
        manifest.get("sampled_error_pct", DEFAULT_SAMPLED_ERROR_PCT)
    )
    tasks = pd.concat([tasks, *observed_tasks], ignore_index=True)
    tables = {"timing": timing, "tasks": tasks, "workers": workers, "comparison": comparison}
    for name, frames in collected.items():
        tables[name] = _front(pd.concat(frames, ignore_index=True), ["model"])
    if "threads" in tables:
        tables["threads"] = tables["threads"].reindex(columns=THREAD_COLUMNS)
    if "processes" in tables:
        tables["processes"] = tables["processes"].reindex(columns=PROCESS_COLUMNS)
    claims = own_claims(str(manifest.get("scenario", {}).get("name", "")), tables)
    if not claims.empty:
        tables["claims"] = claims
    return tables

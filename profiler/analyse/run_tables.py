"""From a run directory's raw/ files to its tables: load, analyse per source, assemble.

One row per (thread, source) in threads.csv and per (process, source) in
processes.csv, so every number says which recorder measured it; `best`
marks the row to prefer (perf, else py-spy for GIL shares with procfs for
CPU, else procfs).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from profiler.analyse import blame, ceiling, dask, disturbance, ipc, loop
from profiler.analyse.advice import Measured, recommend
from profiler.analyse.claim_registry import judge
from profiler.analyse.compare import compare
from profiler.analyse.loop import recorded_loops
from profiler.analyse.predict import predict
from profiler.analyse.recording_answer import recording_answer
from profiler.analysis import RunAnalysis
from profiler.errors import RunFailed, reading
from profiler.layout import RECORDING, RunDir
from profiler.load.model_dir import load_recordings, recording_window, run_window
from profiler.load.observed_run import Recordings
from profiler.load.runner_json import (
    TASK_COLUMNS,
    identity,
    load_timing,
    process_roles,
    read_result,
    task_rows,
)
from profiler.recorders import SOURCE_RANK, SOURCES
from profiler.recorders.source_tables import SourceTables, TableContext
from profiler.rundir import read_doc
from profiler.schema import GIL_COLUMNS, PROCESS_COLUMNS, THREAD_COLUMNS
from profiler.spine import Manifest, Recording, RecordingManifest
from profiler.workload.documents import LoopReport

OBSERVED_REP = 0  # tasks.csv: the observed run's tasks (timing runs do not time each task)


def source_parts(rec: Recordings, cpu_count: int, ids: pd.DataFrame) -> list[SourceTables]:
    """Each registered recorder's part of the model's tables, in the registry's order."""
    parts: list[SourceTables] = []
    for source in SOURCES:
        context = TableContext(cpu_count, ids, tuple(parts))
        part = source.tables(rec.of(source.name), rec, context)
        if part is not None:
            parts.append(part)
    return parts


def model_tables(rec: Recordings, cpu_count: int) -> tuple[dict[str, pd.DataFrame], float | None]:
    """The model's tables, and how much of its window a GIL trace covers (None: no trace)."""
    ids, roles = identity(rec.program), process_roles(rec.program)
    parts = source_parts(rec, cpu_count, ids)
    commands: dict[int, str] = {}
    for part in parts:  # procfs's comm first, then perf's exit comm
        for pid, command in part.commands.items():
            commands.setdefault(pid, command)
    programs = {
        pid: command
        for pid, command in commands.items()
        if pid not in roles and pid != rec.reference_pid and not command.startswith("python")
    }
    out: dict[str, pd.DataFrame] = {}
    threads = [p.threads.assign(source=p.source) for p in parts if p.threads is not None]
    if threads:
        named = _name(ids, roles, pd.concat(threads, ignore_index=True))
        out["threads"] = _mark_best(_as_programs(named, programs), ["pid", "tid"])
    processes = [p.processes.assign(source=p.source) for p in parts if p.processes is not None]
    if processes:
        procs = pd.concat(processes, ignore_index=True)
        procs["process_role"] = procs["pid"].map(roles).fillna("other")
        out["processes"] = _mark_best(_as_programs(procs, programs), ["pid"])
    cores = [p.cores for p in parts if p.cores is not None]
    if cores:
        out["cores"] = _mark_best(pd.concat(cores), ["core"])
        out["cores_timeline"] = pd.concat(p.cores_timeline for p in parts if p.cores is not None)
    for part in parts:
        for name, frame in part.extra.items():
            out[name] = frame
    names = _thread_names(out.get("threads"))
    kinds = {key: blame.thread_kind(name) for key, name in names.items()}
    stacks = next((p.stacks for p in parts if p.stacks is not None), None)
    own = {key for key, name in names.items() if name.startswith(blame.CONCPROF_THREAD)}
    out.update(blame_tables(out.get("gil_intervals"), stacks, cpu_count, kinds, own))
    for name in ("gil_wait_matrix", "gil_blame"):
        if name in out:
            out[name] = _with_names(out[name], names)
    if "gil_wait_matrix" in out:  # threads of a crowd (a thread per request) as one name
        crowd = blame.crowds(kinds)
        matrix = out["gil_wait_matrix"]
        for role in ("waiter", "holder"):
            keys = zip(matrix["pid"], matrix[f"{role}_tid"], matrix[f"{role}_name"], strict=True)
            matrix[f"{role}_group"] = [crowd.get((int(p), int(t)), n) for p, t, n in keys]
    tables = {
        name: frame.reset_index(drop=True).assign(model=rec.model) for name, frame in out.items()
    }
    traced = [p.gil_traced_pct for p in parts if p.gil_traced_pct is not None]
    return tables, min(traced) if traced else None


def blame_tables(
    intervals: pd.DataFrame | None,
    stacks: pd.DataFrame | None,
    cpu_count: int,
    kinds: dict[tuple[int, int], str],
    own: set[tuple[int, int]] | None = None,
) -> dict[str, pd.DataFrame]:
    """gil_wait_matrix, gil_blame, gil_blame_functions, gil_ceiling (analyse.blame), from
    perf's GIL intervals and py-spy's GIL-holding stacks. Waits by or behind concprof's
    own threads in the program (`own`: the loop monitor's watchdog) stay in the matrix but
    are not blame: the program's code neither waited nor made anyone wait there."""
    if intervals is None or intervals.empty or not intervals["state"].isin(blame.HOLDING).any():
        return {}  # no GIL trace (no perf, or a free-threaded build)
    matrix = blame.wait_matrix(intervals)
    mine = own or set()
    waiters = pd.Series(list(zip(matrix["pid"], matrix["waiter_tid"], strict=True)), dtype=object)
    holders = pd.Series(list(zip(matrix["pid"], matrix["holder_tid"], strict=True)), dtype=object)
    ours = (waiters.isin(mine) | holders.isin(mine)).to_numpy()
    blamed = blame.blame(matrix[~ours], stacks, kinds)
    return {
        "gil_wait_matrix": matrix,
        "gil_blame": blamed,
        "gil_blame_functions": blame.functions(blamed),
        "gil_ceiling": ceiling.ceiling(intervals, cpu_count),
    }


def _thread_names(threads: pd.DataFrame | None) -> dict[tuple[int, int], str]:
    if threads is None or threads.empty:
        return {}
    unique = threads.drop_duplicates(["pid", "tid"])
    return {
        (int(p), int(t)): str(n)
        for p, t, n in zip(unique["pid"], unique["tid"], unique["thread_name"], strict=True)
    }


def _with_names(frame: pd.DataFrame, names: dict[tuple[int, int], str]) -> pd.DataFrame:
    """waiter_name and holder_name beside their tids ("(nobody)": the GIL between holders)."""

    def name(pid: int, tid: int, crowd: str) -> str:
        if tid == blame.NOBODY:
            return "(nobody)"
        return crowd if tid == blame.CROWD else names.get((pid, tid), f"tid {tid}")

    frame = frame.copy()
    for role in ("waiter", "holder"):
        crowd = frame.get(f"{role}_crowd", pd.Series("", index=frame.index))
        frame[f"{role}_name"] = [
            name(int(p), int(t), str(c))
            for p, t, c in zip(frame["pid"], frame[f"{role}_tid"], crowd, strict=True)
        ]
        frame = frame.drop(columns=f"{role}_crowd", errors="ignore")
    first = ["pid", "holder_tid", "holder_name", "holder_state", "function"]
    first += ["waiter_tid", "waiter_name", "waited_s", "samples"]
    order = [c for c in first if c in frame] + [c for c in frame if c not in first]
    return frame[order]


def _name(ids: pd.DataFrame, roles: Mapping[int, str], frame: pd.DataFrame) -> pd.DataFrame:
    named = frame.merge(ids, on=["pid", "tid"], how="left")
    named["process_role"] = named["process_role"].fillna(named["pid"].map(roles)).fillna("other")
    fallback = np.where(
        named["pid"] == named["tid"], "MainThread", "tid " + named["tid"].astype(str)
    )
    named["thread_name"] = named["thread_name"].fillna(pd.Series(fallback, index=named.index))
    return named


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


def _mark_best(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rank = frame["source"].map(SOURCE_RANK)
    best_rank = rank.groupby([frame[k] for k in keys]).transform("min")
    return frame.assign(best=rank == best_rank)


def own_claims(scenario: str, tables: RunAnalysis) -> pd.DataFrame:
    """The claims this run's scenario settles on its own (others need other scenarios)."""
    judged = judge({scenario: tables})
    mine = judged["scenario"].str.split(", ").map(lambda names: scenario in names)
    return judged[mine & ~judged["evidence"].str.startswith("not measured")].reset_index(drop=True)


def build_tables(run_dir: Path, manifest: Manifest | None = None) -> RunAnalysis:
    """Every table of a run directory, from its raw/ files."""
    layout = RunDir(run_dir)
    manifest = manifest or Manifest.load(layout.manifest)
    timing, tasks, workers = load_timing(layout.timing)
    if timing.empty:
        raise RunFailed(f"{run_dir} holds no timing results (raw/timing/ is empty)")
    timing = disturbance.mark(timing)
    comparison = compare(timing, manifest.margin)
    collected: dict[str, list[pd.DataFrame]] = {}
    overhead: dict[str, float] = {}
    traced: dict[str, float] = {}
    passes: dict[str, int] = {}
    observed_tasks = []
    cpu_count = manifest.cpu_count or 1
    for model in manifest.models:
        files = layout.model_raw(model)
        doc = read_result(files.observed)
        if doc is None or not doc.ok:
            continue
        window = run_window(model, files.root, doc)
        per_model, traced_pct = model_tables(load_recordings(files.root, window), cpu_count)
        for name, frame in per_model.items():
            collected.setdefault(name, []).append(frame)
        overhead[model] = (doc.wall_s or float("nan")) / max(1, doc.passes)
        passes[model] = doc.passes
        if traced_pct is not None:
            traced[model] = traced_pct
        observed = pd.DataFrame(task_rows(doc, OBSERVED_REP), columns=TASK_COLUMNS)
        if doc.ipc:  # a processes run: what each task's pickling cost (analyse.ipc)
            pickling = ipc.events(doc)  # parsed once for the three tables
            observed = observed.merge(ipc.per_task(doc, pickling), on="index", how="left")
            collected.setdefault("ipc", []).append(ipc.per_worker(doc, model, pickling))
            collected.setdefault("ipc_spans", []).append(ipc.spans(doc, model, pickling))
        if doc.dask is not None:  # a Dask cluster: its tasks and workers (analyse.dask)
            per_task = dask.tasks(doc, model)
            collected.setdefault("dask_tasks", []).append(per_task)
            collected.setdefault("dask_workers", []).append(dask.workers(doc, model, per_task))
        if doc.loops:  # an asyncio run: its event loop's stalls and lag (analyse.loop)
            t0 = doc.start_ns or 0
            for name, frame in loop_tables(doc.loops, t0, model).items():
                collected.setdefault(name, []).append(frame)
        observed_tasks.append(observed)
    medians = comparison.set_index("model")["wall_median_s"]
    comparison["recording_overhead"] = comparison["model"].map(
        lambda m: overhead[m] / medians[m] if m in overhead and medians[m] > 0 else np.nan
    )
    comparison["max_slowdown"] = manifest.max_slowdown
    comparison["gil_traced_pct"] = comparison["model"].map(traced)
    unprobed = {model: o.unprobed for model, o in manifest.observed.items() if o.unprobed}
    comparison["unprobed"] = comparison["model"].map(unprobed)
    comparison["observed_passes"] = comparison["model"].map(passes)
    comparison["max_sampled_err_pct"] = manifest.sampled_error_pct
    tasks = pd.concat([tasks, *observed_tasks], ignore_index=True)
    frames = {
        name: _front(pd.concat(parts, ignore_index=True), ["model"])
        for name, parts in collected.items()
    }
    frames.update(timing=timing, tasks=tasks, workers=workers, comparison=comparison)
    analysis = _typed_columns(RunAnalysis.from_frames(frames))
    claims = own_claims(manifest.scenario.name, analysis)
    if not claims.empty:
        analysis.claims = claims
    prediction = predict(
        comparison,
        analysis.threads,
        analysis.tasks,
        analysis.ipc,
        manifest.workers,
        cpu_count,
        manifest.margin,
    )
    if not prediction.empty:
        analysis.prediction = prediction
    # the answer, computed once here; renderers word it (render.wording), run.json keeps it
    measured = Measured(
        analysis.processes,
        analysis.cores,
        analysis.gil_ceiling,
        analysis.threads,
        comparison,
        analysis.ipc,
        cpu_count,
        analysis.prediction,
        analysis.loop_stats,
        analysis.loop_blockers,
        analysis.dask_tasks,
        analysis.dask_workers,
        analysis.tasks,
    )
    analysis.answer = recommend(comparison, timing, measured, manifest.margin)
    return analysis


def _typed_columns(analysis: RunAnalysis) -> RunAnalysis:
    """threads and processes with every column of theirs, in order (docs/run-directory.md)."""
    if analysis.threads is not None:
        analysis.threads = analysis.threads.reindex(columns=THREAD_COLUMNS)
    if analysis.processes is not None:
        analysis.processes = analysis.processes.reindex(columns=PROCESS_COLUMNS)
    return analysis


def build_record_tables(run_dir: Path, manifest: RecordingManifest) -> RunAnalysis:
    """Every table of a recording (`concprof record` / `attach`): what it recorded."""
    layout = RunDir(run_dir)
    recording = read_recording(layout.recording)
    if recording is None:
        earlier = layout.recording.with_name("observed.json").exists()
        why = "written by an earlier concprof: record it again" if earlier else "is missing"
        raise RunFailed(f"{run_dir} holds no recording ({layout.recording} {why})")
    recordings = load_recordings(layout.recording.parent, recording_window(recording))
    frames = model_tables(recordings, manifest.cpu_count or 1)[0]
    sites = ipc.recorded_sites(layout.recording.parent / "ipc")
    if not sites.empty:
        frames["ipc_sites"] = sites
    loops = recorded_loops(layout.recording.parent / "loop")
    if loops:
        frames.update(loop_tables(loops, recording.start_ns, RECORDING))
    analysis = _typed_columns(RunAnalysis.from_frames(frames))
    attached = manifest.kind == "attach"
    analysis.recording = recording_answer(analysis, recording.wall_s, attached)
    return analysis


def loop_tables(loops: list[LoopReport], t0_ns: int, model: str) -> dict[str, pd.DataFrame]:
    """The event loops' tables (analyse.loop), times from t0_ns, each row of `model`."""
    stalled, per_loop = loop.stalls(loops, t0_ns), loop.stats(loops)
    tables = {
        "loop_stalls": stalled,
        "loop_stats": per_loop,
        "loop_lag": loop.lag(loops, t0_ns),
        "loop_blockers": loop.blockers(stalled, per_loop),
    }
    return {name: _front(frame.assign(model=model), ["model"]) for name, frame in tables.items()}


def read_recording(path: Path) -> Recording | None:
    """raw/record/recording.json; None if absent, DamagedInput if cut off or not one."""
    doc = read_doc(path)
    if doc is None:
        return None
    with reading(path):
        return Recording.from_json(doc)


def _front(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    rest = [c for c in frame.columns if c not in first]
    return frame.reindex(columns=[*first, *rest])

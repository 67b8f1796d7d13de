"""One model's tables from its recorders' contributions: named, non-Python programs marked,
the best source of every row marked (DESIGN 3.4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from profiler.analyse.from_perf import perf_tables
from profiler.analyse.from_procfs import procfs_tables
from profiler.analyse.from_pyspy import pyspy_tables
from profiler.analyse.from_viztracer import viztracer_tables
from profiler.analyse.source_tables import SourceTables
from profiler.load.recordings import Recordings
from profiler.load.runner_json import identity, process_roles

SOURCE_RANK = {"perf": 0, "py-spy": 1, "procfs": 2}
GIL_COLUMNS = [  # no GIL in a program that is not Python: these cells stay empty
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


def model_tables(rec: Recordings, cpu_count: int) -> tuple[dict[str, pd.DataFrame], SourceTables]:
    """The model's tables, and perf's contribution (for what it says about its trace)."""
    ids, roles = identity(rec.doc), process_roles(rec.doc)
    procfs = procfs_tables(rec, cpu_count)
    last_seen = procfs.last_seen_ns if procfs else {}
    perf = perf_tables(rec, cpu_count)
    parts = [
        p
        for p in (procfs, pyspy_tables(rec, ids, last_seen), perf, viztracer_tables(rec))
        if p is not None
    ]
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
    tables = {
        name: frame.reset_index(drop=True).assign(model=rec.model) for name, frame in out.items()
    }
    return tables, perf or SourceTables("perf")


def _name(ids: pd.DataFrame, roles: dict[int, str], frame: pd.DataFrame) -> pd.DataFrame:
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

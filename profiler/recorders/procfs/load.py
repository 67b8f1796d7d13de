"""procfs sampler output (raw/<model>/procfs_*.csv) into tidy frames.

Input grammar: CSV with a header; `t_ns` is CLOCK_MONOTONIC nanoseconds.
- procfs_threads.csv: t_ns, pid, tid, state, cpu, oncpu_ns, runq_ns, vcs, nvcs
  (vcs/nvcs are -1 on polls that did not read them)
- procfs_processes.csv: t_ns, pid, ppid, rss_kb, comm
- procfs_cores.csv: t_ns, core, user, nice, system, idle, iowait, irq, softirq, steal (jiffies)
Output times are microseconds from `t0_ns` (the model run's start): `t_us`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pandas as pd

from profiler.errors import reading, require_whole_lines
from profiler.recorders.procfs.files import ProcfsFiles


@dataclass(frozen=True)
class ProcfsFrames:
    threads: pd.DataFrame
    processes: pd.DataFrame
    cores: pd.DataFrame
    clock_ticks_per_s: int
    interval_s: float


def _read(path: Path, t0_ns: int) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.insert(0, "t_us", (frame.pop("t_ns") - t0_ns) / 1000.0)
    return frame


def load_procfs(raw_dir: Path, t0_ns: int) -> ProcfsFrames | None:
    files = ProcfsFiles(raw_dir)
    if not files.threads.exists():
        return None
    meta_path = files.meta
    with reading(meta_path):  # cut off or not JSON: one line naming the file
        meta = orjson.loads(meta_path.read_bytes())
    for path in (files.threads, files.processes, files.cores):
        require_whole_lines(path)
    return ProcfsFrames(
        threads=_read(files.threads, t0_ns),
        processes=_read(files.processes, t0_ns),
        cores=_read(files.cores, t0_ns),
        clock_ticks_per_s=int(meta["clock_ticks_per_s"]),
        interval_s=float(meta["interval_s"]),
    )

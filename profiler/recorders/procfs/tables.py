"""procfs's tables: on-CPU shares per thread, CPU time and memory per process, cores."""

from __future__ import annotations

from profiler.recorders import cores as cores_mod
from profiler.recorders.procfs.load import ProcfsFrames
from profiler.recorders.sampling import procfs_shares, subtree, switch_rates_hz
from profiler.recorders.source_tables import SourceTables
from profiler.recorders.window import Window


def procfs_tables(procfs: ProcfsFrames | None, rec: Window, cpu_count: int) -> SourceTables | None:
    frames = procfs
    if frames is None:
        return None
    pids = subtree(frames.processes, rec.root_pid) - {rec.reference_pid}
    last = frames.processes.drop_duplicates("pid", keep="last")
    # a process ended within one poll after it was last seen
    ended_ns = rec.t0_ns + (last["t_us"] + frames.interval_s * 1e6) * 1e3
    helpers = {p for h in rec.helper_pids for p in subtree(frames.processes, h)}
    shares = procfs_shares(
        frames.threads[frames.threads["pid"].isin(pids)], rec.window_us, frames.interval_s
    )
    shares["wall_s"] = rec.window_us / 1e6
    per_proc = shares.groupby("pid", as_index=False).agg(cpu_s=("cpu_s", "sum"))
    rss = frames.processes[frames.processes["pid"].isin(pids)].groupby("pid")["rss_kb"].max()
    per_proc["peak_rss_mb"] = per_proc["pid"].map(rss) / 1024.0
    summary, timeline = cores_mod.cores_from_procfs(
        frames.threads,
        frames.cores,
        pids - helpers,
        rec.window_us,
        frames.clock_ticks_per_s,
        cpu_count,
    )
    return SourceTables(
        "procfs",
        threads=shares,
        processes=per_proc,
        cores=summary,
        cores_timeline=timeline,
        commands=dict(zip(last["pid"].astype(int), last["comm"].astype(str), strict=True)),
        last_seen_ns=dict(zip(last["pid"].astype(int), ended_ns.astype(int), strict=True)),
        switch_rate_hz=switch_rates_hz(
            frames.threads[frames.threads["pid"].isin(pids)], rec.window_us
        ),
    )

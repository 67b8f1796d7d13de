"""A recording's answer: who held the GIL most, who waited most, the function that made
them wait, and the ceiling the GIL puts on the busiest process (from the tables analysis
already built: threads, gil_blame, gil_blame_functions, gil_ceiling)."""

from __future__ import annotations

import pandas as pd

from profiler.analyse.blame import CONCPROF_THREAD
from profiler.analyse.evidence import loop_of
from profiler.analysis import RunAnalysis
from profiler.answer import Blamed, Ceiling, Pickled, RecordingAnswer, ThreadShare


def recording_answer(a: RunAnalysis, window_s: float, attached: bool = False) -> RecordingAnswer:
    threads = a.threads
    best = (
        threads[threads["best"].astype(bool)]
        if threads is not None and not threads.empty
        else pd.DataFrame()
    )
    return RecordingAnswer(
        window_s=window_s,
        holder=_most(best, "gil_hold_pct"),
        waiter=_most(best, "gil_wait_pct"),
        blamed=_blamed(a.gil_blame, a.gil_blame_functions),
        ceiling=_ceiling(a.gil_ceiling),
        pickled=_pickled(a.ipc_sites),
        loop=loop_of(a.loop_stats, a.loop_blockers) if a.loop_stats is not None else None,
        attached=attached,
    )


def _most(best: pd.DataFrame, column: str) -> ThreadShare | None:
    """The thread with the largest share in `column` (a share that is not there: None)."""
    if best.empty or column not in best.columns:
        return None
    mine = best["thread_name"].astype(str).str.startswith(CONCPROF_THREAD)  # not the program's
    known = best[best[column].notna() & (best[column] > 0) & ~mine]
    if known.empty:
        return None
    row = known.sort_values(column, ascending=False).iloc[0]
    err = row.get("gil_hold_err_pct") if column == "gil_hold_pct" else None
    return ThreadShare(
        pid=int(row["pid"]),
        name=str(row["thread_name"]),
        pct=float(row[column]),
        source=str(row["source"]),
        err_pct=float(err) if err is not None and err == err else None,
    )


def _blamed(blame: pd.DataFrame | None, ranked: pd.DataFrame | None) -> Blamed | None:
    if blame is None or blame.empty or ranked is None or ranked.empty:
        return None
    total = float(blame["waited_s"].sum())
    top = ranked[ranked["holder_state"] == "any"]
    if top.empty or total <= 0:
        return None
    row = top.iloc[0]
    waited = float(row["waited_s"])
    return Blamed(str(row["function"]), waited, waited / total * 100.0, int(row["samples"]))


def _ceiling(ceiling: pd.DataFrame | None) -> Ceiling | None:
    """The process whose GIL serialised most (its ceiling is the one that binds)."""
    if ceiling is None or ceiling.empty:
        return None
    row = ceiling.sort_values("work_s", ascending=False).iloc[0]
    return Ceiling(
        pid=int(row["pid"]),
        held_pct=float(row["held_fraction"]) * 100.0,
        speedup=float(row["ceiling_speedup"]),
        threads_working=int(row["threads_working"]),
        cores=int(row["cores"]),
        blocked_s=float(row["blocked_s"]),
    )


def _pickled(sites: pd.DataFrame | None) -> Pickled | None:
    """What the processes pickled for each other, each message once: every message is
    pickled once and unpickled once, so the larger side counts (a worker that a pool
    terminated may not have written its totals; the parent that received them has)."""
    if sites is None or sites.empty:
        return None
    received = sites["what"].str.endswith("unpickle")
    sent, got = sites[~received], sites[received]
    top = sites.iloc[0]  # sorted by bytes
    return Pickled(
        bytes=int(max(sent["bytes"].sum(), got["bytes"].sum())),
        seconds=float(sites["seconds"].sum()),
        calls=int(max(sent["calls"].sum(), got["calls"].sum())),
        processes=int(sites["pid"].nunique()),
        top_site=str(top["site"]),
        top_pid=int(top["pid"]),
        top_bytes=int(top["bytes"]),
    )

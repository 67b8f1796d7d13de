"""What the answer cites, as data: what each model's observed run measured (GIL, cores, the
ceiling), and the caveats a run earns (slowed by its recorders, GIL trace cut short, too
few runs, disturbed timings, the GIL turned back on). Worded by profiler.render.wording."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from profiler.analyse.compare import MIN_RUNS, used_runs
from profiler.answer import (
    NAN,
    Cause,
    Caveat,
    CeilingEvidence,
    CoresEvidence,
    GilEvidence,
    IpcEvidence,
    LoopEvidence,
    ModelEvidence,
    RoleGil,
    known,
)
from profiler.spine import DEFAULT_MAX_SLOWDOWN, DEFAULT_SAMPLED_ERROR_PCT, FULL_TRACE_PCT

MAX_SAMPLED_ERR_PCT = DEFAULT_SAMPLED_ERROR_PCT  # less sure shares stay out (--sampled-error)
OBSERVER_BOUND = DEFAULT_MAX_SLOWDOWN  # a slower observed run describes a disturbed run


def _gil(per: pd.DataFrame, max_err_pct: float = MAX_SAMPLED_ERR_PCT) -> GilEvidence:
    """The GIL in the runner process and the workers, from one recorder's best rows.

    Shares whose 95% error exceeds `max_err_pct` points are not given: the evidence
    says how many rounds the sampler had instead.
    """
    source = str(per["source"].iloc[0])
    if "gil_unmeasured" in per and per["gil_unmeasured"].notna().any():
        return GilEvidence(source, unmeasured=str(per["gil_unmeasured"].dropna().iloc[0]))
    errors = per["gil_busy_err_pct"] if "gil_busy_err_pct" in per else pd.Series(dtype=float)
    if (errors.fillna(0.0) > max_err_pct).any():
        rounds = per["sample_rounds"].dropna() if "sample_rounds" in per else pd.Series()
        return GilEvidence(
            source,
            too_short=True,
            rounds=int(rounds.min()) if len(rounds) else None,
            max_err_pct=max_err_pct,
        )
    roles = []
    for role, rows in per.groupby("process_role", sort=True):
        busy = rows["gil_busy_pct"]
        contended = rows["gil_contended_pct"].dropna()
        single = len(rows) == 1
        err = errors.loc[rows.index].iloc[0] if single and errors.notna().any() else None
        roles.append(
            RoleGil(
                role=str(role),
                processes=len(rows),
                held_pct=float(busy.iloc[0] if single else busy.median()),
                held_min_pct=float(busy.min()),
                held_max_pct=float(busy.max()),
                contended_pct=float(contended.iloc[0]) if single and len(contended) else None,
                err_pct=float(err) if err is not None else None,
            )
        )
    return GilEvidence(source, roles=roles, max_err_pct=max_err_pct)


def gil_evidence(
    processes: pd.DataFrame | None, comparison: pd.DataFrame | None
) -> dict[str, list[GilEvidence]]:
    """Per model, the GIL as its best recorder measured it in the runner and workers."""
    out: dict[str, list[GilEvidence]] = {}
    if processes is None or processes.empty:
        return out
    best = processes[
        processes["best"].astype(bool)
        & (
            processes["gil_busy_pct"].notna()
            | processes.get("gil_unmeasured", pd.Series(index=processes.index)).notna()
        )
        & processes["process_role"].isin(("main", "worker"))  # not the helper server
    ]
    max_err = (
        float(comparison["max_sampled_err_pct"].iloc[0])
        if comparison is not None and "max_sampled_err_pct" in comparison and len(comparison)
        else MAX_SAMPLED_ERR_PCT
    )
    for model, per in best.groupby("model", sort=False):
        out.setdefault(str(model), []).append(_gil(per, max_err))
    return out


def cores_evidence(cores: pd.DataFrame | None) -> dict[str, CoresEvidence]:
    """Per model, how busy each core was with it (its best recorder)."""
    if cores is None or cores.empty:
        return {}
    best = cores[cores["best"].astype(bool)]
    return {
        str(model): CoresEvidence(str(per["source"].iloc[0]), [float(v) for v in per["busy_pct"]])
        for model, per in best.groupby("model", sort=False)
    }


def ceiling_evidence(
    ceiling: pd.DataFrame | None, comparison: pd.DataFrame | None, source: str
) -> dict[str, CeilingEvidence]:
    """threads: the speedup ceiling the GIL puts on them (analyse.ceiling), from the observed
    run's runner process, next to the speedup the timing runs measured; `source`: the
    recorder whose GIL trace it rests on."""
    if ceiling is None or ceiling.empty or comparison is None or "model" not in ceiling:
        return {}
    rows = ceiling[ceiling["model"] == "threads"]
    if rows.empty:
        return {}
    row = rows.iloc[0]  # the runner process: the threads model's own
    measured = [float(v) for v in comparison.loc[comparison["model"] == "threads", "speedup"]]
    return {
        "threads": CeilingEvidence(
            limit=float(row["ceiling_speedup"]),
            held_pct=float(row["held_fraction"]) * 100.0,
            working=int(row["threads_working"]),
            cores=int(row["cores"]),
            blocked_ratio=float(row["blocked_s"]) / max(float(row["work_s"]), 1e-9),
            measured=measured[0] if measured and known(measured[0]) else None,
            source=source,
        )
    }


def slowdown_bound(row: Mapping[Hashable, Any] | None) -> float:
    """The comparison row's --max-slowdown (a run made before it was kept: the default)."""
    value = (row or {}).get("max_slowdown", OBSERVER_BOUND)
    return float(value) if known(value) else OBSERVER_BOUND


def slowed_beyond(overhead: float | None, bound: float = OBSERVER_BOUND) -> float | None:
    """The observed run's slowdown when the recorders slowed it beyond the bound."""
    return (
        float(overhead) if overhead is not None and known(overhead) and overhead > bound else None
    )


def traced_part(traced_pct: float | None) -> float | None:
    """How much of the observed run the GIL trace covered, when it stopped early."""
    if traced_pct is not None and known(traced_pct) and traced_pct < FULL_TRACE_PCT:
        return float(traced_pct)
    return None


def caveats_for(
    comparison: pd.DataFrame, timing: pd.DataFrame | None, trace_source: str = ""
) -> list[Caveat]:
    """`trace_source`: the recorder whose GIL trace may have stopped part-way."""
    caveats = []
    if "recording_overhead" in comparison.columns:
        bound = slowdown_bound(next(iter(comparison.to_dict("records")), None))
        slowed = comparison[comparison["recording_overhead"] > bound]
        if len(slowed):
            caveats.append(
                Caveat(
                    "slowed",
                    models=[str(m) for m in slowed["model"]],
                    values=[float(v) for v in slowed["recording_overhead"]],
                    bound=bound,
                )
            )
    if "unprobed" in comparison.columns:
        for r in comparison[comparison["unprobed"].notna()].itertuples():
            caveats.append(Caveat("unprobed", models=[str(r.model)], detail=str(r.unprobed)))
    if "gil_traced_pct" in comparison.columns:
        partial = comparison[comparison["gil_traced_pct"] < FULL_TRACE_PCT]
        if len(partial):
            caveats.append(
                Caveat(
                    "partial_trace",
                    models=[str(m) for m in partial["model"]],
                    values=[float(v) for v in partial["gil_traced_pct"]],
                    detail=trace_source,
                )
            )
    few = comparison[comparison["reps"].fillna(0) < MIN_RUNS]
    if len(few):
        caveats.append(Caveat("few_runs", models=[str(m) for m in few["model"]], bound=MIN_RUNS))
    if timing is not None:
        caveats += gil_reenabled(timing)
    if timing is not None and "disturbed" in timing.columns and len(timing):
        used = used_runs(timing)
        bad = used[used["disturbed"].fillna(False).astype(bool)]
        reruns = int((timing["attempt"] > 1).sum()) if "attempt" in timing.columns else 0
        if len(bad):
            caveats.append(
                Caveat(
                    "disturbed",
                    count=len(bad),
                    total=len(used),
                    reruns=reruns,
                    worst_pct=float(bad["foreign_busy_pct"].max()),
                )
            )
        elif reruns:
            caveats.append(Caveat("reran", count=reruns))
    return caveats


def dask_left(evidence: list[ModelEvidence]) -> list[Caveat]:
    """A Dask cluster that lost workers during the observed run."""
    return [
        Caveat("dask_left", models=[e.model], count=e.dask.left)
        for e in evidence
        if e.dask is not None and e.dask.left
    ]


def gil_reenabled(timing: pd.DataFrame) -> list[Caveat]:
    """On a free-threaded build: the models whose runs ended with the GIL turned back on."""
    if "gil_enabled_after" not in timing.columns:
        return []
    free = timing["free_threaded"].fillna(False).astype(bool)
    back_on = timing[free & timing["gil_enabled_after"].fillna(False).astype(bool)]
    if back_on.empty:
        return []
    by = sorted(
        {m for text in back_on["gil_enabled_by"].fillna("") for m in str(text).split(", ") if m}
    )
    models = list(dict.fromkeys(back_on["model"].astype(str)))
    return [Caveat("gil_reenabled", models=models, detail=", ".join(by))]


def ipc_evidence(ipc: pd.DataFrame | None) -> dict[str, IpcEvidence]:
    """Per model with a process pool: what talking to the workers cost per task (analyse.ipc)."""
    if ipc is None or ipc.empty:
        return {}
    out = {}
    for model, rows in ipc.groupby("model", sort=False):
        tasks = int(rows["tasks"].sum())
        if tasks == 0:
            continue
        parts = ["arg_pickle_s", "arg_unpickle_s", "result_pickle_s", "result_unpickle_s"]
        ipc_s = float(rows[[*parts, "result_wait_s"]].sum().sum()) / tasks
        task_s = float(rows["task_s"].sum()) / tasks
        in_workers = float(rows[["arg_unpickle_s", "result_pickle_s"]].sum().sum())
        window = float(rows["window_s"].sum())
        out[str(model)] = IpcEvidence(
            workers=len(rows),
            tasks=tasks,
            arg_bytes=float(rows["arg_bytes"].sum()) / tasks,
            result_bytes=float(rows["result_bytes"].sum()) / tasks,
            ipc_s=ipc_s,
            in_workers_s=in_workers / tasks,
            in_parent_s=float(rows[["arg_pickle_s", "result_unpickle_s"]].sum().sum()) / tasks,
            wait_s=float(rows["result_wait_s"].sum()) / tasks,
            task_s=task_s,
            share_pct=100.0 * ipc_s / (ipc_s + task_s) if ipc_s + task_s > 0 else NAN,
            worker_share_pct=100.0 * in_workers / window if window > 0 else NAN,
            startup_s=float(rows["startup_s"].median()),
        )
    return out


def loop_evidence(
    stats: pd.DataFrame | None,
    blockers: pd.DataFrame | None,
    comparison: pd.DataFrame,
    cores: int = 1,
) -> dict[str, LoopEvidence]:
    """Per model with an event loop (asyncio): how much of its run the loop was blocked, by
    what, how late callbacks ran, and the speedup predicted without the blocking.

    The prediction takes the stalls' share f of the loop's window (observed run) and the
    part of it spent computing, c, and applies them to the timing runs' median wall W:
    moved off the loop (asyncio.to_thread), a stall's waiting overlaps the rest but its
    computing still takes the GIL, so W(1 - f + c); with nothing on the loop at all (the
    blocking work spread over the cores), W max(1 - f, c / cores). Stalls whose computing
    is unknown count as computing (the cautious side)."""
    if stats is None or stats.empty:
        return {}
    baseline = comparison[comparison["model"] == "sequential"]["wall_median_s"]
    sequential_s = float(baseline.iloc[0]) if len(baseline) else NAN
    out = {}
    for model, per in stats.groupby("model", sort=False):
        mine = blockers[blockers["model"] == model] if blockers is not None else None
        found = loop_of(per, mine)
        if found is None:
            continue
        row = comparison[comparison["model"] == model]
        wall_s = float(row["wall_median_s"].iloc[0]) if len(row) else NAN
        f = found.blocked_pct / 100.0
        c = f * (found.cpu_pct / 100.0 if known(found.cpu_pct) else 1.0)
        out[str(model)] = replace(
            found,
            without_waits=_speedup(sequential_s, wall_s * (1.0 - f + c)) if f > 0 else None,
            at_best=_speedup(sequential_s, wall_s * max(1.0 - f, c / max(1, cores)))
            if f > 0
            else None,
        )
    return out


def loop_of(stats: pd.DataFrame, blockers: pd.DataFrame | None) -> LoopEvidence | None:
    """The event loops in `stats` together (analyse.loop.STATS_COLUMNS) and their top
    blocker (BLOCKER_COLUMNS, ranked); None without a window."""
    window_s = float(stats["window_s"].sum())
    if window_s <= 0:
        return None
    blocked_s = float(stats["blocked_s"].sum())
    top = blockers.iloc[0] if blockers is not None and len(blockers) else None
    computing_s = (
        float((blockers["blocked_s"] * blockers["cpu_pct"].fillna(100.0) / 100.0).sum())
        if blockers is not None and len(blockers)
        else 0.0
    )
    return LoopEvidence(
        blocked_pct=100.0 * blocked_s / window_s,
        stalls=int(stats["stalls"].sum()),
        stall_ms=float(stats["stall_ms"].iloc[0]),
        lag_p95_ms=float(stats["lag_p95_ms"].max()),
        lag_max_ms=float(stats["lag_max_ms"].max()),
        blocker=str(top["function"]) if top is not None else "",
        blocker_file=str(top["file"]) if top is not None else "",
        blocker_stalls=int(top["stalls"]) if top is not None else 0,
        blocker_mean_ms=float(top["mean_ms"]) if top is not None else NAN,
        blocker_pct=100.0 * float(top["blocked_s"]) / window_s if top is not None else NAN,
        blocker_cpu_pct=float(top["cpu_pct"]) if top is not None else NAN,
        blocker_coroutines=str(top["coroutines"]) if top is not None else "",
        cpu_pct=100.0 * computing_s / blocked_s if blocked_s > 0 else NAN,
    )


def _speedup(sequential_s: float, wall_s: float) -> float | None:
    return sequential_s / wall_s if known(sequential_s) and known(wall_s) and wall_s > 0 else None


SERIALISATION_SHARE_PCT = 25.0  # pickling this much of a task's time is named as the cause
FALLS_SHORT = 0.8  # a pool gaining less than this of its cores' worth falls short


LOOP_BLOCKED_PCT = 10.0  # an event loop blocked this much of its run is named as the cause


DASK_OVERHEAD_SHARE_PCT = 25.0  # a cluster's per-task overhead this share of a task is named
DASK_STRETCH = 1.5  # tasks computing this much longer than alone: the worker's threads' GIL


def causes_for(evidence: list[ModelEvidence], cores: int) -> list[Cause]:
    """What holds a model back, where the figures say it: a process pool that gains less
    than its cores allow while pickling takes a large share of each task; an event loop
    blocked a large share of its run; a Dask cluster whose per-task overhead is a large
    share of a task, or whose workers' threads take turns at the GIL."""
    causes = []
    by_speed = sorted(
        (e for e in evidence if known(e.speedup)), key=lambda e: e.speedup, reverse=True
    )
    for e in evidence:
        if (
            e.loop is not None
            and known(e.loop.blocked_pct)
            and e.loop.blocked_pct >= LOOP_BLOCKED_PCT
        ):
            causes.append(_cause(e, by_speed, "loop_blocked"))
    for e in evidence:
        if e.ipc is None or not known(e.speedup) or not known(e.ipc.share_pct):
            continue
        allowed = max(1, min(e.ipc.workers, cores))
        if e.ipc.share_pct < SERIALISATION_SHARE_PCT or e.speedup >= FALLS_SHORT * allowed:
            continue
        causes.append(_cause(e, by_speed, "serialisation"))
    for e in evidence:
        d = e.dask
        if d is None or not known(e.speedup):
            continue
        allowed = max(1, d.running)
        if e.speedup >= FALLS_SHORT * allowed:
            continue
        if d.threads_per_worker > 1 and known(d.stretch) and d.stretch >= DASK_STRETCH:
            causes.append(_cause(e, by_speed, "dask_gil"))
        elif known(d.share_pct) and d.share_pct >= DASK_OVERHEAD_SHARE_PCT:
            causes.append(_cause(e, by_speed, "dask_overhead"))
    return causes


def _cause(e: ModelEvidence, by_speed: list[ModelEvidence], kind: str) -> Cause:
    """A cause of `kind` for model `e`, with its evidence and the model that does better."""
    better = next((o for o in by_speed if o.model != e.model and o.speedup > e.speedup), None)
    return Cause(
        kind,
        model=e.model,
        speedup=e.speedup,
        ipc=e.ipc if kind == "serialisation" else None,
        loop=e.loop if kind == "loop_blocked" else None,
        dask=e.dask if kind.startswith("dask") else None,
        instead=better.model if better else "",
        instead_speedup=better.speedup if better else NAN,
    )

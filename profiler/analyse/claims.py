"""The article's claims, each judged from measurements: holds, refuted or inconclusive.

Every function takes the tables of the scenario runs it needs ({scenario: tables})
and returns one Claim. Thresholds are stated in the result; verdicts use the
95% intervals, so a claim is only "holds" or "refuted" when the interval is
clear of the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from profiler.analyse.evidence import ipc_evidence
from profiler.analysis import RunAnalysis
from profiler.recorders import EXACT

Tables = RunAnalysis
Runs = dict[str, RunAnalysis]
NONE = RunAnalysis()  # a scenario that was not run: no tables
CLAIM_COLUMNS = ["claim_id", "claim", "scenario", "evidence", "measured", "threshold", "verdict"]


@dataclass(frozen=True)
class Claim:
    claim_id: int
    claim: str
    scenario: str
    evidence: str
    measured: str
    threshold: str
    verdict: str  # holds | refuted | inconclusive


def _row(tables: Tables, model: str) -> pd.Series | None:
    comparison = tables.comparison
    if comparison is None:
        return None
    rows = comparison[comparison["model"] == model]
    return None if rows.empty else rows.iloc[0]


def _speedup_text(row: pd.Series) -> str:
    return (
        f"{row['speedup']:.2f}x [{row['speedup_ci_low']:.2f}, {row['speedup_ci_high']:.2f}] "
        f"(n={int(row['reps'])})"
    )


def _missing(cid: int, text: str, scenario: str, what: str) -> Claim:
    return Claim(cid, text, scenario, f"not measured: {what}", "", "", "inconclusive")


def _speedup_claim(
    cid: int, text: str, runs: Runs, scenario: str, model: str, holds_if: str, cut: float
) -> Claim:
    """holds_if 'below': holds when the interval is below cut; 'above': above it."""
    if scenario not in runs or (row := _row(runs[scenario], model)) is None:
        return _missing(cid, text, scenario, f"{scenario} under {model}")
    low, high = float(row["speedup_ci_low"]), float(row["speedup_ci_high"])
    below, above = high < cut, low > cut
    verdict = (
        ("holds" if below else "refuted" if above else "inconclusive")
        if holds_if == "below"
        else ("holds" if above else "refuted" if below else "inconclusive")
    )
    return Claim(
        cid,
        text,
        scenario,
        f"{model} against sequential, timing runs without recorders "
        "(median, 95% bootstrap interval)",
        _speedup_text(row),
        f"speedup interval {holds_if} {cut}",
        verdict,
    )


def claim_1(runs: Runs) -> Claim:
    return _speedup_claim(
        1, "Threads do not speed up CPU-bound Python.", runs, "cpu", "threads", "below", 1.3
    )


def claim_2(runs: Runs) -> Claim:
    return _speedup_claim(
        2,
        "Threads are slower than a single thread for CPU-bound Python.",
        runs,
        "cpu",
        "threads",
        "below",
        1.0,
    )


def claim_3(runs: Runs) -> Claim:
    return _speedup_claim(
        3, "Threads speed up I/O-bound work.", runs, "io", "threads", "above", 2.0
    )


def _holders(tables: Tables, model: str) -> pd.DataFrame:
    threads = tables.threads
    if threads is None:
        return pd.DataFrame()
    best = threads[(threads["model"] == model) & threads["best"].astype(bool)]
    return best.assign(holds_pct=best["gil_hold_pct"] + best["gil_hold_preempted_pct"].fillna(0.0))


def claim_4(runs: Runs) -> Claim:
    text = "I/O releases the GIL: threads waiting on I/O hold it only briefly."
    if "io" not in runs:
        return _missing(4, text, "io", "io")
    workers = _holders(runs["io"], "threads")
    workers = workers[workers["thread_name"].str.startswith("worker_")] if len(workers) else workers
    if workers.empty:
        return _missing(4, text, "io", "GIL shares (no recorder ran)")
    top = workers.sort_values("holds_pct").iloc[-1]
    err = float(top["gil_hold_err_pct"]) if pd.notna(top["gil_hold_err_pct"]) else 0.0
    worst = float(top["holds_pct"])
    verdict = "holds" if worst + err < 20 else "refuted" if worst - err > 50 else "inconclusive"
    return Claim(
        4,
        text,
        "io",
        f"GIL share of each of {len(workers)} worker threads (source: {top['source']})",
        f"highest {worst:.1f}% ± {err:.1f}",
        "every worker below 20% (refuted above 50%)",
        verdict,
    )


def claim_5(runs: Runs) -> Claim:
    text = "Processes run CPU-bound Python in parallel on several cores."
    base = _speedup_claim(5, text, runs, "cpu", "processes", "above", 1.3)
    cores = runs.get("cpu", NONE).cores
    if cores is None or (base.verdict == "inconclusive" and not base.measured):
        return base
    best = cores[(cores["model"] == "processes") & cores["best"].astype(bool)]
    busy = ", ".join(f"{v:.0f}%" for v in best["busy_pct"])
    parallel = int((best["busy_pct"] > 50).sum())
    verdict = base.verdict
    if verdict == "holds" and parallel < 2:
        verdict = "inconclusive"
    source = best["source"].iloc[0] if len(best) else "none"
    return Claim(
        5,
        text,
        "cpu",
        f"{base.evidence}; cores busy with the workload ({source})",
        f"{base.measured}; cores busy {busy}",
        f"{base.threshold}, and at least 2 cores busy > 50%",
        verdict,
    )


def startup_latency_ms(workers: pd.DataFrame, model: str) -> float:
    """Median over timing runs and workers of the time until a worker is ready for tasks.

    `workers` is workers.csv (each worker's start, noted once by the pool initializer);
    a tasks.csv of older runs (first task per worker) gives the same quantity.
    """
    per = workers[(workers["model"] == model) & (workers.get("rep", 1) != 0)]
    if per.empty:
        return float("nan")
    key = "pid" if model == "processes" else "tid"
    first = per.groupby(["rep", key])["start_s"].min()
    return float(np.median(first.to_numpy())) * 1e3


def claim_6(runs: Runs) -> Claim:
    text = "Starting a process costs far more than starting a thread."
    methods = {k.split(":", 1)[1]: v for k, v in runs.items() if k.startswith("spawn:")}
    if not methods:
        return _missing(6, text, "spawn", "spawn")
    parts, ratios = [], []
    for method, tables in sorted(methods.items()):
        starts = tables.workers if tables.workers is not None else tables.tasks
        if starts is None:
            continue
        thread_ms = startup_latency_ms(starts, "threads")
        process_ms = startup_latency_ms(starts, "processes")
        ratios.append(process_ms / thread_ms if thread_ms > 0 else float("inf"))
        parts.append(
            f"{method}: process {process_ms:.2f} ms vs thread {thread_ms:.3f} ms "
            f"({ratios[-1]:.0f}x)"
        )
    verdict = "holds" if min(ratios) > 5 else "refuted" if max(ratios) < 2 else "inconclusive"
    return Claim(
        6,
        text,
        "spawn",
        "median time from the run's start until each worker is ready for "
        "tasks (workers.csv, timing runs), per start method",
        "; ".join(parts),
        "process start-up more than 5x a thread's for every start method",
        verdict,
    )


def claim_7(runs: Runs) -> Claim:
    claim = _speedup_claim(
        7, "Frequent communication makes processes lose.", runs, "ipc", "processes", "below", 1.0
    )
    ipc = ipc_evidence(runs["ipc"].ipc).get("processes") if "ipc" in runs else None
    if ipc is None:
        return claim
    return replace(
        claim,
        evidence=f"{claim.evidence}; the cause, from the observed run's pickling events: "
        f"{ipc.arg_bytes:.0f} B sent and {ipc.result_bytes:.0f} B returned per task, "
        f"{ipc.ipc_s * 1e6:.0f} µs of pickling, piping and unpickling per task against "
        f"{ipc.task_s * 1e6:.0f} µs of work ({ipc.share_pct:.0f}% of each task's time)",
    )


def claim_8(runs: Runs) -> Claim:
    text = "asyncio handles many concurrent waits with less memory and overhead than threads."
    if "fanout" not in runs:
        return _missing(8, text, "fanout", "fanout")
    a, t = _row(runs["fanout"], "asyncio"), _row(runs["fanout"], "threads")
    if a is None or t is None:
        return _missing(8, text, "fanout", "fanout under asyncio and threads")
    timing = runs["fanout"].timing
    workers = int(timing["tasks"].max() or 1) if timing is not None else 1
    less_memory = a["peak_rss_mb"] < t["peak_rss_mb"]
    not_slower = a["wall_ci_low_s"] <= t["wall_ci_high_s"] * 1.1
    verdict = (
        "holds" if less_memory and not_slower else "refuted" if not less_memory else "inconclusive"
    )
    return Claim(
        8,
        text,
        "fanout",
        f"{workers} concurrent waits; peak RSS over the process tree and wall time, timing runs",
        f"asyncio {a['peak_rss_mb']:.0f} MB ({a['peak_rss_mb'] * 1024 / workers:.0f} kB per wait), "
        f"{a['wall_median_s']:.2f} s; threads {t['peak_rss_mb']:.0f} MB "
        f"({t['peak_rss_mb'] * 1024 / workers:.0f} kB per wait), {t['wall_median_s']:.2f} s",
        "asyncio peak RSS below threads', and its wall time not above threads' by more than 10%",
        verdict,
    )


def claim_9(runs: Runs) -> Claim:
    text = "Only one thread runs Python bytecode at a time."
    evidence, worst, overlaps, sources = [], 0.0, 0, set()
    for scenario in ("cpu", "gil"):
        tables = runs.get(scenario, NONE)
        processes = tables.processes
        if processes is not None:
            best = processes[processes["best"].astype(bool) & processes["gil_busy_pct"].notna()]
            if len(best):
                worst = max(worst, float(best["gil_busy_pct"].max()))
                sources |= set(best["source"])
        checks = tables.checks
        if checks is not None:
            overlaps += int(checks["overlapping_holders"].sum())
            evidence.append(f"{scenario}: {len(checks)} exact traces checked")
    if not sources:
        return _missing(9, text, "cpu, gil", "GIL shares (no recorder ran)")
    exact = bool(sources & EXACT)
    tolerance = 0.5 if exact else 10.0
    verdict = "refuted" if overlaps or worst > 100 + tolerance else "holds"
    return Claim(
        9,
        text,
        "cpu, gil",
        f"share of time some thread holds the GIL, per process ({', '.join(sorted(sources))}); "
        + "; ".join(evidence),
        f"highest per-process GIL share {worst:.1f}%; overlapping holders: {overlaps}",
        f"never above 100% (+{tolerance} measurement error), no overlapping holders",
        verdict,
    )


def claim_10(runs: Runs) -> Claim:
    text = (
        "Where C code releases the GIL, threads speed up CPU work (release); "
        "C code that keeps it does not (holds)."
    )
    rel = _speedup_claim(10, text, runs, "release", "threads", "above", 1.3)
    hol = _speedup_claim(10, text, runs, "holds", "threads", "below", 1.3)
    if not rel.measured or not hol.measured:
        return _missing(10, text, "release, holds", "release and holds under threads")
    verdict = (
        "holds"
        if rel.verdict == hol.verdict == "holds"
        else "refuted"
        if "refuted" in (rel.verdict, hol.verdict)
        else "inconclusive"
    )
    return Claim(
        10,
        text,
        "release, holds",
        rel.evidence,
        f"release: {rel.measured}; holds: {hol.measured}",
        "release above 1.3 and holds below 1.3",
        verdict,
    )


BLOCKED_HOLDS_PCT = 25.0  # a loop blocked this much of its run is stalled, not busy
BLOCKED_REFUTES_PCT = 5.0


def claim_14(runs: Runs) -> Claim:
    text = "A blocking call in a coroutine stalls every task."
    tables = runs.get("blocking", NONE)
    stats, stalled = tables.loop_stats, tables.loop_stalls
    if stats is None or stalled is None:
        return _missing(14, text, "blocking", "the event loop (an observed asyncio run)")
    stats = stats[stats["model"] == "asyncio"] if "model" in stats else stats
    if stats.empty:
        return _missing(14, text, "blocking", "the event loop (an observed asyncio run)")
    blocked_pct = float(stats["blocked_s"].sum() / stats["window_s"].sum() * 100.0)
    lag_p95_ms = float(stats["lag_p95_ms"].max())
    stall_ms = float(stalled["duration_us"].median() / 1e3) if len(stalled) else 0.0
    held_up = len(stalled) > 0 and lag_p95_ms >= stall_ms
    verdict = (
        "holds"
        if blocked_pct >= BLOCKED_HOLDS_PCT and held_up
        else "refuted"
        if blocked_pct < BLOCKED_REFUTES_PCT
        else "inconclusive"
    )
    return Claim(
        14,
        text,
        "blocking",
        "every event-loop callback timed by concprof's loop monitor (observed asyncio run); "
        f"{len(stalled)} stalls of {float(stats['stall_ms'].iloc[0]):g} ms or more",
        f"loop blocked {blocked_pct:.0f}% of its run (median stall {stall_ms:.1f} ms); "
        f"callbacks ready to run waited {lag_p95_ms:.1f} ms at p95",
        f"blocked at least {BLOCKED_HOLDS_PCT:.0f}% and p95 lag at least a median stall "
        f"(holds); blocked under {BLOCKED_REFUTES_PCT:.0f}% (refuted)",
        verdict,
    )


DASK_KEEPS_UP = 0.8  # dask at this share of processes' speedup or more keeps up


def claim_15(runs: Runs) -> Claim:
    text = (
        "Dask's per-task overhead decides: many tiny tasks lose to a process pool, "
        "few long ones keep up."
    )
    pairs = {k: (_row(runs.get(k, NONE), "dask"), _row(runs.get(k, NONE), "processes"))
             for k in ("tiny", "chunky")}  # fmt: skip
    if any(d is None or p is None for d, p in pairs.values()):
        return _missing(15, text, "tiny, chunky", "dask and processes on tiny and chunky")
    (tiny_d, tiny_p), (long_d, long_p) = (
        (d, p) for d, p in pairs.values() if d is not None and p is not None
    )
    tiny_loses = float(tiny_d["speedup_ci_high"]) < float(tiny_p["speedup_ci_low"])
    tiny_wins = float(tiny_d["speedup_ci_low"]) > float(tiny_p["speedup_ci_high"])
    keeps_up = float(long_d["speedup"]) >= DASK_KEEPS_UP * float(long_p["speedup"])
    falls_behind = float(long_d["speedup_ci_high"]) < DASK_KEEPS_UP * float(
        long_p["speedup_ci_low"]
    )
    verdict = (
        "holds"
        if tiny_loses and keeps_up
        else "refuted"
        if tiny_wins or falls_behind
        else "inconclusive"
    )
    return Claim(
        15,
        text,
        "tiny, chunky",
        "timing runs of the same pure-Python work as many tasks of about 1 ms (tiny) and a "
        "few of about 0.3 s (chunky), on a process pool and a LocalCluster of as many "
        "single-threaded workers",
        f"tiny: dask {_speedup_text(tiny_d)}, processes {_speedup_text(tiny_p)}; chunky: "
        f"dask {_speedup_text(long_d)}, processes {_speedup_text(long_p)}",
        f"on tiny dask's interval below processes', and on chunky dask at least "
        f"{DASK_KEEPS_UP:g} of processes' speedup (holds); on tiny dask's interval above "
        f"processes', or on chunky below {DASK_KEEPS_UP:g} of it (refuted)",
        verdict,
    )

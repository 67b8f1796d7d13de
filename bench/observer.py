"""perf's observer effect on every built-in scenario: GIL cycle rate and slowdown.

Per scenario (SIZE=quick, sequential and threads, RECORDERS=perf, REPEAT=3),
twice: "before" with the probes' budget as large as it goes (--max-slowdown
100: the trace stops only at its 48 MB cap, as every cycle was traced before
the budget existed) and "after" with the default bound (1.5): the GIL
acquisitions per second of the runner process (gil_stats.csv), the observed
run's wall time over the median timing run (recording_overhead), how much of
the observed run the GIL trace covers and the size of perf's files,
and the single-threaded sequential MainThread's GIL wait before and after
the probes' cost is taken out (it has no other thread to wait for).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from profiler.load.run import load_run
from profiler.orchestrate.scenario import builtin_names
from profiler.orchestrate.session import profile
from profiler.spine import DEFAULT_MAX_SLOWDOWN, ProfileConfig

SKIP = {"fanout", "spawn"}  # no sequential baseline / start-up only


UNBOUNDED = 100.0  # --max-slowdown that lets the probes trace up to the 48 MB cap ("before")


def _observe(name: str, reports: Path, bound: float) -> dict[str, pd.DataFrame]:
    config = ProfileConfig(
        scenario=name,
        models=("sequential", "threads"),
        size="quick",
        repeat=3,
        reports=reports,
        recorders="perf",
        max_slowdown=bound,
    )
    run_dir, _ = profile(config, lambda step: None)
    tables = load_run(run_dir)
    tables["_trace_mb"] = pd.DataFrame(
        {
            "model": [m for m in ("sequential", "threads")],
            "mb": [
                sum(f.stat().st_size for f in (run_dir / "raw" / m).glob("perf*")) / 2**20
                for m in ("sequential", "threads")
            ],
        }
    )
    return tables


def bench_observer(reports: Path) -> pd.DataFrame:
    rows = []
    for name in builtin_names():
        if name in SKIP:
            continue
        before = _observe(name, reports / "before", UNBOUNDED)
        tables = _observe(name, reports / "after", DEFAULT_MAX_SLOWDOWN)
        comparison = tables["comparison"].set_index("model")
        earlier = before["comparison"].set_index("model")
        stats = tables.get("gil_stats", pd.DataFrame())
        threads = tables["threads"]
        main = threads[
            (threads["model"] == "sequential")
            & (threads["thread_name"] == "MainThread")
            & (threads["source"] == "perf")
        ]
        checks = tables.get("checks", pd.DataFrame()).set_index("model")
        sizes = tables["_trace_mb"].set_index("model")["mb"]
        sizes_before = before["_trace_mb"].set_index("model")["mb"]
        for model in ("sequential", "threads"):
            per = stats[stats["model"] == model] if len(stats) else stats
            rows.append(
                {
                    "scenario": name,
                    "model": model,
                    "gil_cycles_per_s": round(float(per["acquisitions_per_s"].sum()), 0)
                    if len(per)
                    else None,
                    "before: slowdown": round(float(earlier.loc[model, "recording_overhead"]), 2),
                    "before: GIL traced %": round(float(earlier.loc[model, "gil_traced_pct"]), 0),
                    "before: trace MB": round(float(sizes_before[model]), 1),
                    "after: slowdown": round(float(comparison.loc[model, "recording_overhead"]), 2),
                    "after: GIL traced %": round(float(comparison.loc[model, "gil_traced_pct"]), 0),
                    "after: trace MB": round(float(sizes[model]), 1),
                    "probe cost per acquisition (µs)": round(
                        float(checks.loc[model, "probe_hit_us"]), 2
                    )
                    if model in checks.index
                    else None,
                    "sequential wait raw %": round(float(main["gil_wait_raw_pct"].iloc[0]), 2)
                    if model == "sequential" and len(main)
                    else None,
                    "sequential wait corrected %": round(float(main["gil_wait_pct"].iloc[0]), 2)
                    if model == "sequential" and len(main)
                    else None,
                }
            )
    return pd.DataFrame(rows)

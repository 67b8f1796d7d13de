"""perf's observer effect on every built-in scenario: GIL cycle rate and slowdown.

Per scenario (SIZE=quick, sequential and threads, RECORDERS=perf, REPEAT=3):
the GIL acquisitions per second of the runner process (gil_stats.csv), the
observed run's wall time over the median timing run (recording_overhead),
and the single-threaded sequential MainThread's GIL wait before and after
the probes' cost is taken out (it has no other thread to wait for).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from profiler.plan import ProfileConfig
from profiler.rundir import load_run
from profiler.scenario import builtin_names
from profiler.session import profile

SKIP = {"fanout", "spawn"}  # no sequential baseline / start-up only


def bench_observer(reports: Path) -> pd.DataFrame:
    rows = []
    for name in builtin_names():
        if name in SKIP:
            continue
        config = ProfileConfig(
            scenario=name,
            models=("sequential", "threads"),
            size="quick",
            repeat=3,
            reports=reports,
            recorders="perf",
        )
        run_dir, _ = profile(config, lambda step: None)
        tables = load_run(run_dir)
        comparison = tables["comparison"].set_index("model")
        stats = tables.get("gil_stats", pd.DataFrame())
        threads = tables["threads"]
        main = threads[
            (threads["model"] == "sequential") & (threads["thread_name"] == "MainThread")
        ]
        checks = tables.get("checks", pd.DataFrame()).set_index("model")
        for model in ("sequential", "threads"):
            per = stats[stats["model"] == model] if len(stats) else stats
            rows.append(
                {
                    "scenario": name,
                    "model": model,
                    "gil_cycles_per_s": round(float(per["acquisitions_per_s"].sum()), 0)
                    if len(per)
                    else None,
                    "slowdown (observed / timed)": round(
                        float(comparison.loc[model, "recording_overhead"]), 2
                    ),
                    "probe cost per acquisition (µs)": round(
                        float(checks.loc[model, "probe_wait_us"]), 2
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

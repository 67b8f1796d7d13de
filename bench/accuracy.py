"""Accuracy of the sampled tiers against perf, on several workloads and Python versions.

One observed run per (interpreter, workload) with perf, py-spy and procfs
together: per thread, py-spy's GIL share against perf's (hold +
hold_preempted), procfs's on-CPU share against perf's; per process, the sum
of its threads' hold shares for each source (never above 100% plus error).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from profiler.load.run import load_run
from profiler.orchestrate.interpreters import pyenv_versions
from profiler.orchestrate.session import profile
from profiler.spine import ProfileConfig

WORKLOADS = (  # scenario, model, size, workers
    ("gil", "threads", "default", None),
    ("cpu", "threads", "default", None),
    ("release", "threads", "quick", None),
    ("io", "threads", "default", 16),
    ("cpu", "processes", "default", None),
    ("syscalls", "threads", "default", None),  # a GIL cycle every few µs: the probes' bias
)
VERSIONS = ("3.10", "3.11", "3.12", "3.13")
TARGET_POINTS = 3.0


def _one(
    reports: Path, python: str, scenario: str, model: str, size: str, workers: int | None
) -> dict[str, object]:
    config = ProfileConfig(
        scenario=scenario,
        models=(model,),
        size=size,
        workers=workers,
        repeat=1,
        python=python,
        reports=reports,
        recorders="perf,py-spy,procfs",
    )
    run_dir, _ = profile(config, lambda step: None)
    tables = load_run(run_dir)
    threads = tables["threads"][tables["threads"]["model"] == model]
    holds = threads["gil_hold_pct"] + threads["gil_hold_preempted_pct"].fillna(0.0)
    threads = threads.assign(holds=holds)
    key = ["pid", "tid"]
    perf = threads[threads["source"] == "perf"].set_index(key)
    pyspy = threads[threads["source"] == "py-spy"].set_index(key)
    procfs = threads[threads["source"] == "procfs"].set_index(key)
    both = perf.index.intersection(pyspy.index)
    gil_diff = (pyspy.loc[both, "gil_hold_pct"] - perf.loc[both, "holds"]).abs().dropna()
    on_cpu = perf.index.intersection(procfs.index)
    cpu_diff = (procfs.loc[on_cpu, "on_cpu_pct"] - perf.loc[on_cpu, "on_cpu_pct"]).abs()
    sums = threads.groupby(["source", "pid"])["holds"].sum()
    processes = tables["processes"][tables["processes"]["model"] == model]
    pyspy_procs = processes[processes["source"] == "py-spy"]
    worst = gil_diff.idxmax() if len(gil_diff) else None
    return {
        "python": python,
        "workload": f"{scenario} ({model})",
        "threads": len(gil_diff),
        "py-spy − perf, worst thread (points)": round(float(gil_diff.max()), 1)
        if len(gil_diff)
        else None,
        "its py-spy 95% error ±": round(float(pyspy.loc[worst, "gil_hold_err_pct"]), 1)
        if worst
        else None,
        "procfs − perf on CPU, worst (points)": round(float(cpu_diff.max()), 1)
        if len(cpu_diff)
        else None,
        "perf: max process sum %": round(float(sums.get("perf", pd.Series([0.0])).max()), 1),
        "py-spy: max process sum %": round(float(sums.get("py-spy", pd.Series([0.0])).max()), 1),
        "py-spy rounds": int(pyspy_procs["sample_rounds"].min()) if len(pyspy_procs) else None,
        "py-spy left empty": "; ".join(
            str(w).split(" (procfs)")[0] for w in pyspy_procs["gil_unmeasured"].dropna().unique()
        ),
    }


def bench_accuracy_matrix(reports: Path) -> pd.DataFrame:
    installed = pyenv_versions()
    rows = []
    os.environ["CONCPROF_GIL_DURATION_S"] = "2"
    try:
        for version in VERSIONS:
            match = next((v for v in installed if v.startswith(version + ".")), None)
            if match is None:
                continue
            for scenario, model, size, workers in WORKLOADS:
                row = _one(reports / version, version, scenario, model, size, workers)
                rows.append({**row, "python": match})
    finally:
        del os.environ["CONCPROF_GIL_DURATION_S"]
    return pd.DataFrame(rows)

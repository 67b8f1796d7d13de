"""From a run directory's raw/ files to its tables: load, then analyse.

One row per (thread, source) in threads.csv and per (process, source) in
processes.csv, so every number says which recorder measured it; `best`
marks the row to prefer (perf, else py-spy for GIL shares with procfs for
CPU, else procfs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from profiler.analyse import disturbance
from profiler.analyse.advice import recommend
from profiler.analyse.claims import judge
from profiler.analyse.compare import DEFAULT_MARGIN, compare
from profiler.analyse.model_tables import model_tables
from profiler.analyse.observer import DEFAULT_MAX_SLOWDOWN
from profiler.analyse.sampled import DEFAULT_SAMPLED_ERROR_PCT
from profiler.errors import RunFailed
from profiler.load.model_dir import load_recordings
from profiler.load.runner_json import OBSERVED_DOC, TASK_COLUMNS, load_timing, read_doc, task_rows
from profiler.rundir import read_json
from profiler.schema import PROCESS_COLUMNS, THREAD_COLUMNS

OBSERVED_REP = 0  # tasks.csv: the observed run's tasks (timing runs do not time each task)


def own_claims(scenario: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The claims this run's scenario settles on its own (others need other scenarios)."""
    judged = judge({scenario: tables})
    mine = judged["scenario"].str.split(", ").map(lambda names: scenario in names)
    return judged[mine & ~judged["evidence"].str.startswith("not measured")].reset_index(drop=True)


def build_tables(run_dir: Path, manifest: dict[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a run directory, from its raw/ files."""
    manifest = manifest or read_json(run_dir / "run.json")
    timing, tasks, workers = load_timing(run_dir / "raw" / "timing")
    if timing.empty:
        raise RunFailed(f"{run_dir} holds no timing results (raw/timing/ is empty)")
    timing = disturbance.mark(timing)
    comparison = compare(timing, float(manifest.get("margin", DEFAULT_MARGIN)))
    collected: dict[str, list[pd.DataFrame]] = {}
    overhead: dict[str, float] = {}
    traced: dict[str, float] = {}
    passes: dict[str, int] = {}
    observed_tasks = []
    cpu_count = int(manifest.get("cpu_count") or 1)
    for model in manifest.get("models", []):
        raw = run_dir / "raw" / model
        doc = read_doc(raw / OBSERVED_DOC)
        if doc is None or not doc.get("ok"):
            continue
        per_model, perf = model_tables(load_recordings(model, raw, doc), cpu_count)
        for name, frame in per_model.items():
            collected.setdefault(name, []).append(frame)
        overhead[model] = float(doc["wall_s"]) / max(1, int(doc.get("passes") or 1))
        passes[model] = int(doc.get("passes") or 1)
        if perf.gil_traced_pct is not None:
            traced[model] = perf.gil_traced_pct
        observed_tasks.append(pd.DataFrame(task_rows(doc, OBSERVED_REP), columns=TASK_COLUMNS))
    medians = comparison.set_index("model")["wall_median_s"]
    comparison["recording_overhead"] = comparison["model"].map(
        lambda m: overhead[m] / medians[m] if m in overhead and medians[m] > 0 else np.nan
    )
    comparison["max_slowdown"] = float(manifest.get("max_slowdown", DEFAULT_MAX_SLOWDOWN))
    comparison["gil_traced_pct"] = comparison["model"].map(traced)
    unprobed = {
        str(model): str(o["unprobed"])
        for model, o in (manifest.get("observed") or {}).items()
        if isinstance(o, dict) and o.get("unprobed")
    }
    comparison["unprobed"] = comparison["model"].map(unprobed)
    comparison["observed_passes"] = comparison["model"].map(passes)
    comparison["max_sampled_err_pct"] = float(
        manifest.get("sampled_error_pct", DEFAULT_SAMPLED_ERROR_PCT)
    )
    tasks = pd.concat([tasks, *observed_tasks], ignore_index=True)
    tables = {"timing": timing, "tasks": tasks, "workers": workers, "comparison": comparison}
    for name, frames in collected.items():
        tables[name] = _front(pd.concat(frames, ignore_index=True), ["model"])
    if "threads" in tables:
        tables["threads"] = tables["threads"].reindex(columns=THREAD_COLUMNS)
    if "processes" in tables:
        tables["processes"] = tables["processes"].reindex(columns=PROCESS_COLUMNS)
    claims = own_claims(str(manifest.get("scenario", {}).get("name", "")), tables)
    if not claims.empty:
        tables["claims"] = claims
    # the answer, computed once here and saved; renderers read it (analyse.answer)
    answer = recommend(comparison, tables, float(manifest.get("margin", DEFAULT_MARGIN)))
    if answer is not None:
        tables["advice"] = answer.to_table()
    return tables


def _front(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    rest = [c for c in frame.columns if c not in first]
    return frame.reindex(columns=[*first, *rest])

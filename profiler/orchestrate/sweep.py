"""`concprof profile --workers 1,2,4` (`make profile WORKERS=1,2,4`): one scenario at
several worker counts.

Each count's profile is an ordinary run of timing runs only (no recorder: an observed run
at every count would cost more than it tells); the scaling across them (analyse.scaling)
names the count to use per model, and the profile with the chosen recorders then runs once
more at the count of the fastest model. Everything goes to
reports/<scenario>-sweep/<stamp>/: run.json, tables/scaling.csv, figures/scaling.png and
index.html, which links every count's report.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pandas as pd

from profiler.analyse.scaling import recommended, scaling, sweep_lines
from profiler.atomic import write_atomic
from profiler.errors import UsageError
from profiler.layout import RunDir
from profiler.orchestrate.lifecycle import RunSession
from profiler.orchestrate.plan import check_workers
from profiler.render.sweep import sweep_html
from profiler.rundir import write_table
from profiler.spine import ProfileConfig, ProfileFn, ProgressFn, Step, SweepManifest, SweepResult


def worker_counts(spec: str | None) -> list[int]:
    """WORKERS as given: one count, or several comma-separated (a sweep), each once and
    each within the bounds of one (plan.check_workers)."""
    if spec is None or not spec.strip():
        return []
    counts = []
    for part in spec.split(","):
        try:
            count = int(part.strip())
        except ValueError:
            raise UsageError(
                f"WORKERS={spec}: {part.strip()!r} is not a whole number; give one worker "
                "count, or several comma-separated (e.g. 1,2,4)"
            ) from None
        check_workers(count)
        counts.append(count)
    if len(counts) != len(set(counts)):
        raise UsageError(f"WORKERS={spec} names a count twice; name each once")
    return sorted(counts)


def profile_sweep(
    profile: ProfileFn, config: ProfileConfig, counts: list[int], progress: ProgressFn
) -> SweepResult:
    """Profile `config` at each count (timing runs only), then once with its recorders at
    the count the fastest model needs."""
    started = time.time()
    runs, comparisons = {}, {}
    for count in counts:
        progress(Step("sweep", "", 0, 0, 0, None, True, f"timing runs at {count} workers"))
        timing_only = dataclasses.replace(config, workers=count, recorders="none")
        runs[count], analysis = profile(timing_only, progress)
        if analysis.comparison is not None:
            comparisons[count] = analysis.comparison
    table = scaling(comparisons, config.margin)
    cores = os.cpu_count() or 1
    result = SweepResult(
        Path(),
        Path(config.scenario).stem,
        runs,
        table,
        sweep_lines(table, cores),
        cores,
    )
    chosen = _count_to_observe(table)
    if chosen is not None and config.recorders != "none":
        note = f"observed run with recorders at {chosen} workers (the fastest model's count)"
        progress(Step("sweep", "", 0, 0, 0, None, True, note))
        observed_run, _ = profile(dataclasses.replace(config, workers=chosen), progress)
        result.observed_run, result.observed_workers = observed_run, chosen
    name = f"{result.scenario}-sweep"
    result.out_dir = RunSession(config.reports, name, progress, started=started).run_dir
    result.duration_s = time.time() - started
    save_sweep(result, config.scenario)
    return result


def _count_to_observe(table: pd.DataFrame) -> int | None:
    """The count to use of the model that is fastest at its own count to use."""
    chosen = table[table["recommended"].astype(bool)]
    if chosen.empty:
        return None
    return int(chosen.sort_values("speedup", ascending=False)["workers"].iloc[0])


def save_sweep(result: SweepResult, scenario: str) -> None:
    """run.json, tables/scaling.csv, figures/scaling.png and index.html of a sweep."""
    write_table(result.out_dir, "scaling", result.table)
    write_atomic(RunDir(result.out_dir).report, sweep_html(result))
    SweepManifest(
        scenario=scenario,
        workers=list(result.runs),
        runs={str(k): str(v) for k, v in result.runs.items()},
        observed_run=str(result.observed_run) if result.observed_run else None,
        observed_workers=result.observed_workers,
        recommended=recommended(result.table),
        cores=result.cores,
        answer=result.lines,
        duration_s=round(result.duration_s, 1),
    ).save(RunDir(result.out_dir).manifest)


def rebuild_sweep(out_dir: Path, saved: SweepManifest) -> SweepResult:
    """`concprof report` on a sweep directory: its page again, from tables/scaling.csv."""
    table = pd.read_csv(RunDir(out_dir).tables / "scaling.csv")
    result = SweepResult(
        out_dir,
        Path(saved.scenario).stem,
        {int(k): Path(v) for k, v in saved.runs.items()},
        table,
        sweep_lines(table, saved.cores),
        saved.cores,
        Path(saved.observed_run) if saved.observed_run else None,
        saved.observed_workers,
        saved.duration_s,
    )
    write_atomic(RunDir(out_dir).report, sweep_html(result))
    return result

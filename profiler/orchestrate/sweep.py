"""`concprof profile --workers 1,2,4` (`make profile WORKERS=1,2,4`), or `--start-method
fork,spawn` (`START_METHOD=fork,spawn`): one scenario at each value of one setting.

Each value's profile is an ordinary run of timing runs only (no recorder: an observed run
at every value would cost more than it tells); the scaling across them (analyse.scaling)
names the value to use per model, and the profile with the chosen recorders then runs once
more at the value the fastest model should use. Everything goes to
reports/<scenario>-sweep/<stamp>/: run.json, tables/scaling.csv (start_methods.csv),
figures/scaling.png and index.html, which links every value's report.
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
from profiler.spine import (
    START_METHOD,
    WORKERS,
    Manifest,
    ProfileConfig,
    ProfileFn,
    ProgressFn,
    Setting,
    Step,
    SweepManifest,
    SweepResult,
    Swept,
)
from profiler.workload import START_METHODS


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


def start_methods(spec: str | None) -> list[str]:
    """START_METHOD as given: one method, or several comma-separated (a sweep)."""
    if spec is None or not spec.strip():
        return []
    methods = [part.strip() for part in spec.split(",")]
    unknown = [m for m in methods if m not in START_METHODS]
    if unknown:
        raise UsageError(
            f"unknown start method {unknown[0]!r}; choose one or several of: "
            f"{', '.join(START_METHODS)}"
        )
    if len(methods) != len(set(methods)):
        raise UsageError(f"START_METHOD={spec} names a method twice; name each once")
    return methods


def profile_sweep(
    profile: ProfileFn, config: ProfileConfig, swept: Swept, progress: ProgressFn
) -> SweepResult:
    """Profile `config` at each value of the swept setting (timing runs only), then once
    with its recorders at the value the fastest model should use."""
    started = time.time()
    if swept.setting == START_METHOD and config.models is None:
        config = dataclasses.replace(config, models=("processes",))  # the only one it changes
    runs, comparisons = {}, {}
    for value in swept.values:
        progress(Step("sweep", "", 0, 0, 0, None, True, f"timing runs at {swept.label} {value}"))
        timing_only = dataclasses.replace(swept.at(config, value), recorders="none")
        runs[value], analysis = profile(timing_only, progress)
        if analysis.comparison is not None:
            comparisons[value] = analysis.comparison
        if swept.setting == START_METHOD and swept.kept is None:
            swept = dataclasses.replace(swept, kept=_default_start_method(runs[value]))
    table = scaling(swept, comparisons, config.margin)
    cores = os.cpu_count() or 1
    result = SweepResult(
        out_dir=Path(),
        scenario=Path(config.scenario).stem,
        swept=swept,
        runs=runs,
        table=table,
        lines=sweep_lines(swept, table, cores),
        cores=cores,
    )
    chosen = _value_to_observe(swept, table)
    if chosen is not None and config.recorders != "none":
        note = f"observed run with recorders at {swept.label} {chosen} (the fastest model's)"
        progress(Step("sweep", "", 0, 0, 0, None, True, note))
        result.observed_run, _ = profile(swept.at(config, chosen), progress)
        result.observed_value = chosen
    name = f"{result.scenario}-sweep"
    result.out_dir = RunSession(config.reports, name, progress, started=started).run_dir
    result.duration_s = time.time() - started
    save_sweep(result, config.scenario)
    return result


def _default_start_method(run_dir: Path) -> str:
    """The start method the run's interpreter uses when none is asked for."""
    manifest = Manifest.load(RunDir(run_dir).manifest)
    return manifest.python.default_start_method


def _value_to_observe(swept: Swept, table: pd.DataFrame) -> Setting | None:
    """The value to use of the model that is fastest at its own value to use."""
    chosen = table[table["recommended"].astype(bool)]
    if chosen.empty:
        return None
    value = chosen.sort_values("speedup", ascending=False)[swept.setting].iloc[0]
    return int(value) if swept.setting == WORKERS else str(value)


def save_sweep(result: SweepResult, scenario: str) -> None:
    """run.json, the table, figures/scaling.png and index.html of a sweep."""
    write_table(result.out_dir, result.swept.table_name, result.table)
    write_atomic(RunDir(result.out_dir).report, sweep_html(result))
    values = list(result.runs)
    workers = result.swept.setting == WORKERS
    SweepManifest(
        scenario=scenario,
        setting=result.swept.setting,
        values=values,
        kept=None if result.swept.kept is None else str(result.swept.kept),
        workers=[int(v) for v in values] if workers else [],
        runs={str(k): str(v) for k, v in result.runs.items()},
        observed_run=str(result.observed_run) if result.observed_run else None,
        observed_value=result.observed_value,
        observed_workers=int(result.observed_value) if workers and result.observed_value else None,
        recommended=recommended(result.swept, result.table),
        cores=result.cores,
        answer=result.lines,
        duration_s=round(result.duration_s, 1),
    ).save(RunDir(result.out_dir).manifest)


def rebuild_sweep(out_dir: Path, saved: SweepManifest) -> SweepResult:
    """`concprof report` on a sweep directory: its page again, from its table."""
    kind = int if saved.setting == WORKERS else str
    swept = Swept(saved.setting, tuple(kind(v) for v in saved.values or saved.workers), saved.kept)
    table = pd.read_csv(RunDir(out_dir).tables / f"{swept.table_name}.csv")
    result = SweepResult(
        out_dir=out_dir,
        scenario=Path(saved.scenario).stem,
        swept=swept,
        runs={kind(k): Path(v) for k, v in saved.runs.items()},
        table=table,
        lines=sweep_lines(swept, table, saved.cores),
        cores=saved.cores,
        observed_run=Path(saved.observed_run) if saved.observed_run else None,
        observed_value=(
            kind(saved.observed_value)
            if saved.observed_value is not None
            else saved.observed_workers
        ),
        duration_s=saved.duration_s,
    )
    write_atomic(RunDir(out_dir).report, sweep_html(result))
    return result

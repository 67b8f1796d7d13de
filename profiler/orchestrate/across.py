"""`concprof profile --python A,B`: one scenario profiled on several interpreters.

Each interpreter's profile is an ordinary run (its own run directory under
reports/<scenario>/, recorders chosen for that interpreter); the comparison
across them (analyse.across) goes to reports/<scenario>-across/<stamp>/:
run.json (the interpreters and their runs), tables/across.csv, index.html.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from profiler.analyse.across import across, lines
from profiler.atomic import write_atomic
from profiler.errors import UsageError
from profiler.layout import RunDir
from profiler.orchestrate.interpreters import resolve_python
from profiler.orchestrate.lifecycle import RunSession
from profiler.render.across import across_html
from profiler.rundir import write_table
from profiler.spine import AcrossManifest, AcrossResult, ProfileConfig, ProfileFn, ProgressFn, Step


def interpreters(spec: str | None) -> list[str]:
    """The PYTHON list: one or more interpreters, comma-separated, each named once."""
    labels = [s.strip() for s in (spec or "").split(",") if s.strip()]
    if len(labels) != len(set(labels)):
        raise UsageError(f"PYTHON={spec} names an interpreter twice; name each once")
    return labels


def profile_across(
    profile: ProfileFn, config: ProfileConfig, labels: list[str], progress: ProgressFn
) -> AcrossResult:
    """Profile `config` on each interpreter in turn, then compare them; the first is the base."""
    for label in labels:  # every name checked before anything runs
        resolve_python(label)
    started = time.time()
    runs, tables = {}, {}
    for label in labels:
        progress(Step("interpreter", label, 0, 0, 0, None, True, f"profiling on {label}"))
        runs[label], tables[label] = profile(dataclasses.replace(config, python=label), progress)
    table = across(
        labels,
        {k: t["timing"] for k, t in tables.items()},
        {k: t["comparison"] for k, t in tables.items()},
        config.margin,
    )
    said = lines(table)
    name = f"{Path(config.scenario).stem}-across"
    out_dir = RunSession(config.reports, name, progress, started=started).run_dir
    result = AcrossResult(
        out_dir, labels, runs, table, said, time.time() - started, Path(config.scenario).stem
    )
    save_across(result, config.scenario)
    return result


def save_across(result: AcrossResult, scenario: str) -> None:
    """run.json, tables/across.csv and index.html of an across directory."""
    write_table(result.out_dir, "across", result.table)
    write_atomic(RunDir(result.out_dir).report, across_html(result))
    AcrossManifest(
        scenario=scenario,
        interpreters=result.labels,
        runs={k: str(v) for k, v in result.runs.items()},
        answer=result.lines,
        duration_s=round(result.duration_s, 1),
    ).save(RunDir(result.out_dir).manifest)


def rebuild_across(out_dir: Path, saved: AcrossManifest) -> AcrossResult:
    """`concprof report` on an across directory: its page again, from tables/across.csv and
    run.json (the answer's lines recomputed from the table)."""
    table = pd.read_csv(RunDir(out_dir).tables / "across.csv")
    runs = {k: Path(v) for k, v in saved.runs.items()}
    scenario = Path(saved.scenario).stem
    result = AcrossResult(
        out_dir, saved.interpreters, runs, table, lines(table), saved.duration_s, scenario
    )
    write_atomic(RunDir(out_dir).report, across_html(result))
    return result

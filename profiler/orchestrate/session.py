"""A profile, start to finish: timing runs, observed runs, analysis, tables, report.

Owns the run directory. Reports progress through a callback and raises
`UsageError` / `RunFailed`; it never prints or exits.
"""

from __future__ import annotations

import signal
import statistics
from pathlib import Path

from profiler.analyse import disturbance
from profiler.analyse.run_tables import build_tables
from profiler.analysis import RunAnalysis
from profiler.errors import RunFailed
from profiler.layout import RunDir
from profiler.load.runner_json import read_docs, read_result, timing_name
from profiler.orchestrate.launch import Launcher, RunTimeout, package_path
from profiler.orchestrate.lifecycle import RunSession
from profiler.orchestrate.manifest import (
    advice_doc,
    failure_message,
    manifest,
    observed_error,
    save_analysis,
    timeout_error,
)
from profiler.orchestrate.plan import plan
from profiler.orchestrate.within_bound import observe_within_bound
from profiler.recorders import select
from profiler.recorders.base import Selection
from profiler.render import render_all
from profiler.spine import Manifest, Observed, Plan, ProfileConfig, ProgressFn, Step
from profiler.workload.documents import RunError, RunResult


def run_one(p: Plan, model: str, out: Path, launcher: Launcher) -> RunResult:
    """One runner process for one model; its result document (even on failure).

    Its output goes to <out>.out/.err beside the document (logs/ in raw/timing).
    """
    done = launcher.run(p.runner_argv(model, out), out.parent / "logs" / out.stem)
    doc = read_result(out)
    if doc is not None:
        return doc
    stderr = done.stderr.strip().splitlines()
    how = (
        f"was killed by {signal.Signals(-done.returncode).name}"
        if done.returncode < 0
        else f"exited with code {done.returncode}"
    )
    raise RunFailed(
        f"the {model} runner {how} and wrote no result" + (f": {stderr[-1]}" if stderr else "")
    )


def timing_runs(
    p: Plan, run_dir: Path, progress: ProgressFn, launcher: Launcher
) -> RunError | None:
    """REPEAT rounds over the models (interleaved, so drift hits every model alike).

    A run that other load on the machine disturbed (disturbance.of_doc) is run
    again, up to MAX_RERUNS times; every attempt is kept, the last one counts.
    Returns the first failure's error (with model and task), or None.
    """
    timing_dir = RunDir(run_dir).timing
    timing_dir.mkdir(parents=True, exist_ok=True)
    total = p.repeat * len(p.models)
    done = 0
    for rep in range(1, p.repeat + 1):
        for model in p.models:
            for attempt in range(1, disturbance.MAX_RERUNS + 2):
                out = timing_dir / timing_name(model, rep, attempt)
                try:
                    doc = run_one(p, model, out, launcher)
                except RunTimeout as exc:
                    return timeout_error(model, "timing", exc, p.scenario.path)
                disturbed = disturbance.of_doc(doc) if doc.ok else None
                again = disturbed is not None and disturbed.disturbed
                note = (
                    f"disturbed: other load {disturbed.foreign_busy_pct:.0f}% of the cores"
                    + ("; running it again" if attempt <= disturbance.MAX_RERUNS else "")
                    if again and disturbed is not None
                    else ""
                )
                if not again or attempt > disturbance.MAX_RERUNS:
                    done += 1
                brief = "disturbed by other load: running it again" if note else ""
                progress(Step("timing", model, rep, done, total, doc.wall_s, doc.ok, note, brief))
                if not doc.ok:
                    return doc.error or RunError("task", model, None, "the run failed")
                if not again:
                    break
    return None


def timing_medians(timing_dir: Path) -> dict[str, float]:
    """Each model's median wall time over its successful timing runs."""
    walls: dict[str, list[float]] = {}
    for _, doc in read_docs(timing_dir):
        if doc.ok and doc.wall_s is not None:
            walls.setdefault(doc.model, []).append(doc.wall_s)
    return {model: statistics.median(values) for model, values in walls.items()}


def setup_medians(timing_dir: Path) -> dict[str, float]:
    """Each model's median start-up before its window, where it has one (a Dask cluster's)."""
    setups: dict[str, list[float]] = {}
    for _, doc in read_docs(timing_dir):
        if doc.ok and doc.dask is not None:
            setups.setdefault(doc.model, []).append(doc.dask.startup_s)
    return {model: statistics.median(values) for model, values in setups.items()}


def check_results(timing_dir: Path) -> RunError | None:
    """All models must return the same results (same digest of the ordered results)."""
    digests: dict[str, set[str]] = {}
    for _, doc in read_docs(timing_dir):
        if doc.ok:
            digests.setdefault(doc.model, set()).add(str(doc.digest))
    if len({d for ds in digests.values() for d in ds}) > 1:
        return RunError(
            "results",
            None,
            None,
            "models returned different results: "
            + "; ".join(f"{m}: {', '.join(sorted(d))}" for m, d in digests.items()),
        )
    return None


def rebuild(run_dir: Path, manifest_doc: Manifest | None = None) -> RunAnalysis:
    """From raw/ to tables/ and the report; `concprof report` runs exactly this.

    `manifest_doc` is what the run will say about itself once rendered (its
    final status); without it, run.json as saved.
    """
    saved = manifest_doc is None
    manifest_doc = manifest_doc or Manifest.load(RunDir(run_dir).manifest)
    tables = build_tables(run_dir, manifest_doc)
    save_analysis(run_dir, tables)
    manifest_doc.advice = advice_doc(tables.answer)
    render_all(run_dir, manifest_doc, tables)
    if saved:  # `concprof report`: run.json gets the answer as computed now
        manifest_doc.save(RunDir(run_dir).manifest)
    return tables


def profile(config: ProfileConfig, progress: ProgressFn) -> tuple[Path, RunAnalysis]:
    """Run a whole profile; returns the run directory and its tables.

    On a failing task the partial run is kept (status "incomplete") and
    RunFailed says what failed and where the results are.
    """
    p = plan(config)
    session = RunSession(
        config.reports, p.scenario.name, progress, select(config.recorders, p.python)
    )
    run_dir, chosen = session.run_dir, session.chosen
    observed: dict[str, Observed] = {}

    def doc(status: str, error: RunError | None) -> Manifest:
        return manifest(p, status, session.started, error, chosen, observed)

    session.save(doc("running", None))
    with package_path() as path_dir, session.contained() as contain:
        launcher = Launcher(path_dir, p.config.timeout_s, contain)
        try:
            error = timing_runs(p, run_dir, progress, launcher)
            error = error or check_results(RunDir(run_dir).timing)
            if error is None and chosen.used:
                error = observed_runs(p, run_dir, chosen, launcher, observed, progress)
        except RunFailed as exc:  # a runner died without a result (crash, signal)
            error = RunError("runner", None, None, str(exc))
        except BaseException as exc:  # Ctrl-C, or a bug: keep what was recorded, say so
            reason = str(exc) or type(exc).__name__
            session.save(doc("incomplete", RunError("interrupted", None, None, reason)))
            raise
    status = "complete" if error is None else "incomplete"
    if not any(RunDir(run_dir).timing.glob("*.json")):
        session.save(doc(status, error))
        raise RunFailed(f"{error.exception if error else 'no result'}; see {run_dir}")
    tables = session.finish(doc(status, error), lambda final: rebuild(run_dir, final))
    if error is not None:
        raise RunFailed(failure_message(error, run_dir))
    return run_dir, tables


def observed_runs(
    p: Plan,
    run_dir: Path,
    chosen: Selection,
    launcher: Launcher,
    observed: dict[str, Observed],
    progress: ProgressFn,
) -> RunError | None:
    """Each model's observed run within the slowdown bound, in `observed`; the first
    error (a timeout, a failed run or recorder), or None."""
    error = None
    expected = timing_medians(RunDir(run_dir).timing)
    setups = setup_medians(RunDir(run_dir).timing)
    for n, model in enumerate(p.models, 1):
        try:
            observed[model] = observe_within_bound(
                p, model, run_dir, chosen, launcher, expected.get(model), progress,
                (n, len(p.models)), setups.get(model, 0.0),
            )  # fmt: skip
        except RunTimeout as exc:
            return timeout_error(model, "observed", exc, p.scenario.path)
        o = observed[model]
        notes = "; ".join(
            f"{name} {status.describe()}"
            for name, status in o.recorders.items()
            if not status.failed and status.detail
        )
        progress(Step("observed", model, 1, n, len(p.models), o.wall_s, o.ok, notes))
        error = error or observed_error(model, o)
    return error

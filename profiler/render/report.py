"""index.html: the self-contained report (figures inlined, works offline)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.analysis import RunAnalysis
from profiler.atomic import write_atomic
from profiler.layout import RECORDING, RunDir
from profiler.recorders import best_source, how_measured
from profiler.render.common import ENV
from profiler.render.wording import answer_lines, dask_text, first_screen, recording_lines
from profiler.schema import THREAD_REPORT_COLUMNS
from profiler.spine import FULL_TRACE_PCT, Manifest, RecordingManifest


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _cells(frame: pd.DataFrame) -> list[dict[str, str]]:
    def fmt(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return str(value)

    return [{str(c): fmt(v) for c, v in row.items()} for row in frame.to_dict("records")]


def _plain(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    if frame is None or frame.empty:
        return None
    return {"columns": [str(c) for c in frame.columns], "rows": _cells(frame)}


def _best(frame: pd.DataFrame | None, columns: list[str] | None) -> dict[str, Any] | None:
    """Only the preferred source's rows (the CSV keeps every source)."""
    if frame is None or frame.empty:
        return None
    best = frame[frame["best"].astype(bool)].drop(columns="best")
    return _plain(best.reindex(columns=columns) if columns else best)


TOP_FUNCTIONS = 15  # the ranked list's length (gil_blame.csv has every row)


def _blame_tables(a: RunAnalysis) -> dict[str, dict[str, Any] | None]:
    blamed, ranked = a.gil_blame, a.gil_blame_functions
    if blamed is None or blamed.empty or ranked is None:
        return {}
    states = ranked.groupby("holder_state")
    top = {str(k): g.drop(columns="holder_state").head(TOP_FUNCTIONS) for k, g in states}
    matrix = a.gil_wait_matrix
    matrix_shown: pd.DataFrame | None = None
    if matrix is not None and not matrix.empty:
        keys = ["model", "pid", "waiter_group", "holder_group"]
        summed = matrix.groupby(keys, as_index=False).agg(waited_s=("waited_s", "sum"))
        matrix_shown = summed.sort_values("waited_s", ascending=False).head(20)
    return {
        "gil_blame": _plain(blamed.head(1)),  # the section's presence
        "blame_ranked": _plain(top.get("any")),
        "blame_preempted": _plain(top.get("hold_preempted")),
        "wait_matrix": _plain(matrix_shown),
        "gil_ceiling": _plain(_without(a.gil_ceiling, "assumptions")),
    }


MAX_THREAD_ROWS = 60  # per model: a thread per request would make the page endless


WORST_STALLS = 10  # loop_stalls.csv has every one
LOOP_STATS_SHOWN = ["pid", "tid", "window_s", "blocked_pct", "stalls", "lag_p50_ms",
                    "lag_p95_ms", "lag_p99_ms", "tasks_max"]  # fmt: skip
STALL_SHOWN = ["start_us", "duration_us", "cpu_pct", "task", "coroutine", "function", "stack"]


def _loop_tables(a: RunAnalysis) -> dict[str, dict[str, Any] | None]:
    """The event-loop section: per loop, the blockers ranked, the worst stalls."""
    stats, blockers, stalls = a.loop_stats, a.loop_blockers, a.loop_stalls
    if stats is None or stats.empty:
        return {}
    first = ["model"] if "model" in stats else []
    shown: dict[str, dict[str, Any] | None] = {
        "loop_stats": _plain(stats.reindex(columns=first + LOOP_STATS_SHOWN).round(2))
    }
    if blockers is not None and len(blockers):
        ranked = blockers.drop(columns=["stack"]).head(TOP_FUNCTIONS)
        shown["loop_blockers"] = _plain(ranked.round(2))
    if stalls is not None and len(stalls):
        worst = stalls.sort_values("duration_us", ascending=False).head(WORST_STALLS)
        shown["loop_worst"] = _plain(worst.reindex(columns=STALL_SHOWN).round(1))
    return shown


DASK_WORKERS_SHOWN = ["model", "worker", "pid", "local", "nthreads", "tasks", "compute_s",
                      "busy_pct", "cpu_s", "peak_rss_mb", "startup_s", "left"]  # fmt: skip


def _dask(a: RunAnalysis) -> dict[str, Any]:
    """The Dask section: its workers, and each dask model's per-task costs in words."""
    if a.dask_workers is None or a.dask_workers.empty:
        return {}
    lines = [
        f"{e.model}: {dask_text(e.dask)}"
        for e in (a.answer.evidence if a.answer is not None else [])
        if e.dask is not None
    ]
    workers = a.dask_workers.reindex(columns=DASK_WORKERS_SHOWN).round(3)
    return {"dask_workers": _plain(workers), "dask_lines": lines}


COMPARISON_FIRST = [
    *("model", "speedup", "speedup_ci_low", "speedup_ci_high", "vs_sequential", "vs_fastest"),
    *("wall_median_s", "cpu_s", "parallelism", "peak_rss_mb"),
]
RECORDING_FIGURES = ("gil_states", "gil_sampled", "loop_lag", "cores")  # the first screen's


def _first_image(figures: dict[str, list[Path]]) -> tuple[str, str] | None:
    """A recording's first-screen figure: the first of RECORDING_FIGURES it has."""
    name = next((n for n in RECORDING_FIGURES if n in figures), None)
    return (name.replace("_", " "), _data_uri(figures[name][0])) if name else None


def _stall_ms(stats: pd.DataFrame | None) -> float | None:
    return float(stats["stall_ms"].iloc[0]) if stats is not None and len(stats) else None


def _busiest(threads: pd.DataFrame | None) -> pd.DataFrame | None:
    """The MAX_THREAD_ROWS threads per model with the most GIL and CPU activity (every
    source's rows of those threads), in their original order."""
    if threads is None or threads.empty:
        return threads
    columns = ["gil_hold_pct", "gil_wait_pct", "on_cpu_pct"]
    activity = threads.reindex(columns=columns).fillna(0.0).sum(axis=1)
    per_thread = activity.groupby([threads["model"], threads["pid"], threads["tid"]]).max()
    top = per_thread.sort_values(ascending=False).groupby(level="model").head(MAX_THREAD_ROWS)
    keep = threads.set_index(["model", "pid", "tid"]).index.isin(top.index)
    return threads[keep]


def _hidden(threads: pd.DataFrame | None) -> int:
    """How many threads the report's table leaves out (threads.csv has them all)."""
    if threads is None or threads.empty:
        return 0
    every = threads[["model", "pid", "tid"]].drop_duplicates()
    return max(0, len(every) - len(_busiest(threads)[["model", "pid", "tid"]].drop_duplicates()))  # type: ignore[index]


def _top(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
    """At most MAX_THREAD_ROWS rows, the largest `column` first (the CSV has them all)."""
    if frame is None or column not in frame or len(frame) <= MAX_THREAD_ROWS:
        return frame
    return frame.sort_values(column, ascending=False).head(MAX_THREAD_ROWS)


def _without(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
    return frame.drop(columns=column) if frame is not None and column in frame else frame


def _assumptions(ceiling: pd.DataFrame | None) -> str:
    if ceiling is None or ceiling.empty or "assumptions" not in ceiling:
        return ""
    return str(ceiling["assumptions"].iloc[0])


def render_report(
    run_dir: Path,
    manifest: Manifest | RecordingManifest,
    a: RunAnalysis,
    figures: dict[str, list[Path]],
) -> Path:
    """index.html: the answer first, then the evidence; links to every other output."""
    comparison = a.comparison if a.comparison is not None else pd.DataFrame(columns=["model"])
    shown = {
        "threads": _best(_busiest(a.threads), THREAD_REPORT_COLUMNS),
        "processes": _best(a.processes, None),
        "cores": _best(a.cores, None),
        "gil_stats": _plain(_top(a.gil_stats, "acquisitions")),
        "checks": _plain(a.checks),
        "claims": _plain(a.claims),
        **_blame_tables(a),
        **_loop_tables(a),
    }
    cores = a.cores
    cores_source = how_measured(
        best_source(cores["source"]) if cores is not None else None, "cores"
    )
    traced = {
        str(r["model"]): float(r["gil_traced_pct"])
        for _, r in comparison.iterrows()
        if "gil_traced_pct" in comparison
        and pd.notna(r["gil_traced_pct"])
        and float(r["gil_traced_pct"]) < FULL_TRACE_PCT
    }
    overhead = {
        str(r["model"]): f"{r['recording_overhead']:.2f}x"
        for _, r in comparison.iterrows()
        if "recording_overhead" in comparison and pd.notna(r["recording_overhead"])
    }
    files = sorted(
        str(p.relative_to(run_dir))
        for p in run_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.parent.name != "timing"
    )
    said = a.recording
    html = ENV.get_template("report.html").render(
        m=manifest,
        profile=isinstance(manifest, Manifest),
        observed=manifest.observed
        if isinstance(manifest, Manifest)
        else {RECORDING: manifest.observed},
        answer=answer_lines(a.answer) if a.answer is not None else None,
        first=first_screen(a.answer) if a.answer is not None else None,
        first_image=_first_image(figures),
        comparison_first=[c for c in COMPARISON_FIRST if c in comparison.columns],
        recording=recording_lines(said) if said is not None else [],
        comparison_columns=list(comparison.columns),
        comparison_rows=_cells(comparison),
        images={name: _data_uri(paths[0]) for name, paths in figures.items()},
        tables={k: v for k, v in shown.items() if v is not None},
        has_perf=a.gil_intervals is not None,
        hidden_threads=_hidden(a.threads),
        cores_source=cores_source,
        traced=traced,
        overhead=overhead,
        files=[f for f in files if f != RunDir(run_dir).report.name],
        run_dir=str(run_dir),
        ceiling_assumptions=_assumptions(a.gil_ceiling),
        dask=_dask(a),
        stall_ms=float(a.loop_stats["stall_ms"].iloc[0])
        if a.loop_stats is not None and len(a.loop_stats)
        else None,
    )
    return write_atomic(RunDir(run_dir).report, html)

"""The terminal summary (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiler.analysis import RunAnalysis
from profiler.layout import RunDir
from profiler.render.wording import answer_lines, recording_lines
from profiler.spine import DEFAULT_MARGIN, AcrossResult, ProgressFn, Step, SweepResult


def _num(value: object, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) and value == value else ""


def comparison_table(comparison: pd.DataFrame, repeat: int, margin: float) -> Table:
    table = Table(
        title=f"timing runs: median of {repeat}, 95% bootstrap interval; "
        f"differences within {margin:.0%} are 'same'",
        title_justify="left",
    )
    for name in (
        "model",
        "wall s",
        "95% CI",
        "speedup",
        "95% CI",
        "vs sequential",
        "vs fastest",
        "CPU s",
        "CPU/wall",
        "peak RSS MB",
    ):
        table.add_column(
            name,
            justify="left" if name in ("model", "vs sequential", "vs fastest") else "right",
            no_wrap=True,
        )
    for row in comparison.itertuples():
        table.add_row(
            str(row.model),
            _num(row.wall_median_s, ".3f"),
            f"{_num(row.wall_ci_low_s, '.3f')}–{_num(row.wall_ci_high_s, '.3f')}",
            _num(row.speedup, ".2f") + "x",
            f"{_num(row.speedup_ci_low, '.2f')}–{_num(row.speedup_ci_high, '.2f')}",
            str(row.vs_sequential) if isinstance(row.vs_sequential, str) else "",
            str(row.vs_fastest),
            _num(row.cpu_s, ".2f"),
            _num(row.parallelism, ".2f"),
            _num(row.peak_rss_mb, ".0f"),
        )
    return table


def print_summary(
    console: Console,
    run_dir: Path,
    a: RunAnalysis,
    repeat: int,
    margin: float = DEFAULT_MARGIN,
) -> None:
    if a.comparison is not None:
        console.print(comparison_table(a.comparison, repeat, margin))
    if a.answer is not None:
        headline, causes, warnings, evidence = answer_lines(a.answer)
        console.print(headline, highlight=False, soft_wrap=True, markup=False)
        for cause in causes:
            console.print(cause, highlight=False, soft_wrap=True, markup=False)
        for warning in warnings:
            console.print(f"warning: {warning}", highlight=False, soft_wrap=True, markup=False)
        for line in evidence:
            console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    console.print(f"run directory: {run_dir}", markup=False, highlight=False)
    layout = RunDir(run_dir)
    console.print(f"report:        {layout.report}", markup=False, highlight=False)
    console.print(f"timeline:      {layout.timeline}", markup=False, highlight=False)


def print_across(console: Console, result: AcrossResult) -> None:
    """The comparison across interpreters (analyse.across) and what it says."""
    table = Table(
        "interpreter", "model", "free-threaded", "median s", "speedup (own seq.)", "",
        f"vs seq. on {result.labels[0]}", "", "vs fastest",
        title=f"{result.scenario} on {', '.join(result.labels)}",
    )  # fmt: skip
    for r in result.table.to_dict("records"):
        table.add_row(
            str(r["interpreter"]),
            str(r["model"]),
            "yes" if r["free_threaded"] is True else "no",
            _num(r["wall_median_s"], ".3f"),
            _num(r["speedup"], ".2f") + "x",
            str(r["vs_sequential"]),
            _num(r["speedup_vs_first"], ".2f") + "x",
            str(r["vs_first"]),
            str(r["vs_fastest"]),
        )
    console.print(table)
    for line in result.lines:
        console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    for label, run_dir in result.runs.items():
        console.print(f"{label}: {RunDir(run_dir).report}", markup=False, highlight=False)
    console.print(f"across:        {RunDir(result.out_dir).report}", markup=False, highlight=False)


def print_sweep(console: Console, result: SweepResult) -> None:
    """The scaling across a swept setting (analyse.scaling) and the value to use per model."""
    swept = result.swept
    table = Table("model", swept.label, "speedup", "95% CI", "vs sequential", "use", title=(
        f"{result.scenario}: speedup by {swept.label} ({result.cores} cores; timing runs)"
    ))  # fmt: skip
    for r in result.table.to_dict("records"):
        table.add_row(
            str(r["model"]),
            str(r[swept.setting]),
            _num(r["speedup"], ".2f") + "x",
            f"{_num(r['speedup_ci_low'], '.2f')}–{_num(r['speedup_ci_high'], '.2f')}",
            str(r["vs_sequential"]),
            "◀" if r["recommended"] else "",
        )
    console.print(table)
    for line in result.lines:
        console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    for value, run_dir in result.runs.items():
        console.print(
            f"{swept.label} {value}: {RunDir(run_dir).report}", markup=False, highlight=False
        )
    if result.observed_run is not None:
        console.print(
            f"observed at {swept.label} {result.observed_value}: "
            f"{RunDir(result.observed_run).report}",
            markup=False,
            highlight=False,
        )
    console.print(f"sweep:         {RunDir(result.out_dir).report}", markup=False, highlight=False)


MAX_THREAD_ROWS = 20  # a server's thread per request would fill the screen


def print_recording(console: Console, run_dir: Path, a: RunAnalysis) -> None:
    """A recording's answer first, then its threads (best source) and the rest of the blame."""
    if a.recording is not None:
        for line in recording_lines(a.recording):
            console.print(line, highlight=False, soft_wrap=True, markup=False)
    threads = a.threads
    if threads is not None and not threads.empty:
        best = threads[threads["best"].astype(bool)]
        busy = best[["gil_hold_pct", "gil_wait_pct", "on_cpu_pct"]].fillna(0.0).max(axis=1)
        shown = best.loc[busy.sort_values(ascending=False).index[:MAX_THREAD_ROWS]]
        more = len(best) - len(shown)
        table = Table(
            "pid", "thread", "role", "GIL held %", "waits %", "on CPU %", "source",
            caption=f"and {more} more threads (tables/threads.csv)" if more else None,
        )  # fmt: skip
        for r in shown.sort_values(["pid", "tid"]).to_dict("records"):
            table.add_row(
                str(r["pid"]),
                str(r["thread_name"]),
                str(r["process_role"]),
                _num(r["gil_hold_pct"], ".1f"),
                _num(r["gil_wait_pct"], ".1f"),
                _num(r["on_cpu_pct"], ".1f"),
                str(r["source"]),
            )
        console.print(table)
    for line in blame_lines(a)[1:]:  # the first is in the answer above
        console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    layout = RunDir(run_dir)
    console.print(f"run directory: {run_dir}", markup=False, highlight=False)
    console.print(f"report:        {layout.report}", markup=False, highlight=False)
    console.print(f"timeline:      {layout.timeline}", markup=False, highlight=False)


def blame_lines(a: RunAnalysis, top: int = 3) -> list[str]:
    """The functions that made others wait most (the ceiling is in the answer)."""
    lines = []
    blamed, ranked = a.gil_blame, a.gil_blame_functions
    if blamed is not None and not blamed.empty and ranked is not None:
        ranked = ranked[ranked["holder_state"] == "any"].head(top)
        total = float(blamed["waited_s"].sum())
        for r in ranked.to_dict("records"):
            lines.append(
                f"made others wait {r['waited_s']:.3f} s ({r['waited_s'] / total * 100:.0f}%): "
                f"{r['function']} (perf waits; py-spy, {r['samples']} samples)"
            )
    return lines


@contextmanager
def step_display(console: Console) -> Iterator[ProgressFn]:
    """A progress bar over a profile's runs; yields the function its steps are given to."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task_id = bar.add_task("timing runs", total=None, last="")

        def on_progress(step: Step) -> None:
            if step.phase in ("setup", "interpreter", "sweep"):  # one line each; the terminal wraps
                bar.console.print(f"  {step.note}", markup=False, soft_wrap=True)
                return
            bar.update(task_id, description=f"{step.phase} runs")
            last = f"{step.model} r{step.rep}: " + (
                f"{step.wall_s:.3f} s" if step.wall_s is not None else "failed"
            )
            bar.update(task_id, completed=step.done, total=step.total, last=last)
            if step.note:
                where = f"{step.model} r{step.rep}: " if step.model else ""
                bar.console.print(f"  {where}{step.note}", markup=False)

        yield on_progress

"""The terminal summary (rich)."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiler.analysis import RunAnalysis
from profiler.layout import RunDir
from profiler.render.diff import compare_markdown, model_change, verdict_line
from profiler.render.wording import answer_lines, first_screen, recording_lines
from profiler.spine import (
    DEFAULT_MARGIN,
    AcrossResult,
    CompareResult,
    ProgressFn,
    Step,
    SweepResult,
)


def _num(value: object, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) and value == value else ""


def comparison_table(comparison: pd.DataFrame, repeat: int, margin: float) -> Table:
    """The timing runs per model, in the columns a person reads first (the rest is in
    tables/comparison.csv): fits 80 columns."""
    table = Table(
        title=f"timing runs: median of {repeat}, 95% interval; within {margin:.0%} is 'same'",
        title_justify="left",
    )
    for name in ("model", "speedup", "95% CI", "vs sequential", "wall s", "CPU s", "peak MB"):
        table.add_column(
            name, justify="left" if name in ("model", "vs sequential") else "right", no_wrap=True
        )
    for row in comparison.itertuples():
        table.add_row(
            str(row.model),
            _num(row.speedup, ".2f") + "x",
            f"{_num(row.speedup_ci_low, '.2f')}–{_num(row.speedup_ci_high, '.2f')}",
            str(row.vs_sequential) if isinstance(row.vs_sequential, str) else "",
            _num(row.wall_median_s, ".3f"),
            _num(row.cpu_s, ".2f"),
            _num(row.peak_rss_mb, ".0f"),
        )
    return table


QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"


def _say(console: Console, text: str, indent: str = "") -> None:
    """A line wrapped to a terminal's width (hanging indent); piped, one line as it is."""
    if console.is_terminal:
        console.print(
            textwrap.fill(text, console.width, initial_indent=indent,
                          subsequent_indent=indent + "  "),
            markup=False, highlight=False,
        )  # fmt: skip
    else:
        console.print(indent + text, markup=False, highlight=False, soft_wrap=True)


def print_summary(
    console: Console,
    run_dir: Path,
    a: RunAnalysis,
    repeat: int,
    margin: float = DEFAULT_MARGIN,
    detail: str = NORMAL,
) -> None:
    """The table, then the answer: the verdict, each cause with what to change, one line
    per model, one per warning (--verbose: the full evidence and warnings; --quiet: the
    verdict and causes alone), then where everything is."""
    if a.comparison is not None and detail != QUIET:
        console.print(comparison_table(a.comparison, repeat, margin))
    if a.answer is not None:
        said = first_screen(a.answer)
        _say(console, said.headline)
        for cause in said.causes:
            _say(console, cause)
        if detail == QUIET:
            return
        if detail == VERBOSE:
            words = answer_lines(a.answer)
            for line in words.evidence:
                _say(console, line, "  ")
            for warning in words.warnings:
                _say(console, f"warning: {warning}")
        else:
            for line in said.models:
                _say(console, line, "  ")
            for short, _full in said.warnings:
                _say(console, f"warning: {short}")
    console.print(f"run directory: {run_dir}", markup=False, highlight=False)
    layout = RunDir(run_dir)
    console.print(f"report:        {layout.report}", markup=False, highlight=False)
    console.print(f"timeline:      {layout.timeline}", markup=False, highlight=False)


def summary_json(run_dir: Path, a: RunAnalysis) -> str:
    """`profile --json`: the answer (profiler.answer.Answer's fields), its words and the
    comparison, as one JSON document for scripts (NaN as null)."""
    said = first_screen(a.answer) if a.answer is not None else None
    comparison = a.comparison if a.comparison is not None else pd.DataFrame()
    doc = {
        "run_dir": str(run_dir),
        "report": str(RunDir(run_dir).report),
        "answer": _plain(a.answer.to_json()) if a.answer is not None else None,
        "said": said._asdict() if said is not None else None,
        "comparison": json.loads(comparison.to_json(orient="records")),
    }
    return json.dumps(doc, indent=1, allow_nan=False)


def _plain(value: object) -> object:
    """NaN and infinities as null, all the way down."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_compare(console: Console, result: CompareResult, fmt: str = "text") -> None:
    """NEW against BASE: the verdict and the gate, one line per model, the warnings (the
    differences first); `markdown`: the pull-request summary."""
    if fmt == "markdown":
        console.print(compare_markdown(result), markup=False, highlight=False, soft_wrap=True)
        return
    for difference in result.mismatches:
        _say(console, f"warning: compared anyway, the runs differ in {difference}")
    _say(console, f"{result.title}: {verdict_line(result)}")
    for r in result.table.to_dict("records"):
        _say(console, model_change(r), "  ")
    changed = result.blame.head(3) if result.kind != "profile" else result.blame.head(0)
    for r in changed.to_dict("records"):
        _say(
            console,
            f"  GIL blame {r['function']}: {r['base_waited_s']:.3f} s → {r['new_waited_s']:.3f} s",
        )
    for warning in result.warnings:
        _say(console, f"warning: {warning}")
    console.print(f"comparison:    {RunDir(result.out_dir).report}", markup=False, highlight=False)


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
def step_display(console: Console, detail: str = NORMAL) -> Iterator[ProgressFn]:
    """A progress bar over a profile's runs, one phase at a time (timing runs, observed
    runs); a step's note is printed with --verbose, its brief form without, neither with
    --quiet; yields the function its steps are given to."""
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
                if detail != QUIET:
                    bar.console.print(f"  {step.note}", markup=False, soft_wrap=True)
                return
            bar.update(task_id, description=f"{step.phase} runs")
            last = f"{step.model} r{step.rep}: " + (
                f"{step.wall_s:.3f} s" if step.wall_s is not None else "failed"
            )
            bar.update(task_id, completed=step.done, total=step.total, last=last)
            said = step.note if detail == VERBOSE else step.brief if detail == NORMAL else ""
            if said:
                where = f"{step.model} r{step.rep}: " if step.model else ""
                bar.console.print(f"  {where}{said}", markup=False)

        yield on_progress

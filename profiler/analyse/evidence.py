"""The lines the answer cites: what the observed runs measured (GIL, cores) per model, and
the warnings a run earns (slowed by its recorders, GIL trace cut short, disturbed timings)."""

from __future__ import annotations

import pandas as pd

from profiler.analyse.compare import MIN_RUNS, used_runs
from profiler.spine import DEFAULT_MAX_SLOWDOWN, DEFAULT_SAMPLED_ERROR_PCT, FULL_TRACE_PCT


def known(value: object) -> bool:
    """A number, not NaN."""
    return isinstance(value, int | float) and value == value


def _pct(value: float) -> str:
    return f"{value:.0f}%"


ROLE_LABELS = {"main": "runner process", "worker": "worker process"}
MAX_SAMPLED_ERR_PCT = DEFAULT_SAMPLED_ERROR_PCT  # less sure shares stay out (--sampled-error)


def _gil_line(per: pd.DataFrame, max_err_pct: float = MAX_SAMPLED_ERR_PCT) -> str:
    """GIL held/contended for the runner process, and the workers' median (range).

    Shares whose 95% error exceeds `max_err_pct` points are not shown: the
    line says how many rounds the sampler had instead.
    """
    source = str(per["source"].iloc[0])
    if "gil_unmeasured" in per and per["gil_unmeasured"].notna().any():
        return f"GIL: not measured by {source}: {per['gil_unmeasured'].dropna().iloc[0]}"
    errors = per["gil_busy_err_pct"] if "gil_busy_err_pct" in per else pd.Series(dtype=float)
    unsure = errors.fillna(0.0) > max_err_pct
    if unsure.any():
        rounds = per["sample_rounds"].dropna() if "sample_rounds" in per else pd.Series()
        counted = f" ({int(rounds.min())} rounds)" if len(rounds) else ""
        return (
            f"GIL: too short to measure with {source}{counted}, error above ±{max_err_pct:g} points"
        )
    parts = []
    for role, rows in per.groupby("process_role", sort=True):
        label = ROLE_LABELS.get(str(role), f"{role} process")
        busy = rows["gil_busy_pct"]
        contended = rows["gil_contended_pct"].dropna()
        if len(rows) == 1:
            text = f"{label}: GIL held {_pct(busy.iloc[0])}"
            text += f", contended {_pct(contended.iloc[0])}" if len(contended) else ""
            if errors.notna().any():
                text += f" ±{errors.loc[rows.index].iloc[0]:.1f}"
        else:
            text = (
                f"{len(rows)} {label}es: GIL held median {_pct(busy.median())} "
                f"({_pct(busy.min())}–{_pct(busy.max())})"
            )
        parts.append(text)
    return ", ".join(parts) + f" ({source})"


def gil_evidence(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per model, one line on the GIL and the cores, each naming its source."""
    lines: dict[str, list[str]] = {}
    processes = tables.get("processes")
    if processes is not None and not processes.empty:
        best = processes[
            processes["best"].astype(bool)
            & (
                processes["gil_busy_pct"].notna()
                | processes.get("gil_unmeasured", pd.Series(index=processes.index)).notna()
            )
            & processes["process_role"].isin(("main", "worker"))  # not the helper server
        ]
        comparison = tables.get("comparison")
        max_err = (
            float(comparison["max_sampled_err_pct"].iloc[0])
            if comparison is not None and "max_sampled_err_pct" in comparison and len(comparison)
            else MAX_SAMPLED_ERR_PCT
        )
        for model, per in best.groupby("model", sort=False):
            lines.setdefault(str(model), []).append(_gil_line(per, max_err))
    cores = tables.get("cores")
    if cores is not None and not cores.empty:
        best = cores[cores["best"].astype(bool)]
        for model, per in best.groupby("model", sort=False):
            busy = ", ".join(_pct(v) for v in per["busy_pct"])
            lines.setdefault(str(model), []).append(
                f"cores busy with it {busy} ({per['source'].iloc[0]})"
            )
    for model, line in ceiling_lines(tables).items():
        lines.setdefault(model, []).append(line)
    return {model: "; ".join(parts) for model, parts in lines.items()}


def ceiling_lines(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """threads: the speedup ceiling the GIL puts on them (analyse.blame), from the observed
    run's runner process, next to the speedup the timing runs measured."""
    ceiling, comparison = tables.get("gil_ceiling"), tables.get("comparison")
    if ceiling is None or ceiling.empty or comparison is None or "model" not in ceiling:
        return {}
    rows = ceiling[ceiling["model"] == "threads"]
    if rows.empty:
        return {}
    row = rows.iloc[0]  # the runner process: the threads model's own
    limit, held = float(row["ceiling_speedup"]), float(row["held_fraction"]) * 100.0
    working, cores = int(row["threads_working"]), int(row["cores"])
    blocked = float(row["blocked_s"]) / max(float(row["work_s"]), 1e-9)
    measured = [float(v) for v in comparison.loc[comparison["model"] == "threads", "speedup"]]
    said = f"; measured {measured[0]:.2f}x" if measured and known(measured[0]) else ""
    overlap = (
        f", and blocked {blocked:.1f}x as long as they ran (I/O, sleep), which threads overlap "
        "beyond it"
        if blocked >= 0.1
        else ""
    )
    return {
        "threads": f"the GIL lets the threads' CPU work run at most {limit:.2f}x faster than "
        f"on one thread (held for {held:.0f}% of it, {working} working on {cores} cores; "
        f"perf){overlap}{said}"
    }


OBSERVER_BOUND = DEFAULT_MAX_SLOWDOWN  # a slower observed run describes a disturbed run


def slowdown_bound(row: object) -> float:
    value = getattr(row, "max_slowdown", OBSERVER_BOUND)
    return float(value) if known(value) else OBSERVER_BOUND


def slowed_note(overhead: object, bound: float = OBSERVER_BOUND) -> str:
    """A note on an evidence line whose observed run the recorders slowed beyond the bound."""
    if isinstance(overhead, int | float) and overhead == overhead and overhead > bound:
        return f" [observed run {overhead:.2f}x slower than timed: shares describe a slowed run]"
    return ""


def traced_note(traced_pct: object) -> str:
    """A note on an evidence line whose GIL trace stopped early (its probe budget was spent)."""
    if isinstance(traced_pct, int | float) and traced_pct == traced_pct < FULL_TRACE_PCT:
        return (
            f" [perf traced the GIL for the first {traced_pct:.0f}% of the observed "
            "run: its probe budget was spent; the GIL shares are of that part]"
        )
    return ""


def warnings_for(comparison: pd.DataFrame, timing: pd.DataFrame | None) -> list[str]:
    warnings = []
    if "recording_overhead" in comparison.columns:
        bound = slowdown_bound(next(comparison.itertuples(), None))
        slowed = comparison[comparison["recording_overhead"] > bound]
        if len(slowed):
            which = ", ".join(f"{r.model} {r.recording_overhead:.2f}x" for r in slowed.itertuples())
            warnings.append(
                f"the recorders slowed the observed run beyond {bound:g}x ({which}): "
                "its GIL and core shares describe a slowed run (recorders cost time: perf's "
                "uprobes a few µs per GIL cycle, py-spy CPU time for every process it "
                "samples, on the same cores); the speedups come from unrecorded timing "
                "runs and are not affected"
            )
    if "unprobed" in comparison.columns:
        for r in comparison[comparison["unprobed"].notna()].itertuples():
            warnings.append(
                f"{r.model}: {r.unprobed} (py-spy for the GIL, sampled with its error; procfs "
                f"for the cores); perf's trace is kept in raw/{r.model}-probed/"
            )
    if "gil_traced_pct" in comparison.columns:
        partial = comparison[comparison["gil_traced_pct"] < FULL_TRACE_PCT]
        if len(partial):
            which = ", ".join(f"{r.model} {r.gil_traced_pct:.0f}%" for r in partial.itertuples())
            warnings.append(
                f"perf's GIL probes were stopped part-way through the observed run ({which} "
                "of it traced): the GIL cycles so often that tracing all of it would slow the "
                "run beyond the bound (--max-slowdown); GIL shares are of the traced part, "
                "cores of the whole run"
            )
    few = comparison[comparison["reps"].fillna(0) < MIN_RUNS]
    if len(few):
        warnings.append(
            f"fewer than {MIN_RUNS} timing runs ({', '.join(map(str, few['model']))}): "
            "no interval, so no model is called faster or slower; use REPEAT=5"
        )
    if timing is not None:
        warnings += gil_reenabled(timing)
    if timing is not None and "disturbed" in timing.columns and len(timing):
        used = used_runs(timing)
        bad = used[used["disturbed"].fillna(False).astype(bool)]
        reruns = int((timing["attempt"] > 1).sum()) if "attempt" in timing.columns else 0
        if len(bad):
            worst = float(bad["foreign_busy_pct"].max())
            warnings.append(
                f"{len(bad)} of {len(used)} timing runs were disturbed by other load on the "
                f"machine (up to {worst:.0f}% of the cores) even after {reruns} re-runs: "
                "these verdicts rest on disturbed runs; run again on a quieter machine"
            )
        elif reruns:
            warnings.append(
                f"{reruns} timing runs disturbed by other load on the machine were run again; "
                "the verdicts use the undisturbed re-runs"
            )
    return warnings


def gil_reenabled(timing: pd.DataFrame) -> list[str]:
    """On a free-threaded build: the models whose runs ended with the GIL turned back on."""
    if "gil_enabled_after" not in timing.columns:
        return []
    free = timing["free_threaded"].fillna(False).astype(bool)
    back_on = timing[free & timing["gil_enabled_after"].fillna(False).astype(bool)]
    if back_on.empty:
        return []
    by = sorted(
        {m for text in back_on["gil_enabled_by"].fillna("") for m in str(text).split(", ") if m}
    )
    who = f" by importing {', '.join(by)}" if by else " (the module that did it is not known)"
    models = ", ".join(dict.fromkeys(back_on["model"].astype(str)))
    return [
        f"the GIL was turned back on at run time{who} ({models}): that module has not declared "
        "it can run without the GIL, so these runs measured a free-threaded build running "
        "with a GIL; PYTHON_GIL=0 keeps it off, at the module's own risk"
    ]

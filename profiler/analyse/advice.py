"""The recommendation: which model to use, and the measured reasons."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from profiler.analyse.answer import FULL_TRACE_PCT, Answer
from profiler.analyse.compare import DEFAULT_MARGIN, MIN_RUNS, no_interval, used_runs
from profiler.analyse.observer import DEFAULT_MAX_SLOWDOWN
from profiler.analyse.sampled import DEFAULT_SAMPLED_ERROR_PCT

SIMPLICITY = ("sequential", "asyncio", "threads", "processes")  # simpler first
CPU_FLOOR_S = 0.01  # CPU times within a clock tick of each other are equal
RSS_FLOOR_MB = 1.0


def _verdict_text(verdict: str, margin: float) -> str:
    return {
        "faster": f"the whole interval is above 1 + {margin:.0%}: faster than sequential",
        "slower": f"the whole interval is below 1 − {margin:.0%}: slower than sequential",
        "same": f"the whole interval is within ±{margin:.0%} of 1: the same as sequential",
        "inconclusive": "the interval reaches 1 ± the margin: not distinguishable from sequential",
        "baseline": "no model beat the sequential baseline",
    }.get(verdict, verdict)


def _known(value: object) -> bool:
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
            & processes["gil_busy_pct"].notna()
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
    return {model: "; ".join(parts) for model, parts in lines.items()}


def _fastest_by_wall(comparison: pd.DataFrame, observed: dict[str, str]) -> Answer | None:
    """Without a sequential baseline: the model with the lowest median wall time."""
    ranked = comparison.dropna(subset=["wall_median_s"]).sort_values("wall_median_s")
    if ranked.empty:
        return None
    best = ranked.iloc[0]
    verdict = "no sequential baseline; only one model ran"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        verdict = {
            "slower": f"no sequential baseline; {second['model']} is clearly slower",
            "same": f"no sequential baseline; the same as {second['model']} within the margin",
        }.get(
            str(second.get("vs_fastest")),
            f"no sequential baseline; not distinguishable from {second['model']}"
            + ("" if best["reps"] >= MIN_RUNS else f" ({no_interval(int(best['reps']))})"),
        )
    evidence = [
        f"{row.model!s}: median wall {row.wall_median_s:.3f} s "
        + (
            f"[{row.wall_ci_low_s:.3f}, {row.wall_ci_high_s:.3f}]"
            if _known(row.wall_ci_low_s)
            else "(no interval)"
        )
        + f", peak RSS {row.peak_rss_mb:.0f} MB"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        for row in ranked.itertuples()
    ]
    return Answer(str(best["model"]), float("nan"), float("nan"), float("nan"), verdict, evidence)


def _cheaper(a: pd.Series, b: pd.Series, margin: float) -> str:
    """Why `a` is preferable to `b` ("" when it is not clearly cheaper)."""
    cpu_a, cpu_b = float(a["cpu_s"]), float(b["cpu_s"])
    if cpu_a < cpu_b - max(margin * cpu_b, CPU_FLOOR_S):
        return f"less CPU time ({cpu_a:.2f} s against {cpu_b:.2f} s)"
    if abs(cpu_a - cpu_b) <= max(margin * max(cpu_a, cpu_b), CPU_FLOOR_S):
        rss_a, rss_b = float(a["peak_rss_mb"]), float(b["peak_rss_mb"])
        if rss_a < rss_b - max(margin * rss_b, RSS_FLOOR_MB):
            return f"less memory ({rss_a:.0f} MB peak RSS against {rss_b:.0f} MB)"
    return ""


def _cheapest(rows: list[pd.Series], margin: float) -> pd.Series:
    """Least CPU time, then least memory (each within the margin of the least), then simplest."""

    def near_least(candidates: list[pd.Series], column: str, floor: float) -> list[pd.Series]:
        least = min(float(r[column]) for r in candidates)
        return [r for r in candidates if float(r[column]) <= least + max(margin * least, floor)]

    kept = near_least(rows, "cpu_s", CPU_FLOOR_S)
    kept = near_least(kept, "peak_rss_mb", RSS_FLOOR_MB)

    def simplicity(row: pd.Series) -> int:
        model = str(row["model"])
        return SIMPLICITY.index(model) if model in SIMPLICITY else len(SIMPLICITY)

    return min(kept, key=simplicity)


OBSERVER_BOUND = DEFAULT_MAX_SLOWDOWN  # a slower observed run describes a disturbed run


def _bound(row: object) -> float:
    value = getattr(row, "max_slowdown", OBSERVER_BOUND)
    return float(value) if _known(value) else OBSERVER_BOUND


def _slowed(overhead: object, bound: float = OBSERVER_BOUND) -> str:
    """A note on an evidence line whose observed run the recorders slowed beyond the bound."""
    if isinstance(overhead, int | float) and overhead == overhead and overhead > bound:
        return f" [observed run {overhead:.2f}x slower than timed: shares describe a slowed run]"
    return ""


def _traced(traced_pct: object) -> str:
    """A note on an evidence line whose GIL trace stopped early (its probe budget was spent)."""
    if isinstance(traced_pct, int | float) and traced_pct == traced_pct < FULL_TRACE_PCT:
        return (
            f" [perf traced the GIL for the first {traced_pct:.0f}% of the observed "
            "run: its probe budget was spent; the GIL shares are of that part]"
        )
    return ""


def _warnings(comparison: pd.DataFrame, timing: pd.DataFrame | None) -> list[str]:
    warnings = []
    if "recording_overhead" in comparison.columns:
        bound = _bound(next(comparison.itertuples(), None))
        slowed = comparison[comparison["recording_overhead"] > bound]
        if len(slowed):
            which = ", ".join(f"{r.model} {r.recording_overhead:.2f}x" for r in slowed.itertuples())
            warnings.append(
                f"the recorders slowed the observed run beyond {bound:g}x ({which}): "
                "its GIL and core shares describe a slowed run (perf's uprobes cost a few "
                "µs per GIL cycle; gil_stats.csv has the cycle rate); the speedups come from "
                "unrecorded timing runs and are not affected"
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


def recommend(
    comparison: pd.DataFrame,
    tables: dict[str, pd.DataFrame] | None = None,
    margin: float = DEFAULT_MARGIN,
) -> Answer | None:
    """The cheapest model among those not distinguishable from the fastest, with evidence.

    Ties with the fastest (same within the margin, or inconclusive) are broken by
    CPU time, then peak memory, then the simpler model. When the fastest clearly
    beats sequential, a model whose interval does not is never tied with it.
    """
    tables = tables or {}
    ranked = comparison.dropna(subset=["speedup"]).sort_values("speedup", ascending=False)
    if ranked.empty:
        by_wall = _fastest_by_wall(comparison, gil_evidence(tables))
        warnings = _warnings(comparison, tables.get("timing"))
        return None if by_wall is None else replace(by_wall, warnings=warnings)
    fastest = ranked.iloc[0]
    observed = gil_evidence(tables)
    evidence = [
        f"{row.model!s}: {row.speedup:.2f}x "
        + (
            f"[{row.speedup_ci_low:.2f}, {row.speedup_ci_high:.2f}]"
            if _known(row.speedup_ci_low)
            else "(no interval)"
        )
        + f", CPU {row.cpu_s:.2f} s, CPU/wall {row.parallelism:.2f}, "
        f"peak RSS {row.peak_rss_mb:.0f} MB (timing runs, n={row.reps})"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        + _slowed(row.recording_overhead, _bound(row))
        + _traced(getattr(row, "gil_traced_pct", None))
        for row in ranked.itertuples()
    ]
    clear_win = fastest["vs_sequential"] == "faster"
    ties = [
        row
        for _, row in ranked.iloc[1:].iterrows()
        if row["vs_fastest"] in ("same", "inconclusive")
        and not (clear_win and row["vs_sequential"] != "faster")
    ]
    chosen = _cheapest([fastest, *ties], margin)
    why = ""
    baseline = ranked[ranked["model"] == "sequential"]
    if not clear_win and len(baseline) and fastest["model"] != "sequential":
        chosen = baseline.iloc[0]
        why = (
            f"no model is clearly faster than the sequential baseline (fastest by median: "
            f"{fastest['model']}, {fastest['speedup']:.2f}x, {fastest['vs_sequential']}); "
            "the simplest model wins"
        )
    elif chosen["model"] != fastest["model"]:
        relation = "as fast as" if chosen["vs_fastest"] == "same" else "not distinguishable from"
        reason = _cheaper(chosen, fastest, margin) or "the simpler model"
        why = f"{relation} {fastest['model']} ({fastest['speedup']:.2f}x), with {reason}"
    return Answer(
        model=str(chosen["model"]),
        speedup=float(chosen["speedup"]),
        ci_low=float(chosen["speedup_ci_low"]),
        ci_high=float(chosen["speedup_ci_high"]),
        verdict=_verdict_text(str(chosen["vs_sequential"]), margin)
        if chosen["model"] != "sequential"
        else "the baseline",
        evidence=evidence,
        ties=[str(r["model"]) for r in ties if r["model"] != chosen["model"]]
        + ([str(fastest["model"])] if chosen["model"] != fastest["model"] else []),
        fastest=str(fastest["model"]),
        why=why,
        warnings=_warnings(comparison, tables.get("timing")),
    )

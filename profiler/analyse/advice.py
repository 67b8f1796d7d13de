"""The recommendation: which model to use, and the measured reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Answer:
    model: str
    speedup: float
    ci_low: float
    ci_high: float
    verdict: str
    evidence: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)  # models whose interval overlaps the best's

    @property
    def has_speedup(self) -> bool:
        return self.speedup == self.speedup  # not NaN: there was a sequential baseline

    def headline(self) -> str:
        if not self.has_speedup:
            return f"fastest: {self.model} ({self.verdict})"
        text = (
            f"fastest: {self.model}, {self.speedup:.2f}x the sequential baseline "
            f"(95% interval {self.ci_low:.2f}–{self.ci_high:.2f}x; {self.verdict})"
        )
        if self.ties:
            text += f"; not distinguishable from {', '.join(self.ties)} (intervals overlap)"
        return text


def _verdict_text(verdict: str) -> str:
    return {
        "faster": "the interval excludes 1: faster than sequential",
        "slower": "the interval is below 1: slower than sequential",
        "inconclusive": "the interval includes 1: not distinguishable from sequential",
        "baseline": "no model beat the sequential baseline",
    }.get(verdict, verdict)


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def _gil_line(per: pd.DataFrame) -> str:
    """GIL held/contended for the main process, and the workers' median (range)."""
    parts = []
    for role, rows in per.groupby("process_role", sort=True):
        busy = rows["gil_busy_pct"]
        contended = rows["gil_contended_pct"].dropna()
        if len(rows) == 1:
            text = f"{role}: GIL held {_pct(busy.iloc[0])}"
            text += f", contended {_pct(contended.iloc[0])}" if len(contended) else ""
        else:
            text = (
                f"{len(rows)} {role}s: GIL held median {_pct(busy.median())} "
                f"({_pct(busy.min())}–{_pct(busy.max())})"
            )
        parts.append(text)
    return ", ".join(parts) + f" ({per['source'].iloc[0]})"


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
        for model, per in best.groupby("model", sort=False):
            lines.setdefault(str(model), []).append(_gil_line(per))
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
        verdict = (
            f"no sequential baseline; its wall-time interval is below {second['model']}'s"
            if best["wall_ci_high_s"] < second["wall_ci_low_s"]
            else "no sequential baseline; wall-time intervals overlap: inconclusive"
        )
    evidence = [
        f"{row.model}: median wall {row.wall_median_s:.3f} s "
        f"[{row.wall_ci_low_s:.3f}, {row.wall_ci_high_s:.3f}], peak RSS {row.peak_rss_mb:.0f} MB"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        for row in ranked.itertuples()
    ]
    return Answer(str(best["model"]), float("nan"), float("nan"), float("nan"), verdict, evidence)


def recommend(
    comparison: pd.DataFrame, tables: dict[str, pd.DataFrame] | None = None
) -> Answer | None:
    """The model with the highest median speedup, and one line of evidence per model."""
    ranked = comparison.dropna(subset=["speedup"]).sort_values("speedup", ascending=False)
    if ranked.empty:
        return _fastest_by_wall(comparison, gil_evidence(tables or {}))
    best = ranked.iloc[0]
    observed = gil_evidence(tables or {})
    evidence = [
        f"{row.model}: {row.speedup:.2f}x [{row.speedup_ci_low:.2f}, {row.speedup_ci_high:.2f}], "
        f"CPU/wall {row.parallelism:.2f}, peak RSS {row.peak_rss_mb:.0f} MB "
        f"(timing runs, n={row.reps})"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        for row in ranked.itertuples()
    ]
    ties = [
        str(row.model)
        for row in ranked.iloc[1:].itertuples()
        if row.model != "sequential" and row.speedup_ci_high >= best["speedup_ci_low"]
    ]
    return Answer(
        model=str(best["model"]),
        speedup=float(best["speedup"]),
        ci_low=float(best["speedup_ci_low"]),
        ci_high=float(best["speedup_ci_high"]),
        verdict=_verdict_text(str(best["vs_sequential"])),
        evidence=evidence,
        ties=ties,
    )

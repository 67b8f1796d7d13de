"""The answer a run gives: the recommended model, why, and the evidence (computed once, saved).

profiler.analyse.advice computes it during analysis; it is saved as
tables/advice.csv (one row per item) and in run.json, and every renderer
reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ADVICE_COLUMNS = ["kind", "model", "speedup", "ci_low", "ci_high", "verdict", "text"]


@dataclass(frozen=True)
class Answer:
    """The recommendation, and everything said about it (computed once, rendered anywhere)."""

    model: str  # the recommended model
    speedup: float
    ci_low: float
    ci_high: float
    verdict: str
    evidence: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)  # not distinguishable from the fastest
    fastest: str = ""  # the lowest median wall time, when it is not the recommendation
    why: str = ""  # why the recommendation, when it is not simply the fastest
    warnings: list[str] = field(default_factory=list)

    @property
    def has_speedup(self) -> bool:
        return self.speedup == self.speedup  # not NaN: there was a sequential baseline

    @property
    def has_interval(self) -> bool:
        return self.ci_low == self.ci_low

    def headline(self) -> str:
        if not self.has_speedup:
            return f"fastest: {self.model} ({self.verdict})"
        interval = (
            f"95% interval {self.ci_low:.2f}–{self.ci_high:.2f}x; " if self.has_interval else ""
        )
        lead = "recommended" if self.fastest and self.fastest != self.model else "fastest"
        if self.model == "sequential":
            if self.why:
                return f"{lead}: sequential; {self.why}"
            ties = f"; not distinguishable from {', '.join(self.ties)}" if self.ties else ""
            return f"{lead}: sequential, the baseline: no model beat it{ties}"
        text = (
            f"{lead}: {self.model}, {self.speedup:.2f}x the sequential baseline "
            f"({interval}{self.verdict})"
        )
        if self.why:
            text += f"; {self.why}"
        elif self.ties:
            text += f"; not distinguishable from {', '.join(self.ties)}"
        return text

    def to_table(self) -> pd.DataFrame:
        """advice.csv: the answer's row, then one row per tie, warning and evidence line."""
        rows: list[dict[str, object]] = [
            {
                "kind": "answer",
                "model": self.model,
                "speedup": self.speedup,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "verdict": self.verdict,
                "text": self.headline(),
            },
            {"kind": "fastest", "model": self.fastest, "text": ""},
            {"kind": "why", "text": self.why},
        ]
        rows += [{"kind": "tie", "model": tie, "text": ""} for tie in self.ties]
        rows += [{"kind": "warning", "text": text} for text in self.warnings]
        rows += [{"kind": "evidence", "text": text} for text in self.evidence]
        return pd.DataFrame(rows).reindex(columns=ADVICE_COLUMNS)

    @classmethod
    def from_table(cls, table: pd.DataFrame | None) -> Answer | None:
        """The saved answer (to_table), or None when the run gave none."""
        if table is None or table.empty:
            return None
        head = table[table["kind"] == "answer"].iloc[0]

        def texts(kind: str) -> list[str]:
            return [_text(v) for v in table.loc[table["kind"] == kind, "text"]]

        def models(kind: str) -> list[str]:
            return [_text(v) for v in table.loc[table["kind"] == kind, "model"]]

        return cls(
            model=_text(head["model"]),
            speedup=float(head["speedup"]),
            ci_low=float(head["ci_low"]),
            ci_high=float(head["ci_high"]),
            verdict=_text(head["verdict"]),
            evidence=texts("evidence"),
            ties=models("tie"),
            fastest=next(iter(models("fastest")), ""),
            why=next(iter(texts("why")), ""),
            warnings=texts("warning"),
        )


def _text(value: object) -> str:
    """A cell read back from CSV: empty cells come back as NaN."""
    return "" if value is None or value != value else str(value)


@dataclass(frozen=True)
class ThreadShare:
    """One thread's share of the recorded window, and what measured it."""

    pid: int
    name: str
    pct: float
    source: str  # perf (exact) | py-spy (sampled) | procfs
    err_pct: float | None = None  # a sampled share's 95% error, in points


@dataclass(frozen=True)
class Blamed:
    """The function whose GIL holding made the other threads wait most."""

    function: str
    waited_s: float
    share_pct: float  # of all the waiting the blame could place
    samples: int  # py-spy's samples behind it


@dataclass(frozen=True)
class Ceiling:
    """How much faster the GIL lets one process's threads run than one thread (Amdahl)."""

    pid: int
    held_pct: float  # of the threads' CPU work
    speedup: float
    threads_working: int
    cores: int
    blocked_s: float


@dataclass(frozen=True)
class RecordingAnswer:
    """What a recording (`record`, `attach`) says first: who held the GIL, who waited for
    it, the function that made them wait, and the ceiling (analyse.recording_answer)."""

    window_s: float
    holder: ThreadShare | None = None
    waiter: ThreadShare | None = None
    blamed: Blamed | None = None
    ceiling: Ceiling | None = None

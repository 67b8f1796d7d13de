"""Verdicts of the claims from given measurements."""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.analyse.claim_registry import REGISTRY, judge
from profiler.analyse.claims import (
    claim_1,
    claim_2,
    claim_6,
    claim_7,
    claim_8,
    startup_latency_ms,
)
from profiler.analysis import RunAnalysis
from profiler.orchestrate.claims_run import CLAIM_RUNS


def comparison(rows: list[tuple[str, float, float, float]]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        [
            {
                "model": m,
                "reps": 5,
                "speedup": s,
                "speedup_ci_low": lo,
                "speedup_ci_high": hi,
                "wall_median_s": 1.0 / s,
                "wall_ci_low_s": 0.9 / s,
                "wall_ci_high_s": 1.1 / s,
                "peak_rss_mb": 10.0,
            }
            for m, s, lo, hi in rows
        ]
    )
    return RunAnalysis(comparison=frame)


@pytest.mark.parametrize(
    ("interval", "verdict1", "verdict2"),
    [
        ((0.85, 0.95), "holds", "holds"),
        ((0.9, 1.1), "holds", "inconclusive"),
        ((1.2, 1.4), "inconclusive", "refuted"),
        ((1.5, 1.9), "refuted", "refuted"),
    ],
)
def test_cpu_thread_claims_follow_the_interval(
    interval: tuple[float, float], verdict1: str, verdict2: str
) -> None:
    runs = {"cpu": comparison([("threads", sum(interval) / 2, *interval)])}
    assert claim_1(runs).verdict == verdict1
    assert claim_2(runs).verdict == verdict2
    assert "[" in claim_1(runs).measured  # the interval is stated


def test_missing_scenario_is_inconclusive_and_says_why() -> None:
    claim = claim_7({})
    assert claim.verdict == "inconclusive" and claim.evidence == "not measured: ipc under processes"


def test_startup_latency_is_the_median_first_task_start_per_worker() -> None:
    tasks = pd.DataFrame(
        {
            "model": ["processes"] * 4 + ["threads"] * 2,
            "rep": [1, 1, 1, 2, 1, 1],
            "pid": [10, 10, 11, 12, 1, 1],
            "tid": [10, 10, 11, 12, 2, 3],
            "start_s": [0.020, 0.030, 0.040, 0.060, 0.0001, 0.0003],
        }
    )
    assert startup_latency_ms(tasks, "processes") == pytest.approx(40.0)  # median of 20, 40, 60
    assert startup_latency_ms(tasks, "threads") == pytest.approx(0.2)
    claim = claim_6({"spawn:fork": RunAnalysis(tasks=tasks)})
    assert claim.verdict == "holds" and "fork: process 40.00 ms" in claim.measured


def test_fanout_memory_claim() -> None:
    runs = {"fanout": comparison([("asyncio", 1.0, 1.0, 1.0), ("threads", 1.0, 1.0, 1.0)])}
    runs["fanout"]["comparison"].loc[0, "peak_rss_mb"] = 40.0
    runs["fanout"]["comparison"].loc[1, "peak_rss_mb"] = 120.0
    runs["fanout"].timing = pd.DataFrame({"tasks": [2000]})
    assert claim_8(runs).verdict == "holds"
    runs["fanout"]["comparison"].loc[0, "peak_rss_mb"] = 150.0
    assert claim_8(runs).verdict == "refuted"


def test_judge_returns_every_claim_once() -> None:
    claims = judge({})
    assert list(claims["claim_id"]) == list(range(1, 16))
    assert set(claims["verdict"]) == {"inconclusive"}


def test_every_claim_names_runs_that_the_claims_command_makes() -> None:
    # GIVEN the claims' registry and the runs `concprof claims` makes
    made = {run.key for run in CLAIM_RUNS}
    needed = {key for spec in REGISTRY for key in spec.needs}
    # THEN every run a claim needs is made, and no run is made that no claim needs
    assert needed == made
    # AND the claims are numbered once each, in order
    assert [spec.claim_id for spec in REGISTRY] == list(range(1, len(REGISTRY) + 1))
    # AND a judged claim says which of its runs it came from
    for spec in REGISTRY:
        scenario = spec.judge({}).scenario
        assert any(key.split(":")[0] in scenario for key in spec.needs), (spec, scenario)

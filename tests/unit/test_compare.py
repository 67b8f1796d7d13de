"""Speedups and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from profiler.analyse.compare import COMPARISON_COLUMNS, bootstrap_medians, compare, verdict


def timing(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model": m,
                "rep": i + 1,
                "wall_s": w,
                "user_s": w,
                "sys_s": 0.0,
                "max_rss_mb": 10.0,
                "tasks": 4,
                "ok": True,
            }
            for i, (m, w) in enumerate(rows)
        ]
    )


def test_constant_runs_give_exact_speedup_and_zero_width_intervals() -> None:
    # GIVEN sequential runs of 2 s and threads runs of 1 s
    frame = timing([("sequential", 2.0)] * 3 + [("threads", 1.0)] * 3)
    # WHEN compared
    result = compare(frame)
    # THEN threads is exactly 2x faster, with an interval of zero width
    expected = pd.DataFrame(
        {
            "model": ["sequential", "threads"],
            "reps": [3, 3],
            "wall_median_s": [2.0, 1.0],
            "wall_ci_low_s": [2.0, 1.0],
            "wall_ci_high_s": [2.0, 1.0],
            "speedup": [1.0, 2.0],
            "speedup_ci_low": [1.0, 2.0],
            "speedup_ci_high": [1.0, 2.0],
            "vs_sequential": ["baseline", "faster"],
            "vs_fastest": ["slower", "fastest"],
            "cpu_s": [2.0, 1.0],
            "parallelism": [1.0, 1.0],
            "peak_rss_mb": [10.0, 10.0],
            "disturbed_reps": [0, 0],
            "recording_overhead": [np.nan, np.nan],
        }
    )
    assert_frame_equal(result, expected, check_dtype=False)


def test_overlapping_runs_are_inconclusive() -> None:
    frame = timing(
        [("sequential", w) for w in (1.0, 1.2, 0.9, 1.1, 1.05)]
        + [("threads", w) for w in (1.1, 0.95, 1.15, 1.0, 1.02)]
    )
    row = compare(frame).set_index("model").loc["threads"]
    assert row["speedup_ci_low"] < 1.0 < row["speedup_ci_high"]
    assert row["vs_sequential"] == "inconclusive"


def test_failed_runs_are_left_out() -> None:
    frame = timing([("sequential", 1.0), ("sequential", 100.0), ("threads", 0.5)])
    frame.loc[1, "ok"] = False
    row = compare(frame).set_index("model")
    assert row.loc["sequential", "reps"] == 1
    assert row.loc["threads", "speedup"] == pytest.approx(2.0)


def test_without_baseline_speedup_is_missing() -> None:
    result = compare(timing([("threads", 1.0)] * 2))
    assert list(result.columns) == COMPARISON_COLUMNS
    assert result["speedup"].isna().all()


def test_bootstrap_is_reproducible_and_within_the_data() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0])
    a = bootstrap_medians(values, np.random.default_rng(1))
    b = bootstrap_medians(values, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.min() >= 1.0 and a.max() <= 10.0


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(1.1, 2.0, "faster"), (0.5, 0.9, "slower"), (0.9, 1.1, "inconclusive"), (np.nan, 1.0, "n/a")],
)
def test_verdict(low: float, high: float, expected: str) -> None:
    assert verdict(low, high) == expected


def test_recommendation_names_models_it_cannot_tell_apart() -> None:
    from profiler.analyse.advice import recommend

    # GIVEN threads and asyncio with overlapping speedup intervals, processes clearly behind
    frame = timing(
        [("sequential", w) for w in (3.30, 3.31, 3.29)]
        + [("threads", w) for w in (0.222, 0.231, 0.223)]
        + [("asyncio", w) for w in (0.225, 0.219, 0.226)]
        + [("processes", w) for w in (0.30, 0.28, 0.29)]
    )
    answer = recommend(compare(frame))
    assert answer is not None
    # THEN the answer names the fastest, and says the other is not distinguishable from it
    assert answer.ties == ["threads" if answer.model == "asyncio" else "asyncio"]
    from profiler.render.wording import headline

    assert "not distinguishable from" in headline(answer)
    assert "processes" not in answer.ties

"""Honest verdicts on synthetic timing samples: margins, run counts, ties and disturbance."""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.analyse import disturbance
from profiler.analyse.advice import recommend
from profiler.analyse.compare import compare
from profiler.answer import Answer
from profiler.render.wording import caveat_text, headline, why_text


def warnings_of(answer: Answer) -> list[str]:
    return [caveat_text(c) for c in answer.caveats]


def timing(rows: list[tuple[str, float, float]], **extra: object) -> pd.DataFrame:
    """One timing run per (model, wall s, peak RSS MB); CPU time equals wall time."""
    reps: dict[str, int] = {}
    records = []
    for model, wall, rss in rows:
        reps[model] = reps.get(model, 0) + 1
        records.append(
            {
                "model": model,
                "rep": reps[model],
                "attempt": 1,
                "wall_s": wall,
                "user_s": wall,
                "sys_s": 0.0,
                "max_rss_mb": rss,
                "tasks": 8,
                "ok": True,
                **extra,
            }
        )
    return pd.DataFrame(records)


def runs(model: str, walls: tuple[float, ...], rss: float = 20.0) -> list[tuple[str, float, float]]:
    return [(model, w, rss) for w in walls]


def test_equal_medians_are_the_same() -> None:
    # GIVEN threads timed exactly like sequential
    frame = timing(runs("sequential", (1.0, 1.01, 0.99)) + runs("threads", (1.0, 1.01, 0.99)))
    row = compare(frame).set_index("model").loc["threads"]
    # THEN threads is "same", neither faster nor slower
    assert row["vs_sequential"] == "same"


def test_one_percent_faster_with_a_tight_interval_is_the_same() -> None:
    frame = timing(
        runs("sequential", (1.010, 1.011, 1.009, 1.010, 1.010))
        + runs("threads", (1.000, 1.001, 0.999, 1.000, 1.000))
    )
    row = compare(frame).set_index("model").loc["threads"]
    # 1.01x, its interval well inside ±5%: "same", not "1.01x faster"
    assert row["speedup"] == pytest.approx(1.01, abs=0.001)
    assert row["vs_sequential"] == "same"


def test_a_whole_interval_beyond_the_margin_is_faster() -> None:
    frame = timing(runs("sequential", (2.0, 2.02, 1.98)) + runs("threads", (1.0, 1.01, 0.99)))
    assert compare(frame).set_index("model").loc["threads", "vs_sequential"] == "faster"


def test_one_run_gives_no_interval_and_no_verdict() -> None:
    # GIVEN REPEAT=1
    frame = timing(runs("sequential", (2.0,)) + runs("threads", (1.0,)))
    comparison = compare(frame).set_index("model")
    # THEN a speedup, but no interval and no significance wording
    assert comparison.loc["threads", "speedup"] == pytest.approx(2.0)
    assert comparison[["speedup_ci_low", "wall_ci_low_s"]].loc["threads"].isna().all()
    assert comparison.loc["threads", "vs_sequential"] == "one run: no interval"
    answer = recommend(comparison.reset_index())
    assert answer is not None
    title = headline(answer)
    assert "one run: no interval" in title
    assert "95%" not in title and "faster than sequential" not in title
    assert any("fewer than 3 timing runs" in w for w in warnings_of(answer))


def test_a_tie_is_broken_by_memory() -> None:
    # GIVEN processes and threads equally fast, processes with twice the memory
    frame = timing(
        runs("sequential", (2.0, 2.01, 1.99))
        + runs("processes", (1.000, 1.004, 0.998), rss=81.0)
        + runs("threads", (1.002, 1.001, 0.999), rss=42.0)
    )
    answer = recommend(compare(frame))
    assert answer is not None
    # THEN threads is recommended, and the answer says why
    assert answer.model == "threads"
    why = why_text(answer.why)
    assert "as fast as processes" in why and "less memory (42 MB" in why


def test_a_model_not_beating_sequential_is_never_tied_with_a_clear_winner() -> None:
    # GIVEN processes at ~1.9x, and asyncio whose wide interval includes 1.0
    frame = timing(
        runs("sequential", (1.9, 1.91, 1.89, 1.9, 1.9))
        + runs("processes", (1.0, 1.01, 0.99, 1.0, 1.0), rss=80.0)
        + runs("asyncio", (1.0, 1.95, 1.9, 0.98, 1.92), rss=20.0)
    )
    comparison = compare(frame)
    answer = recommend(comparison)
    assert answer is not None
    # THEN processes is the answer, though asyncio would be cheaper
    assert comparison.set_index("model").loc["asyncio", "vs_sequential"] != "faster"
    assert answer.model == "processes" and "asyncio" not in answer.ties


def test_no_clear_winner_recommends_sequential() -> None:
    frame = timing(runs("sequential", (1.0, 1.1, 0.95)) + runs("threads", (0.97, 1.08, 0.9)))
    answer = recommend(compare(frame))
    assert answer is not None and answer.model == "sequential"
    assert "no model is clearly faster" in headline(answer)


def test_foreign_load_beyond_the_limit_marks_a_run_disturbed() -> None:
    # GIVEN a 1 s run on 2 cores using 1 CPU-second while the machine was busy for 1.6 s
    busy = disturbance.foreign_load(1.6, 1.0, 1.0, 2, 0.01)
    # THEN 30% of the machine was other work: disturbed; 0.02 s more is within resolution
    assert busy.foreign_busy_pct == pytest.approx(30.0) and busy.disturbed
    assert not disturbance.foreign_load(1.02, 1.0, 1.0, 2, 0.01).disturbed


def test_a_disturbed_repeat_is_flagged_and_its_rerun_is_used() -> None:
    # GIVEN rep 2 of threads disturbed on its first attempt, then run again quietly
    frame = timing(
        runs("sequential", (2.0, 2.0, 2.0)) + runs("threads", (1.0, 1.6, 1.0)),
        machine_busy_s=0.0,
        helper_cpu_s=0.0,
        cores=2,
        clock_tick_s=0.01,
    )
    frame["machine_busy_s"] = frame["wall_s"]  # each run's own CPU: no foreign load
    frame.loc[4, "machine_busy_s"] = 1.6 + 1.2  # 1.2 CPU-seconds of someone else's work
    rerun = frame.loc[[4]].assign(attempt=2, wall_s=1.0, user_s=1.0, machine_busy_s=1.0)
    marked = disturbance.mark(pd.concat([frame, rerun], ignore_index=True))
    # THEN the disturbed attempt is flagged and not used; its re-run is
    first = marked[(marked["model"] == "threads") & (marked["rep"] == 2)]
    assert first["disturbed"].tolist() == [True, False] and first["used"].tolist() == [False, True]
    comparison = compare(marked).set_index("model")
    assert comparison.loc["threads", "wall_median_s"] == 1.0
    answer = recommend(comparison.reset_index(), marked)
    assert answer is not None
    assert any("run again" in w and "undisturbed re-runs" in w for w in warnings_of(answer))


def test_verdicts_resting_on_disturbed_runs_are_said_so() -> None:
    frame = timing(
        runs("sequential", (2.0, 2.0, 2.0)) + runs("threads", (1.0, 1.0, 1.0)),
        helper_cpu_s=0.0,
        cores=2,
        clock_tick_s=0.01,
    )
    frame["machine_busy_s"] = frame["wall_s"] * 2  # another program kept a core busy
    marked = disturbance.mark(frame)
    assert marked["disturbed"].all()
    answer = recommend(compare(marked), marked)
    assert answer is not None
    assert any("verdicts rest on disturbed runs" in w for w in warnings_of(answer))

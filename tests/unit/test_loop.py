"""The event loop's tables, evidence and words, on recorded monitor output.

tests/data/loop_blocks: the start-up hook's report of a program (tests/integration/
test_loop.py's BLOCKS) whose coroutines block 8 times each in parse (30 ms of pure
Python) and nap (time.sleep of 40 ms), waking 20 tickers behind them each round.
tests/data/loop_profile: the tables of a `profile blocking --size quick` run (asyncio
blocked 84% of its loop's window by render_invoice) and its comparison.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from profiler.analyse import loop
from profiler.analyse.evidence import causes_for, loop_evidence, loop_of
from profiler.answer import ModelEvidence, RecordingAnswer
from profiler.render.wording import cause_text, recording_lines

DATA = Path(__file__).parent.parent / "data"


def test_stalls_are_timed_and_blamed_on_the_programs_innermost_function() -> None:
    loops = loop.recorded_loops(DATA / "loop_blocks")
    assert len(loops) == 1
    t0 = loops[0].first_ns
    stalls = loop.stalls(loops, t0)
    stats = loop.stats(loops)
    blockers = loop.blockers(stalls, stats)
    total_ms = stalls.groupby("function")["duration_us"].sum() / 1e3
    # a stall lasts at least its blocking call and at most 10% longer
    assert 8 * 30 <= total_ms["parse"] <= 8 * 30 * 1.1
    assert 8 * 40 <= total_ms["nap"] <= 8 * 40 * 1.1
    assert (stalls["start_us"] >= 0).all() and (stalls["samples"] > 0).all()
    assert set(zip(stalls["function"], stalls["coroutine"], strict=True)) == {
        ("parse", "parser"),
        ("nap", "napper"),
    }
    # the stack runs from the task's coroutine down: the loop's machinery is left out
    assert set(stalls["stack"]) == {
        "parser (blocks.py);parse (blocks.py)",
        "napper (blocks.py);nap (blocks.py)",
    }
    assert list(blockers["function"]) == ["nap", "parse"]
    assert blockers["blocked_s"].sum() == stats["blocked_s"].sum()
    (row,) = stats.to_dict("records")
    assert row["stalls"] == 16 and 0 < row["blocked_pct"] <= 100
    assert row["lag_p50_ms"] <= row["lag_p95_ms"] <= row["lag_p99_ms"] <= row["lag_max_ms"]
    lag = loop.lag(loops, t0)
    assert lag["callbacks"].sum() == row["steps"]  # every callback in one bin
    assert abs(lag["lag_max_ms"].max() - row["lag_max_ms"]) < 1e-6


def test_a_recordings_answer_says_what_blocked_the_loop_and_what_to_change() -> None:
    loops = loop.recorded_loops(DATA / "loop_blocks")
    stalls, stats = loop.stalls(loops, 0), loop.stats(loops)
    found = loop_of(stats, loop.blockers(stalls, stats))
    assert found is not None and found.blocker == "nap" and found.blocker_stalls == 8
    assert found.blocker_cpu_pct < 50  # it sleeps: its CPU clock hardly moved
    (line,) = [s for s in recording_lines(RecordingAnswer(1.0, loop=found)) if "event loop" in s]
    assert "by nap (blocks.py:" in line and "asyncio.to_thread" in line


def test_a_profiles_blocked_loop_is_the_cause_with_a_prediction_without_it() -> None:
    stats = pd.read_csv(DATA / "loop_profile" / "loop_stats.csv")
    blockers = pd.read_csv(DATA / "loop_profile" / "loop_blockers.csv")
    comparison = pd.read_csv(DATA / "loop_profile" / "comparison.csv")
    found = loop_evidence(stats, blockers, comparison, cores=2)["asyncio"]
    assert found.blocker == "render_invoice" and found.blocker_cpu_pct > 50
    # the stated model, from the same numbers
    walls = comparison.set_index("model")["wall_median_s"]
    f = float(stats["blocked_s"].sum() / stats["window_s"].sum())
    c = f * found.cpu_pct / 100.0
    assert found.at_best is not None and found.without_waits is not None
    assert abs(found.at_best - walls["sequential"] / (walls["asyncio"] * max(1 - f, c / 2))) < 1e-9
    assert abs(found.without_waits - walls["sequential"] / (walls["asyncio"] * (1 - f + c))) < 1e-9
    assert found.at_best > found.without_waits  # it computes: a thread would not help much
    speedup = float(comparison.set_index("model").loc["asyncio", "speedup"])
    (cause,) = causes_for([ModelEvidence("asyncio", speedup=speedup, loop=found)], cores=2)
    said = cause_text(cause)
    assert said.startswith(f"asyncio {speedup:.2f}x: the event loop was blocked 84% of the run")
    assert "render_invoice" in said and "process pool" in said


def test_a_loop_blocked_less_than_a_tenth_of_its_run_is_no_cause() -> None:
    stats = pd.read_csv(DATA / "loop_profile" / "loop_stats.csv")
    comparison = pd.read_csv(DATA / "loop_profile" / "comparison.csv")
    calm = stats.assign(blocked_s=stats["window_s"] * 0.05, blocked_pct=5.0)
    found = loop_evidence(calm, None, comparison)["asyncio"]
    assert causes_for([ModelEvidence("asyncio", speedup=3.0, loop=found)], cores=2) == []

"""The GIL probes' budget: how much trace a bound allows, and what a stopped trace covers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from profiler.analyse.evidence import caveats_for, traced_part
from profiler.answer import ModelEvidence
from profiler.orchestrate.within_bound import longer_window
from profiler.recorders.perf.checks import check
from profiler.recorders.perf.gil import gil_intervals, process_shares, state_shares
from profiler.recorders.perf.gil_trace import (
    EVENT_BYTES,
    MAX_TRACE_BYTES,
    MIN_TRACE_BYTES,
    PROBE_HIT_COST_S,
    STOP_COST_S,
    budget_bytes,
)
from profiler.recorders.perf.load import load_perf
from profiler.recorders.perf.tables import gil_trace_end, sched_trace_end
from profiler.recorders.sampling import MAX_PASSES
from profiler.render.wording import caveat_text, evidence_line
from profiler.spine import Observed
from tests.conftest import DATA

TRACE = DATA / "gil_threads"


def test_the_budget_is_the_trace_its_probe_cost_buys_within_limits() -> None:
    # a second of allowed slowdown buys (1 s - the stop) / 3 µs records of 83 bytes
    wanted = int((1.0 - STOP_COST_S) / PROBE_HIT_COST_S * EVENT_BYTES)
    assert budget_bytes(1.0) == max(MIN_TRACE_BYTES, min(MAX_TRACE_BYTES, wanted))
    # a tiny budget still records something; a huge one no more than the maximum
    assert budget_bytes(0.001) == MIN_TRACE_BYTES
    assert budget_bytes(3600.0) == MAX_TRACE_BYTES
    assert budget_bytes(None) == MAX_TRACE_BYTES


def test_a_stopped_trace_ends_the_gil_window_where_it_stopped() -> None:
    assert gil_trace_end({"gil_trace": {"stopped_ns": 500}}, 1000) == 500
    assert gil_trace_end({"gil_trace": {"stopped_ns": None}}, 1000) == 1000
    assert gil_trace_end({"gil_trace": {"stopped_ns": 2000}}, 1000) == 1000  # after the run
    assert gil_trace_end(None, 1000) == 1000  # a run recorded before budgets existed


def test_shares_of_a_half_traced_window_are_of_the_traced_half() -> None:
    # GIVEN a real perf trace of the gil scenario under threads, cut at half its window
    doc = json.loads((TRACE / "observed.json").read_text())
    events = load_perf(TRACE / "perf.txt")
    t0, t1 = int(doc["start_ns"]), int(doc["end_ns"])
    half = gil_trace_end({"gil_trace": {"stopped_ns": (t0 + t1) // 2}}, t1)
    window_us = (half - t0) / 1e3
    intervals = gil_intervals(events, doc["pid"], t0, half)
    # THEN no interval reaches past the cut, the trace before it is consistent,
    assert intervals["end_us"].max() <= window_us + 1e-6
    assert check(intervals, events[events["t_ns"] <= half]).ok
    # AND the process's threads hold the GIL at most 100% of the traced window
    shares = state_shares(intervals, window_us)
    held = shares["hold_pct"] + shares["hold_preempted_pct"]
    assert held.groupby(shares["pid"]).sum().max() <= 100.0 + 1e-6
    busy = process_shares(intervals, window_us)
    assert busy["gil_busy_pct"].max() <= 100.0 + 1e-6
    # and the spinner, which holds it most of every stretch of the run, still does
    names = {t["tid"]: t["name"] for t in doc["threads"]}
    spinner = held[shares["tid"].map(names) == "spinner"]
    assert float(spinner.iloc[0]) > 50.0


def test_an_event_reported_twice_is_loaded_once(tmp_path: Path) -> None:
    line = "723/726 [000] 10844.119460655: concprof1:take_gil_ret_c1__return: (7f->7f)\n"
    (tmp_path / "perf.txt").write_text(line + line)
    assert len(load_perf(tmp_path / "perf.txt")) == 1


def warnings_for(comparison: pd.DataFrame, timing: pd.DataFrame | None) -> list[str]:
    """The warnings a report shows for these comparison rows (a perf trace)."""
    return [caveat_text(c) for c in caveats_for(comparison, timing, "perf")]


def test_a_partial_trace_is_disclosed_in_the_evidence_and_the_warnings() -> None:
    line = evidence_line(
        ModelEvidence("threads", reps=5, speedup=1.5, traced_pct=38.2, trace_source="perf")
    )
    assert "perf traced the GIL for the first 38% of the observed run" in line
    assert traced_part(38.2) == 38.2
    assert traced_part(100.0) is None and traced_part(float("nan")) is None
    assert traced_part(None) is None
    comparison = pd.DataFrame(
        {
            "model": ["sequential", "threads"],
            "recording_overhead": [1.2, 1.4],
            "max_slowdown": [1.5, 1.5],
            "gil_traced_pct": [31.0, 100.0],
            "reps": [5, 5],
        }
    )
    warnings = warnings_for(comparison, None)
    assert any("sequential 31%" in w and "stopped part-way" in w for w in warnings), warnings
    assert not any("slowed the observed run" in w for w in warnings)


@pytest.mark.parametrize("bound", [1.2, 2.0])
def test_the_slowdown_warning_uses_the_runs_own_bound(bound: float) -> None:
    comparison = pd.DataFrame(
        {
            "model": ["sequential"],
            "recording_overhead": [1.6],
            "max_slowdown": [bound],
            "reps": [5],
        }
    )
    slowed = any("slowed the observed run" in w for w in warnings_for(comparison, None))
    assert slowed == (bound < 1.6)


def observed(wall_s: float, passes: int = 1, stopped: bool = True) -> Observed:
    return Observed(
        model="sequential", ok=True, wall_s=wall_s, passes=passes, gil_trace_stopped=stopped
    )


def test_a_short_run_slowed_by_the_probes_is_observed_again_over_a_longer_window() -> None:
    # a 0.27 s run observed in 0.43 s (1.6x, beyond 1.5x) whose GIL trace stopped part-way:
    # again over passes long enough that stopping perf (0.3 s) fits the budget four times
    window_s = 4 * STOP_COST_S / (1.5 - 1.0)
    passes = longer_window(observed(0.43), 0.27, 1.5, 600.0, STOP_COST_S)
    assert passes == math.ceil(window_s / 0.27) and passes > 1
    # within the bound, or a trace that covered the whole run: once is enough
    assert longer_window(observed(0.40), 0.27, 1.5, 600.0, STOP_COST_S) == 1
    assert longer_window(observed(0.43, stopped=False), 0.27, 1.5, 600.0, STOP_COST_S) == 1
    # never more than MAX_PASSES, never more than half the timeout allows
    assert longer_window(observed(0.02), 0.01, 1.5, 600.0, STOP_COST_S) == MAX_PASSES
    assert (
        longer_window(observed(0.43), 0.27, 1.5, 0.5, STOP_COST_S) == 1
    )  # 2 passes: beyond half of 0.5 s
    # a run already that long is not repeated
    assert longer_window(observed(0.43 * 9, passes=9), 0.27, 1.5, 600.0, STOP_COST_S) == 1


def test_a_capped_sched_trace_ends_where_every_core_still_has_its_switches() -> None:
    # GIVEN switches on two cores; perf stopped at its cap mid-drain: core 1's last is earlier
    events = pd.DataFrame(
        {
            "t_ns": [100, 200, 900, 150, 500],
            "cpu": [0, 0, 0, 1, 1],
            "kind": ["switch"] * 5,
        }
    )
    capped = {"sched_trace": {"capped": True}}
    # THEN the trace ends at the earliest core's last switch (after it, core 1 is unknown)
    assert sched_trace_end(capped, events, 10_000) == 500
    # AND a trace that was not capped covers the run
    assert sched_trace_end({"sched_trace": {"capped": False}}, events, 10_000) == 10_000
    assert sched_trace_end(None, events, 10_000) == 10_000


def test_shares_from_a_run_without_perf_are_disclosed() -> None:
    comparison = pd.DataFrame(
        {
            "model": ["sequential", "threads"],
            "recording_overhead": [1.2, 1.3],
            "reps": [5, 5],
            "unprobed": [
                "the observed run with perf was 2.10x slower than timed over 9 passes, beyond "
                "1.5x; without perf 1.20x: the shares come from the run without perf, the less "
                "disturbed one",
                float("nan"),
            ],
        }
    )
    warnings = warnings_for(comparison, None)
    said = [w for w in warnings if "without perf" in w]
    assert len(said) == 1 and said[0].startswith("sequential: the observed run with perf"), warnings
    assert "raw/sequential-probed/" in said[0]

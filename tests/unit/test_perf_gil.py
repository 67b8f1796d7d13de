"""perf loader and the exact GIL state machine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from profiler.recorders.cores import cpu_spans_from_switches
from profiler.recorders.perf.checks import check, gil_stats
from profiler.recorders.perf.gil import (
    gil_intervals,
    process_shares,
    state_shares,
    thread_intervals,
)
from profiler.recorders.perf.load import load_perf, parse_line
from tests.conftest import DATA

TRACE = DATA / "gil_threads"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            " 8140/8145  [001]  1093.071044703:  concprof1:take_gil: (7f0b24f7b0)",
            (1093071044703, 8140, 8145, 1, "take", -1, -1, ""),
        ),
        (
            " 8140/8145  [000]  1093.000000100:  concprof1:take_gil_ret__return: (7f <- 7f)",
            (1093000000100, 8140, 8145, 0, "acquired", -1, -1, ""),
        ),
        (
            "  0/0  [001]  5.5: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 "
            "prev_state=R ==> next_comm=my thread next_pid=42 next_prio=120",
            (5500000000, 0, 0, 1, "switch", 0, 42, "R"),
        ),
        (
            " 7/7 [000] 1.000000001: sched:sched_process_fork: comm=python3 pid=7 "
            "child_comm=python3 child_pid=9",
            (1000000001, 7, 7, 0, "fork", 7, 9, ""),
        ),
        (" 7/7 [000] 1.0: probe:other_function: (1)", None),
        ("not a perf line", None),
    ],
)
def test_parse_line_follows_the_grammar(line: str, expected: tuple[object, ...] | None) -> None:
    assert parse_line(line) == expected


def test_state_machine_on_a_known_stream() -> None:
    # GIVEN a thread that asks for the GIL at 0, gets it at 1 ms, is preempted 3-4 ms,
    # drops it at 5 ms, runs native code until 6 ms and then sleeps
    ms = 1_000_000
    stream = [
        (0, "on", 0),
        (0, "take", -1),
        (1 * ms, "acquired", -1),
        (3 * ms, "off", 0),
        (4 * ms, "on", 1),
        (5 * ms, "drop", -1),
        (6 * ms, "off", 1),
    ]
    # WHEN its intervals are built over [0, 10 ms]
    result = thread_intervals(stream, 0, 10 * ms)
    # THEN each state covers exactly its span
    assert result == [
        ("wait", 0, 1 * ms),
        ("hold", 1 * ms, 3 * ms),
        ("hold_preempted", 3 * ms, 4 * ms),
        ("hold", 4 * ms, 5 * ms),
        ("nogil_running", 5 * ms, 6 * ms),
        ("blocked", 6 * ms, 10 * ms),
    ]


def test_state_before_the_first_event_is_inferred() -> None:
    # GIVEN a thread first seen going off CPU at 1 ms and dropping the GIL at 2 ms:
    # it was holding the GIL (first GIL event is a drop) and running (first CPU event is off)
    ms = 1_000_000
    result = thread_intervals([(1 * ms, "off", 0), (2 * ms, "drop", -1)], 0, 4 * ms)
    # THEN it held the GIL while descheduled until the drop, then slept
    assert result == [("hold_preempted", 1 * ms, 2 * ms), ("blocked", 2 * ms, 4 * ms)]


def test_a_migration_stamped_out_of_order_keeps_the_thread_on_cpu() -> None:
    # GIVEN a thread moved from core 0 to core 1, whose switch-in on core 1 (at 2 ms)
    # is stamped 10 us before its switch-out on core 0
    ms, us = 1_000_000, 1_000
    stream = [(0, "on", 0), (0, "acquired", -1), (2 * ms, "on", 1), (2 * ms + 10 * us, "off", 0)]
    # THEN it is running on core 1 the whole time, not preempted
    assert thread_intervals(stream, 0, 5 * ms) == [("hold", 0, 5 * ms)]


def synthetic_trace(tmp_path: Path) -> Path:
    """Two threads of pid 10 hand the GIL over; times in ms from 1 s."""
    lines = [
        " 1/1 [000] 0.999000000: sched:sched_process_fork: comm=sh pid=1 child_comm=py child_pid=10",
        " 10/10 [000] 1.000000000: sched:sched_switch: prev_comm=py prev_pid=0 prev_prio=1 "
        "prev_state=R ==> next_comm=py next_pid=10 next_prio=1",
        " 10/10 [000] 1.000000000: g:take_gil: (1)",
        " 10/10 [000] 1.000000000: g:take_gil_ret__return: (1 <- 2)",
        " 10/11 [001] 1.000000000: sched:sched_switch: prev_comm=x prev_pid=0 prev_prio=1 "
        "prev_state=R ==> next_comm=py next_pid=11 next_prio=1",
        " 10/11 [001] 1.001000000: g:take_gil: (1)",
        " 10/10 [000] 1.004000000: g:drop_gil: (1)",
        " 10/11 [001] 1.004500000: g:take_gil_ret__return: (1 <- 2)",
        " 10/10 [000] 1.005000000: sched:sched_switch: prev_comm=py prev_pid=10 prev_prio=1 "
        "prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=1",
        " 10/11 [001] 1.008000000: g:drop_gil: (1)",
    ]
    path = tmp_path / "perf.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_gil_intervals_of_a_hand_over(tmp_path: Path) -> None:
    events = load_perf(synthetic_trace(tmp_path))
    t0, t1 = 1_000_000_000, 1_010_000_000
    intervals = gil_intervals(events, root_pid=10, t0_ns=t0, t1_ns=t1)
    expected = pd.DataFrame(
        [
            (10, 10, "hold", 0.0, 4000.0),
            (10, 10, "nogil_running", 4000.0, 5000.0),
            (10, 10, "blocked", 5000.0, 10000.0),
            (10, 11, "nogil_running", 0.0, 1000.0),
            (10, 11, "wait", 1000.0, 4500.0),
            (10, 11, "hold", 4500.0, 8000.0),
            (10, 11, "nogil_running", 8000.0, 10000.0),
        ],
        columns=["pid", "tid", "state", "start_us", "end_us"],
    )
    assert_frame_equal(intervals, expected)
    assert check(intervals, events).ok
    shares = state_shares(intervals).set_index("tid")
    assert shares.loc[11, "wait_pct"] == pytest.approx(35.0)
    busy = process_shares(intervals, window_us=10_000.0)
    assert busy.loc[0, "gil_busy_pct"] == pytest.approx(75.0)  # 0-4 ms and 4.5-8 ms
    stats = gil_stats(events, intervals, t0, t1).set_index("tid")
    assert stats.loc[11, "wait_mean_us"] == pytest.approx(3500.0)
    assert stats.loc[10, "hold_max_us"] == pytest.approx(4000.0)


def test_overlapping_holders_are_reported(tmp_path: Path) -> None:
    # GIVEN a corrupt trace in which thread 11 acquires before thread 10 drops
    text = synthetic_trace(tmp_path).read_text().replace("1.004500000", "1.003000000")
    (tmp_path / "perf.txt").write_text(text)
    events = load_perf(tmp_path / "perf.txt")
    intervals = gil_intervals(events, 10, 1_000_000_000, 1_010_000_000)
    result = check(intervals, events)
    assert not result.ok
    assert result.overlapping_holders == 1
    assert result.max_overlap_us == pytest.approx(1000.0)


def test_cpu_spans_follow_switches(tmp_path: Path) -> None:
    events = load_perf(synthetic_trace(tmp_path))
    spans = cpu_spans_from_switches(events, 1_000_000_000, 1_010_000_000)
    expected = pd.DataFrame(
        {
            "core": [0, 0, 0, 1],
            "tid": [0, 10, 0, 11],
            "start_us": [0.0, 0.0, 5000.0, 0.0],
            "end_us": [0.0, 5000.0, 10000.0, 10000.0],
        }
    )
    expected = expected[expected["end_us"] > expected["start_us"]].reset_index(drop=True)
    assert_frame_equal(spans, expected, check_dtype=False)


def test_recorded_gil_trace_keeps_the_invariant_and_the_designed_duty_cycles() -> None:
    # GIVEN 0.25 s of a real perf trace of the gil scenario under threads
    doc = json.loads((TRACE / "observed.json").read_text())
    events = load_perf(TRACE / "perf.txt")
    intervals = gil_intervals(events, doc["pid"], doc["start_ns"], doc["end_ns"])
    # THEN at most one thread held the GIL at any instant, and acquisitions were requested
    assert check(intervals, events).ok
    shares = state_shares(intervals)
    names = {t["tid"]: t["name"] for t in doc["threads"]}
    shares["name"] = shares["tid"].map(names)
    by_name = shares.set_index("name")
    # every thread's states add up to its observed time
    state_sum = by_name[[c for c in by_name.columns if c.endswith("_pct")]].sum(axis=1)
    assert (state_sum.round(6) == 100.0).all()
    # and the designed behaviour shows: the spinner holds it most, the sleeper never,
    # the 1 ms sleeper mostly waits for it (convoy effect)
    holds = by_name["hold_pct"] + by_name["hold_preempted_pct"]
    assert holds["spinner"] > 50.0
    assert holds["sleeper"] < 2.0
    assert by_name.loc["io_1ms", "wait_pct"] > 30.0
    assert holds.sum() <= 100.0 + 1e-6


def test_an_unrecorded_switch_in_is_placed_at_the_first_sign_of_life() -> None:
    # GIVEN a thread that went to sleep at 1 ms on core 1 and whose switch back in was
    # not recorded; its take_gil at 3 ms on core 1 proves it runs again
    ms = 1_000_000
    stream = [
        (0, "on", 1),
        (1 * ms, "drop", 1),
        (1 * ms, "off", 1),
        (3 * ms, "take", 1),
        (3 * ms, "acquired", 1),
        (5 * ms, "off", 1),
    ]
    inferred: list[int] = []
    result = thread_intervals(stream, 0, 6 * ms, inferred)
    # THEN it is blocked until 3 ms, then holds the GIL on CPU until its switch-out
    assert result == [
        ("hold", 0, 1 * ms),
        ("blocked", 1 * ms, 3 * ms),
        ("hold", 3 * ms, 5 * ms),
        ("hold_preempted", 5 * ms, 6 * ms),
    ]
    assert inferred == [3 * ms]


def test_core_spans_place_an_unrecorded_switch_at_the_first_sign_of_life(tmp_path: Path) -> None:
    # GIVEN core 1 going idle at 1 ms, no recorded idle->thread switch, the thread's
    # take_gil on core 1 at 3 ms and its switch-out at 5 ms
    lines = [
        " 10/11 [001] 1.001000000: sched:sched_switch: prev_comm=py prev_pid=11 prev_prio=1 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=1",
        " 10/11 [001] 1.003000000: g:take_gil: (1)",
        " 10/11 [001] 1.005000000: sched:sched_switch: prev_comm=py prev_pid=11 prev_prio=1 prev_state=R ==> next_comm=x next_pid=99 next_prio=1",
    ]
    (tmp_path / "perf.txt").write_text("\n".join(lines) + "\n")
    spans = cpu_spans_from_switches(load_perf(tmp_path / "perf.txt"), 1_000_000_000, 1_006_000_000)
    expected = pd.DataFrame(
        {
            "core": [1, 1, 1, 1],
            "tid": [11, 0, 11, 99],
            "start_us": [0.0, 1000.0, 3000.0, 5000.0],
            "end_us": [1000.0, 3000.0, 5000.0, 6000.0],
        }
    )
    assert_frame_equal(spans, expected, check_dtype=False)


def test_shares_over_the_window_add_up_to_at_most_100_per_process() -> None:
    # GIVEN the recorded trace, and threads that live only part of the window
    doc = json.loads((TRACE / "observed.json").read_text())
    events = load_perf(TRACE / "perf.txt")
    intervals = gil_intervals(events, doc["pid"], doc["start_ns"], doc["end_ns"])
    window_us = (doc["end_ns"] - doc["start_ns"]) / 1e3
    # WHEN the shares are taken over the model run's window (one denominator)
    shares = state_shares(intervals, window_us)
    # THEN every row's denominator is the window, lifetimes are at most the window,
    # and each process's threads hold the GIL at most 100% of it together
    assert shares["wall_s"].to_numpy() == pytest.approx(window_us / 1e6)
    assert (shares["lifetime_s"] <= shares["wall_s"] + 1e-9).all()
    holds = shares["hold_pct"] + shares["hold_preempted_pct"]
    assert holds.groupby(shares["pid"]).sum().max() <= 100.0 + 1e-6
    # AND a thread's share of the window is its share of its lifetime, scaled by both
    own = state_shares(intervals).set_index("tid")
    scaled = shares.set_index("tid")["hold_pct"] * (window_us / 1e6) / own["lifetime_s"]
    assert scaled.to_numpy() == pytest.approx(own["hold_pct"].to_numpy())

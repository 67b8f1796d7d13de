"""The probes' cost carved out of the states it inflates (exact synthetic intervals)."""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.recorders.perf.gil import process_shares, state_shares
from profiler.recorders.perf.observer import (
    correct_probe_cost,
    raw_shares_us,
    stalled_us,
    uncontended_mask,
)

COLUMNS = ["pid", "tid", "state", "start_us", "end_us"]
HIT_US = 3.0  # what one probe hit costs in these traces


def cycles(tid: int, start: float, count: int) -> tuple[list[tuple[object, ...]], list[float]]:
    """count probed GIL cycles of one thread: truly 10 µs released and 20 µs held, with one
    hit's cost after each of its three events (drop, take, acquired); and the event times."""
    rows: list[tuple[object, ...]] = []
    events: list[float] = []
    t = start
    for _ in range(count):
        rows += [(1, tid, "nogil_running", t, t + 10.0 + HIT_US)]
        rows += [(1, tid, "wait", t + 10.0 + HIT_US, t + 10.0 + 2 * HIT_US)]
        rows += [(1, tid, "hold", t + 10.0 + 2 * HIT_US, t + 30.0 + 3 * HIT_US)]
        events += [t, t + 10.0 + HIT_US, t + 10.0 + 2 * HIT_US]
        t += 30.0 + 3 * HIT_US
    return rows, events


def event_frame(tid: int, times: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"tid": tid, "t_us": times})


def durations(frame: pd.DataFrame) -> pd.Series:
    return (frame["end_us"] - frame["start_us"]).groupby(frame["state"]).sum()


def test_a_single_thread_gets_back_its_unprobed_shares() -> None:
    # GIVEN one thread whose every interval carries one 3 µs probe hit
    rows, times = cycles(11, 0.0, 6)
    raw = pd.DataFrame(rows, columns=COLUMNS)
    window_us = 6 * (30.0 + 3 * HIT_US)
    # WHEN corrected
    corrected, done = correct_probe_cost(raw, event_frame(11, times))
    # THEN the hit cost was measured, no wait remains, and each state lost one hit per cycle
    assert done.probe_us == pytest.approx(HIT_US) and done.uncontended == 6
    spent = durations(corrected)
    assert "wait" not in spent
    assert spent["hold"] == pytest.approx(6 * 20.0) and spent["nogil_running"] == pytest.approx(60)
    assert spent["probe"] == pytest.approx(6 * 3 * HIT_US) == done.removed_us
    # AND the whole probe time stalled the process: the shares are those of the unprobed run
    assert done.stall_us == {1: pytest.approx(6 * 3 * HIT_US)}
    shares = state_shares(corrected, {1: window_us - done.stall_us[1]}).iloc[0]
    assert shares["hold_pct"] == pytest.approx(100 * 20 / 30)
    assert shares["nogil_running_pct"] == pytest.approx(100 * 10 / 30)
    assert shares["lifetime_s"] * 1e6 == pytest.approx(window_us)
    # AND the raw figures can be rebuilt from the corrected intervals
    raw_back = raw_shares_us(corrected).iloc[0]
    assert raw_back["hold_raw_us"] == pytest.approx(6 * (20.0 + HIT_US))
    assert raw_back["wait_raw_us"] == pytest.approx(6 * HIT_US)


def test_a_contended_wait_keeps_its_excess() -> None:
    # GIVEN thread 11's six probed cycles, then thread 12 waiting 53 µs while 11 holds
    rows, times = cycles(11, 0.0, 6)
    end = float(str(rows[-1][4]))
    rows += [(1, 11, "hold", end, end + 100.0)]
    rows += [(1, 12, "blocked", 0.0, end + 50.0), (1, 12, "wait", end + 50.0, end + 103.0)]
    rows += [(1, 12, "hold", end + 103.0, end + 120.0)]
    raw = pd.DataFrame(rows, columns=COLUMNS)
    events = pd.concat([event_frame(11, times), event_frame(12, [end + 50.0, end + 103.0])])
    assert uncontended_mask(raw).sum() == 6
    corrected, done = correct_probe_cost(raw, events)
    # THEN its wait loses only one hit: 50 µs of real waiting remain
    waits = corrected[corrected["state"] == "wait"]
    assert len(waits) == 1
    assert float(waits["end_us"].iloc[0] - waits["start_us"].iloc[0]) == pytest.approx(50.0)
    assert done.contended == 1
    # AND the time 12 spent in a probe while 11 held the GIL did not stall the process
    assert done.stall_us[1] < done.removed_us
    # AND however the window shrinks, one process's holders share at most all of it
    window = {1: end + 120.0 - done.stall_us[1]}
    assert state_shares(corrected, window)["hold_pct"].sum() <= 100.0
    assert float(process_shares(corrected, window)["gil_busy_pct"].iloc[0]) <= 100.0


def test_probe_time_overlapping_another_threads_work_is_no_stall() -> None:
    # GIVEN thread 11 in a probe while thread 12 runs, then both in probes, then neither
    rows = [
        (1, 11, "probe", 0.0, 4.0),
        (1, 12, "nogil_running", 0.0, 2.0),
        (1, 12, "probe", 2.0, 6.0),
        (1, 11, "hold", 4.0, 8.0),
        (1, 12, "blocked", 6.0, 10.0),
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # THEN only 2..4 (both in probes, nobody working) is stall
    assert stalled_us(frame) == {1: pytest.approx(2.0)}


def test_too_few_uncontended_acquisitions_calibrate_nothing() -> None:
    rows, times = cycles(11, 0.0, 2)
    raw = pd.DataFrame(rows, columns=COLUMNS)
    corrected, done = correct_probe_cost(raw, event_frame(11, times))
    # THEN no hit cost is known: holds and released stretches keep their time, and only
    # the waits nobody else caused are probe time
    assert done.probe_us == 0.0
    assert done.removed_us == pytest.approx(2 * HIT_US) == done.wait_removed_us
    assert durations(corrected)["hold"] == pytest.approx(durations(raw)["hold"])

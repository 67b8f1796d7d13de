"""The probes' cost taken out of the waits they inflate (exact synthetic intervals)."""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.analyse.observer import correct_probe_cost, uncontended_mask

COLUMNS = ["pid", "tid", "state", "start_us", "end_us"]


def cycles(tid: int, start: float, count: int, wait_us: float) -> list[tuple[object, ...]]:
    """count GIL cycles of one thread: 10 µs released, an uncontended wait, 20 µs held."""
    rows, t = [], start
    for _ in range(count):
        rows += [(1, tid, "nogil_running", t, t + 10.0)]
        rows += [(1, tid, "wait", t + 10.0, t + 10.0 + wait_us)]
        rows += [(1, tid, "hold", t + 10.0 + wait_us, t + 30.0 + wait_us)]
        t += 30.0 + wait_us
    return rows


def totals(frame: pd.DataFrame) -> pd.Series:
    return (frame["end_us"] - frame["start_us"]).groupby(frame["tid"]).sum()


def test_an_uncontended_acquisition_becomes_no_wait() -> None:
    # GIVEN one thread whose every acquisition took 3 µs of probe handling
    raw = pd.DataFrame(cycles(11, 0.0, 6, 3.0), columns=COLUMNS)
    # WHEN corrected
    corrected, done = correct_probe_cost(raw)
    # THEN it never waits, its lifetime is unchanged, and the cost was measured as 3 µs
    assert not (corrected["state"] == "wait").any()
    assert totals(corrected).to_dict() == pytest.approx(totals(raw).to_dict())
    assert done.probe_wait_us == pytest.approx(3.0) and done.uncontended == 6
    assert done.removed_us == pytest.approx(18.0)
    # AND the raw waits are kept for the record
    assert done.raw_wait_us == {(1, 11): pytest.approx(18.0)}


def test_a_contended_wait_keeps_its_excess() -> None:
    # GIVEN thread 11's six uncontended 3 µs acquisitions, then thread 12 waiting 53 µs
    # while thread 11 holds the GIL
    rows = cycles(11, 0.0, 6, 3.0)
    end = rows[-1][4]
    rows += [(1, 11, "hold", end, end + 100.0)]
    rows += [(1, 12, "blocked", 0.0, end + 50.0), (1, 12, "wait", end + 50.0, end + 103.0)]
    rows += [(1, 12, "hold", end + 103.0, end + 120.0)]
    raw = pd.DataFrame(rows, columns=COLUMNS)
    assert uncontended_mask(raw).sum() == 6
    corrected, done = correct_probe_cost(raw)
    # THEN its wait loses only the probes' 3 µs: 50 µs of real waiting remain
    waits = corrected[corrected["state"] == "wait"]
    assert len(waits) == 1
    wait = waits.iloc[0]
    assert wait["end_us"] - wait["start_us"] == pytest.approx(50.0)
    assert wait["wait_raw_us"] == pytest.approx(53.0)
    assert done.contended == 1
    assert totals(corrected).to_dict() == pytest.approx(totals(raw).to_dict())


def test_too_few_uncontended_acquisitions_calibrate_nothing() -> None:
    raw = pd.DataFrame(cycles(11, 0.0, 2, 3.0), columns=COLUMNS)
    _corrected, done = correct_probe_cost(raw)
    assert done.probe_wait_us == 0.0

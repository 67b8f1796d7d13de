"""GIL blame on recorded runs: who made whom wait, running what, and the ceiling.

GIVEN (1) a real `concprof record` of tests/data/record_hog/hog.py on 3.11 (one
thread runs a pure-Python loop for 1.5 s, four threads sleep 1 ms and do a little
Python in a loop; perf, py-spy and procfs; perf.txt gzipped) and (2) the golden
run's perf intervals (tests/data/golden_run), WHEN the blame tables are built,
THEN every wait is accounted for exactly once, the blame per holder adds up to
the waiting it caused, the I/O threads' waiting is on the hog's function, and
the ceiling stays between 1 and the core count.
"""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.analyse import blame, ceiling
from profiler.analysis import RunAnalysis
from tests.conftest import DATA
from tests.support.recorded import hog_analysis


@pytest.fixture(scope="module")
def hog_tables(tmp_path_factory: pytest.TempPathFactory) -> RunAnalysis:
    return hog_analysis(tmp_path_factory.mktemp("record_hog"))


def golden_intervals() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "golden_run" / "tables" / "gil_intervals.csv")
    return frame[frame["model"] == "threads"]


def test_every_wait_is_split_once_over_the_holders() -> None:
    intervals = golden_intervals()
    matrix = blame.wait_matrix(intervals)
    waits = intervals[intervals["state"] == "wait"]
    per_waiter = (waits["end_us"] - waits["start_us"]).groupby(waits["tid"]).sum() / 1e6
    split = matrix.groupby("waiter_tid")["waited_s"].sum()
    assert split.to_dict() == pytest.approx(per_waiter.to_dict(), rel=1e-9)
    assert not (matrix["waiter_tid"] == matrix["holder_tid"]).any()


def test_blame_per_holder_adds_up_to_the_waiting_it_caused(
    hog_tables: RunAnalysis,
) -> None:
    matrix, blamed = hog_tables["gil_wait_matrix"], hog_tables["gil_blame"]
    caused = matrix[matrix["holder_tid"] != blame.NOBODY]
    key = ["holder_tid", "waiter_tid", "holder_state"]
    expected = caused.groupby(key)["waited_s"].sum()
    got = blamed.groupby(key)["waited_s"].sum()
    assert got.to_dict() == pytest.approx(expected.to_dict(), rel=1e-9)


def test_the_io_threads_wait_on_the_hogs_function(hog_tables: RunAnalysis) -> None:
    threads = hog_tables["threads"]
    names = set(threads.loc[threads["source"] == "perf", "thread_name"])
    assert {"hog", "io0", "io1", "io2", "io3"} <= names  # named by the start-up hook
    blamed = hog_tables["gil_blame"]
    io = blamed[blamed["waiter_name"].str.startswith("io")]
    ranked = blame.by_function(io).set_index("function")
    assert ranked.loc["hog (hog.py)", "waited_incl_s"] >= 0.8 * io["waited_s"].sum()
    # the ranked table of the run says the same, for all the waiting
    table = hog_tables["gil_blame_functions"]
    top = table[table["holder_state"] == "any"].iloc[0]
    assert str(top["function"]).startswith("hog")


def test_the_ceiling_is_between_one_and_the_cores(hog_tables: RunAnalysis) -> None:
    for table in (hog_tables["gil_ceiling"], ceiling.ceiling(golden_intervals(), cores=2)):
        assert ((table["ceiling_speedup"] >= 1.0 - 1e-9) & (table["ceiling_speedup"] <= 2.0)).all()
        assert ((table["held_fraction"] >= 0) & (table["held_fraction"] <= 1.0 + 1e-9)).all()
        assert (table["serialised_s"] <= table["gil_busy_s"] + 1e-9).all()
    hog = hog_tables["gil_ceiling"].iloc[0]
    assert hog["held_fraction"] > 0.5  # the hog's loop holds the GIL: little to gain


def test_a_recording_answers_first_who_held_who_waited_and_why(
    hog_tables: RunAnalysis,
) -> None:
    from profiler.analyse.recording_answer import recording_answer
    from profiler.render.wording import recording_lines

    answer = recording_answer(hog_tables, window_s=1.6)
    assert answer.holder is not None and answer.holder.name == "hog"
    assert answer.holder.source == "perf"
    assert answer.waiter is not None and answer.waiter.name.startswith("io")
    assert answer.blamed is not None and answer.blamed.function.startswith("hog")
    assert answer.blamed.share_pct > 80  # measured 99.6%: the hog makes the I/O threads wait
    assert answer.ceiling is not None and 1.0 <= answer.ceiling.speedup <= 2.0
    lines = recording_lines(answer)
    assert 2 <= len(lines) <= 3
    assert lines[0].startswith("GIL held most by hog") and "(perf)" in lines[0]

"""Recorded py-spy and perf output of the same run, on Python 3.10 and 3.13 (holds, threads).

GIVEN real recorder output (tests/data/pyspy_py310, pyspy_py313: `make profile
SCENARIO=holds SIZE=quick MODELS=threads RECORDERS=py-spy,perf`, perf.txt trimmed
to the runner's threads), WHEN the pipeline turns it into tables, THEN py-spy's
rows are the program's real threads (on 3.10 py-spy reported pthread idents,
mapped through the idents the runner noted), and no process's threads hold the
GIL more than 100% of the run together, for either source.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from profiler.analyse.run_tables import model_tables
from profiler.load.model_dir import load_model_run
from profiler.workload.documents import RunResult
from tests.conftest import DATA


def recorded(version: str) -> tuple[RunResult, dict[str, pd.DataFrame]]:
    raw = DATA / f"pyspy_py{version}"
    doc = RunResult.from_json(json.loads((raw / "observed.json").read_text()))
    tables, _perf = model_tables(load_model_run("threads", raw, doc), cpu_count=2)
    return doc, tables


@pytest.mark.parametrize("version", ["310", "313"])
def test_pyspy_rows_are_the_programs_threads(version: str) -> None:
    doc, tables = recorded(version)
    threads = tables["threads"]
    pyspy = threads[threads["source"] == "py-spy"]
    native = {t.tid for t in doc.threads}
    assert set(pyspy["tid"]) <= native
    assert set(pyspy["thread_name"]) == {"MainThread", "worker_0", "worker_1"}


def test_on_310_pyspy_reported_pthread_idents() -> None:
    # the mapping above was exercised: the raw file has no native ids for the threads
    raw = (DATA / "pyspy_py310" / "pyspy.txt").read_text()
    assert "thread (0x" in raw
    assert "thread (0x" not in (DATA / "pyspy_py313" / "pyspy.txt").read_text()


@pytest.mark.parametrize("version", ["310", "313"])
def test_no_process_holds_the_gil_more_than_the_whole_run(version: str) -> None:
    _doc, tables = recorded(version)
    threads, processes = tables["threads"], tables["processes"]
    holds = threads["gil_hold_pct"] + threads["gil_hold_preempted_pct"].fillna(0.0)
    per_process = holds.groupby([threads["source"], threads["pid"]]).sum()
    # perf is exact; py-spy's process share carries its own 95% error
    for (source, pid), total in per_process.items():
        row = processes[(processes["source"] == source) & (processes["pid"] == pid)].iloc[0]
        error = 0.5 if source == "perf" else float(row["gil_busy_err_pct"])
        assert total <= 100.0 + error, (source, pid, total)
        assert row["gil_busy_pct"] <= 100.0 + 1e-9


@pytest.mark.parametrize("version", ["310", "313"])
def test_the_main_thread_that_only_waits_holds_almost_nothing(version: str) -> None:
    # before the measured frame was marked, its samples from importing the scenario
    # (building a 2 MB document) counted as 60% of the run
    _doc, tables = recorded(version)
    threads = tables["threads"]
    main = threads[threads["thread_name"] == "MainThread"].set_index("source")
    assert main.loc["perf", "gil_hold_pct"] < 2.0
    assert main.loc["py-spy", "gil_hold_pct"] <= main.loc["py-spy", "gil_hold_err_pct"] + 2.0

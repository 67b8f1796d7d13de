"""py-spy's GIL shares where the holder changes faster than py-spy can read it.

GIVEN real py-spy and procfs output of `syscalls` under threads on 3.11 (two
threads calling os.stat in a loop: the GIL changes hands ~20,000 times a second;
tests/data/switches_syscalls311) and of `gil` under threads (switches only at
the 5 ms switch interval; switches_gil311), both `make profile SIZE=default
MODELS=threads RECORDERS=py-spy,procfs`, WHEN the pipeline builds the tables,
THEN the first run's runner process has no py-spy GIL shares and says why
(procfs's switch rate), and the second keeps them.
"""

from __future__ import annotations

import json

import pandas as pd

from profiler.analyse.run_tables import model_tables
from profiler.load.model_dir import load_model_run
from profiler.recorders.pyspy.tables import HANDOFF_LIMIT_HZ
from profiler.recorders.sampling import switch_rates_hz
from profiler.workload.documents import RunResult
from tests.conftest import DATA


def tables(name: str) -> tuple[RunResult, dict[str, pd.DataFrame]]:
    raw = DATA / name
    doc = RunResult.from_json(json.loads((raw / "observed.json").read_text()))
    built, _perf = model_tables(load_model_run("threads", raw, doc), cpu_count=2)
    return doc, built


def runner_rows(doc: RunResult, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["source"] == "py-spy") & (frame["pid"] == doc.pid)]


def test_switch_rates_separate_the_two_workloads() -> None:
    rates = {}
    for name in ("switches_syscalls311", "switches_gil311"):
        raw = DATA / name
        doc = RunResult.from_json(json.loads((raw / "observed.json").read_text()))
        rec = load_model_run("threads", raw, doc)
        assert rec.of("procfs") is not None
        rates[name] = switch_rates_hz(rec.of("procfs").threads, rec.window_us)[doc.pid]
    # each side of the limit by a factor of 2 at least: the recordings are not borderline
    assert rates["switches_syscalls311"] > 2 * HANDOFF_LIMIT_HZ
    assert rates["switches_gil311"] < HANDOFF_LIMIT_HZ / 2


def test_fast_handoffs_empty_pyspy_shares_and_say_why() -> None:
    doc, built = tables("switches_syscalls311")
    procs = runner_rows(doc, built["processes"])
    assert len(procs) == 1
    assert procs["gil_busy_pct"].isna().all()
    assert "voluntary context switches/s (procfs)" in str(procs["gil_unmeasured"].iloc[0])
    threads = runner_rows(doc, built["threads"])
    assert len(threads) >= 3  # MainThread and both workers
    assert threads["gil_hold_pct"].isna().all()
    assert threads["gil_unmeasured"].notna().all()
    # procfs's on-CPU shares of the same threads stay
    procfs = built["threads"][built["threads"]["source"] == "procfs"]
    assert procfs.loc[procfs["pid"] == doc.pid, "on_cpu_pct"].notna().all()


def test_slow_handoffs_keep_pyspy_shares() -> None:
    doc, built = tables("switches_gil311")
    procs = runner_rows(doc, built["processes"])
    assert procs["gil_busy_pct"].notna().all()
    assert procs["gil_unmeasured"].isna().all()
    assert float(procs["gil_busy_pct"].iloc[0]) > 50.0  # the workers hold it most of the run

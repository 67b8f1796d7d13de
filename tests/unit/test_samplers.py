"""py-spy, procfs and viztracer loaders and the sampled shares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from profiler.recorders.cores import cores_from_procfs
from profiler.recorders.procfs.load import load_procfs
from profiler.recorders.procfs.recorder import parse_stat
from profiler.recorders.pyspy.load import load_pyspy, parse_line
from profiler.recorders.sampling import procfs_shares, pyspy_shares, subtree
from profiler.recorders.viztracer.forked import run_parallel
from profiler.recorders.viztracer.load import load_viztracer
from tests.conftest import DATA

TRACE = DATA / "gil_threads"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('process 5:"python -m x";thread (7);f (a.py:1);g (b.py:2) 12', (5, 7, 12, "g (b.py:2)")),
        (
            'process 1:"sh";process 5:"py";thread (0x1F): worker;f (a.py:1) 3',
            (5, 31, 3, "f (a.py:1)"),
        ),
        ('process 5:"a;b";thread (7) 4', (5, 7, 4, "")),
        ("garbage line", None),
    ],
)
def test_pyspy_line_grammar(line: str, expected: tuple[object, ...] | None) -> None:
    row = parse_line(line)
    assert (row[:4] if row else None) == expected


def test_a_command_line_with_newlines_keeps_its_samples() -> None:
    # GIVEN py-spy's raw output of `python3 -c "import time\nwhile True: ..."` (attach, as
    # an ordinary user): the command line's newline splits the record over two lines
    frame = load_pyspy(DATA / "pyspy_multiline_cmdline.txt")
    # THEN it is one record: the thread and its 136 samples, none lost
    assert frame[["pid", "tid", "samples", "leaf"]].to_dict("records") == [
        {"pid": 12357, "tid": 12357, "samples": 136, "leaf": "<module> (<string>:2)"}
    ]


def test_pyspy_shares_over_counted_rounds_have_a_binomial_error() -> None:
    # GIVEN 60 and 15 GIL-holding samples of thread 2, and 100 rounds counted by the reference
    samples = pd.DataFrame(
        {"pid": [1, 1, 1], "tid": [1, 2, 2], "samples": [0, 60, 15], "leaf": "", "stack": ""}
    )
    shares = pyspy_shares(samples, rate_hz=250.0, window_s=1.0, rounds=100)
    # THEN the share is over the counted rounds (not rate x window), with a binomial error
    n = 100.0
    expected = pd.DataFrame(
        {
            "pid": [1, 1],
            "tid": [1, 2],
            "gil_hold_pct": [0.0, 75.0],
            "gil_hold_err_pct": [1.0, 1.96 * np.sqrt(0.75 * 0.25 / n) * 100 + 1.0],
        }
    )
    assert_frame_equal(shares, expected)


def test_pyspy_shares_over_expected_rounds_have_a_poisson_error() -> None:
    # GIVEN no counted rounds: only the expected rate x window = 100
    samples = pd.DataFrame({"pid": [1], "tid": [2], "samples": [75], "leaf": "", "stack": ""})
    shares = pyspy_shares(samples, rate_hz=100.0, window_s=1.0)
    # THEN the count itself varies (a Poisson process): the error is wider than binomial
    assert shares["gil_hold_pct"].tolist() == [75.0]
    poisson = 1.96 * np.sqrt(0.75 / 100.0) * 100 + 1.0
    assert shares["gil_hold_err_pct"].tolist() == pytest.approx([poisson])
    assert poisson > 1.96 * np.sqrt(0.75 * 0.25 / 100.0) * 100 + 1.0


def test_recorded_pyspy_output_names_every_thread_that_held_the_gil() -> None:
    doc = json.loads((TRACE / "observed.json").read_text())
    samples = load_pyspy(TRACE / "pyspy.txt")
    assert set(samples["pid"]) == {doc["pid"]}
    names = {t["tid"]: t["name"] for t in doc["threads"]}
    per_name = samples.groupby(samples["tid"].map(names))["samples"].sum()
    assert per_name["spinner"] > per_name["duty20"] > 0  # a spinner holds it most


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"12 (python3) S 1 12 12 0 -1 " + b"0 " * 30 + b"1 0", ("python3", "S", 1, 1)),
        (b"12 (a (b) c) R 7 12 12 0 -1 " + b"0 " * 30 + b"3 0", ("a (b) c", "R", 7, 3)),
    ],
)
def test_proc_stat_grammar(line: bytes, expected: tuple[str, str, int, int]) -> None:
    assert parse_stat(line) == expected


def test_recorded_procfs_shares_and_cores() -> None:
    doc = json.loads((TRACE / "observed.json").read_text())
    frames = load_procfs(TRACE, doc["start_ns"])
    assert frames is not None
    window_us = (doc["end_ns"] - doc["start_ns"]) / 1e3
    pids = subtree(frames.processes, doc["pid"])
    assert pids == {doc["pid"]}
    shares = procfs_shares(frames.threads[frames.threads["pid"].isin(pids)], window_us, 0.01)
    names = {t["tid"]: t["name"] for t in doc["threads"]}
    on_cpu = shares.set_index(shares["tid"].map(names))["on_cpu_pct"]
    assert on_cpu["spinner"] > 40.0 and on_cpu["sleeper"] < 5.0
    summary, timeline = cores_from_procfs(
        frames.threads, frames.cores, pids, window_us, frames.clock_ticks_per_s, 2
    )
    assert list(summary["core"]) == [0, 1]
    # one process whose threads share one GIL: about one core in all, never more than two
    assert 40.0 < summary["busy_pct"].sum() < 200.0
    assert timeline["busy_frac"].between(0.0, 1.0).all()


def test_viztracer_fork_fault_is_repaired(tmp_path: Path) -> None:
    # GIVEN a trace where forked child 101 reports its parent's main tid 100
    events = {
        "traceEvents": [
            {
                "ph": "M",
                "pid": 100,
                "tid": 100,
                "name": "thread_name",
                "args": {"name": "MainThread"},
            },
            {
                "ph": "M",
                "pid": 101,
                "tid": 100,
                "name": "thread_name",
                "args": {"name": "MainThread"},
            },
            {
                "ph": "M",
                "pid": 100,
                "tid": 102,
                "name": "thread_name",
                "args": {"name": "<img src=x>"},
            },
            {"ph": "X", "pid": 101, "tid": 100, "ts": 2000.0, "dur": 5.0, "name": "task"},
            {"ph": "X", "pid": 100, "tid": 102, "ts": 1500.0, "dur": 1.0, "name": "feed"},
        ],
        "viztracer_metadata": {},
    }
    path = tmp_path / "viztracer.json"
    path.write_text(json.dumps(events))
    spans, names = load_viztracer(path, t0_ns=1_000_000)
    # THEN the child's spans and name move to its own main thread (tid = its pid)
    expected = pd.DataFrame(
        {
            "pid": [101, 100],
            "tid": [101, 102],
            "name": ["task", "feed"],
            "start_us": [1000.0, 500.0],
            "dur_us": [5.0, 1.0],
        }
    )
    assert isinstance(spans["name"].dtype, pd.CategoricalDtype)  # names repeat: stored once
    assert_frame_equal(spans.assign(name=spans["name"].astype(str)), expected, check_dtype=False)
    assert set(zip(names["pid"], names["tid"], strict=True)) == {(100, 100), (101, 101), (100, 102)}


@pytest.mark.parametrize("parts", [1, 3])
def test_a_split_inside_a_string_falls_back_to_whole_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int
) -> None:
    import profiler.recorders.viztracer.load as viztracer

    # GIVEN segments of one byte (in one process or three), and function names that
    # contain the cut marker "},{"
    monkeypatch.setattr(viztracer, "SEGMENT_BYTES", 1)
    monkeypatch.setattr(viztracer, "PART_MIN_BYTES", 1)
    monkeypatch.setattr(viztracer, "PARTS", parts)
    events = [
        {"ph": "X", "pid": 1, "tid": 1, "ts": 1000.0 + k, "dur": 1.0, "name": f"f{k} }},{{ odd"}
        for k in range(5)
    ]
    path = tmp_path / "viztracer.json"
    path.write_text(
        json.dumps({"traceEvents": events, "viztracer_metadata": {}}, separators=(",", ":"))
    )
    # WHEN loaded
    spans, _ = load_viztracer(path, t0_ns=1_000_000)
    # THEN every event comes back once, in order, names intact
    assert list(spans["name"].astype(str)) == [f"f{k} }},{{ odd" for k in range(5)]
    assert list(spans["start_us"]) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_parts_decoded_in_forked_processes_equal_one_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import profiler.recorders.viztracer.load as viztracer

    # GIVEN a real trace, loaded first in one process, in one piece
    path = DATA / "viztracer_fork" / "viztracer.json"
    whole_spans, whole_names = load_viztracer(path, t0_ns=0)
    # WHEN it is cut into ~1 kB segments shared among three processes
    monkeypatch.setattr(viztracer, "SEGMENT_BYTES", 1024)
    monkeypatch.setattr(viztracer, "PART_MIN_BYTES", 1)
    monkeypatch.setattr(viztracer, "PARTS", 3)
    calls: list[int] = []

    def counted(parts: list[object]) -> list[object]:
        calls.append(len(parts))
        return run_parallel(parts)  # type: ignore[arg-type]

    monkeypatch.setattr(viztracer, "run_parallel", counted)
    spans, names = load_viztracer(path, t0_ns=0)
    # THEN three parts were decoded, and the frames are the same as from one decode
    assert calls == [3]
    assert_frame_equal(
        spans.assign(name=spans["name"].astype(str)),
        whole_spans.assign(name=whole_spans["name"].astype(str)),
    )
    assert_frame_equal(names.reset_index(drop=True), whole_names.reset_index(drop=True))
    assert len(spans) > 700 and len(names) >= 4


def test_recorded_fork_trace_is_repaired_and_aligned() -> None:
    # GIVEN a real viztracer trace of the processes model (fork, 2 workers)
    run = json.loads((DATA / "viztracer_fork" / "viztracer_run.json").read_text())
    spans, names = load_viztracer(DATA / "viztracer_fork" / "viztracer.json", run["start_ns"])
    parent_main = run["main_tid"]
    # THEN no worker keeps its parent's main tid: each worker's main thread is tid == pid
    for worker in run["worker_pids"]:
        assert not ((spans["pid"] == worker) & (spans["tid"] == parent_main)).any()
        mine = spans[spans["pid"] == worker]
        assert set(mine["tid"]) == {worker}
        assert mine["name"].str.startswith("task ").any()  # the scenario's task ran there
    # AND times are microseconds from the model run's start, on the runner's clock:
    # every task ran inside the run's window
    window_us = (run["end_ns"] - run["start_ns"]) / 1e3
    tasks = spans[spans["name"].str.startswith("task ")]
    assert len(tasks) == 2
    assert (tasks["start_us"] > 0).all() and (tasks["start_us"] + tasks["dur_us"] < window_us).all()
    assert set(names.loc[names["kind"] == "thread", "name"]) >= {"MainThread"}


def test_a_recording_without_a_sample_loads_typed_and_gives_shares(tmp_path: Path) -> None:
    # GIVEN py-spy's raw output of a program that ended before its first sample (attach)
    path = tmp_path / "pyspy.txt"
    path.write_text("")
    samples = load_pyspy(path)
    # THEN its counts are numbers, and joined with the named threads they give a 0% share
    assert str(samples["samples"].dtype) == "int64" and str(samples["pid"].dtype) == "int64"
    named = pd.DataFrame({"pid": [7], "tid": [7], "samples": [0], "leaf": [""], "stack": [""]})
    shares = pyspy_shares(pd.concat([samples, named], ignore_index=True), 100.0, 1.0)
    assert shares["gil_hold_pct"].tolist() == [0.0]

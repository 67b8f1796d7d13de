"""`concprof record` and `concprof attach` on real programs, through the real CLI.

GIVEN programs written here (a GIL hog beside I/O threads, a multiprocessing
pool, a loop that runs until killed), WHEN concprof records them, THEN the
tables name their threads and processes, the GIL blame puts the I/O threads'
waiting on the hog, an attached process keeps running and nothing of
concprof's stays behind; a bad command is a one-line usage error (exit 2), a
failing one keeps its recording and reports its exit status (exit 1).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from profiler.analyse.blame import by_function
from profiler.load.run import load_run
from profiler.recorders.perf.uprobes import tracefs
from tests.conftest import concprof, needs_perf

pytestmark = pytest.mark.integration

# one thread runs pure Python for 1.5 s; four threads send and receive short datagrams
# on loopback (the GIL released in each call) with a little Python between them
HOG = """
import socket, threading, time

def hog():
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        sum(i * i for i in range(2000))

def io(n):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        a.sendto(b"x" * 64, a.getsockname())
        a.recv(64)
        sum(range(50))

threads = [threading.Thread(target=hog, name="hog")]
threads += [threading.Thread(target=io, args=(n,), name=f"io{n}") for n in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""

POOL = """
import multiprocessing

def square(n):
    return sum(i * i for i in range(n))

if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(sum(pool.map(square, [200_000] * 8)))
"""

SENDS = """
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

def payload(i):
    return bytes(64 * 1024)

if __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        print(len(list(pool.map(payload, range(20)))))
"""

LOOP = """
import threading, time

def spin():
    while True:
        sum(range(2000))
        time.sleep(0.0005)

for n in range(2):
    threading.Thread(target=spin, name=f"spinner-{n}", daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(0.01)
"""


def program(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def our_probe_groups() -> list[str]:
    root = tracefs()
    text = (root / "uprobe_events").read_text() if root else ""
    return [line for line in text.splitlines() if ":concprof" in line]


@needs_perf
def test_blame_puts_the_io_threads_waiting_on_the_hog(tmp_path: Path) -> None:
    hog = program(tmp_path, "hog", HOG)
    code, out, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "perf,py-spy,procfs",
        "--", sys.executable, str(hog),
    )  # fmt: skip
    assert code == 0, err
    tables = load_run(tmp_path / "runs" / "record-hog" / "latest")
    perf = tables["threads"][tables["threads"]["source"] == "perf"]
    assert {"hog", "io0", "io1", "io2", "io3"} <= set(perf["thread_name"])
    blamed = tables["gil_blame"]
    io = blamed[blamed["waiter_name"].str.startswith("io")]
    ranked = by_function(io).set_index("function")
    # the hog holds the GIL all but the moments the I/O threads take it back: most of
    # their waiting is behind it (in hog or what it calls), and more than behind anything
    # else. Four threads that wake every 1 ms also queue behind each other, more so on a
    # loaded machine (78% behind the hog was seen once): 60% leaves room for that
    own = ranked[~ranked.index.str.contains("(threading.py)", regex=False)]  # every thread's root
    assert own["waited_incl_s"].idxmax() == "hog (hog.py)", ranked
    assert ranked.loc["hog (hog.py)", "waited_incl_s"] >= 0.6 * io["waited_s"].sum(), ranked
    assert ranked.loc["hog (hog.py)", "samples"] > 0
    ceiling = tables["gil_ceiling"].iloc[0]
    assert ceiling["held_fraction"] > 0.5 and ceiling["ceiling_speedup"] < 1.5
    assert "(hog.py)" in out  # the terminal names the hog's code
    assert 'id="blame"' in (tmp_path / "runs" / "record-hog" / "latest" / "index.html").read_text()
    assert not our_probe_groups()


def test_a_pool_program_lists_every_process(tmp_path: Path) -> None:
    pool = program(tmp_path, "pool", POOL)
    code, _, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "procfs",
        "--", sys.executable, str(pool),
    )  # fmt: skip
    assert code == 0, err
    run = tmp_path / "runs" / "record-pool" / "latest"
    threads = load_run(run)["threads"]
    notes = pd.concat(pd.read_json(p, lines=True) for p in (run / "raw/record/threads").iterdir())
    # the parent and both workers: each noted its threads at start (the hook) and has rows
    assert notes["pid"].nunique() >= 3
    assert set(notes["pid"]) <= set(threads["pid"])
    roles = threads.drop_duplicates("pid").set_index("pid")["process_role"]
    assert sorted(roles[list(set(notes["pid"]))]).count("worker") == notes["pid"].nunique() - 1
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["kind"] == "record" and manifest["status"] == "complete"
    assert manifest["exit_code"] == 0


def test_a_recorded_programs_processes_say_what_they_pickled_for_each_other(
    tmp_path: Path,
) -> None:
    # 20 results of 64 KB from spawned workers (each imports the hook afresh) to the parent
    sends = program(tmp_path, "sends", SENDS)
    code, out, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "procfs",
        "--", sys.executable, str(sends),
    )  # fmt: skip
    assert code == 0, err
    run = tmp_path / "runs" / "record-sends" / "latest"
    # the program's own output is untouched
    assert (run / "raw/record/logs/command.out").read_text().split() == ["20"]
    sites = load_run(run)["ipc_sites"]
    results = sites[sites["what"] == "pool result unpickle"]
    # the parent unpickled every result: at least 20 x 64 KB, plus each item's own bytes
    assert results["calls"].sum() == 20 and results["pid"].nunique() == 1
    assert 20 * 64 * 1024 <= results["bytes"].sum() <= 20 * (64 * 1024 + 512)
    sent = sites[sites["what"] == "pool result pickle"]
    assert set(sent["pid"]) and results["pid"].iloc[0] not in set(sent["pid"])
    assert (sites["seconds"] > 0).all()
    assert "processes sent each other" in out and "tables/ipc_sites.csv" in out


@needs_perf
def test_attach_records_a_running_loop_and_leaves_it_running(tmp_path: Path) -> None:
    loop = program(tmp_path, "loop", LOOP)
    proc = subprocess.Popen([sys.executable, str(loop)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        code, _, err = concprof(
            "attach", str(proc.pid), "--duration", "2", "--out", str(tmp_path / "runs")
        )
        assert code == 0, err
        time.sleep(0.2)
        assert proc.poll() is None  # still running, untouched
        run = tmp_path / "runs" / "attach-loop" / "latest"
        threads = load_run(run)["threads"]
        mine = threads[threads["pid"] == proc.pid]
        assert {"MainThread", "spinner-0", "spinner-1"} <= set(mine["thread_name"])
        assert set(mine["source"]) >= {"perf", "procfs"}
        assert not our_probe_groups()
    finally:
        proc.kill()
        proc.wait()


def test_bad_commands_and_failing_ones(tmp_path: Path) -> None:
    code, _, err = concprof("record", "--out", str(tmp_path), "--", "no-such-command-xyz")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "command not found: no-such-command-xyz" in err
    code, _, err = concprof("attach", "999999999", "--out", str(tmp_path))
    assert code == 2 and "no process 999999999" in err
    code, _, err = concprof(
        "record", "--out", str(tmp_path), "--recorders", "procfs",
        "--", sys.executable, "-c", "import sys; sys.exit(3)",
    )  # fmt: skip
    assert code == 1 and "exited with code 3" in err
    runs = list(tmp_path.glob("record-*/2*/run.json"))
    assert len(runs) == 1
    manifest = json.loads(runs[0].read_text())
    assert manifest["exit_code"] == 3 and manifest["status"] == "complete"
    assert (runs[0].parent / "tables" / "threads.csv").is_file()  # the recording is kept

"""Fault cases: whatever happens to a run, nothing is left running and nothing is silently wrong.

Each test runs the real CLI in a subprocess and checks the exit code, the
one-line message, run.json's status and phase, that the run's files parse,
that no process of the run survives, that no perf probe is left in
uprobe_events and that no temporary directory or cgroup of the run is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from profiler.load.run import load_run
from profiler.orchestrate.containment import PREFIX, cgroup2_root
from profiler.orchestrate.launch import TEMP_PREFIX
from tests.conftest import REPO, concprof, needs_perf

pytestmark = pytest.mark.integration
UPROBES = Path("/sys/kernel/tracing/uprobe_events")


def start(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """concprof in the background, its output in files under tmp_path."""
    return subprocess.Popen(
        [sys.executable, "-m", "profiler", *args],
        cwd=REPO,
        stdout=(tmp_path / "stdout").open("w"),
        stderr=(tmp_path / "stderr").open("w"),
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def processes_with(marker: str) -> list[psutil.Process]:
    """Live processes whose command line mentions marker (the scenario's unique path)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(
                proc.info["cmdline"] or []
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_for(
    condition: Callable[[], bool], timeout_s: float, what: str | Callable[[], str]
) -> None:
    """`what` may be a function: it is asked only on a timeout, for the state then."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out waiting for {said}")
        time.sleep(0.05)


def leftovers_of(pid: int, *markers: str) -> list[str]:
    """Everything a concprof process `pid` may leave behind, that is still there.

    Processes: those whose command line mentions a marker (the scenario's path, the
    run's --out: perf's own recording of the GIL probes names its output there).
    """
    left = [  # the command line as read by processes_with: a process may exit meanwhile
        f"process {p.pid}: {' '.join(p.info['cmdline'] or [])}"
        for marker in markers
        for p in processes_with(marker)
    ]
    if UPROBES.exists() and f"concprof{pid}/" in UPROBES.read_text():
        left.append(f"probe group concprof{pid}")
    left += [str(p) for p in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{pid}-*")]
    root = cgroup2_root()
    if root is not None and (root / f"{PREFIX}{pid}").exists():
        left.append(str(root / f"{PREFIX}{pid}"))
    return left


def manifest(out: Path) -> dict[str, object]:
    runs = sorted(p for p in out.glob("*/*") if p.is_dir() and not p.is_symlink())
    assert len(runs) == 1, runs
    doc: dict[str, object] = json.loads((runs[0] / "run.json").read_text())
    doc["_dir"] = str(runs[0])
    return doc


def assert_files_parse(run_dir: Path) -> None:
    """Every table of the run loads; every JSON document parses."""
    for path in run_dir.rglob("*.json"):
        json.loads(path.read_text())
    if (run_dir / "tables").exists():
        load_run(run_dir)


def one_run(
    path: Path, out: Path, model: str = "sequential", recorders: str = "none", *extra: str
) -> tuple[int, str, str]:
    """`concprof profile` of one model, one timing run, in a subprocess."""
    return concprof(
        "profile",
        str(path),
        "--models",
        model,
        "--repeat",
        "1",
        "--recorders",
        recorders,
        "--out",
        str(out),
        *extra,
    )


def sleepy(scenario_file: Callable[[str, str], Path], name: str, seconds: float) -> Path:
    return scenario_file(
        name,
        f'"""Sleeps."""\nimport time\nTASKS = 4\ndef task(i):\n    time.sleep({seconds})\n    return i\n',
    )


@needs_perf
def test_sigkill_during_an_observed_run_leaves_nothing_behind(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN a profile with every recorder, in its observed run (perf's probes are in place)
    path = sleepy(scenario_file, "killed_run", 0.5)
    out = tmp_path / "reports"
    proc = start(
        ["profile", str(path), "--models", "sequential", "--repeat", "1", "--out", str(out)],
        tmp_path,
    )
    wait_for(
        lambda: UPROBES.exists() and f"concprof{proc.pid}/" in UPROBES.read_text(),
        120,
        "the observed run's probes",
    )
    time.sleep(1.0)  # perf record, py-spy and the runner are running now
    # WHEN concprof is SIGKILLed
    proc.kill()
    proc.wait()
    killed_at = time.monotonic()
    # THEN within 5 s nothing of the run is left: processes, probes, temp dirs, cgroup
    assert processes_with(str(out)), "perf's GIL recording, which writes under --out"
    wait_for(
        lambda: not leftovers_of(proc.pid, str(path), str(out)),
        5,
        lambda: f"the watchdog's clean-up: {leftovers_of(proc.pid, str(path), str(out))}",
    )
    assert time.monotonic() - killed_at < 5
    # AND the run says it is incomplete, killed, and its files parse
    doc = manifest(out)
    assert doc["status"] == "incomplete"
    assert doc["error"]["phase"] == "killed"  # type: ignore[index]
    assert_files_parse(Path(str(doc["_dir"])))


def test_sigterm_takes_the_ctrl_c_path(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    path = sleepy(scenario_file, "terminated_run", 1.0)
    out = tmp_path / "reports"
    proc = start(["profile", str(path), "--recorders", "none", "--out", str(out)], tmp_path)
    wait_for(
        lambda: any("--model" in p.cmdline() for p in processes_with(str(path))),
        60,
        "the first timing run",
    )
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    err = (tmp_path / "stderr").read_text()
    assert "interrupted (SIGTERM)" in err and err.count("\n") == 1, err
    doc = manifest(out)
    assert doc["status"] == "incomplete" and doc["error"]["phase"] == "interrupted"  # type: ignore[index]
    assert not leftovers_of(proc.pid, str(path))
    assert_files_parse(Path(str(doc["_dir"])))


def test_a_server_that_keeps_the_output_open_or_calls_setsid_does_not_outlive_the_run(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN setup() starts a child holding our stdout and a daemon in a new session,
    # and there is no teardown
    marker = "7777.25"
    path = scenario_file(
        "leaky_setup",
        '"""Leaks."""\nimport subprocess\nTASKS = 2\n'
        "def setup():\n"
        f"    subprocess.Popen(['sleep', '{marker}'])\n"
        f"    subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "def task(i):\n    return i\n",
    )
    started = time.monotonic()
    code, _out, err = one_run(path, tmp_path / "reports", "sequential", "none")
    # THEN the run ends promptly, complete, and both sleepers are gone
    assert code == 0, err
    assert time.monotonic() - started < 120
    assert not processes_with(marker)
    assert manifest(tmp_path / "reports")["status"] == "complete"


@pytest.mark.parametrize(
    ("models", "where"),
    [
        # sequential (the baseline, added first) hangs in the runner's main thread
        ('"""Sleeps."""\n', "task() at hung_task.py:6 (1 thread)"),
        # two process workers hang, each in its own process (spawned: a handler of its own)
        ('"""Sleeps."""\nMODELS = ["processes"]\n', "task() at hung_task.py:7 (2 threads)"),
    ],
    ids=["runner", "process-workers"],
)
def test_a_hung_task_ends_at_the_timeout_with_one_line_naming_where(
    tmp_path: Path, scenario_file: Callable[[str, str], Path], models: str, where: str
) -> None:
    path = scenario_file(
        "hung_task",
        f"{models}import time\nTASKS = 4\n\ndef task(i):\n    time.sleep(600)\n    return i\n",
    )
    started = time.monotonic()
    code, _out, err = concprof(
        "profile",
        str(path),
        "--models",
        "threads" if "MODELS" not in models else "processes",
        "--workers",
        "2",
        "--start-method",
        "spawn",
        "--timeout",
        "3",
        "--recorders",
        "none",
        "--out",
        str(tmp_path / "reports"),
    )
    assert code == 1 and err.count("\n") == 1, err
    assert "ran longer than 3 s (--timeout)" in err, err
    # AND the line names the model and where its tasks hung, from their stacks
    assert ("sequential" if "MODELS" not in models else "processes") in err
    assert f"in flight: {where}" in err, err
    assert time.monotonic() - started < 90
    doc = manifest(tmp_path / "reports")
    assert doc["status"] == "incomplete" and doc["error"]["phase"] == "timeout"  # type: ignore[index]
    assert not processes_with(str(path))
    assert_files_parse(Path(str(doc["_dir"])))


def test_a_scenario_whose_import_hangs_is_bad_input(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    path = scenario_file(
        "hangs_at_import", "import time\ntime.sleep(600)\nTASKS = 1\ndef task(i): return i\n"
    )
    proc = start(
        ["profile", str(path), "--out", str(tmp_path / "reports")],
        tmp_path,
        {"CONCPROF_IMPORT_TIMEOUT_S": "2"},
    )
    assert proc.wait(timeout=60) == 2
    err = (tmp_path / "stderr").read_text()
    assert "importing it did not finish within 2 s" in err and err.count("\n") == 1, err
    assert not processes_with(str(path))
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        ("print('hello from import')\nTASKS = 1\ndef task(i): return i\n", 0, ""),
        (
            "import sys\nsys.exit(3)\nTASKS = 1\ndef task(i): return i\n",
            2,
            "importing it called sys.exit(3)",
        ),
    ],
)
def test_a_scenario_that_prints_or_exits_at_import(
    tmp_path: Path, scenario_file: Callable[[str, str], Path], source: str, code: int, message: str
) -> None:
    path = scenario_file("noisy_import", source)
    got, _out, err = one_run(path, tmp_path / "reports", "sequential", "none")
    assert got == code, err
    assert message in err and err.count("\n") == (1 if message else 0), err


def test_a_failure_only_in_the_observed_run_is_exit_1_and_incomplete(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN a task that fails only when timed per task (the observed run)
    path = scenario_file(
        "fails_observed",
        '"""x"""\nimport sys\nTASKS = 2\ndef task(i):\n'
        "    if '--task-times' in sys.argv:\n        raise RuntimeError('only when observed')\n"
        "    return i\n",
    )
    code, _out, err = one_run(path, tmp_path / "reports", "sequential", "procfs")
    assert code == 1 and "only when observed" in err and err.count("\n") == 1, err
    doc = manifest(tmp_path / "reports")
    assert doc["status"] == "incomplete" and doc["error"]["phase"] == "observed"  # type: ignore[index]
    run_dir = Path(str(doc["_dir"]))
    assert (run_dir / "index.html").exists()  # rendered before the status was written
    assert_files_parse(run_dir)


def test_a_task_raising_systemexit_still_runs_teardown(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    flag = tmp_path / "torn_down"
    path = scenario_file(
        "exits_in_task",
        f'"""x"""\nimport sys\nTASKS = 2\ndef task(i):\n    sys.exit(4)\n'
        f"def teardown():\n    open({str(flag)!r}, 'a').write('x')\n",
    )
    code, _out, err = one_run(path, tmp_path / "reports", "sequential", "none")
    assert code == 1 and "SystemExit: 4" in err, err
    assert flag.exists()


def test_an_out_path_with_a_file_in_the_way_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, _out, err = concprof("profile", "io", "--out", str(blocker / "reports"))
    assert code == 2 and err.count("\n") == 1, err
    assert "--out must be a writable directory" in err


def test_hostile_names_stay_inside_out_and_render(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN a scenario file named "...py", and thread names with $ and [/]
    source = (
        '"""$x [/] name"""\nimport threading\nTASKS = 2\n'
        "def task(i):\n    threading.current_thread().name = '$5 [/]worker'\n    return i\n"
    )
    dots = tmp_path / "...py"
    dots.write_text(source)
    weird = scenario_file("a$b[x]", source)
    not_utf8 = tmp_path / os.fsdecode(b"bad\xffname.py")  # a name that is not valid UTF-8
    not_utf8.write_text(source)
    out = tmp_path / "reports"
    for path in (dots, weird, not_utf8):
        code, _stdout, err = concprof(
            "profile",
            str(path),
            "--models",
            "threads",
            "--repeat",
            "1",
            "--recorders",
            "procfs",
            "--out",
            str(out),
        )
        assert code == 0, err
    # THEN every run directory is under --out, and each rendered its report
    runs = [p for p in out.glob("*/*") if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 3
    for run in runs:
        assert run.resolve().is_relative_to(out.resolve())
        assert (run / "index.html").exists() and (run / "figures").exists()
        assert json.loads((run / "run.json").read_text())["status"] == "complete"
    # AND the name that is not UTF-8 is shown with its byte escaped, in run.json and the report
    paths = [json.loads((run / "run.json").read_text())["scenario"]["path"] for run in runs]
    assert any(p.endswith("bad\\xffname.py") for p in paths), paths


@needs_perf
def test_a_recorder_that_dies_mid_run_is_exit_1_incomplete_and_the_rest_kept(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN a run with perf and procfs, whose GIL probes' perf is killed mid-run (as the
    # OOM killer would)
    path = sleepy(scenario_file, "recorder_dies", 0.5)
    out = tmp_path / "reports"
    proc = start(
        [
            *("profile", str(path), "--models", "sequential", "--repeat", "1"),
            *("--recorders", "perf,procfs", "--out", str(out)),
        ],
        tmp_path,
    )

    def gil_perf() -> list[psutil.Process]:
        return [p for p in processes_with("perf_gil.data") if str(out) in " ".join(p.cmdline())]

    wait_for(lambda: bool(gil_perf()), 120, "perf's recording of the GIL probes")
    time.sleep(1.0)  # the observed run sleeps 2 s: perf is recording now
    for victim in gil_perf():
        victim.kill()
    assert proc.wait(timeout=300) == 1
    err = (tmp_path / "stderr").read_text()
    # THEN exit 1, one line naming the recorder; the run is kept, incomplete, phase recorder
    assert err.count("\n") == 1 and "perf" in err and "recorder failed" in err, err
    doc = manifest(out)
    assert doc["status"] == "incomplete" and doc["error"]["phase"] == "recorder"  # type: ignore[index]
    run = Path(str(doc["_dir"]))
    assert_files_parse(run)
    # AND the other recorder's rows, the timing results and the report are there
    tables = load_run(run)
    assert set(tables["threads"]["source"]) == {"procfs"}
    assert int(tables["timing"]["used"].sum()) == 1 and (run / "index.html").exists()
    assert not leftovers_of(proc.pid, str(path), str(out))


def test_a_cut_off_raw_file_is_refused_with_one_line_naming_it(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    # GIVEN a recorded run (py-spy and procfs)
    path = sleepy(scenario_file, "cut_off", 0.2)
    code, _out, err = one_run(path, tmp_path / "reports", "sequential", "py-spy,procfs")
    assert code == 0, err
    run = manifest(tmp_path / "reports")["_dir"]
    for name in ("pyspy.txt", "procfs_threads.csv", "observed.json"):
        # WHEN one of its raw files loses its last bytes (a write that stopped)
        copy = tmp_path / f"copy-{name}"
        shutil.copytree(str(run), copy)
        raw = copy / "raw" / "sequential" / name
        raw.write_bytes(raw.read_bytes()[:-7])
        code, _out, err = concprof("report", str(copy))
        # THEN `concprof report` refuses it: exit 2, one line naming the file
        assert code == 2 and err.count("\n") == 1, err
        assert str(raw) in err and ("truncated" in err or "unreadable" in err), err


def test_a_file_system_too_small_for_a_run_is_bad_input(tmp_path: Path) -> None:
    # GIVEN --out on a 16 MB file system (a tmpfs: mounting one needs root)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(small)], check=True)
    try:
        # WHEN a run with recorders, then one without, is asked to write there
        code, _out, err = concprof("profile", "cpu", "--out", str(small / "reports"))
        bare = concprof("profile", "cpu", "--recorders", "none", "--out", str(small))
    finally:
        subprocess.run(["umount", str(small)], check=False)
    # THEN each is refused before anything runs, with one line saying how much is needed
    assert code == 2 and err.count("\n") == 1, err
    assert "not enough free space" in err and "MB needed" in err and "RECORDERS=none" in err
    assert bare[0] == 2 and "not enough free space" in bare[2], bare
    assert not any(small.iterdir())  # the mount point again: nothing was left on it


def test_workers_are_bounded(tmp_path: Path) -> None:
    code, _out, err = concprof("profile", "cpu", "--workers", "100000", "--out", str(tmp_path))
    assert code == 2 and "workers must be at most 4096" in err and err.count("\n") == 1


@needs_perf
def test_two_concurrent_perf_runs_both_get_exact_data(tmp_path: Path) -> None:
    args = [
        "profile",
        "cpu",
        "--size",
        "quick",
        "--models",
        "threads",
        "--repeat",
        "1",
        "--recorders",
        "perf",
    ]
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        runs.append(start([*args, "--out", str(tmp_path / name / "reports")], tmp_path / name))
    for proc in runs:
        assert proc.wait(timeout=600) == 0, (tmp_path / "a" / "stderr").read_text()
    for name in ("a", "b"):
        threads = load_run(tmp_path / name / "reports" / "cpu" / "latest")["threads"]
        assert (threads["source"] == "perf").any()
        assert not leftovers_of(runs[0].pid, "profiler.workload.runner")


@needs_perf
def test_what_a_dead_run_left_is_removed_with_a_line(tmp_path: Path) -> None:
    # GIVEN a probe group and a temporary directory of a concprof process that is gone
    dead = subprocess.Popen(["true"])
    dead.wait()
    from profiler.recorders.perf.uprobes import python_library

    library = python_library(sys.executable)
    added = subprocess.run(
        [
            "perf",
            "probe",
            "-q",
            "-x",
            library,
            "-a",
            f"concprof{dead.pid}:take_gil_c{dead.pid}=take_gil",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    stale_dir = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{dead.pid}-stale"
    stale_dir.mkdir()
    # WHEN the next run starts
    code, out, err = concprof(
        "profile",
        "cpu",
        "--size",
        "quick",
        "--models",
        "sequential",
        "--repeat",
        "1",
        "--recorders",
        "none",
        "--out",
        str(tmp_path),
    )
    # THEN both are gone, and the run said so
    assert code == 0, err
    assert f"concprof{dead.pid}" not in UPROBES.read_text()
    assert not stale_dir.exists()
    assert f"removed perf probes left by a dead run: concprof{dead.pid}" in out
    assert "removed a temporary directory left by a dead run" in out


@needs_perf
def test_perf_sched_recording_stops_at_its_cap_and_the_workload_goes_on(tmp_path: Path) -> None:
    # GIVEN perf's system-wide sched recording, capped at 1 MB, while two processes hand a
    # byte back and forth through pipes (tens of thousands of context switches a second)
    from profiler.recorders.perf.gil_trace import PerfRecording
    from profiler.recorders.perf.recorder import SCHED_EVENTS

    trace = PerfRecording(
        ["-a"],
        list(SCHED_EVENTS),
        tmp_path / "perf.data",
        tmp_path / "perf_sched.err",
        None,
        label="sched events",
        max_bytes=2**20,
        mmap_pages=1024,
    )
    ping_pong = (
        "import os, time\n"
        "a, b = os.pipe(); c, d = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    os.close(b); os.close(c)\n"
        "    while os.read(a, 1): os.write(d, b'x')\n"
        "    os._exit(0)\n"
        "os.close(a); os.close(d)\n"
        "end = time.monotonic() + 3\n"
        "n = 0\n"
        "while time.monotonic() < end:\n"
        "    os.write(b, b'x'); os.read(c, 1); n += 1\n"
        "os.close(b)\n"
        "print(n)\n"
    )
    workload = subprocess.run(
        [sys.executable, "-c", ping_pong], capture_output=True, text=True, timeout=60, check=True
    )
    coverage = trace.stop()
    # THEN perf stopped itself at the cap (no error), the workload went on to its end,
    assert coverage.capped and not coverage.error, trace.log_text()
    assert int(workload.stdout) > 1000
    # AND the file stops near the cap: perf checks its size after writing what its per-core
    # buffers held (4 MB each, two cores)
    assert 2**20 <= (tmp_path / "perf.data").stat().st_size < 12 * 2**20


@needs_perf
def test_sigterm_during_record_keeps_the_recording_and_leaves_nothing(tmp_path: Path) -> None:
    # GIVEN `concprof record` of a program that would run for a minute
    program = tmp_path / "forever_recorded.py"
    program.write_text("import time\nfor _ in range(600):\n    time.sleep(0.1)\n")
    out = tmp_path / "reports"
    proc = start(
        ["record", "--recorders", "perf,procfs", "--out", str(out), "--", sys.executable,
         str(program)],
        tmp_path,
    )  # fmt: skip
    # the program runs under the recorders once the start-up hook has noted its MainThread
    wait_for(lambda: any(out.glob("*/*/raw/record/threads/*.jsonl")), 60, "the recorded program")
    time.sleep(1.0)
    # WHEN concprof gets SIGTERM (as from a service manager or Ctrl-C)
    proc.send_signal(signal.SIGTERM)
    # THEN it ends the program, keeps what was recorded and says so in one line
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    err = (tmp_path / "stderr").read_text()
    assert "interrupted (SIGTERM)" in err and err.count("\n") == 1, err
    doc = manifest(out)
    assert doc["kind"] == "record" and doc["status"] == "incomplete"
    assert doc["error"]["phase"] == "interrupted"  # type: ignore[index]
    run_dir = Path(str(doc["_dir"]))
    assert_files_parse(run_dir)
    assert (run_dir / "tables" / "threads.csv").is_file()
    assert not leftovers_of(proc.pid, str(program), str(out))

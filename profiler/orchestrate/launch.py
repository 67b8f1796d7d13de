"""Start the stdlib-only runner in the workload's interpreter, and always clean up.

Each run is a child in its own session (process group); whatever happens
(failure, timeout, Ctrl-C), the whole group is ended before we return, so no
worker or helper server outlives the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import profiler
from profiler.errors import RunFailed
from profiler.orchestrate.containment import Containment, pids_in
from profiler.workload.stacks import DUMP_SIGNAL

PACKAGE_DIR = Path(profiler.__file__).resolve().parent


TEMP_PREFIX = "concprof-path-"


@contextmanager
def package_path() -> Iterator[str]:
    """A directory holding only a link to this package, for the runner's PYTHONPATH.

    Putting the toolkit's site-packages on another interpreter's path would
    mix two Pythons' compiled modules; this exposes `profiler` alone. Its name
    carries our pid, so a later run can remove it if we die.
    """
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        (Path(tmp) / "profiler").symlink_to(PACKAGE_DIR, target_is_directory=True)
        yield tmp


def remove_stale_dirs() -> list[str]:
    """Remove the temporary directories of concprof processes that are gone."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = path.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if not _owned(path):  # another user's run: not ours to judge or remove
            continue
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _owned(path: Path) -> bool:
    try:
        return path.lstat().st_uid == os.geteuid()
    except OSError:
        return False


def runner_env(path_dir: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = path_dir
    env.pop("PYTHONHOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """End the child's whole process group (workers, servers) and reap the child."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@dataclass(frozen=True)
class Launcher:
    """How a run launches its commands: the runner's path, containment, the timeout."""

    path_dir: str  # the runner's PYTHONPATH (package_path)
    timeout_s: float  # per model run (--timeout)
    contain: Containment | None = None

    def run(
        self,
        argv: Sequence[str],
        logs: Path,
        on_start: Callable[[int], None] | None = None,
        extra_env: dict[str, str] | None = None,
        gate: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        logs.parent.mkdir(parents=True, exist_ok=True)
        return run_group(
            argv,
            runner_env(self.path_dir, extra_env),
            self.timeout_s,
            on_start=on_start,
            logs=logs,
            contain=self.contain,
            gate=gate,
        )


OUTPUT_CAP_BYTES = 8 * 1024 * 1024  # a log keeps its first and last MiB beyond this
TAIL_BYTES = 64 * 1024  # what error messages read of a log


def _tail(path: Path) -> str:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - TAIL_BYTES))
        return fh.read().decode("utf-8", "replace")


def cap_log(path: Path, cap: int = OUTPUT_CAP_BYTES) -> None:
    """Keep a log's first and last MiB when it grew beyond `cap` (a chatty workload)."""
    size = path.stat().st_size
    if size <= cap:
        return
    keep = 1024 * 1024
    with path.open("rb") as fh:
        head = fh.read(keep)
        fh.seek(size - keep)
        tail = fh.read()
    marker = f"\n[... concprof cut {size - 2 * keep} bytes of output ...]\n".encode()
    tmp = path.with_name(f".{path.name}.cap")
    tmp.write_bytes(head + marker + tail)
    os.replace(tmp, path)


_THREAD_HEADER = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-f]+.*$", re.M)
_FRAME = re.compile(r'^\s+File "(.+)", line (\d+) in (\S+)$', re.M)
STACKS_WAIT_S = 0.2  # for one process's faulthandler to write its stacks
STACKS_MAX_PROCESSES = 16


def _run_pids(root: int, contain: Containment | None) -> list[int]:
    """The run's processes: its cgroup's members, else its process group's."""
    if contain is not None and contain.cgroup is not None:
        return pids_in(contain.cgroup.path)
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[2]) == root:  # pgrp
                    found.append(int(entry.name))
    return found


def ask_for_stacks(root: int, contain: Containment | None) -> None:
    """A hung run's Python processes write their stacks to its log (SIGUSR1, faulthandler).

    Only processes running a Python executable are asked: the runner and its
    workers registered the handler (profiler.workload.stacks.dump_stacks_on_signal);
    recorders (perf, py-spy) are not Python and are left alone. One process at
    a time (they share the log, and faulthandler writes in small pieces), at
    most STACKS_MAX_PROCESSES of them.
    """
    asked = 0
    for pid in _run_pids(root, contain):
        if asked == STACKS_MAX_PROCESSES:
            break
        with suppress(OSError):
            if Path(os.readlink(f"/proc/{pid}/exe")).name.startswith("python"):
                os.kill(pid, DUMP_SIGNAL)
                asked += 1
                time.sleep(STACKS_WAIT_S)


class RunTimeout(RunFailed):
    """A launched command ran longer than its timeout and was ended."""

    def __init__(self, timeout_s: float, stderr: str) -> None:
        super().__init__(f"ran longer than {timeout_s:g} s")
        self.timeout_s = timeout_s
        self.stderr = stderr

    def in_flight(self, scenario_path: str) -> str:
        """Where the hung run's threads were in the scenario's code (from their stacks).

        E.g. "task() at hang.py:5 (2 threads)"; "" when no stack reached it.
        """
        places: dict[str, int] = {}
        for block in re.split(
            r"^(?:Current thread|Thread) 0x[0-9a-f]+.*$", self.stderr, flags=re.M
        ):
            for file, line, func in _FRAME.findall(block):
                if Path(file) == Path(scenario_path):
                    place = f"{func}() at {Path(file).name}:{line}"
                    places[place] = places.get(place, 0) + 1
                    break  # the innermost frame of the scenario in this thread
        return ", ".join(
            f"{place} ({n} thread{'s' if n > 1 else ''})" for place, n in places.items()
        )


def run_group(
    argv: Sequence[str],
    env: dict[str, str],
    timeout_s: float | None,
    cwd: str | None = None,
    on_start: Callable[[int], None] | None = None,
    logs: Path | None = None,
    contain: Containment | None = None,
    gate: bool = False,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """Run argv in a new process group; end the group on exit, error or timeout.

    Output goes to files (`<logs>.out`, `<logs>.err`; temporary ones without
    `logs`), never to pipes: we wait for the command, not for end-of-file, so
    a grandchild that keeps the output open cannot hold us. The result holds
    the tails of both. `on_start(pid)` runs right after the child starts (e.g.
    to attach a sampler). With `gate`, the command waits (in a `sh` that reads
    a pipe) until `on_start` has returned, so a recorder that attaches to the
    pid (perf -p, whose events its children inherit) misses nothing. A timeout
    ends the group and raises RunTimeout. `stdin=None` gives the command this
    process's standard input (a recorded program reads its terminal or pipe as it
    would without concprof); runners get /dev/null.
    """
    with contextlib.ExitStack() as stack:
        if logs is None:
            prefix = f"{TEMP_PREFIX}{os.getpid()}-"
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
            logs = tmp / "command"
        out_path, err_path = logs.with_suffix(".out"), logs.with_suffix(".err")
        out = stack.enter_context(out_path.open("wb"))
        err = stack.enter_context(err_path.open("wb"))
        held, release = os.pipe() if gate else (-1, -1)
        stack.callback(_close, held, release)
        if gate:
            argv = ["/bin/sh", "-c", f'read _ <&{held} && exec "$@" {held}<&-', "sh", *argv]
        command = contain.wrap(argv) if contain is not None else list(argv)
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=stdin,
            stdout=out,
            stderr=err,
            start_new_session=True,
            pass_fds=(held,) if gate else (),
        )
        try:
            if contain is not None:
                contain.started(proc.pid)
            if on_start is not None:
                on_start(proc.pid)
            if gate:
                os.write(release, b"go\n")
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                ask_for_stacks(proc.pid, contain)
                kill_group(proc)
                raise RunTimeout(timeout_s or 0.0, _tail(err_path)) from None
        except BaseException:
            kill_group(proc)
            raise
        finally:
            if contain is not None:
                contain.sweep()  # a daemon that left the group (setsid) is still in the cgroup
        kill_group(proc)  # stragglers in the group (a worker the pool did not reap)
        out.close()
        err.close()
        cap_log(out_path)
        cap_log(err_path)
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, _tail(out_path), _tail(err_path)
        )


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            with suppress(OSError):
                os.close(fd)

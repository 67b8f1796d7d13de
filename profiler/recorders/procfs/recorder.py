"""procfs sampler: per-thread on-CPU time and CPU, per-core busy time, from /proc.

Runs in a thread of the toolkit's process (outside the measured one) and
polls every `interval_s` (10 ms by default) the whole process tree under the
launched command:
- /proc/<pid>/task/<tid>/schedstat: on-CPU ns, run-queue wait ns (exact, cumulative)
- /proc/<pid>/task/<tid>/stat: state, last CPU (field 39), ppid (from the pid's stat)
- /proc/<pid>/task/<tid>/status: voluntary / involuntary context switches (every 5th poll)
- /proc/<pid>/statm: resident pages
- /proc/stat: per-core jiffies (user ... steal)
Files are kept open and re-read with pread, which regenerates their content.
Output: procfs_threads.csv, procfs_processes.csv, procfs_cores.csv, procfs_meta.json.
"""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path

from profiler.atomic import write_json, write_with
from profiler.recorders.base import Availability, Target, Traits
from profiler.recorders.procfs.files import ProcfsFiles
from profiler.recorders.system import process_tree

THREAD_FIELDS = ["t_ns", "pid", "tid", "state", "cpu", "oncpu_ns", "runq_ns", "vcs", "nvcs"]
PROCESS_FIELDS = ["t_ns", "pid", "ppid", "rss_kb", "comm"]
CORE_FIELDS = [
    "t_ns",
    "core",
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
]
STATUS_EVERY = 5


def parse_stat(data: bytes) -> tuple[str, str, int, int]:
    """(comm, state, ppid, processor) from a /proc stat line; comm may hold spaces."""
    close = data.rindex(b")")
    comm = data[data.index(b"(") + 1 : close].decode(errors="replace")
    fields = data[close + 2 :].split()
    return comm, fields[0].decode(), int(fields[1]), int(fields[36])


def parse_ctxt(data: bytes) -> tuple[int, int]:
    vcs = nvcs = -1
    for line in data.splitlines():
        if line.startswith(b"voluntary_ctxt_switches:"):
            vcs = int(line.split()[1])
        elif line.startswith(b"nonvoluntary_ctxt_switches:"):
            nvcs = int(line.split()[1])
    return vcs, nvcs


class _Files:
    """Open /proc files, re-read with pread; forgotten when their thread is gone."""

    def __init__(self) -> None:
        self.fds: dict[str, int] = {}

    def read(self, path: str) -> bytes | None:
        fd = self.fds.get(path)
        try:
            if fd is None:
                fd = self.fds[path] = os.open(path, os.O_RDONLY)
            return os.pread(fd, 4096, 0)
        except OSError:
            if fd is not None:
                os.close(fd)
                self.fds.pop(path, None)
            return None

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


class ProcfsSampler:
    name = "procfs"

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.traits = Traits(
            exact=False, measures=frozenset({"cpu", "cores", "threads"}), rate_hz=1.0 / interval_s
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.threads: list[tuple[object, ...]] = []
        self.processes: list[tuple[object, ...]] = []
        self.cores: list[tuple[object, ...]] = []
        self._target: Target | None = None
        self.polls = 0
        self.poll_cost_ns = 0

    def available(self, python: str) -> Availability:
        if not Path("/proc/self/task").is_dir() or not Path("/proc/stat").is_file():
            return Availability(False, "no Linux /proc here", "run on Linux")
        probe = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        if not probe.is_file():
            return Availability(
                False,
                "/proc/<pid>/task/<tid>/schedstat is missing",
                "use a kernel built with CONFIG_SCHED_INFO (schedstats)",
            )
        return Availability(True, f"polls /proc every {self.interval_s * 1000:.0f} ms")

    def start(self, root_pid: int, target: Target) -> None:
        """Begin polling the tree under root_pid; every start is a fresh recording."""
        self._target = target
        self._stop = threading.Event()
        self.threads, self.processes, self.cores = [], [], []
        self.polls = self.poll_cost_ns = 0
        self._thread = threading.Thread(
            target=self._loop, args=(root_pid,), name="concprof-procfs", daemon=True
        )
        self._thread.start()

    def _poll(self, root: int, files: _Files, with_status: bool) -> None:
        t_ns = time.monotonic_ns()
        for pid in process_tree(root):
            stat = files.read(f"/proc/{pid}/stat")
            statm = files.read(f"/proc/{pid}/statm")
            if stat is None or statm is None:
                continue
            comm, _, ppid, _ = parse_stat(stat)
            self.processes.append((t_ns, pid, ppid, int(statm.split()[1]) * self._page_kb, comm))
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                base = f"/proc/{pid}/task/{tid}/"
                sched = files.read(base + "schedstat")
                tstat = files.read(base + "stat")
                if sched is None or tstat is None:
                    continue
                _, state, _, cpu = parse_stat(tstat)
                oncpu, runq = (int(x) for x in sched.split()[:2])
                vcs, nvcs = -1, -1
                if with_status:
                    status = files.read(base + "status")
                    if status is not None:
                        vcs, nvcs = parse_ctxt(status)
                self.threads.append((t_ns, pid, int(tid), state, cpu, oncpu, runq, vcs, nvcs))
        stat_all = files.read("/proc/stat")
        if stat_all is not None:
            for line in stat_all.splitlines():
                if line.startswith(b"cpu") and line[3:4].isdigit():
                    parts = line.split()
                    self.cores.append((t_ns, int(parts[0][3:]), *(int(x) for x in parts[1:9])))

    def _loop(self, root: int) -> None:
        files = _Files()
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        try:
            next_t = time.monotonic()
            while True:
                began = time.monotonic_ns()
                self._poll(root, files, self.polls % STATUS_EVERY == 0)
                self.poll_cost_ns += time.monotonic_ns() - began
                self.polls += 1
                if self._stop.is_set():
                    break  # one last poll after the run ended: final counters
                next_t += self.interval_s
                self._stop.wait(max(0.0, next_t - time.monotonic()))
        finally:
            files.close()

    def stop(self) -> list[Path]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        assert self._target is not None
        files = ProcfsFiles(self._target.raw_dir)
        written = [
            self._write(files.threads, THREAD_FIELDS, self.threads),
            self._write(files.processes, PROCESS_FIELDS, self.processes),
            self._write(files.cores, CORE_FIELDS, self.cores),
        ]
        meta = {
            "interval_s": self.interval_s,
            "polls": self.polls,
            "mean_poll_cost_us": self.poll_cost_ns / max(1, self.polls) / 1000,
            "clock_ticks_per_s": os.sysconf("SC_CLK_TCK"),
            "cpu_count": os.cpu_count(),
        }
        written.append(write_json(files.meta, meta))
        return written

    @staticmethod
    def _write(path: Path, fields: list[str], rows: list[tuple[object, ...]]) -> Path:
        def fill(tmp: Path) -> None:
            with tmp.open("w", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(fields)
                out.writerows(rows)

        return write_with(path, fill)

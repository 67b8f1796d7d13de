"""Standalone `perf record`s: the GIL probes' (stopped at their budget) and sched events' (capped).

Every uprobe hit costs the traced thread a trap into the kernel (about 3 µs
on the machines we measured), inside the very intervals it times, and the
cost stays while the probes are installed, even with perf's events disabled.
A workload that releases the GIL hundreds of thousands of times a second is
slowed several times over. So the probes get a perf of their own:
- attached (`-p`) to the launched command while it is held (profiler.orchestrate.launch's
  gate), and ready before it goes on (`--control` handshake); its children
  inherit the events, so only the run's processes carry breakpoints: no other
  Python (concprof's own samplers among them) pays for them or fills the trace;
- stopped (SIGINT: perf drains its buffers and closes the events, which
  removes the breakpoints) once its data reaches the budget: the bytes that
  `budget_s` of probe cost produce. The rest of the run goes unprobed and at
  full speed; the trace covers the run from its start to `stopped_ns`, and
  the analysis treats that as the GIL's window.
sched_switch stays with the perf that wraps the runner, system-wide, for the
whole run (it is cheap).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from profiler.recorders.base import RecorderFailed

PROBE_HIT_COST_S = 3e-6  # one uprobe hit, trap and record (docs/benchmarks.md, observer table)
EVENT_BYTES = 83  # perf.data bytes per uprobe record, measured with -a -k mono
STOP_COST_S = 0.3  # probes stay installed while perf stops (closing its events), at full cost
MIN_TRACE_BYTES = 2 * 1024 * 1024  # even a short run gets this much trace
MAX_TRACE_BYTES = 48 * 1024 * 1024  # no more than this, however long the run
HARD_CAP_BYTES = 96 * 1024 * 1024  # perf --max-size: a backstop if we cannot stop it in time
# sched events, system-wide: about 25 s of the busiest run we have (CONCPROF_SCHED_CAP_MB)
SCHED_CAP_BYTES = int(float(os.environ.get("CONCPROF_SCHED_CAP_MB", "256")) * 2**20)
POLL_S = 0.02
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 120.0


def budget_bytes(budget_s: float | None) -> int:
    """The trace size whose probe hits cost about `budget_s` (None: the maximum)."""
    if budget_s is None:
        return MAX_TRACE_BYTES
    wanted = int((budget_s - STOP_COST_S) / PROBE_HIT_COST_S * EVENT_BYTES)
    return max(MIN_TRACE_BYTES, min(MAX_TRACE_BYTES, wanted))


@dataclass(frozen=True)
class Coverage:
    """What the GIL trace covered: all of the run, or up to `stopped_ns`."""

    budget_bytes: int
    trace_bytes: int
    stopped_ns: int | None  # CLOCK_MONOTONIC when the budget was spent; None: the whole run
    error: str = ""
    capped: bool = False  # perf stopped itself at max_bytes (sched: the trace ends early)


class PerfRecording:
    """A standalone `perf record`, ready before the held command goes on, until stopped.

    The GIL probes: `scope` ["-p", pid] (inherited by the run's processes) and a
    `budget` in bytes, past which it is stopped. sched events: ["-a"], no budget,
    and `max_bytes` as their cap: perf stops by itself there (the workload goes
    on) and the trace says how far it got (`capped`).
    """

    def __init__(
        self,
        scope: list[str],
        events: list[str],
        data: Path,
        log: Path,
        budget: int | None,
        track: Callable[[int], None] | None = None,
        label: str = "GIL probes",
        max_bytes: int = HARD_CAP_BYTES,
        mmap_pages: int = 256,
    ) -> None:
        self.data, self.budget, self.label, self.max_bytes = data, budget, label, max_bytes
        self.stopped_ns: int | None = None
        self._done = threading.Event()
        self._fifos = Path(tempfile.mkdtemp(prefix=f"concprof-path-{os.getpid()}-perf-"))
        ctl, ack = self._fifos / "ctl", self._fifos / "ack"
        os.mkfifo(ctl)
        os.mkfifo(ack)
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                [
                    # -p: per task, inherited by every child: the breakpoints go into
                    # the run's processes only, so no other Python (concprof's own
                    # sampler among them) pays for them or fills the trace
                    *("perf", "record", *scope, "-k", "mono", "-m", str(mmap_pages)),
                    # no build-id pass and no BPF side-band thread: both hold the probes
                    # installed (and costing) for up to a second after the stop
                    *("--no-buildid", "--no-bpf-event"),
                    *("--max-size", f"{max_bytes // 1024}K", "-D", "-1"),
                    *("--control", f"fifo:{ctl},{ack}", "-o", str(data)),
                    *(w for e in events for w in ("-e", e)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,  # outside the run's cgroup: we stop it, gently
            )
        if track is not None:
            track(self.proc.pid)
        # O_RDWR: opening a FIFO this way never blocks, even before perf opens its end
        self._ctl = os.open(ctl, os.O_RDWR)
        self._ack = os.open(ack, os.O_RDWR)
        try:
            self._enable()
        except BaseException:
            self.stop()
            raise
        if budget is not None:
            self._watch = threading.Thread(target=self._watch_size, name="gil-trace", daemon=True)
            self._watch.start()

    def _enable(self) -> None:
        os.write(self._ctl, b"enable\n")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._ack], [], [], 0.1)
            if ready and b"ack" in os.read(self._ack, 64):
                return
            if self.proc.poll() is not None:
                if self.budget is None and "size limit reached" in self.log_text():
                    return  # capped already (a cap below what perf writes at start): said later
                raise RecorderFailed(f"perf record ({self.label}) exited: {self._log_tail()}")
        raise RecorderFailed(f"perf record ({self.label}) was not ready in {READY_TIMEOUT_S:g} s")

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")
        return ""

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return " ".join(self.log.read_text(errors="replace").split())[-300:] or "no message"
        return "no message"

    def _watch_size(self) -> None:
        while not self._done.wait(POLL_S):
            try:
                size = self.data.stat().st_size
            except OSError:
                continue
            if self.budget is not None and size >= self.budget and self.proc.poll() is None:
                self.stopped_ns = time.monotonic_ns()
                self._interrupt()
                return

    def _interrupt(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)

    def stop(self) -> Coverage:
        """End the recording (if the budget has not already); what it covered."""
        self._done.set()
        if self.proc.poll() is None:
            self._interrupt()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._ctl, self._ack):
            with contextlib.suppress(OSError):
                os.close(fd)
        for fifo in ("ctl", "ack"):
            (self._fifos / fifo).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._fifos.rmdir()
        size = self.data.stat().st_size if self.data.exists() else 0
        code = self.proc.returncode
        capped = "size limit reached" in self._log_tail()
        if code not in (0, -signal.SIGINT):  # perf re-raises the SIGINT that stopped it
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            error = f"perf record ({self.label}) ended by {how}: {self._log_tail()}"
        elif capped and self.budget is not None:  # the budget should have stopped it first
            error = f"perf record ({self.label}) stopped at its hard size limit"
        else:
            error = ""
        return Coverage(
            budget_bytes=self.budget or self.max_bytes,
            trace_bytes=size,
            stopped_ns=self.stopped_ns,
            error=error,
            capped=capped,
        )

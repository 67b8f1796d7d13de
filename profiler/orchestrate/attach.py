"""`concprof attach PID`: a running process and its children, recorded without changing it.

perf's GIL probes on the process and its children (those started later
inherit them), sched events system-wide, py-spy with `--pid --subprocesses`,
procfs over the tree; thread names from `py-spy dump` at the start and the
end. Stops at `--duration`, on Ctrl-C or SIGTERM, or when the process ends;
the process goes on running, and nothing of concprof's stays behind. Output
as for `concprof record` (reports/attach-<name>/<stamp>/).
"""

from __future__ import annotations

import os
import pwd
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from profiler.errors import UsageError
from profiler.layout import RECORDING
from profiler.orchestrate.interpreters import resolve_python
from profiler.orchestrate.lifecycle import RunSession
from profiler.orchestrate.observe import finish_all, stop_all
from profiler.orchestrate.recording import (
    PYTHON_NAME,
    name_of,
    record_manifest,
    recording_of,
    recording_recorders,
)
from profiler.orchestrate.scenario import python_info
from profiler.recorders import named_threads, select
from profiler.recorders.base import FollowsRunning, RecorderFailed, Sampler, Target
from profiler.recorders.system import process_tree, ptrace_scope
from profiler.spine import ProgressFn, Recorded, RecorderStatus, Step

POLL_S = 0.1  # how often the wait checks the duration and whether the process lives


@dataclass(frozen=True)
class AttachConfig:
    pid: int
    duration_s: float | None = None  # None: until Ctrl-C or the process ends
    reports: Path = Path("reports")
    recorders: str = "auto"
    python: str | None = None


def target_of(pid: int, python: str | None) -> tuple[list[str], str]:
    """The process's command line and the interpreter perf probes; UsageError if it is gone."""
    try:
        owner = Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        raise UsageError(
            f"no process {pid} to attach to (give the pid of a running process)"
        ) from None
    if owner != os.geteuid() and os.geteuid() != 0:
        raise UsageError(
            f"process {pid} belongs to {_user(owner)}, not to you: attaching to another user's "
            f"process needs root (sudo concprof attach {pid}) or CAP_SYS_PTRACE"
        )
    try:
        if not alive(pid):
            raise OSError
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        exe = os.path.realpath(f"/proc/{pid}/exe")
    except OSError:
        raise UsageError(f"process {pid} has ended (give the pid of a running process)") from None
    argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    if python:
        return argv, resolve_python(python)
    return argv, exe if PYTHON_NAME.match(Path(exe).name) else resolve_python(None)


def _user(uid: int) -> str:
    try:
        return f"user {pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"uid {uid}"


def descendants_only(chosen_samplers: list[Sampler], not_used: dict[str, str]) -> list[Sampler]:
    """Where the kernel lets a process trace only its descendants (Yama ptrace_scope 1),
    py-spy cannot attach to a process concprof did not start: it is listed as not used."""
    if ptrace_scope() != 1 or os.geteuid() == 0:
        return chosen_samplers
    for sampler in chosen_samplers:
        if sampler.traits.traces:
            not_used[sampler.name] = (
                "kernel.yama.ptrace_scope is 1: only a process's ancestors may trace it; "
                "fix: sudo concprof attach, setcap cap_sys_ptrace+ep on py-spy, or "
                "concprof record -- <command> (concprof starts it, so py-spy may follow it)"
            )
    return [s for s in chosen_samplers if not s.traits.traces]


@contextmanager
def _stoppable() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the wait (the recording is kept), not the command."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def attach(config: AttachConfig, progress: ProgressFn) -> Recorded:
    """Record the process until the duration, Ctrl-C or its end (orchestrate.recorded then
    finishes the recording)."""
    argv, python = target_of(config.pid, config.python)
    if config.duration_s is not None and config.duration_s <= 0:
        raise UsageError(
            f"duration must be a positive number of seconds, got {config.duration_s:g}"
        )
    chosen = select(config.recorders, python)
    wrappers, samplers = recording_recorders(chosen)
    samplers = descendants_only(samplers, chosen.not_used)
    found = [w for w in wrappers if w.traits.follows_running]
    perf = cast(FollowsRunning, found[0]) if found else None
    name = name_of("attach", argv or [str(config.pid)])
    session = RunSession(config.reports, name, progress, chosen)
    run_dir, layout, started = session.run_dir, session.layout, session.started
    info = python_info(python)
    manifest = record_manifest(
        "attach", name, argv, started, chosen, config.recorders, info, pid=config.pid
    )
    session.save(manifest)
    files = layout.model_raw(RECORDING)
    files.logs.mkdir(parents=True, exist_ok=True)
    observed = manifest.observed
    names = named_threads(config.pid)
    with session.contained() as contain:
        target = Target(python=python, model=RECORDING, raw_dir=files.root, track=contain.started)
        running: list[Sampler] = []
        try:
            if perf is not None:
                try:
                    perf.wrap([], target)  # the probes
                    perf.attach_all(process_tree(config.pid), target)
                except RecorderFailed as exc:
                    observed.recorders[perf.name] = RecorderStatus.failure(str(exc))
                    perf.abandon()
                    perf = None
            for sampler in samplers:
                sampler.start(config.pid, target)
                running.append(sampler)
            t0 = time.monotonic_ns()
            what = f"{config.duration_s:g} s" if config.duration_s else "until Ctrl-C"
            progress(
                Step(
                    "attach", RECORDING, 1, 0, 1, None, True, f"recording pid {config.pid}, {what}"
                )
            )
            with _stoppable():
                _wait(config.pid, config.duration_s)
            t1 = time.monotonic_ns()
            if alive(config.pid):
                names += named_threads(config.pid)  # threads started meanwhile
        finally:
            stop_all(running, observed.recorders)
            if perf is not None:
                finish_all([perf], target, "", observed.recorders)
    unique = list({(t.pid, t.tid): t for t in names}.values())
    recording = recording_of(config.pid, (t0, t1), unique)
    observed.ok, observed.wall_s = True, recording.wall_s
    progress(Step("attach", RECORDING, 1, 1, 1, recording.wall_s, True, "building tables"))
    return Recorded(run_dir, manifest, recording, started)


def _wait(pid: int, duration_s: float | None) -> None:
    end = time.monotonic() + duration_s if duration_s else None
    while alive(pid) and (end is None or time.monotonic() < end):
        time.sleep(POLL_S)


def alive(pid: int) -> bool:
    """The process exists and has not ended: a zombie (ended, not yet reaped by its
    parent) stays in /proc until its parent waits for it, but runs nothing more."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :][:1] not in ("Z", "X")

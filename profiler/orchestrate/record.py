"""`concprof record -- CMD ...`: a program of the user's, run under the recorders.

The command runs as given (its own working directory and environment), its
processes under perf (GIL probes and sched events), py-spy and procfs as a
profile's observed run is; a start-up hook on its PYTHONPATH
(workload/hook/sitecustomize.py) notes every thread's name as it starts, in
every Python process it starts. The window is the command's life. Output:
reports/record-<name>/<stamp>/ with raw/record/, the tables (threads,
processes, cores, GIL intervals, blame, ceiling), the report, timeline.html
and trace.json.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from profiler.errors import UsageError
from profiler.layout import RECORDING
from profiler.orchestrate.interpreters import resolve_python
from profiler.orchestrate.launch import RunTimeout, run_group
from profiler.orchestrate.lifecycle import RunSession
from profiler.orchestrate.observe import finish_all, stop_all, wrap_all
from profiler.orchestrate.plan import check_loop_stall
from profiler.orchestrate.recording import (
    HOOK_DIR,
    PYTHON_NAME,
    name_of,
    record_manifest,
    recording_of,
    recording_recorders,
    thread_notes,
    threads_of,
)
from profiler.orchestrate.scenario import python_info
from profiler.recorders import select
from profiler.recorders.base import Target
from profiler.recorders.system import ptrace_scope
from profiler.spine import DEFAULT_LOOP_STALL_MS, ProgressFn, Recorded, Step
from profiler.workload.documents import PythonInfo, RunError


@dataclass(frozen=True)
class RecordConfig:
    argv: tuple[str, ...]
    reports: Path = Path("reports")
    recorders: str = "auto"
    python: str | None = None  # the interpreter perf probes; default: the command's, if Python
    timeout_s: float | None = None  # end the command after this long (None: wait)
    loop_stall_ms: float = DEFAULT_LOOP_STALL_MS  # asyncio: a callback this long is a stall


def resolve_command(argv: Sequence[str], python: str | None) -> tuple[list[str], str, PythonInfo]:
    """The command with its interpreter resolved, the interpreter whose libpython perf
    probes, and that interpreter as it reports itself (one run of it).

    A Python command (python3, python3.13t, a path to one) runs as the interpreter it
    reports (a pyenv shim is a script that execs it after a dozen helper processes, which
    py-spy would give up on) and is the one probed, unless --python names another; for a
    command that is not Python, --python or concprof's own interpreter is probed.
    """
    if not argv:
        raise UsageError("no command to record: concprof record -- python app.py [args]")
    found = shutil.which(argv[0])
    if found is None:
        raise UsageError(f"command not found: {argv[0]} (give a program on PATH or a path to one)")
    if PYTHON_NAME.match(Path(found).name):
        info = python_info(found)
        real = info.executable or found
        if not python:
            return [real, *argv[1:]], real, info
        command = [real, *argv[1:]]
    else:
        command = [found, *argv[1:]]
    probed = resolve_python(python)
    return command, probed, python_info(probed)


def record(config: RecordConfig, progress: ProgressFn) -> Recorded:
    """Run the command under the recorders; the recording (orchestrate.recorded finishes it)."""
    check_loop_stall(config.loop_stall_ms)
    argv, python, info = resolve_command(config.argv, config.python)
    chosen = select(config.recorders, python)
    wrappers, samplers = recording_recorders(chosen)
    name = name_of("record", config.argv)
    session = RunSession(config.reports, name, progress, chosen)
    run_dir, layout, started = session.run_dir, session.layout, session.started
    manifest = record_manifest("record", name, argv, started, chosen, config.recorders, info)
    session.save(manifest)
    files = layout.model_raw(RECORDING)
    files.root.mkdir(parents=True, exist_ok=True)
    notes_dir = files.root / "threads"
    notes_dir.mkdir()
    files.logs.mkdir(parents=True, exist_ok=True)
    target = Target(python=python, model=RECORDING, raw_dir=files.root)
    observed = manifest.observed
    window = [0, 0]
    returncode: int | None = None
    error: RunError | None = None
    interrupted: KeyboardInterrupt | None = None
    launched = [-1]
    with session.contained() as contain:
        wrapped, applied = wrap_all(wrappers, argv, target, observed.recorders)
        started_samplers = []

        def attach(pid: int) -> None:
            launched[0] = pid
            for wrapper in applied:
                if wrapper.attaches:
                    wrapper.attach(pid, target)
            for sampler in samplers:
                sampler.start(pid, target)
                started_samplers.append(sampler)
            window[0] = time.monotonic_ns()

        progress(Step("record", RECORDING, 1, 0, 1, None, True, f"recording: {' '.join(argv)}"))
        stderr = ""
        try:
            done = run_group(
                wrapped,
                _env(notes_dir, config.loop_stall_ms),
                config.timeout_s,
                cwd=None,
                on_start=attach,
                logs=files.logs / "command",
                contain=contain,
                gate=any(w.attaches for w in applied),
                stdin=None,  # the program reads what it would without concprof
            )
            returncode, stderr = done.returncode, done.stderr + done.stdout
        except RunTimeout as exc:
            error = RunError("timeout", None, None, f"ended after {exc.timeout_s:g} s")
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the command was ended; keep it
            interrupted = exc
            error = RunError(
                "interrupted", None, None, f"stopped by {exc.args[0] if exc.args else 'SIGINT'}"
            )
        finally:
            window[1] = time.monotonic_ns()
            stop_all(started_samplers, observed.recorders)
            finish_all(applied, target, stderr, observed.recorders)
    if returncode and interrupted is None:
        error = RunError("command", None, None, f"the command exited with code {returncode}")
    notes = thread_notes(notes_dir)
    root = launched[0]  # the gate's sh, exec'd into the command: the same pid
    recording = recording_of(root, (window[0], window[1]), threads_of(notes))
    observed.ok, observed.wall_s = error is None, recording.wall_s
    observed.error = error.exception if error else None
    manifest.error, manifest.exit_code, manifest.pid = error, returncode, root
    progress(Step("record", RECORDING, 1, 1, 1, recording.wall_s, error is None, "building tables"))
    return Recorded(run_dir, manifest, recording, started, returncode or 0, interrupted)


def _env(notes_dir: Path, loop_stall_ms: float) -> dict[str, str]:
    """The user's environment, with the start-up hook first on PYTHONPATH: thread names,
    pickling between processes (raw/record/ipc/), event-loop stalls (raw/record/loop/)."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(HOOK_DIR) + (os.pathsep + path if path else "")
    env["CONCPROF_THREADS_DIR"] = str(notes_dir)
    ipc_dir = notes_dir.with_name("ipc")
    ipc_dir.mkdir(exist_ok=True)
    env["CONCPROF_IPC_DIR"] = str(ipc_dir)
    loop_dir = notes_dir.with_name("loop")
    loop_dir.mkdir(exist_ok=True)
    env["CONCPROF_LOOP_DIR"] = str(loop_dir)
    env["CONCPROF_LOOP_STALL_MS"] = f"{loop_stall_ms:g}"
    if ptrace_scope() == 1:  # py-spy beside the program is not its ancestor: allow it
        env["CONCPROF_PTRACER"] = str(os.getpid())
    return env

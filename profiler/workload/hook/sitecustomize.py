"""`concprof record`: names every thread of the recorded program as it starts.

With CONCPROF_IPC_DIR set it also accounts what the program's processes pickle for
each other (concprof_ipc, beside it); with CONCPROF_LOOP_DIR, its event loops' stalls
and lag (concprof_loop). Put on the program's PYTHONPATH (with
CONCPROF_THREADS_DIR set), Python imports
it at start-up in every interpreter of the program, forked or spawned. It appends
one JSON line per thread start to <CONCPROF_THREADS_DIR>/<pid>.jsonl: pid, native
tid, name, pthread ident, CLOCK_MONOTONIC ns. One os.write per thread start and
nothing else: the program's own work is untouched (where the kernel lets a
process trace only its descendants, one prctl at start-up lets concprof's py-spy
sample it). Standard library only; it must
not import concprof (the program's interpreter may not have it). Another
sitecustomize further along sys.path is still imported after it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

_DIR = os.environ.get("CONCPROF_THREADS_DIR", "")
_fd = {"pid": -1, "fd": -1}


def _note(thread: threading.Thread) -> None:
    try:
        pid = os.getpid()
        if _fd["pid"] != pid:  # first note of this process (or of a forked child)
            path = os.path.join(_DIR, f"{pid}.jsonl")
            _fd["fd"] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            _fd["pid"] = pid
        line = {
            "pid": pid,
            "tid": threading.get_native_id(),
            "name": thread.name,
            "ident": threading.get_ident(),
            "start_ns": time.monotonic_ns(),
        }
        os.write(_fd["fd"], (json.dumps(line) + "\n").encode())
    except OSError:
        pass  # the recording loses a name; the program goes on


def _install() -> None:
    original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

    def _concprof_named_start(self: threading.Thread) -> None:  # dropped from stacks
        _note(self)
        original(self)

    threading.Thread._bootstrap_inner = _concprof_named_start  # type: ignore[attr-defined]
    _note(threading.main_thread())
    os.register_at_fork(after_in_child=lambda: _note(threading.current_thread()))


def _allow_tracer(pid: str) -> None:
    """Let concprof (and py-spy, its child) trace this process where the kernel lets a
    process trace only its descendants (Yama ptrace_scope 1): prctl(PR_SET_PTRACER)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(0x59616D61, int(pid), 0, 0, 0)  # PR_SET_PTRACER
    except (OSError, ValueError, AttributeError):
        pass  # py-spy will say it could not attach; the program goes on


def _chain() -> None:
    """Import the sitecustomize this one shadows, if there is one further along the path."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


if os.environ.get("CONCPROF_PTRACER"):  # set only where ptrace_scope is 1
    _allow_tracer(os.environ["CONCPROF_PTRACER"])
if _DIR:
    _install()
if os.environ.get("CONCPROF_IPC_DIR"):  # what its processes pickle for each other
    try:
        import concprof_ipc  # type: ignore[import-not-found]

        concprof_ipc.install()
    except ImportError:
        pass  # the hook directory is not on this interpreter's path
if os.environ.get("CONCPROF_LOOP_DIR"):  # event-loop stalls and lag
    try:
        import concprof_loop  # type: ignore[import-not-found]

        concprof_loop.install(
            float(os.environ.get("CONCPROF_LOOP_STALL_MS") or concprof_loop.DEFAULT_STALL_MS),
            os.environ["CONCPROF_LOOP_DIR"],
        )
    except (ImportError, ValueError):
        pass  # the hook directory is not on this interpreter's path
_chain()

"""`concprof record`: what the recorded program's processes pickle for each other.

Imported by the start-up hook (sitecustomize, beside it) when CONCPROF_IPC_DIR is set.
Once the program imports multiprocessing's pickler (`multiprocessing.reduction`, a
post-import hook: nothing happens in a program that never uses multiprocessing), every
`ForkingPickler.dumps` (a pickle made for another process) and `.loads` (an unpickle of
what another sent) is timed and sized, and added to this process's totals per kind and
call site: the Python function that sent or received it, outside multiprocessing,
concurrent.futures and threading (a pool's and a queue's own threads have none: their
pool items are named by kind). Each process writes its totals to
<CONCPROF_IPC_DIR>/ipc-<pid>.json as it exits, and at most every 100 ms while it
pickles (a pool's worker that is terminated never exits: it loses at most that much).
O(1) per call (a dict update and a short walk up the stack); standard library only: the
program's interpreter may not have concprof.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from typing import Any

TARGET = "multiprocessing.reduction"
POOL_ITEMS = {"_CallItem": "pool call", "_ResultItem": "pool result"}
INTERNAL = (
    "multiprocessing",
    "concurrent.futures",
    "threading",
    "queue",
    "pickle",
    "copyreg",
    "sitecustomize",
)
_totals: dict[tuple[str, str], list[int]] = {}  # (what, site) -> [calls, bytes, ns]
_written: set[int] = set()
_last_write = [0]
WRITE_EVERY_NS = 100_000_000  # totals written at most this often while it runs, and at exit


class _Process:
    """What multiprocessing's after-fork registry holds on to (it keeps weak references)."""


_THIS = _Process()


def _site(frame: Any) -> str:
    """The first function up the stack that is the program's own."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == "multiprocessing.process" and frame.f_code.co_name == "_bootstrap":
            return "(a worker process's task loop)"  # below it: the parent's stack, forked
        if not name.startswith(INTERNAL) and name != __name__:
            code = frame.f_code
            return f"{code.co_name} ({os.path.basename(code.co_filename)}:{frame.f_lineno})"
        frame = frame.f_back
    return "(multiprocessing's own threads)"


def _add(direction: str, obj: Any, start_ns: int, nbytes: int) -> None:
    kind = POOL_ITEMS.get(type(obj).__name__)
    what = f"{kind} {direction}" if kind else direction
    site = _site(sys._getframe(2))
    entry = _totals.get((what, site))
    if entry is None:
        entry = _totals[(what, site)] = [0, 0, 0]
    entry[0] += 1
    entry[1] += nbytes
    now = time.monotonic_ns()
    entry[2] += now - start_ns
    if now - _last_write[0] > WRITE_EVERY_NS:  # a worker a pool terminates never exits
        _last_write[0] = now
        _write(final=False)


def _patch(reduction: Any) -> None:
    pickler = reduction.ForkingPickler
    dumps, loads = pickler.__dict__["dumps"].__func__, pickler.loads
    clock = time.monotonic_ns

    def timed_dumps(cls: Any, obj: Any, protocol: int | None = None) -> Any:
        start_ns = clock()
        buf = dumps(cls, obj, protocol)
        _add("pickle", obj, start_ns, len(buf))
        return buf

    def timed_loads(data: Any, **kwargs: Any) -> Any:
        start_ns = clock()
        obj = loads(data, **kwargs)
        _add("unpickle", obj, start_ns, len(data))
        return obj

    pickler.dumps = classmethod(timed_dumps)
    pickler.loads = staticmethod(timed_loads)
    from multiprocessing import util

    util.register_after_fork(_THIS, _in_child)  # a pool's forked worker starts empty
    util.Finalize(None, _write, exitpriority=100)  # a multiprocessing child's exit


def _in_child(_: _Process) -> None:
    from multiprocessing import util

    _totals.clear()
    _last_write[0] = time.monotonic_ns()
    util.Finalize(None, _write, exitpriority=100)


def _write(final: bool = True) -> None:
    pid = os.getpid()
    if pid in _written or not _totals:
        return
    if final:
        _written.add(pid)
    rows = [[what, site, *entry] for (what, site), entry in _totals.items()]
    path = os.path.join(os.environ.get("CONCPROF_IPC_DIR", "."), f"ipc-{pid}.json")
    try:
        with open(f"{path}.tmp", "w", encoding="utf-8") as fh:
            json.dump({"pid": pid, "rows": rows}, fh)
        os.replace(f"{path}.tmp", path)
    except OSError:
        pass  # the recording loses this process's totals; the program goes on


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches multiprocessing's pickler right after the program imports it."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            with contextlib.suppress(Exception):  # never the program's problem
                _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    if TARGET in sys.modules:
        try:
            _patch(sys.modules[TARGET])
        except Exception:  # never the program's problem: it runs unaccounted
            return
    else:
        sys.meta_path.insert(0, _AfterImport())
    atexit.register(_write)  # the main process's (and a spawned child's) exit

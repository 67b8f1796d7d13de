"""The event-loop monitor: every asyncio callback or task step that runs longer than a
threshold (a stall), the code that ran inside it, and how late callbacks ran (scheduling
lag).

Installed by the asyncio model's observed run (profiler.workload.runner) and, for
`concprof record`, by the start-up hook (sitecustomize, beside it) when
CONCPROF_LOOP_DIR is set: right after the program imports asyncio's event loop (a
post-import hook: nothing happens in a program that never uses asyncio). No asyncio
debug mode. What it does per callback, O(1):

- every callback a loop runs (task steps and wake-ups are callbacks too) goes through
  `asyncio.events.Handle._run`, which is wrapped: two monotonic clock reads; a callback
  that ran longer than the threshold is a stall, with the task it stepped (the handle's
  callback is bound to its task) and that task's coroutine;
- each loop's ready queue (`BaseEventLoop._ready`) is a deque that notes when a handle
  became ready (a timer: when it was due); the lag is from then to its start;
- one watchdog thread per process (started with the first loop) wakes every quarter of
  the threshold: a callback that has run that long has its thread's Python stack read
  (`sys._current_frames`) and, once, its CPU clock (`time.pthread_getcpuclockid`): the
  code inside the stall, and whether the thread computed or waited in it.

`report()` gives, per loop: its thread, window, steps, the lag's percentiles and its
maximum over time, the most tasks alive, and every stall with its samples. The start-up
hook writes it to <CONCPROF_LOOP_DIR>/loop-<pid>.json at exit and every 2 s while a loop
runs (a program ended by a signal loses at most that much). A stall's samples are kept
as distinct stacks with their counts. Standard library only: the program's interpreter may not have
concprof, and this file is imported by both.
"""

from __future__ import annotations

import array
import atexit
import collections
import contextlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
import sysconfig
import threading
import time
import weakref
from typing import Any

TARGET = "asyncio.base_events"
DEFAULT_STALL_MS = 10.0
MAX_FRAMES = 48
SERIES_BINS = 400  # the lag over time: its maximum in at most this many bins
WRITE_EVERY_NS = 2_000_000_000  # the start-up hook's file, while a loop runs (and at exit)
TASKS_EVERY_NS = 100_000_000  # how often the watchdog counts the loop's tasks
_clock = time.monotonic_ns
Frame = tuple[str, str, int]  # function, file, line (whether it is the program's own is
# decided when the report is written: a real path takes system calls, which would hand the
# GIL back to the stalled thread in the middle of a sample)


def _library_dirs() -> tuple[str, ...]:
    """Where code that is not the program's own lives: the standard library, installed
    packages, concprof's own files (the harness around a scenario)."""
    paths = sysconfig.get_paths()
    dirs = {paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.add(os.path.dirname(os.path.dirname(__file__)))  # profiler/workload
    return tuple(sorted({os.path.realpath(d) + os.sep for d in dirs if d}))


_LIBRARY = _library_dirs()
_OWN: dict[str, bool] = {}  # file -> the program's own (its real path outside _LIBRARY)


def _own(path: str) -> bool:
    """Whether code in `path` is the program's own: not the standard library, installed
    packages or concprof (compared as real paths: a run may reach them through links)."""
    own = _OWN.get(path)
    if own is None:
        own = _OWN[path] = not path.startswith("<") and not os.path.realpath(path).startswith(
            _LIBRARY
        )
    return own


class LoopWatch:
    """One event loop's measurements (kept by its ready queue)."""

    def __init__(self, monitor: Monitor, loop: Any) -> None:
        self.monitor = monitor
        self.loop = weakref.ref(loop)
        self.ident = 0  # the loop's thread, known at its first callback
        self.tid = 0
        self.first_ns = 0
        self.last_ns = 0
        self.steps = 0
        self.started = array.array("q")  # per callback: its start, and its lag
        self.lag = array.array("q")
        self.stalls: list[dict[str, Any]] = []
        self.current: tuple[int, int] | None = None  # (start ns, step) of the running callback
        self.samples: dict[tuple[Frame, ...], int] = {}  # stacks sampled in `current`: count
        self.sampled_for: tuple[int, int] | None = None
        self.cpu_from: tuple[int, int] | None = None  # (ns, thread CPU ns) at its first sample
        self.tasks_max = 0


class Ready(collections.deque):  # type: ignore[type-arg]
    """A loop's ready queue that notes when each handle became ready."""

    def __init__(self, watch: LoopWatch, items: Any = ()) -> None:
        super().__init__(items)
        self.concprof_watch = watch
        self.ready_ns: dict[int, int] = {}
        self.popped_ns = 0  # when the handle popped last became ready

    def append(self, handle: Any) -> None:
        when = getattr(handle, "_when", None)  # a timer: ready when it was due
        self.ready_ns[id(handle)] = _clock() if when is None else int(when * 1e9)
        super().append(handle)  # noted first: a popleft from the loop's thread finds it

    def popleft(self) -> Any:
        handle = super().popleft()
        self.popped_ns = self.ready_ns.pop(id(handle), 0)
        return handle

    def clear(self) -> None:
        super().clear()
        self.ready_ns.clear()


class Monitor:
    """The process's loops, the stall threshold and the watchdog that samples stalls."""

    def __init__(self, stall_ms: float, out_dir: str | None = None) -> None:
        self.stall_ns = int(stall_ms * 1e6)
        self.poll_ns = max(1_000_000, self.stall_ns // 4)
        self.out_dir = out_dir
        self.loops: list[LoopWatch] = []
        self.watchdog: threading.Thread | None = None
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.patched: list[tuple[Any, str, Any]] = []
        self.written = 0
        self.written_steps = 0
        self.write_ns = 0  # what the last write took

    # -- installed on asyncio ------------------------------------------------------------
    def patch(self, base_events: Any) -> None:
        from asyncio import events

        loop_class = base_events.BaseEventLoop
        init, run = loop_class.__init__, events.Handle._run
        monitor = self

        def __init__(loop: Any, *args: Any, **kwargs: Any) -> None:
            init(loop, *args, **kwargs)
            monitor.watch(loop)

        def _run(handle: Any) -> None:
            ready = getattr(handle._loop, "_ready", None)
            if not isinstance(ready, Ready):
                return run(handle)
            watch = ready.concprof_watch
            start = _clock()
            if not watch.ident:  # the loop's thread, known before its first callback runs
                watch.ident, watch.tid = threading.get_ident(), threading.get_native_id()
                watch.first_ns = start
            step = watch.steps = watch.steps + 1
            current = watch.current = (start, step)
            try:
                return run(handle)
            finally:
                end = _clock()
                watch.current = None
                watch.started.append(start)
                watch.lag.append(start - ready.popped_ns if ready.popped_ns else -1)
                watch.last_ns = end
                if end - start >= monitor.stall_ns:
                    monitor.stalled(watch, handle, current, end)

        loop_class.__init__ = __init__
        events.Handle._run = _run  # type: ignore[method-assign,assignment]
        self.patched += [(loop_class, "__init__", init), (events.Handle, "_run", run)]

    def unpatch(self) -> None:
        for owner, name, original in reversed(self.patched):
            setattr(owner, name, original)
        self.patched.clear()
        self.stopped.set()

    def watch(self, loop: Any) -> None:
        watch = LoopWatch(self, loop)
        loop._ready = Ready(watch, loop._ready)
        with self.lock:
            self.loops.append(watch)
            if self.watchdog is None or not self.watchdog.is_alive():
                self.watchdog = threading.Thread(
                    target=self._watch, name="concprof-loop-watch", daemon=True
                )
                self.watchdog.start()

    # -- a stall -----------------------------------------------------------------------
    def stalled(self, watch: LoopWatch, handle: Any, current: tuple[int, int], end: int) -> None:
        samples = watch.samples if watch.sampled_for == current else {}
        cpu_share = -1.0
        if samples and watch.cpu_from is not None:
            at_ns, cpu_ns = watch.cpu_from
            if end > at_ns:
                cpu_share = (time.thread_time_ns() - cpu_ns) / (end - at_ns)
        task, coroutine, callback, own = _names(handle)
        watch.stalls.append(
            {
                "start_ns": current[0],
                "duration_ns": end - current[0],
                "cpu_share": round(min(max(cpu_share, -1.0), 1.0), 4),
                "task": task,
                "coroutine": coroutine,
                "coroutine_own": own,
                "callback": callback,
                "samples": samples,
            }
        )
        watch.samples, watch.sampled_for, watch.cpu_from = {}, None, None

    def _watch(self) -> None:
        """Sample every callback that has run a quarter of the threshold; count tasks; write."""
        poll_s = self.poll_ns / 1e9
        counted = 0
        while not self.stopped.wait(poll_s):
            now = _clock()
            with self.lock:
                loops = list(self.loops)
            for watch in loops:
                current = watch.current
                if current is None or now - current[0] < self.poll_ns or not watch.ident:
                    continue
                frame = sys._current_frames().get(watch.ident)
                stack = _stack(frame)
                del frame
                if watch.current is not current:
                    continue  # it ended meanwhile
                if watch.sampled_for != current:
                    watch.samples, watch.sampled_for = {}, current
                    watch.cpu_from = _cpu_of(watch.ident)
                watch.samples[stack] = watch.samples.get(stack, 0) + 1
            if now - counted >= TASKS_EVERY_NS:
                counted = now
                for watch in loops:
                    watch.tasks_max = max(watch.tasks_max, _tasks(watch.loop()))
            if self.out_dir and now - self.written >= max(WRITE_EVERY_NS, 50 * self.write_ns):
                steps = sum(w.steps for w in loops)
                if steps != self.written_steps:  # nothing new: nothing to write
                    self.written_steps = steps
                    self.write()

    # -- what it measured ----------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        with self.lock:
            loops = list(self.loops)
        return {
            "pid": os.getpid(),
            "stall_ns": self.stall_ns,
            "poll_ns": self.poll_ns,
            "loops": [_loop_report(w) for w in loops if w.steps],
        }

    def write(self) -> None:
        """The report to out_dir; a write costs at most 2% of the time between writes (its
        interval grows with its cost)."""
        self.written = _clock()
        report = self.report()
        if not report["loops"] or not self.out_dir:
            return
        path = os.path.join(self.out_dir, f"loop-{report['pid']}.json")
        try:
            with open(f"{path}.tmp", "w", encoding="utf-8") as fh:
                json.dump(report, fh)
            os.replace(f"{path}.tmp", path)
        except OSError:
            pass  # the recording loses this process's loops; the program goes on
        self.write_ns = _clock() - self.written


def _samples(samples: dict[tuple[Frame, ...], int]) -> list[Any]:
    """A stall's stacks as written: [count, [[function, file, line, the program's own]...]]."""
    return [[n, [[*f, _own(f[1])] for f in stack]] for stack, n in samples.items()]


def _loop_report(watch: LoopWatch) -> dict[str, Any]:
    lags = sorted(lag for lag in watch.lag if lag >= 0)
    return {
        "tid": watch.tid,
        "first_ns": watch.first_ns,
        "last_ns": watch.last_ns,
        "steps": watch.steps,
        "lagged": len(lags),
        "lag_p50_ns": _quantile(lags, 0.50),
        "lag_p95_ns": _quantile(lags, 0.95),
        "lag_p99_ns": _quantile(lags, 0.99),
        "lag_max_ns": lags[-1] if lags else -1,
        "lag_series": _series(watch),
        "tasks_max": watch.tasks_max,
        "stalls": [{**s, "samples": _samples(s["samples"])} for s in list(watch.stalls)],
    }


def _quantile(ordered: list[int], q: float) -> int:
    """The nearest-rank quantile of an ordered list (-1 if empty)."""
    if not ordered:
        return -1
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


def _series(watch: LoopWatch) -> list[list[int]]:
    """The lag over the loop's window: per bin, its start, the callbacks started in it and
    their largest lag."""
    if not watch.started:
        return []
    first, last = watch.started[0], watch.started[-1]
    width = max(1_000_000, (last - first) // SERIES_BINS + 1)
    bins: dict[int, list[int]] = {}
    for start, lag in zip(watch.started, watch.lag, strict=False):  # one may be a step ahead
        entry = bins.setdefault((start - first) // width, [0, -1])
        entry[0] += 1
        entry[1] = max(entry[1], lag)
    return [[first + k * width, n, worst] for k, (n, worst) in sorted(bins.items())]


def _names(handle: Any) -> tuple[str, str, str, bool]:
    """The task a callback stepped (its callback is bound to it), its coroutine, the
    callback's own name, and whether the coroutine is the program's own (not a library's
    or concprof's harness around a scenario's)."""
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    task = coroutine = ""
    own = True
    if owner is not None and hasattr(owner, "get_coro") and hasattr(owner, "get_name"):
        task = str(owner.get_name())
        coro = owner.get_coro()
        coroutine = getattr(coro, "__qualname__", "") or type(coro).__name__
        code = getattr(coro, "cr_code", None)
        own = code is None or _own(code.co_filename)
    name = getattr(callback, "__qualname__", "") or type(callback).__name__
    return task, coroutine, name, own


def _stack(frame: Any) -> tuple[Frame, ...]:
    """A thread's Python stack, innermost first: (function, file, line). No system call."""
    stack: list[Frame] = []
    while frame is not None and len(stack) < MAX_FRAMES:
        code = frame.f_code
        path = code.co_filename
        name = getattr(code, "co_qualname", code.co_name)
        stack.append((name, path, frame.f_lineno))
        frame = frame.f_back
    return tuple(stack)


def _cpu_of(ident: int) -> tuple[int, int] | None:
    try:
        return _clock(), time.clock_gettime_ns(time.pthread_getcpuclockid(ident))
    except (OSError, AttributeError, ValueError):
        return None


def _tasks(loop: Any) -> int:
    if loop is None or loop.is_closed():
        return 0
    try:
        import asyncio

        return len(asyncio.all_tasks(loop))
    except Exception:  # a set changed while counted, a loop closing: count it next time
        return 0


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches asyncio's event loop right after the program imports it."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader, monitor = spec.loader, self.monitor
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            with contextlib.suppress(Exception):  # never the program's problem
                monitor.patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install(stall_ms: float = DEFAULT_STALL_MS, out_dir: str | None = None) -> Monitor:
    """Monitor every event loop this process creates from now on (the runner's observed
    run: `out_dir` None, it asks for `report()`; the start-up hook: written to out_dir)."""
    monitor = Monitor(stall_ms, out_dir)
    if TARGET in sys.modules:
        monitor.patch(sys.modules[TARGET])
    else:
        sys.meta_path.insert(0, _AfterImport(monitor))
    if out_dir:
        atexit.register(monitor.write)
        os.register_at_fork(after_in_child=lambda: _forget(monitor))
    return monitor


def _forget(monitor: Monitor) -> None:
    """A forked child starts with no loop of its own and no watchdog."""
    monitor.loops.clear()
    monitor.watchdog = None
    monitor.lock = threading.Lock()

"""The workload runner: `python -m profiler.workload.runner describe|run ...`.

Runs in the workload's interpreter, never in the toolkit's process, and
imports nothing outside the standard library, the `profiler.workload.models`
package and the scenario file. It prints nothing on stdout but its one JSON
document (describe) or writes it atomically to --out (run).

Exit codes: 0 ok; 1 a task, setup or teardown failed (the result file says
which and keeps what completed); 2 the scenario file breaks the contract.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from profiler.workload import ipc_watch
from profiler.workload.contract import ContractError, describe, load_checked, python_info
from profiler.workload.documents import (
    IpcEvent,
    LoopReport,
    RunError,
    RunResult,
)
from profiler.workload.gil_watch import GilWatch, gil_enabled
from profiler.workload.hook import concprof_loop
from profiler.workload.models import MODEL_NAMES, START_METHODS, WorkloadSpec, get_model
from profiler.workload.models.base import (
    ModelRun,
    measured_model_run,
    printable,
    this_thread,
    timed_call,
)
from profiler.workload.models.reference import GilReference
from profiler.workload.models.scenario_module import module_name_for
from profiler.workload.models.usage import cpu_s_of, machine_busy_s, peak_rss_kb
from profiler.workload.stacks import dump_stacks_on_signal
from profiler.workload.summary import merge_passes, summarise


def _children_of_self() -> list[int]:
    """Child pids of this process (Linux /proc), e.g. a server that setup() started."""
    pids: list[int] = []
    for task_dir in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            pids += [int(p) for p in (task_dir / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(pids))


def _error(phase: str, exc: BaseException, model: str) -> RunError:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return RunError(phase, model, None, text)


def run_model(args: argparse.Namespace) -> RunResult:
    reference = GilReference() if args.gil_reference else None
    watch = GilWatch()  # from before the scenario's import: its modules may turn the GIL on
    try:
        doc = _run_model(args, reference)
        doc.gil_enabled_after = gil_enabled()
        doc.gil_enabled_by = list(watch.modules)
        return doc
    finally:
        watch.close()
        if reference is not None:
            reference.close()


def _run_model(args: argparse.Namespace, reference: GilReference | None) -> RunResult:
    path = str(Path(args.scenario).resolve())
    module = load_checked(path)
    spec = WorkloadSpec(
        scenario_path=path,
        module_name=module_name_for(path),
        tasks=args.tasks,
        workers=args.workers,
        start_method=args.start_method or multiprocessing.get_start_method(),
        task_times=args.task_times,
        ipc_dir=_ipc_dir(args),
        dask_scheduler=args.dask_scheduler,
        dask_threads=args.dask_threads,
    )
    doc = RunResult(
        scenario=printable(Path(path).stem),
        model=args.model,
        tasks=spec.tasks,
        workers=spec.workers,
        start_method=spec.start_method if args.model == "processes" else None,
        pid=os.getpid(),
        main_tid=threading.get_native_id(),
        python=python_info(),
        gil_reference_pid=reference.pid if reference else None,
    )
    setup = getattr(module, "setup", None)
    teardown = getattr(module, "teardown", None)
    try:
        if setup is not None:
            setup()
    except Exception as exc:
        doc.error = _error("setup", exc, args.model)
        _call_quietly(teardown)
        return doc
    # e.g. the loopback server: not measured
    doc.helper_pids = [p for p in _children_of_self() if p != doc.gil_reference_pid]
    model_fn = get_model(args.model)
    cluster = None
    if args.model == "dask":  # up before the window, like a scenario's setup
        from profiler.workload.models import dask_model

        try:
            cluster = dask_model.open_cluster(spec, observed=args.task_times)
        except Exception as exc:
            doc.error = _error("setup", exc, args.model)
            _call_quietly(teardown)
            return doc
    try:
        if reference is not None:
            doc.gil_reference_ok = reference.begin()
        # what the whole machine and the helpers (a server) did meanwhile: read once
        # before and once after, so the toolkit can tell a run disturbed by other load
        helpers_before = cpu_s_of(doc.helper_pids)
        machine_before = machine_busy_s()
        this_thread()  # name this thread now, not inside the measured run
        before = resource.getrusage(resource.RUSAGE_SELF)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        loop_monitor = _loop_monitor(args, module)
        doc.start_ns = start_ns = time.monotonic_ns()
        later: list[ModelRun] = []
        try:
            run = measured_model_run(model_fn, module, spec)
            while 1 + len(later) < args.passes and run.first_failure() is None:
                # the same work again (observed runs too short for a sampler): one window
                later.append(measured_model_run(model_fn, module, spec))
                if later[-1].first_failure() is not None:
                    run = later.pop()
        finally:
            doc.passes = 1 + len(later)
            doc.end_ns = end_ns = time.monotonic_ns()
            after = resource.getrusage(resource.RUSAGE_SELF)
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            doc.machine_busy_s = machine_busy_s() - machine_before
            doc.helper_cpu_s = cpu_s_of(doc.helper_pids) - helpers_before
            doc.clock_tick_s = 1.0 / os.sysconf("SC_CLK_TCK")
            if reference is not None:
                doc.gil_reference_ok = reference.end() and bool(doc.gil_reference_ok)
            if loop_monitor is not None:
                loop_monitor.unpatch()
                doc.loops = LoopReport.of_monitor(loop_monitor.report())
        doc.wall_s = (end_ns - start_ns) / 1e9
        if cluster is not None:  # the workers' CPU and the task stream, read after the window
            closing, cluster = cluster, None
            dask_model.close_cluster(closing, run, doc)
        doc.ipc = _ipc_events(spec.ipc_dir, run)  # the first pass's, as its task records
        doc.ipc_frame_bytes = _frame_bytes() if doc.ipc else {}
        merge_passes(run, later)
        summarise(
            run,
            spec,
            args.model,
            (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime),
            (
                children_after.ru_utime - children_before.ru_utime,
                children_after.ru_stime - children_before.ru_stime,
            ),
            peak_rss_kb(),
            doc,
        )
    except (Exception, SystemExit) as exc:  # the model machinery failed (a broken pool)
        doc.error = _error("model", exc, args.model)
    finally:  # teardown runs after any failure, SystemExit and Ctrl-C included
        try:
            if cluster is not None:  # the window failed: the cluster closed all the same
                cluster.close()
            if teardown is not None:
                teardown()
        except (Exception, SystemExit) as exc:
            doc.error = doc.error or _error("teardown", exc, args.model)
    doc.ok = doc.error is None
    return doc


def _loop_monitor(args: argparse.Namespace, module: Any) -> concprof_loop.Monitor | None:
    """The event-loop monitor, in an observed asyncio run of coroutines (timing runs have
    none; a scenario without `atask` runs its plain functions on the loop one at a time:
    one callback, nothing to watch)."""
    if not args.task_times or args.model != "asyncio" or args.loop_stall_ms is None:
        return None
    if getattr(module, "atask", None) is None:
        return None
    return concprof_loop.install(args.loop_stall_ms)


def _ipc_dir(args: argparse.Namespace) -> str | None:
    """Where an observed processes run's workers write what they pickled (next to --out)."""
    if not args.task_times or args.model != "processes":
        return None
    path = f"{args.out}.ipc"
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _ipc_events(ipc_dir: str | None, run: ModelRun) -> list[IpcEvent]:
    """The parent's pickling and its workers' (read after the measured window); the
    directory they wrote it in is removed."""
    if ipc_dir is None:
        return []
    me = os.getpid()
    workers = {pid for pid, *_ in run.worker_starts if pid != me}
    events = [IpcEvent(me, *e) for e in run.ipc]
    for pid, written in sorted(ipc_watch.read_written(ipc_dir, workers).items()):
        events += [IpcEvent(pid, *e) for e in written]
    shutil.rmtree(ipc_dir, ignore_errors=True)
    return sorted(events, key=lambda e: e.start_ns)


def _frame_bytes() -> dict[str, int]:
    """What the pool and the harness's per-task timing (timed_call and its outcome tuple)
    add to each call and result, so that the bytes left are the task's own."""
    now = time.monotonic_ns()
    outcome = (0, this_thread(), now, now, None, None)
    return ipc_watch.frame_bytes(timed_call, outcome)


def _call_quietly(fn: Any) -> None:
    try:
        if fn is not None:
            fn()
    except Exception:
        traceback.print_exc()


def write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def dask_check(args: argparse.Namespace) -> int:
    """`runner dask-check`: 0 and the workers as JSON, or 2 and one line on stderr."""
    try:
        import distributed  # noqa: F401  (what the dask model measures)

        from profiler.workload.models import dask_model
    except ImportError as exc:
        sys.stderr.write(
            f"concprof: the dask model needs dask.distributed in {sys.executable} ({exc}): "
            "pip install 'concprof[dask]' (or 'dask[distributed]')\n"
        )
        return 2
    if not args.dask_scheduler:
        sys.stdout.write(json.dumps({"workers": []}) + "\n")
        return 0
    path = str(Path(args.scenario).resolve())

    def too_late(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer within {args.timeout:g} s")

    # Dask's own connect timeout does not cover a peer that accepts and never answers
    signal.signal(signal.SIGALRM, too_late)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    try:
        workers = dask_model.check_cluster(
            args.dask_scheduler, path, module_name_for(path), args.timeout
        )
    except ImportError as exc:
        sys.stderr.write(f"concprof: {exc}; install it there, or run without --dask-scheduler\n")
        return 2
    except (OSError, TimeoutError) as exc:
        sys.stderr.write(
            f"concprof: no Dask scheduler answered at {args.dask_scheduler} within "
            f"{args.timeout:g} s ({type(exc).__name__}); start one (`dask scheduler`, "
            "`dask worker ADDRESS`) or leave out --dask-scheduler for a local cluster\n"
        )
        return 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    sys.stdout.write(json.dumps({"workers": workers}) + "\n")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m profiler.workload.runner")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe", help="print the scenario's metadata as JSON")
    d.add_argument("scenario")
    c = sub.add_parser(
        "dask-check",
        help="before the dask model runs: dask.distributed importable here and, with "
        "--dask-scheduler, the cluster answering and every worker importing the scenario",
    )
    c.add_argument("--scenario", required=True)
    c.add_argument("--dask-scheduler")
    c.add_argument("--timeout", type=float, default=10.0)
    r = sub.add_parser("run", help="run one model over the scenario's tasks")
    r.add_argument("--scenario", required=True)
    r.add_argument("--model", required=True, choices=MODEL_NAMES)
    r.add_argument("--tasks", required=True, type=int)
    r.add_argument("--workers", required=True, type=int)
    r.add_argument("--start-method", choices=START_METHODS)
    r.add_argument("--out", required=True)
    r.add_argument(
        "--task-times",
        action="store_true",
        help="read the clock before and after every task (observed runs; tasks.csv)",
    )
    r.add_argument(
        "--passes",
        type=int,
        default=1,
        help="run the model this many times in one window (observed runs that a sampler "
        "needs longer); results and task records are those of the first pass",
    )
    r.add_argument(
        "--loop-stall-ms",
        type=float,
        help="monitor the event loop (observed asyncio runs; hook/concprof_loop.py): a "
        "callback longer than this is a stall",
    )
    r.add_argument(
        "--dask-scheduler",
        help="the dask model on an existing cluster (tcp://HOST:PORT); default: a "
        "LocalCluster of --workers processes started and stopped by this run",
    )
    r.add_argument("--dask-threads", type=int, default=1, help="threads per LocalCluster worker")
    r.add_argument(
        "--gil-reference",
        action="store_true",
        help="start py-spy's round counter (workload/models/reference.py); observed runs only",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "describe":
            described = describe(args.scenario)  # whatever the scenario printed came before
            sys.stdout.write("\n" + json.dumps(described.to_json()) + "\n")
            return 0
        if args.command == "dask-check":
            return dask_check(args)
        dump_stacks_on_signal()  # a run that hangs is asked where (profiler.orchestrate.launch)
        doc = run_model(args)
    except ContractError as exc:
        sys.stderr.write(f"concprof: {exc}\n")
        return 2
    write_atomic(args.out, json.dumps(doc.to_json()))
    return 0 if doc.ok else 1


if __name__ == "__main__":
    sys.exit(main())

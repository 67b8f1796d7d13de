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
import hashlib
import inspect
import json
import multiprocessing
import os
import platform
import resource
import sys
import sysconfig
import threading
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from profiler.workload.documents import (
    PythonInfo,
    RunError,
    RunResult,
    ScenarioDescription,
    TaskRecord,
    ThreadRecord,
    WorkerStart,
)
from profiler.workload.models import MODEL_NAMES, START_METHODS, WorkloadSpec, get_model
from profiler.workload.models.base import (
    ModelRun,
    TaskOutcome,
    cpu_s_of,
    dump_stacks_on_signal,
    load_scenario_module,
    machine_busy_s,
    measured_model_run,
    module_name_for,
    peak_rss_kb,
    printable,
    snapshot_threads,
    this_thread,
)
from profiler.workload.models.reference import GilReference

CONTRACT = (
    "a scenario file defines TASKS = <int> and def task(i: int): ...; "
    "optional: WORKERS, setup(), teardown(), async def atask(i)"
)


class ContractError(Exception):
    """The scenario file does not follow the scenario contract."""


def python_info() -> PythonInfo:
    gil_check = getattr(sys, "_is_gil_enabled", None)
    return PythonInfo(
        version=platform.python_version(),
        implementation=platform.python_implementation(),
        executable=sys.executable,
        real_executable=os.path.realpath(sys.executable),
        libdir=sysconfig.get_config_var("LIBDIR"),
        ldlibrary=sysconfig.get_config_var("LDLIBRARY"),
        shared=bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
        build=" ".join(platform.python_build()),
        gil_enabled=True if gil_check is None else bool(gil_check()),
        default_start_method=multiprocessing.get_start_method(),
        cpu_count=os.cpu_count(),
    )


def load_checked(path: str) -> ModuleType:
    """Import a scenario file and check it against the contract."""
    if not Path(path).is_file():
        raise ContractError(f"scenario file not found: {path}")
    try:
        module = load_scenario_module(path, module_name_for(path))
    except SyntaxError as exc:
        raise ContractError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except ModuleNotFoundError as exc:
        if not exc.name:
            raise ContractError(f"{path}: importing it raised ModuleNotFoundError: {exc}") from exc
        top = exc.name.split(".")[0]
        raise ContractError(
            f"{path}: importing it raised ModuleNotFoundError: No module named {exc.name!r} "
            f"in the workload interpreter {sys.executable} (Python {platform.python_version()}); "
            f"fix: {sys.executable} -m pip install {top} (or the package that provides it), "
            "or choose an interpreter that has it with PYTHON= (--python)"
        ) from exc
    except SystemExit as exc:
        raise ContractError(f"{path}: importing it called sys.exit({exc.code!r})") from exc
    except Exception as exc:
        raise ContractError(f"{path}: importing it raised {type(exc).__name__}: {exc}") from exc
    task = getattr(module, "task", None)
    if not callable(task) or inspect.iscoroutinefunction(task):
        raise ContractError(f"{path} has no plain task(i) function; {CONTRACT}")
    tasks = getattr(module, "TASKS", None)
    if not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1:
        raise ContractError(f"{path}: TASKS must be a positive int, got {tasks!r}; {CONTRACT}")
    workers = getattr(module, "WORKERS", None)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ContractError(f"{path}: WORKERS must be a positive int, got {workers!r}")
    models = getattr(module, "MODELS", None)
    if models is not None and (
        isinstance(models, str) or not set(models) <= set(MODEL_NAMES) or not models
    ):
        raise ContractError(
            f"{path}: MODELS must list some of {', '.join(MODEL_NAMES)}, got {models!r}"
        )
    atask = getattr(module, "atask", None)
    if atask is not None and not inspect.iscoroutinefunction(atask):
        raise ContractError(f"{path}: atask must be an async def function")
    for hook in ("setup", "teardown"):
        if getattr(module, hook, None) is not None and not callable(getattr(module, hook)):
            raise ContractError(f"{path}: {hook} must be a function")
    return module


def describe(path: str) -> ScenarioDescription:
    module = load_checked(path)
    doc = inspect.getdoc(module) or ""
    return ScenarioDescription(
        path=str(Path(path).resolve()),
        name=Path(path).stem,
        summary=doc.strip().splitlines()[0] if doc.strip() else "",
        doc=doc,
        tasks=module.TASKS,
        workers=getattr(module, "WORKERS", None),
        has_atask=getattr(module, "atask", None) is not None,
        has_setup=getattr(module, "setup", None) is not None,
        has_teardown=getattr(module, "teardown", None) is not None,
        claims=list(getattr(module, "CLAIMS", [])),
        models=list(getattr(module, "MODELS", None) or []),
        python=python_info(),
    )


def _children_of_self() -> list[int]:
    """Child pids of this process (Linux /proc), e.g. a server that setup() started."""
    pids: list[int] = []
    for task_dir in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            pids += [int(p) for p in (task_dir / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(pids))


def digest(results: list[Any]) -> str:
    """A short hash of the ordered results, built one result at a time (no giant string)."""
    h = hashlib.sha256()
    for result in results:
        h.update(repr(result).encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _error(phase: str, exc: BaseException, model: str) -> RunError:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return RunError(phase, model, None, text)


def task_record(o: TaskOutcome) -> TaskRecord:
    return TaskRecord(
        o.task_index, o.pid, o.tid, o.thread_name, o.start_ns, o.end_ns, o.ok, o.error
    )


def merge_passes(run: ModelRun, later: list[ModelRun]) -> None:
    """The threads and workers of later passes, named by their pass, into the first's.

    Results and task records stay those of the first pass; every thread and
    process that ran in the window is named.
    """
    known = {tid for tid, _, _ in run.threads}
    for number, again in enumerate(later, 2):
        for tid, name, ident in again.threads:
            if tid not in known:
                run.threads.append((tid, f"{name} (pass {number})", ident))
                known.add(tid)
        run.worker_starts += [
            (pid, tid, f"{name} (pass {number})", ident, start_ns)
            for pid, tid, name, ident, start_ns in again.worker_starts
        ]
        run.worker_usage.update(again.worker_usage)


def summarise(
    run: ModelRun,
    spec: WorkloadSpec,
    model: str,
    usage_delta: tuple[float, float],
    children_delta: tuple[float, float],
    rss_kb: int,
    doc: RunResult,
) -> None:
    """Into `doc`: whole-tree CPU and peak RSS: this process plus each worker process.

    CPU: this process, plus the children reaped during the run (getrusage, exact,
    exit included: pool workers under fork and spawn, programs a task ran). Under
    forkserver the workers are the fork server's children, so their CPU is what
    /proc said once, after all tasks. Peak RSS: each worker's VmHWM from that read.
    """
    me = os.getpid()
    per_pid: dict[int, tuple[float, float, int]] = dict(run.worker_usage)
    via_proc = spec.start_method == "forkserver" and model == "processes"
    user_s = usage_delta[0] + children_delta[0]
    sys_s = usage_delta[1] + children_delta[1]
    if via_proc:
        user_s += sum(v[0] for v in per_pid.values())
        sys_s += sum(v[1] for v in per_pid.values())
    max_rss_kb = rss_kb + sum(v[2] for v in per_pid.values())
    outcomes = run.outcomes()
    worker_pids = (
        set(per_pid)
        | {o.pid for o in outcomes if o.pid != me}
        | {s[0] for s in run.worker_starts if s[0] != me}
    )
    failure = run.first_failure()
    results = run.ordered_results()  # sorted once, after the measured run
    names = {(me, tid): name for tid, name, _ in (run.threads or snapshot_threads())}
    idents = {(me, tid): ident for tid, _, ident in (run.threads or snapshot_threads())}
    for pid, tid, name, ident, _ in run.worker_starts:
        names.setdefault((pid, tid), name)
        idents.setdefault((pid, tid), ident)
    for o in outcomes:
        names.setdefault((o.pid, o.tid), o.thread_name)
    for pid in worker_pids:
        names.setdefault((pid, pid), "MainThread")
    doc.user_s, doc.sys_s, doc.max_rss_mb = user_s, sys_s, max_rss_kb / 1024.0
    doc.tasks_ok = len(results)
    doc.digest = digest(results) if failure is None else None
    doc.worker_pids = sorted(worker_pids)
    doc.threads = [
        ThreadRecord(pid, tid, name, idents.get((pid, tid))) for (pid, tid), name in names.items()
    ]
    doc.worker_starts = [
        WorkerStart(pid, tid, name, start_ns) for pid, tid, name, _, start_ns in run.worker_starts
    ]
    doc.task_records = [task_record(o) for o in sorted(outcomes, key=lambda o: o.task_index)]
    doc.error = None if failure is None else RunError("task", model, failure[0], failure[1])


def run_model(args: argparse.Namespace) -> RunResult:
    reference = GilReference() if args.gil_reference else None
    try:
        return _run_model(args, reference)
    finally:
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
        doc.wall_s = (end_ns - start_ns) / 1e9
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
            if teardown is not None:
                teardown()
        except (Exception, SystemExit) as exc:
            doc.error = doc.error or _error("teardown", exc, args.model)
    doc.ok = doc.error is None
    return doc


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m profiler.workload.runner")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe", help="print the scenario's metadata as JSON")
    d.add_argument("scenario")
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
        dump_stacks_on_signal()  # a run that hangs is asked where (profiler.orchestrate.launch)
        doc = run_model(args)
    except ContractError as exc:
        sys.stderr.write(f"concprof: {exc}\n")
        return 2
    write_atomic(args.out, json.dumps(doc.to_json()))
    return 0 if doc.ok else 1


if __name__ == "__main__":
    sys.exit(main())

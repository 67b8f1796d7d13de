"""The `concprof` command: thin commands that parse arguments and call the library.

Exit codes: 0 success; 1 the workload or a recorder failed; 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiler.cli_args import (
    Parser,
    attach_arguments,
    compare_arguments,
    profile_arguments,
    record_arguments,
)
from profiler.errors import RunFailed, Terminated, UsageError, terminate
from profiler.layout import RunDir

if TYPE_CHECKING:
    from profiler.spine import ProgressFn, Recorded

Command = Callable[[argparse.Namespace, Console], int]


def cmd_profile(args: argparse.Namespace, console: Console) -> int:
    """Profile a scenario under each concurrency model and write a report."""
    from profiler.orchestrate import session
    from profiler.orchestrate.across import interpreters, profile_across
    from profiler.orchestrate.plan import parse_models
    from profiler.orchestrate.sweep import profile_sweep, start_methods, worker_counts
    from profiler.render.terminal import (
        print_across,
        print_summary,
        print_sweep,
        step_display,
        summary_json,
    )
    from profiler.spine import START_METHOD, WORKERS, ProfileConfig, Swept

    counts = worker_counts(args.workers)
    methods = start_methods(args.start_method)
    config = ProfileConfig(
        scenario=args.scenario,
        models=parse_models(args.models) if args.models else None,
        size=args.size,
        workers=counts[0] if len(counts) == 1 else None,
        repeat=args.repeat,
        python=args.python,
        start_method=methods[0] if len(methods) == 1 else None,
        reports=Path(args.out),
        recorders=args.recorders,
        margin=args.margin / 100.0,
        timeout_s=args.timeout,
        max_slowdown=args.max_slowdown,
        sampled_error_pct=args.sampled_error,
        loop_stall_ms=args.loop_stall_ms,
        dask_scheduler=args.dask_scheduler,
        dask_threads=args.dask_threads,
    )
    labels = interpreters(args.python)
    lists = [name for name, n in (("WORKERS", len(counts)), ("START_METHOD", len(methods)),
                                  ("PYTHON", len(labels))) if n > 1]  # fmt: skip
    if len(lists) > 1:
        raise UsageError(f"one list at a time: {' and '.join(lists)} both name several")
    if len(counts) > 1 or len(methods) > 1:
        sweep = Swept(WORKERS, tuple(counts))
        if len(methods) > 1:
            sweep = Swept(START_METHOD, tuple(methods))
        with step_display(console) as on_progress:
            swept = profile_sweep(session.profile, config, sweep, on_progress)
        print_sweep(console, swept)
        return 0
    if len(labels) > 1:
        with step_display(console) as on_progress:
            result = profile_across(session.profile, config, labels, on_progress)
        print_across(console, result)
        return 0
    shown = Console(stderr=True) if args.json else console  # stdout: the JSON alone
    detail = "quiet" if args.quiet or args.json else "verbose" if args.verbose else "normal"
    with step_display(shown, detail) as on_progress:
        run_dir, analysis = session.profile(config, on_progress)
    if args.json:
        sys.stdout.write(summary_json(run_dir, analysis) + "\n")
        return 0
    timing = analysis.timing
    repeat = int(timing["rep"].max()) if timing is not None else 0
    print_summary(console, run_dir, analysis, repeat, config.margin, detail)
    if args.baseline:  # then compared with it, and exit as `concprof compare` does
        return _compare(console, Path(args.baseline), run_dir, args, Path(args.out))
    return 0


def cmd_claims(args: argparse.Namespace, console: Console) -> int:
    """Run the scenarios the article's claims need and judge each claim from measurements."""
    from profiler.atomic import write_atomic
    from profiler.orchestrate.claims_run import CLAIM_RUNS, run_claims
    from profiler.orchestrate.session import profile
    from profiler.render.claims import claims_markdown
    from profiler.rundir import hand_over
    from profiler.spine import Step

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task_id = bar.add_task("claims", total=len(CLAIM_RUNS))
        done = {"n": 0}

        def announce(step: Step) -> None:
            bar.update(task_id, completed=done["n"], description=f"claims: {step.model}")
            done["n"] += 1

        result = run_claims(
            profile, args.size, Path(args.out), args.python, lambda step: None, announce
        )
    table = Table("#", "claim", "verdict", "measured", title="the article's claims, measured here")
    for c in result.claims.itertuples():
        table.add_row(str(c.claim_id), str(c.claim), str(c.verdict), str(c.measured))
    console.print(table)
    if args.doc:
        write_atomic(Path(args.doc), claims_markdown(result, args.size))
        hand_over([Path(args.doc)])
        console.print(f"written: {args.doc}", markup=False)
    console.print(
        f"claims report: {result.out_dir / 'index.html'} ({result.duration_s:.0f} s)", markup=False
    )
    return 0


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    """Compare two runs (NEW against BASE): which model got faster or slower, beyond the
    noise; exit 1 when one is significantly slower (a CI gate)."""
    return _compare(console, Path(args.base), Path(args.new), args, Path(args.out))


def _compare(console: Console, base: Path, new: Path, args: argparse.Namespace, out: Path) -> int:
    from profiler.orchestrate.compare_runs import CompareConfig, compare
    from profiler.orchestrate.plan import parse_models
    from profiler.render.terminal import print_compare

    result = compare(
        CompareConfig(
            base=base,
            new=new,
            reports=out,
            margin=args.margin / 100.0,
            models=parse_models(args.gate_models) if args.gate_models else None,
            fail_on=args.fail_on,
            allow_mismatch=args.allow_mismatch,
        )
    )
    print_compare(console, result, args.format)
    return result.exit_code


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """Re-render tables, figures and index.html of a run directory from its raw/ files."""
    from profiler.orchestrate.across import rebuild_across
    from profiler.orchestrate.claims_run import rebuild_claims
    from profiler.orchestrate.compare_runs import rebuild_compare
    from profiler.orchestrate.recorded import rebuild_recording
    from profiler.orchestrate.session import rebuild
    from profiler.orchestrate.sweep import rebuild_sweep
    from profiler.spine import (
        AcrossManifest,
        ClaimsManifest,
        CompareManifest,
        RecordingManifest,
        SweepManifest,
        load_manifest,
    )

    run_dir = Path(args.run_dir).resolve()
    layout = RunDir(run_dir)
    if not layout.manifest.is_file():
        raise UsageError(f"{run_dir} is not a run directory (no run.json); see reports/<scenario>/")
    saved = load_manifest(layout.manifest)
    if isinstance(saved, AcrossManifest):
        rebuild_across(run_dir, saved)
    elif isinstance(saved, ClaimsManifest):
        rebuild_claims(run_dir, saved)
    elif isinstance(saved, SweepManifest):
        rebuild_sweep(run_dir, saved)
    elif isinstance(saved, CompareManifest):
        rebuild_compare(run_dir, saved)
    elif isinstance(saved, RecordingManifest):  # a recording: no models to compare
        rebuild_recording(run_dir, saved)
    else:
        rebuild(run_dir)
    console.print(f"report: {run_dir / 'index.html'}", markup=False)
    return 0


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    """List the built-in scenarios with their one-line descriptions."""

    from profiler.orchestrate.interpreters import resolve_python
    from profiler.orchestrate.scenario import builtin_names, load_scenario

    python = resolve_python(args.python)
    table = Table("scenario", "tasks", "workers", "asyncio", "claims", "what it does")
    for name in builtin_names():
        s = load_scenario(name, python)
        table.add_row(
            s.name,
            str(s.tasks),
            str(s.workers or "cores"),
            "atask" if s.has_atask else "task in loop",
            ",".join(map(str, s.claims)),
            s.summary,
        )
    console.print(table)
    return 0


def cmd_doctor(args: argparse.Namespace, console: Console) -> int:
    """Say which recorders work on this machine and, for the others, why not and the fix."""

    from profiler.orchestrate.doctor import doctor_rows

    table = Table("check", "ok", "details")
    for name, ok, detail in doctor_rows(args.python):
        table.add_row(name, "[green]yes[/green]" if ok else "[red]no[/red]", detail)
    console.print(table)
    return 0


def cmd_record(args: argparse.Namespace, console: Console) -> int:
    """Record a command of yours (and every process it starts): threads, GIL, blame, cores."""
    from profiler.orchestrate.record import RecordConfig, record

    argv = list(args.command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if args.module:
        argv = [args.python or sys.executable, "-m", args.module, *argv]
    config = RecordConfig(
        argv=tuple(argv),
        reports=Path(args.out),
        recorders=args.recorders,
        python=args.python,
        timeout_s=args.timeout,
        loop_stall_ms=args.loop_stall_ms,
    )
    recorded = _recording(console, lambda progress: record(config, progress))
    if recorded.interrupted is not None:
        raise recorded.interrupted  # main() says so, exit 130 (the recording is kept)
    if recorded.exit_code:
        raise RunFailed(
            f"the command exited with code {recorded.exit_code}; "
            f"its recording is in {recorded.run_dir}"
        )
    return 0


def cmd_attach(args: argparse.Namespace, console: Console) -> int:
    """Record a running process and its children for a while, without changing them."""
    from profiler.orchestrate.attach import AttachConfig, attach

    config = AttachConfig(
        pid=args.pid,
        duration_s=args.duration,
        reports=Path(args.out),
        recorders=args.recorders,
        python=args.python,
    )
    _recording(console, lambda progress: attach(config, progress))
    return 0


def _recording(console: Console, run: Callable[[ProgressFn], Recorded]) -> Recorded:
    """A recording with its progress shown, then its tables and outputs, then its summary."""
    from profiler.orchestrate.recorded import finish
    from profiler.render.terminal import print_recording, step_display

    with step_display(console) as on_progress:
        recorded = run(on_progress)
        tables = finish(recorded)
    print_recording(console, recorded.run_dir, tables)
    return recorded


def cmd_view(args: argparse.Namespace, console: Console) -> int:
    """Open a run's trace.json in vizviewer (Perfetto UI served locally; works offline)."""
    import shutil
    import subprocess

    trace = RunDir(Path(args.run_dir)).trace
    if not trace.is_file():
        raise UsageError(f"{args.run_dir} has no trace.json; run `concprof report {args.run_dir}`")
    viewer = shutil.which("vizviewer") or str(Path(sys.executable).parent / "vizviewer")
    if not Path(viewer).exists():
        raise UsageError("vizviewer is not installed; pip install viztracer (make venv)")
    console.print(
        f"serving {trace} with vizviewer on port {args.port} (Ctrl-C to stop)", markup=False
    )
    command = [viewer, "--port", str(args.port), str(trace)]
    if args.no_browser:
        command.insert(1, "--server_only")
    return subprocess.call(command)


def build_parser() -> argparse.ArgumentParser:
    from profiler.spine import SIZES
    from profiler.workload import MODEL_NAMES, START_METHODS

    parser = Parser(prog="concprof", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def add(name: str, fn: Command) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=(fn.__doc__ or "").splitlines()[0], description=fn.__doc__)
        p.set_defaults(func=fn)
        return p

    profile_arguments(add("profile", cmd_profile), list(SIZES), MODEL_NAMES, START_METHODS)
    p = add("claims", cmd_claims)
    p.add_argument("--size", default="quick", choices=list(SIZES))
    p.add_argument("--out", default="reports")
    p.add_argument("--python", help="workload interpreter")
    p.add_argument("--doc", help="also write the claims as Markdown here (docs/claims.md)")

    record_arguments(add("record", cmd_record))
    attach_arguments(add("attach", cmd_attach))

    p = add("compare", cmd_compare)
    p.add_argument("base", help="the run to compare against (a run directory or .../latest)")
    p.add_argument("new", help="the run to judge")
    p.add_argument("--out", default="reports", help="reports directory (default reports)")
    compare_arguments(p)

    p = add("report", cmd_report)
    p.add_argument("run_dir")

    p = add("view", cmd_view)
    p.add_argument("run_dir")
    p.add_argument("--port", type=int, default=9001)
    p.add_argument("--no-browser", action="store_true", help="only serve; do not open a browser")

    p = add("list", cmd_list)
    p.add_argument("--python", help="interpreter used to read the scenario files")

    p = add("doctor", cmd_doctor)
    p.add_argument("--python", help="workload interpreter to check")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, terminate)
    console = Console(stderr=False)
    if not console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
        console = Console(stderr=False, width=max(console.width, 120))
    err = Console(stderr=True)
    try:
        code: int = args.func(args, console)
        return code
    except UsageError as exc:
        err.print(f"concprof: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except PermissionError as exc:  # a path this user may not read or write
        where = exc.filename or "a file"
        err.print(
            f"concprof: permission denied: {where} ({exc.strerror}); run as a user who may "
            "use it, or choose another path (--out for the reports)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except RunFailed as exc:
        err.print(f"concprof: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Terminated) else int(signal.SIGINT)
        name = signal.Signals(signum).name
        err.print(
            f"concprof: interrupted ({name}); every workload process was stopped, "
            "the partial run is kept (incomplete)",
            markup=False,
            soft_wrap=True,
        )
        return 128 + int(signum)
    finally:  # under sudo: the files belong to the user who ran it, not to root
        from profiler.rundir import hand_over

        hand_over()

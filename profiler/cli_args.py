"""The options of `concprof profile`, `record` and `attach` (argparse only: profiler.cli
builds the parser and runs the commands)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the problem and the choices), exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"concprof: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def profile_arguments(
    p: argparse.ArgumentParser,
    sizes: Sequence[str],
    models: Sequence[str],
    start_methods: Sequence[str],
) -> None:
    p.add_argument("scenario", nargs="?", default="io", help="built-in name or path (default io)")
    p.add_argument(
        "--models",
        help=f"comma-separated, from {','.join(models)} (default: the scenario's MODELS, "
        "else all; sequential is always added as the baseline unless the scenario excludes it)",
    )
    p.add_argument("--size", default="default", choices=list(sizes))
    p.add_argument(
        "--workers",
        help="worker count (default: scenario's, else cores); several, comma-separated "
        "(1,2,4), profile at each: a worker sweep with a scaling table",
    )
    p.add_argument("--repeat", type=int, help="timing runs per model (default 5; quick 3)")
    p.add_argument("--recorders", default="auto", help="auto, none, or comma-separated names")
    p.add_argument(
        "--python",
        help="workload interpreter: a version (3.13, 3.13t) or a path; several, comma-separated "
        "(3.13.5,3.13t), profile the scenario on each and compare them",
    )
    p.add_argument(
        "--start-method",
        help=f"for processes: one of {', '.join(start_methods)}; several, comma-separated "
        "(fork,spawn), profile processes with each and name the one to use",
    )
    p.add_argument("--out", default="reports", help="reports directory (default reports)")
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds one model run may take before it is ended (default 600)",
    )
    p.add_argument(
        "--sampled-error",
        type=float,
        default=5.0,
        help="largest 95%% error, in points, of a sampled share shown in the answer "
        "(default 5); a short model run is observed several times over until py-spy has "
        "the rounds for it",
    )
    p.add_argument(
        "--max-slowdown",
        type=float,
        default=1.5,
        help="how much perf's GIL probes may slow an observed run (default 1.5): their "
        "trace stops when its cost reaches the bound, and the report says what it covered",
    )
    loop_stall_argument(p)
    p.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="the dask model on an existing cluster (tcp://HOST:PORT), which concprof "
        "never stops; default: a LocalCluster of WORKERS processes on 127.0.0.1 that it "
        "starts and stops for each run",
    )
    p.add_argument(
        "--dask-threads",
        type=int,
        default=1,
        help="threads per worker of the LocalCluster the dask model starts (default 1)",
    )
    said = p.add_mutually_exclusive_group()
    said.add_argument("--quiet", action="store_true", help="print the answer only")
    said.add_argument(
        "--verbose",
        action="store_true",
        help="print every step's details and the full evidence and warnings",
    )
    said.add_argument(
        "--json", action="store_true", help="print the answer and the comparison as JSON"
    )
    p.add_argument(
        "--baseline",
        help="a run to compare this one with afterwards (exit as `concprof compare` does)",
    )
    compare_arguments(p, profile=True)
    p.add_argument(
        "--margin",
        type=float,
        default=5.0,
        help="practical-equivalence margin in percent (default 5): a difference whose whole "
        "interval lies inside it is reported as 'same', never as faster or slower",
    )


def compare_arguments(p: argparse.ArgumentParser, profile: bool = False) -> None:
    """The gate's options, shared by `compare` and `profile --baseline` (which has its own
    --margin and --models, so its gate's models are --gate-models)."""
    with_margin = not profile
    if with_margin:
        p.add_argument(
            "--margin",
            type=float,
            default=5.0,
            help="practical-equivalence margin in percent (default 5): a change whose whole "
            "interval lies inside it is 'same'",
        )
    p.add_argument(
        "--fail-on",
        default="slower",
        help="slower (default: exit 1 when a model is significantly slower in NEW) or never",
    )
    p.add_argument(
        "--gate-models" if profile else "--models",
        dest="gate_models",
        help="the models the gate looks at, comma-separated (default: every model)",
    )
    p.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare runs of different scenarios, sizes, workers or interpreters anyway",
    )
    p.add_argument(
        "--format",
        default="text",
        choices=["text", "markdown"],
        help="markdown: a summary for a pull-request comment",
    )


def loop_stall_argument(p: argparse.ArgumentParser) -> None:
    """--loop-stall-ms, for profile and record."""
    p.add_argument(
        "--loop-stall-ms",
        type=float,
        default=10.0,
        help="asyncio: an event-loop callback or task step longer than this many "
        "milliseconds is a stall (default 10)",
    )


def record_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- the command and its arguments")
    p.add_argument("-m", dest="module", help="run this module with the interpreter (--python)")
    p.add_argument("--out", default="reports", help="reports directory (default reports)")
    p.add_argument("--recorders", default="auto", help="auto, none, or comma-separated names")
    p.add_argument(
        "--python",
        help="the interpreter whose GIL perf traces (default: the command, when it is a Python)",
    )
    p.add_argument("--timeout", type=float, help="end the command after this many seconds")
    loop_stall_argument(p)


def attach_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pid", type=int, help="the process to record (its children too)")
    p.add_argument("--duration", type=float, help="seconds to record (default: until Ctrl-C)")
    p.add_argument("--out", default="reports", help="reports directory (default reports)")
    p.add_argument("--recorders", default="auto", help="auto, none, or comma-separated names")
    p.add_argument(
        "--python", help="the interpreter whose GIL perf traces (default: the process's)"
    )

"""`concprof compare BASE NEW` (`make compare BASE=... NEW=...`), and `profile --baseline`:
two run directories side by side, written to reports/compare/<stamp>/ (compare.csv,
compare_blame.csv, compare.json, index.html, run.json), and the gate: exit 1 when a model is
significantly slower in NEW.

Like with like: two profiles must match in scenario, size, tasks, workers, start method
and interpreter; two recordings in their command. A mismatch is a one-line error naming
the difference, unless --allow-mismatch (then the differences are said first). Other
machines (cores, kernel) and disturbed timing runs are warned about.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from profiler.analyse.diff import BLAME_DIFF_COLUMNS, diff_blame, diff_models
from profiler.analysis import RunAnalysis
from profiler.atomic import write_atomic, write_json
from profiler.errors import UsageError
from profiler.layout import RunDir
from profiler.load.run import load_run
from profiler.orchestrate.lifecycle import RunSession
from profiler.render.diff import compare_doc, compare_html
from profiler.rundir import write_table
from profiler.spine import (
    DEFAULT_MARGIN,
    CompareManifest,
    CompareResult,
    Manifest,
    RecordingManifest,
    Step,
    load_manifest,
)

FAIL_ON = ("slower", "never")


@dataclass(frozen=True)
class CompareConfig:
    base: Path
    new: Path
    reports: Path = Path("reports")
    margin: float = DEFAULT_MARGIN
    models: tuple[str, ...] | None = None  # the gate's models (None: every model)
    fail_on: str = "slower"  # slower | never
    allow_mismatch: bool = False


def compare(config: CompareConfig) -> CompareResult:
    """Both runs loaded, checked like with like, compared, written; the gate's models."""
    if config.fail_on not in FAIL_ON:
        raise UsageError(
            f"unknown --fail-on {config.fail_on!r}; choose one of: {', '.join(FAIL_ON)}"
        )
    if not 0.0 <= config.margin < 1.0:
        raise UsageError(f"margin must be a percentage from 0 to 100, got {config.margin * 100:g}")
    runs = [_run_dir(p, n) for p, n in ((config.base, "BASE"), (config.new, "NEW"))]
    manifests = [_manifest(d) for d in runs]
    kinds = {"profile" if isinstance(m, Manifest) else "recording" for m in manifests}
    if len(kinds) > 1:
        raise UsageError(
            "BASE and NEW are a profile and a recording: compare two profiles or two recordings"
        )
    differences = _mismatches(manifests[0], manifests[1])
    if differences and not config.allow_mismatch:
        raise UsageError(
            f"the runs differ: {'; '.join(differences)}; compare like with like, or pass "
            "--allow-mismatch to compare them anyway"
        )
    base, new = (load_run(d) for d in runs)
    table = diff_models(base, new, config.margin)
    if config.models:
        unknown = [m for m in config.models if m not in set(table["model"])]
        if unknown:
            raise UsageError(
                f"no model {', '.join(unknown)} in these runs; choose from: "
                f"{', '.join(table['model'])}"
            )
    gated = table if not config.models else table[table["model"].isin(config.models)]
    failing = (
        [str(m) for m in gated.loc[gated["verdict"] == "slower", "model"]]
        if config.fail_on == "slower"
        else []
    )
    started = time.time()
    out_dir = RunSession(config.reports, "compare", _silent, started=started).run_dir
    result = CompareResult(
        out_dir=out_dir,
        base=runs[0],
        new=runs[1],
        kind=manifests[0].kind,
        title=_title(manifests[0]),
        table=table,
        blame=diff_blame(base, new),
        margin=config.margin,
        mismatches=differences,
        warnings=_warnings(manifests[0], manifests[1], base, new),
        failing=failing,
    )
    write_table(out_dir, "compare", result.table)
    if not result.blame.empty:
        write_table(out_dir, "compare_blame", result.blame)
    write_json(out_dir / "compare.json", compare_doc(result))
    write_atomic(RunDir(out_dir).report, compare_html(result))
    CompareManifest(
        base=str(result.base),
        new=str(result.new),
        of=result.kind,
        title=result.title,
        margin=result.margin,
        mismatches=result.mismatches,
        warnings=result.warnings,
        failing=result.failing,
        duration_s=round(time.time() - started, 3),
    ).save(RunDir(out_dir).manifest)  # last: the directory is complete
    return result


def rebuild_compare(out_dir: Path, saved: CompareManifest) -> CompareResult:
    """`concprof report` on a comparison: its page again, from its tables and run.json."""
    tables = RunDir(out_dir).tables
    blame = tables / "compare_blame.csv"
    result = CompareResult(
        out_dir=out_dir,
        base=Path(saved.base),
        new=Path(saved.new),
        kind=saved.of,
        title=saved.title,
        table=pd.read_csv(tables / "compare.csv"),
        blame=pd.read_csv(blame) if blame.is_file() else pd.DataFrame(columns=BLAME_DIFF_COLUMNS),
        margin=saved.margin,
        mismatches=saved.mismatches,
        warnings=saved.warnings,
        failing=saved.failing,
    )
    write_atomic(RunDir(out_dir).report, compare_html(result))
    return result


def _silent(step: Step) -> None:
    """A comparison has no progress to show: it reads two finished runs."""


def _run_dir(path: Path, name: str) -> Path:
    """A run directory (or reports/<scenario>/latest), resolved; one line if it is not one."""
    resolved = path.resolve()
    if not (resolved / "run.json").is_file():
        raise UsageError(
            f"{name} {path} is not a run directory (no run.json); give one, or "
            "reports/<scenario>/latest"
        )
    return resolved


def _manifest(run_dir: Path) -> Manifest | RecordingManifest:
    found = load_manifest(RunDir(run_dir).manifest)
    if not isinstance(found, Manifest | RecordingManifest):
        raise UsageError(
            f"{run_dir} is a {found.kind} run: compare profiles or recordings (their own "
            "run directories are linked from its page)"
        )
    if found.status != "complete":
        raise UsageError(f"{run_dir} is {found.status}: compare complete runs")
    return found


def _mismatches(a: Manifest | RecordingManifest, b: Manifest | RecordingManifest) -> list[str]:
    """What makes the two runs not like with like: `field: BASE's vs NEW's`."""
    pairs: list[tuple[str, object, object]] = [
        ("interpreter", _interpreter(a), _interpreter(b)),
    ]
    if isinstance(a, Manifest) and isinstance(b, Manifest):
        pairs += [
            ("scenario", a.scenario.name, b.scenario.name),
            ("size", a.size, b.size),
            ("tasks", a.tasks, b.tasks),
            ("workers", a.workers, b.workers),
            ("start method", a.start_method, b.start_method),
        ]
    elif isinstance(a, RecordingManifest) and isinstance(b, RecordingManifest):
        pairs.append(("command", " ".join(a.command[1:]), " ".join(b.command[1:])))
    return [f"{what}: {x} vs {y}" for what, x, y in pairs if x != y]


def _interpreter(m: Manifest | RecordingManifest) -> str:
    free = "t" if not m.python.gil_enabled and m.python.version else ""
    return f"{m.python.implementation} {m.python.version}{free}".strip()


def _warnings(
    a: Manifest | RecordingManifest,
    b: Manifest | RecordingManifest,
    base: RunAnalysis,
    new: RunAnalysis,
) -> list[str]:
    said = []
    if a.cpu_count != b.cpu_count or a.kernel != b.kernel:
        said.append(
            f"the runs come from different machines ({a.cpu_count} cores, {a.kernel} vs "
            f"{b.cpu_count} cores, {b.kernel}): a difference may be the machine's"
        )
    for name, analysis in (("BASE", base), ("NEW", new)):
        comparison = analysis.comparison
        if comparison is not None and "disturbed_reps" in comparison:
            disturbed = int(comparison["disturbed_reps"].fillna(0).sum())
            if disturbed:
                said.append(
                    f"{name} has {disturbed} timing runs disturbed by other load on its machine"
                )
    return said


def _title(m: Manifest | RecordingManifest) -> str:
    if isinstance(m, Manifest):
        return f"{m.scenario.name} ({m.size}, {m.tasks} tasks, {m.workers} workers)"
    return f"{m.kind}: {' '.join(m.command)}"

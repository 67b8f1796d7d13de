"""Observed runs: each model once more, with the recorders attached.

The shared run: `perf record ... -- py-spy record ... -- python -m
profiler.workload.runner run ...` with the procfs sampler watching the tree. Then one
run of its own for each exclusive recorder (viztracer). A recorder that fails
is named with its reason; the others and the timing results are kept.
"""

from __future__ import annotations

from pathlib import Path

from profiler.layout import RunDir
from profiler.load.runner_json import read_result
from profiler.orchestrate.launch import Launcher
from profiler.recorders.base import RecorderFailed, Sampler, Selection, Target, Wrapper
from profiler.recorders.sampling import passes_for
from profiler.spine import Observed, Plan, RecorderStatus


def wrap_all(
    wrappers: list[Wrapper], argv: list[str], target: Target, status: dict[str, RecorderStatus]
) -> tuple[list[str], list[Wrapper]]:
    """Innermost first (py-spy), outermost last (perf); a wrapper that cannot start is skipped."""
    applied: list[Wrapper] = []
    for wrapper in reversed(wrappers):
        try:
            argv = wrapper.wrap(argv, target)
            applied.append(wrapper)
        except RecorderFailed as exc:
            status[wrapper.name] = RecorderStatus.failure(str(exc))
    return argv, applied


def finish_all(
    applied: list[Wrapper], target: Target, stderr: str, status: dict[str, RecorderStatus]
) -> None:
    for wrapper in applied:
        try:
            wrapper.finish(target, stderr)
            status.setdefault(wrapper.name, RecorderStatus.ok(wrapper.note))
        except RecorderFailed as exc:  # the first failure says most
            status.setdefault(wrapper.name, RecorderStatus.failure(str(exc)))


def stop_all(samplers: list[Sampler], status: dict[str, RecorderStatus]) -> None:
    """Stop the samplers that were started; each one's status (one that fails is named)."""
    for sampler in samplers:
        try:
            sampler.stop()
            status[sampler.name] = RecorderStatus.ok()
        except RecorderFailed as exc:
            status[sampler.name] = RecorderStatus.failure(str(exc))


def observe_model(
    p: Plan,
    model: str,
    run_dir: Path,
    chosen: Selection,
    launcher: Launcher,
    expected_wall_s: float | None = None,
    min_passes: int = 1,
    setup_s: float = 0.0,
) -> Observed:
    """`expected_wall_s`: the timing runs' median, from which the probes' budget follows;
    `min_passes`: model runs in the window at least (a second attempt, session.py);
    `setup_s`: what the runner does before the window that the probes see too (a Dask
    cluster's start-up), added to the budget so that it does not spend it before the window.

    With py-spy and without perf, a model run too short for py-spy's error bound
    (--sampled-error) is run several times in one observed window (the runner's
    --passes), up to MAX_PASSES.
    """
    files = RunDir(run_dir).model_raw(model)
    raw = files.root
    raw.mkdir(parents=True, exist_ok=True)
    # a sampler's GIL shares are the answer's only when no exact recorder records the GIL
    exact = any(w.traits.exact and "gil" in w.traits.measures for w in chosen.wrappers)
    sampler_hz = [
        w.traits.rate_hz
        for w in chosen.wrappers
        if w.traits.rate_hz and "gil" in w.traits.measures and not exact
    ]
    passes = max(
        min_passes,
        passes_for(p.config.sampled_error_pct, sampler_hz[0], expected_wall_s, p.config.timeout_s)
        if sampler_hz and expected_wall_s
        else 1,
    )
    budget = (
        (p.config.max_slowdown - 1.0) * (expected_wall_s * passes + setup_s)
        if expected_wall_s
        else None
    )
    contain = launcher.contain
    target = Target(
        python=p.python,
        model=model,
        raw_dir=raw,
        probe_budget_s=budget,
        track=contain.started if contain is not None else None,
    )
    result = Observed(model=model)

    if chosen.wrappers or chosen.samplers:
        counted = any(w.traits.counts_rounds for w in chosen.wrappers)
        argv, applied = wrap_all(
            chosen.wrappers,
            p.runner_argv(
                model, files.observed, gil_reference=counted, task_times=True, passes=passes
            ),
            target,
            result.recorders,
        )
        stderr = ""
        started = []

        def attach(pid: int) -> None:
            for wrapper in applied:
                if wrapper.attaches:
                    try:
                        wrapper.attach(pid, target)
                    except RecorderFailed as exc:  # the run goes on without it
                        result.recorders[wrapper.name] = RecorderStatus.failure(str(exc))
            for sampler in chosen.samplers:
                sampler.start(pid, target)
                started.append(sampler)

        try:
            gate = any(w.attaches for w in applied)
            done = launcher.run(argv, files.logs / "observed", on_start=attach, gate=gate)
            stderr = done.stderr + done.stdout  # py-spy prints its sample/error counts on stdout
        finally:
            stop_all(started, result.recorders)
            finish_all(applied, target, stderr, result.recorders)
        doc = read_result(files.observed)
        result.ok = bool(doc and doc.ok)
        result.wall_s = doc.wall_s if doc else None
        result.passes = doc.passes if doc else 1
        result.gil_trace_stopped = any(w.stopped_part_way for w in applied)
        if not result.ok:
            said = doc.error.exception if doc and doc.error else None
            result.error = said or f"observed run wrote no result: {stderr.strip()[-300:]}"

    for wrapper in chosen.exclusive:
        doc_path = files.exclusive_run(wrapper.name)
        status: dict[str, RecorderStatus] = {}
        argv, applied = wrap_all(
            [wrapper], p.runner_argv(model, doc_path, task_times=True), target, status
        )
        stderr = ""
        try:
            if applied:
                stderr = launcher.run(argv, files.logs / wrapper.name).stderr
        finally:
            finish_all(applied, target, stderr, status)
        result.recorders.update(status)
        traced = read_result(doc_path)
        result.traced[wrapper.name] = {
            "ok": bool(traced and traced.ok),
            "wall_s": traced.wall_s if traced else None,
        }
    return result

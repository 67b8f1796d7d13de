"""Observed runs within the slowdown bound (--max-slowdown), or shares from a run without probes.

perf's GIL probes stop at their budget (its gil_trace module). A model run
too short for the budget can still be slowed beyond the bound: stopping perf
costs about its traits' stop_cost_s with the probes in place. Then, in order:

1. observe again over more passes of the model run, so that the stop fits in
   the budget (the first attempt kept in raw/<model>-slowed/);
2. if still beyond the bound, observe once more without perf (py-spy and
   procfs: the less disturbing, sampled sources), and take the shares from
   that run when it is the less slowed one; perf's run is then kept in
   raw/<model>-probed/ and its status says so (else the run without perf is
   kept in raw/<model>-unprobed/ and perf's stays the source).
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path

from profiler.layout import RunDir
from profiler.orchestrate.launch import Launcher
from profiler.orchestrate.observe import observe_model
from profiler.recorders.base import Selection
from profiler.recorders.sampling import MAX_PASSES
from profiler.spine import Observed, Plan, ProgressFn, RecorderStatus, Step

CLEARLY_LESS = 0.9  # the run without perf is used only if at least 10% less slowed


def longer_window(
    o: Observed,
    expected_wall_s: float | None,
    max_slowdown: float,
    timeout_s: float,
    stop_cost_s: float,
) -> int:
    """Passes for a second observed run, when the first was slowed beyond the bound; else 1.

    Only a run whose GIL trace stopped part-way (a workload cycling the GIL so
    often that it spent the probes' budget) and that was still too slow: on a
    short run, stopping perf (`stop_cost_s`, the probes costing all the while)
    does not fit in the budget. The second window is long enough that it fits
    four times, at most MAX_PASSES model runs and half the timeout.
    """
    slowed = o.slowdown(expected_wall_s)
    if slowed is None or slowed <= max_slowdown or not o.gil_trace_stopped:
        return 1
    assert expected_wall_s is not None
    window_s = 4 * stop_cost_s / (max_slowdown - 1.0)
    wanted = math.ceil(window_s / expected_wall_s)
    affordable = max(1, int(timeout_s / 2 / expected_wall_s))
    passes = min(wanted, MAX_PASSES, affordable)
    return passes if passes > o.passes else 1


def _aside(raw: Path, suffix: str) -> Path:
    kept = raw.with_name(f"{raw.name}-{suffix}")
    shutil.rmtree(kept, ignore_errors=True)
    raw.rename(kept)
    return kept


def observe_within_bound(
    p: Plan,
    model: str,
    run_dir: Path,
    chosen: Selection,
    launcher: Launcher,
    expected_wall_s: float | None,
    progress: ProgressFn,
    step: tuple[int, int],
    setup_s: float = 0.0,
) -> Observed:
    """observe_model, then the two fallbacks above when perf slowed the run beyond the bound
    (`setup_s`: observe.observe_model's)."""
    bound = p.config.max_slowdown
    raw = RunDir(run_dir).model_raw(model).root

    def say(note: str, brief: str) -> None:
        progress(Step("observed", model, 1, step[0], step[1], None, True, note, brief))

    o = observe_model(p, model, run_dir, chosen, launcher, expected_wall_s, setup_s=setup_s)
    stop_cost_s = max((w.traits.stop_cost_s for w in chosen.wrappers), default=0.0)
    again = longer_window(o, expected_wall_s, bound, p.config.timeout_s, stop_cost_s)
    if again > 1:
        why = (
            f"observed run {o.slowdown(expected_wall_s) or 0.0:.2f}x slower than timed, "
            f"beyond {bound:g}x (perf's probes, stopped part-way)"
        )
        say(
            f"{why}: observing again over {again} passes",
            "slowed by the recorders: observing again",
        )
        _aside(raw, "slowed")
        o = replace(
            observe_model(p, model, run_dir, chosen, launcher, expected_wall_s, again, setup_s),
            slowed_first=why,
        )
    slowed = o.slowdown(expected_wall_s)
    costly = [w for w in chosen.wrappers if w.traits.costs_the_run]
    unprobed = replace(
        chosen, wrappers=[w for w in chosen.wrappers if w not in costly], exclusive=[]
    )
    probed = bool(costly)
    if slowed is None or slowed <= bound or not probed:
        return o
    if not (unprobed.wrappers or unprobed.samplers):
        return o  # perf alone: its shares, disclosed as describing a slowed run
    passes = f" over {o.passes} passes" if o.passes > 1 else ""
    say(
        f"observed run with perf {slowed:.2f}x slower than timed{passes}, beyond {bound:g}x: "
        "observing again without perf",
        "perf slowed it beyond the bound: observing again without perf",
    )
    kept = _aside(raw, "probed")
    sampled = observe_model(p, model, run_dir, unprobed, launcher, expected_wall_s, o.passes)
    without = sampled.slowdown(expected_wall_s)
    if not sampled.ok or without is None or without > slowed * CLEARLY_LESS:
        # not clearly less disturbed without perf: perf's exact run stays the source
        _aside(raw, "unprobed")
        kept.rename(raw)
        say(f"without perf {without or 0.0:.2f}x: perf's run is kept for the shares", "")
        return o
    why = (
        f"the observed run with perf was {slowed:.2f}x slower than timed{passes}, beyond "
        f"{bound:g}x; without perf {without:.2f}x"
    )
    for own in chosen.exclusive:  # a run of its own is not disturbed by the probes: kept
        for path in own.outputs(kept):
            if path.exists():
                shutil.copy2(path, raw / path.name)
    recorders = {
        **o.recorders,
        **sampled.recorders,
        **{
            w.name: RecorderStatus.ok(
                f"{why}: its trace is in raw/{model}-probed/, not used for the shares"
            )
            for w in costly
        },
    }
    return replace(
        sampled,
        recorders=recorders,
        traced=o.traced,
        slowed_first=o.slowed_first,
        unprobed=f"{why}: the shares come from the run without perf, the less disturbed one",
    )

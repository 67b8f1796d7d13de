"""Sentences the renderers share (terminal, HTML and tables/advice.csv say the same thing in
the same words): a recording's answer and a profile's (headline, warnings, evidence)."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from profiler.analyse.compare import MIN_RUNS, no_interval
from profiler.answer import (
    NAN,
    Answer,
    Cause,
    Caveat,
    CeilingEvidence,
    CoresEvidence,
    DaskEvidence,
    GilEvidence,
    IpcEvidence,
    LoopEvidence,
    ModelEvidence,
    RecordingAnswer,
    ThreadShare,
    Why,
    known,
)


def _share(t: ThreadShare) -> str:
    err = f" ±{t.err_pct:.1f}" if t.err_pct else ""  # exact sources carry no error
    return f"{t.pct:.0f}%{err}"


LOOP_FIRST_PCT = 10.0  # an event loop blocked this much of its run is what a recording says first


def recording_lines(a: RecordingAnswer) -> list[str]:
    """A recording's answer in a few lines: who held the GIL and who waited, the function
    that made them wait, what its processes pickled, what blocked its event loop (first,
    when it was blocked at least LOOP_FIRST_PCT of the time), the ceiling; each with the
    recorder that measured it."""
    if a.holder is None:
        first = (
            f"GIL: no thread's share was measured in the {a.window_s:.1f} s recorded "
            "(recorders and their reasons: run.json, the report's Recorders section)"
        )
    else:
        h = a.holder
        first = (
            f"GIL held most by {h.name} (pid {h.pid}): {_share(h)} of the "
            f"{a.window_s:.1f} s recorded ({h.source})"
        )
        if a.waiter is not None and a.waiter.pct >= 0.5:
            w = a.waiter
            first += f"; waited for most by {w.name} (pid {w.pid}): {_share(w)} ({w.source})"
        elif a.waiter is not None:
            first += f"; no thread waited for it as much as 1% ({a.waiter.source})"
        else:
            first += "; waiting for it is measured by perf only"
    lines = [first]
    if a.blamed is not None:
        b = a.blamed
        lines.append(
            f"{b.function} made the other threads wait most: {b.waited_s:.3f} s, "
            f"{b.share_pct:.0f}% of the waiting (perf waits; py-spy, {b.samples} samples)"
        )
    if a.pickled is not None:
        p = a.pickled
        lines.append(
            f"its {p.processes} processes sent each other {size(p.bytes)} in {p.calls} "
            f"messages; pickling and unpickling took {duration(p.seconds)} "
            f"({p.seconds / max(a.window_s, 1e-9) * 100:.1f}% of the {a.window_s:.1f} s "
            f"recorded); most: {p.top_site} in pid {p.top_pid}, {size(p.top_bytes)} "
            "(tables/ipc_sites.csv)"
        )
    if a.loop is not None and a.loop.stalls:
        lo = a.loop
        by = f" by {blocker_text(lo)}" if lo.blocker else ""
        change = f". To change: {loop_change(lo)}" if lo.blocker else ""
        at = 0 if lo.blocked_pct >= LOOP_FIRST_PCT else len(lines)  # the answer, first
        lines.insert(
            at,
            f"its event loop was blocked {lo.blocked_pct:.0f}% of the time it ran{by}; other "
            f"callbacks waited up to {lo.lag_p95_ms:.0f} ms (p95; {lo.source.split(',')[0]}; "
            f"tables/loop_stalls.csv){change}",
        )
    elif a.loop is not None:
        lo = a.loop
        lines.append(
            f"its event loop never ran a callback of {lo.stall_ms:g} ms or more; callbacks "
            f"waited {lo.lag_p95_ms:.1f} ms at p95 ({lo.source.split(',')[0]})"
        )
    if a.attached:
        lines.append(
            "not seen in an attached process: its event loops' stalls and what its processes "
            "pickle (both need the start-up hook: concprof record -- <command>)"
        )
    if a.ceiling is not None:
        c = a.ceiling
        lines.append(
            f"the GIL lets pid {c.pid}'s threads run at most {c.speedup:.2f}x faster than on "
            f"one thread (held for {c.held_pct:.0f}% of their CPU work, {c.threads_working} "
            f"working on {c.cores} cores; they also blocked {c.blocked_s:.2f} s; perf)"
        )
    return lines


# --- a profile's answer (profiler.answer.Answer) -------------------------------------------

ROLE_LABELS = {"main": "runner process", "worker": "worker process"}


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def verdict_text(a: Answer) -> str:
    """The recommended model against sequential (or, without it, against the runner-up)."""
    if a.verdict == "no_baseline":
        if not a.runner_up:
            return "no sequential baseline; only one model ran"
        if a.runner_up_vs == "slower":
            return f"no sequential baseline; {a.runner_up} is clearly slower"
        if a.runner_up_vs == "same":
            return f"no sequential baseline; the same as {a.runner_up} within the margin"
        runs = "" if a.reps >= MIN_RUNS else f" ({no_interval(a.reps)})"
        return f"no sequential baseline; not distinguishable from {a.runner_up}{runs}"
    margin = a.margin
    return {
        "faster": f"the whole interval is above 1 + {margin:.0%}: faster than sequential",
        "slower": f"the whole interval is below 1 − {margin:.0%}: slower than sequential",
        "same": f"the whole interval is within ±{margin:.0%} of 1: the same as sequential",
        "inconclusive": "the interval reaches 1 ± the margin: not distinguishable from sequential",
        "baseline": "the baseline",
    }.get(a.verdict, a.verdict)


def why_text(why: Why | None) -> str:
    if why is None:
        return ""
    if why.kind == "no_clear_win":
        return (
            f"no model is clearly faster than the sequential baseline (fastest by median: "
            f"{why.fastest}, {why.fastest_speedup:.2f}x, {why.fastest_vs}); "
            "the simplest model wins"
        )
    relation = "as fast as" if why.relation == "same" else "not distinguishable from"
    reason = {
        "cpu": f"less CPU time ({why.mine:.2f} s against {why.theirs:.2f} s)",
        "memory": f"less memory ({why.mine:.0f} MB peak RSS against {why.theirs:.0f} MB)",
    }.get(why.reason, "the simpler model")
    return f"{relation} {why.fastest} ({why.fastest_speedup:.2f}x), with {reason}"


def headline(a: Answer) -> str:
    verdict = verdict_text(a)
    if not a.has_speedup:
        return f"fastest: {a.model} ({verdict})"
    interval = f"95% interval {a.ci_low:.2f}–{a.ci_high:.2f}x; " if a.has_interval else ""
    lead = "recommended" if a.fastest and a.fastest != a.model else "fastest"
    why = why_text(a.why)
    ties = f"; not distinguishable from {', '.join(a.ties)}" if a.ties else ""
    if a.model == "sequential":
        if why:
            return f"{lead}: sequential; {why}"
        return f"{lead}: sequential, the baseline: no model beat it{ties}"
    text = f"{lead}: {a.model}, {a.speedup:.2f}x the sequential baseline ({interval}{verdict})"
    return text + (f"; {why}" if why else ties)


def gil_text(g: GilEvidence) -> str:
    """The GIL in the runner process and the workers, naming the recorder."""
    if g.unmeasured is not None:
        return f"GIL: not measured by {g.source}: {g.unmeasured}"
    if g.too_short:
        counted = f" ({g.rounds} rounds)" if g.rounds is not None else ""
        return (
            f"GIL: too short to measure with {g.source}{counted}, "
            f"error above ±{g.max_err_pct:g} points"
        )
    parts = []
    for r in g.roles:
        label = ROLE_LABELS.get(r.role, f"{r.role} process")
        if r.processes == 1:
            text = f"{label}: GIL held {_pct(r.held_pct)}"
            text += f", contended {_pct(r.contended_pct)}" if r.contended_pct is not None else ""
            text += f" ±{r.err_pct:.1f}" if r.err_pct is not None else ""
        else:
            text = (
                f"{r.processes} {label}es: GIL held median {_pct(r.held_pct)} "
                f"({_pct(r.held_min_pct)}–{_pct(r.held_max_pct)})"
            )
        parts.append(text)
    return ", ".join(parts) + f" ({g.source})"


def cores_text(c: CoresEvidence) -> str:
    return f"cores busy with it {', '.join(_pct(v) for v in c.busy_pct)} ({c.source})"


def ceiling_text(c: CeilingEvidence) -> str:
    said = f"; measured {c.measured:.2f}x" if c.measured is not None else ""
    overlap = (
        f", and blocked {c.blocked_ratio:.1f}x as long as they ran (I/O, sleep), which threads "
        "overlap beyond it"
        if c.blocked_ratio >= 0.1
        else ""
    )
    return (
        f"the GIL lets the threads' CPU work run at most {c.limit:.2f}x faster than on one "
        f"thread (held for {c.held_pct:.0f}% of it, {c.working} working on {c.cores} cores; "
        f"{c.source}){overlap}{said}"
    )


def size(nbytes: float) -> str:
    """Bytes as a person reads them (binary units)."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} B"


def duration(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def ipc_parts(i: IpcEvidence) -> str:
    return (
        f"{duration(i.in_workers_s)} (un)pickling in the workers, {duration(i.in_parent_s)} "
        f"in the parent, {duration(i.wait_s)} waiting for the parent to take the result"
    )


def ipc_text(i: IpcEvidence) -> str:
    return (
        f"per task {size(i.arg_bytes)} sent and {size(i.result_bytes)} returned, pickled, "
        f"piped and unpickled in {duration(i.ipc_s)} ({ipc_parts(i)}) against "
        f"{duration(i.task_s)} of work; {i.workers} workers, started in "
        f"{duration(i.startup_s)} (median; {i.source})"
    )


def signed_duration(seconds: float) -> str:
    """A duration that noise may have made negative: said as none beyond it."""
    return duration(seconds) if seconds > 0 else "0 (none measurable)"


def cluster_text(d: DaskEvidence) -> str:
    where = "on this machine" if d.local else f"at {d.scheduler}"
    started = "started for the run" if d.started_here else "already running"
    return (
        f"{d.workers} worker{'s' if d.workers != 1 else ''} × {d.threads_per_worker} "
        f"thread{'s' if d.threads_per_worker != 1 else ''} {where}, {started}"
    )


def break_even_text(d: DaskEvidence) -> str:
    if d.running < 2:
        return "with one worker thread running at a time it never beats one process"
    if not known(d.break_even_s) or d.break_even_s <= 0:
        return "it beats one process at any task length here"
    return f"it beats one process for tasks longer than {duration(d.break_even_s)}"


def dask_text(d: DaskEvidence) -> str:
    """What the task stream and the timing runs say a task costs on the cluster."""
    interval = (
        f" [{signed_duration(d.overhead_low_s)}, {signed_duration(d.overhead_high_s)}]"
        if known(d.overhead_low_s) and known(d.overhead_high_s)
        else ""
    )
    said = (
        f"per task {signed_duration(d.overhead_s)}{interval} beyond its "
        f"{duration(d.task_s)} of work (scheduling, sending it and its result, idle "
        f"threads); {break_even_text(d)} ({cluster_text(d)}); transfer "
        f"{duration(d.transfer_s)} and deserialising {duration(d.deserialize_s)} per task; "
        f"threads idle {max(0.0, d.idle_pct):.0f}% of the observed window; cluster up in "
        f"{d.startup_s:.2f} s, outside the timed runs"
    )
    if d.threads_per_worker > 1 and known(d.stretch):
        said += f"; a task computed {d.stretch:.2f}x as long as alone"
    if d.left:
        said += (
            f"; {d.left} worker{'s' if d.left != 1 else ''} left during the observed run (its "
            "tasks ran again on the others)"
        )
    return f"{said} ({d.source})"


def loop_text(lo: LoopEvidence) -> str:
    """What the event loop's monitor measured, for the evidence line."""
    said = (
        f"event loop blocked {lo.blocked_pct:.0f}% of its run ({lo.stalls} callbacks of "
        f"{lo.stall_ms:g} ms or more"
    )
    if lo.blocker:
        said += f", {lo.blocker_pct:.0f}% in {lo.blocker}"
    return f"{said}), callbacks {lo.lag_p95_ms:.1f} ms late at p95 ({lo.source})"


def blocker_text(lo: LoopEvidence) -> str:
    """The function that blocked the loop, with its numbers: what it is, how long, how often."""
    where = f" ({lo.blocker_file.rsplit('/', 1)[-1]})" if lo.blocker_file else ""
    inside = (
        f" in {lo.blocker_coroutines}"
        if lo.blocker_coroutines and lo.blocker_coroutines != lo.blocker
        else ""
    )
    kind = f", computing {lo.blocker_cpu_pct:.0f}% of it" if known(lo.blocker_cpu_pct) else ""
    return (
        f"{lo.blocker}{where}, a synchronous call{inside}: {lo.blocker_mean_ms:.1f} ms each, "
        f"{'once' if lo.blocker_stalls == 1 else f'{lo.blocker_stalls} times'}{kind}"
    )


def loop_change(lo: LoopEvidence) -> str:
    """What to change so that the loop is not blocked: by what the blocker does."""
    computes = known(lo.blocker_cpu_pct) and lo.blocker_cpu_pct >= 50.0
    best = f"; with nothing blocking the loop, {lo.at_best:.1f}x (predicted)" if lo.at_best else ""
    if computes:
        return (
            "it computes, so in a thread it would still hold the GIL: run it in a process "
            "pool (`await loop.run_in_executor(ProcessPoolExecutor(), ...)`) or make it "
            f"cheaper{best}"
        )
    off = (
        f": {lo.without_waits:.1f}x predicted with its waiting off the loop"
        if lo.without_waits
        else ""
    )
    return (
        "it waits without yielding: await an asyncio form of it (asyncio.sleep, an asyncio "
        f"client) or move it off the loop (`await asyncio.to_thread(...)`){off}"
    )


def measured_text(e: ModelEvidence) -> str:
    """What the model's observed run measured: GIL, cores, the ceiling, the pickling ("" if
    nothing)."""
    parts = [gil_text(g) for g in e.gil]
    parts += [cores_text(e.cores)] if e.cores is not None else []
    parts += [ceiling_text(e.ceiling)] if e.ceiling is not None else []
    parts += [ipc_text(e.ipc)] if e.ipc is not None else []
    parts += [loop_text(e.loop)] if e.loop is not None else []
    parts += [dask_text(e.dask)] if e.dask is not None else []
    return "; ".join(parts)


LARGE_BYTES = 64 * 1024  # a call or a result this large per task is worth not sending


def cause_text(c: Cause) -> str:
    """The cause first, with its numbers, then what to change."""
    if c.kind == "serialisation" and c.ipc is not None:
        i = c.ipc
        queued = (
            "; most of it is results queuing for the parent, which takes every result on one thread"
            if i.wait_s > 0.5 * i.ipc_s
            else ""
        )
        changes = []
        if i.task_s < 10 * (i.in_parent_s + i.in_workers_s):
            changes.append("give each task more work (fewer, larger tasks; chunksize= in map)")
        if i.arg_bytes + i.result_bytes >= LARGE_BYTES:
            changes.append(
                "send and return less per task, or keep the data in shared memory "
                "(multiprocessing.shared_memory)"
            )
        change = " or ".join(changes) or "send less between the processes"
        instead = f"; {c.instead} {c.instead_speedup:.2f}x here" if c.instead else ""
        return (
            f"{c.model} {c.speedup:.2f}x: each task sends {size(i.arg_bytes)} and returns "
            f"{size(i.result_bytes)}; pickling, piping and unpickling take {i.share_pct:.0f}% "
            f"of each task's time ({duration(i.ipc_s)} per task against {duration(i.task_s)} "
            f"of work: {ipc_parts(i)}){queued}. To change: {change}{instead}"
        )
    if c.kind == "loop_blocked" and c.loop is not None:
        lo = c.loop
        by = f" by {blocker_text(lo)}" if lo.blocker else ""
        instead = f"; {c.instead} {c.instead_speedup:.2f}x here" if c.instead else ""
        change = loop_change(lo) if lo.blocker else "find what runs long between its awaits"
        return (
            f"{c.model} {c.speedup:.2f}x: the event loop was blocked {lo.blocked_pct:.0f}% of "
            f"the run{by}; other callbacks waited up to {lo.lag_p95_ms:.0f} ms (p95). "
            f"To change: {change}{instead}"
        )
    if c.kind == "dask_overhead" and c.dask is not None:
        d = c.dask
        instead = f"; or {c.instead} ({c.instead_speedup:.2f}x here)" if c.instead else ""
        return (
            f"{c.model} {c.speedup:.2f}x: each task costs {duration(d.overhead_s)} on the "
            f"cluster beyond its {duration(d.task_s)} of work ({d.share_pct:.0f}% of its "
            f"time there: scheduling, sending it and its result, idle threads), so "
            f"{break_even_text(d)} ({cluster_text(d)}). To change: give each task more "
            f"work (map over chunks of the inputs: at {duration(9 * d.overhead_s)} of work "
            f"per task the overhead is a tenth){instead}"
        )
    if c.kind == "dask_gil" and c.dask is not None:
        d = c.dask
        instead = f"; or {c.instead} ({c.instead_speedup:.2f}x here)" if c.instead else ""
        return (
            f"{c.model} {c.speedup:.2f}x: a task computed {d.stretch:.2f}x as long as it does "
            f"alone, because the {d.threads_per_worker} threads of each worker take turns "
            f"at the GIL. To change: one thread per worker and more workers (--dask-threads "
            f"1; on a cluster `dask worker --nthreads 1 --nworkers N`){instead}"
        )
    return f"{c.model}: {c.kind}"


def prediction_text(e: ModelEvidence) -> str:
    """The speedup the sequential run predicts, beside the measured one ("" if none)."""
    if e.predicted is None:
        return ""
    said = f"; predicted {e.predicted:.2f}x from the sequential run (limited by {e.limited_by})"
    if e.agrees is None:
        return said
    if e.agrees:
        return said + ", as measured"
    return (
        f"{said}, measured {e.speedup / e.predicted:.2f} of it: outside the noise, so the "
        "prediction misses something here (docs/measurement.md)"
    )


def evidence_line(e: ModelEvidence) -> str:
    measured = measured_text(e)
    observed = f"; {measured}" if measured else ""
    if e.by_wall:
        interval = (
            f"[{e.wall_ci_low_s:.3f}, {e.wall_ci_high_s:.3f}]"
            if known(e.wall_ci_low_s)
            else "(no interval)"
        )
        return (
            f"{e.model}: median wall {e.wall_median_s:.3f} s {interval}, "
            f"peak RSS {e.peak_rss_mb:.0f} MB{observed}"
        )
    interval = (
        f"[{e.speedup_ci_low:.2f}, {e.speedup_ci_high:.2f}]"
        if known(e.speedup_ci_low)
        else "(no interval)"
    )
    text = (
        f"{e.model}: {e.speedup:.2f}x {interval}, CPU {e.cpu_s:.2f} s, CPU/wall "
        f"{e.parallelism:.2f}, peak RSS {e.peak_rss_mb:.0f} MB (timing runs, n={e.reps})"
        f"{observed}{prediction_text(e)}"
    )
    if e.slowed is not None:
        text += f" [observed run {e.slowed:.2f}x slower than timed: shares describe a slowed run]"
    if e.traced_pct is not None:
        text += (
            f" [{e.trace_source or 'the exact recorder'} traced the GIL for the first "
            f"{e.traced_pct:.0f}% of the observed run: its probe budget was spent; the GIL "
            "shares are of that part]"
        )
    return text


def caveat_text(c: Caveat) -> str:
    if c.kind == "slowed":
        which = ", ".join(f"{m} {v:.2f}x" for m, v in zip(c.models, c.values, strict=True))
        return (
            f"the recorders slowed the observed run beyond {c.bound:g}x ({which}): "
            "its GIL and core shares describe a slowed run (recorders cost time: perf's "
            "uprobes a few µs per GIL cycle, py-spy CPU time for every process it "
            "samples, on the same cores); the speedups come from unrecorded timing "
            "runs and are not affected"
        )
    if c.kind == "unprobed":
        model = c.models[0]
        return (
            f"{model}: {c.detail} (py-spy for the GIL, sampled with its error; procfs "
            f"for the cores); perf's trace is kept in raw/{model}-probed/"
        )
    if c.kind == "partial_trace":
        which = ", ".join(f"{m} {v:.0f}%" for m, v in zip(c.models, c.values, strict=True))
        return (
            f"{c.detail or 'the exact recorder'}'s GIL probes were stopped part-way through "
            f"the observed run ({which} of it traced): the GIL cycles so often that tracing "
            "all of it would slow the run beyond the bound (--max-slowdown); GIL shares are "
            "of the traced part, cores of the whole run"
        )
    if c.kind == "few_runs":
        return (
            f"fewer than {c.bound:g} timing runs ({', '.join(c.models)}): "
            "no interval, so no model is called faster or slower; use REPEAT=5"
        )
    if c.kind == "gil_reenabled":
        who = f" by importing {c.detail}" if c.detail else " (the module that did it is not known)"
        return (
            f"the GIL was turned back on at run time{who} ({', '.join(c.models)}): that module "
            "has not declared it can run without the GIL, so these runs measured a "
            "free-threaded build running with a GIL; PYTHON_GIL=0 keeps it off, at the "
            "module's own risk"
        )
    if c.kind == "disturbed":
        return (
            f"{c.count} of {c.total} timing runs were disturbed by other load on the "
            f"machine (up to {c.worst_pct:.0f}% of the cores) even after {c.reruns} re-runs: "
            "these verdicts rest on disturbed runs; run again on a quieter machine"
        )
    if c.kind == "reran":
        return (
            f"{c.count} timing runs disturbed by other load on the machine were run again; "
            "the verdicts use the undisturbed re-runs"
        )
    if c.kind == "dask_left":
        return (
            f"{c.count} Dask worker{'s' if c.count != 1 else ''} left the cluster during the "
            f"observed run of {', '.join(c.models)} (died or was stopped): the scheduler ran "
            "its tasks again on the others; the run finished, and its figures include the "
            "lost work (tables/dask_workers.csv: left)"
        )
    return c.detail or c.kind


def warning_line(c: Caveat) -> str:
    """A warning in one short line that says where its details are (caveat_text has them)."""
    models = ", ".join(c.models)
    if c.kind == "slowed":
        which = ", ".join(f"{m} {v:.2f}x" for m, v in zip(c.models, c.values, strict=True))
        return (
            f"the recorders slowed the observed run beyond {c.bound:g}x ({which}): its shares "
            "describe a slowed run; the speedups are unaffected (report: Recorders)"
        )
    if c.kind == "unprobed":
        return f"{models}: GIL shares sampled by py-spy, not traced by perf (report: warnings)"
    if c.kind == "partial_trace":
        which = ", ".join(f"{m} {v:.0f}%" for m, v in zip(c.models, c.values, strict=True))
        return f"the GIL was traced for part of the observed run ({which}; report: GIL)"
    if c.kind == "few_runs":
        return f"fewer than {c.bound:g} timing runs ({models}): no interval; use REPEAT=5"
    if c.kind == "gil_reenabled":
        who = f" by importing {c.detail}" if c.detail else ""
        return f"the GIL was turned back on{who} ({models}; report: warnings)"
    if c.kind == "disturbed":
        return (
            f"{c.count} of {c.total} timing runs were disturbed by other load: the verdicts "
            "rest on them; run again on a quieter machine"
        )
    if c.kind == "reran":
        return f"{c.count} timing runs disturbed by other load were run again"
    return caveat_text(c)


def model_line(e: ModelEvidence, baseline_rss_mb: float = NAN) -> str:
    """One model in one line: its speedup and interval, and the measurement that explains
    it best (the loop's stalls, the pool's pickling, the GIL's ceiling, the GIL, the
    cores), with the recorder that measured it."""
    if e.by_wall:
        head = f"{e.model} {e.wall_median_s:.3f} s"
    else:
        interval = (
            f" [{e.speedup_ci_low:.2f}–{e.speedup_ci_high:.2f}]" if known(e.speedup_ci_low) else ""
        )
        head = f"{e.model} {e.speedup:.2f}x{interval}"
    return f"{head}: {_explains(e, baseline_rss_mb)}"


MOSTLY_WAIT = 3.0  # threads blocked this many times as long as they run: their waits explain them


def _explains(e: ModelEvidence, baseline_rss_mb: float) -> str:
    memory = (
        f"; {e.peak_rss_mb / baseline_rss_mb:.0f}x sequential's memory"
        if known(baseline_rss_mb) and known(e.peak_rss_mb) and e.peak_rss_mb >= 2 * baseline_rss_mb
        else ""
    )
    lo, i, c = e.loop, e.ipc, e.ceiling
    if lo is not None and known(lo.blocked_pct) and lo.blocker and lo.blocked_pct >= 1.0:
        return (
            f"the event loop was blocked {lo.blocked_pct:.0f}% of the run by {lo.blocker} "
            f"({lo.blocker_mean_ms:.0f} ms each; loop monitor){memory}"
        )
    if lo is not None and known(lo.blocked_pct):
        return f"the event loop was never blocked long (p95 lag {lo.lag_p95_ms:.1f} ms){memory}"
    d = e.dask
    if d is not None and known(d.overhead_s):
        return (
            f"{signed_duration(d.overhead_s)} per task beyond its {duration(d.task_s)} of "
            f"work; {break_even_text(d)} ({cluster_text(d)}; cluster up in "
            f"{d.startup_s:.2f} s){memory}"
        )
    if i is not None and known(i.share_pct):
        return (
            f"pickling and piping take {i.share_pct:.0f}% of each task ({duration(i.ipc_s)} "
            f"against {duration(i.task_s)} of work); {i.workers} workers started in "
            f"{duration(i.startup_s)}{memory}"
        )
    if c is not None and known(c.limit) and c.blocked_ratio >= MOSTLY_WAIT:
        return (
            f"the threads mostly wait (blocked {c.blocked_ratio:.0f}x as long as they run) and "
            f"their waits overlap; the GIL is held {c.held_pct:.0f}% of their CPU work "
            f"({c.source}){memory}"
        )
    if c is not None and known(c.limit):
        return (
            f"the GIL is held {c.held_pct:.0f}% of the threads' CPU work: at most "
            f"{c.limit:.2f}x on {c.cores} cores ({c.source}){memory}"
        )
    held = [
        (r.held_pct, g.source) for g in e.gil if g.unmeasured is None and not g.too_short
        for r in g.roles if r.role == "main"
    ]  # fmt: skip
    if held:
        pct, source = held[0]
        return f"GIL held {pct:.0f}% in the runner process ({source}){memory}"
    if e.cores is not None and e.cores.busy_pct:
        busy = ", ".join(_pct(v) for v in e.cores.busy_pct)
        return f"cores busy {busy} ({e.cores.source}){memory}"
    if known(e.parallelism):
        return f"CPU/wall {e.parallelism:.2f} (timing runs){memory}"
    return "no observed run"


class FirstScreen(NamedTuple):
    """What a person reads first: the verdict, each cause with what to change, one line per
    model, one line per warning (with its full text for the report's fold)."""

    headline: str
    causes: list[str]
    models: list[str]
    warnings: list[tuple[str, str]]  # (one line, the full text)


def first_screen(a: Answer) -> FirstScreen:
    baseline = next((e.peak_rss_mb for e in a.evidence if e.model == "sequential"), NAN)
    return FirstScreen(
        headline(a),
        [cause_text(c) for c in a.causes],
        [model_line(e, baseline) for e in a.evidence],
        [(warning_line(c), caveat_text(c)) for c in a.caveats],
    )


class AnswerWords(NamedTuple):
    """What the terminal and the report say, in order."""

    headline: str
    causes: list[str]  # what holds a model back and what to change, read first
    warnings: list[str]
    evidence: list[str]


def answer_lines(a: Answer) -> AnswerWords:
    return AnswerWords(
        headline(a),
        [cause_text(c) for c in a.causes],
        [caveat_text(c) for c in a.caveats],
        [evidence_line(e) for e in a.evidence],
    )


ADVICE_COLUMNS = ["kind", "model", "speedup", "ci_low", "ci_high", "verdict", "text"]


def advice_table(a: Answer) -> pd.DataFrame:
    """tables/advice.csv: the answer's row, then one row per tie, warning and evidence line."""
    title, causes, warnings, evidence = answer_lines(a)
    rows: list[dict[str, object]] = [
        {
            "kind": "answer",
            "model": a.model,
            "speedup": a.speedup,
            "ci_low": a.ci_low,
            "ci_high": a.ci_high,
            "verdict": verdict_text(a),
            "text": title,
        },
        {"kind": "fastest", "model": a.fastest, "text": ""},
        {"kind": "why", "text": why_text(a.why)},
    ]
    rows += [{"kind": "tie", "model": tie, "text": ""} for tie in a.ties]
    rows += [
        {"kind": "cause", "model": c.model, "text": t}
        for c, t in zip(a.causes, causes, strict=True)
    ]
    rows += [{"kind": "warning", "text": text} for text in warnings]
    rows += [{"kind": "evidence", "text": text} for text in evidence]
    return pd.DataFrame(rows).reindex(columns=ADVICE_COLUMNS)

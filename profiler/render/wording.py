"""Sentences the renderers share (terminal and HTML say the same thing in the same words)."""

from __future__ import annotations

from profiler.answer import RecordingAnswer, ThreadShare


def _share(t: ThreadShare) -> str:
    err = f" ±{t.err_pct:.1f}" if t.err_pct else ""  # exact sources carry no error
    return f"{t.pct:.0f}%{err}"


def recording_lines(a: RecordingAnswer) -> list[str]:
    """A recording's answer in two or three lines: who held the GIL and who waited, the
    function that made them wait, the ceiling; each with the recorder that measured it."""
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
        if a.waiter is not None:
            w = a.waiter
            first += f"; waited for most by {w.name} (pid {w.pid}): {_share(w)} ({w.source})"
        else:
            first += "; waiting for it is measured by perf only"
    lines = [first]
    if a.blamed is not None:
        b = a.blamed
        lines.append(
            f"{b.function} made the other threads wait most: {b.waited_s:.3f} s, "
            f"{b.share_pct:.0f}% of the waiting (perf waits; py-spy, {b.samples} samples)"
        )
    if a.ceiling is not None:
        c = a.ceiling
        lines.append(
            f"the GIL lets pid {c.pid}'s threads run at most {c.speedup:.2f}x faster than on "
            f"one thread (held for {c.held_pct:.0f}% of their CPU work, {c.threads_working} "
            f"working on {c.cores} cores; they also blocked {c.blocked_s:.2f} s; perf)"
        )
    return lines

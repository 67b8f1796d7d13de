"""The event-loop monitor (workload/hook/concprof_loop.py) through the real CLI: `record` of
asyncio programs with blocking calls of known lengths (on 3.11, 3.10 and the free-threaded
3.13t), of a real aiohttp server under a loopback load, and the asyncio model's observed
run of the built-in `blocking` scenario.

Physical bounds: a stall lasts at least the blocking call inside it and, since nothing
else runs on the loop meanwhile, not much longer (10%: the step's own awaits and the
monitor's clock reads are microseconds; a shared machine may stretch a 40 ms sleep by a
few ms). Each round one event wakes the parser, the napper and then 20 tickers, in that
order in one loop iteration: every ticker's wake-up is ready before both stalls and runs
after them, 70 ms late, so most callbacks wait longer than the longest single stall
(40 ms). A loop whose callbacks each take microseconds has no 10 ms stall.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from profiler.errors import UsageError
from profiler.load.run import load_run
from profiler.orchestrate.interpreters import resolve_python
from tests.conftest import concprof

pytestmark = pytest.mark.integration

ROUNDS = 8
PARSE_MS, NAP_MS = 30.0, 40.0
BLOCKS = textwrap.dedent(
    f"""
    import asyncio, time

    def parse(ms):  # pure Python, holding the GIL, never yielding
        end = time.perf_counter() + ms / 1000
        n = 0
        while time.perf_counter() < end:
            n += 1
        return n

    def nap(ms):  # a synchronous wait (a blocking client would do the same)
        time.sleep(ms / 1000)

    async def parser(rounds):
        for go in rounds:
            await go.wait()
            parse({PARSE_MS})

    async def napper(rounds):
        for go in rounds:
            await go.wait()
            nap({NAP_MS})

    async def ticker(rounds):  # waits on each round's event after parser and napper
        for go in rounds:
            await go.wait()

    async def main():
        rounds = [asyncio.Event() for _ in range({ROUNDS})]
        waiting = [asyncio.create_task(parser(rounds)), asyncio.create_task(napper(rounds))]
        waiting += [asyncio.create_task(ticker(rounds)) for _ in range(20)]
        for go in rounds:
            await asyncio.sleep(0.01)
            go.set()  # wakes parser, napper, then the tickers: in one iteration, in order
        await asyncio.gather(*waiting)

    asyncio.run(main())
    print("done")
    """
)
CALM = textwrap.dedent(
    """
    import asyncio

    async def ticker(n):
        for _ in range(n):
            await asyncio.sleep(0.005)
            sum(range(200))

    async def main():
        await asyncio.gather(*(ticker(100) for _ in range(20)))

    asyncio.run(main())
    """
)


def _record(tmp_path: Path, name: str, source: str) -> Path:
    program = tmp_path / f"{name}.py"
    program.write_text(source)
    code, _out, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "procfs",
        "--", sys.executable, str(program),
    )  # fmt: skip
    assert code == 0, err
    return tmp_path / "runs" / f"record-{name}" / "latest"


def test_stalls_are_timed_blamed_on_their_function_and_make_others_late(tmp_path: Path) -> None:
    run = _record(tmp_path, "blocks", BLOCKS)
    assert (run / "raw/record/logs/command.out").read_text().split() == ["done"]
    a = load_run(run)
    stalls, stats, blockers = a["loop_stalls"], a["loop_stats"], a["loop_blockers"]
    by_function = stalls.groupby("function")["duration_us"].agg(["sum", "count"])
    for function, known_ms in (("parse", PARSE_MS), ("nap", NAP_MS)):
        total_ms = by_function.loc[function, "sum"] / 1e3
        assert by_function.loc[function, "count"] == ROUNDS, by_function
        assert ROUNDS * known_ms <= total_ms <= 1.10 * ROUNDS * known_ms, by_function
    # each stall names the coroutine it stepped and holds the sampled stack down to it
    assert set(stalls["coroutine"]) == {"parser", "napper"}
    assert all(
        s.endswith(f"{f} (blocks.py)")
        for s, f in zip(stalls["stack"], stalls["function"], strict=True)
    )
    # parse computes, nap waits (the loop thread's CPU clock inside the stall)
    cpu = stalls.groupby("function")["cpu_pct"].median()
    assert cpu["parse"] > 50 and cpu["nap"] < 50, cpu
    assert list(blockers["function"][:2]) == ["nap", "parse"]  # nap blocked longest
    (row,) = stats.to_dict("records")
    # most callbacks were due early in a 70 ms block: they waited longer than either stall
    assert row["lag_p95_ms"] > NAP_MS, row
    assert row["stalls"] == 2 * ROUNDS and row["tasks_max"] >= 20
    assert 0 < row["blocked_pct"] <= 100
    html = (run / "index.html").read_text()
    assert "Event loop: when it was blocked" in html
    assert (run / "figures" / "loop_lag.png").exists() and (
        run / "figures" / "loop_blockers.png"
    ).exists()
    assert "event loop \\u00b7 stalls" in (run / "timeline.html").read_text()  # JSON-escaped
    assert '"cat":"loop"' in (run / "trace.json").read_text()


def test_a_loop_that_never_blocks_has_no_stall(tmp_path: Path) -> None:
    run = _record(tmp_path, "calm", CALM)
    a = load_run(run)
    (row,) = a["loop_stats"].to_dict("records")
    assert row["stalls"] == 0 and row["blocked_pct"] < 1.0, row
    assert row["steps"] >= 20 * 100  # every tick was a callback the monitor timed
    assert a["loop_stalls"].empty


def test_the_blocking_scenario_names_the_blocker_and_the_fix(tmp_path: Path) -> None:
    code, out, err = concprof(
        "profile", "blocking", "--size", "quick", "--models", "sequential,asyncio",
        "--repeat", "2", "--recorders", "procfs", "--out", str(tmp_path),  # the loop, not CIs
    )  # fmt: skip
    assert code == 0, err
    a = load_run(tmp_path / "blocking" / "latest")
    stats = a["loop_stats"]
    assert set(stats["model"]) == {"asyncio"} and float(stats["blocked_pct"].max()) > 25
    assert a["loop_blockers"]["function"].iloc[0] == "render_invoice"
    assert a.answer is not None
    (cause,) = [c for c in a.answer.causes if c.kind == "loop_blocked"]
    assert cause.loop is not None and cause.loop.blocker == "render_invoice"
    assert "the event loop was blocked" in out and "render_invoice" in out
    assert "process pool" in out  # it computes: a thread would still hold the GIL
    claims = a["claims"]
    assert list(claims["claim_id"]) == [14] and claims["verdict"].iloc[0] == "holds"


SHOP = textwrap.dedent(
    """
    import asyncio, os, signal, time
    from aiohttp import web

    def render_invoice(n):
        time.sleep(0.02)  # a synchronous client call, made in the handler: blocks the loop
        return "\\n".join(f"{k:>6} item-{n}-{k} {k * 1.07:>10.2f}" for k in range(2000))

    async def invoice(request):
        return web.Response(text=render_invoice(int(request.match_info["n"])))

    async def health(request):
        return web.Response(text="ok")

    async def stop(request):
        asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGINT)
        return web.Response(text="bye")

    app = web.Application()
    app.add_routes(
        [web.get("/invoice/{n}", invoice), web.get("/health", health), web.get("/stop", stop)]
    )
    web.run_app(app, host="127.0.0.1", port=int(os.environ["SHOP_PORT"]), print=None)
    """
)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return bytes(reply.read())


def test_a_real_aiohttp_server_under_load_names_its_blocking_handler(tmp_path: Path) -> None:
    pytest.importorskip("aiohttp")
    shop = tmp_path / "shop.py"
    shop.write_text(SHOP)
    with socket.socket() as s:  # a free loopback port for the server
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    recording = subprocess.Popen(
        [sys.executable, "-m", "profiler", "record", "--out", str(tmp_path / "runs"),
         "--recorders", "procfs", "--timeout", "120", "--", sys.executable, str(shop)],
        env={**os.environ, "SHOP_PORT": str(port)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/health")
                break
            except OSError:
                assert time.monotonic() < deadline and recording.poll() is None
                time.sleep(0.1)
        # 8 clients at once, each 10 invoices (20 ms blocking each) and 10 health checks
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda i: [
                        (_get(f"{base}/invoice/{i * 100 + k}"), _get(f"{base}/health"))
                        for k in range(10)
                    ],
                    range(8),
                )
            )
        _get(f"{base}/stop")
        out, err = recording.communicate(timeout=120)
    finally:
        if recording.poll() is None:
            recording.kill()
            recording.wait()
    assert recording.returncode == 0, err
    a = load_run(tmp_path / "runs" / "record-shop" / "latest")
    top = a["loop_blockers"].iloc[0]
    assert top["function"] == "render_invoice" and top["stalls"] >= 80 * 0.9, a["loop_blockers"]
    assert 20.0 <= top["mean_ms"] <= 40.0 and top["coroutines"] == "invoice"
    (stats,) = a["loop_stats"].to_dict("records")
    assert stats["lag_p95_ms"] > 10.0  # 8 clients: requests queue behind the blocked handler
    assert "render_invoice" in out and "asyncio.to_thread" in out


@pytest.mark.parametrize("version", ["3.10", "3.13t"])  # the oldest, and without a GIL
def test_the_monitor_times_and_blames_stalls_on_other_interpreters(
    tmp_path: Path, version: str
) -> None:
    try:
        python = resolve_python(version)
    except UsageError:
        pytest.skip(f"no Python {version} here (pyenv; make python-ft for 3.13t)")
    program = tmp_path / "blocks.py"
    program.write_text(BLOCKS)
    code, _out, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "procfs",
        "--", python, str(program),
    )  # fmt: skip
    assert code == 0, err
    stalls = load_run(tmp_path / "runs" / "record-blocks" / "latest")["loop_stalls"]
    by_function = stalls.groupby("function")["duration_us"].agg(["sum", "count"])
    for function, known_ms in (("parse", PARSE_MS), ("nap", NAP_MS)):
        assert by_function.loc[function, "count"] == ROUNDS, by_function
        total_ms = by_function.loc[function, "sum"] / 1e3
        assert ROUNDS * known_ms <= total_ms <= 1.10 * ROUNDS * known_ms, by_function

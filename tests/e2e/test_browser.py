"""index.html and timeline.html in headless Chromium with the network off.

The run's thread name and scenario path (hence viztracer's function names)
are `<img src=x onerror=alert(1)>`: they must appear as text, never as markup.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from profiler.load.run import load_run
from tests.conftest import concprof, unavailable
from tests.support.headless import chromium_binary, chromium_command

pytestmark = pytest.mark.e2e

PAYLOAD = "<img src=x onerror=alert(1)>"
CHROMIUM = chromium_binary()
EXTRA_FLAGS = ("--enable-logging=stderr", "--v=0", "--window-size=1300,1000")
SCENARIO = f'''"""Threads named {PAYLOAD}."""
import threading, time
TASKS = 2
WORKERS = 2

def task(i):
    threading.current_thread().name = "{PAYLOAD}"
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        pass
    return i
'''


def chromium(url: str, profile_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        chromium_command(profile_dir, url, *EXTRA_FLAGS, *args),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        unavailable("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    root = tmp_path_factory.mktemp("xss")
    folder = root / PAYLOAD
    folder.mkdir()
    (folder / "xss.py").write_text(SCENARIO)
    code, _, err = concprof(
        "profile",
        str(folder / "xss.py"),
        "--models",
        "threads",
        "--repeat",
        "1",
        "--out",
        str(root / "reports"),
    )
    assert code == 0, err
    return root / "reports" / "xss" / "latest"


@pytest.mark.parametrize("page", ["index.html", "timeline.html"])
def test_page_renders_offline_without_errors_or_markup_injection(
    run: Path, page: str, tmp_path: Path
) -> None:
    url = (run / page).resolve().as_uri()
    dom = chromium(url, tmp_path / "a", "--virtual-time-budget=5000", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [c for c in console if "rror" in c or "Uncaught" in c], console
    # the payload is text: no element was created from it
    assert 'src="x"' not in dom.stdout and "<img src=x" not in dom.stdout
    source = (run / page).read_text()
    assert "<img src=x" not in source
    assert 'src="http' not in source and "src='http" not in source, "must not load from the network"
    shot = tmp_path / "shot.png"
    chromium(url, tmp_path / "b", f"--screenshot={shot}")
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10.0, "screenshot is blank"
    if page == "index.html":
        assert "&lt;img src=x onerror=alert(1)&gt;" in source  # shown escaped in the tables
    else:
        assert 'data-ready="1"' in dom.stdout and 'data-errors="0"' in dom.stdout
        threads = load_run(run)["threads"]
        perf_threads = threads[threads["source"] == "perf"]
        expected = perf_threads.drop_duplicates(["model", "pid", "tid"]).shape[0]
        assert f'data-thread-rows="{expected}"' in dom.stdout, (expected, dom.stdout[-400:])
        assert expected >= 3  # sequential MainThread + threads MainThread + 2 workers


def test_trace_json_is_a_chrome_trace_with_gil_slices(run: Path) -> None:
    import orjson

    doc = orjson.loads((run / "trace.json").read_bytes())
    events = doc["traceEvents"]
    assert {"gil", "function"} <= {e.get("cat") for e in events}
    assert any(e["ph"] == "C" for e in events)
    named = [e for e in events if e["ph"] == "M" and e["args"]["name"] == PAYLOAD]
    assert named, "thread names reach the trace as data"
    assert os.path.getsize(run / "timeline.html") > 10_000

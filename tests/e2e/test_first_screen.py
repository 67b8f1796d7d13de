"""The first screen of every report kind in headless Chromium at 1366x768: the page never
scrolls sideways (a wide table scrolls inside its own box), and the verdict and a figure
are inside the first viewport, for a profile, a recording and an across-interpreter page.

Each page is measured by a copy of it with a script that writes what the browser laid out
into the DOM (`--dump-dom`); the copy sits beside the page so that relative links hold.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from profiler.analyse.across import across, lines
from profiler.render.across import across_html
from profiler.spine import AcrossResult
from tests.conftest import DATA, concprof, unavailable
from tests.support.headless import chromium_binary, chromium_command

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1366, 768
MEASURE = """<script>
window.addEventListener("load", () => {
  const d = document.body.dataset, box = (s) => document.querySelector(s);
  const bottom = (e) => (e ? e.getBoundingClientRect().bottom : -1);
  d.scrollWidth = document.scrollingElement.scrollWidth;
  d.innerWidth = window.innerWidth;
  d.innerHeight = window.innerHeight;
  d.verdictBottom = bottom(box(".verdict"));
  const img = box(".first img");
  d.figureBottom = bottom(img);
  d.figureHeight = img ? img.getBoundingClientRect().height : 0;
});
</script>"""


def measured(page: Path, tmp_path: Path) -> dict[str, float]:
    if chromium_binary() is None:
        unavailable("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    copy = page.with_name(f"_measured_{page.name}")
    copy.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    done = subprocess.run(
        chromium_command(
            tmp_path / "chromium", copy.as_uri(), f"--window-size={WIDTH},{HEIGHT}",
            "--virtual-time-budget=5000", "--dump-dom",
        ),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body, done.stderr[-2000:]
    found = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert found, done.stdout[:500]
    return {key: float(value) for key, value in found.items()}


def assert_first_screen(m: dict[str, float]) -> None:
    # the page is no wider than the window (a wide table scrolls in its own box)
    assert m["scroll-width"] <= m["inner-width"], m
    # the verdict and a figure are in the first viewport
    assert 0 < m["verdict-bottom"] <= m["inner-height"], m
    assert m["figure-height"] > 100 and 0 < m["figure-bottom"] <= m["inner-height"], m


def test_a_profiles_first_screen(tmp_path: Path) -> None:
    code, _, err = concprof(
        "profile", "cpu", "--size", "quick", "--models", "sequential,threads", "--repeat", "3",
        "--recorders", "procfs", "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    assert code == 0, err
    assert_first_screen(measured(tmp_path / "runs" / "cpu" / "latest" / "index.html", tmp_path))


def test_a_recordings_first_screen(tmp_path: Path) -> None:
    program = tmp_path / "two.py"
    program.write_text(
        "import threading, time\n"
        "def spin():\n    end = time.monotonic() + 0.5\n    while time.monotonic() < end: pass\n"
        "ts = [threading.Thread(target=spin) for _ in range(2)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    code, _, err = concprof(
        "record", "--out", str(tmp_path / "runs"), "--recorders", "procfs", "--",
        sys.executable, str(program),
    )  # fmt: skip
    assert code == 0, err
    page = tmp_path / "runs" / "record-two" / "latest" / "index.html"
    assert_first_screen(measured(page, tmp_path))


def test_an_across_pages_first_screen(tmp_path: Path) -> None:
    labels = ["3.13.5", "3.13t"]
    root = DATA / "across_noisy"
    table = across(
        labels,
        {k: pd.read_csv(root / k / "timing.csv") for k in labels},
        {k: pd.read_csv(root / k / "comparison.csv") for k in labels},
        margin=0.05,
    )
    out = tmp_path / "across"
    result = AcrossResult(
        out, labels, {k: tmp_path / k for k in labels}, table, lines(table), scenario="cpu"
    )
    page = out / "index.html"
    out.mkdir()
    page.write_text(across_html(result))
    assert_first_screen(measured(page, tmp_path))

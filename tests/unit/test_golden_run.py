"""A run directory recorded with every recorder, re-analysed: the same tables as when recorded.

tests/data/golden_run holds the raw files of a real run (perf, py-spy, procfs,
viztracer; two models, three timing runs each; scenario.py is what ran) and
the tables concprof wrote then. Restructuring the pipeline must not change a
number: the tables rebuilt from the raw files equal the recorded ones. A change
that is meant to change them re-records the directory (see development.md).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from profiler.analyse.run_tables import build_tables
from profiler.answer import Answer
from profiler.orchestrate.manifest import advice_doc, save_analysis
from profiler.render.wording import headline
from tests.conftest import DATA

GOLDEN = DATA / "golden_run"


def test_a_recorded_run_rebuilds_the_same_tables(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(GOLDEN, run, ignore=shutil.ignore_patterns("tables"))
    for packed in run.rglob("*.gz"):  # kept small in the repository
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    analysis = build_tables(run)
    save_analysis(run, analysis)  # the answer in words among them (advice.csv)
    recorded = {p.stem for p in (GOLDEN / "tables").glob("*.csv")}
    assert set(analysis) == recorded
    for name in analysis:
        got = pd.read_csv(run / "tables" / f"{name}.csv")
        expected = pd.read_csv(GOLDEN / "tables" / f"{name}.csv")
        assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, obj=name)


def test_the_saved_answer_reads_back_as_computed(tmp_path: Path) -> None:
    # GIVEN the golden run's answer, computed from its raw files
    run = tmp_path / "run"
    shutil.copytree(GOLDEN, run, ignore=shutil.ignore_patterns("tables"))
    for packed in run.rglob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    answer = build_tables(run).answer
    assert answer is not None
    # WHEN run.json keeps it (as JSON) and it is read again THEN it is the same answer, and
    # its words are those advice.csv was recorded with
    doc = json.loads(json.dumps(advice_doc(answer)))
    again = Answer.read(doc)
    assert again is not None
    assert json.dumps(again.to_json()) == json.dumps(answer.to_json())  # NaN != NaN
    table = pd.read_csv(GOLDEN / "tables" / "advice.csv")
    assert headline(answer) == table.loc[table["kind"] == "answer", "text"].iloc[0]
    assert doc["headline"] == headline(answer)
    assert answer.model == "threads" and len(answer.evidence) == 2
    assert [e.model for e in answer.evidence] == ["threads", "sequential"]
    assert answer.evidence[0].gil and answer.evidence[0].gil[0].source == "perf"
